//! The README's "Reports and controls" section works as written: every `sh` snippet runs (from a
//! git repository holding a copy of `testdata/`, with the built `fleetlint` first on PATH) and
//! exits 0 or 1, never 2; the files the snippets name are written and valid; the configuration
//! snippet matches the committed schema and is accepted by `fleetlint check --config`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use fleetlint_testkit::{copy_dir, git_in, repo_root};

/// The fenced blocks of `lang` in the README section `heading` (up to the next `## `).
fn blocks(readme: &str, heading: &str, lang: &str) -> Vec<String> {
    let start = readme.find(heading).unwrap_or_else(|| panic!("README has no `{heading}`"));
    let rest = &readme[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, l) if l == format!("```{lang}") => current = Some(String::new()),
            (Some(b), "```") => {
                out.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

const SECTION: &str = "## Reports and controls";

#[test]
#[ignore = "needs git"]
fn every_snippet_of_reports_and_controls_runs() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let snippets = blocks(&readme, SECTION, "sh");
    assert!(snippets.len() >= 5, "{snippets:?}");
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("repo");
    copy_dir(&repo_root().join("testdata/fleets"), &work.join("testdata/fleets"));
    // `--new-since origin/main` needs a repository with that ref.
    git_in(&work, &["init", "-q", "-b", "main"]);
    git_in(&work, &["add", "-A"]);
    git_in(&work, &["commit", "-q", "-m", "fleet"]);
    git_in(&work, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_fleetlint"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    for snippet in &snippets {
        for command in snippet.lines().filter(|l| !l.trim().is_empty()) {
            let out = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&work)
                .env("PATH", &path)
                .env("CI", "true")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(matches!(out.status.code(), Some(0 | 1)), "`{command}` exited {:?}: {stderr}", out.status.code());
            assert!(!stderr.contains("error:"), "`{command}`: {stderr}");
            assert!(
                !out.stdout.is_empty() || command.contains("--output") || command.contains("baseline"),
                "`{command}` printed nothing"
            );
        }
    }
    for file in ["fleetlint.sarif", "fleetlint.xml", "gl-code-quality-report.json", "fleetlint-baseline.json"] {
        let text = std::fs::read_to_string(work.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(text.len() > 100, "{file}");
        if file.ends_with(".json") || file.ends_with(".sarif") {
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}

/// The configuration example is valid against the committed schema and `fleetlint check` runs
/// with it.
#[test]
fn the_configuration_snippet_is_valid() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let configs: Vec<String> = blocks(&readme, SECTION, "yaml")
        .into_iter()
        .filter(|b| b.starts_with("# yaml-language-server: $schema="))
        .collect();
    assert_eq!(configs.len(), 1);
    let config = &configs[0];
    let url = config.lines().next().unwrap().trim_start_matches("# yaml-language-server: $schema=");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("schemas/config.schema.json")).unwrap())
            .unwrap();
    assert_eq!(schema["$id"], url, "the README points editors at the schema's published address");
    let parsed = fleetlint_yaml::parse_yaml(fleetlint_yaml::FileId(0), config, &fleetlint_yaml::Limits::default());
    let json = parsed.documents[0].root.to_json();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleetlint.yaml");
    std::fs::write(&file, config).unwrap();
    let out = assert_cmd::Command::cargo_bin("fleetlint")
        .unwrap()
        .args(["check", "--format", "json", "--config"])
        .arg(&file)
        .arg(repo_root().join("testdata/fleets/violations"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(!rules.contains(&"SRC010"), "perFileIgnores leaves scratch/ out: {rules:?}");
}
