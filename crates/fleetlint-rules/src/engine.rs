//! Runs the rules over loaded trees, applies suppression comments, fingerprints and sorts.

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use fleetlint_fleet::Fleet;
use fleetlint_yaml::{LoadedTree, SourceDb, Span};

use crate::context::{BuildContext, ClusterContext, FileContext};
use crate::finding::{Finding, Severity};
use crate::registry::all_rules;
use fleetlint_fleet::builds::build_tree;

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

/// Run every rule over `trees` (whose files live in `db`) and the fleet built from them.
#[must_use]
pub fn check(db: &SourceDb, trees: &[LoadedTree], fleet: &Fleet) -> CheckOutcome {
    let rules = all_rules();
    let mut outcome = CheckOutcome::default();
    let mut findings: Vec<Finding> = Vec::new();
    // Files the Flux builds reach: their objects, and inputs whose own YAML problem failed a
    // build (reported once, by the file rule, at error severity).
    let load_issue_spans = fleetlint_fleet::builds::load_issue_spans(trees);
    let mut flux_reached = std::collections::HashSet::new();
    let mut flux_issues = Vec::new();
    for c in &fleet.clusters {
        flux_reached.extend(c.objects.iter().filter(|o| !o.synthesized).map(|o| o.root.span.file));
        for issue in &c.build_issues {
            if load_issue_spans.contains(&issue.span) {
                flux_reached.insert(issue.span.file);
            } else {
                flux_issues.push(issue.clone());
            }
        }
    }
    outcome.objects = fleet.clusters.iter().map(|c| c.objects.len()).sum();
    for (i, tree) in trees.iter().enumerate() {
        outcome.files += tree.files.len();
        outcome.documents += tree.document_count();
        let mut builds = match fleet.tree_builds.get(i) {
            Some(b) => b.clone(),
            None => build_tree(db, tree),
        };
        if fleet.clusters.is_empty() {
            outcome.objects += builds.objects;
        }
        builds.reached.extend(tree.files.iter().map(|f| f.id).filter(|id| flux_reached.contains(id)));
        // Issues of Flux builds (implicit kustomizations, Flux patches) join the tree's own.
        let ids: std::collections::HashSet<_> = tree.files.iter().map(|f| f.id).collect();
        let mut seen: std::collections::HashSet<_> =
            builds.issues.iter().map(|b| (b.kind, b.span, b.message.clone())).collect();
        for issue in &flux_issues {
            if ids.contains(&issue.span.file) && seen.insert((issue.kind, issue.span, issue.message.clone())) {
                builds.issues.push(issue.clone());
            }
        }
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
        for found in per_file {
            if found.iter().any(|f| f.code == "SRC010" && f.severity == Severity::Info) {
                outcome.skipped_files += 1;
            }
            findings.extend(found);
        }
        let cx = BuildContext { issues: &builds.issues, db, tree, fleet };
        for rule in rules {
            rule.check_build(&cx, &mut findings);
        }
    }
    let per_cluster: Vec<Vec<Finding>> = fleet
        .clusters
        .par_iter()
        .map(|cluster| {
            let cx = ClusterContext::new(cluster, fleet, db, trees);
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
    let (kept, suppressed) = apply_suppressions(db, trees, findings);
    outcome.suppressed = suppressed;
    outcome.findings = kept;
    for f in &mut outcome.findings {
        f.fingerprint = fingerprint(db, f);
    }
    outcome.findings.sort_by(|a, b| {
        let fa = db.get(a.span.file);
        let fb = db.get(b.span.file);
        (fa.source.as_deref(), &fa.path, a.span.start, a.code).cmp(&(
            fb.source.as_deref(),
            &fb.path,
            b.span.start,
            b.code,
        ))
    });
    outcome
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
            prefixes.push(format!("{}/", fleetlint_yaml::relpath::relative_slash_path(std::path::Path::new(""), rel)));
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
    let mut index: HashMap<(&'static str, Span, String, String, Option<String>), usize> = HashMap::new();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let key = (f.code, f.span, f.message.clone(), f.field.clone(), f.object.as_ref().map(crate::ObjectRef::id));
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
            let named = |l: u32| by_line.get(&(f.span.file.0, l)).is_some_and(|codes| codes.contains(&f.code));
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
    h.update(f.code.as_bytes());
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
