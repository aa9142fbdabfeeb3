//! Issue 11 layouts 8 and 9 as a user sees them: a violation in a file that reaches the cluster
//! only through an ArtifactGenerator's ExternalArtifact, or through a Kustomization that a
//! ResourceSet renders, is reported at that file's line; what fleetlint cannot know is one SRC012
//! info per object, and nothing else.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn check(fleet: &str) -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery").join(fleet);
    fleetlint_testkit::check_findings(Path::new(env!("CARGO_BIN_EXE_fleetlint")), &root, &[])
}

/// `(rule, file, line)` of the findings at `severity`.
fn at(findings: &[Value], severity: &str) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = findings
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap().into(), f["line"].as_u64().unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_violation_inside_a_generated_artifact_is_reported_at_the_repository_file() {
    let findings = check("layout8-artifacts");
    assert_eq!(
        at(&findings, "error"),
        [("API001".into(), "apps/base/podinfo/release.yaml".into(), 2)],
        "{findings:#?}"
    );
    let infos: Vec<&str> =
        findings.iter().filter(|f| f["rule"] == "SRC012").map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(infos.len(), 2, "{infos:#?}");
    assert!(infos.iter().any(|m| m.contains("ExternalArtifact flux-system/charts") && m.contains("tarball")));
    assert!(infos.iter().any(|m| m.contains("ExternalArtifact flux-system/vendor")));
    assert_eq!(at(&findings, "warning"), []);
}

#[test]
fn a_violation_in_what_a_rendered_kustomization_builds_is_reported() {
    let findings = check("layout9-resourcesets");
    assert_eq!(
        at(&findings, "error"),
        [
            ("API001".into(), "tenant-apps/team-b/release.yaml".into(), 2),
            // The template reads an input no set has: the operator stalls on it.
            ("SRC003".into(), "tenants/broken.yaml".into(), 18),
        ],
        "{findings:#?}"
    );
    let infos: Vec<&str> =
        findings.iter().filter(|f| f["rule"] == "SRC012").map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(infos.len(), 1, "{infos:#?}");
    assert!(infos[0].contains("ResourceSet/flux-system/previews") && infos[0].contains("GitHubPullRequest"));
    assert_eq!(at(&findings, "warning"), []);
}
