//! Defence in depth: a rule that panics on one input loses its findings there and gets an
//! FLT001 finding naming it and the input; every other rule and input is still checked.

use std::path::Path;

use fleetlint_fleet::{LoadOptions, load};
use fleetlint_rules::context::{ClusterContext, FileContext};
use fleetlint_rules::finding::{Category, Finding, Severity};
use fleetlint_rules::{INTERNAL_ERROR, Rule, builtin_checks, check, check_with, declare_rule};

declare_rule! {
    /// ## What it does
    /// Panics on `kustomization.yaml` files and in cluster `production`; reports every other
    /// file.
    pub(crate) struct Panicking {
        code: "TST001",
        name: "panicking",
        category: Category::Hygiene,
        severity: Severity::Info,
    }
}

impl Rule for Panicking {
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        out.push(Self::finding(fleetlint_yaml::Span::empty(cx.file.id, 0), "seen"));
        assert!(!cx.text.path.ends_with("kustomization.yaml"), "boom in {}", cx.text.path);
    }

    fn check_cluster(&self, cx: &ClusterContext<'_>, _out: &mut Vec<Finding>) {
        if cx.cluster.name == "production" {
            let empty: Vec<u8> = Vec::new();
            let _ = empty[usize::from(cx.cluster.name.len() > 1)];
        }
    }
}

#[test]
fn a_panicking_rule_becomes_flt001_and_the_run_goes_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fleets/violations");
    let s = load(&LoadOptions { root, ..LoadOptions::default() }).unwrap();
    let rules: Vec<&dyn Rule> = builtin_checks().into_iter().chain([&Panicking as &dyn Rule]).collect();
    let outcome = check_with(&s, &rules);
    let plain = check(&s);

    let internal: Vec<&Finding> = outcome.findings.iter().filter(|f| f.rule == INTERNAL_ERROR).collect();
    let path = |f: &Finding| s.db.get(f.span.file).path.clone();
    // One per kustomization file, one for the cluster; each names the rule and the input.
    let files = s.trees[0].files.iter().filter(|f| s.db.get(f.id).path.ends_with("kustomization.yaml")).count();
    assert_eq!(internal.len(), files + 1, "{internal:#?}");
    for f in &internal {
        assert_eq!((f.code(), f.severity, f.rule.meta().category), ("FLT001", Severity::Error, Category::Internal));
        assert!(f.message.starts_with("internal error in rule TST001 (panicking) while checking "), "{}", f.message);
    }
    let file_errors: Vec<&&Finding> = internal.iter().filter(|f| f.message.contains("while checking file ")).collect();
    for f in &file_errors {
        assert!(f.message.ends_with(&format!("{}: boom in {}", path(f), path(f))), "{}", f.message);
    }
    let cluster_error = internal.iter().find(|f| f.message.contains("while checking cluster production")).unwrap();
    assert!(cluster_error.message.contains("index out of bounds"), "{}", cluster_error.message);
    assert_eq!(cluster_error.clusters, ["production"]);

    // The panicking rule's findings survive where it did not panic, and vanish where it did.
    let seen: Vec<String> = outcome.findings.iter().filter(|f| f.code() == "TST001").map(path).collect();
    assert!(seen.len() > 10, "{seen:?}");
    assert!(seen.iter().all(|p| !p.ends_with("kustomization.yaml")));
    // Every other rule reported exactly what it reports without the panicking rule.
    let others = |o: &fleetlint_rules::CheckOutcome| {
        o.findings
            .iter()
            .filter(|f| f.code() != "TST001" && f.rule != INTERNAL_ERROR)
            .map(|f| (f.code(), f.span, f.message.clone()))
            .collect::<Vec<_>>()
    };
    assert!(!others(&plain).is_empty());
    assert_eq!(others(&outcome), others(&plain));
}
