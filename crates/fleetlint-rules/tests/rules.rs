//! Every rule is registered, documented, and has a failing and a passing fixture whose inline
//! `# expect: CODE` comments match exactly what the rule reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fleetlint_fleet::{LoadOptions, load};
use fleetlint_rules::{INVALID_SUPPRESSION, RuleId, all_rules, builtin_policies, catalog, check};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `(file, line)` pairs where `code` is expected, from `# expect: CODE[, CODE]` comments. The
/// raw text is scanned, not the YAML, so broken files can carry expectations too.
fn expectations(dir: &Path, code: &str) -> BTreeSet<(String, u32)> {
    let mut out = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        let rel = fleetlint_yaml::relpath::relative_slash_path(dir, entry.path());
        for (i, line) in text.lines().enumerate() {
            let Some((_, rest)) = line.split_once("# expect:") else { continue };
            if rest.split(',').map(|c| c.split_whitespace().next().unwrap_or("")).any(|c| c == code) {
                out.insert((rel.clone(), u32::try_from(i + 1).unwrap()));
            }
        }
    }
    out
}

fn reported(dir: &Path, code: &str) -> BTreeSet<(String, u32)> {
    // A fixture is a repository: its `.fleetlint.yaml` (if any) maps sources and sets tenants.
    let s = load(&LoadOptions { root: dir.to_path_buf(), ..LoadOptions::default() }).unwrap();
    let (db, outcome) = (&s.db, check(&s));
    outcome
        .findings
        .iter()
        .filter(|f| f.code() == code)
        .map(|f| (db.get(f.span.file).path.clone(), db.get(f.span.file).line_col(f.span.start).line))
        .collect()
}

/// The rules with fixtures: every check, and HYG008, which the engine reports on one tree
/// (FLT001 needs a failing rule, HYG004 two commits: tested in the CLI crate).
fn with_fixtures() -> Vec<RuleId> {
    all_rules().iter().map(|r| r.id()).chain([INVALID_SUPPRESSION]).collect()
}

#[test]
fn every_rule_has_fixtures_that_match_its_findings() {
    let root = repo_root().join("testdata/rules");
    for rule in with_fixtures() {
        let code = rule.meta().code;
        let fail = root.join(code).join("fail");
        let pass = root.join(code).join("pass");
        assert!(fail.is_dir() && pass.is_dir(), "{code}: testdata/rules/{code}/fail and /pass must exist");
        let expected = expectations(&fail, code);
        assert!(!expected.is_empty(), "{code}: the failing fixture has no `# expect: {code}` comment");
        assert_eq!(reported(&fail, code), expected, "{code}: findings differ from the fixture's expectations");
        assert_eq!(reported(&pass, code), BTreeSet::new(), "{code}: the passing fixture must produce no finding");
    }
}

#[test]
fn every_rule_file_is_registered_and_every_fixture_dir_names_a_rule() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    // The catalog: every check, and FLT001, which the engine reports when a check panics; the
    // built-in policies are declared by their files under `policies/` (tested by
    // fleetlint-policy's `pack` test against `testdata/policies`).
    let policies: BTreeSet<&str> = builtin_policies().iter().map(|r| r.id().code()).collect();
    let registered: BTreeSet<&str> = catalog().iter().map(|r| r.code()).filter(|c| !policies.contains(c)).collect();
    let mut declared = BTreeSet::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("code: \"") {
                let code = rest.split('"').next().unwrap().to_string();
                assert!(
                    registered.contains(code.as_str()),
                    "{code} in {} is not in the registry",
                    entry.path().display()
                );
                assert!(declared.insert(code.clone()), "{code} is declared twice");
            }
        }
    }
    assert_eq!(declared.iter().map(String::as_str).collect::<BTreeSet<_>>(), registered);
    let checks: BTreeSet<&str> = with_fixtures().iter().map(|r| r.code()).collect();
    for entry in std::fs::read_dir(repo_root().join("testdata/rules")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(checks.contains(name.as_str()), "testdata/rules/{name} names no registered rule");
    }
}

#[test]
fn every_rule_is_documented_with_the_fixed_sections() {
    for rule in catalog() {
        let m = rule.meta();
        for section in ["## What it does", "## Why is this bad?", "## Example", "## Fix"] {
            assert!(m.doc.contains(section), "{} lacks `{section}`", m.code);
        }
        assert!(
            m.name.split('-').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "{}: name `{}` is not kebab-case",
            m.code,
            m.name
        );
        let code_ok = m.code.len() == 6
            && m.code[..3].bytes().all(|b| b.is_ascii_uppercase())
            && m.code[3..].bytes().all(|b| b.is_ascii_digit());
        assert!(code_ok, "{}: malformed code", m.code);
        assert!(!m.summary().is_empty());
    }
}

/// A rule that gives some findings a severity other than its declared default says when, in a
/// `## Severity` section of its documentation: the default is what `fleetlint rules` lists, so a
/// reader must learn from `explain` where it differs. Read from the rule's source: a severity
/// decided at run time (`with_severity(severity)`, `f.severity = …`, the XNS lockdown verdict)
/// or a literal severity other than the default.
#[test]
fn every_rule_that_departs_from_its_default_severity_documents_when() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let Some(code) = text.lines().find_map(|l| l.trim().strip_prefix("code: \"")).map(|r| &r[..6]) else {
            continue;
        };
        let meta = catalog().into_iter().map(fleetlint_rules::RuleId::meta).find(|m| m.code == code).unwrap();
        let body = &text[text.find("impl Rule for").unwrap_or(0)..];
        let body = &body[..body.find("#[cfg(test)]").unwrap_or(body.len())];
        let literal_other = body
            .split("Severity::")
            .skip(1)
            .map(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or(""))
            .any(|name| !name.eq_ignore_ascii_case(meta.default_severity.as_str()));
        let decided = ["with_severity(severity", ".severity = ", "&r, severity)"].iter().any(|p| body.contains(p));
        if literal_other || decided {
            assert!(
                meta.doc.contains("## Severity"),
                "{code} ({}) departs from its default severity but its doc has no `## Severity` section",
                entry.path().display()
            );
        }
    }
}
