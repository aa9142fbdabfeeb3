//! Differential test: every kustomization directory of the shared corpus built by
//! `kubectl kustomize --load-restrictor=LoadRestrictionsNone` and by fleetlint, compared object
//! by object (identity apiVersion/kind/namespace/name, content as JSON after parsing both
//! outputs with fleetlint-yaml).
//!
//! Ignored unless asked for (`cargo test -- --include-ignored`, as `.ci/run` does): it needs the
//! corpus and kubectl, and fails when either is absent.
//! `FLEETLINT_DIFF_MIN` sets the required agreement percentage (default 99.5).
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Command;

use fleetlint_kustomize::{BuildIssueKind, Resolver, to_yaml};
use fleetlint_yaml::{Limits, SourceDb, load_tree};
use rayon::prelude::*;

fn corpus() -> PathBuf {
    std::env::var_os("FLEETLINT_CORPUS").map_or_else(fleetlint_testkit::corpus, PathBuf::from)
}

use fleetlint_testkit::{Objects, parse_objects as objects};

fn describe_diff(ours: &Objects, theirs: &Objects) -> String {
    let mut msgs = Vec::new();
    for id in theirs.keys().filter(|k| !ours.contains_key(*k)) {
        msgs.push(format!("missing {id}"));
    }
    for id in ours.keys().filter(|k| !theirs.contains_key(*k)) {
        msgs.push(format!("extra {id}"));
    }
    for (id, v) in theirs {
        if let Some(o) = ours.get(id)
            && o != v
        {
            msgs.push(format!("differs {id}:\n    kubectl: {}\n    ours:    {}", v, o));
        }
    }
    msgs.truncate(4);
    msgs.join("\n  ")
}

enum Outcome {
    Agree,
    Differ(String),
    BothFail,
    WeMissFailure(String),
    KubectlOnlyFails(String),
}

#[test]
#[ignore = "needs ../shared/corpus and kubectl"]
fn differential_against_kubectl() {
    let corpus = corpus();
    let kubectl = fleetlint_testkit::kubectl();
    assert!(corpus.is_dir(), "this test needs the corpus {}; it is absent", corpus.display());
    let mut repos: Vec<PathBuf> =
        std::fs::read_dir(&corpus).expect("read corpus").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    repos.sort();
    let mut results: Vec<(String, Outcome)> = Vec::new();
    for repo in repos {
        let mut db = SourceDb::new();
        let tree = load_tree(&mut db, &repo, None, &Limits::default()).expect("load tree");
        let resolver = Resolver::new(&tree, &db);
        let mut dirs: Vec<String> = tree
            .files
            .iter()
            .map(|f| db.get(f.id).path.clone())
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap_or(p);
                matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization")
            })
            .map(|p| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string()))
            .collect();
        dirs.sort();
        dirs.dedup();
        let repo_name = repo.file_name().unwrap_or_default().to_string_lossy().to_string();
        let outcomes: Vec<(String, Outcome)> = dirs
            .par_iter()
            .map(|dir| {
                let out = Command::new(&kubectl)
                    .args(["kustomize", "--load-restrictor=LoadRestrictionsNone"])
                    .arg(repo.join(dir))
                    .output()
                    .expect("run kubectl");
                let ours = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| resolver.build(dir)));
                let label = format!("{repo_name}/{dir}");
                let Ok(ours) = ours else {
                    return (label, Outcome::WeMissFailure("PANIC".into()));
                };
                if !out.status.success() {
                    let ok = ours.fails() || ours.issues.iter().any(|i| i.kind == BuildIssueKind::RemoteResource);
                    let stderr =
                        String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").chars().take(300).collect();
                    return (label, if ok { Outcome::BothFail } else { Outcome::WeMissFailure(stderr) });
                }
                if ours.fails() {
                    let msgs: Vec<String> =
                        ours.issues.iter().filter(|i| i.fatal).map(|i| i.message.clone()).take(3).collect();
                    return (label, Outcome::KubectlOnlyFails(msgs.join("; ")));
                }
                let theirs = objects(&String::from_utf8_lossy(&out.stdout));
                let mine = objects(&to_yaml(&ours.resources, None));
                match (theirs, mine) {
                    (Ok(t), Ok(m)) if t == m => (label, Outcome::Agree),
                    (Ok(t), Ok(m)) => (label, Outcome::Differ(describe_diff(&m, &t))),
                    (t, m) => (label, Outcome::Differ(format!("parse: {:?} / {:?}", t.err(), m.err()))),
                }
            })
            .collect();
        results.extend(outcomes);
    }
    let built = results.iter().filter(|(_, o)| !matches!(o, Outcome::BothFail | Outcome::WeMissFailure(_))).count();
    let agree = results.iter().filter(|(_, o)| matches!(o, Outcome::Agree)).count();
    let rejected = results.len() - built;
    for (dir, o) in &results {
        match o {
            Outcome::Differ(d) => eprintln!("DIFFER {dir}\n  {d}"),
            Outcome::KubectlOnlyFails(m) => eprintln!("WE FAIL {dir}: {m}"),
            Outcome::WeMissFailure(m) => eprintln!("KUBECTL FAILS, WE DO NOT {dir}: {m}"),
            _ => {}
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let pct = if built == 0 { 100.0 } else { agree as f64 * 100.0 / built as f64 };
    eprintln!("agreement: {agree}/{built} directories kubectl builds ({pct:.2}%); {rejected} rejected by kubectl");
    let missed: Vec<&String> =
        results.iter().filter(|(_, o)| matches!(o, Outcome::WeMissFailure(_))).map(|(d, _)| d).collect();
    assert!(missed.is_empty(), "kubectl rejects these but fleetlint reports no fatal issue: {missed:?}");
    let min: f64 = std::env::var("FLEETLINT_DIFF_MIN").ok().and_then(|v| v.parse().ok()).unwrap_or(99.5);
    assert!(pct >= min, "agreement {pct:.2}% below {min}%");
}
