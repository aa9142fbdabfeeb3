//! Candidates for self-managing roots: the index of the directories Flux Kustomizations (and
//! inline patches of `spec.path`) name, and whether a directory's build renders its own root
//! Kustomization (also applied by hand from a directory above, or from an artifact made of a
//! directory of the tree).

use std::collections::BTreeMap;

use fleetlint_yaml::relpath::clamp_flux_path;
use fleetlint_yaml::{Limits, Node, ObjectView, Span, parse_yaml};

use super::{EntryPoint, SelfRoot, is_below, is_flux_kustomization, ks_id, parent};
use crate::artifact::TreeView;
use crate::flux::FluxObject;
use crate::fluxbuild;
use crate::walk::Trees;

/// `spec.path` of a Flux Kustomization after its own `postBuild.substitute` (non-strict; `None`
/// when a variable has no value there: only the parent's graph can say what it becomes).
pub(super) fn own_path(root: &Node) -> Option<String> {
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
pub(super) struct Mention {
    /// The Kustomization's `namespace/name` (empty for a patch).
    pub(super) kustomization: String,
    /// The file that names it.
    pub(super) file: String,
}

/// The index of candidate roots: every directory some Flux Kustomization document (or an inline
/// patch of `spec.path` in a kustomization file) names as its path. One pass over the documents.
/// Candidate directories with the Kustomizations naming them, and the paths (as written) that
/// hold variables the Kustomization itself does not set.
pub(super) type CandidateIndex = (BTreeMap<String, Vec<Mention>>, Vec<(String, Mention)>);

pub(super) fn candidate_index(view: &TreeView<'_>, paths: &[&str]) -> CandidateIndex {
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
pub(super) fn self_root(trees: &Trees<'_>, dir: &str, artifact_root: Option<&str>) -> Option<SelfRoot> {
    root_in_build(trees, dir, dir, artifact_root, None)
}

/// The root of `dir` as the build of `built` renders it (`built` = `dir` for a self-managing
/// root; the directory applied by hand for [`applied_by_hand`]).
pub(super) fn root_in_build(
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
    // A GitRepository of another URL than the repository's own (the bootstrap GitRepository
    // `flux-system` the same build defines) is another repository: kustomize-controller joins
    // `spec.path` inside that source's artifact (fluxcd/kustomize-controller@186fb3b
    // internal/controller/kustomization_controller.go `reconcile`: `securejoin.SecureJoin(tmpDir,
    // obj.Spec.Path)` after fetching `spec.sourceRef`'s artifact), so the path is not this
    // directory (round 3, tyzbit/fleet-infra: a secrets repository's `./clusters/workbench`).
    if kind == "GitRepository" && name != "flux-system" {
        let own = out.resources.iter().map(|r| &r.root).find_map(|r| {
            let v = ObjectView::new(r)?;
            (v.kind() == "GitRepository" && v.name() == Some("flux-system")).then(|| FluxObject::new(r)?.url())?
        });
        if let (Some(own), Some(url)) = (own, url)
            && crate::sources::normalize_url(own) != crate::sources::normalize_url(url)
        {
            return None;
        }
    }
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
pub(super) fn renders_root(trees: &Trees<'_>, dir: &str, id: &str) -> bool {
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
pub(super) fn applied_by_hand(
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
pub(super) fn artifact_candidates(view: &TreeView<'_>, paths: &[&str]) -> Vec<(String, String, String)> {
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
            let Some(sref) =
                k.source_ref().filter(|s| matches!(s.kind_or("GitRepository"), "OCIRepository" | "Bucket"))
            else {
                continue;
            };
            if distribution_source(view, paths, fs, sref.name()) {
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

/// Whether the OCIRepository `name` defined in `dir` pulls a Flux distribution artifact (the
/// install manifests each Flux release publishes as `oci://ghcr.io/fluxcd/flux-manifests`,
/// fluxcd/flux2 README "To download the Kubernetes manifests: `flux pull artifact
/// oci://ghcr.io/fluxcd/flux-manifests:<version>`"; flux-operator's
/// `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests`): a Kustomization of it with
/// `path: ./` applies Flux's own manifests, not a directory of this repository.
fn distribution_source(view: &TreeView<'_>, paths: &[&str], dir: &str, name: &str) -> bool {
    paths.iter().filter(|p| parent(p) == dir).filter_map(|p| view.file(p)).any(|f| {
        f.yaml.documents.iter().any(|d| {
            ObjectView::new(&d.root).is_some_and(|v| v.kind() == "OCIRepository" && v.name() == Some(name))
                && d.root.get_path(&["spec", "url"]).and_then(Node::as_str).is_some_and(|u| {
                    let u = u.trim_end_matches('/');
                    u == "oci://ghcr.io/fluxcd/flux-manifests"
                        || u == "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests"
                })
        })
    })
}
