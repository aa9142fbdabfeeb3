//! Cluster entry points: found anywhere in the checked tree (docs/flux-semantics.md#entry-points): `flux-system`
//! directories with bootstrap files, FluxInstances (also inside a `flux-instance` HelmRelease's
//! values), `flux-system` kustomizations next to Flux Kustomizations; or the config's globs;
//! and, when nothing else says, the `clusters/*` convention.

use std::collections::BTreeMap;

use globset::{Glob, GlobSetBuilder};

use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{Node, ObjectView, Span};

use crate::artifact::TreeView;
use crate::bootstrap::is_placeholder;
use crate::flux::InstanceSpec;
use crate::model::EntryKind;

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
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_span(view: &TreeView<'_>, path: &str) -> Option<Span> {
    view.file(path).map(|f| Span::empty(f.id, 0))
}

/// Find the entry points of the checked tree. `globs` (from `--clusters` or the config) replace
/// discovery when given.
#[must_use]
pub(crate) fn discover(view: &TreeView<'_>, globs: &[String]) -> Vec<EntryPoint> {
    let mut found: BTreeMap<String, EntryPoint> = BTreeMap::new();
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
        if found.contains_key(&dir) {
            continue;
        }
        let sync = view.file(&join_in_root(fs, "gotk-sync.yaml").unwrap_or_default());
        let real_sync = sync.is_some_and(|f| !is_placeholder(&f.yaml.documents));
        let span = file_span(view, &join_in_root(fs, "gotk-sync.yaml").unwrap_or_default())
            .or_else(|| file_span(view, path))
            .unwrap_or_default();
        let kind = if real_sync { EntryKind::GotkSync } else { EntryKind::Synthesized };
        found.insert(dir.clone(), EntryPoint { dir, kind, span, flux_system: Some(fs.to_string()), instance: None });
    }

    // FluxInstances.
    for path in &paths {
        let Some(file) = view.file(path) else { continue };
        for doc in &file.yaml.documents {
            let Some(spec) = InstanceSpec::of(&doc.root) else { continue };
            let sync_path = spec.sync_path();
            let dir = match sync_path {
                Some(p) => clamp_flux_path(p).0,
                None => {
                    let d = parent(path);
                    if d.ends_with("flux-system") { parent(d).to_string() } else { d.to_string() }
                }
            };
            if found.contains_key(&dir) || !view.is_dir(&dir) {
                continue;
            }
            let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
            found.insert(
                dir.clone(),
                EntryPoint {
                    dir,
                    kind: EntryKind::FluxInstance,
                    span: doc.root.span,
                    flux_system: view.is_dir(&fs).then_some(fs),
                    instance: Some(spec.0.clone()),
                },
            );
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
        if found.contains_key(dir) || found.keys().any(|d| d.starts_with(&format!("{dir}/"))) {
            continue;
        }
        let has_flux_ks = paths.iter().filter(|p| parent(p) == dir).any(|p| {
            view.file(p).is_some_and(|f| {
                f.yaml.documents.iter().any(|d| {
                    ObjectView::new(&d.root)
                        .is_some_and(|v| v.kind() == "Kustomization" && v.group() == "kustomize.toolkit.fluxcd.io")
                })
            })
        });
        if has_flux_ks {
            found.insert(
                dir.to_string(),
                EntryPoint {
                    dir: dir.to_string(),
                    kind: EntryKind::Synthesized,
                    span: file_span(view, path).unwrap_or_default(),
                    flux_system: Some(fs.to_string()),
                    instance: None,
                },
            );
        }
    }

    let conventional = || -> Vec<String> {
        let mut dirs: Vec<String> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("clusters/"))
            .filter_map(|rest| rest.split_once('/').map(|(d, _)| format!("clusters/{d}")))
            .collect();
        dirs.dedup();
        dirs
    };
    let selected: Vec<String> = if globs.is_empty() {
        if found.is_empty() { conventional() } else { Vec::new() }
    } else {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            if let Ok(g) = Glob::new(g.trim_end_matches('/')) {
                b.add(g);
            }
        }
        let set = b.build().unwrap_or_else(|_| GlobSetBuilder::new().build().expect("empty glob set"));
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
        found.retain(|d, _| dirs.contains(d));
        dirs
    };
    for dir in selected {
        if found.contains_key(&dir) {
            continue;
        }
        let first = paths.iter().find(|p| p.starts_with(&format!("{dir}/"))).copied();
        let span = first.and_then(|p| file_span(view, p)).unwrap_or_default();
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        found.insert(
            dir.clone(),
            EntryPoint {
                dir,
                kind: EntryKind::Synthesized,
                span,
                flux_system: view.is_dir(&fs).then_some(fs),
                instance: None,
            },
        );
    }
    found.into_values().collect()
}

/// Cluster names: the entry directory's last component, or its whole path where those collide.
#[must_use]
pub(crate) fn cluster_names(dirs: &[&str]) -> Vec<String> {
    let base = |d: &str| d.rsplit('/').next().unwrap_or(d).to_string();
    dirs.iter()
        .map(|d| {
            let b = base(d);
            let collides = dirs.iter().filter(|o| base(o) == b).count() > 1;
            if collides || b.is_empty() { if d.is_empty() { ".".to_string() } else { (*d).to_string() } } else { b }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_names_use_the_path() {
        let names = cluster_names(&["a/cluster", "b/cluster", "clusters/prod"]);
        assert_eq!(names, vec!["a/cluster", "b/cluster", "prod"]);
    }
}
