//! The GitHub Action (`action.yml`), run the way a runner runs a composite action: each step of
//! `action.yml` in order, its `env:` evaluated from the inputs and earlier steps' outputs,
//! `run:` in `bash --noprofile --norc -eo pipefail`, `GITHUB_OUTPUT`/`GITHUB_PATH` files read
//! back, `if:` conditions honoured. Nothing is downloaded: a `curl` on PATH serves a release
//! archive that `scripts/package-release.sh` made from the locally built fleetlint (what the
//! release workflow publishes), and a `cargo` on PATH stands in for the source build. The
//! checked fleet is the reference multi-tenancy repository with a seeded ISO001 violation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use fleetlint_testkit::{
    git_in, reference_git_repository, repo_root, sarif_multitool_problems, seed_tenant_without_service_account,
};
use fleetlint_yaml::{FileId, Limits, parse_yaml};

/// The first document of a YAML file, as JSON.
fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let parsed = parse_yaml(FileId(0), &text, &Limits::default());
    assert!(!parsed.is_broken(), "{}: {:?}", path.display(), parsed.issues);
    parsed.documents[0].root.to_json()
}

/// One executed (or skipped) step.
#[derive(Debug)]
struct StepRun {
    id: String,
    ran: bool,
    status: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    /// `with:` of a `uses:` step, evaluated.
    with: BTreeMap<String, String>,
}

/// What the action did: its steps and its `outputs:`.
#[derive(Debug)]
struct ActionRun {
    steps: Vec<StepRun>,
    outputs: BTreeMap<String, String>,
}

impl ActionRun {
    fn step(&self, id: &str) -> &StepRun {
        self.steps.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no step {id}: {self:#?}"))
    }

    /// The action's status: the first failed step's.
    fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.ran && s.status != 0)
    }
}

/// A runner: an action checkout, a workspace (the fleet), fake `curl`/`cargo` and a temp dir.
struct Runner {
    root: tempfile::TempDir,
    action: PathBuf,
    workspace: PathBuf,
    shims: PathBuf,
    release_dir: PathBuf,
}

const VERSION_TARGET: &str = "x86_64-unknown-linux-musl";

impl Runner {
    /// An action checkout holding this repository's `action.yml`, `action/` and `Cargo.toml`,
    /// and a release of the local fleetlint packaged by `scripts/package-release.sh`; `pin`
    /// decides what `action/releases.sha256` says about it.
    fn new(pin: Pin) -> Runner {
        let root = tempfile::tempdir().unwrap();
        let action = root.path().join("action-checkout");
        std::fs::create_dir_all(action.join("action")).unwrap();
        for file in ["action.yml", "Cargo.toml", "action/install.sh", "action/check.sh", "action/releases.sha256"] {
            std::fs::copy(repo_root().join(file), action.join(file)).unwrap();
        }
        let release_dir = root.path().join("release");
        let version = workspace_version();
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/package-release.sh"))
            .args([&version, VERSION_TARGET, env!("CARGO_BIN_EXE_fleetlint")])
            .arg(&release_dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "package-release.sh: {}", String::from_utf8_lossy(&out.stderr));
        let archive = format!("fleetlint-{version}-{VERSION_TARGET}.tar.gz");
        let sum_line = std::fs::read_to_string(release_dir.join(format!("{archive}.sha256"))).unwrap();
        assert!(sum_line.ends_with(&format!("  {archive}\n")), "{sum_line}");
        let pinned = match pin {
            Pin::Right => sum_line,
            Pin::Wrong => format!("{}  {archive}\n", "0".repeat(64)),
            Pin::None => String::new(),
        };
        let sums = action.join("action/releases.sha256");
        let committed = std::fs::read_to_string(&sums).unwrap();
        std::fs::write(&sums, committed + &pinned).unwrap();

        let shims = root.path().join("shims");
        std::fs::create_dir_all(&shims).unwrap();
        // curl: serves https://github.com/fleetlint/fleetlint/releases/download/vV/NAME from
        // the release directory, logs the URL; anything else fails as curl -f does (22).
        write_script(
            &shims.join("curl"),
            &format!(
                r#"#!/bin/sh
out=
for arg in "$@"; do
  case "$prev" in -o) out=$arg ;; esac
  prev=$arg
  url=$arg
done
echo "$url" >>"{log}"
case "$url" in
  https://github.com/fleetlint/fleetlint/releases/download/v*/*) name=${{url##*/}} ;;
  *) exit 22 ;;
esac
[ -f "{dir}/$name" ] || exit 22
cp "{dir}/$name" "$out"
"#,
                log = root.path().join("curl.log").display(),
                dir = release_dir.display()
            ),
        );
        // cargo: records its arguments and installs the local fleetlint where --root says.
        write_script(
            &shims.join("cargo"),
            &format!(
                r#"#!/bin/sh
echo "$@" >>"{log}"
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root=$2; fi
  shift
done
mkdir -p "$root/bin" && cp "{bin}" "$root/bin/fleetlint"
"#,
                log = root.path().join("cargo.log").display(),
                bin = env!("CARGO_BIN_EXE_fleetlint")
            ),
        );

        // Sources come from the action's `sources` input here, not from the configuration.
        let fleet = reference_git_repository(root.path(), false);
        Runner { action, workspace: fleet, shims, release_dir, root }
    }

    fn log(&self, tool: &str) -> String {
        std::fs::read_to_string(self.root.path().join(format!("{tool}.log"))).unwrap_or_default()
    }

    /// Run `action.yml` with `inputs` (the rest take their defaults).
    fn run(&self, inputs: &[(&str, &str)]) -> ActionRun {
        let action = yaml(&self.action.join("action.yml"));
        assert_eq!(action["runs"]["using"], "composite");
        let mut input_values: BTreeMap<String, String> = BTreeMap::new();
        for (name, spec) in action["inputs"].as_object().unwrap() {
            input_values.insert(name.clone(), spec["default"].as_str().unwrap_or("").to_string());
        }
        for (name, value) in inputs {
            assert!(input_values.contains_key(*name), "action.yml has no input {name}");
            input_values.insert((*name).to_string(), (*value).to_string());
        }
        let temp = self.root.path().join("runner-temp");
        let _ = std::fs::remove_dir_all(&temp);
        std::fs::create_dir_all(&temp).unwrap();
        let github_path = temp.join("github_path");
        std::fs::write(&github_path, "").unwrap();
        let base_path = format!("{}:{}", self.shims.display(), std::env::var("PATH").unwrap());

        let mut steps: Vec<StepRun> = Vec::new();
        for (n, step) in action["runs"]["steps"].as_array().unwrap().iter().enumerate() {
            let id = step["id"].as_str().map_or_else(|| format!("step{n}"), str::to_string);
            let eval = |text: &str| evaluate(text, &input_values, &steps);
            let failed = steps.iter().any(|s| s.ran && s.status != 0);
            let ran = match step["if"].as_str() {
                Some(cond) => condition(cond, &input_values, &steps),
                None => !failed,
            };
            let mut run = StepRun {
                id,
                ran,
                status: 0,
                stdout: String::new(),
                stderr: String::new(),
                outputs: BTreeMap::new(),
                with: BTreeMap::new(),
            };
            if !ran {
                steps.push(run);
                continue;
            }
            if let Some(uses) = step["uses"].as_str() {
                assert!(uses.starts_with("github/codeql-action/upload-sarif@"), "unexpected action {uses}");
                for (k, v) in step["with"].as_object().unwrap() {
                    run.with.insert(k.clone(), eval(v.as_str().unwrap()));
                }
                steps.push(run);
                continue;
            }
            assert_eq!(step["shell"], "bash", "every run step says shell: bash");
            let script = step["run"].as_str().unwrap();
            assert!(!script.contains("${{"), "inputs reach scripts through env only: {script}");
            let script_file = temp.join(format!("step{n}.sh"));
            std::fs::write(&script_file, script).unwrap();
            let output_file = temp.join(format!("output{n}"));
            std::fs::write(&output_file, "").unwrap();
            let added: Vec<String> =
                std::fs::read_to_string(&github_path).unwrap().lines().rev().map(str::to_string).collect();
            let path = added.into_iter().chain([base_path.clone()]).collect::<Vec<_>>().join(":");
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .current_dir(&self.workspace)
                .env_clear()
                .env("PATH", path)
                .env("HOME", self.root.path())
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", &self.action)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &github_path)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("RUNNER_TEMP", &temp);
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    cmd.env(k, eval(v.as_str().unwrap_or("")));
                }
            }
            let out = cmd.output().unwrap();
            run.status = out.status.code().unwrap_or(-1);
            run.stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            run.stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            run.outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
            steps.push(run);
        }
        let mut outputs = BTreeMap::new();
        for (name, spec) in action["outputs"].as_object().unwrap() {
            outputs.insert(name.clone(), evaluate(spec["value"].as_str().unwrap(), &input_values, &steps));
        }
        ActionRun { steps, outputs }
    }
}

/// What `action/releases.sha256` says about the local release archive.
#[derive(Clone, Copy)]
enum Pin {
    /// Its true checksum.
    Right,
    /// Another checksum (a tampered or corrupted download).
    Wrong,
    /// Nothing (an unpublished version): build from source.
    None,
}

fn workspace_version() -> String {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let after = &manifest[manifest.find("[workspace.package]").unwrap()..];
    let line = after.lines().find(|l| l.starts_with("version = ")).unwrap();
    line.trim_start_matches("version = ").trim_matches('"').to_string()
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `GITHUB_OUTPUT`: `name=value` lines and `name<<DELIMITER` blocks.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

/// The value of one expression operand: `inputs.NAME`, `steps.ID.outputs.NAME` or `'literal'`.
fn operand(expr: &str, inputs: &BTreeMap<String, String>, steps: &[StepRun]) -> String {
    let expr = expr.trim();
    if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
        return lit.to_string();
    }
    if let Some(name) = expr.strip_prefix("inputs.") {
        return inputs.get(name).unwrap_or_else(|| panic!("no input {name}")).clone();
    }
    if let Some(rest) = expr.strip_prefix("steps.") {
        let (id, name) = rest.split_once(".outputs.").unwrap_or_else(|| panic!("unsupported expression {expr}"));
        let step = steps.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("step {id} has not run"));
        return step.outputs.get(name).cloned().unwrap_or_default();
    }
    panic!("unsupported expression `{expr}`: teach this test's evaluator")
}

/// `${{ ... }}` in a value.
fn evaluate(text: &str, inputs: &BTreeMap<String, String>, steps: &[StepRun]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        out.push_str(&operand(&rest[start + 3..end], inputs, steps));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// An `if:` of terms joined by `&&`: `!cancelled()`, `A == B`, `A != B`. A condition with a
/// status function runs after a failure; one without does not (GitHub adds `success() &&`).
fn condition(cond: &str, inputs: &BTreeMap<String, String>, steps: &[StepRun]) -> bool {
    let cond = cond.trim().trim_start_matches("${{").trim_end_matches("}}");
    let failed = steps.iter().any(|s| s.ran && s.status != 0);
    let mut has_status_function = false;
    let mut value = true;
    for term in cond.split("&&").map(str::trim) {
        value &= if term == "!cancelled()" {
            has_status_function = true;
            true
        } else if let Some((a, b)) = term.split_once("!=") {
            operand(a, inputs, steps) != operand(b, inputs, steps)
        } else if let Some((a, b)) = term.split_once("==") {
            operand(a, inputs, steps) == operand(b, inputs, steps)
        } else {
            panic!("unsupported condition term `{term}`")
        };
    }
    value && (has_status_function || !failed)
}

/// The issue's "must show": the Action's steps, with the release binary verified and installed,
/// fail on the reference repository with a tenant Kustomization that lost its
/// `serviceAccountName`, print an `::error` annotation at the line, write SARIF the Multitool
/// accepts, hand it to upload-sarif, and output the counts; the clean repository passes.
#[test]
#[ignore = "needs ../shared/corpus, the SARIF Multitool and jq"]
fn the_action_fails_the_seeded_violation_with_an_annotation_and_clean_sarif() {
    let _ = fleetlint_testkit::jq();
    let runner = Runner::new(Pin::Right);
    let sources = "# the tenant repository, checked out beside the fleet\nGitRepository/apps/dev-team=../dev-team\n";

    let clean = runner.run(&[("sources", sources)]);
    assert!(!clean.failed(), "{clean:#?}");
    assert_eq!(clean.step("install").outputs["source"], "release", "{clean:#?}");
    let version = workspace_version();
    assert_eq!(
        runner.log("curl").lines().collect::<Vec<_>>(),
        [format!(
            "https://github.com/fleetlint/fleetlint/releases/download/v{version}/fleetlint-{version}-{VERSION_TARGET}.tar.gz"
        )]
    );
    assert!(runner.log("cargo").is_empty(), "no source build when the release verifies");
    assert_eq!(
        (clean.outputs["errors"].as_str(), clean.outputs["exit-code"].as_str(), clean.outputs["version"].as_str()),
        ("0", "0", version.as_str())
    );
    assert!(!clean.step("check").stdout.contains("::error"), "{}", clean.step("check").stdout);

    let (file, line) = seed_tenant_without_service_account(&runner.workspace);
    let seeded = runner.run(&[("sources", sources)]);
    assert!(seeded.failed(), "the action fails on the violation");
    let check = seeded.step("check");
    assert_eq!(check.status, 1, "{}{}", check.stdout, check.stderr);
    let errors: Vec<&str> = check.stdout.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(errors.len(), 1, "{}", check.stdout);
    assert!(
        errors[0].starts_with(&format!(
            "::error file={file},line={line},col=1,endLine={line},endColumn=5,title=ISO001 tenant-reconciler-without-service-account::"
        )),
        "{}",
        errors[0]
    );
    assert_eq!((seeded.outputs["errors"].as_str(), seeded.outputs["exit-code"].as_str()), ("1", "1"));
    assert!(seeded.outputs["warnings"].parse::<u32>().unwrap() > 0, "{:?}", seeded.outputs);

    // The upload step runs after the failed check, with the SARIF the check wrote.
    let upload = seeded.step("upload-sarif");
    assert!(upload.ran, "upload-sarif runs when the check found errors");
    assert_eq!(upload.with["sarif_file"], seeded.outputs["sarif-file"]);
    assert_eq!(upload.with["category"], "fleetlint");
    let sarif_path = PathBuf::from(&seeded.outputs["sarif-file"]);
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let iso001: Vec<&Value> =
        sarif["runs"][0]["results"].as_array().unwrap().iter().filter(|r| r["ruleId"] == "ISO001").collect();
    assert_eq!(iso001.len(), 1);
    let location = &iso001[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        (location["artifactLocation"]["uri"].as_str(), location["region"]["startLine"].as_u64()),
        (Some(file), Some(u64::from(line)))
    );
    let problems = sarif_multitool_problems(&[sarif_path], runner.root.path());
    assert!(problems.is_empty(), "SARIF Multitool: {problems:#?}");

    // Without the upload, the step is skipped.
    let no_upload = runner.run(&[("sources", sources), ("upload-sarif", "false")]);
    assert!(!no_upload.step("upload-sarif").ran);
}

/// `new-since` on a pull request: annotations and the exit status hold only what the change
/// introduces, while the SARIF for code scanning holds every finding (code scanning takes each
/// upload as the whole state of the ref).
#[test]
#[ignore = "needs ../shared/corpus and jq"]
fn new_since_gates_on_new_findings_and_uploads_every_finding() {
    let _ = fleetlint_testkit::jq();
    let runner = Runner::new(Pin::Right);
    let sources = "GitRepository/apps/dev-team=../dev-team";
    let (file, _) = seed_tenant_without_service_account(&runner.workspace);
    git_in(&runner.workspace, &["commit", "-q", "-am", "drop the tenant's service account"]);
    let run = runner.run(&[("sources", sources), ("new-since", "HEAD~1")]);
    let check = run.step("check");
    assert_eq!(check.status, 1, "{}{}", check.stdout, check.stderr);
    let annotations: Vec<&str> =
        check.stdout.lines().filter(|l| l.starts_with("::error") || l.starts_with("::warning")).collect();
    assert_eq!(annotations.len(), 1, "only the new finding: {}", check.stdout);
    assert!(annotations[0].contains(&format!("file={file},")), "{}", annotations[0]);
    assert_eq!((run.outputs["errors"].as_str(), run.outputs["warnings"].as_str()), ("1", "0"));
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&run.outputs["sarif-file"]).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "ISO001"));
    assert!(results.iter().any(|r| r["level"] == "warning"), "the SARIF keeps the findings older than HEAD~1");
    assert!(run.step("upload-sarif").ran);

    // Without the upload, one run: the SARIF is the gate's (new findings only).
    let gate_only = runner.run(&[("sources", sources), ("new-since", "HEAD~1"), ("upload-sarif", "false")]);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&gate_only.outputs["sarif-file"]).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
}

/// A downloaded archive whose checksum differs from the pinned one is never run: the install
/// step fails and nothing else runs.
#[test]
#[ignore = "needs ../shared/corpus"]
fn a_release_archive_with_another_checksum_fails_the_install() {
    let runner = Runner::new(Pin::Wrong);
    let run = runner.run(&[]);
    let install = run.step("install");
    assert_eq!(install.status, 1, "{}{}", install.stdout, install.stderr);
    assert!(install.stdout.contains("::error title=fleetlint::checksum mismatch for fleetlint-"), "{}", install.stdout);
    assert!(runner.log("cargo").is_empty(), "no fallback after a mismatch");
    assert!(!run.step("check").ran);
    assert!(!run.step("upload-sarif").ran);
}

/// A version with no pinned checksum (this checkout before its release), or a download that
/// fails, builds the action's own checkout with `cargo install --locked`.
#[test]
#[ignore = "needs ../shared/corpus and jq"]
fn without_a_pinned_release_the_action_builds_its_checkout() {
    let _ = fleetlint_testkit::jq();
    let runner = Runner::new(Pin::None);
    let run = runner.run(&[("sources", "GitRepository/apps/dev-team=../dev-team")]);
    assert!(!run.failed(), "{run:#?}");
    assert_eq!(run.step("install").outputs["source"], "cargo");
    assert!(runner.log("curl").is_empty(), "nothing to download without a pinned checksum");
    assert_eq!(
        runner.log("cargo").trim(),
        format!(
            "install --locked --path {}/crates/fleetlint --root {}/runner-temp/fleetlint-cargo",
            runner.action.display(),
            runner.root.path().display()
        )
    );
    assert_eq!(run.outputs["exit-code"], "0");

    // A pinned release whose download fails falls back too.
    let runner = Runner::new(Pin::Right);
    for entry in std::fs::read_dir(&runner.release_dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let run = runner.run(&[("sources", "GitRepository/apps/dev-team=../dev-team")]);
    assert_eq!(run.step("install").outputs["source"], "cargo", "{run:#?}");
    assert!(run.step("install").stdout.contains("::warning title=fleetlint::could not download"));

    // A version other than the checkout's cannot be built from it.
    let run = runner.run(&[("version", "9.9.9")]);
    assert_eq!(run.step("install").status, 2);
    assert!(run.step("install").stdout.contains("this action's checkout is version"), "{run:#?}");
}
