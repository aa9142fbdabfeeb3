//! The fleet model on generated repositories: shapes the corpus does not have (several spokes
//! managed from one namespace, included repositories). Hostile shapes (a 10,000-deep chain of
//! Flux Kustomizations and the rest) are in the CLI's hostile-input suite
//! (`crates/fleetlint/tests/hostile`), run against the release binary.
#![allow(clippy::print_stderr)]

use std::path::Path;

use fleetlint_fleet::{EntryKind, FleetIssueKind};
use fleetlint_fleet::{LoadOptions, load};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn ks(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  prune: true\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

#[test]
fn spokes_managed_from_the_platform_namespace_are_named_after_their_kubeconfigs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for spoke in ["prod-eu", "prod-us"] {
        let extra = format!("  kubeConfig:\n    secretRef:\n      name: {spoke}-kubeconfig\n");
        write(root, &format!("clusters/hub/{spoke}.yaml"), &ks(spoke, &format!("./spokes/{spoke}"), &extra));
        write(
            root,
            &format!("spokes/{spoke}/app.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\n",
        );
    }
    let s = load(&LoadOptions { root: root.to_path_buf(), ..LoadOptions::default() }).unwrap();
    let names: Vec<(&str, EntryKind)> = s.fleet.clusters.iter().map(|c| (c.name.as_str(), c.entry)).collect();
    assert_eq!(
        names,
        [("hub", EntryKind::Synthesized), ("prod-eu", EntryKind::Remote), ("prod-us", EntryKind::Remote)]
    );
    for c in &s.fleet.clusters[1..] {
        assert_eq!(c.objects.len(), 1, "{}: the spoke's ConfigMap", c.name);
        assert_eq!(c.hub.as_deref(), Some("hub"));
    }
    // The hub applies the Kustomizations; their output is not the hub's.
    assert!(s.fleet.clusters[0].objects.iter().all(|o| o.kind() != "ConfigMap"));
}

#[test]
fn a_path_under_an_included_repository_is_built_from_that_repository() {
    let dir = tempfile::tempdir().unwrap();
    let (fleet, app) = (dir.path().join("fleet"), dir.path().join("app"));
    let sources = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/app\n  ref:\n    branch: main\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: platform\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/platform\n  ref:\n    branch: main\n  include:\n    - repository:\n        name: app\n      fromPath: deploy\n      toPath: vendor/app\n---\n";
    let with_include = ks("app", "./vendor/app/prod", "").replace("name: flux-system\n", "name: platform\n");
    write(&fleet, "clusters/dev/app.yaml", &format!("{sources}{with_include}"));
    write(
        &app,
        "deploy/prod/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-app\n  namespace: default\n",
    );
    let opts = LoadOptions {
        root: fleet.clone(),
        sources: vec![
            format!("GitRepository/flux-system/platform={}", fleet.display()),
            format!("https://example.com/app={}", app.display()),
        ],
        ..LoadOptions::default()
    };
    let s = load(&opts).unwrap();
    let c = &s.fleet.clusters[0];
    assert!(
        c.issues
            .iter()
            .all(|i| !matches!(i.kind, FleetIssueKind::PathMissing { .. } | FleetIssueKind::PathClamped { .. })),
        "{:?}",
        c.issues
    );
    let cm = c.objects.iter().find(|o| o.name() == "from-app").expect("rendered from the included repository");
    assert_eq!(cm.owners.last().map(String::as_str), Some("Kustomization/flux-system/app"));
    assert_eq!(s.db.get(cm.root.span.file).path, "deploy/prod/config.yaml");
}

/// The Flux graph: dependsOn entries name an object of the referrer's kind, in the entry's
/// namespace or (when it names none, or an empty one) the referrer's; ResourceSet entries name
/// their own kind; source edges resolve `sourceRef` with the same defaulting.
#[test]
fn the_flux_graph_defaults_namespaces_per_reference() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let deps = "  dependsOn:\n  - name: infra\n  - name: db\n    namespace: \"\"\n  - name: gone\n";
    write(root, "clusters/dev/apps.yaml", &ks("apps", "./apps", deps));
    write(root, "clusters/dev/infra.yaml", &ks("infra", "./infra", ""));
    write(root, "clusters/dev/db.yaml", &ks("db", "./infra", ""));
    write(
        root,
        "clusters/dev/rs.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: flux-system\nspec:\n  dependsOn:\n  - apiVersion: kustomize.toolkit.fluxcd.io/v1\n    kind: Kustomization\n    name: infra\n  resources: []\n",
    );
    write(root, "apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n");
    write(root, "infra/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: default\n");
    let s = load(&LoadOptions { root: root.to_path_buf(), ..LoadOptions::default() }).unwrap();
    let c = &s.fleet.clusters[0];
    let g = fleetlint_fleet::graph::FluxGraph::new(c);
    let index = |id: &str| c.objects.iter().position(|o| o.id() == id).unwrap();
    let apps = index("Kustomization/flux-system/apps");
    let targets: Vec<Option<String>> = g.depends_on_of(apps).map(|d| d.target.map(|t| c.objects[t].id())).collect();
    assert_eq!(
        targets,
        [Some("Kustomization/flux-system/infra".into()), Some("Kustomization/flux-system/db".into()), None]
    );
    let rs = index("ResourceSet/flux-system/rs");
    let rs_targets: Vec<usize> = g.depends_on_of(rs).filter_map(|d| d.target).collect();
    assert_eq!(rs_targets, [index("Kustomization/flux-system/infra")]);
    // ResourceSet entries do not take part in the ordering of Kustomizations and HelmReleases.
    assert!(g.deps.iter().all(|d| d.from != rs));
    let sources: Vec<Option<usize>> = g.sources_of(apps).iter().map(|e| e.target).collect();
    assert_eq!(sources, [Some(index("GitRepository/flux-system/flux-system"))]);
}
