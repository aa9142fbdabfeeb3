//! End-to-end: the reference multi-tenancy fleet (and its tenant repository) with one
//! cross-namespace edit each, checked through the binary; and the untouched reference fleets
//! carry no error-level finding from the isolation (ISO006-ISO010) and cross-namespace rules.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use fleetlint_testkit::{copy_dir, corpus};

const FLEET: &str = "fluxcd__flux2-multi-tenancy";
const TENANT: &str = "fluxcd__flux2-multi-tenancy__dev-team";
const TENANT_KEY: &str = "GitRepository/apps/dev-team";

/// The rules these tests are about.
const RULES: &[&str] = &[
    "ISO006", "ISO007", "ISO008", "ISO009", "ISO010", "XNS001", "XNS002", "XNS003", "XNS004", "XNS005", "XNS006",
    "XNS007",
];

/// A scratch copy of the fleet and its tenant repository.
struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tenant: PathBuf,
}

fn scratch(corpus: &Path) -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let (root, tenant) = (dir.path().join("fleet"), dir.path().join("dev-team"));
    copy_dir(&corpus.join(FLEET), &root);
    copy_dir(&corpus.join(TENANT), &tenant);
    Scratch { _dir: dir, root, tenant }
}

/// Replace the one occurrence of `old` in `file`; the 1-based line of `marker` in the result.
fn edit(file: &Path, old: &str, new: &str, marker: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(text.matches(old).count(), 1, "{} changed: expected one `{old}`", file.display());
    let text = text.replacen(old, new, 1);
    std::fs::write(file, &text).unwrap();
    let line = text.lines().position(|l| l.contains(marker)).expect("marker in the edited text");
    u64::try_from(line + 1).unwrap()
}

/// Run `check <root> --source <mapping>... --format json`: the exit code and the report.
fn check(root: &Path, sources: &[(&str, &Path)]) -> (i32, Value) {
    let mut cmd = Command::cargo_bin("fleetlint").unwrap();
    cmd.arg("check").arg(root);
    for (key, path) in sources {
        cmd.arg("--source").arg(format!("{key}={}", path.display()));
    }
    let out = cmd.args(["--format", "json"]).timeout(std::time::Duration::from_secs(120)).output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report)
}

fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == code).collect()
}

fn clusters(f: &Value) -> Vec<&str> {
    let mut c: Vec<&str> = f["clusters"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    c.sort_unstable();
    c
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_kustomization_reading_another_namespaces_source_is_an_error_under_lockdown() {
    let corpus = corpus();
    let s = scratch(&corpus);
    let sync = s.root.join("tenants/base/dev-team/sync.yaml");
    let line = edit(
        &sync,
        "    kind: GitRepository\n    name: dev-team\n  prune: true",
        "    kind: GitRepository\n    name: dev-team\n    namespace: flux-system # edited\n  prune: true",
        "# edited",
    );
    let (code, report) = check(&s.root, &[(TENANT_KEY, &s.tenant)]);
    assert_eq!(code, 1, "an error finding fails the check");
    let found = findings(&report, "XNS001");
    assert_eq!(found.len(), 1, "one finding for both clusters: {found:#?}");
    let f = found[0];
    assert_eq!(f["severity"], "error", "both clusters run kustomize-controller with --no-cross-namespace-refs=true");
    assert_eq!(f["file"], "tenants/base/dev-team/sync.yaml");
    assert_eq!(f["line"], line);
    assert_eq!(clusters(f), ["production", "staging"]);
    assert_eq!(f["scope"], "tenant");
    assert_eq!(f["tenant"], "dev-team");
    assert!(f["message"].as_str().unwrap().contains("cross-namespace references have been blocked"), "{f:#}");
    let related = f["related"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["file"].as_str().unwrap().ends_with("flux-system/kustomization.yaml")),
        "the lockdown patch is shown: {related:#?}"
    );
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_helmrelease_chart_from_another_namespace_is_an_error_under_lockdown() {
    let corpus = corpus();
    let s = scratch(&corpus);
    let release = s.tenant.join("base/podinfo-release.yaml");
    let line = edit(
        &release,
        "        kind: HelmRepository\n        name: podinfo\n",
        "        kind: HelmRepository\n        name: podinfo\n        namespace: flux-system # edited\n",
        "# edited",
    );
    let (code, report) = check(&s.root, &[(TENANT_KEY, &s.tenant)]);
    assert_eq!(code, 1, "an error finding fails the check");
    let found = findings(&report, "XNS002");
    assert_eq!(found.len(), 1, "one finding for both clusters (the base both overlays share): {found:#?}");
    let f = found[0];
    assert_eq!(f["severity"], "error", "helm-controller runs with --no-cross-namespace-refs=true in both clusters");
    assert_eq!(f["file"], "base/podinfo-release.yaml", "the path inside the tenant repository");
    assert_eq!(f["source"], TENANT_KEY, "the finding names the mapped source it is in");
    assert_eq!(f["line"], line);
    assert_eq!(clusters(f), ["production", "staging"]);
    assert_eq!(f["scope"], "tenant");
    assert!(f["message"].as_str().unwrap().contains("HelmChart flux-system/apps-podinfo"), "{f:#}");
}

fn assert_no_errors_from_these_rules(name: &str, report: &Value) {
    let errors: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && RULES.iter().any(|c| f["rule"] == *c))
        .map(|f| format!("{} {}:{} {}", f["rule"], f["file"], f["line"], f["message"]))
        .collect();
    assert!(errors.is_empty(), "{name}: unexpected error findings:\n{}", errors.join("\n"));
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_reference_fleets_have_no_isolation_or_cross_namespace_errors() {
    let corpus = corpus();
    let (_, report) = check(&corpus.join(FLEET), &[(TENANT_KEY, &corpus.join(TENANT))]);
    assert_eq!(report["clusters"].as_array().unwrap().len(), 2);
    assert_no_errors_from_these_rules(FLEET, &report);
    // The reference design binds cluster-admin to the tenant's ServiceAccount with a RoleBinding:
    // the tenant can relabel or delete its own namespace. A warning, not an error.
    let iso010 = findings(&report, "ISO010");
    assert_eq!(iso010.len(), 1, "{iso010:#?}");
    assert_eq!(iso010[0]["severity"], "warning");
    assert_eq!(iso010[0]["file"], "tenants/base/dev-team/rbac.yaml");

    let d1 = corpus.join("controlplaneio-fluxcd__d1-fleet");
    let apps = corpus.join("controlplaneio-fluxcd__d1-apps");
    let infra = corpus.join("controlplaneio-fluxcd__d1-infra");
    let (_, report) = check(
        &d1,
        &[
            ("https://github.com/controlplaneio-fluxcd/d1-apps", &apps),
            ("https://github.com/controlplaneio-fluxcd/d1-infra", &infra),
        ],
    );
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 3);
    assert!(clusters.iter().all(|c| c["opaque"] == 0), "both tenant repositories are mapped: {clusters:#?}");
    assert_no_errors_from_these_rules("controlplaneio-fluxcd__d1-fleet", &report);
}
