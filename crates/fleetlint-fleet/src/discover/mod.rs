//! Cluster roots, found the way Flux works (docs/flux-semantics.md#entry-points).
//!
//! Every Flux root is a *self-managing* Kustomization: `flux bootstrap` commits a
//! `gotk-sync.yaml` whose Kustomization `flux-system` has `spec.path` = the directory that holds
//! it, so the build of that directory renders the Kustomization that builds it
//! (fluxcd/flux2@v2.6.0 `pkg/manifestgen/sync/sync.go` `Generate`; kustomize-controller applies
//! what the build renders, itself included). A directory D is therefore a root when D's build
//! renders a Flux Kustomization whose `spec.path` (after D's own patches and that
//! Kustomization's own `postBuild.substitute`) is D and no other cluster's graph builds D. The
//! candidates come from an index of the Flux Kustomization documents (and inline patches of
//! `spec.path`) in the tree, so only directories some Kustomization names are built.
//!
//! Besides those: `flux-system` directories with `flux bootstrap`'s files (placeholders
//! included, whose objects are synthesized), FluxInstances (also inside a `flux-instance`
//! HelmRelease's values, whose generated root is synthesized), the configuration's globs, and
//! the `clusters/*` convention only when nothing else finds a root.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{Limits, Node, ObjectView, Span, parse_yaml};

use crate::artifact::TreeView;
use crate::bootstrap::is_placeholder;
use crate::flux::{FluxObject, InstanceSpec};
use crate::fluxbuild;
use crate::model::{EntryKind, FleetIssue, FleetIssueKind, FoundBy, FoundReason, RejectReason, Rejected};
use crate::walk::Trees;

mod instance_values;
mod names;

pub(crate) use names::cluster_names;

/// A cluster entry point.
#[derive(Clone, Debug)]
pub(crate) struct EntryPoint {
    /// The cluster directory (tree-relative): the root Kustomization's path.
    pub dir: String,
    /// How it was found.
    pub kind: EntryKind,
    /// The entry file.
    pub span: Span,
    /// The `flux-system` directory, when there is one.
    pub flux_system: Option<String>,
    /// The FluxInstance spec (or the `instance` values of a flux-instance HelmRelease).
    pub instance: Option<Node>,
    /// For a self-managed root: the root as the directory's build renders it.
    pub self_root: Option<SelfRoot>,
    /// What made it a root.
    pub found_by: FoundBy,
    /// The directory the root source's paths resolve against, when not the checked root.
    pub source_root: Option<String>,
}

/// The root Kustomization of a self-managed cluster, as its own directory's build renders it.
#[derive(Clone, Debug)]
pub(crate) struct SelfRoot {
    /// The root Kustomization.
    pub kustomization: Node,
    /// Its source, when the build renders it too.
    pub source: Option<Node>,
    /// The source's `(kind, namespace, name)`.
    pub source_id: (String, String, String),
    /// Whether the build renders Flux controller Deployments (so what they run with is known).
    pub has_controllers: bool,
    /// The Flux version the header of their components file states.
    pub version: Option<String>,
}

/// What discovery decided.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    /// The roots, by directory.
    pub entries: Vec<EntryPoint>,
    /// Candidates not taken.
    pub rejected: Vec<Rejected>,
    /// What belongs to no cluster (an ambiguous source root), for the rules to report.
    pub issues: Vec<FleetIssue>,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_span(view: &TreeView<'_>, path: &str) -> Option<Span> {
    view.file(path).map(|f| Span::empty(f.id, 0))
}

fn is_below(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

fn ks_id(root: &Node) -> String {
    let v = ObjectView::new(root);
    format!("{}/{}", v.and_then(|v| v.namespace()).unwrap_or("flux-system"), v.and_then(|v| v.name()).unwrap_or(""))
}

fn is_flux_kustomization(root: &Node) -> bool {
    ObjectView::new(root).is_some_and(|v| v.kind() == "Kustomization" && v.group() == "kustomize.toolkit.fluxcd.io")
}

/// `spec.path` of a Flux Kustomization after its own `postBuild.substitute` (non-strict; `None`
/// when a variable has no value there: only the parent's graph can say what it becomes).
fn own_path(root: &Node) -> Option<String> {
    let k = FluxObject::new(root)?;
    let raw = k.path_str();
    if !crate::substitute::has_reference(raw) {
        return Some(clamp_flux_path(raw).0);
    }
    let vars: BTreeMap<String, String> = k
        .post_build()
        .map(|p| {
            p.substitute()
                .iter()
                .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let out = crate::substitute::substitute(raw, &|v| vars.get(v).cloned(), false).ok()?;
    out.unset.is_empty().then(|| clamp_flux_path(&out.text).0)
}

/// Where a candidate directory was named.
struct Mention {
    /// The Kustomization's `namespace/name` (empty for a patch).
    kustomization: String,
    /// The file that names it.
    file: String,
}

/// The index of candidate roots: every directory some Flux Kustomization document (or an inline
/// patch of `spec.path` in a kustomization file) names as its path. One pass over the documents.
/// Candidate directories with the Kustomizations naming them, and the paths (as written) that
/// hold variables the Kustomization itself does not set.
type CandidateIndex = (BTreeMap<String, Vec<Mention>>, Vec<(String, Mention)>);

fn candidate_index(view: &TreeView<'_>, paths: &[&str]) -> CandidateIndex {
    let mut named: BTreeMap<String, Vec<Mention>> = BTreeMap::new();
    let mut unresolved = Vec::new();
    let mut note = |dir: Option<String>, m: Mention, raw: &str, named: &mut BTreeMap<String, Vec<Mention>>| match dir {
        Some(d) if view.is_dir(&d) => named.entry(d).or_default().push(m),
        Some(_) => {}
        None => unresolved.push((raw.to_string(), m)),
    };
    for path in paths {
        let Some(file) = view.file(path) else { continue };
        for doc in &file.yaml.documents {
            let root = &doc.root;
            if is_flux_kustomization(root) {
                let raw = FluxObject::new(root).map_or("", |k| k.path_str());
                let m = Mention { kustomization: ks_id(root), file: (*path).to_string() };
                note(own_path(root), m, raw, &mut named);
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            if !fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES.contains(&name) {
                continue;
            }
            // Inline patches setting a Kustomization's spec.path (strategic merge or JSON 6902).
            for p in root.get("patches").and_then(Node::as_seq).unwrap_or_default() {
                let Some(text) = p.get("patch").and_then(Node::as_str) else { continue };
                if !text.contains("path") {
                    continue;
                }
                let parsed = parse_yaml(file.id, text, &Limits::default());
                for d in &parsed.documents {
                    let mut values = Vec::new();
                    if is_flux_kustomization(&d.root) {
                        values.extend(d.root.get_path(&["spec", "path"]).and_then(Node::as_str));
                    }
                    for op in d.root.as_seq().unwrap_or_default() {
                        if op.get("path").and_then(Node::as_str) == Some("/spec/path") {
                            values.extend(op.get("value").and_then(Node::as_str));
                        }
                    }
                    for v in values.into_iter().filter(|v| !crate::substitute::has_reference(v)) {
                        let m = Mention { kustomization: String::new(), file: (*path).to_string() };
                        note(Some(clamp_flux_path(v).0), m, v, &mut named);
                    }
                }
            }
        }
    }
    (named, unresolved)
}

/// Whether the build of `dir` renders a Flux Kustomization whose path is `dir`: the root.
///
/// `artifact_root` is `None` for a Git source (paths relative to the checked tree), or the
/// directory an OCI artifact or bucket is made of, for a root found in `<dir>/flux-system/`
/// (see [`artifact_candidates`]): the Kustomization's path is then relative to it.
fn self_root(trees: &Trees<'_>, dir: &str, artifact_root: Option<&str>) -> Option<SelfRoot> {
    root_in_build(trees, dir, dir, artifact_root, None)
}

/// The root of `dir` as the build of `built` renders it (`built` = `dir` for a self-managing
/// root; the directory applied by hand for [`applied_by_hand`]).
fn root_in_build(
    trees: &Trees<'_>,
    built: &str,
    dir: &str,
    artifact_root: Option<&str>,
    id: Option<&str>,
) -> Option<SelfRoot> {
    let out = fluxbuild::build_shared(&trees.resolvers[0], &trees.views[0], built, &Node::map(Span::default()));
    let rel = match artifact_root {
        None | Some("") => dir,
        Some(r) => dir.strip_prefix(r).map_or(dir, |d| d.trim_start_matches('/')),
    };
    // A failing build still shows what it would render: the root is found, its failure is a
    // finding of the walk.
    // A Git source is the checked repository itself (an undefined GitRepository is taken to be
    // it: created outside Git, as vendors do); an OCI artifact or a bucket only when the
    // directory it is made of is known.
    let artifact = |kind: &str| matches!(kind, "OCIRepository" | "Bucket");
    let k = out.resources.iter().map(|r| &r.root).find(|r| {
        is_flux_kustomization(r)
            && id.is_none_or(|id| ks_id(r) == id)
            && own_path(r).as_deref() == Some(rel)
            && FluxObject::new(r).and_then(|k| k.source_ref()).map_or(artifact_root.is_none(), |s| {
                let kind = s.kind_or("GitRepository");
                if artifact_root.is_some() { artifact(kind) } else { kind == "GitRepository" }
            })
    })?;
    let view = FluxObject::new(k)?;
    let sref = view.source_ref();
    let namespace = view.namespace();
    let kind = sref.map_or("GitRepository", |r| r.kind_or("GitRepository")).to_string();
    let name = sref.map_or("", |r| r.name()).to_string();
    let ns = sref.map_or_else(|| view.namespace().to_string(), |r| r.namespace.to_string());
    let source = out
        .resources
        .iter()
        .map(|r| &r.root)
        .find(|r| {
            ObjectView::new(r)
                .is_some_and(|v| v.kind() == kind && v.name() == Some(&name) && v.namespace() == Some(&ns))
        })
        .cloned();
    // A root reconciles the platform's own repository: a Kustomization in a tenant's namespace
    // whose source is defined (a tenant repository, say) manages the tenant's directory, not a
    // cluster; neither does one whose source is mapped to another checkout.
    if source.is_some() && namespace != "flux-system" {
        return None;
    }
    // `./` of a defined source is usually another repository's root (a chart or CRD repository
    // built whole) that the tree's generated root kustomization happens to reach: the whole
    // tree is a root only through the bootstrap Kustomization.
    if dir.is_empty() && ObjectView::new(k).and_then(|v| v.name()) != Some("flux-system") {
        return None;
    }
    let src_view = source.as_ref().and_then(FluxObject::new);
    let (url, reference) = (src_view.and_then(|s| s.url()), src_view.and_then(|s| s.ref_value()));
    // A source mapped to another checkout is not this tree; one mapped to the very directory
    // the artifact is made of (`--source oci://…=<root>/<dir>`) is.
    let elsewhere =
        |i: usize| artifact_root.is_none_or(|r| !same_dir(&trees.trees[0].root.join(r), &trees.trees[i + 1].root));
    if trees.mappings.iter().enumerate().any(|(i, m)| m.matches(&kind, &ns, &name, url, reference) && elsewhere(i)) {
        return None;
    }
    let controller = out.resources.iter().find(|r| {
        r.root.get("kind").and_then(Node::as_str) == Some("Deployment")
            && r.root
                .get_path(&["metadata", "name"])
                .and_then(Node::as_str)
                .is_some_and(|n| crate::controllers::Controller::from_name(n).is_some())
    });
    // `# Flux Version:` of the components file the controllers come from.
    let version = controller
        .map(|c| c.root.span.file)
        .filter(|f| (f.0 as usize) < trees.db.len())
        .and_then(|f| crate::controllers::flux_version_from_header(&trees.db.get(f).text))
        .or_else(|| crate::bootstrap::version_from_install_source(out.resources.iter().map(|r| &r.root)));
    Some(SelfRoot {
        kustomization: k.clone(),
        source,
        source_id: (kind, ns, name),
        has_controllers: controller.is_some(),
        version,
    })
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether `dir`'s build renders the Flux Kustomization `id` (`namespace/name`) with `dir` as
/// its path.
fn renders_root(trees: &Trees<'_>, dir: &str, id: &str) -> bool {
    let out = fluxbuild::build(&trees.resolvers[0], &trees.views[0], dir, &Node::map(Span::default()));
    out.resources
        .iter()
        .any(|r| is_flux_kustomization(&r.root) && ks_id(&r.root) == id && own_path(&r.root).as_deref() == Some(dir))
}

/// Roots applied by hand (`kubectl apply -k <from>`, as bootstrap scripts do after
/// `flux install`): `<from>`'s kustomization renders a GitRepository and a Flux Kustomization in
/// `flux-system` that reads it and whose `spec.path` `dir` lies below `<from>` (the cluster's own
/// tree), where no root was found at, above or below `<from>`. Flux builds `dir`, never `<from>`:
/// `dir` is the root, and the Kustomization and source `<from>` renders are the root objects.
/// A cluster whose graph builds or reads `<from>` makes it part of that cluster (after the walk).
/// Returns `(dir, from)`.
fn applied_by_hand(
    trees: &Trees<'_>,
    named: &BTreeMap<String, Vec<Mention>>,
    found: &BTreeMap<String, EntryPoint>,
) -> Vec<(String, String)> {
    let view = &trees.views[0];
    let mut out = Vec::new();
    for (dir, mentions) in named {
        if found.keys().any(|f| is_below(dir, f) || is_below(f, dir) || f == dir) {
            continue;
        }
        for m in mentions.iter().filter(|m| m.kustomization.starts_with("flux-system/")) {
            // The nearest directory above the file with a kustomization, strictly above `dir`.
            let mut from = parent(&m.file);
            while !from.is_empty() && view.kustomization_file(from).is_none() {
                from = parent(from);
            }
            if from.is_empty()
                || from == dir.as_str()
                || !is_below(dir, from)
                || view.kustomization_file(from).is_none()
            {
                continue;
            }
            if found.keys().any(|f| f == from || is_below(f, from) || is_below(from, f)) {
                continue;
            }
            out.push((dir.clone(), from.to_string()));
            break;
        }
    }
    out
}

/// Roots whose source is an artifact made of a directory of the tree (an OCIRepository or a
/// Bucket): a Flux Kustomization of such a source in `<dir>/flux-system/` whose `spec.path` `p`
/// is `dir` seen from a directory `R` above it (`dir` = `R/p`, `R` = `dir` for `./`). That is
/// where `flux bootstrap` and `kubectl apply -k <dir>/flux-system` put a cluster's root; whether
/// `<dir>`'s build renders it is checked by [`root_in_build`]. Returns `(dir, R, namespace/name)`:
/// the Kustomization in `flux-system/` is the root, not another of the same path beside it (an
/// `apps` Kustomization whose own artifact is pushed from elsewhere).
fn artifact_candidates(view: &TreeView<'_>, paths: &[&str]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for path in paths {
        let fs = parent(path);
        if fs.rsplit('/').next() != Some("flux-system") {
            continue;
        }
        let dir = parent(fs);
        let Some(file) = view.file(path) else { continue };
        for doc in &file.yaml.documents {
            let Some(k) = FluxObject::new(&doc.root).filter(|_| is_flux_kustomization(&doc.root)) else { continue };
            if !k.source_ref().is_some_and(|s| matches!(s.kind_or("GitRepository"), "OCIRepository" | "Bucket")) {
                continue;
            }
            let Some(p) = own_path(&doc.root) else { continue };
            let root = if p.is_empty() {
                Some(dir)
            } else if p == dir {
                Some("")
            } else {
                dir.strip_suffix(p.as_str()).and_then(|r| r.strip_suffix('/'))
            };
            if let Some(r) = root {
                out.push((dir.to_string(), r.to_string(), ks_id(&doc.root)));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The directory of the checked tree a `--source` mapping of the FluxInstance's sync source points
/// at (`--source oci://…=<root>/deploy`), when `path` is a directory below it: the user said which
/// directory the artifact is made of.
fn mapped_source_root(trees: &Trees<'_>, spec: &InstanceSpec<'_>, path: &str) -> Option<String> {
    let kind = spec.sync_kind().unwrap_or("GitRepository");
    let name = spec.sync_name().unwrap_or("flux-system");
    let root = trees.trees[0].root.canonicalize().ok()?;
    trees.mappings.iter().enumerate().find_map(|(i, m)| {
        if !m.matches(kind, "flux-system", name, spec.sync_url(), spec.sync_ref()) {
            return None;
        }
        let dir = trees.trees.get(i + 1)?.root.canonicalize().ok()?;
        let rel = fleetlint_yaml::relpath::relative_slash_path(std::path::Path::new(""), dir.strip_prefix(&root).ok()?);
        let rel = rel.trim_matches('/').to_string();
        (!rel.is_empty() && trees.views[0].is_dir(&join_in_root(&rel, path).unwrap_or_default())).then_some(rel)
    })
}

/// The globs of `--clusters`/`clusters`: `*` stays within a directory, `**` crosses them.
fn glob_set(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(g) = GlobBuilder::new(g.trim_end_matches('/')).literal_separator(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// The directory `R` under which `path` exists, for a source whose artifact is a subdirectory
/// of the checked tree (an OCI artifact pushed from `./deploy`, a repository kept in
/// `samples/<repo>`): the unique directory `R` with `R/path` present, named after the
/// repository when `url` says so. `Err` lists the candidates when there are several.
fn source_root_for(view: &TreeView<'_>, path: &str, url: Option<&str>) -> Result<Option<String>, Vec<String>> {
    if path.is_empty() || view.is_dir(path) {
        return Ok(None);
    }
    let suffix = format!("/{path}");
    let mut found: Vec<String> =
        view.dirs().filter_map(|d| d.strip_suffix(suffix.as_str())).map(str::to_string).collect();
    found.sort();
    // A URL narrows them to the directories named after the repository, when there are any (an
    // OCI repository is rarely named after a directory).
    if found.len() > 1
        && let Some(repo) =
            url.map(crate::sources::normalize_url).and_then(|u| u.rsplit('/').next().map(str::to_string))
        && found.iter().any(|r| r.rsplit('/').next() == Some(repo.as_str()))
    {
        found.retain(|r| r.rsplit('/').next() == Some(repo.as_str()));
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(found),
    }
}

/// Find the roots of the checked tree. `globs` (from `--clusters` or the config) select which.
#[must_use]
pub(crate) fn discover(trees: &Trees<'_>, globs: &[String]) -> Discovery {
    let view = &trees.views[0];
    let mut found: BTreeMap<String, EntryPoint> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut issues = Vec::new();
    // Bootstrap leftovers: roots only while nothing else is one (then rejected for this reason).
    let mut weak: BTreeMap<String, RejectReason> = BTreeMap::new();
    // Only what the root source's artifact holds can be a cluster path.
    let mut paths: Vec<&str> = view.files().filter(|(_, f)| f.ignored.is_none()).map(|(p, _)| p).collect();
    paths.sort_unstable();

    // Bootstrap directories.
    for path in &paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !matches!(name, "gotk-sync.yaml" | "gotk-components.yaml") {
            continue;
        }
        let fs = parent(path);
        if fs.rsplit('/').next() != Some("flux-system") && fs != "flux-system" {
            continue;
        }
        let dir = parent(fs).to_string();
        if found.contains_key(&dir) || rejected.iter().any(|r: &Rejected| r.path == dir) {
            continue;
        }
        let sync_path = join_in_root(fs, "gotk-sync.yaml").unwrap_or_default();
        let sync = view.file(&sync_path);
        let real_sync = sync.is_some_and(|f| !is_placeholder(&f.yaml.documents));
        let span = file_span(view, &sync_path).or_else(|| file_span(view, path)).unwrap_or_default();
        let (kind, reason) = if real_sync {
            (EntryKind::GotkSync, FoundReason::GotkSync)
        } else {
            (EntryKind::Synthesized, FoundReason::BootstrapPlaceholder)
        };
        let mut entry = entry(dir.clone(), kind, span, reason);
        entry.flux_system = Some(fs.to_string());
        if real_sync {
            // The committed root may sit in a repository kept in a subdirectory (its URL ends in
            // that directory's name) or in an artifact pushed from one.
            let root_ks =
                sync.into_iter().flat_map(|f| &f.yaml.documents).map(|d| &d.root).find(|r| is_flux_kustomization(r));
            // The repository kept in a subdirectory is named like it: a GitRepository's artifact
            // is the whole repository at its URL, so a `gotk-sync.yaml` below a directory named
            // otherwise (an `archive/` of an old layout) builds the checked repository's path.
            let url_repo = sync
                .into_iter()
                .flat_map(|f| &f.yaml.documents)
                .filter_map(|d| FluxObject::new(&d.root))
                .find_map(|s| s.url())
                .map(crate::sources::normalize_url)
                .and_then(|u| u.rsplit('/').next().map(str::to_string));
            if let Some(k) = root_ks.and_then(FluxObject::new) {
                let p = clamp_flux_path(k.path_str()).0;
                let kept_in = |r: &str| url_repo.as_deref().is_none_or(|u| r.rsplit('/').next() == Some(u));
                if p != dir && dir.ends_with(&format!("/{p}")) && kept_in(&dir[..dir.len() - p.len() - 1]) {
                    entry.source_root = Some(dir[..dir.len() - p.len() - 1].to_string());
                } else if p != dir && !crate::substitute::has_reference(k.path_str()) {
                    // A bootstrap template copied per cluster: its root builds another directory.
                    rejected.push(Rejected {
                        path: dir.clone(),
                        reason: RejectReason::SyncPathElsewhere { path: k.path_str().to_string() },
                    });
                    continue;
                } else if p == dir && view.kustomization_file(&dir).is_some() {
                    // `flux bootstrap` writes `<path>/flux-system/gotk-sync.yaml` and generates
                    // a kustomization.yaml only in `<path>/flux-system`
                    // (fluxcd/flux2@da2d22d3:pkg/bootstrap/bootstrap_plain_git.go
                    // `ReconcileSyncConfig`, `kustomization.Generate` with
                    // `TargetPath: filepath.Dir(manifests.Path)`); `<path>` without a
                    // kustomization.yaml is generated by kustomize-controller and includes
                    // `flux-system/`. A kustomization.yaml written at `<path>` that does not reach
                    // `flux-system/` means the root does not render itself: a bootstrap left
                    // behind when the fleet moved on (a root only while nothing else is one).
                    let id = root_ks.map(ks_id).unwrap_or_default();
                    if !renders_root(trees, &dir, &id) {
                        weak.insert(dir.clone(), RejectReason::StaleBootstrap { kustomization: id });
                    }
                }
            }
        } else if sync.is_none() && view.kustomization_file(fs).is_none() {
            // Only `gotk-components.yaml` (Flux's components, applied by hand with
            // `kubectl apply -f`): nothing here defines a root.
            weak.insert(dir.clone(), RejectReason::ComponentsOnly);
        }
        found.insert(dir, entry);
    }

    // FluxInstances.
    for path in &paths {
        let Some(file) = view.file(path) else { continue };
        for doc in &file.yaml.documents {
            let Some(spec) = InstanceSpec::of(&doc.root) else { continue };
            let mut source_root = None;
            let dir = match spec.sync_path() {
                Some(p) => {
                    let p = clamp_flux_path(p).0;
                    match mapped_source_root(trees, &spec, &p)
                        .map_or_else(|| source_root_for(view, &p, spec.sync_url()), |r| Ok(Some(r)))
                    {
                        Ok(Some(r)) => {
                            let d = join_in_root(&r, &p).unwrap_or_default();
                            source_root = Some(r);
                            d
                        }
                        Ok(None) => p,
                        Err(candidates) => {
                            let at = spec.0.get_path(&["sync", "path"]).map_or(doc.root.span, |n| n.span);
                            ambiguous(&p, &candidates, at, &mut rejected, &mut issues);
                            continue;
                        }
                    }
                }
                None => {
                    let d = parent(path);
                    if d.ends_with("flux-system") { parent(d).to_string() } else { d.to_string() }
                }
            };
            if found.contains_key(&dir) || !view.is_dir(&dir) {
                continue;
            }
            let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
            let carrier = ObjectView::new(&doc.root)
                .map(|v| format!("{}/{}/{}", v.kind(), v.namespace().unwrap_or(""), v.name().unwrap_or("")))
                .unwrap_or_default();
            let mut e =
                entry(dir.clone(), EntryKind::FluxInstance, doc.root.span, FoundReason::FluxInstance { carrier });
            e.flux_system = view.is_dir(&fs).then_some(fs);
            e.instance = Some(spec.0.clone());
            e.source_root = source_root;
            found.insert(dir, e);
        }
    }

    // FluxInstances in the values a flux-instance HelmRelease takes from generated ConfigMaps
    // (directly or inside a ResourceSet).
    for vi in instance_values::instances(trees, view, &paths) {
        let Some(p) = InstanceSpec(&vi.spec).sync_path().map(|p| clamp_flux_path(p).0) else { continue };
        let spec = InstanceSpec(&vi.spec);
        let found_root = mapped_source_root(trees, &spec, &p)
            .map_or_else(|| source_root_for(view, &p, spec.sync_url()), |r| Ok(Some(r)));
        let (dir, source_root) = match found_root {
            Ok(Some(r)) => (join_in_root(&r, &p).unwrap_or_default(), Some(r)),
            Ok(None) => (p, None),
            Err(candidates) => {
                let at = vi.spec.get_path(&["sync", "path"]).map_or(vi.span, |n| n.span);
                ambiguous(&p, &candidates, at, &mut rejected, &mut issues);
                continue;
            }
        };
        if found.contains_key(&dir) || !view.is_dir(&dir) {
            continue;
        }
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        let reason = FoundReason::FluxInstance { carrier: vi.carrier };
        let mut e = entry(dir.clone(), EntryKind::FluxInstance, vi.span, reason);
        e.flux_system = view.is_dir(&fs).then_some(fs);
        e.instance = Some(vi.spec);
        e.source_root = source_root;
        found.insert(dir, e);
    }

    // Self-managing roots.
    let (named, unresolved) = candidate_index(view, &paths);
    // Each candidate's build depends only on the tree, not on the other candidates or on what
    // was found so far, so they run in parallel; the results are taken in the candidates' order.
    // (On one thread these builds were a quarter of a 2,000-tenant check's CPU time, with the
    // other core idle: issue 13.)
    let todo: Vec<&String> =
        named.keys().filter(|dir| !found.get(*dir).is_some_and(|e| e.kind != EntryKind::Synthesized)).collect();
    let mut roots: Vec<Option<SelfRoot>> = todo.par_iter().map(|dir| self_root(trees, dir, None)).collect();
    let mut roots: BTreeMap<&String, Option<SelfRoot>> = todo.into_iter().zip(roots.drain(..)).collect();
    for (dir, mentions) in &named {
        let Some(root) = roots.remove(dir) else { continue };
        match root {
            Some(root) => {
                let span = root.kustomization.span;
                let source_defined = root.source.is_some();
                let (k, ns, n) = &root.source_id;
                let reason = FoundReason::SelfManaged {
                    kustomization: ks_id(&root.kustomization),
                    source: format!("{k}/{ns}/{n}"),
                    source_defined,
                };
                let mut e = entry(dir.clone(), EntryKind::SelfManaged, span, reason);
                e.flux_system = found.get(dir).and_then(|old| old.flux_system.clone());
                e.self_root = Some(root);
                found.insert(dir.clone(), e);
                weak.remove(dir);
            }
            None => {
                // Only a Kustomization that lives below the directory claims to manage it.
                // Only a root Kustomization (named flux-system, or in the directory's flux-system)
                // that lives below the directory claims to manage it.
                let claims = |m: &&Mention| {
                    is_below(&m.file, dir)
                        && (m.kustomization.ends_with("/flux-system")
                            || parent(&m.file) == join_in_root(dir, "flux-system").unwrap_or_default())
                };
                if let Some(m) = mentions.iter().find(claims) {
                    rejected.push(Rejected {
                        path: dir.clone(),
                        reason: RejectReason::NotSelfRendered { kustomization: m.kustomization.clone() },
                    });
                }
            }
        }
    }
    // Roots applied by hand from a directory above them.
    for (dir, from) in applied_by_hand(trees, &named, &found) {
        if rejected.iter().any(|r: &Rejected| r.path == dir || r.path == from) {
            continue;
        }
        let Some(root) = root_in_build(trees, &from, &dir, None, None).filter(|r| r.source.is_some()) else {
            continue;
        };
        let (k, ns, n) = &root.source_id;
        let reason = FoundReason::AppliedByHand {
            kustomization: ks_id(&root.kustomization),
            source: format!("{k}/{ns}/{n}"),
            from: from.clone(),
        };
        let mut e = entry(dir.clone(), EntryKind::SelfManaged, root.kustomization.span, reason);
        e.self_root = Some(root);
        found.insert(dir, e);
    }

    // Self-managing roots whose source is an artifact made of a directory of the tree.
    for (dir, artifact_root, id) in artifact_candidates(view, &paths) {
        if found.get(&dir).is_some_and(|e| e.kind != EntryKind::Synthesized) {
            continue;
        }
        let Some(root) = root_in_build(trees, &dir, &dir, Some(&artifact_root), Some(&id)) else { continue };
        let (k, ns, n) = &root.source_id;
        let reason = FoundReason::SelfManaged {
            kustomization: ks_id(&root.kustomization),
            source: format!("{k}/{ns}/{n}"),
            source_defined: root.source.is_some(),
        };
        let mut e = entry(dir.clone(), EntryKind::SelfManaged, root.kustomization.span, reason);
        e.flux_system = join_in_root(&dir, "flux-system");
        e.source_root = (!artifact_root.is_empty()).then_some(artifact_root);
        e.self_root = Some(root);
        weak.remove(&dir);
        found.insert(dir, e);
    }
    for (raw, m) in unresolved {
        if m.kustomization.ends_with("/flux-system") {
            rejected.push(Rejected {
                path: parent(&m.file).to_string(),
                reason: RejectReason::PathUnresolved { kustomization: m.kustomization, path: raw },
            });
        }
    }

    // A `flux-system` kustomization next to Flux Kustomizations (bootstrap files generated
    // elsewhere, as in template repos).
    for path in &paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        let fs = parent(path);
        if name != "kustomization.yaml" || fs.rsplit('/').next() != Some("flux-system") {
            continue;
        }
        let dir = parent(fs);
        let decided = rejected.iter().any(|r: &Rejected| r.path == dir);
        if decided || found.contains_key(dir) || found.keys().any(|d| is_below(d, dir)) {
            continue;
        }
        let has_flux_ks = paths
            .iter()
            .filter(|p| parent(p) == dir)
            .any(|p| view.file(p).is_some_and(|f| f.yaml.documents.iter().any(|d| is_flux_kustomization(&d.root))));
        if has_flux_ks {
            let span = file_span(view, path).unwrap_or_default();
            let mut e = entry(dir.to_string(), EntryKind::Synthesized, span, FoundReason::BootstrapPlaceholder);
            e.flux_system = Some(fs.to_string());
            found.insert(dir.to_string(), e);
        }
    }

    // Nothing but self-managing candidates, none of them under `clusters/`: the `clusters/*`
    // convention still applies (a conventional root that builds such a candidate makes it part
    // of its cluster). Self-managing roots under `clusters/` are the repository's own layout,
    // and their shared bases there are not clusters (issue 11 layout 6).
    let only_self_managed =
        found.iter().filter(|(d, _)| !weak.contains_key(*d)).all(|(_, e)| e.kind == EntryKind::SelfManaged);
    if globs.is_empty() && only_self_managed && !found.keys().any(|d| is_below(d, "clusters")) {
        convention(view, &paths, &mut found);
    }

    // Bootstrap leftovers are roots only when nothing else is: never beside real roots.
    if found.keys().any(|d| !weak.contains_key(d)) {
        for (dir, reason) in weak {
            if found.remove(&dir).is_some() {
                rejected.push(Rejected { path: dir, reason });
            }
        }
    }

    // Never a synthesized root above real roots.
    let real: Vec<String> =
        found.values().filter(|e| e.kind != EntryKind::Synthesized).map(|e| e.dir.clone()).collect();
    found.retain(|dir, e| {
        if e.kind != EntryKind::Synthesized {
            return true;
        }
        let below: Vec<String> = real.iter().filter(|r| *r != dir && is_below(r, dir)).cloned().collect();
        if below.is_empty() {
            return true;
        }
        rejected.push(Rejected { path: dir.clone(), reason: RejectReason::RootsBelow { roots: below } });
        false
    });

    if !globs.is_empty() {
        select(view, &paths, globs, &mut found, &mut rejected);
    }
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    rejected.dedup();
    Discovery { entries: found.into_values().collect(), rejected, issues }
}

/// A root path found below several directories: each candidate is rejected, and the fact that
/// no cluster was built there is an issue at the path (never a guess).
fn ambiguous(path: &str, candidates: &[String], at: Span, rejected: &mut Vec<Rejected>, issues: &mut Vec<FleetIssue>) {
    let dirs: Vec<String> = candidates.iter().map(|c| join_in_root(c, path).unwrap_or_default()).collect();
    for d in &dirs {
        rejected
            .push(Rejected { path: d.clone(), reason: RejectReason::AmbiguousSourceRoot { path: path.to_string() } });
    }
    issues.push(FleetIssue {
        kind: FleetIssueKind::AmbiguousSourceRoot { path: path.to_string(), candidates: dirs },
        span: at,
        object: None,
        field: "spec.sync.path".to_string(),
    });
}

/// The `clusters/*` convention: each directory below `clusters/` is a root with synthesized
/// bootstrap objects, unless a root was found there already.
fn convention(view: &TreeView<'_>, paths: &[&str], found: &mut BTreeMap<String, EntryPoint>) {
    let mut dirs: Vec<String> = paths
        .iter()
        .filter_map(|p| p.strip_prefix("clusters/"))
        .filter_map(|rest| rest.split_once('/').map(|(d, _)| format!("clusters/{d}")))
        .collect();
    dirs.dedup();
    for dir in dirs {
        if found.contains_key(&dir) {
            continue;
        }
        let first = paths.iter().find(|p| is_below(p, &dir)).copied();
        let span = first.and_then(|p| file_span(view, p)).unwrap_or_default();
        let mut e = entry(dir.clone(), EntryKind::Synthesized, span, FoundReason::Convention);
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        e.flux_system = view.is_dir(&fs).then_some(fs);
        found.insert(dir, e);
    }
}

/// Keep the roots at or below the directories the globs name; a named directory with no root
/// found becomes a root of its own (entry `config`).
fn select(
    view: &TreeView<'_>,
    paths: &[&str],
    globs: &[String],
    found: &mut BTreeMap<String, EntryPoint>,
    rejected: &mut Vec<Rejected>,
) {
    let set = glob_set(globs);
    let mut dirs: Vec<String> = paths
        .iter()
        .flat_map(|p| {
            let mut out = Vec::new();
            let mut d = parent(p);
            while !d.is_empty() {
                out.push(d.to_string());
                d = parent(d);
            }
            out
        })
        .filter(|d| set.is_match(d))
        .collect();
    dirs.sort();
    dirs.dedup();
    found.retain(|d, _| {
        let keep = dirs.iter().any(|s| d == s || is_below(d, s));
        if !keep {
            rejected.push(Rejected { path: d.clone(), reason: RejectReason::NotSelected });
        }
        keep
    });
    for dir in dirs {
        if found.keys().any(|d| *d == dir || is_below(d, &dir)) {
            continue;
        }
        let first = paths.iter().find(|p| is_below(p, &dir)).copied();
        let span = first.and_then(|p| file_span(view, p)).unwrap_or_default();
        let glob = globs.iter().find(|g| glob_set(std::slice::from_ref(g)).is_match(&dir)).cloned().unwrap_or_default();
        let mut e = entry(dir.clone(), EntryKind::Config, span, FoundReason::Config { glob });
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        e.flux_system = view.is_dir(&fs).then_some(fs);
        found.insert(dir, e);
    }
}

fn entry(dir: String, kind: EntryKind, span: Span, reason: FoundReason) -> EntryPoint {
    EntryPoint {
        dir,
        kind,
        span,
        flux_system: None,
        instance: None,
        self_root: None,
        found_by: FoundBy { span, reason },
        source_root: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_keep_star_within_a_directory() {
        let set = glob_set(&["clusters/*".to_string()]);
        assert!(set.is_match("clusters/a"));
        assert!(!set.is_match("clusters/a/flux"));
        assert!(glob_set(&["clusters/**".to_string()]).is_match("clusters/a/flux"));
    }
}
