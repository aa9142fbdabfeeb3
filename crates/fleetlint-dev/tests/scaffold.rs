//! `new-rule` on scratch copies of the repository: what it writes and where, what it refuses,
//! and (ignored unless asked for: it runs cargo) that the rule it writes compiles cleanly.

use std::path::Path;

use fleetlint_dev::scaffold::{NewRule, new_rule};
use fleetlint_testkit::{copy_dir, repo_root};

fn rule(code: &str, name: &str, group: &str) -> NewRule {
    NewRule { code: code.into(), name: name.into(), group: group.into(), severity: "warning".into() }
}

/// The parts of the repository the scaffold reads and writes.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    for sub in ["crates/fleetlint-rules/src", "testdata/rules"] {
        copy_dir(&root.join(sub), &dir.path().join(sub));
    }
    dir
}

/// Take the SCH group out of a scratch copy (its folder, module line and registry entries), so a
/// new prefix can be scaffolded: every category of the catalog has its folder now.
fn without_schema_group(root: &Path) {
    std::fs::remove_dir_all(root.join("crates/fleetlint-rules/src/rules/sch_schema")).unwrap();
    for code in ["SCH001", "SCH002", "SCH003"] {
        std::fs::remove_dir_all(root.join("testdata/rules").join(code)).unwrap();
    }
    let edit = |rel: &str, f: &dyn Fn(&str) -> String| {
        let text = read(root, rel);
        std::fs::write(root.join(rel), f(&text)).unwrap();
    };
    edit("crates/fleetlint-rules/src/rules/mod.rs", &|t| t.replace("pub(crate) mod sch_schema;\n", ""));
    edit("crates/fleetlint-rules/src/registry.rs", &|t| {
        t.replace("sch_schema, ", "")
            .lines()
            .filter(|l| !l.contains("&sch_schema::"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

#[test]
fn new_rule_writes_the_rule_its_registration_and_fixture_skeletons() {
    let dir = scratch();
    let root = dir.path();
    let done = new_rule(root, &rule("HYG099", "some-new-pattern", "hyg_hygiene")).unwrap();
    assert_eq!(
        done.created,
        [
            "crates/fleetlint-rules/src/rules/hyg_hygiene/some_new_pattern.rs",
            "testdata/rules/HYG099/fail/fleet.yaml",
            "testdata/rules/HYG099/pass/fleet.yaml"
        ]
    );
    assert_eq!(
        done.edited,
        ["crates/fleetlint-rules/src/rules/hyg_hygiene/mod.rs", "crates/fleetlint-rules/src/registry.rs"]
    );

    let file = read(root, &done.created[0]);
    for needle in [
        "pub(crate) struct SomeNewPattern {",
        "code: \"HYG099\",",
        "name: \"some-new-pattern\",",
        "category: Category::Hygiene,",
        "severity: Severity::Warning,",
        "impl Rule for SomeNewPattern {",
    ] {
        assert!(file.contains(needle), "{needle} missing from\n{file}");
    }
    // The sections every rule's documentation must have (the registry test checks them).
    for section in ["## What it does", "## Why is this bad?", "## Example", "## Fix"] {
        assert!(file.contains(&format!("    /// {section}\n")), "{section}");
    }
    let mods: Vec<String> =
        read(root, &done.edited[0]).lines().filter(|l| l.starts_with("pub(crate) mod ")).map(str::to_string).collect();
    let mut sorted = mods.clone();
    sorted.sort();
    assert!(mods.contains(&"pub(crate) mod some_new_pattern;".to_string()));
    assert_eq!(mods, sorted, "module declarations stay in name order");
    // Listed right after the group's last rule.
    let registry = read(root, &done.edited[1]);
    assert!(registry.contains(
        "    &hyg_hygiene::yaml_ambiguous_scalar::YamlAmbiguousScalar,\n    &hyg_hygiene::some_new_pattern::SomeNewPattern,\n"
    ));
    assert!(read(root, &done.created[1]).contains("# expect: HYG099"));
    assert!(!read(root, &done.created[2]).contains("# expect:"));
}

#[test]
fn a_new_prefix_gets_its_folder_module_and_registry_import() {
    let dir = scratch();
    let root = dir.path();
    without_schema_group(root);
    let done = new_rule(root, &rule("SCH001", "schema-violation", "sch_schema")).unwrap();
    assert!(done.created.contains(&"crates/fleetlint-rules/src/rules/sch_schema/mod.rs".to_string()));
    assert!(read(root, "crates/fleetlint-rules/src/rules/mod.rs").contains("pub(crate) mod sch_schema;\n"));
    assert_eq!(
        read(root, "crates/fleetlint-rules/src/rules/sch_schema/mod.rs"),
        "//! SCH: schema.\n\npub(crate) mod schema_violation;\n"
    );
    let registry = read(root, "crates/fleetlint-rules/src/registry.rs");
    assert!(registry.contains("sch_schema, src_integrity"), "{registry}");
    assert!(registry.contains("    &sch_schema::schema_violation::SchemaViolation,\n"), "{registry}");
    assert!(read(root, "crates/fleetlint-rules/src/rules/sch_schema/schema_violation.rs").contains("Category::Schema"));
}

#[test]
fn new_rule_refuses_what_would_clash_or_is_malformed() {
    let dir = scratch();
    let root = dir.path();
    let refused =
        |code: &str, name: &str, group: &str| new_rule(root, &rule(code, name, group)).unwrap_err().to_string();
    assert!(refused("HYG006", "other-name", "hyg_hygiene").contains("HYG006 is already declared"));
    assert!(refused("HYG099", "duplicate-key", "hyg_hygiene").contains("already a rule name"));
    assert!(refused("HYG099", "fine-name", "iso_isolation").contains("must be the rule folder `hyg_"));
    assert!(refused("HYG099", "fine-name", "hyg_other").contains("HYG rules live in rules/hyg_hygiene"));
    assert!(refused("HY099", "fine-name", "hyg_hygiene").contains("three capitals and three digits"));
    assert!(refused("HYG099", "Not_Kebab", "hyg_hygiene").contains("not kebab-case"));
    assert!(refused("FLT002", "fine-name", "flt_internal").contains("no category"));
    let bad_severity = NewRule { severity: "fatal".into(), ..rule("HYG099", "fine-name", "hyg_hygiene") };
    assert!(new_rule(root, &bad_severity).unwrap_err().to_string().contains("not error, warning or info"));
    // Nothing was written by the refusals.
    assert!(!root.join("testdata/rules/HYG099").exists());
    assert!(!read(root, "crates/fleetlint-rules/src/registry.rs").contains("HYG099"));
}

/// The generated rule, formatted as `new-rule` formats it, compiles without a warning under the
/// workspace's lints, in two existing groups: `cargo clippy -p fleetlint-rules -- -D warnings` on a scratch copy of
/// the workspace (its own target directory under `target/`, kept between runs).
#[test]
#[ignore = "runs cargo clippy on a scratch copy of the workspace (about a minute on a cold cache)"]
fn the_scaffolded_rule_compiles_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = repo_root();
    for file in ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "rustfmt.toml"] {
        std::fs::copy(repo.join(file), root.join(file)).unwrap();
    }
    copy_dir(&repo.join("crates"), &root.join("crates"));
    copy_dir(&repo.join("testdata/rules"), &root.join("testdata/rules"));
    // The rules crate embeds the built-in policy pack and the schema bundle.
    copy_dir(&repo.join("policies"), &root.join("policies"));
    copy_dir(&repo.join("schemas"), &root.join("schemas"));
    // Every category has its folder now, so both rules join existing groups (the new-group
    // output is checked as text by `a_new_prefix_gets_its_folder_module_and_registry_import`).
    for r in [rule("HYG099", "some-new-pattern", "hyg_hygiene"), rule("SCH099", "some-schema-check", "sch_schema")] {
        let done = new_rule(root, &r).unwrap();
        fleetlint_dev::scaffold::rustfmt(root, &done).unwrap();
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["clippy", "-p", "fleetlint-rules", "--offline", "--locked", "--", "-D", "warnings"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", repo.join("target/scaffold-check"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fmt = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["fmt", "-p", "fleetlint-rules", "--check"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        fmt.status.success(),
        "the scaffold's output is not rustfmt-clean:\n{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}
