//! `--new-since REF`: check the repository as it was at git REF and keep only the findings that
//! are new, plus HYG004 for what the change would make Flux delete.
//!
//! REF is read in-process with gitoxide (`gix`), never by running `git`: fleetlint executes
//! nothing. The repository is opened isolated (`gix::open::Options::isolated()`: only the
//! repository's own configuration, no environment, no `git` binary to locate system
//! configuration), REF's tree is written into a temporary directory (regular files only: symlinks
//! and submodules are skipped, as the walk skips them), and the working tree is never touched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fleetlint_fleet::{LoadOptions, Session, load};
use fleetlint_rules::{CheckOutcome, DESTRUCTIVE_CHANGE, Rule, Selection, check_selected, destructive_changes};
use fleetlint_yaml::Limits;

use crate::FleetArgs;

/// Write the tree of `reference` in the repository holding `root` into `into`; returns the
/// directory in `into` that corresponds to `root`.
fn extract(root: &Path, reference: &str, into: &Path) -> Result<PathBuf, String> {
    let repo = gix::discover_opts(root, gix::discover::upwards::Options::default(), gix::open::Options::isolated())
        .map_err(|e| format!("--new-since {reference}: {} is not in a git repository: {e}", root.display()))?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| format!("--new-since {reference}: the repository of {} has no working tree", root.display()))?;
    let rel = root
        .canonicalize()
        .ok()
        .zip(workdir.canonicalize().ok())
        .and_then(|(r, w)| r.strip_prefix(&w).ok().map(Path::to_path_buf))
        .unwrap_or_default();
    let id = match repo.rev_parse_single(reference) {
        Ok(id) => id,
        Err(e) => {
            if repo.is_shallow().unwrap_or(false) {
                return Err(format!(
                    "--new-since {reference}: {reference} is not in this shallow clone; fetch it first (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
                ));
            }
            return Err(format!("--new-since {reference}: no such commit, branch or tag: {e}"));
        }
    };
    let missing = |e: &dyn std::fmt::Display| {
        let shallow = if repo.is_shallow().unwrap_or(false) {
            " (this is a shallow clone; fetch REF with its history, e.g. `git fetch --unshallow`)"
        } else {
            ""
        };
        format!("--new-since {reference}: cannot read its tree: {e}{shallow}")
    };
    let tree = id.object().and_then(|o| o.peel_to_tree()).map_err(|e| missing(&e))?;
    write_tree(&repo, &tree, into).map_err(|e| missing(&e))?;
    Ok(into.join(rel))
}

/// Write the blobs of `tree` under `dir`, recursively.
fn write_tree(repo: &gix::Repository, tree: &gix::Tree<'_>, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    for entry in tree.iter() {
        let entry = entry?;
        let name = entry.filename().to_string();
        // Git forbids these names in trees it writes; refuse anything that could leave `dir`.
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\\') {
            continue;
        }
        let path = dir.join(&name);
        let mode = entry.mode();
        if mode.is_tree() {
            let sub = repo.find_object(entry.oid())?.peel_to_tree()?;
            write_tree(repo, &sub, &path)?;
        } else if mode.is_blob() {
            let blob = repo.find_object(entry.oid())?;
            std::fs::write(&path, &blob.data)?;
        }
        // Symlinks and submodules (commits) are not written: the walk never follows a symlink
        // and a submodule is another repository.
    }
    Ok(())
}

/// Leave out of `outcome` the findings the repository already had at `reference`, and add
/// HYG004 for objects applied with prune at `reference` that `head` no longer applies.
pub(crate) fn apply(
    args: &FleetArgs,
    reference: &str,
    selection: &Selection,
    rules: &[&dyn Rule],
    head: &Session,
    outcome: &mut CheckOutcome,
) -> Result<(), String> {
    let tmp = tempfile::Builder::new()
        .prefix("fleetlint-new-since-")
        .tempdir()
        .map_err(|e| format!("--new-since: cannot create a temporary directory: {e}"))?;
    let base_root = extract(&args.path, reference, tmp.path())?;
    if !base_root.is_dir() {
        // The checked directory did not exist at REF: everything in it is new.
        return Ok(());
    }
    let base = load(&LoadOptions {
        root: base_root,
        sources: args.sources.clone(),
        // The configuration in force now, so both checks judge by the same rules and mappings.
        config: head.config.path.clone().or_else(|| args.config.clone()),
        clusters: args.clusters.clone(),
        cluster: args.cluster.clone(),
        limits: Limits::default(),
    })
    .map_err(|e| format!("--new-since {reference}: {e}"))?;
    let before = check_selected(&base, rules, selection);
    let mut known: HashMap<String, usize> = HashMap::new();
    for f in before.findings {
        *known.entry(f.fingerprint).or_default() += 1;
    }
    outcome.drop_known(&known);
    if selection.enabled(DESTRUCTIVE_CHANGE) {
        let found = destructive_changes(&base.fleet, &head.fleet, reference);
        outcome.add_findings(&head.db, selection, found);
    }
    Ok(())
}
