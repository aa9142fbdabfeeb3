//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning.
//!
//! What GitHub reads is documented in "SARIF support for code scanning" (docs.github.com):
//! `tool.driver` with `rules[]` (`id`, `name`, `shortDescription`, `fullDescription`, `help`,
//! `helpUri`, `defaultConfiguration.level`, `properties.tags`, `properties.security-severity`,
//! which GitHub shows only for rules tagged `security`), results with `ruleId`/`ruleIndex`, a
//! physical location relative to the repository (`uriBaseId` `%SRCROOT%`), `relatedLocations`
//! and `partialFingerprints`. The output passes the SARIF Multitool's `Sarif` and `Gh` rule kinds
//! with no error and no warning (`crates/fleetlint/tests/report_formats.rs`).

use serde_json::{Value, json};

use fleetlint_rules::{Category, Finding, RuleId, Severity};
use fleetlint_yaml::{FileDb, Span};

use crate::model::ReportInput;

/// The `uriBaseId` of every location: the repository root, which GitHub resolves to the checkout.
const SRCROOT: &str = "%SRCROOT%";

/// The documentation of every rule, on the project's site.
fn help_uri(rule: RuleId) -> String {
    let m = rule.meta();
    // GitHub's heading anchors: lowercase, spaces to dashes (`## ISO001 tenant-...`).
    let anchor = format!("{} {}", m.code, m.name).to_lowercase().replace(' ', "-");
    format!("{}/blob/main/docs/rules.md#{anchor}", env!("CARGO_PKG_REPOSITORY"))
}

/// SARIF's result level.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, below low. Isolation and
/// cross-namespace rules guard the boundary between tenants, the security property of a fleet.
fn security_severity(rule: RuleId) -> Option<&'static str> {
    let m = rule.meta();
    matches!(m.category, Category::TenantIsolation | Category::CrossNamespace).then_some(match m.default_severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    })
}

/// A sentence ends with a period (SARIF2001: messages are complete sentences).
pub(crate) fn sentence(text: &str) -> String {
    let t = text.trim_end();
    if t.ends_with('.') { t.to_string() } else { format!("{t}.") }
}

/// The "What it does" section of a rule's documentation, as one paragraph of plain text.
fn what_it_does(rule: RuleId) -> String {
    let doc = rule.meta().doc_markdown();
    let body: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.starts_with("## What it does"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if body.is_empty() { rule.meta().summary() } else { body.join(" ") }
}

/// SARIF's friendly name is a Pascal-case identifier (SARIF2012): `tenant-foreign-namespace`
/// becomes `TenantForeignNamespace`; the kebab-case name stays in `properties.name`.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn descriptor(rule: RuleId) -> Value {
    let m = rule.meta();
    let mut tags = vec![m.category.as_str().to_string()];
    let mut properties = json!({});
    if let Some(s) = security_severity(rule) {
        tags.insert(0, "security".to_string());
        properties["security-severity"] = json!(s);
    }
    properties["tags"] = json!(tags);
    properties["name"] = json!(m.name);
    properties["precision"] = json!("high");
    json!({
        "id": m.code,
        "name": pascal(m.name),
        "shortDescription": { "text": sentence(&m.summary()) },
        "fullDescription": { "text": sentence(&what_it_does(rule)) },
        "help": { "text": sentence(&m.doc_markdown()), "markdown": m.markdown(1) },
        "helpUri": help_uri(rule),
        "defaultConfiguration": { "level": level(m.default_severity) },
        "properties": properties,
    })
}

/// A physical location, or `None` when the file is outside the repository.
fn physical(input: &ReportInput<'_>, db: &FileDb, span: Span) -> Option<Value> {
    let uri = input.repo_paths.of(db.get(span.file))?;
    let (start, end) = db.span_lines(span);
    Some(json!({
        "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
        },
    }))
}

/// The result's message: the finding, where it holds, what to do.
fn message(f: &Finding) -> String {
    let mut text = sentence(&f.message);
    if let Some(o) = &f.object {
        text.push_str(&format!(" Object: {}.", o.id()));
    }
    if !f.clusters.is_empty() {
        text.push_str(&format!(" In clusters: {}.", f.clusters.join(", ")));
    }
    if let Some(owner) = &f.owner {
        text.push_str(&format!(" Rendered by {owner}."));
    }
    if let Some(help) = &f.help {
        text.push_str(&format!(" Help: {}", sentence(help)));
    }
    text
}

fn result(input: &ReportInput<'_>, index: &[(RuleId, usize)], f: &Finding) -> Option<Value> {
    let location = physical(input, input.db, f.span)?;
    let rule_index = index.iter().find(|(r, _)| *r == f.rule).map(|(_, i)| *i);
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let loc = physical(input, input.db, r.span)?;
            Some(json!({ "id": i + 1, "physicalLocation": loc, "message": { "text": sentence(&r.message) } }))
        })
        .collect();
    let mut out = json!({
        "ruleId": f.code(),
        "level": level(f.severity),
        "message": { "text": message(f) },
        "locations": [{ "physicalLocation": location }],
        "partialFingerprints": { "fleetlint/v1": f.fingerprint },
    });
    if let Some(i) = rule_index {
        out["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        out["relatedLocations"] = json!(related);
    }
    if !f.clusters.is_empty() {
        out["properties"] = json!({ "clusters": f.clusters });
    }
    Some(out)
}

/// A finding GitHub cannot place (its file is in a mapped source outside the repository), kept
/// in the run's properties.
fn external(db: &FileDb, f: &Finding) -> Value {
    let file = db.get(f.span.file);
    let (start, _) = db.span_lines(f.span);
    json!({
        "ruleId": f.code(),
        "level": level(f.severity),
        "message": message(f),
        "source": file.mapping.as_deref(),
        "file": file.path,
        "line": start.line,
        "column": start.column,
        "clusters": f.clusters,
        "fingerprint": f.fingerprint,
    })
}

/// Render the report as SARIF 2.1.0.
#[must_use]
pub fn render(input: &ReportInput<'_>) -> String {
    let rules = input.rules_reported();
    let index: Vec<(RuleId, usize)> = rules.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    let mut results = Vec::new();
    let mut outside = Vec::new();
    for f in &input.outcome.findings {
        match result(input, &index, f) {
            Some(r) => results.push(r),
            None => outside.push(external(input.db, f)),
        }
    }
    let (error, warning, info) = input.outcome.counts();
    let mut properties = json!({
        "summary": {
            "error": error,
            "warning": warning,
            "info": info,
            "suppressed": input.outcome.suppressed,
            "baselined": input.outcome.baselined,
            "files": input.outcome.files,
            "clusters": input.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        },
    });
    if !outside.is_empty() {
        properties["findingsOutsideRepository"] = json!(outside);
    }
    let version = env!("CARGO_PKG_VERSION");
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fleetlint",
                    "version": version,
                    "semanticVersion": version,
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules.iter().map(|r| descriptor(*r)).collect::<Vec<_>>(),
                },
            },
            "invocations": [{ "executionSuccessful": true }],
            "originalUriBaseIds": {
                SRCROOT: { "description": { "text": "The root of the repository that was checked." } },
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": properties,
        }],
    });
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
