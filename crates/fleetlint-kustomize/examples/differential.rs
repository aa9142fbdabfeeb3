//! The differential harness as a tool: point it at a directory of repositories (or at one git
//! work tree) and it builds every kustomization directory with `kubectl kustomize` (the oracle,
//! `--load-restrictor=LoadRestrictionsNone`, as Flux loads) and with fleetlint, then prints per
//! repository the directories, how many kubectl builds and how many agree byte for byte, and
//! every difference grouped by class.
//!
//! ```text
//! cargo run -p fleetlint-kustomize --example differential -- [DIR]... [--cache DIR] [--fleetlint BIN]
//! ```
//!
//! DIR defaults to `$FLEETLINT_CORPUS`, else `../shared/corpus`. `--cache` (or
//! `FLEETLINT_DIFF_CACHE`) keeps kubectl's answers keyed by each repository's file list, sizes
//! and times, so a second run only rebuilds fleetlint's side. `--fleetlint BIN` runs
//! `BIN build --root REPO DIR` instead of this crate's resolver (to measure an older build).
//! `RAYON_NUM_THREADS` bounds the parallel builds. Exits 1 when a directory disagrees.
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::path::{Path, PathBuf};

#[path = "../tests/differential/harness.rs"]
#[allow(dead_code, unreachable_pub)]
mod harness;
use harness::{Harness, Ours, find_kubectl, report, repositories};

fn main() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut cache = std::env::var_os("FLEETLINT_DIFF_CACHE").map(PathBuf::from);
    let mut ours = Ours::InProcess;
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--cache") => cache = args.next().map(PathBuf::from),
            Some("--fleetlint") => ours = Ours::Binary(args.next().map(PathBuf::from).unwrap_or_default()),
            Some("-h" | "--help") => {
                println!("usage: differential [DIR]... [--cache DIR] [--fleetlint BIN]");
                return;
            }
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if dirs.is_empty() {
        dirs.push(
            std::env::var_os("FLEETLINT_CORPUS")
                .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"), PathBuf::from),
        );
    }
    let Some(kubectl) = find_kubectl() else {
        eprintln!("differential: kubectl not found (set KUBECTL)");
        std::process::exit(2);
    };
    let harness = Harness { kubectl, ours, cache };
    let mut results = Vec::new();
    for dir in &dirs {
        if !dir.is_dir() {
            eprintln!("differential: {} is not a directory", dir.display());
            std::process::exit(2);
        }
        for repo in repositories(dir) {
            eprintln!("building {}", repo.display());
            results.push(harness.run_repo(&repo));
        }
    }
    let (built, agree) = report(&results, &mut std::io::stdout());
    std::process::exit(i32::from(agree < built));
}
