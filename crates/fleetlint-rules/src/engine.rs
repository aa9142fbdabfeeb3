//! Runs the rules over loaded trees, applies suppression comments, fingerprints and sorts.

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use fleetlint_fleet::session::Session;
use fleetlint_yaml::{LoadedTree, SourceDb, Span};

use crate::context::{BuildContext, ClusterContext, FileContext};
use crate::finding::{Finding, Severity};
use crate::registry::all_rules;
use crate::rule::RuleId;

/// The result of running the rules.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Findings, sorted by file, position and code; suppressed ones removed.
    pub findings: Vec<Finding>,
    /// Findings silenced by `# fleetlint: ignore[...]` comments.
    pub suppressed: usize,
    /// YAML files read.
    pub files: usize,
    /// YAML documents read.
    pub documents: usize,
    /// Files that could not be used (invalid YAML, unreadable) and no build reaches.
    pub skipped_files: usize,
    /// Objects produced by the kustomize builds.
    pub objects: usize,
}

impl CheckOutcome {
    /// Count findings per severity: `(error, warning, info)`.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
    }
}

/// Run every rule over the session: per file, per tree's builds, per cluster; then merge the
/// same problem found in several clusters, drop shadowed copies and suppressed findings,
/// fingerprint and sort. What the builds reached and which files were skipped are the
/// session's facts; the engine only runs the rules.
#[must_use]
pub fn check(session: &Session) -> CheckOutcome {
    let rules = all_rules();
    let (db, trees, fleet) = (&session.db, session.trees.as_slice(), &session.fleet);
    let mut findings: Vec<Finding> = Vec::new();
    for (tree, builds) in trees.iter().zip(&session.builds) {
        let per_file: Vec<Vec<Finding>> = tree
            .files
            .par_iter()
            .map(|file| {
                let reached_by_build = builds.reached.contains(&file.id);
                let cx = FileContext { file, source: db.get(file.id), reached_by_build };
                let mut out = Vec::new();
                for rule in rules {
                    rule.check_file(&cx, &mut out);
                }
                out
            })
            .collect();
        findings.extend(per_file.into_iter().flatten());
        let cx = BuildContext { issues: &builds.issues, db, tree, fleet };
        for rule in rules {
            rule.check_build(&cx, &mut findings);
        }
    }
    let per_cluster: Vec<Vec<Finding>> = fleet
        .clusters
        .par_iter()
        .map(|cluster| {
            let cx = ClusterContext { cluster, fleet, db, trees };
            let mut out = Vec::new();
            for rule in rules {
                rule.check_cluster(&cx, &mut out);
            }
            for f in &mut out {
                f.clusters = vec![cluster.name.clone()];
            }
            out
        })
        .collect();
    findings.extend(merge_across_clusters(per_cluster.into_iter().flatten()));
    // A mapped checkout inside the checked root is read twice; its findings belong to the mapped
    // tree (with `source`), not to the root's copy.
    let shadowed = shadowed_files(db, trees);
    findings.retain(|f| !shadowed.contains(&f.span.file));
    let (mut kept, suppressed) = apply_suppressions(db, trees, findings);
    for f in &mut kept {
        f.fingerprint = fingerprint(db, f);
    }
    kept.sort_by(|a, b| {
        let fa = db.get(a.span.file);
        let fb = db.get(b.span.file);
        (fa.source.as_deref(), &fa.path, a.span.start, a.code()).cmp(&(
            fb.source.as_deref(),
            &fb.path,
            b.span.start,
            b.code(),
        ))
    });
    CheckOutcome {
        findings: kept,
        suppressed,
        files: session.files(),
        documents: session.documents(),
        skipped_files: session.skipped_files,
        objects: session.objects(),
    }
}

/// Files read twice, whose findings are reported once: a mapped checkout inside the checked
/// root belongs to the mapped tree (reported with its `source`); a mapping of the checked root
/// itself (another branch checked out in place) is reported as the root.
fn shadowed_files(db: &SourceDb, trees: &[LoadedTree]) -> std::collections::HashSet<fleetlint_yaml::FileId> {
    let mut shadowed = std::collections::HashSet::new();
    let Some((root, mapped)) = trees.split_first() else { return shadowed };
    let Ok(root_dir) = root.root.canonicalize() else { return shadowed };
    let mut prefixes: Vec<String> = Vec::new();
    for tree in mapped {
        let Ok(dir) = tree.root.canonicalize() else { continue };
        if dir == root_dir {
            shadowed.extend(tree.files.iter().map(|f| f.id));
        } else if let Ok(rel) = dir.strip_prefix(&root_dir) {
            prefixes.push(format!("{}/", fleetlint_yaml::source::relative_slash_path(std::path::Path::new(""), rel)));
        }
    }
    shadowed.extend(
        root.files.iter().filter(|f| prefixes.iter().any(|p| db.get(f.id).path.starts_with(p.as_str()))).map(|f| f.id),
    );
    shadowed
}

/// One finding per problem: the same code, place, message, field and object found in several
/// clusters (or twice in one, through two overlays of a base) becomes one finding listing them.
fn merge_across_clusters(findings: impl Iterator<Item = Finding>) -> Vec<Finding> {
    let mut index: HashMap<(RuleId, Span, String, String, Option<String>), usize> = HashMap::new();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let key = (f.rule, f.span, f.message.clone(), f.field.clone(), f.object.as_ref().map(crate::ObjectRef::id));
        match index.get(&key) {
            Some(&i) => {
                let existing = &mut out[i];
                for c in f.clusters {
                    if !existing.clusters.contains(&c) {
                        existing.clusters.push(c);
                    }
                }
                existing.severity = existing.severity.max(f.severity);
            }
            None => {
                index.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

/// Drop findings named by a suppression comment on their line or on the line above.
fn apply_suppressions(db: &SourceDb, trees: &[LoadedTree], findings: Vec<Finding>) -> (Vec<Finding>, usize) {
    // (file, line) -> codes
    let mut by_line: HashMap<(u32, u32), Vec<&str>> = HashMap::new();
    for tree in trees {
        for file in &tree.files {
            let src = db.get(file.id);
            for s in &file.yaml.suppressions {
                if s.problem.is_some() {
                    continue;
                }
                let line = src.line_col(s.span.start).line;
                by_line.entry((file.id.0, line)).or_default().extend(s.codes.iter().map(String::as_str));
            }
        }
    }
    let mut suppressed = 0;
    let kept = findings
        .into_iter()
        .filter(|f| {
            let line = db.get(f.span.file).line_col(f.span.start).line;
            let named = |l: u32| by_line.get(&(f.span.file.0, l)).is_some_and(|codes| codes.contains(&f.code()));
            let hit = named(line) || (line > 1 && named(line - 1));
            if hit {
                suppressed += 1;
            }
            !hit
        })
        .collect();
    (kept, suppressed)
}

/// Stable across runs and unrelated edits: the rule, the object (or the file when there is
/// none) and the field path; never line numbers or cluster lists.
fn fingerprint(db: &SourceDb, f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.code().as_bytes());
    h.update([0]);
    match &f.object {
        Some(o) => h.update(o.id().as_bytes()),
        None => {
            let file = db.get(f.span.file);
            h.update(file.source.as_deref().unwrap_or("").as_bytes());
            h.update([0]);
            h.update(file.path.as_bytes());
        }
    }
    h.update([0]);
    h.update(f.field.as_bytes());
    let digest = h.finalize();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}
