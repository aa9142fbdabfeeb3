//! `--format json`: exactly the report schema (`spec/report.schema.json`, version 1).

use serde::Serialize;

use fleetlint_rules::{Finding, Scope};
use fleetlint_yaml::{FileDb, Span};

use crate::model::{ClusterSummary, ReportInput};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    root: &'a str,
    sources: Vec<SourceMapping<'a>>,
    clusters: Vec<Cluster<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rejected: Vec<RejectedJson<'a>>,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SourceMapping<'a> {
    key: &'a str,
    path: &'a str,
}

#[derive(Serialize)]
struct RejectedJson<'a> {
    path: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct FoundByJson<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    reason: &'a str,
}

#[derive(Serialize)]
struct Cluster<'a> {
    name: &'a str,
    path: &'a str,
    entry: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    found_by: Option<FoundByJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_root: Option<&'a str>,
    flux_version: Option<FluxVersionJson<'a>>,
    lockdown: LockdownJson<'a>,
    tenants: &'a [String],
    kustomizations: usize,
    helmreleases: usize,
    objects: usize,
    opaque: usize,
}

#[derive(Serialize)]
struct FluxVersionJson<'a> {
    value: &'a str,
    from: &'static str,
}

#[derive(Serialize)]
struct LockdownJson<'a> {
    known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_cross_namespace_refs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_service_account: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_remote_bases: Option<bool>,
}

#[derive(Serialize)]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct ObjectJson<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    location: Location<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<ObjectJson<'a>>,
    clusters: &'a [String],
    owner: Option<&'a str>,
    owners: &'a [String],
    scope: Option<&'static str>,
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyJson<'a>>,
    related: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct PolicyJson<'a> {
    engine: &'static str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    skipped_files: usize,
    unreached_dirs: usize,
    objects: usize,
    unvalidated_objects: usize,
    findings: Counts,
    suppressed: usize,
    baselined: usize,
    elapsed_ms: f64,
    timings_ms: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Counts {
    error: usize,
    warning: usize,
    info: usize,
}

fn location<'a>(db: &'a FileDb, span: Span, message: Option<&'a str>) -> Location<'a> {
    let file = db.get(span.file);
    let (start, end) = db.span_lines(span);
    Location {
        source: file.mapping.as_deref(),
        file: &file.path,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        message,
    }
}

fn finding<'a>(db: &'a FileDb, f: &'a Finding) -> JsonFinding<'a> {
    let meta = f.rule.meta();
    JsonFinding {
        rule: meta.code,
        name: meta.name,
        category: meta.category.as_str(),
        severity: f.severity.as_str(),
        message: &f.message,
        location: location(db, f.span, None),
        object: f.object.as_ref().map(|o| ObjectJson {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: &o.name,
        }),
        clusters: &f.clusters,
        owner: f.owner.as_deref(),
        owners: &f.owners,
        scope: f.scope.map(|s| match s {
            Scope::Tenant => "tenant",
            Scope::Platform => "platform",
        }),
        tenant: f.tenant.as_deref(),
        policy: f.policy.as_ref().map(|p| PolicyJson {
            engine: p.engine,
            kind: &p.kind,
            namespace: p.namespace.as_deref(),
            name: &p.name,
            rule: p.rule.as_deref(),
            action: p.action.as_deref(),
        }),
        related: f.related.iter().map(|r| location(db, r.span, Some(&r.message))).collect(),
        help: f.help.as_deref(),
        fingerprint: &f.fingerprint,
    }
}

fn cluster(c: &ClusterSummary) -> Cluster<'_> {
    let l = &c.lockdown;
    Cluster {
        name: &c.name,
        path: &c.path,
        entry: c.entry,
        found_by: c.found_by.as_ref().map(|f| FoundByJson { file: &f.file, line: f.line, reason: &f.reason }),
        source_root: c.source_root.as_deref(),
        flux_version: c.flux_version.as_ref().map(|v| FluxVersionJson { value: &v.value, from: v.from }),
        lockdown: LockdownJson {
            known: l.known,
            no_cross_namespace_refs: l.known.then_some(l.no_cross_namespace_refs),
            default_service_account: l.known.then_some(l.default_service_account.as_deref()),
            no_remote_bases: l.known.then_some(l.no_remote_bases),
        },
        tenants: &c.tenants,
        kustomizations: c.kustomizations,
        helmreleases: c.helmreleases,
        objects: c.objects,
        opaque: c.opaque,
    }
}

/// Render the report as pretty JSON.
#[must_use]
pub fn render(input: &ReportInput<'_>) -> String {
    let (error, warning, info) = input.outcome.counts();
    let report = Report {
        version: 1,
        tool: Tool { name: "fleetlint", version: env!("CARGO_PKG_VERSION") },
        root: input.root,
        sources: input.sources.iter().map(|(key, path)| SourceMapping { key, path }).collect(),
        clusters: input.clusters.iter().map(cluster).collect(),
        rejected: input.rejected.iter().map(|r| RejectedJson { path: &r.path, reason: &r.reason }).collect(),
        findings: input.outcome.findings.iter().map(|f| finding(input.db, f)).collect(),
        summary: Summary {
            files: input.outcome.files,
            documents: input.outcome.documents,
            skipped_files: input.outcome.skipped_files,
            unreached_dirs: input.outcome.unreached_dirs,
            objects: input.objects,
            unvalidated_objects: input.outcome.unvalidated_objects,
            findings: Counts { error, warning, info },
            suppressed: input.outcome.suppressed,
            baselined: input.outcome.baselined,
            elapsed_ms: input.elapsed_ms,
            timings_ms: input.timings_ms.iter().map(|(k, v)| ((*k).to_string(), serde_json::json!(v))).collect(),
        },
    };
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
