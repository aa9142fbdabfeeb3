//! The whole corpus of real fleet repositories: `check --format json` never crashes, exits 0 or
//! 1, writes a report valid against the schema, and every finding points inside a real file.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn every_corpus_repository_checks_cleanly_against_the_contract() {
    let corpus = fleetlint_testkit::corpus();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("schemas/report.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut repos: Vec<PathBuf> =
        std::fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    repos.sort();
    assert!(repos.len() >= 10, "expected the corpus repositories under {}", corpus.display());
    for repo in repos {
        let out = assert_cmd::Command::cargo_bin("fleetlint")
            .unwrap()
            .args(["check", "--format", "json"])
            .arg(&repo)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let name = repo.file_name().unwrap().to_string_lossy();
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "{name}: exit {code:?}, stderr: {}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: report does not match the schema: {errors:?}");
        for f in json["findings"].as_array().unwrap() {
            let file = f["file"].as_str().unwrap();
            let path = repo.join(file);
            assert!(path.is_file(), "{name}: finding names missing file {file}");
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let lines = text.lines().count().max(1) as u64;
            let line = f["line"].as_u64().unwrap();
            assert!(line >= 1 && line <= lines, "{name}: {file}:{line} is outside the file ({lines} lines)");
        }
    }
}
