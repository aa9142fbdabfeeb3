//! `--format junit`: JUnit XML for Jenkins and GitLab test reports. A test suite per cluster
//! (and one for findings that hold for a file alone), a test case per rule that ran, a
//! `<failure>` per finding. Valid against the xUnit plugin's `junit-10.xsd`
//! (`schemas/external/`), which allows several failures per test case.

use fleetlint_rules::{Finding, RuleId};

use crate::model::ReportInput;

/// Escape text for XML content and attribute values; characters XML 1.0 cannot carry are
/// dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn failure(input: &ReportInput<'_>, f: &Finding) -> String {
    let file = input.db.get(f.span.file);
    let (start, _) = input.db.span_lines(f.span);
    let path = match &file.mapping {
        Some(s) => format!("{s}:{}", file.path),
        None => file.path.clone(),
    };
    let mut body = format!("{path}:{}:{}: {}", start.line, start.column, f.message);
    if let Some(o) = &f.object {
        body.push_str(&format!("\nobject: {}", o.id()));
    }
    if let Some(owner) = &f.owner {
        body.push_str(&format!("\nrendered by {owner}"));
    }
    if let Some(help) = &f.help {
        body.push_str(&format!("\nhelp: {help}"));
    }
    format!(
        "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
        f.severity.as_str(),
        xml(&f.message),
        xml(&body)
    )
}

fn suite(input: &ReportInput<'_>, name: &str, rules: &[RuleId], findings: &[&Finding]) -> (String, usize, usize) {
    let mut cases = String::new();
    let mut failed = 0;
    for rule in rules {
        let m = rule.meta();
        let mine: Vec<&&Finding> = findings.iter().filter(|f| f.rule == *rule).collect();
        let case = xml(&format!("{} {}", m.code, m.name));
        let class = xml(&format!("fleetlint.{name}"));
        if mine.is_empty() {
            cases.push_str(&format!("    <testcase name=\"{case}\" classname=\"{class}\" time=\"0\"/>\n"));
        } else {
            failed += 1;
            cases.push_str(&format!("    <testcase name=\"{case}\" classname=\"{class}\" time=\"0\">\n"));
            for f in mine {
                cases.push_str(&failure(input, f));
            }
            cases.push_str("    </testcase>\n");
        }
    }
    let text = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"0\">\n{cases}  </testsuite>\n",
        xml(name),
        rules.len()
    );
    (text, rules.len(), failed)
}

/// Render the report as JUnit XML.
#[must_use]
pub fn render(input: &ReportInput<'_>) -> String {
    let rules = input.rules_reported();
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    let mut add = |name: &str, findings: Vec<&Finding>| {
        let (text, t, f) = suite(input, name, &rules, &findings);
        suites.push_str(&text);
        tests += t;
        failures += f;
    };
    for c in input.clusters {
        add(&c.name, input.outcome.findings.iter().filter(|f| f.clusters.contains(&c.name)).collect());
    }
    let unclustered: Vec<&Finding> = input.outcome.findings.iter().filter(|f| f.clusters.is_empty()).collect();
    if input.clusters.is_empty() || !unclustered.is_empty() {
        add("files", unclustered);
    }
    let seconds = input.elapsed_ms / 1000.0;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fleetlint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(xml("a<b>&\"c'\n\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;");
    }
}
