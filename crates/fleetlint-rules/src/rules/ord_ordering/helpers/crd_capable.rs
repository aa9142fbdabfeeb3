//! Which objects whose output is unknown may still render a CRD (issue 14 point 9).
//!
//! An opaque Kustomization (source not mapped, build failing, not expanded) or an unrendered
//! ResourceSet may apply anything, so the ORD rules take it as a possible provider of whatever a
//! later object needs. For CRDs that is too generous in one case the tree settles: a
//! Kustomization whose build fails over a local tree, whose directory fleetlint can read
//! completely. kustomize builds only what the directory's kustomization lists, or, without
//! one, what kustomize-controller's generator adds (every YAML manifest below the path;
//! fluxcd/kustomize-controller@186fb3b `internal/generator/kustomization_generator.go`,
//! `generateKustomization`, via fluxcd/pkg `kustomize`). When no file below the path is a
//! CustomResourceDefinition or an object that installs things in turn (a Flux Kustomization, a
//! HelmRelease, a ResourceSet), and no kustomization below it reaches outside the path or into
//! something fleetlint does not read (a remote, a Helm chart, a generator or transformer
//! plugin), the build cannot produce a CRD whatever is fixed: a SOPS-only secrets directory
//! does not hide a missing CRD ordering.

use fleetlint_fleet::SourceResolution;
use fleetlint_fleet::graph::{FluxGraph, Opacity};
use fleetlint_yaml::{FileDb, FluxKind, LoadedTree, Node, ObjectView};

use crate::context::ClusterContext;

/// Kustomization fields that bring in content fleetlint does not see as files below the path:
/// Helm charts (kubernetes-sigs/kustomize@12f9e639 `api/internal/target/kusttarget.go`
/// `runGenerators`: `helmCharts` / `helmChartInflationGenerator`), generator and transformer
/// plugins (`generators`, `transformers`, `validators`).
const OPAQUE_FIELDS: &[&str] =
    &["helmCharts", "helmChartInflationGenerator", "generators", "transformers", "validators"];

/// Kustomization fields listing files or directories whose content is built
/// (kusttarget.go `accumulateTarget`: `resources`, the deprecated `bases`, `components`, and
/// `crds`, read as CRD files).
const CONTENT_FIELDS: &[&str] = &["resources", "bases", "components", "crds"];

/// The objects of `opaque` that may render a CustomResourceDefinition.
pub(crate) fn crd_capable(cx: &ClusterContext<'_>, g: &FluxGraph<'_>, opaque: &[usize]) -> Vec<usize> {
    opaque
        .iter()
        .copied()
        .filter(|&i| {
            if g.opacity(i) != Some(Opacity::BuildFails) {
                return true;
            }
            let Some(node) = g.kustomization_node(i) else { return true };
            let SourceResolution::Tree(t) = node.source else { return true };
            let Some(tree) = cx.trees.get(t) else { return true };
            node.path.contains("${") || may_render_crd(cx.db, tree, &node.path)
        })
        .collect()
}

/// Whether the files below `path` in `tree` may build into a CRD (see the module comment);
/// `true` whenever fleetlint cannot tell.
fn may_render_crd(db: &FileDb, tree: &LoadedTree, path: &str) -> bool {
    let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
    let below = |p: &str| p.starts_with(&prefix);
    // Both lists are sorted by path (`load_tree`): the files below the path are one run of each,
    // found by binary search, so a fleet with many failing builds is not scanned once per build.
    let others = &tree.other_files[tree.other_files.partition_point(|p| p.as_str() < prefix.as_str())..];
    // Files other than the parsed YAML ones (JSON manifests) may be listed as resources: their
    // content is not known here.
    if others.iter().take_while(|p| below(p)).any(|p| p.ends_with(".json")) {
        return true;
    }
    let first = tree.files.partition_point(|f| db.get(f.id).path.as_str() < prefix.as_str());
    let mut seen = false;
    for f in &tree.files[first..] {
        let file = db.get(f.id).path.as_str();
        if !below(file) {
            break;
        }
        seen = true;
        if f.yaml.is_broken() {
            return true;
        }
        let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
        let kustomization = fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES.contains(&name);
        for doc in &f.yaml.documents {
            if kustomization {
                if reaches_out(&doc.root, dir, &prefix) {
                    return true;
                }
                continue;
            }
            let Some(object) = ObjectView::new(&doc.root) else { continue };
            let installs = matches!(
                object.flux_kind(),
                Some(FluxKind::Kustomization | FluxKind::HelmRelease | FluxKind::ResourceSet)
            );
            if installs || object.kind() == "CustomResourceDefinition" {
                return true;
            }
        }
    }
    // A path with nothing fleetlint read below it: unknown.
    !seen
}

/// Whether a kustomization in `dir` builds content from outside `prefix` or that fleetlint does
/// not read (see [`OPAQUE_FIELDS`]).
fn reaches_out(root: &Node, dir: &str, prefix: &str) -> bool {
    if OPAQUE_FIELDS.iter().any(|k| root.get(k).is_some_and(|v| !v.is_null())) {
        return true;
    }
    CONTENT_FIELDS.iter().filter_map(|k| root.get(k)).any(|entries| {
        let Some(entries) = entries.as_seq() else { return !entries.is_null() };
        entries.iter().any(|e| {
            let Some(entry) = e.as_str() else { return true };
            if entry.contains("://") || entry.starts_with("git@") || entry.starts_with("github.com/") {
                return true;
            }
            match fleetlint_yaml::relpath::join_in_root(dir, entry) {
                Some(joined) => !(joined.starts_with(prefix) || format!("{joined}/") == prefix),
                None => true,
            }
        })
    })
}
