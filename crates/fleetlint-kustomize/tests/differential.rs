//! Differential test: every kustomization directory of the shared corpus (or of
//! `FLEETLINT_CORPUS`, a directory of repositories) built by
//! `kubectl kustomize --load-restrictor=LoadRestrictionsNone` and by fleetlint, compared object
//! by object and as text (see `differential/harness.rs`; to point it at any directory of
//! repositories and see every difference by class, run
//! `cargo run -p fleetlint-kustomize --example differential -- DIR`).
//!
//! Ignored unless asked for (`cargo test -- --include-ignored`, as `.ci/run` does): it needs the
//! corpus and kubectl, and fails when either is absent. `FLEETLINT_DIFF_MIN` sets the required
//! agreement percentage (default 100: the corpus agrees on every directory kubectl builds).
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

#[path = "differential/harness.rs"]
#[allow(dead_code)]
mod harness;
use harness::{Harness, Ours, report, repositories};

fn corpus() -> PathBuf {
    std::env::var_os("FLEETLINT_CORPUS").map_or_else(fleetlint_testkit::corpus, PathBuf::from)
}

#[test]
#[ignore = "needs ../shared/corpus and kubectl"]
fn differential_against_kubectl() {
    let corpus = corpus();
    let kubectl = fleetlint_testkit::kubectl();
    assert!(corpus.is_dir(), "this test needs the corpus {}; it is absent", corpus.display());
    let harness = Harness { kubectl, ours: Ours::InProcess, cache: None };
    let results: Vec<_> = repositories(&corpus).iter().map(|r| harness.run_repo(r)).collect();
    let mut text = Vec::new();
    let (built, agree) = report(&results, &mut text);
    eprintln!("{}", String::from_utf8_lossy(&text));
    let missed: Vec<String> =
        results.iter().flat_map(|r| r.missed_failures().into_iter().map(move |d| format!("{}/{d}", r.name))).collect();
    assert!(missed.is_empty(), "kubectl rejects these but fleetlint reports no fatal issue: {missed:?}");
    #[allow(clippy::cast_precision_loss)]
    let pct = if built == 0 { 100.0 } else { agree as f64 * 100.0 / built as f64 };
    let min: f64 = std::env::var("FLEETLINT_DIFF_MIN").ok().and_then(|v| v.parse().ok()).unwrap_or(100.0);
    assert!(pct >= min, "agreement {pct:.2}% below {min}%");
}
