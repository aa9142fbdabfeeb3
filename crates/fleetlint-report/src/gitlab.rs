//! `--format gitlab`: GitLab Code Quality, the subset of the Code Climate issue format GitLab
//! reads (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
//! `location.lines.begin`), valid against GitLab's own schema (`schemas/external/`).
//!
//! Findings in a mapped source outside the repository are left out: GitLab would place them on
//! a file of the same path in this repository.

use std::collections::HashMap;

use serde_json::{Value, json};

use fleetlint_rules::{Category, Severity};

use crate::model::ReportInput;

/// Code Climate severities as eslint's and ruff's GitLab formatters use them.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// Code Climate categories.
fn category(c: Category) -> &'static str {
    match c {
        Category::TenantIsolation | Category::CrossNamespace => "Security",
        Category::ApiVersion => "Compatibility",
        _ => "Bug Risk",
    }
}

/// Render the report as a GitLab Code Quality JSON array.
#[must_use]
pub fn render(input: &ReportInput<'_>) -> String {
    // GitLab identifies an issue by its fingerprint across pipelines: the finding's own (stable
    // across unrelated edits), with a counter for the rare findings that share one.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut issues: Vec<Value> = Vec::new();
    for f in &input.outcome.findings {
        let Some(path) = input.repo_paths.of(input.db.get(f.span.file)) else { continue };
        let n = seen.entry(f.fingerprint.as_str()).or_insert(0);
        *n += 1;
        let fingerprint = if *n == 1 { f.fingerprint.clone() } else { format!("{}-{n}", f.fingerprint) };
        let (start, end) = input.db.span_lines(f.span);
        let mut description = f.message.clone();
        if !f.clusters.is_empty() {
            description.push_str(&format!(" (clusters: {})", f.clusters.join(", ")));
        }
        let m = f.rule.meta();
        let mut issue = json!({
            "type": "issue",
            "description": description,
            "check_name": m.code,
            "fingerprint": fingerprint,
            "severity": severity(f.severity),
            "categories": [category(m.category)],
            "location": { "path": path, "lines": { "begin": start.line, "end": end.line } },
        });
        if let Some(help) = &f.help {
            issue["content"] = json!({ "body": help });
        }
        issues.push(issue);
    }
    let mut out = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}
