//! A manifest rendered several times in one cluster (two Kustomizations over one base, a
//! component reused per app) is one line to fix: the API and hygiene rules report it once.
//! The fixture test compares sets of lines, so it cannot see duplicates; this test counts.

use std::collections::HashMap;
use std::path::Path;

use fleetlint_fleet::{LoadOptions, load};
use fleetlint_rules::check;

fn counts(fixture: &str, code: &str) -> HashMap<(String, u32), usize> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules").join(fixture);
    let s = load(&LoadOptions { root: dir, ..LoadOptions::default() }).unwrap();
    let outcome = check(&s);
    let mut out = HashMap::new();
    for f in outcome.findings.iter().filter(|f| f.code() == code) {
        let file = s.db.get(f.span.file);
        *out.entry((file.path.clone(), file.line_col(f.span.start).line)).or_insert(0) += 1;
    }
    out
}

#[test]
fn a_base_rendered_twice_is_reported_once() {
    for (fixture, code, at) in
        [("API001/fail", "API001", ("apps/sources.yaml", 1)), ("HYG002/fail", "HYG002", ("infra/objects.yaml", 27))]
    {
        let c = counts(fixture, code);
        assert_eq!(c.get(&(at.0.to_string(), at.1)), Some(&1), "{code}: {c:?}");
        assert!(c.values().all(|&n| n == 1), "{code}: {c:?}");
    }
}

/// A reference to a kind its field does not accept violates the CRD's enum too: SRC002 reports
/// it (naming the kinds the controller reads), SCH001 does not report the same value again.
#[test]
fn a_rejected_reference_kind_is_reported_once() {
    let src002 = counts("SRC002/fail", "SRC002");
    let at = ("clusters/prod/apps.yaml".to_string(), 24);
    assert_eq!(src002.get(&at), Some(&1), "SRC002: {src002:?}");
    let sch001 = counts("SRC002/fail", "SCH001");
    assert_eq!(sch001.get(&at), None, "SCH001: {sch001:?}");
}
