//! The whole pipeline on generated 2,000-tenant fleets (the size the product promises to check on
//! every commit) and on the largest corpus repository, each against loading the same tree as the
//! same-run baseline: `load_tree` (walk + parse), then `session::load` (load + fleet model:
//! clusters, every Flux Kustomization built, substitution, tenants), then `check` (all rules).
//!
//! Two layouts (`fleetlint_testkit::fleetgen`): `simple` (one `tenants/` tree shared by both
//! clusters) and `reference` (the multi-tenancy reference repository's: a base per tenant and a
//! per-cluster overlay listing every tenant with one patch each). `FLEETLINT_BENCH_TENANTS`
//! changes the tenant count, `FLEETLINT_BENCH_LAYOUTS` (comma-separated) the layouts.
#![allow(missing_docs, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use fleetlint_fleet::{LoadOptions, load};
use fleetlint_testkit::fleetgen::{FleetSpec, Layout, generate};
use fleetlint_yaml::{FileDb, Limits, load_tree};

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
    let layouts = std::env::var("FLEETLINT_BENCH_LAYOUTS").unwrap_or_else(|_| "simple,reference".into());
    for layout in layouts.split(',').filter(|l| !l.is_empty()) {
        let layout = Layout::parse(layout).expect("FLEETLINT_BENCH_LAYOUTS");
        let dir = tempfile::tempdir().expect("tempdir");
        generate(dir.path(), &FleetSpec::new(layout, tenants)).expect("generate");
        bench_tree(c, &format!("{tenants}-tenant {} fleet", layout.as_str()), dir.path(), &[]);
    }
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
