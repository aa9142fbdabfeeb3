//! End-to-end: schema validation (SCH) and the repository's own Kyverno policies (POL001) on a
//! copy of the flux2-multi-tenancy reference repository at the revision that ships
//! `infrastructure/kyverno-policies/flux-multi-tenancy.yaml`, one edit per test. The unmodified
//! repository is the known-good baseline: no SCH001/SCH002/POL001 finding.

use fleetlint_testkit::FleetCopy;
use serde_json::Value;

const FLEET: &str = "fluxcd__flux2-multi-tenancy__rev-bfc7f10";
const SYNC: &str = "tenants/base/dev-team/sync.yaml";
const BOTH: &[&str] = &["production", "staging"];

fn copy() -> FleetCopy {
    FleetCopy::new(env!("CARGO_BIN_EXE_fleetlint"), FLEET)
}

fn of(report: &Value, code: &str) -> Vec<Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == code).cloned().collect()
}

/// Exactly one finding of `code` at `file:line` in both clusters, with this severity.
fn one(report: &Value, code: &str, severity: &str, line: u64) -> Value {
    let found = of(report, code);
    assert_eq!(found.len(), 1, "{code}: {found:#?}");
    let f = found.into_iter().next().unwrap();
    assert_eq!((f["file"].as_str().unwrap(), f["line"].as_u64().unwrap()), (SYNC, line), "{f:#}");
    assert_eq!(f["severity"], severity, "{f:#}");
    assert_eq!(f["clusters"], Value::from(BOTH.to_vec()), "{f:#}");
    f
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_unmodified_reference_repository_has_no_schema_or_policy_finding() {
    let report = copy().check(&[]);
    for code in ["SCH001", "SCH002", "POL001", "POL002"] {
        assert!(of(&report, code).is_empty(), "{code}: {:#?}", of(&report, code));
    }
    // The ClusterPolicy's CRD comes from a remote kyverno install: counted, never passed as valid.
    assert_eq!(report["summary"]["unvalidated_objects"], 2, "{:#}", report["summary"]);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn a_tenant_kustomization_without_service_account_is_pol001_naming_the_rule_and_iso001() {
    let repos = copy();
    repos.edit(&repos.fleet.join(SYNC), "  serviceAccountName: dev-team\n", "");
    let report = repos.check(&[]);
    let f = one(&report, "POL001", "error", 17);
    assert_eq!(
        f["policy"],
        serde_json::json!({"engine": "kyverno", "kind": "ClusterPolicy", "namespace": null,
            "name": "flux-multi-tenancy", "rule": "serviceAccountName", "action": "Enforce"})
    );
    assert!(f["message"].as_str().unwrap().contains(".spec.serviceAccountName is required"), "{f:#}");
    // One finding per problem: ISO001 says the same about the same field, merged into POL001.
    assert!(of(&report, "ISO001").is_empty(), "{:#?}", of(&report, "ISO001"));
    assert!(f["help"].as_str().unwrap().contains("ISO001"), "{f:#}");
    // Without the policy rule selected, ISO001 reports it on its own.
    let report = repos.check(&["--ignore", "POL001"]);
    one(&report, "ISO001", "error", 17);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn a_cross_namespace_source_ref_is_pol001_naming_kustomization_source_ref_namespace() {
    let repos = copy();
    repos.edit(
        &repos.fleet.join(SYNC),
        "    name: dev-team\n  prune",
        "    name: dev-team\n    namespace: flux-system\n  prune",
    );
    let report = repos.check(&[]);
    let f = one(&report, "POL001", "error", 23);
    assert_eq!(f["policy"]["rule"], "kustomizationSourceRefNamespace", "{f:#}");
    assert_eq!(f["column"], 16, "points at the namespace value: {f:#}");
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn a_numeric_interval_and_a_misspelt_field_are_sch_findings_at_their_lines() {
    let repos = copy();
    repos.edit(&repos.fleet.join(SYNC), "  interval: 5m\n", "  interval: 5\n");
    repos.edit(&repos.fleet.join(SYNC), "  prune: true\n", "  prunne: true\n");
    let report = repos.check(&[]);
    let sch002 = one(&report, "SCH002", "error", 23);
    assert!(sch002["message"].as_str().unwrap().contains("`spec.prunne` (did you mean `prune`?)"), "{sch002:#}");
    let sch001 = of(&report, "SCH001");
    let interval = sch001.iter().find(|f| f["message"].as_str().unwrap().starts_with("`spec.interval`")).unwrap();
    assert_eq!((interval["line"].as_u64(), interval["column"].as_u64()), (Some(19), Some(13)), "{interval:#}");
    assert!(interval["message"].as_str().unwrap().contains("found the number `5`"), "{interval:#}");
}

/// A fleetlint policy directory named in `.fleetlint.yaml` adds a rule of the user's own code.
#[test]
#[ignore = "needs ../shared/corpus"]
fn user_policies_from_the_configuration_are_rules() {
    let repos = copy();
    let dir = repos.fleet.join("policies");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("acme.yaml"),
        "code: ACME001\nname: tenant-kustomization-timeout\nseverity: warning\ndescription: |\n  Reports a tenant Kustomization without `spec.timeout`.\n\n  ### Why is this bad?\n  Slow applies block the queue.\n\n  ### Example\n  ```yaml\n  spec: {}\n  ```\nhelp: Set `spec.timeout`.\nmatch:\n  kinds: [kustomize.toolkit.fluxcd.io/Kustomization]\n  scope: tenant\nassert:\n  properties:\n    spec:\n      required: [timeout]\n",
    )
    .unwrap();
    std::fs::write(repos.fleet.join(".fleetlint.yaml"), "policies: [policies]\n").unwrap();
    let report = repos.check(&[]);
    let f = one(&report, "ACME001", "warning", 17);
    assert_eq!(f["policy"]["engine"], "fleetlint", "{f:#}");
    assert_eq!(f["category"], "policy");
    // A user policy may not take a built-in prefix.
    std::fs::write(
        dir.join("bad.yaml"),
        std::fs::read_to_string(dir.join("acme.yaml")).unwrap().replace("ACME001", "ISO900"),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("fleetlint").unwrap().arg("check").arg(&repos.fleet).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:1:7") && err.contains("prefix of fleetlint's own rules"), "{err}");
}

/// `rules`, `explain` and SARIF's rule descriptors know the built-in pack and the repository's
/// own policies.
#[test]
fn policies_are_listed_explained_and_described_in_sarif() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/acme.yaml"),
        "code: ACME001\nname: configmap-team-label\ndescription: |\n  Reports a ConfigMap without a `team` label.\n\n  ### Why is this bad?\n  Nobody owns it.\nmatch:\n  kinds: [v1/ConfigMap]\nassert:\n  required: [metadata]\n  properties:\n    metadata:\n      required: [labels]\n      properties:\n        labels:\n          required: [team]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".fleetlint.yaml"), "policies: [policies]\n").unwrap();
    std::fs::create_dir_all(dir.path().join("clusters/dev")).unwrap();
    std::fs::write(
        dir.path().join("clusters/dev/settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  a: b\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out =
            assert_cmd::Command::cargo_bin("fleetlint").unwrap().current_dir(dir.path()).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, listed) = run(&["rules"]);
    assert_eq!(code, Some(0));
    for line in ["ACME001  configmap-team-label", "POL101  helmrelease-chart-version-pinned", "SCH002  unknown-field"] {
        assert!(listed.contains(line), "{line}: {listed}");
    }
    let (code, doc) = run(&["explain", "ACME001"]);
    assert_eq!(code, Some(0));
    assert!(doc.starts_with("# ACME001 configmap-team-label\n") && doc.contains("## Why is this bad?"), "{doc}");
    let (code, doc) = run(&["explain", "POL104"]);
    assert_eq!(code, Some(0));
    assert!(doc.starts_with("# POL104 flux-interval-floor\n"), "{doc}");
    let (code, sarif) = run(&["check", ".", "--format", "sarif", "--select", "ACME001,POL104"]);
    assert_eq!(code, Some(0), "a warning does not fail the run: {sarif}");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"ACME001") && rules.contains(&"POL104"), "{rules:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "ACME001");
}

/// POL105 leaves out a kubeconfig Secret that a tenant Kustomization names in
/// `spec.kubeConfig.secretRef` (ISO008 reports that setup) and reports any other one.
#[test]
fn pol105_leaves_the_kubeconfig_secret_of_a_tenant_remote_kustomization_to_iso008() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("clusters/dev")).unwrap();
    let secret = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: team-a\nstringData:\n  value.yaml: x\n"
        )
    };
    std::fs::write(
        dir.path().join("clusters/dev/team-a.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  labels:\n    toolkit.fluxcd.io/tenant: team-a\n---\n{}---\n{}---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: remote\n  namespace: team-a\nspec:\n  interval: 10m\n  prune: true\n  serviceAccountName: team-a\n  path: ./remote\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  kubeConfig:\n    secretRef:\n      name: referenced\n",
            secret("referenced"),
            secret("stray")
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("fleetlint")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .args(["--select", "POL105", "--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = of(&report, "POL105");
    let names: Vec<&str> = found.iter().map(|f| f["object"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["stray"], "{report:#}");
}

/// `clusterOverrides.<cluster>.kubernetesVersion` picks the bundled Kubernetes schemas: a
/// container `lifecycle.stopSignal` (Kubernetes 1.33) is valid by default (1.37) and an unknown
/// field on a 1.32 cluster, an error there (not one Flux's normalization drops).
#[test]
fn the_configured_kubernetes_version_decides_the_built_in_schemas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("clusters/dev")).unwrap();
    std::fs::write(
        dir.path().join("clusters/dev/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27.3\n      lifecycle:\n        stopSignal: SIGTERM\n",
    )
    .unwrap();
    let check = || {
        let out = assert_cmd::Command::cargo_bin("fleetlint")
            .unwrap()
            .arg("check")
            .arg(dir.path())
            .args(["--select", "SCH", "--format", "json", "--fail-on", "none"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert!(of(&check(), "SCH002").is_empty());
    std::fs::write(dir.path().join(".fleetlint.yaml"), "clusterOverrides:\n  dev:\n    kubernetesVersion: \"1.32\"\n")
        .unwrap();
    let report = check();
    let found = of(&report, "SCH002");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["line"].as_u64(), Some(11), "{:#}", found[0]);
    assert!(found[0]["message"].as_str().unwrap().contains("lifecycle.stopSignal"), "{:#}", found[0]);
    // Flux's client knows the field, so normalization keeps it and the 1.32 API server rejects it.
    assert_eq!(found[0]["severity"], "error", "{:#}", found[0]);
}
