//! The committed generated tables must equal a fresh generation from `../shared/k8s-schemas`.

use fleetlint_dev::{DEFAULT_SCHEMAS, MERGE_KEYS_OUT, gen_merge_keys, repo_root};

#[test]
fn merge_keys_rs_is_current() {
    let root = repo_root();
    let schemas = root.join(DEFAULT_SCHEMAS);
    if !schemas.join("_definitions.json").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing (CI=true): cannot check the generated merge keys",
            schemas.display()
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: {} is absent", schemas.display());
        }
        return;
    }
    let label = schemas.file_name().unwrap().to_string_lossy().into_owned();
    let fresh = gen_merge_keys(&schemas, &label).unwrap();
    let committed = std::fs::read_to_string(root.join(MERGE_KEYS_OUT)).unwrap_or_default();
    assert!(fresh == committed, "{MERGE_KEYS_OUT} is stale: run `cargo run -p fleetlint-dev -- gen-merge-keys`");
}

/// `schemas/flux` and `schemas/kubernetes` must equal a fresh `gen-schemas` run.
#[test]
fn schemas_are_current() {
    let root = repo_root();
    let inputs = [root.join("../shared/flux-crds/current"), root.join(DEFAULT_SCHEMAS)];
    if let Some(missing) = inputs.iter().find(|p| !p.exists()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing (CI=true): cannot check the generated schemas",
            missing.display()
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: {} is absent", missing.display());
        }
        return;
    }
    let generated = fleetlint_dev::schemas::gen_schemas(&root).unwrap();
    let stale = fleetlint_dev::schemas::stale_files(&root, &generated);
    assert!(stale.is_empty(), "stale: {stale:?}: run `cargo run -p fleetlint-dev -- gen-schemas`");
}
