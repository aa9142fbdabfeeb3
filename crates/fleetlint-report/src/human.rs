//! Human output in the style of rustc and ruff.
//!
//! Rendered with annotate-snippets rather than miette: findings are data made by the thousand
//! and rendered once, which is annotate-snippets' model (a renderer over our own data types);
//! it is rustc's own emitter, maintained by rust-lang, and ruff renders with a fork of it. miette
//! wants every finding to be an error type and has been quiet since 2025.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use fleetlint_rules::{Finding, Severity};
use fleetlint_yaml::{FileDb, Span};

use crate::model::ReportInput;

/// Options for human output.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    /// Emit ANSI colours (the caller decides: a terminal, and `NO_COLOR` unset).
    pub color: bool,
    /// Only the findings, no summary.
    pub quiet: bool,
    /// Also say how each cluster was found and which candidate roots were rejected.
    pub verbose: bool,
}

/// Lines of context shown before and after a span.
const CONTEXT_LINES: u32 = 1;

/// A window of a file's text around a span, so large files are not handed to the renderer.
struct Window<'a> {
    text: &'a str,
    first_line: usize,
    offset: usize,
}

fn window(db: &FileDb, span: Span) -> Window<'_> {
    let file = db.get(span.file);
    let (start, end) = db.span_lines(span);
    let first = start.line.saturating_sub(CONTEXT_LINES).max(1);
    let last = end.line + CONTEXT_LINES;
    let begin = file.lines.line_range(&file.text, first).start;
    let stop = file.lines.line_range(&file.text, last).end.max(begin);
    Window { text: &file.text[begin..stop], first_line: first as usize, offset: begin }
}

/// Make an empty span cover one character when there is one, so the caret is visible.
fn visible(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    if range.start < range.end || range.start >= text.len() {
        return range;
    }
    let mut end = range.start + 1;
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    if matches!(text.as_bytes()[range.start], b'\n' | b'\r') { range } else { range.start..end }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

fn display_path(db: &FileDb, span: Span) -> String {
    let f = db.get(span.file);
    match &f.mapping {
        Some(src) => format!("{src}:{}", f.path),
        None => f.path.clone(),
    }
}

/// Render one finding.
#[must_use]
pub fn render_finding(db: &FileDb, f: &Finding, color: bool) -> String {
    let paths: Vec<String> =
        std::iter::once(f.span).chain(f.related.iter().map(|r| r.span)).map(|s| display_path(db, s)).collect();
    let windows: Vec<Window<'_>> =
        std::iter::once(f.span).chain(f.related.iter().map(|r| r.span)).map(|s| window(db, s)).collect();
    let mut title = f.message.clone();
    if let Some(o) = &f.object {
        title = format!("{title} ({})", o.id());
    }
    let w = &windows[0];
    let range = visible(w.text, f.span.start as usize - w.offset..(f.span.end as usize - w.offset).min(w.text.len()));
    let mut group = level(f.severity).primary_title(title).id(f.code()).element(
        Snippet::source(w.text)
            .line_start(w.first_line)
            .path(paths[0].as_str())
            .annotation(AnnotationKind::Primary.span(range)),
    );
    for (i, r) in f.related.iter().enumerate() {
        let w = &windows[i + 1];
        let range =
            visible(w.text, r.span.start as usize - w.offset..(r.span.end as usize - w.offset).min(w.text.len()));
        group = group.element(
            Snippet::source(w.text)
                .line_start(w.first_line)
                .path(paths[i + 1].as_str())
                .annotation(AnnotationKind::Context.span(range).label(r.message.as_str())),
        );
    }
    if !f.clusters.is_empty() {
        group = group.element(Level::NOTE.message(format!("in clusters: {}", f.clusters.join(", "))));
    }
    if let Some(owner) = &f.owner {
        group = group.element(Level::NOTE.message(format!("rendered by {owner}")));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let report: [Group<'_>; 1] = [group];
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&report)
}

/// Render every finding and, unless quiet, a summary line.
#[must_use]
pub fn render(input: &ReportInput<'_>, options: HumanOptions) -> String {
    let mut out = String::new();
    for f in &input.outcome.findings {
        out.push_str(&render_finding(input.db, f, options.color));
        out.push_str("\n\n");
    }
    if !options.quiet {
        for c in input.clusters {
            out.push_str(&cluster_line(c));
            if options.verbose {
                out.push_str(&found_by_lines(c));
            }
        }
        if options.verbose {
            for r in input.rejected {
                out.push_str(&format!(
                    "not a cluster: {}: {}\n",
                    if r.path.is_empty() { "." } else { &r.path },
                    r.reason
                ));
            }
        }
        out.push_str(&summary_line(input));
        out.push('\n');
    }
    out
}

/// How a cluster was found (`check -v`): the file and line that made it a root, why, and the
/// source root when the root source is a subdirectory.
#[must_use]
pub fn found_by_lines(c: &crate::ClusterSummary) -> String {
    let mut s = String::new();
    if let Some(f) = &c.found_by {
        let at = f.line.map_or_else(|| f.file.clone(), |l| format!("{}:{l}", f.file));
        s.push_str(&format!("  found by {at}: {}\n", f.reason));
    }
    if let Some(r) = &c.source_root {
        s.push_str(&format!("  source root: {r} (the root source's paths resolve against it)\n"));
    }
    s
}

/// One cluster: how it was found, what it renders, its lockdown, and what fleetlint could not see.
#[must_use]
pub fn cluster_line(c: &crate::ClusterSummary) -> String {
    let version = c.flux_version.as_ref().map_or(String::new(), |v| format!(", Flux {} ({})", v.value, v.from));
    let lockdown = if c.lockdown.known {
        let mut on = Vec::new();
        if c.lockdown.no_cross_namespace_refs {
            on.push("no-cross-namespace-refs".to_string());
        }
        if let Some(sa) = &c.lockdown.default_service_account {
            on.push(format!("default-service-account={sa}"));
        }
        if c.lockdown.no_remote_bases {
            on.push("no-remote-bases".to_string());
        }
        if on.is_empty() { "lockdown off".to_string() } else { format!("lockdown {}", on.join(", ")) }
    } else {
        "lockdown unknown".to_string()
    };
    let mut s = format!(
        "cluster {} ({}, {}{version}): {}, {}, {}; {lockdown}",
        c.name,
        c.entry,
        c.path,
        plural(c.kustomizations, "Kustomization", "Kustomizations"),
        plural(c.helmreleases, "HelmRelease", "HelmReleases"),
        plural(c.objects, "object", "objects"),
    );
    if !c.tenants.is_empty() {
        s.push_str(&format!("; tenants {}", c.tenants.join(", ")));
    }
    s.push('\n');
    if c.opaque > 0 {
        s.push_str(&format!(
            "  {} opaque: no local checkout is mapped for the source, so what it renders is not checked (SRC012; map sources with --source)\n",
            plural(c.opaque, "Kustomization is", "Kustomizations are")
        ));
    }
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3 errors, 1 warning, 0 infos in 42 files (108 documents), 2 suppressed, 0.05s`.
#[must_use]
pub fn summary_line(input: &ReportInput<'_>) -> String {
    let (e, w, i) = input.outcome.counts();
    let mut s = format!(
        "{}, {}, {} in {} ({})",
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings"),
        plural(i, "info", "infos"),
        plural(input.outcome.files, "file", "files"),
        plural(input.outcome.documents, "document", "documents"),
    );
    if !input.clusters.is_empty() {
        s.push_str(&format!(", {}", plural(input.clusters.len(), "cluster", "clusters")));
    }
    if input.outcome.unvalidated_objects > 0 {
        // Never "valid" for want of a schema: counted, and listed by SCH003 with --verbose.
        s.push_str(&format!(
            ", {} without a schema (SCH003)",
            plural(input.outcome.unvalidated_objects, "object", "objects")
        ));
    }
    if input.outcome.suppressed > 0 {
        s.push_str(&format!(", {} suppressed", input.outcome.suppressed));
    }
    if input.outcome.baselined > 0 {
        s.push_str(&format!(", {} in the baseline", input.outcome.baselined));
    }
    s.push_str(&format!(" [{:.2}s]", input.elapsed_ms / 1000.0));
    s
}
