//! `clusterOverrides.<cluster>.featureGates` of `.fleetlint.yaml` reach the verdicts: a gate the
//! configuration sets counts as the controllers' own `--feature-gates`.

use std::path::Path;

use serde_json::Value;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A cluster whose bootstrap files are committed: kustomize-controller runs without
/// `--feature-gates`, and Kustomization `apps` builds from an ExternalArtifact; Kustomization
/// `vars` substitutes a variable nothing defines.
fn fleet(root: &Path) {
    write(
        root,
        "clusters/prod/flux-system/gotk-components.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args:\n        - --watch-all-namespaces=true\n",
    );
    write(
        root,
        "clusters/prod/flux-system/gotk-sync.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://example.com/fleet\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./clusters/prod\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    write(
        root,
        "clusters/prod/flux-system/kustomization.yaml",
        "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n",
    );
    write(
        root,
        "clusters/prod/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./\n  sourceRef:\n    kind: ExternalArtifact\n    name: generated\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: vars\n  namespace: flux-system\nspec:\n  path: ./vars\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      CLUSTER: prod\n",
    );
    write(
        root,
        "vars/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  cluster: ${CLUSTER}\n  domain: ${DOMAIN}\n",
    );
}

fn check(root: &Path) -> Vec<Value> {
    fleetlint_testkit::check_findings(Path::new(env!("CARGO_BIN_EXE_fleetlint")), root, &[])
}

fn gate_findings(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| f["rule"] == "SRC002" && f["message"].as_str().unwrap().contains("ExternalArtifact=true"))
        .collect()
}

fn substitution_severity(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .filter(|f| f["rule"] == "SRC007" && f["message"].as_str().unwrap().contains("`DOMAIN`"))
        .map(|f| f["severity"].as_str().unwrap())
        .collect()
}

#[test]
fn a_feature_gate_set_in_the_configuration_changes_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fleet(root);

    // The Deployment shows no gates: ExternalArtifact is off (its default), and post-build
    // substitution is strict (the default of the newest Flux, assumed).
    let findings = check(root);
    assert_eq!(gate_findings(&findings).len(), 1, "{findings:#?}");
    assert_eq!(substitution_severity(&findings), ["error"], "{findings:#?}");

    // The configuration states the gates for this cluster.
    write(
        root,
        ".fleetlint.yaml",
        "clusterOverrides:\n  prod:\n    featureGates:\n      ExternalArtifact: true\n      StrictPostBuildSubstitutions: false\n",
    );
    let findings = check(root);
    assert!(gate_findings(&findings).is_empty(), "{findings:#?}");
    // Not strict: kustomize-controller substitutes an empty string instead of failing.
    assert!(substitution_severity(&findings).is_empty(), "{findings:#?}");

    // A gate the configuration sets for another cluster changes nothing here.
    write(root, ".fleetlint.yaml", "clusterOverrides:\n  staging:\n    featureGates:\n      ExternalArtifact: true\n");
    let findings = check(root);
    assert_eq!(gate_findings(&findings).len(), 1, "{findings:#?}");
}
