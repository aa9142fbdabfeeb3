//! End-to-end: the tenant-isolation rules (ISO001-ISO005) on a copy of the flux2-multi-tenancy
//! reference repository and its tenant repository, one edit per test. The unmodified reference
//! is the known-good baseline: each edit must produce exactly the expected finding, at the line
//! that was edited, in the clusters the edit affects.

use fleetlint_testkit::{FleetCopy, TENANT_KEY};
use serde_json::Value;

const FLEET: &str = "fluxcd__flux2-multi-tenancy";

fn copy() -> FleetCopy {
    FleetCopy::new(env!("CARGO_BIN_EXE_fleetlint"), FLEET)
}

/// The findings of `code`.
fn of(report: &Value, code: &str) -> Vec<Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == code).cloned().collect()
}

fn summary(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!("{} {} {}:{} {} {}", f["rule"], f["severity"], f["file"], f["line"], f["clusters"], f["message"])
        })
        .collect()
}

/// Where a finding is expected: the tenant repository's files carry its source key.
struct At<'a> {
    tenant_repo: bool,
    file: &'a str,
    line: u64,
}

fn fleet_at(file: &str, line: u64) -> At<'_> {
    At { tenant_repo: false, file, line }
}

fn tenant_at(file: &str, line: u64) -> At<'_> {
    At { tenant_repo: true, file, line }
}

/// Exactly one finding of `code`, with this severity, position and cluster list.
fn assert_one(report: &Value, code: &str, severity: &str, at: &At<'_>, clusters: &[&str]) -> Value {
    let found = of(report, code);
    assert_eq!(found.len(), 1, "{code}: expected one finding, got {:#?}", summary(&found));
    let f = found.into_iter().next().unwrap();
    assert_eq!(f["severity"], severity, "{:?}", summary(std::slice::from_ref(&f)));
    assert_eq!(f["file"], at.file);
    assert_eq!(f["line"], at.line, "{:?}", summary(std::slice::from_ref(&f)));
    let source = if at.tenant_repo { Value::from(TENANT_KEY) } else { Value::Null };
    assert_eq!(f.get("source").cloned().unwrap_or(Value::Null), source);
    assert_eq!(f["clusters"], Value::from(clusters.to_vec()));
    f
}

/// No finding of ISO001-ISO005 but those of `except`.
fn assert_no_other_iso(report: &Value, except: &[&str]) {
    for code in ["ISO001", "ISO002", "ISO003", "ISO004", "ISO005"].iter().filter(|c| !except.contains(c)) {
        assert!(of(report, code).is_empty(), "unexpected {code}: {:#?}", summary(&of(report, code)));
    }
}

const BOTH: &[&str] = &["production", "staging"];

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_unmodified_reference_has_no_error_level_isolation_finding() {
    let repos = copy();
    let report = repos.check(&[]);
    let errors: Vec<Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("ISO") && f["severity"] == "error")
        .cloned()
        .collect();
    assert!(errors.is_empty(), "{:#?}", summary(&errors));
    assert_no_other_iso(&report, &[]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_kustomization_without_service_account_is_iso001_in_both_clusters() {
    let repos = copy();
    repos.edit(&repos.fleet.join("tenants/base/dev-team/sync.yaml"), "  serviceAccountName: dev-team\n", "");
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO001", "error", &fleet_at("tenants/base/dev-team/sync.yaml", 17), BOTH);
    // Both clusters run kustomize-controller with --default-service-account=default.
    assert!(f["message"].as_str().unwrap().contains("impersonates apps:default"), "{}", f["message"]);
    assert_eq!(f["tenant"], "dev-team");
    assert_no_other_iso(&report, &["ISO001"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_helmrelease_without_service_account_is_iso001_in_the_tenant_repo() {
    let repos = copy();
    repos.edit(&repos.tenant.join("base/podinfo-release.yaml"), "  serviceAccountName: dev-team\n", "");
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO001", "error", &tenant_at("base/podinfo-release.yaml", 6), BOTH);
    assert!(f["message"].as_str().unwrap().contains("helm-controller impersonates apps:default"), "{}", f["message"]);
    assert_no_other_iso(&report, &["ISO001"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_cluster_role_binding_is_iso004() {
    let repos = copy();
    std::fs::write(repos.tenant.join("base/admin.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: dev-team-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: dev-team\n    namespace: apps\n",
    )
    .unwrap();
    repos.edit(
        &repos.tenant.join("base/kustomization.yaml"),
        "  - podinfo-release.yaml\n",
        "  - podinfo-release.yaml\n  - admin.yaml\n",
    );
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO004", "error", &tenant_at("base/admin.yaml", 2), BOTH);
    assert_eq!(f["owner"], "Kustomization/apps/dev-team");
    assert_no_other_iso(&report, &["ISO004"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_namespace_is_iso004_unless_it_is_its_own_existing_one() {
    let repos = copy();
    // `apps` is the tenant's own namespace, created by the platform (ISO010's business);
    // `preview` is new and cluster-scoped.
    std::fs::write(repos.tenant.join("base/namespaces.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: preview\n",
    )
    .unwrap();
    repos.edit(
        &repos.tenant.join("base/kustomization.yaml"),
        "  - podinfo-release.yaml\n",
        "  - podinfo-release.yaml\n  - namespaces.yaml\n",
    );
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO004", "error", &tenant_at("base/namespaces.yaml", 7), BOTH);
    assert_eq!(f["object"]["name"], "preview");
    assert_no_other_iso(&report, &["ISO004"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_object_with_a_foreign_metadata_namespace_is_iso005() {
    let repos = copy();
    repos.edit(&repos.tenant.join("base/podinfo-repository.yaml"), "  namespace: apps\n", "  namespace: flux-system\n");
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO005", "error", &tenant_at("base/podinfo-repository.yaml", 5), BOTH);
    assert!(f["message"].as_str().unwrap().contains("`flux-system` is a platform namespace"), "{}", f["message"]);
    assert_no_other_iso(&report, &["ISO005"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_overlay_namespace_is_iso005_once_and_only_where_the_overlay_is_used() {
    let repos = copy();
    // The production overlay moves both objects of the base to `default`: one finding at its
    // `namespace:`, for the production cluster only.
    repos.edit(
        &repos.tenant.join("production/kustomization.yaml"),
        "kind: Kustomization\n",
        "kind: Kustomization\nnamespace: default\n",
    );
    let report = repos.check(&[]);
    let f = assert_one(&report, "ISO005", "error", &tenant_at("production/kustomization.yaml", 3), &["production"]);
    assert!(f["message"].as_str().unwrap().contains("and 1 more object(s)"), "{}", f["message"]);
    assert_no_other_iso(&report, &["ISO005"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenant_kustomization_target_namespace_is_iso005_on_the_kustomization() {
    let repos = copy();
    repos.edit(
        &repos.fleet.join("tenants/base/dev-team/sync.yaml"),
        "  serviceAccountName: dev-team\n",
        "  serviceAccountName: dev-team\n  targetNamespace: default\n",
    );
    let report = repos.check(&[]);
    // Reported once on the Kustomization, not again on each object it moves.
    let f = assert_one(&report, "ISO005", "error", &fleet_at("tenants/base/dev-team/sync.yaml", 19), BOTH);
    assert_eq!(f["object"]["kind"], "Kustomization");
    assert_no_other_iso(&report, &["ISO005"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn platform_kustomization_without_service_account_is_iso003_where_the_default_is_set() {
    let repos = copy();
    let file = repos.fleet.join("clusters/production/infrastructure.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Only kyverno's (the first document's) service account goes.
    std::fs::write(file, text.replacen("  serviceAccountName: kustomize-controller\n", "", 1)).unwrap();
    let report = repos.check(&[]);
    let f = assert_one(
        &report,
        "ISO003",
        "error",
        &fleet_at("clusters/production/infrastructure.yaml", 6),
        &["production"],
    );
    assert!(f["message"].as_str().unwrap().contains("flux-system:default"), "{}", f["message"]);
    assert_no_other_iso(&report, &["ISO003"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn removed_lockdown_flag_is_iso002_only_in_that_cluster() {
    let repos = copy();
    let patch = "  - patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --default-service-account=default\n    target:\n      kind: Deployment\n      name: \"(kustomize-controller|helm-controller)\"\n";
    repos.edit(&repos.fleet.join("clusters/staging/flux-system/kustomization.yaml"), patch, "");
    let report = repos.check(&[]);
    let found = of(&report, "ISO002");
    assert_eq!(found.len(), 2, "{:#?}", summary(&found));
    for controller in ["kustomize-controller", "helm-controller"] {
        let f = found
            .iter()
            .find(|f| f["message"].as_str().unwrap().starts_with(&format!("{controller} ")))
            .unwrap_or_else(|| panic!("no ISO002 for {controller}: {:#?}", summary(&found)));
        assert_eq!(f["severity"], "error");
        assert_eq!(f["file"], "clusters/staging/flux-system/kustomization.yaml");
        assert_eq!(f["line"], 6, "at the `patches:` key");
        assert_eq!(f["clusters"], Value::from(vec!["staging"]));
        assert!(f["message"].as_str().unwrap().contains("--default-service-account"), "{}", f["message"]);
    }
    assert_no_other_iso(&report, &["ISO002"]);
}
