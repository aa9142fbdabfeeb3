//! Schema validation speed and memory, each figure against a baseline measured in the same run:
//!
//! - every document of the corpus's home-ops (raw files, as written), against `load_tree`
//!   (walk + parse) of the same tree;
//! - the objects of a generated 2,000-tenant fleet (the layout of `fleetlint-rules`'s `fleet`
//!   bench, rendered into both clusters: 8 objects per tenant and cluster), against parsing them.
//!
//! Before the timed runs it prints the object counts, how many were validated, the time per 1,000
//! objects of one warm pass, and the resident memory the compiled validators add.
//! `FLEETLINT_BENCH_TENANTS` changes the tenant count.
#![allow(missing_docs, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use fleetlint_schema::{Outcome, SchemaSet, ValidateOptions};
use fleetlint_yaml::{FileDb, FileId, Limits, Node, load_tree, parse_yaml};

/// The objects one tenant renders into one cluster (namespace, service account, role binding,
/// Flux Kustomization, and the Deployment, Service, HelmRepository and HelmRelease of its app).
fn tenant_objects(t: &str, cluster: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {t}\n  labels:\n    toolkit.fluxcd.io/tenant: {t}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {t}\n  namespace: {t}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {t}-reconciler\n  namespace: {t}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: admin\nsubjects:\n  - kind: ServiceAccount\n    name: {t}\n    namespace: {t}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {t}\n  namespace: {t}\n  labels:\n    cluster: {cluster}\nspec:\n  serviceAccountName: {t}\n  interval: 10m\n  prune: true\n  targetNamespace: {t}\n  path: ./apps/{t}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n---\n"
    );
    let _ = write!(
        s,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {t}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/example/{t}:1.0.0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {t}\nspec:\n  selector: {{app: web}}\n  ports:\n    - port: 80\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: {t}\nspec:\n  interval: 1h\n  url: https://charts.example.com\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: {t}\nspec:\n  serviceAccountName: {t}\n  interval: 1h\n  chart:\n    spec:\n      chart: redis\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n"
    );
    s
}

fn generated_texts(tenants: usize) -> Vec<String> {
    let mut out = Vec::new();
    for cluster in ["production", "staging"] {
        for i in 0..tenants {
            out.push(tenant_objects(&format!("team-{i}"), cluster));
        }
    }
    out
}

fn parse_all(texts: &[String]) -> Vec<Node> {
    texts.iter().flat_map(|t| parse_yaml(FileId(0), t, &Limits::default()).documents).map(|d| d.root).collect()
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Validate every object once; (validated, with errors, unvalidated).
fn validate_all(set: &SchemaSet, objects: &[&Node]) -> (usize, usize, usize) {
    let (mut ok, mut bad, mut none) = (0, 0, 0);
    for o in objects {
        match set.validate(o, &ValidateOptions::default()) {
            Outcome::Validated { errors, .. } if errors.is_empty() => ok += 1,
            Outcome::Validated { .. } => bad += 1,
            Outcome::Unvalidated(_) => none += 1,
        }
    }
    (ok, bad, none)
}

fn report(label: &str, set: &SchemaSet, objects: &[&Node]) {
    let rss_before = rss_kib("VmRSS:");
    let cold = Instant::now();
    let (ok, bad, none) = validate_all(set, objects);
    let cold = cold.elapsed();
    let rss_after = rss_kib("VmRSS:");
    let warm = Instant::now();
    validate_all(set, objects);
    let warm = warm.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let per_k = warm.as_secs_f64() * 1000.0 / (objects.len().max(1) as f64) * 1000.0;
    eprintln!(
        "{label}: {} objects: {ok} valid, {bad} with errors, {none} unvalidated; first pass (compiles) {:.1} ms, warm pass {:.1} ms = {per_k:.2} ms per 1,000 objects; RSS +{} KiB over the first pass (validators), peak {} KiB",
        objects.len(),
        cold.as_secs_f64() * 1000.0,
        warm.as_secs_f64() * 1000.0,
        rss_after.saturating_sub(rss_before),
        rss_kib("VmHWM:"),
    );
}

fn bench(c: &mut Criterion) {
    let set = SchemaSet::new();
    let home_ops = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/onedr0p__home-ops");
    if home_ops.is_dir() {
        let mut db = FileDb::new();
        let tree = load_tree(&mut db, &home_ops, None, &Limits::default()).expect("load home-ops");
        let objects: Vec<&Node> = tree.files.iter().flat_map(|f| &f.yaml.documents).map(|d| &d.root).collect();
        report("home-ops", &set, &objects);
        c.bench_function("home-ops: baseline load_tree", |b| {
            b.iter(|| load_tree(&mut FileDb::new(), &home_ops, None, &Limits::default()).expect("load").files.len());
        });
        c.bench_function("home-ops: validate every document", |b| b.iter(|| validate_all(&set, &objects)));
    }
    let tenants = std::env::var("FLEETLINT_BENCH_TENANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let texts = generated_texts(tenants);
    let nodes = parse_all(&texts);
    let objects: Vec<&Node> = nodes.iter().collect();
    report(&format!("{tenants}-tenant fleet"), &set, &objects);
    c.bench_function(&format!("{tenants}-tenant fleet: baseline parse"), |b| b.iter(|| parse_all(&texts).len()));
    c.bench_function(&format!("{tenants}-tenant fleet: validate every object"), |b| {
        b.iter(|| validate_all(&set, &objects));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
