//! Loader throughput on the largest corpus repository (`onedr0p__home-ops`), against two
//! baselines measured in the same run: walking and reading the files, and the raw YAML event
//! stream without building trees. Falls back to `testdata/fleets` without `../shared/corpus`.
//!
//! `cargo bench -p fleetlint-yaml --bench loader`

#![allow(clippy::print_stderr)] // skip notices and bench input are for the person running them

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fleetlint_yaml::{FileDb, Limits, load_tree};
use fleetlint_yaml::{FileKind, walk_files};

fn bench_root() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = repo.join("../shared/corpus/onedr0p__home-ops");
    if corpus.is_dir() { corpus } else { repo.join("testdata/fleets") }
}

fn loader(c: &mut Criterion) {
    let root = bench_root();
    let listing = walk_files(&root).unwrap();
    let yaml: Vec<_> = listing.files.iter().filter(|f| f.kind == FileKind::Yaml).collect();
    let bytes: u64 = yaml.iter().map(|f| f.size).sum();
    eprintln!(
        "bench input: {} ({} YAML files, {:.2} MiB)",
        root.display(),
        yaml.len(),
        bytes as f64 / (1 << 20) as f64
    );

    for (label, throughput) in [("files", Throughput::Elements(yaml.len() as u64)), ("bytes", Throughput::Bytes(bytes))]
    {
        let mut group = c.benchmark_group(format!("loader/{label}"));
        group.throughput(throughput);
        group.sample_size(20);
        group.bench_function("baseline_walk_and_read", |b| {
            b.iter(|| {
                let w = walk_files(&root).unwrap();
                let n: usize = w
                    .files
                    .iter()
                    .filter(|f| f.kind == FileKind::Yaml)
                    .map(|f| std::fs::read(&f.path).map(|v| v.len()).unwrap_or(0))
                    .sum();
                black_box(n)
            });
        });
        group.bench_function("baseline_events_only", |b| {
            let texts: Vec<String> =
                yaml.iter().map(|f| std::fs::read_to_string(&f.path).unwrap_or_default()).collect();
            b.iter(|| {
                let mut n = 0usize;
                for t in &texts {
                    n += granit_parser::Parser::new_from_str(t).take_while(Result::is_ok).count();
                }
                black_box(n)
            });
        });
        group.bench_function("load_tree", |b| {
            b.iter(|| {
                let mut db = FileDb::new();
                let tree = load_tree(&mut db, &root, None, &Limits::default()).unwrap();
                black_box(tree.document_count())
            });
        });
        group.finish();
    }
}

criterion_group!(benches, loader);
criterion_main!(benches);
