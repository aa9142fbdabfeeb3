//! The whole pipeline on a generated 2,000-tenant fleet (the size the product promises to check on
//! every commit) and on the largest corpus repository, each against loading the same tree as the
//! same-run baseline: `load_tree` (walk + parse), then `session::load` (load + fleet model:
//! clusters, every Flux Kustomization built, substitution, tenants), then `check` (all rules).
//! `FLEETLINT_BENCH_TENANTS` changes the tenant count.
#![allow(missing_docs, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use fleetlint_fleet::{LoadOptions, load};
use fleetlint_yaml::{FileDb, Limits, load_tree};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// Two clusters sharing `tenants/`, each tenant with a namespace, a ServiceAccount, a RoleBinding
/// and a Flux Kustomization (reconciled as its ServiceAccount) whose path renders a Deployment, a
/// Service and a HelmRelease with its HelmRepository.
fn generate(root: &Path, tenants: usize) {
    let lockdown = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\npatches:\n  - patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --no-cross-namespace-refs=true\n    target:\n      kind: Deployment\n      name: \"(kustomize-controller|helm-controller|notification-controller)\"\n  - patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --default-service-account=default\n    target:\n      kind: Deployment\n      name: \"(kustomize-controller|helm-controller)\"\n  - patch: |\n      - op: add\n        path: /spec/serviceAccountName\n        value: kustomize-controller\n    target:\n      kind: Kustomization\n      name: flux-system\n";
    for cluster in ["production", "staging"] {
        write(root, &format!("clusters/{cluster}/flux-system/gotk-components.yaml"), "# placeholder\n");
        write(root, &format!("clusters/{cluster}/flux-system/gotk-sync.yaml"), "# placeholder\n");
        write(root, &format!("clusters/{cluster}/flux-system/kustomization.yaml"), lockdown);
        write(
            root,
            &format!("clusters/{cluster}/tenants.yaml"),
            &format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: tenants\n  namespace: flux-system\nspec:\n  serviceAccountName: kustomize-controller\n  interval: 10m\n  prune: true\n  path: ./tenants\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      CLUSTER: {cluster}\n"
            ),
        );
    }
    let mut list = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for i in 0..tenants {
        let t = format!("team-{i}");
        let _ = writeln!(list, "  - {t}");
        write(root, &format!("tenants/{t}/kustomization.yaml"), "resources:\n  - rbac.yaml\n  - sync.yaml\n");
        write(
            root,
            &format!("tenants/{t}/rbac.yaml"),
            &format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {t}\n  labels:\n    toolkit.fluxcd.io/tenant: {t}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {t}\n  namespace: {t}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {t}-reconciler\n  namespace: {t}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: admin\nsubjects:\n  - kind: ServiceAccount\n    name: {t}\n    namespace: {t}\n"
            ),
        );
        write(
            root,
            &format!("tenants/{t}/sync.yaml"),
            &format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {t}\n  namespace: {t}\nspec:\n  serviceAccountName: {t}\n  interval: 10m\n  prune: true\n  targetNamespace: {t}\n  path: ./apps/{t}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n"
            ),
        );
        write(
            root,
            &format!("apps/{t}/app.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/example/{t}:1.0.0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {{app: web}}\n  ports:\n    - port: 80\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  interval: 1h\n  url: https://charts.example.com\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\nspec:\n  serviceAccountName: {t}\n  interval: 1h\n  chart:\n    spec:\n      chart: redis\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n"
            ),
        );
    }
    write(root, "tenants/kustomization.yaml", &list);
}

fn bench_tree(c: &mut Criterion, label: &str, root: &Path, sources: &[String]) {
    c.bench_function(&format!("{label}: baseline load_tree"), |b| {
        b.iter(|| {
            let mut db = FileDb::new();
            load_tree(&mut db, root, None, &Limits::default()).expect("load").files.len()
        });
    });
    let opts = LoadOptions { root: root.to_path_buf(), sources: sources.to_vec(), ..LoadOptions::default() };
    let s = load(&opts).expect("load");
    let objects: usize = s.fleet.clusters.iter().map(|c| c.objects.len()).sum();
    let ks: usize = s.fleet.clusters.iter().map(|c| c.kustomizations.len()).sum();
    eprintln!("{label}: {} clusters, {ks} Flux Kustomizations followed, {objects} objects", s.fleet.clusters.len());
    c.bench_function(&format!("{label}: load + fleet model"), |b| {
        b.iter(|| load(&opts).expect("load").fleet.clusters.len());
    });
    c.bench_function(&format!("{label}: load + fleet + all rules"), |b| {
        b.iter(|| {
            let s = load(&opts).expect("load");
            fleetlint_rules::check(&s).findings.len()
        });
    });
}

fn bench(c: &mut Criterion) {
    let tenants = std::env::var("FLEETLINT_BENCH_TENANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path(), tenants);
    bench_tree(c, &format!("{tenants}-tenant fleet"), dir.path(), &[]);
    let home_ops = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/onedr0p__home-ops");
    if home_ops.is_dir() {
        bench_tree(c, "home-ops", &home_ops, &[]);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
