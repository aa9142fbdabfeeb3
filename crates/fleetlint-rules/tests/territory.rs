//! ORD007's territory (issue 11): a cluster owns its cluster directory (`clusters/a/` for root
//! `clusters/a/flux`), not only the directory of its bootstrap files.

use std::path::PathBuf;

use fleetlint_fleet::{LoadOptions, load};

#[test]
fn a_kustomization_reading_another_clusters_directory_is_a_leak() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/territory");
    let session = load(&LoadOptions { root, ..LoadOptions::default() }).expect("loads");
    let territories: Vec<(&str, &str)> =
        session.fleet.clusters.iter().map(|c| (c.name.as_str(), c.territory())).collect();
    assert_eq!(territories, [("a", "clusters/a"), ("b", "clusters/b")]);
    let outcome = fleetlint_rules::check(&session);
    let leaks: Vec<_> = outcome.findings.iter().filter(|f| f.rule.code() == "ORD007").collect();
    assert_eq!(leaks.len(), 1, "{leaks:#?}");
    let f = leaks[0];
    assert_eq!(session.db.get(f.span.file).path, "clusters/b/flux/apps.yaml");
    assert_eq!(f.clusters, ["b"]);
}
