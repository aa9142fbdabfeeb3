//! Runs the rules over loaded trees, applies suppression comments, fingerprints and sorts.

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use fleetlint_yaml::{LoadedTree, SourceDb};

use crate::builds::build_tree;
use crate::context::{BuildContext, FileContext};
use crate::finding::{Finding, Severity};
use crate::registry::all_rules;

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

/// Run every rule over `trees`, whose files live in `db`.
#[must_use]
pub fn check(db: &SourceDb, trees: &[LoadedTree]) -> CheckOutcome {
    let rules = all_rules();
    let mut outcome = CheckOutcome::default();
    let mut findings: Vec<Finding> = Vec::new();
    for tree in trees {
        outcome.files += tree.files.len();
        outcome.documents += tree.document_count();
        let builds = build_tree(db, tree);
        outcome.objects += builds.objects;
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
        let cx = BuildContext { issues: &builds.issues, db, tree };
        for rule in rules {
            rule.check_build(&cx, &mut findings);
        }
    }
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
