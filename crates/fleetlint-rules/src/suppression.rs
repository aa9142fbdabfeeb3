//! What suppressions silence, and HYG008 for those that do not do what they say.
//!
//! Two forms, both with a mandatory reason:
//! - the comment `# fleetlint: ignore[CODE, ...] reason` on the finding's line or the line above
//!   (parsed with the file, `fleetlint_yaml::suppress`);
//! - the object annotation `fleetlint.io/ignore: "CODE[, CODE]: reason"` (several entries
//!   separated by `;` or new lines), for findings about that object.

use std::collections::{HashMap, HashSet};

use fleetlint_fleet::Fleet;
use fleetlint_yaml::{FileDb, LoadedTree, Node, ObjectView, Span};

use crate::finding::Finding;
use crate::registry::INVALID_SUPPRESSION;
use crate::rule::RuleId;
use crate::selection::Selection;

/// The annotation key.
pub const ANNOTATION: &str = "fleetlint.io/ignore";

/// One suppression, of either form.
struct Entry {
    /// The comment, or the annotation's value.
    span: Span,
    codes: Vec<String>,
    /// Why it is not valid, when it is not; an invalid suppression silences nothing.
    problem: Option<String>,
    target: Target,
    /// Codes that silenced at least one finding.
    used: HashSet<String>,
}

enum Target {
    /// A comment: findings on `line` or `line + 1` of `file`.
    Line { file: u32, line: u32 },
    /// An annotation: findings about these objects (`Kind/namespace/name`).
    Objects(HashSet<String>),
}

fn is_code(code: &str) -> bool {
    code.len() >= 5
        && code.bytes().take_while(u8::is_ascii_uppercase).count() >= 2
        && code.bytes().rev().take(3).all(|b| b.is_ascii_digit())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Parse an annotation value: `CODE[, CODE]: reason` entries separated by `;` or new lines.
/// Returns `(codes, problem)` per entry.
fn parse_annotation(value: &str) -> Vec<(Vec<String>, Option<String>)> {
    let mut out = Vec::new();
    for entry in value.split(['\n', ';']).map(str::trim).filter(|e| !e.is_empty()) {
        let (codes, reason) = entry.split_once(':').unwrap_or((entry, ""));
        let codes: Vec<String> =
            codes.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
        let problem = if codes.is_empty() {
            Some(format!("`{ANNOTATION}: \"{entry}\"` names no rule code (write `CODE: reason`)"))
        } else if let Some(bad) = codes.iter().find(|c| !is_code(c)) {
            Some(format!("`{bad}` is not a rule code (write `{ANNOTATION}: \"CODE: reason\"`)"))
        } else if reason.trim().is_empty() {
            Some(format!("a reason is required after the codes: `{ANNOTATION}: \"{}: why\"`", codes.join(", ")))
        } else {
            None
        };
        out.push((codes, problem));
    }
    out
}

fn annotation_of(root: &Node) -> Option<&Node> {
    root.get_path(&["metadata", "annotations", ANNOTATION])
}

fn object_id(root: &Node) -> Option<String> {
    let v = ObjectView::new(root)?;
    Some(format!("{}/{}/{}", v.kind(), v.namespace().unwrap_or(""), v.name().unwrap_or("")))
}

/// Every suppression of the run: comments of every file, annotations of every document as
/// written and of every object as a cluster renders it (an overlay may set the namespace).
fn collect(db: &FileDb, trees: &[LoadedTree], fleet: &Fleet) -> Vec<Entry> {
    let mut entries = Vec::new();
    for tree in trees {
        for file in &tree.files {
            let src = db.get(file.id);
            for s in &file.yaml.suppressions {
                let line = src.line_col(s.span.start).line;
                entries.push(Entry {
                    span: s.span,
                    codes: s.codes.clone(),
                    problem: s.problem.clone(),
                    target: Target::Line { file: file.id.0, line },
                    used: HashSet::new(),
                });
            }
        }
    }
    // Annotation value span -> the ids of every object carrying it.
    let mut annotated: HashMap<Span, (String, HashSet<String>)> = HashMap::new();
    let mut add = |root: &Node| {
        let Some(value) = annotation_of(root) else { return };
        let Some(id) = object_id(root) else { return };
        let text = value.as_str().unwrap_or("").to_string();
        annotated.entry(value.span).or_insert_with(|| (text, HashSet::new())).1.insert(id);
    };
    for tree in trees {
        for file in &tree.files {
            for doc in &file.yaml.documents {
                add(&doc.root);
            }
        }
    }
    for cluster in &fleet.clusters {
        for o in &cluster.objects {
            add(&o.root);
        }
    }
    let mut spans: Vec<&Span> = annotated.keys().collect();
    spans.sort_by_key(|s| (s.file.0, s.start));
    for span in spans {
        let (text, ids) = &annotated[span];
        for (codes, problem) in parse_annotation(text) {
            entries.push(Entry {
                span: *span,
                codes,
                problem,
                target: Target::Objects(ids.clone()),
                used: HashSet::new(),
            });
        }
    }
    entries
}

/// Leave out the findings a suppression names; returns the rest, how many were silenced, and
/// HYG008 findings for suppressions that are invalid, name an unknown code or silence nothing.
/// `known` are the codes of every rule of the run; codes whose rule `selection` leaves out are
/// not reported as silencing nothing.
pub(crate) fn apply(
    db: &FileDb,
    trees: &[LoadedTree],
    fleet: &Fleet,
    findings: Vec<Finding>,
    known: &[RuleId],
    selection: &Selection,
) -> (Vec<Finding>, usize, Vec<Finding>) {
    let mut entries = collect(db, trees, fleet);
    let mut by_line: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
    let mut by_object: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.problem.is_some() {
            continue;
        }
        match &e.target {
            Target::Line { file, line } => by_line.entry((*file, *line)).or_default().push(i),
            Target::Objects(ids) => {
                for id in ids {
                    by_object.entry(id.clone()).or_default().push(i);
                }
            }
        }
    }
    let mut suppressed = 0;
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let line = db.get(f.span.file).line_col(f.span.start).line;
        let mut candidates: Vec<usize> = by_line.get(&(f.span.file.0, line)).cloned().unwrap_or_default();
        if line > 1 {
            candidates.extend(by_line.get(&(f.span.file.0, line - 1)).into_iter().flatten());
        }
        if let Some(o) = &f.object {
            candidates.extend(by_object.get(&o.id()).into_iter().flatten());
        }
        let mut hit = false;
        for i in candidates {
            if entries[i].codes.iter().any(|c| c == f.code()) {
                entries[i].used.insert(f.code().to_string());
                hit = true;
            }
        }
        if hit {
            suppressed += 1;
        } else {
            kept.push(f);
        }
    }
    let mut invalid = Vec::new();
    if !selection.enabled(INVALID_SUPPRESSION) {
        return (kept, suppressed, invalid);
    }
    let rule_of = |code: &str| known.iter().copied().find(|r| r.code() == code);
    let mut reported: HashSet<(Span, String)> = HashSet::new();
    for e in &entries {
        let message = if let Some(problem) = &e.problem {
            format!("invalid suppression: {problem}")
        } else if let Some(unknown) = e.codes.iter().find(|c| rule_of(c).is_none()) {
            format!("the suppression names `{unknown}`, which is not a fleetlint rule (see `fleetlint rules`)")
        } else {
            let unused: Vec<&str> = e
                .codes
                .iter()
                .map(String::as_str)
                .filter(|c| !e.used.contains(*c) && rule_of(c).is_some_and(|r| selection.enabled(r)))
                .collect();
            if unused.is_empty() {
                continue;
            }
            let place = match e.target {
                Target::Line { .. } => "on this line or the next",
                Target::Objects(_) => "about this object",
            };
            format!("the suppression of {} silences no finding {place}", unused.join(", "))
        };
        if reported.insert((e.span, message.clone())) {
            let help = "give a reason after the codes, correct the code, or remove the suppression";
            invalid.push(Finding::new(INVALID_SUPPRESSION, e.span, message).with_help(help).with_field("suppression"));
        }
    }
    (kept, suppressed, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_entries_need_codes_and_a_reason() {
        let parsed = parse_annotation("XNS001, ISO004: shared source; HYG001\nnope: x");
        assert_eq!(parsed[0], (vec!["XNS001".to_string(), "ISO004".to_string()], None));
        assert!(parsed[1].1.as_deref().unwrap().starts_with("a reason is required"));
        assert!(parsed[2].1.as_deref().unwrap().starts_with("`nope` is not a rule code"));
    }
}
