//! The baseline file (`--write-baseline FILE`, `--baseline FILE`): the fingerprints of the
//! findings a fleet has today, so it adopts fleetlint failing only on new problems. Rule, file,
//! line and message are kept for the people who read the file; only the fingerprint matches.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::ReportInput;

/// The file's version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    file: String,
    line: u32,
    message: String,
}

/// Render the baseline of a run's findings.
#[must_use]
pub fn render(input: &ReportInput<'_>) -> String {
    let findings = input
        .outcome
        .findings
        .iter()
        .map(|f| {
            let file = input.db.get(f.span.file);
            Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.code().to_string(),
                source: file.mapping.as_deref().map(str::to_string),
                file: file.path.clone(),
                line: input.db.span_lines(f.span).0.line,
                message: f.message.clone(),
            }
        })
        .collect();
    let file = File { version: VERSION, tool: "fleetlint".into(), findings };
    let mut out = serde_json::to_string_pretty(&file).unwrap_or_default();
    out.push('\n');
    out
}

/// The fingerprints of a baseline file, with how many findings each matches.
///
/// # Errors
/// When the text is not a fleetlint baseline of a version this build reads.
pub fn parse(text: &str) -> Result<HashMap<String, usize>, String> {
    let file: File = serde_json::from_str(text).map_err(|e| format!("not a fleetlint baseline: {e}"))?;
    if file.version != VERSION {
        return Err(format!("baseline version {} is not supported (expected {VERSION})", file.version));
    }
    let mut out: HashMap<String, usize> = HashMap::new();
    for e in file.findings {
        *out.entry(e.fingerprint).or_default() += 1;
    }
    Ok(out)
}
