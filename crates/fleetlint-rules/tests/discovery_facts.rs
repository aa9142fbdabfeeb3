//! Facts of issue 11 that rules read. ORD007 territory: a cluster owns its cluster directory (`clusters/a/` for root
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

/// Issue 11: a Kustomization in flux-system that reconciles a tenant's repository as a
/// ServiceAccount labelled with the tenant is that tenant's reconciler: what it renders is the
/// tenant's, its ServiceAccount's cluster-admin ClusterRoleBinding is ISO006; the tenant label on
/// the bootstrap objects makes nothing a tenant.
#[test]
fn a_tenant_reconciler_in_flux_system_is_the_tenants() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/tenant-reconciler");
    let sources = vec![format!("https://example.com/team-a.git={}", base.join("team-a").display())];
    let session = load(&LoadOptions { root: base.join("fleet"), sources, ..LoadOptions::default() }).expect("loads");
    let c = &session.fleet.clusters[0];
    let account = ("flux-system".to_string(), "team-a".to_string());
    assert_eq!(c.tenant_accounts.get(&account).map(String::as_str), Some("team-a"));
    assert!(!c.tenant_accounts.values().any(|t| t == "sre-team"), "bootstrap labels make no tenant");
    let cm = c.objects.iter().find(|o| o.id() == "ConfigMap/team-a/app").expect("rendered from the mapped repo");
    assert_eq!((cm.scope, cm.tenant.as_deref()), (fleetlint_fleet::Scope::Tenant, Some("team-a")));
    let root = c.objects.iter().find(|o| o.id() == "Kustomization/flux-system/flux-system").unwrap();
    assert_eq!(root.scope, fleetlint_fleet::Scope::Platform);
    let outcome = fleetlint_rules::check(&session);
    let iso006: Vec<_> = outcome.findings.iter().filter(|f| f.rule.code() == "ISO006").collect();
    assert_eq!(iso006.len(), 1, "{iso006:#?}");
    assert!(iso006[0].message.contains("tenant team-a"), "{}", iso006[0].message);
}

/// Issue 11 layout 4: a root path several directories hold is an SRC012 info naming them, at the
/// FluxInstance's `sync.path`, once; no cluster is guessed.
#[test]
fn an_ambiguous_source_root_is_an_info_naming_the_candidates() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/ambiguous-source-root");
    let session = load(&LoadOptions { root, ..LoadOptions::default() }).expect("loads");
    assert!(session.fleet.clusters.is_empty());
    let outcome = fleetlint_rules::check(&session);
    let infos: Vec<_> = outcome.findings.iter().filter(|f| f.rule.code() == "SRC012").collect();
    assert_eq!(infos.len(), 1, "{infos:#?}");
    let f = infos[0];
    assert_eq!(f.severity, fleetlint_rules::Severity::Info);
    assert_eq!(session.db.get(f.span.file).path, "flux/instance.yaml");
    assert_eq!(session.db.get(f.span.file).line_col(f.span.start).line, 15, "at sync.path");
    assert!(f.message.contains("a/clusters/c1, b/clusters/c1"), "{}", f.message);
}

/// Issue 11, "say what was decided": a repository whose root is installed outside Git (a script
/// applies it) defines Flux Kustomizations that nothing in it applies. No cluster is found, and
/// the report says so once instead of looking clean; a fleet with a root gets no such note.
#[test]
fn no_cluster_found_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let ks = |name: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/{name}\n  prune: true\n  sourceRef:\n    kind: OCIRepository\n    name: apps\n"
        )
    };
    write("kubernetes/clusters/local/apps.yaml", &format!("{}---\n{}", ks("infra"), ks("apps")));
    write("kubernetes/clusters/local/kustomization.yaml", "resources:\n  - apps.yaml\n");
    let session = load(&LoadOptions { root: dir.path().to_path_buf(), ..LoadOptions::default() }).expect("loads");
    assert!(session.fleet.clusters.is_empty());
    let outcome = fleetlint_rules::check(&session);
    let notes: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.rule.code() == "SRC012" && f.message.starts_with("no cluster root was found"))
        .collect();
    assert_eq!(notes.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(session.db.get(notes[0].span.file).path, "kubernetes/clusters/local/apps.yaml");
    assert!(notes[0].message.contains("and 1 more"), "{}", notes[0].message);

    let territory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/territory");
    let session = load(&LoadOptions { root: territory, ..LoadOptions::default() }).expect("loads");
    let outcome = fleetlint_rules::check(&session);
    assert!(!outcome.findings.iter().any(|f| f.message.starts_with("no cluster root was found")));
}

/// A hub Kustomization with `spec.kubeConfig` that builds a spoke's own root directory applies
/// it on the spoke (heldout12, adavarski/flux-multicluster-gitops): no ORD007 in the hub.
#[test]
fn a_hub_applying_a_spokes_root_through_its_kubeconfig_leaks_nothing_into_the_hub() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/hub-applies-spoke-root");
    let session = load(&LoadOptions { root, ..LoadOptions::default() }).expect("loads");
    assert!(session.fleet.clusters.iter().any(|c| c.path == "config/spoke"), "{:?}", session.fleet.clusters);
    let outcome = fleetlint_rules::check(&session);
    let leaks: Vec<_> = outcome.findings.iter().filter(|f| f.rule.code() == "ORD007").collect();
    assert!(leaks.is_empty(), "{leaks:#?}");
}
