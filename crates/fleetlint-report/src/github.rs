//! `--format github`: GitHub Actions workflow commands, one annotation per finding.
//!
//! Syntax and escaping as the Actions toolkit writes them (`actions/toolkit`,
//! `packages/core/src/command.ts`: `escapeData` replaces `%`, `\r`, `\n`; `escapeProperty` also
//! `:` and `,`). GitHub shows at most ten annotations of each level per step, so errors come
//! first, then warnings, then notices, and a last notice gives the totals and where the full
//! report is.

use fleetlint_rules::{Finding, Severity};

use crate::model::ReportInput;

/// Options for annotations.
#[derive(Clone, Copy, Debug, Default)]
pub struct GithubOptions<'a> {
    /// Where the full report of this run is written (another `--report`), named in the last notice.
    pub full_report: Option<&'a str>,
}

/// Escape a command's message.
#[must_use]
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value.
#[must_use]
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn annotation(input: &ReportInput<'_>, f: &Finding) -> String {
    let file = input.db.get(f.span.file);
    let mut props = Vec::new();
    let mut message = f.message.clone();
    match input.repo_paths.of(file) {
        Some(path) => {
            let (start, end) = input.db.span_lines(f.span);
            props.push(format!("file={}", escape_property(&path)));
            props.push(format!("line={}", start.line));
            props.push(format!("col={}", start.column));
            props.push(format!("endLine={}", end.line));
            props.push(format!("endColumn={}", end.column));
        }
        // Outside the repository: GitHub cannot place it; say where it is in the message.
        None => {
            let (start, _) = input.db.span_lines(f.span);
            let at = format!("{}:{}:{}:{}", file.mapping.as_deref().unwrap_or(""), file.path, start.line, start.column);
            message = format!("{at}: {message}");
        }
    }
    let m = f.rule.meta();
    props.push(format!("title={}", escape_property(&format!("{} {}", m.code, m.name))));
    if !f.clusters.is_empty() {
        message.push_str(&format!("\nin clusters: {}", f.clusters.join(", ")));
    }
    if let Some(help) = &f.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format!("::{} {}::{}\n", command(f.severity), props.join(","), escape_data(&message))
}

/// Render the annotations: errors, warnings, notices, then a notice with the totals.
#[must_use]
pub fn render(input: &ReportInput<'_>, options: GithubOptions<'_>) -> String {
    let mut out = String::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        for f in input.outcome.findings.iter().filter(|f| f.severity == severity) {
            out.push_str(&annotation(input, f));
        }
    }
    let (e, w, i) = input.outcome.counts();
    let mut totals = format!(
        "{e} error(s), {w} warning(s), {i} info(s) in {} files, {} cluster(s)",
        input.outcome.files,
        input.clusters.len()
    );
    if input.outcome.suppressed > 0 {
        totals.push_str(&format!(", {} suppressed", input.outcome.suppressed));
    }
    if input.outcome.baselined > 0 {
        totals.push_str(&format!(", {} in the baseline", input.outcome.baselined));
    }
    totals.push_str(". GitHub shows the first 10 annotations of each level");
    match options.full_report {
        Some(path) => totals.push_str(&format!("; the full report is {path}")),
        None => totals.push_str("; run `fleetlint check` for the full report"),
    }
    out.push_str(&format!("::notice title={}::{}\n", escape_property("fleetlint summary"), escape_data(&totals)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
