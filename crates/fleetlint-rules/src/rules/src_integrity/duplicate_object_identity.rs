use std::collections::{BTreeMap, HashMap, HashSet};

use fleetlint_fleet::{Cluster, RenderedObject, SourceResolution};
use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use fleetlint_yaml::{Entry, Node, NodeKind, Span};

use super::helpers::markers::not_applied;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports objects (same API group, kind, namespace and name after every transformation)
    /// that two different Flux Kustomizations of one cluster render. Copies annotated or
    /// labelled `kustomize.toolkit.fluxcd.io/ssa: Ignore` or
    /// `kustomize.toolkit.fluxcd.io/reconcile: disabled` are not applied and do not count.
    ///
    /// When the two build overlapping directories of one source (the same path, or a path
    /// without a `kustomization.yaml` whose generated kustomization recurses into the other's
    /// directory, computed the way kustomize-controller generates it), there is one finding per
    /// pair of Kustomizations, at the included one's `spec.path`, listing the objects. Otherwise
    /// each object is one finding on its first later copy, naming every Kustomization that
    /// renders it and pointing at the other definitions (one finding per problem, however
    /// many apps include the shared object).
    ///
    /// ## Why is this bad?
    /// All Kustomizations apply with the same field manager, so the two silently overwrite each
    /// other on every reconciliation (rollout ping-pong), and when one of them prunes it deletes
    /// an object the other still manages. The usual cause is a parent path without a
    /// `kustomization.yaml`, which kustomize-controller walks recursively, so it also includes
    /// a child Kustomization's directory.
    ///
    /// ## Severity
    /// `error` for an object found twice whose copies differ or that is a Namespace or CRD, and
    /// for an overlapping pair whose copies differ (one applies a substituted value, the other the literal
    /// `${var}`) or include a Namespace or CRD; `warning` when the copies are identical (issue 14
    /// overrides the catalog here: nothing flaps, only pruning is at risk).
    ///
    /// Copies are compared without the metadata each Kustomization stamps on everything it
    /// applies: the labels and annotations of its `spec.commonMetadata` (kustomize-controller's
    /// `apply` sets them on every object) and Flux's ownership labels
    /// `kustomize.toolkit.fluxcd.io/name` and `/namespace` (`SetOwnerLabels` writes the owner's
    /// name and namespace, so any two Kustomizations' copies of one object already differ there). A shared Component rendered by many app
    /// Kustomizations, each with its own `commonMetadata.labels`, is therefore identical copies.
    /// Still an error: any other difference, in the spec or data, in a `${var}` substituted in
    /// one build only, in a label or annotation the files or one build's kustomization write
    /// (`commonLabels`, `labels`, a patch: something may select objects by it, such as a
    /// dashboard sidecar, and Flux reads its own annotations such as
    /// `kustomize.toolkit.fluxcd.io/prune`); the message names the first field that differs.
    ///
    /// ## Example
    /// ```yaml
    /// # Kustomization 'infra'        path: ./infrastructure   (no kustomization.yaml there)
    /// # Kustomization 'cert-manager' path: ./infrastructure/cert-manager
    /// # -> both render Namespace/cert-manager
    /// ```
    ///
    /// ## Fix
    /// Let exactly one Kustomization render the object: give the parent path a
    /// `kustomization.yaml` that lists only its own resources, move the shared object to one
    /// place, or mark the extra copy `kustomize.toolkit.fluxcd.io/ssa: Ignore`.
    pub(crate) struct DuplicateObjectIdentity {
        code: "SRC004",
        name: "duplicate-object-identity",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for DuplicateObjectIdentity {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // identity -> (first copy, its renderer)
        let mut first: HashMap<(String, String, String, String), (usize, &str)> = HashMap::new();
        // (first renderer's object, later renderer's object) -> (later copy, first copy), in order
        let mut pairs: BTreeMap<(Option<usize>, Option<usize>), Vec<Copies>> = BTreeMap::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            let Some(renderer) = o.owners.last().map(String::as_str) else { continue };
            if o.synthesized || not_applied(&o.root) || o.kind().is_empty() {
                continue;
            }
            let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g).to_string();
            let key = (group, o.kind().to_string(), o.namespace().to_string(), o.name().to_string());
            match first.get(&key) {
                None => {
                    first.insert(key, (i, renderer));
                }
                Some(&(j, other)) if other != renderer => {
                    pairs.entry((cx.object(j).owner, o.owner)).or_default().push((i, j));
                }
                Some(_) => {}
            }
        }
        if pairs.is_empty() {
            return;
        }
        let with_kustomization = kustomization_dirs(cx);
        // Copies no containment explains, by first copy: one object rendered by several
        // Kustomizations is one problem, reported once with every renderer.
        let mut loose: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for ((a, b), copies) in pairs {
            match containment(cx.cluster, &with_kustomization, a, b) {
                Some(overlap) => out.push(pair_finding(cx, &overlap, &copies)),
                None => {
                    for &(i, j) in &copies {
                        loose.entry(j).or_default().push(i);
                    }
                }
            }
        }
        for (j, mut later) in loose {
            later.sort_unstable();
            out.push(duplicate(cx, &later, j));
        }
    }
}

/// A later copy of an object and the first one (object indices).
type Copies = (usize, usize);

fn name_span(o: &RenderedObject) -> Span {
    o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span)
}

fn describe(o: &RenderedObject) -> String {
    if o.namespace().is_empty() {
        format!("{} {}", o.kind(), o.name())
    } else {
        format!("{} {}/{}", o.kind(), o.namespace(), o.name())
    }
}

fn renderer(o: &RenderedObject) -> &str {
    o.owners.last().map_or("", String::as_str)
}

/// One object rendered by two or more Kustomizations with no path overlap that explains it (a
/// copy-pasted object, apps defining the same shared object): one finding at the first later
/// copy, naming every renderer.
fn duplicate(cx: &ClusterContext<'_>, later: &[usize], j: usize) -> Finding {
    let i = later[0];
    let (o, p) = (cx.object(i), cx.object(j));
    let mut renderers: Vec<&str> = vec![renderer(p)];
    for &k in later {
        let r = renderer(cx.object(k));
        if !renderers.contains(&r) {
            renderers.push(r);
        }
    }
    let stamped = Stamped::of(cx, later.iter().copied().chain([j]));
    let differs = later.iter().find_map(|&k| difference(&cx.object(k).root, &p.root, &stamped));
    let identical = differs.is_none() && !matches!(o.kind(), "Namespace" | "CustomResourceDefinition");
    let by = match renderers.as_slice() {
        [a, b] => format!("both {a} and {b}"),
        [rest @ .., last] => format!("{} Kustomizations: {} and {last}", renderers.len(), rest.join(", ")),
        [] => String::new(),
    };
    let message = if identical {
        format!(
            "{} is rendered by {by}: the copies are identical, but pruning any of them deletes it while the others still apply it",
            describe(o)
        )
    } else {
        let what = differs.map(|d| format!(" (`{d}` differs)")).unwrap_or_default();
        format!("{} is rendered by {by}: they overwrite each other{what}", describe(o))
    };
    let span = name_span(o);
    let mut f = DuplicateObjectIdentity::finding(span, message)
        .with_help("let exactly one Kustomization render this object, or mark the extra copy kustomize.toolkit.fluxcd.io/ssa: Ignore")
        .with_field("metadata.name");
    let mut seen = vec![span];
    for &k in std::iter::once(&j).chain(&later[1..]) {
        let q = cx.object(k);
        let (other, other_span) = (renderer(q), name_span(q));
        if seen.contains(&other_span) {
            // Both read the same file: point at the other renderer's path instead.
            if let Some(path) = q.owner.and_then(|k| cx.object(k).flux()).and_then(|k| k.path()) {
                f = f.with_related(path.span(), format!("{other} renders the same file"));
            }
        } else {
            seen.push(other_span);
            f = f.with_related(other_span, format!("also defined here, rendered by {other}"));
        }
    }
    if identical {
        f.severity = Severity::Warning;
    }
    cx.about(f, i)
}

/// Why two Kustomizations apply the same objects, computed from what kustomize-controller
/// builds for each path.
struct Overlap {
    /// The Kustomization whose build includes the other's directory (object index).
    outer: usize,
    /// The one whose directory is included (the finding is at its `spec.path`).
    inner: usize,
    /// The cause, in words.
    cause: String,
    /// The fix, in words.
    fix: String,
}

/// The kustomization directories of every tree, `(tree, dir)`.
fn kustomization_dirs(cx: &ClusterContext<'_>) -> HashSet<(usize, String)> {
    let mut dirs = HashSet::new();
    for (t, tree) in cx.trees.iter().enumerate() {
        for f in &tree.files {
            let path = cx.db.get(f.id).path.as_str();
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            if KUSTOMIZATION_FILE_NAMES.contains(&name) {
                dirs.insert((t, dir.to_string()));
            }
        }
    }
    dirs
}

/// Both Kustomizations read one tree and one builds the other's directory: the same path, or a
/// path without a kustomization file whose generated kustomization reaches the other's. The
/// generator (fluxcd/pkg@e2cfd1a2 `kustomize/kustomize_generator.go`, `scanManifests`) walks
/// the directory, adds a subdirectory holding a kustomization file as one resource without
/// descending into it, and otherwise recurses; so `./a` (no kustomization) includes `./a/b`
/// unless a directory between them has a kustomization file of its own, and a path that has
/// one includes only what that file lists (no cause from the prefix alone).
fn containment(
    cluster: &Cluster,
    with_kustomization: &HashSet<(usize, String)>,
    a: Option<usize>,
    b: Option<usize>,
) -> Option<Overlap> {
    let (a, b) = (a?, b?);
    let (ka, kb) = (cluster.kustomization_of(a)?, cluster.kustomization_of(b)?);
    let (SourceResolution::Tree(ta), SourceResolution::Tree(tb)) = (&ka.source, &kb.source) else { return None };
    if ta != tb {
        return None;
    }
    let show = |p: &str| if p.is_empty() { "./".to_string() } else { format!("./{p}") };
    if ka.path == kb.path {
        return Some(Overlap {
            outer: a,
            inner: b,
            cause: format!("both build {}", show(&ka.path)),
            fix: "let one Kustomization build the directory, or give them different paths".into(),
        });
    }
    let has_kustomization = |dir: &str| with_kustomization.contains(&(*ta, dir.to_string()));
    // `outer` has no kustomization file and its walk reaches `inner`.
    let recurses = |outer: &str, inner: &str| {
        let rest =
            if outer.is_empty() { Some(inner) } else { inner.strip_prefix(outer).and_then(|r| r.strip_prefix('/')) };
        let Some(rest) = rest else { return false };
        if has_kustomization(outer) {
            return false;
        }
        // No directory strictly between them stops the walk.
        let parts: Vec<&str> = rest.split('/').collect();
        (1..parts.len()).all(|n| {
            let mid = parts[..n].join("/");
            let mid = if outer.is_empty() { mid } else { format!("{outer}/{mid}") };
            !has_kustomization(&mid)
        })
    };
    let (outer, inner, ko, ki) = if recurses(&ka.path, &kb.path) {
        (a, b, ka, kb)
    } else if recurses(&kb.path, &ka.path) {
        (b, a, kb, ka)
    } else {
        return None;
    };
    Some(Overlap {
        outer,
        inner,
        cause: format!(
            "{} has no kustomization.yaml, so the kustomization kustomize-controller generates for it recurses into {}",
            show(&ko.path),
            show(&ki.path)
        ),
        fix: format!(
            "add a kustomization.yaml to {} that lists only its own resources, or move {} out of it",
            show(&ko.path),
            show(&ki.path)
        ),
    })
}

/// The metadata keys kustomize-controller stamps on a copy, which may differ between copies
/// without making them differ: the `commonMetadata` labels and annotations of the Kustomization
/// that renders it (set on every object of its build: fluxcd/kustomize-controller@186fb3b
/// `internal/controller/kustomization_controller.go`, `apply` -> fluxcd/pkg@e2cfd1a2
/// `ssa/utils/meta.go` `SetCommonMetadata`), besides Flux's ownership labels (`reconcile` -> fluxcd/pkg@e2cfd1a2 `ssa/manager.go` `ResourceManager.SetOwnerLabels`
/// stamps `kustomize.toolkit.fluxcd.io/name` and `/namespace` on every object, so any object two
/// Kustomizations apply already flips those labels on each apply: a per-Kustomization label is
/// that same, metadata-only, difference).
#[derive(Default)]
struct Stamped {
    labels: Vec<String>,
    annotations: Vec<String>,
}

impl Stamped {
    /// What the renderers of `objects` stamp, together.
    fn of(cx: &ClusterContext<'_>, objects: impl IntoIterator<Item = usize>) -> Self {
        let mut s = Self::default();
        for i in objects {
            let Some(k) = cx.object(i).owner else { continue };
            let meta = cx.object(k).root.get_path(&["spec", "commonMetadata"]);
            for (key, into) in [("labels", &mut s.labels), ("annotations", &mut s.annotations)] {
                for e in meta.and_then(|m| m.get(key)).and_then(Node::as_map).into_iter().flatten() {
                    if let Some(k) = e.key.as_str().filter(|k| !into.iter().any(|x| x == k)) {
                        into.push(k.to_string());
                    }
                }
            }
        }
        s
    }

    /// Whether a key of `metadata.<map>` is stamped (so its value does not count).
    fn skips(&self, map: &str, key: &str) -> bool {
        // kustomize's origin annotation only records where a copy was read.
        (map == "labels" && matches!(key, "kustomize.toolkit.fluxcd.io/name" | "kustomize.toolkit.fluxcd.io/namespace"))
            || (map == "annotations" && key == "config.kubernetes.io/origin")
            || match map {
                "labels" => self.labels.iter().any(|k| k == key),
                "annotations" => self.annotations.iter().any(|k| k == key),
                _ => false,
            }
    }
}

/// Whether two copies of an object differ in what is applied (one substituted, the other the
/// literal `${var}`, a patch applied in one build only, a label written in one file only).
/// What kustomize-controller stamps per Kustomization (`stamped`) does not count: those
/// metadata keys differ between any two Kustomizations' copies, even of one file.
fn same_object(a: &Node, b: &Node, stamped: &Stamped) -> bool {
    difference(a, b, stamped).is_none()
}

/// The first field (dotted path) where two copies differ, once what is stamped is left out.
fn difference(a: &Node, b: &Node, stamped: &Stamped) -> Option<String> {
    fn diff<'a>(a: &'a Node, b: &'a Node, path: &mut Vec<String>) -> Option<String> {
        let here =
            |path: &[String]| Some(if path.is_empty() { "the whole object".to_string() } else { path.join(".") });
        match (&a.kind, &b.kind) {
            (NodeKind::Scalar(x), NodeKind::Scalar(y)) => (x.text != y.text).then(|| here(path)).flatten(),
            (NodeKind::Seq(x), NodeKind::Seq(y)) if x.len() == y.len() => {
                x.iter().zip(y).enumerate().find_map(|(n, (x, y))| {
                    path.push(n.to_string());
                    let r = diff(x, y, path);
                    path.pop();
                    r
                })
            }
            (NodeKind::Map(x), NodeKind::Map(y)) => {
                let key = |e: &Entry| e.key.as_str().unwrap_or("").to_string();
                // A key of one copy only; a map there is named by its first key (`metadata.labels.x`).
                let only_in = |x: &'a [Entry], y: &[Entry]| {
                    x.iter().find(|e| !y.iter().any(|f| f.key.as_str() == e.key.as_str()))
                };
                if let Some(e) = only_in(x, y).or_else(|| only_in(y, x)) {
                    let first = e.value.as_map().and_then(|m| m.first()).map(key);
                    path.push(key(e) + &first.map(|k| format!(".{k}")).unwrap_or_default());
                    let r = here(path);
                    path.pop();
                    return r;
                }
                x.iter().find_map(|e| {
                    let f = y.iter().find(|f| f.key.as_str() == e.key.as_str())?;
                    path.push(key(e));
                    let r = diff(&e.value, &f.value, path);
                    path.pop();
                    r
                })
            }
            _ => here(path),
        }
    }
    diff(&unstamped(a, stamped), &unstamped(b, stamped), &mut Vec::new())
}

/// A copy without the metadata keys kustomize-controller stamps, and without a `labels` or
/// `annotations` map left empty (or null) by that.
fn unstamped(o: &Node, stamped: &Stamped) -> Node {
    let mut o = o.clone();
    if let Some(NodeKind::Map(meta)) = o.get_mut("metadata").map(|m| &mut m.kind) {
        for e in meta.iter_mut() {
            let Some(map) = e.key.as_str().filter(|k| matches!(*k, "labels" | "annotations")).map(str::to_string)
            else {
                continue;
            };
            if let NodeKind::Map(entries) = &mut e.value.kind {
                entries.retain(|x| !stamped.skips(&map, x.key.as_str().unwrap_or("")));
            }
        }
        meta.retain(|e| {
            !(matches!(e.key.as_str(), Some("labels" | "annotations"))
                && (e.value.is_null() || e.value.as_map().is_some_and(<[Entry]>::is_empty)))
        });
    }
    o
}

/// How many objects a message lists before "and N more".
const LISTED: usize = 3;

/// One finding for all the objects two overlapping Kustomizations both apply, at the included
/// Kustomization's `spec.path`.
fn pair_finding(cx: &ClusterContext<'_>, overlap: &Overlap, copies: &[(usize, usize)]) -> Finding {
    let (outer, inner) = (cx.object(overlap.outer), cx.object(overlap.inner));
    let id = |o: &RenderedObject| format!("{}/{}/{}", o.kind(), o.namespace(), o.name());
    let (outer_id, inner_id) = (id(outer), id(inner));
    let mut listed: Vec<String> = copies.iter().take(LISTED).map(|&(i, _)| describe(cx.object(i))).collect();
    if copies.len() > LISTED {
        listed.push(format!("and {} more", copies.len() - LISTED));
    }
    let stamped = Stamped::of(cx, copies.iter().flat_map(|&(i, j)| [i, j]));
    let differ =
        copies.iter().filter(|&&(i, j)| !same_object(&cx.object(i).root, &cx.object(j).root, &stamped)).count();
    let critical = copies
        .iter()
        .map(|&(i, _)| cx.object(i).kind())
        .find(|k| *k == "Namespace" || *k == "CustomResourceDefinition");
    let consequence = if differ > 0 {
        format!(
            "{differ} of the {} differ{} between the two builds, so each reconciliation of one undoes the other",
            if copies.len() == 1 { "object" } else { "objects" },
            if differ == 1 { "s" } else { "" }
        )
    } else if let Some(kind) = critical {
        format!("the copies are identical, but pruning either Kustomization deletes a {kind} the other still applies")
    } else {
        "the copies are identical today, and pruning either Kustomization deletes objects the other still applies"
            .into()
    };
    let message = format!(
        "{outer_id} and {inner_id} both apply {} object{} ({}): {}; {consequence}",
        copies.len(),
        if copies.len() == 1 { "" } else { "s" },
        listed.join(", "),
        overlap.cause
    );
    let span = inner.flux().and_then(|k| k.path()).map_or(name_span(inner), |p| p.span());
    let mut f = DuplicateObjectIdentity::finding(span, message).with_help(overlap.fix.clone()).with_field("spec.path");
    if differ == 0 && critical.is_none() {
        f.severity = Severity::Warning;
    }
    if let Some(path) = outer.flux().and_then(|k| k.path()) {
        f = f.with_related(path.span(), format!("{outer_id} builds this path"));
    }
    cx.about(f, overlap.inner)
}
