//! Resolving every kustomization directory of the largest corpus repository
//! (`../shared/corpus/onedr0p__home-ops`, override with `FLEETLINT_BENCH_REPO`) with a fresh
//! resolver each iteration (so per-directory caching within one run is measured, not across runs),
//! against loading the same repository as the baseline.
#![allow(missing_docs, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use fleetlint_kustomize::Resolver;
use fleetlint_yaml::{FileDb, Limits, load_tree};

fn repo() -> PathBuf {
    std::env::var_os("FLEETLINT_BENCH_REPO").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/onedr0p__home-ops"),
        PathBuf::from,
    )
}

fn bench(c: &mut Criterion) {
    let repo = repo();
    if !repo.is_dir() {
        eprintln!("skipping: {} not found", repo.display());
        return;
    }
    let mut db = FileDb::new();
    let tree = load_tree(&mut db, &repo, None, &Limits::default()).expect("load");
    let dirs: Vec<String> = tree
        .files
        .iter()
        .map(|f| db.get(f.id).path.clone())
        .filter(|p| p.ends_with("kustomization.yaml") || p.ends_with("kustomization.yml"))
        .map(|p| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string()))
        .collect();
    // Baseline in the same run: loading (walk + parse) the same repository.
    c.bench_function("baseline load_tree", |b| {
        b.iter(|| {
            let mut db = FileDb::new();
            load_tree(&mut db, &repo, None, &Limits::default()).expect("load").files.len()
        });
    });
    c.bench_function(&format!("resolve {} overlays", dirs.len()), |b| {
        b.iter(|| {
            let resolver = Resolver::new(&tree, &db);
            let mut n = 0;
            for d in &dirs {
                n += resolver.build(d).resources.len();
            }
            n
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
