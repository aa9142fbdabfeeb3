//! Roots chosen by the user's globs (`--clusters`, `clusters` in the configuration), and the
//! `clusters/*` convention when nothing else finds a root.

use std::collections::BTreeMap;

use fleetlint_yaml::Node;
use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{EntryPoint, entry, file_span, is_below, parent};
use crate::artifact::TreeView;
use crate::model::{EntryKind, FoundReason, RejectReason, Rejected};

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

/// The `clusters/*` convention: each directory below `clusters/` is a root with synthesized
/// bootstrap objects, unless a root was found there already.
///
/// Not in a repository that another GitOps controller reconciles and Flux does not: with an
/// Argo CD object (`argoproj.io`) and no Flux object (a `*.toolkit.fluxcd.io` or
/// `fluxcd.controlplane.io` apiVersion) nothing says kustomize-controller builds these
/// directories (an Argo CD repository's `clusters/<name>/` of Applications and Helm values). A
/// repository with neither keeps the convention: Flux objects created outside Git (`flux create
/// kustomization`) leave plain manifests under `clusters/<name>/`. A directory without a Flux
/// object of its own is not a cluster either when it holds Argo CD objects (Argo CD applies
/// it, in a repository with Flux leftovers elsewhere) or when another directory's kustomization
/// includes it (a library of bases such as `clusters/common`); both are listed as rejected.
pub(super) fn convention(
    view: &TreeView<'_>,
    paths: &[&str],
    found: &mut BTreeMap<String, EntryPoint>,
    rejected: &mut Vec<Rejected>,
) {
    let group_in = |p: &str, flux: bool| {
        view.file(p).is_some_and(|f| {
            f.yaml.documents.iter().any(|d| {
                d.root.get("apiVersion").and_then(Node::as_str).is_some_and(|a| {
                    let group = a.split('/').next().unwrap_or("");
                    if flux {
                        group.ends_with(".toolkit.fluxcd.io") || group == "fluxcd.controlplane.io"
                    } else {
                        group == "argoproj.io"
                    }
                })
            })
        })
    };
    if !paths.iter().any(|p| group_in(p, true)) && paths.iter().any(|p| group_in(p, false)) {
        return;
    }
    let mut dirs: Vec<String> = paths
        .iter()
        .filter_map(|p| p.strip_prefix("clusters/"))
        .filter_map(|rest| rest.split_once('/').map(|(d, _)| format!("clusters/{d}")))
        .collect();
    dirs.dedup();
    let mut included: Option<Vec<(String, String)>> = None;
    for dir in dirs {
        if found.contains_key(&dir) {
            continue;
        }
        let below: Vec<&str> = paths.iter().copied().filter(|p| is_below(p, &dir)).collect();
        if !below.iter().any(|p| group_in(p, true)) {
            let reason = if let Some(argo) = below.iter().find(|p| group_in(p, false)) {
                Some(RejectReason::ArgoCdDirectory { file: (*argo).to_string() })
            } else {
                let included = included.get_or_insert_with(|| included_dirs(view, paths));
                included
                    .iter()
                    .find(|(target, from)| (*target == dir || is_below(target, &dir)) && !is_below(from, &dir))
                    .map(|(_, from)| RejectReason::BaseLibrary { file: from.clone() })
            };
            if let Some(reason) = reason {
                rejected.push(Rejected { path: dir.clone(), reason });
                continue;
            }
        }
        let first = below.first().copied();
        let span = first.and_then(|p| file_span(view, p)).unwrap_or_default();
        let mut e = entry(dir.clone(), EntryKind::Synthesized, span, FoundReason::Convention);
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        e.flux_system = view.is_dir(&fs).then_some(fs);
        found.insert(dir, e);
    }
}

/// `(directory, kustomization file)` for every local directory or file a kustomization file
/// includes through `resources`, `components` or `bases`, resolved from the file's directory.
fn included_dirs(view: &TreeView<'_>, paths: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in paths {
        let name = p.rsplit('/').next().unwrap_or(p);
        if !fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES.contains(&name) {
            continue;
        }
        let Some(f) = view.file(p) else { continue };
        let base = parent(p);
        for d in &f.yaml.documents {
            for key in ["resources", "components", "bases"] {
                for item in d.root.get(key).and_then(Node::as_seq).unwrap_or_default() {
                    let Some(text) = item.as_str().filter(|t| !t.contains("://") && !t.starts_with("github.com/"))
                    else {
                        continue;
                    };
                    let joined = if base.is_empty() { text.to_string() } else { format!("{base}/{text}") };
                    let (resolved, clamped) = clamp_flux_path(&joined);
                    if !clamped {
                        out.push((resolved, (*p).to_string()));
                    }
                }
            }
        }
    }
    out
}

/// Keep the roots at or below the directories the globs name; a named directory with no root
/// found becomes a root of its own (entry `config`).
pub(super) fn select(
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
