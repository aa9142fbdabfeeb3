//! Where a source's artifact sits in the checked tree, when it is not the whole tree: a
//! directory a `--source` mapping points at, or the unique directory holding the path; several
//! candidates are an ambiguity reported, never guessed.

use fleetlint_yaml::Span;
use fleetlint_yaml::relpath::join_in_root;

use crate::artifact::TreeView;
use crate::flux::InstanceSpec;
use crate::model::{FleetIssue, FleetIssueKind, RejectReason, Rejected};
use crate::walk::Trees;

/// The directory of the checked tree a `--source` mapping of the FluxInstance's sync source points
/// at (`--source oci://…=<root>/deploy`), when `path` is a directory below it: the user said which
/// directory the artifact is made of.
pub(super) fn mapped_source_root(trees: &Trees<'_>, spec: &InstanceSpec<'_>, path: &str) -> Option<String> {
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

/// The directory `R` under which `path` exists, for a source whose artifact is a subdirectory
/// of the checked tree (an OCI artifact pushed from `./deploy`, a repository kept in
/// `samples/<repo>`): the unique directory `R` with `R/path` present, named after the
/// repository when `url` says so. `Err` lists the candidates when there are several.
pub(super) fn source_root_for(
    view: &TreeView<'_>,
    path: &str,
    url: Option<&str>,
) -> Result<Option<String>, Vec<String>> {
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

/// A root path found below several directories: each candidate is rejected, and the fact that
/// no cluster was built there is an issue at the path (never a guess).
pub(super) fn ambiguous(
    path: &str,
    candidates: &[String],
    at: Span,
    rejected: &mut Vec<Rejected>,
    issues: &mut Vec<FleetIssue>,
) {
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
