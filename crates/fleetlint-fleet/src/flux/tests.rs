//! Typed views on small manifests.

use super::*;
use fleetlint_yaml::{FileId, Limits, parse_yaml};

fn parse(text: &str) -> Node {
    parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root
}

#[test]
fn references_default_to_the_referrers_namespace() {
    let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: team-a\nspec:\n  sourceRef:\n    kind: GitRepository\n    name: repo\n  dependsOn:\n  - name: infra\n    namespace: flux-system\n  - name: db\n    namespace: \"\"\n";
    let root = parse(text);
    let k = FluxObject::new(&root).unwrap();
    let src = k.source_ref().unwrap();
    assert_eq!(src.id("GitRepository"), "GitRepository/team-a/repo");
    assert!(src.cross_namespace().is_none());
    let deps = k.depends_on();
    assert_eq!((deps[0].name(), deps[0].namespace), ("infra", "flux-system"));
    assert_eq!(&text[deps[0].cross_namespace().unwrap().0.span.range()], "flux-system");
    // An empty namespace is the referrer's.
    assert_eq!(deps[1].namespace, "team-a");
    assert!(deps[1].cross_namespace().is_none());
}

#[test]
fn absent_fields_point_at_the_nearest_ancestor() {
    let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n";
    let root = parse(text);
    let k = FluxObject::new(&root).unwrap();
    assert_eq!(k.path_str(), "./apps");
    assert!(k.service_account().is_none());
    let at = k.service_account_name().unwrap_err();
    assert_eq!(&text[at.range()], "spec");
    assert_eq!(&text[k.span_of(&["postBuild", "substitute"]).range()], "spec");
    assert_eq!(&text[k.span_of(&["path"]).range()], "./apps");
}

#[test]
fn sources_expose_ref_and_includes() {
    let text = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: r\n  namespace: ns\nspec:\n  url: https://x/y\n  ref:\n    tag: v1\n  sparseCheckout: [apps]\n  include:\n  - repository:\n      name: other\n    fromPath: deploy\n";
    let root = parse(text);
    let g = FluxObject::new(&root).unwrap();
    assert_eq!(g.ref_value(), Some("v1"));
    assert_eq!(g.sparse_checkout(), Some(vec!["apps"]));
    assert_eq!(g.includes(), vec![Include { repository: "other", from_path: "deploy", to_path: "other" }]);
}
