//! The flux2-multi-tenancy reference policy (`infrastructure/kyverno-policies/flux-multi-tenancy.yaml`)
//! against that repository's own objects, as written and with the two violations it exists to
//! catch.

use std::path::{Path, PathBuf};

use fleetlint_kyverno::{Action, Object, Options, Outcome, Policy, Request, RuleResult};
use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};

fn repo() -> PathBuf {
    fleetlint_testkit::corpus().join("fluxcd__flux2-multi-tenancy__rev-bfc7f10")
}

fn docs(text: &str) -> Vec<Node> {
    let parsed = parse_yaml(FileId(0), text, &Limits::default());
    assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
    parsed.documents.into_iter().map(|d| d.root).filter(|n| n.get("kind").is_some()).collect()
}

fn policy(root: &Path) -> Policy {
    let text = std::fs::read_to_string(root.join("infrastructure/kyverno-policies/flux-multi-tenancy.yaml")).unwrap();
    Policy::from_node(&docs(&text)[0]).unwrap()
}

fn evaluate(policy: &Policy, node: &Node, options: &Options) -> Vec<RuleResult> {
    policy.evaluate(&Object::new(node), &Request::default(), options)
}

fn failures(results: &[RuleResult]) -> Vec<&RuleResult> {
    results.iter().filter(|r| matches!(r.outcome, Outcome::Fail(_))).collect()
}

const SYNC: &str = "tenants/base/dev-team/sync.yaml";

#[test]
#[ignore = "needs ../shared/corpus"]
fn clean_repository_has_no_violation() {
    let root = repo();
    let policy = policy(&root);
    let mut evaluated = 0;
    for rel in [
        SYNC,
        "tenants/base/dev-team/rbac.yaml",
        "clusters/staging/tenants.yaml",
        "clusters/production/infrastructure.yaml",
    ] {
        for node in docs(&std::fs::read_to_string(root.join(rel)).unwrap()) {
            for r in evaluate(&policy, &node, &Options::default()) {
                evaluated += 1;
                assert!(matches!(r.outcome, Outcome::Pass | Outcome::Skip(_)), "{rel}: {r:?}");
            }
        }
    }
    // The tenant Kustomization meets both of its rules; flux-system objects are excluded.
    assert_eq!(evaluated, 2);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn kustomization_without_service_account_violates_service_account_name() {
    let root = repo();
    let policy = policy(&root);
    let text = std::fs::read_to_string(root.join(SYNC)).unwrap().replace("  serviceAccountName: dev-team\n", "");
    let nodes = docs(&text);
    let ks = nodes.iter().find(|n| n.get("kind").and_then(Node::as_str) == Some("Kustomization")).unwrap();
    let results = evaluate(&policy, ks, &Options::default());
    let fails = failures(&results);
    assert_eq!(fails.len(), 1, "{results:#?}");
    assert_eq!(fails[0].rule, "serviceAccountName");
    assert_eq!(fails[0].action, Action::Enforce);
    let Outcome::Fail(v) = &fails[0].outcome else { unreachable!() };
    assert_eq!(v.message, ".spec.serviceAccountName is required");
    assert_eq!(v.path.to_string(), "spec.serviceAccountName");
    assert_eq!(&text[v.span.start as usize..v.span.end as usize], "spec", "points at the nearest existing key");
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn source_ref_in_flux_system_violates_kustomization_source_ref_namespace() {
    let root = repo();
    let policy = policy(&root);
    let text = std::fs::read_to_string(root.join(SYNC))
        .unwrap()
        .replace("    name: dev-team\n  prune", "    name: dev-team\n    namespace: flux-system\n  prune");
    let nodes = docs(&text);
    let ks = nodes.iter().find(|n| n.get("kind").and_then(Node::as_str) == Some("Kustomization")).unwrap();
    let results = evaluate(&policy, ks, &Options::default());
    let fails = failures(&results);
    assert_eq!(fails.len(), 1, "{results:#?}");
    assert_eq!(fails[0].rule, "kustomizationSourceRefNamespace");
    let Outcome::Fail(v) = &fails[0].outcome else { unreachable!() };
    assert_eq!(v.message, "spec.sourceRef.namespace must be the same as metadata.namespace");
    assert_eq!(v.path.to_string(), "spec.sourceRef.namespace");
    assert_eq!(&text[v.span.start as usize..v.span.end as usize], "flux-system");
}

/// Kyverno 1.8 and later read the unresolved precondition variable as a rule error, not "":
/// the repository pins 1.5.1, whose reading is the default.
#[test]
#[ignore = "needs ../shared/corpus"]
fn precondition_semantics_follow_the_kyverno_version() {
    let root = repo();
    let policy = policy(&root);
    let nodes = docs(&std::fs::read_to_string(root.join(SYNC)).unwrap());
    let ks = nodes.iter().find(|n| n.get("kind").and_then(Node::as_str) == Some("Kustomization")).unwrap();
    let new = Options { kyverno_version: Some((1, 12, 0)) };
    let results = evaluate(&policy, ks, &new);
    let r = results.iter().find(|r| r.rule == "kustomizationSourceRefNamespace").unwrap();
    assert!(matches!(&r.outcome, Outcome::Error(m) if m.contains("request.object.spec.sourceRef.namespace")), "{r:?}");
    let old = Options { kyverno_version: Some((1, 5, 1)) };
    let r = evaluate(&policy, ks, &old).into_iter().find(|r| r.rule == "kustomizationSourceRefNamespace").unwrap();
    assert_eq!(r.outcome, Outcome::Skip("preconditions not met".into()));
}
