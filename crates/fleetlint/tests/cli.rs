//! End-to-end: the binary's exit codes, formats and report contract.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn fleetlint() -> Command {
    let mut cmd = Command::cargo_bin("fleetlint").unwrap();
    cmd.current_dir(repo_root()).env_remove("NO_COLOR");
    cmd
}

fn report_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("schemas/report.schema.json")).unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid_report(json: &serde_json::Value) {
    let validator = report_validator();
    let errors: Vec<String> = validator.iter_errors(json).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "report does not match the schema:\n{}", errors.join("\n"));
}

#[test]
fn clean_example_fleet_exits_zero() {
    fleetlint()
        .args(["check", "testdata/fleets/clean"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 errors, 0 warnings"));
}

#[test]
fn violations_fleet_reports_with_positions_and_exit_codes_follow_fail_on() {
    // The duplicate key is in a file a kustomization loads, so kustomize fails: an error. It is
    // in team-a's repository, mapped by `.fleetlint.yaml`, so it is shown in that source. The
    // broken scratch file is reached by no build: an info.
    fleetlint()
        .args(["check", "testdata/fleets/violations"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[HYG006]: mapping key `replicaCount` is defined twice"))
        .stdout(predicate::str::contains("--> github.com/example/team-a:staging/podinfo-canary.yaml:23:5"))
        .stdout(predicate::str::contains("info[SRC010]"));
    fleetlint().args(["check", "testdata/fleets/violations", "--fail-on", "none"]).assert().code(0);
    // An info alone fails only `--fail-on info`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "a: [1, 2\n").unwrap();
    fleetlint().arg("check").arg(dir.path()).assert().code(0);
    fleetlint().arg("check").arg(dir.path()).args(["--fail-on", "warning"]).assert().code(0);
    fleetlint().arg("check").arg(dir.path()).args(["--fail-on", "info"]).assert().code(1);
}

#[test]
fn json_report_matches_the_schema() {
    let out = fleetlint().args(["check", "testdata/fleets/violations", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_report(&json);
    let findings = json["findings"].as_array().unwrap();
    let dup = findings.iter().find(|f| f["rule"] == "HYG006").expect("HYG006 finding");
    assert_eq!(dup["source"], "github.com/example/team-a");
    assert_eq!(dup["file"], "staging/podinfo-canary.yaml");
    assert_eq!(dup["line"], 23);
    assert_eq!(dup["related"][0]["line"], 20);
    assert_eq!(dup["object"]["kind"], "HelmRelease");
    assert_eq!(dup["severity"], "error");
    assert_eq!(json["summary"]["skipped_files"], 1);
}

#[test]
fn fingerprints_do_not_depend_on_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n";
    std::fs::write(dir.path().join("cm.yaml"), body).unwrap();
    let run = || {
        let out = fleetlint().args(["check", "--format", "json"]).arg(dir.path()).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            json["findings"][0]["fingerprint"].as_str().unwrap().to_string(),
            json["findings"][0]["line"].as_u64().unwrap(),
        )
    };
    let (before, line_before) = run();
    std::fs::write(dir.path().join("cm.yaml"), format!("# a comment moves everything down\n\n{body}")).unwrap();
    let (after, line_after) = run();
    assert_ne!(line_before, line_after);
    assert_eq!(before, after);
}

#[test]
fn suppression_comment_silences_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  # fleetlint: ignore[HYG006] kept for the migration test\n  name: b\n",
    )
    .unwrap();
    let out = fleetlint().args(["check", "--format", "json"]).arg(dir.path()).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["summary"]["suppressed"], 1);
}

#[test]
fn usage_and_io_errors_exit_two() {
    fleetlint().args(["check", "--format", "xml"]).assert().code(2);
    fleetlint()
        .args(["check", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("fleetlint: error: cannot read does/not/exist"));
    fleetlint().args(["explain", "NOPE999"]).assert().code(2);
}

#[test]
fn output_has_no_colour_when_not_a_terminal_or_no_color_is_set() {
    let out = fleetlint().args(["check", "testdata/fleets/violations"]).env("NO_COLOR", "1").output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let out = fleetlint().args(["check", "testdata/fleets/violations"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn quiet_prints_only_findings() {
    // The clean fleet has infos only (team-b's repository is not mapped).
    let out = fleetlint().args(["check", "testdata/fleets/clean", "--quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("info[SRC012]"), "{text}");
    assert!(!text.contains("cluster production") && !text.contains("0 errors"), "{text}");
    let full = fleetlint().args(["check", "testdata/fleets/clean"]).output().unwrap();
    let full = String::from_utf8_lossy(&full.stdout);
    assert!(full.contains("cluster production (gotk-sync, clusters/production"), "{full}");
    assert!(full.contains("0 errors, 0 warnings, 1 info"), "{full}");
}

#[test]
fn explain_prints_the_rule_documentation() {
    fleetlint()
        .args(["explain", "hyg006"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("# HYG006 duplicate-key"))
        .stdout(predicate::str::contains("## Why is this bad?"));
    fleetlint().arg("rules").assert().code(0).stdout(predicate::str::contains("SRC010  invalid-yaml"));
}

#[test]
fn special_files_and_symlinks_out_of_the_root_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "a: 1\na: 2\n").unwrap();
    symlink(outside.path().join("secret.yaml"), dir.path().join("link.yaml")).unwrap();
    symlink(outside.path(), dir.path().join("linked-dir")).unwrap();
    symlink("/dev/zero", dir.path().join("zero.yaml")).unwrap();
    let fifo = dir.path().join("pipe.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::write(dir.path().join("ok.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n").unwrap();
    let out = fleetlint()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1, "only ok.yaml is read");
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
}

#[test]
#[ignore = "needs ../shared/spec"]
fn bundled_schemas_are_the_shared_contract() {
    let shared = fleetlint_testkit::shared("spec");
    for name in ["report.schema.json", "graph.schema.json"] {
        let ours = std::fs::read_to_string(repo_root().join("schemas").join(name)).unwrap();
        let theirs = std::fs::read_to_string(shared.join(name)).unwrap();
        assert_eq!(ours, theirs, "schemas/{name} differs from ../shared/spec/{name}");
    }
}

#[test]
fn build_prints_resolved_objects_with_origins_and_fails_like_kustomize() {
    let out = fleetlint()
        .args(["build", "testdata/fleets/clean/tenants/staging", "--root", "testdata/fleets/clean", "--origin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // The namespace of the tenant ServiceAccount was written by the base kustomization's
    // `namespace:` field, not by the resource file.
    assert!(text.contains("  namespace: team-a # tenants/base/team-a/kustomization.yaml:3"), "{text}");
    fleetlint()
        .args([
            "build",
            "testdata/fleets/violations/tenant-repos/team-a/staging",
            "--root",
            "testdata/fleets/violations",
        ])
        .assert()
        .code(1);
    fleetlint().args(["build", "testdata/fleets/clean"]).assert().code(1);
    fleetlint().args(["build", "does/not/exist"]).assert().code(2);
}

/// Without `--root` (and outside a git work tree) the root is the current directory when DIR is
/// below it, else DIR; a resource above the root fails the build (exit 1), as it fails under
/// kustomize-controller.
#[test]
fn build_root_defaults_to_the_current_directory_and_leaving_it_fails() {
    let tmp = std::env::temp_dir().join(format!("fleetlint-build-root-{}", std::process::id()));
    let app = tmp.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("kustomization.yaml"), "resources:\n  - ../shared.yaml\n").unwrap();
    std::fs::write(tmp.join("shared.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n").unwrap();
    let mut cmd = Command::cargo_bin("fleetlint").unwrap();
    let out = cmd.current_dir(&tmp).args(["build", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: shared"));
    // from a directory DIR is not below, the root is DIR itself
    let elsewhere = tmp.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut cmd = Command::cargo_bin("fleetlint").unwrap();
    let out = cmd.current_dir(&elsewhere).arg("build").arg(&app).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("../shared.yaml leaves the repository root"));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn build_flux_generates_the_kustomization_kustomize_controller_would() {
    // clusters/production has no kustomization.yaml: kustomize fails, Flux generates one from
    // every YAML file below it, stopping at flux-system (which has its own kustomization).
    fleetlint()
        .args(["build", "testdata/fleets/clean/clusters/production", "--root", "testdata/fleets/clean"])
        .assert()
        .code(1);
    let out = fleetlint()
        .args(["build", "--flux", "testdata/fleets/clean/clusters/production", "--root", "testdata/fleets/clean"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["name: infra-controllers", "name: tenants"] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn graph_json_is_the_contract_and_follows_the_mapped_tenant_repo() {
    let corpus = fleetlint_testkit::corpus();
    let tenant =
        format!("GitRepository/apps/dev-team={}", corpus.join("fluxcd__flux2-multi-tenancy__dev-team").display());
    let out = fleetlint()
        .args(["graph", "--format", "json", "--source", &tenant, "--cluster", "production"])
        .arg(corpus.join("fluxcd__flux2-multi-tenancy"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("schemas/graph.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let clusters = json["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "--cluster limits the graph");
    let c = &clusters[0];
    let node = |id: &str| c["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).cloned();
    let podinfo = node("HelmRelease/apps/podinfo").expect("reached through the mapped source");
    assert_eq!(podinfo["tenant"], "dev-team");
    assert_eq!(podinfo["scope"], "tenant");
    assert_eq!(node("Kustomization/flux-system/kyverno-controller").unwrap()["opaque"], true);
    let edge = |from: &str, to: &str, reason: &str| {
        c["edges"].as_array().unwrap().iter().any(|e| e["from"] == from && e["to"] == to && e["reason"] == reason)
    };
    assert!(edge("Kustomization/flux-system/tenants", "Kustomization/flux-system/kyverno-policies", "dependsOn"));
    assert!(edge("Kustomization/flux-system/kyverno-policies", "Kustomization/flux-system/kyverno", "dependsOn"));
    assert!(edge("Kustomization/flux-system/tenants", "Kustomization/apps/dev-team", "renders"));
    assert!(edge("Kustomization/apps/dev-team", "GitRepository/apps/dev-team", "source"));
    // Mermaid and DOT render the same graph.
    for (format, marker) in [("mermaid", "flowchart LR"), ("dot", "digraph fleet")] {
        let out = fleetlint()
            .args(["graph", "--format", format, "--source", &tenant])
            .arg(corpus.join("fluxcd__flux2-multi-tenancy"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker) && text.contains("dev-team"), "{format}:\n{text}");
    }
}

#[test]
fn fleet_options_fail_with_usage_errors() {
    fleetlint()
        .args(["check", "testdata/fleets/clean", "--cluster", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--cluster nope: no such cluster (found: production, staging)"));
    fleetlint()
        .args(["check", "testdata/fleets/clean", "--source", "GitRepository/a/b=does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a directory"));
    fleetlint().args(["check", "testdata/fleets/clean", "--source", "no-equals-sign"]).assert().code(2);
    // --clusters replaces discovery.
    let out = fleetlint()
        .args(["check", "testdata/fleets/clean", "--clusters", "clusters/staging", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = json["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["staging"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn build_kustomization_prints_what_a_flux_kustomization_applies_after_substitution() {
    let corpus = fleetlint_testkit::corpus();
    let map = |repo: &str| {
        format!(
            "https://github.com/controlplaneio-fluxcd/{repo}={}",
            corpus.join(format!("controlplaneio-fluxcd__{repo}")).display()
        )
    };
    let out = fleetlint()
        .args(["build", "--kustomization", "frontend/flux-frontend", "--cluster", "staging", "--origin"])
        .args(["--source", &map("d1-apps"), "--source", &map("d1-infra")])
        .arg(corpus.join("controlplaneio-fluxcd__d1-fleet"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // `path: ./components/frontend/${ENVIRONMENT}` was substituted from the cluster's
    // flux-runtime-info ConfigMap before the path was built.
    assert!(text.contains("github.com/controlplaneio-fluxcd/d1-apps:components/frontend/staging/"), "{text}");
    assert!(text.contains("kind: HelmRelease"), "{text}");
    // Unmapped, it cannot be built: exit 1 with the SRC012 reason.
    fleetlint()
        .args(["build", "--kustomization", "frontend/flux-frontend", "--cluster", "staging"])
        .arg(corpus.join("controlplaneio-fluxcd__d1-fleet"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not mapped to a local tree"));
}
