//! The committed generated tables must equal a fresh generation from `../shared/k8s-schemas`.

use fleetlint_dev::{DEFAULT_SCHEMAS, MERGE_KEYS_OUT, gen_merge_keys, repo_root};

#[test]
#[ignore = "needs ../shared/k8s-schemas"]
fn merge_keys_rs_is_current() {
    let root = repo_root();
    let schemas = root.join(DEFAULT_SCHEMAS);
    assert!(
        schemas.join("_definitions.json").exists(),
        "this test needs {} (../shared beside the workspace); it is absent",
        schemas.display()
    );
    let label = schemas.file_name().unwrap().to_string_lossy().into_owned();
    let fresh = gen_merge_keys(&schemas, &label).unwrap();
    let committed = std::fs::read_to_string(root.join(MERGE_KEYS_OUT)).unwrap_or_default();
    assert!(fresh == committed, "{MERGE_KEYS_OUT} is stale: run `cargo run -p fleetlint-dev -- gen-merge-keys`");
}

/// `schemas/flux` and `schemas/kubernetes` must equal a fresh `gen-schemas` run.
#[test]
#[ignore = "needs ../shared/flux-crds and ../shared/k8s-schemas"]
fn schemas_are_current() {
    let root = repo_root();
    let _ = (fleetlint_testkit::shared("flux-crds/current"), fleetlint_testkit::shared("k8s-schemas"));
    let generated = fleetlint_dev::schemas::gen_schemas(&root).unwrap();
    let stale = fleetlint_dev::schemas::stale_files(&root, &generated);
    assert!(stale.is_empty(), "stale: {stale:?}: run `cargo run -p fleetlint-dev -- gen-schemas`");
}

/// `docs/rules.md` and the README's rule table are what `gen-docs` writes from the rule
/// declarations.
#[test]
fn rule_docs_and_readme_table_are_current() {
    let root = repo_root();
    let committed = std::fs::read_to_string(root.join(fleetlint_dev::docs::RULES_MD)).unwrap();
    assert!(
        committed == fleetlint_dev::docs::rules_md(),
        "docs/rules.md is stale: run `cargo run -p fleetlint-dev -- gen-docs`"
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme == fleetlint_dev::docs::readme_with_rule_table(&readme).unwrap(),
        "README.md's rule table is stale: run `cargo run -p fleetlint-dev -- gen-docs`"
    );
    for rule in fleetlint_rules::catalog() {
        let m = rule.meta();
        assert!(committed.contains(&format!("\n## {} {}\n", m.code, m.name)));
        assert!(readme.contains(&format!("| {} | {} | {} |", m.code, m.name, m.default_severity.as_str())));
    }
}
