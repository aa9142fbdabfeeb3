//! What users read, pinned: every rule's failing fixture (`testdata/rules/<CODE>/fail`) rendered
//! as `fleetlint check` prints it (human format, no colour, findings only), that rule's findings
//! only: message, object, location and snippet, related locations, clusters, owner chain, help.
//! The fixture test in fleetlint-rules pins code and line; this pins the words.
//!
//! Snapshots live in `tests/snapshots/` and are written by the program, never by hand:
//! `INSTA_UPDATE=always cargo test -p fleetlint-report --test fixture_snapshots` (or
//! `cargo insta test --accept`) after a deliberate change, then review the diff.

use fleetlint_fleet::{LoadOptions, load};
use fleetlint_report::ReportInput;
use fleetlint_report::human::{HumanOptions, render};
use fleetlint_rules::{CheckOutcome, INVALID_SUPPRESSION, all_rules, check};

#[test]
fn every_failing_fixture_renders_as_its_snapshot() {
    let fixtures = fleetlint_testkit::repo_root().join("testdata/rules");
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for rule in all_rules().iter().map(|r| r.id()).chain([INVALID_SUPPRESSION]) {
        let code = rule.meta().code;
        let dir = fixtures.join(code).join("fail");
        let session = load(&LoadOptions { root: dir, ..LoadOptions::default() }).unwrap();
        let all = check(&session);
        let findings = all.findings.into_iter().filter(|f| f.code() == code).collect();
        let outcome = CheckOutcome { findings, ..CheckOutcome::default() };
        let input = ReportInput {
            root: code,
            db: &session.db,
            outcome: &outcome,
            sources: &[],
            clusters: &[],
            rejected: &[],
            objects: 0,
            elapsed_ms: 0.0,
            timings_ms: &[],
            rules: &[],
            repo_paths: &fleetlint_report::RepoPaths::default(),
        };
        let text = render(&input, HumanOptions { color: false, quiet: true, verbose: false });
        settings.set_description(format!("testdata/rules/{code}/fail, human format, {code} findings only"));
        settings.bind(|| insta::assert_snapshot!(code, text));
    }
}
