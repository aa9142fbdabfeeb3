//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit (PyPI, pinned
//! and installed by `.ci/run`) on a copy of the reference multi-tenancy repository: the tenant
//! repository is mapped through `sources:` in its `.fleetlint.yaml`, and the seeded violation is
//! a tenant Kustomization without `serviceAccountName` (ISO001).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use fleetlint_testkit::{git_in, pre_commit, reference_git_repository, repo_root, seed_tenant_without_service_account};

fn consumer(dir: &Path) -> PathBuf {
    reference_git_repository(dir, true)
}

/// pre-commit's store in `home`, no colour, and a git identity for the commits it (or the test)
/// makes.
fn pre_commit_env<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    cmd.env("PRE_COMMIT_HOME", home)
        .env("PRE_COMMIT_COLOR", "never")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "fleetlint test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "fleetlint test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
}

/// `pre-commit ARGS` in `dir`, with its store in `home`.
fn run_pre_commit(dir: &Path, home: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(pre_commit());
    pre_commit_env(&mut cmd, home)
        .args(args)
        .current_dir(dir)
        // Where pre-commit's `cargo install` builds: pre-commit passes the environment through
        // (pre_commit/languages/rust.py, install_environment) and `cargo install --path` uses a
        // target directory it is given, so the hook's release build reuses the dependencies of
        // the workspace's own release build (.ci/run builds one for the hostile-input suite)
        // where its fresh resolution picked the same versions. Each try-repo clones into a new
        // path, so the workspace's crates are built again.
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The issue's "must show", with the hook that builds fleetlint from this repository
/// (`language: rust`, `cargo install --bins --path .` in the repository root): `pre-commit
/// try-repo` passes the clean repository and fails the seeded violation, naming the rule and
/// the line.
#[test]
#[ignore = "needs ../shared/corpus, pre-commit and cargo"]
fn the_rust_hook_fails_a_tenant_without_service_account_and_passes_the_clean_repository() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = consumer(dir.path());
    let home = dir.path().join("pre-commit-home");
    let hook_repo = repo_root();
    let hook_repo = hook_repo.to_str().unwrap();

    // A staged YAML change that breaks nothing: the hook runs (files: matches) and passes.
    let rbac = fleet.join("tenants/base/dev-team/rbac.yaml");
    let text_before = std::fs::read_to_string(&rbac).unwrap();
    std::fs::write(&rbac, format!("# reviewed\n{text_before}")).unwrap();
    git_in(&fleet, &["add", "-A"]);
    let clean = run_pre_commit(&fleet, &home, &["try-repo", hook_repo, "fleetlint"]);
    let out = text(&clean);
    assert!(clean.status.success(), "{out}");
    assert!(out.lines().any(|l| l.starts_with("fleetlint...") && l.ends_with("Passed")), "{out}");

    let (file, line) = seed_tenant_without_service_account(&fleet);
    git_in(&fleet, &["add", "-A"]);
    let seeded = run_pre_commit(&fleet, &home, &["try-repo", hook_repo, "fleetlint"]);
    let out = text(&seeded);
    assert_eq!(seeded.status.code(), Some(1), "{out}");
    assert!(out.lines().any(|l| l.starts_with("fleetlint...") && l.ends_with("Failed")), "{out}");
    assert!(out.contains("- exit code: 1"), "{out}");
    assert!(
        out.contains("error[ISO001]: Kustomization apps/dev-team of tenant dev-team has no spec.serviceAccountName"),
        "{out}"
    );
    assert!(out.contains(&format!("--> {file}:{line}:1")), "{out}");
}

/// The README's `.pre-commit-config.yaml`, with the `fleetlint-system` hook (the fleetlint on
/// PATH) and this repository as the hook repository: installed as a git hook, it refuses the
/// commit of the violation, lets a commit that touches no file fleetlint reads through, and
/// accepts the fixed commit.
#[test]
#[ignore = "needs ../shared/corpus and pre-commit"]
fn the_system_hook_blocks_the_commit_of_a_violation_as_the_readme_configures_it() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = consumer(dir.path());
    let home = dir.path().join("pre-commit-home");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_fleetlint")).parent().unwrap();

    let manifest = run_pre_commit(&repo_root(), &home, &["validate-manifest", ".pre-commit-hooks.yaml"]);
    assert!(manifest.status.success(), "{}", text(&manifest));

    let head = String::from_utf8(
        Command::new(fleetlint_testkit::git())
            .args(["rev-parse", "HEAD"])
            .current_dir(repo_root())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let config = readme_pre_commit_config()
        .replace("https://github.com/fleetlint/fleetlint", repo_root().to_str().unwrap())
        .replace("rev: v0.1.0", &format!("rev: {}", head.trim()))
        .replace("- id: fleetlint ", "- id: fleetlint-system ");
    assert!(config.contains("- id: fleetlint-system "), "{config}");
    std::fs::write(fleet.join(".pre-commit-config.yaml"), &config).unwrap();
    let valid = run_pre_commit(&fleet, &home, &["validate-config", ".pre-commit-config.yaml"]);
    assert!(valid.status.success(), "{}", text(&valid));
    git_in(&fleet, &["add", ".pre-commit-config.yaml"]);
    git_in(&fleet, &["commit", "-q", "-m", "pre-commit"]);
    let installed = run_pre_commit(&fleet, &home, &["install"]);
    assert!(installed.status.success(), "{}", text(&installed));

    let commits = |fleet: &Path| {
        let out = Command::new(fleetlint_testkit::git())
            .args(["rev-list", "--count", "HEAD"])
            .current_dir(fleet)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().parse::<u32>().unwrap()
    };
    let commit = |message: &str| {
        let mut cmd = Command::new(fleetlint_testkit::git());
        pre_commit_env(&mut cmd, &home)
            .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message])
            .current_dir(&fleet)
            .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()));
        cmd.output().unwrap()
    };

    let before = commits(&fleet);
    let sync = fleet.join(fleetlint_testkit::seed_tenant_without_service_account(&fleet).0);
    git_in(&fleet, &["add", "-A"]);
    let refused = commit("drop the tenant's service account");
    let out = text(&refused);
    assert!(!refused.status.success(), "{out}");
    assert!(out.contains("error[ISO001]"), "{out}");
    assert_eq!(commits(&fleet), before, "the commit was refused");

    // A commit touching no YAML does not run the hook (files:), even with the violation staged
    // elsewhere in the working tree but not in this commit.
    git_in(&fleet, &["reset", "-q"]);
    std::fs::write(fleet.join("NOTES.md"), "notes\n").unwrap();
    git_in(&fleet, &["add", "NOTES.md"]);
    let skipped = commit("notes");
    let out = text(&skipped);
    assert!(skipped.status.success(), "{out}");
    assert!(out.contains("(no files to check)Skipped"), "{out}");

    // Fixed: the commit goes through.
    std::fs::write(
        &sync,
        std::fs::read_to_string(
            fleetlint_testkit::corpus().join("fluxcd__flux2-multi-tenancy/tenants/base/dev-team/sync.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        fleet.join("tenants/base/dev-team/rbac.yaml"),
        format!("# reviewed\n{}", std::fs::read_to_string(fleet.join("tenants/base/dev-team/rbac.yaml")).unwrap()),
    )
    .unwrap();
    git_in(&fleet, &["add", "-A"]);
    let accepted = commit("review the tenant");
    let out = text(&accepted);
    assert!(accepted.status.success(), "{out}");
    assert!(out.lines().any(|l| l.starts_with("fleetlint (installed)...") && l.ends_with("Passed")), "{out}");
    assert_eq!(commits(&fleet), before + 2);
}

/// The `.pre-commit-config.yaml` snippet of the README's pre-commit section.
fn readme_pre_commit_config() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme.find("\n## pre-commit\n").expect("README has a pre-commit section")..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

/// The root package that pre-commit's `cargo install --path .` installs is the command line of
/// crates/fleetlint: the same source file and the same dependencies.
#[test]
fn the_root_package_is_the_command_line_of_crates_fleetlint() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    let package = |name: &str| -> Value {
        metadata["packages"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap().clone()
    };
    let (root, cli) = (package("fleetlint-pre-commit"), package("fleetlint"));
    assert_eq!(
        Path::new(root["manifest_path"].as_str().unwrap()).parent().unwrap().canonicalize().unwrap(),
        repo_root(),
        "pre-commit installs the package of the repository root"
    );
    let bins = |p: &Value| -> Vec<(String, PathBuf)> {
        p["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == serde_json::json!(["bin"]))
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    Path::new(t["src_path"].as_str().unwrap()).canonicalize().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(bins(&root), bins(&cli));
    let normal_deps = |p: &Value| -> Vec<Value> {
        let mut deps: Vec<Value> = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| serde_json::json!([d["name"], d["req"], d["features"], d["uses_default_features"], d["optional"]]))
            .collect();
        deps.sort_by_key(ToString::to_string);
        deps
    };
    assert_eq!(
        normal_deps(&root),
        normal_deps(&cli),
        "keep [dependencies] of the root Cargo.toml equal to crates/fleetlint's"
    );
}
