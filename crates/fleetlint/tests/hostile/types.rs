//! Wrong types in every field: a fleet that exercises every field the code reads (every Flux
//! kind, every kustomization field, the configuration file) is mutated one value at a time: each
//! mapping value and list item becomes a list, a mapping, a scalar or null where it was
//! something else (metadata a list, spec a string, dependsOn a string, path a list, sourceRef
//! null, ...). Each mutant is checked, graphed and built under the shared guards.

use std::path::{Path, PathBuf};

use fleetlint_yaml::{FileId, Limits, Node, NodeKind, parse_yaml};

use crate::harness::{self, Repo};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/kitchen-sink")
}

/// Every file of the fixture, relative path and text.
fn fixture_files() -> Vec<(String, String)> {
    let root = fixture();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// One mutation: in `file`, the bytes `range` (a value) become `with`.
struct Mutant {
    file: String,
    path: String,
    range: std::ops::Range<usize>,
    with: &'static str,
}

fn wrong_types(n: &Node) -> [&'static str; 3] {
    match &n.kind {
        NodeKind::Scalar(_) => ["[1, 2]", "{x: 1}", "~"],
        NodeKind::Map(_) => ["[1, 2]", "\"s\"", "~"],
        NodeKind::Seq(_) => ["{x: 1}", "\"s\"", "~"],
    }
}

fn collect(file: &str, node: &Node, path: &str, out: &mut Vec<Mutant>) {
    let visit = |child: &Node, child_path: String, out: &mut Vec<Mutant>| {
        for with in wrong_types(child) {
            let range = child.span.range();
            // A block scalar's span starts at its indicator; an empty value has no text to replace.
            if range.is_empty() {
                continue;
            }
            out.push(Mutant { file: file.to_string(), path: child_path.clone(), range, with });
        }
        collect(file, child, &child_path, out);
    };
    match &node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                visit(item, format!("{path}[{i}]"), out);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                let key = e.key.as_str().unwrap_or("?");
                visit(&e.value, if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }, out);
            }
        }
    }
}

/// The mutants of the files `select` accepts.
fn mutants(select: impl Fn(&str) -> bool) -> (Vec<(String, String)>, Vec<Mutant>) {
    let files = fixture_files();
    let mut out = Vec::new();
    for (rel, text) in &files {
        if !select(rel) {
            continue;
        }
        let parsed = parse_yaml(FileId(0), text, &Limits::default());
        assert!(!parsed.is_broken(), "{rel}: {:?}", parsed.issues);
        for d in &parsed.documents {
            collect(rel, &d.root, &format!("[doc {}]", d.index), &mut out);
        }
    }
    (files, out)
}

/// `(rule, file, line, message)` of every finding of a `check --format json` report.
fn finding_keys(r: &harness::Results) -> std::collections::HashSet<(String, String, u64, String)> {
    r.findings()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("file"), f["line"].as_u64().unwrap_or(0), s("message"))
        })
        .collect()
}

/// Check every mutant under the shared guards, and count the mutants nothing notices: no new
/// finding in the mutated file and no error naming it. Those are printed, not failed: telling
/// a wrongly typed field from a right one in general is the schema rules' work (SCH), which is
/// still to come.
fn run_mutants(select: impl Fn(&str) -> bool) -> (usize, usize) {
    harness::tools();
    let (files, mutants) = mutants(select);
    assert!(!mutants.is_empty());
    let baseline_repo = Repo::new();
    for (rel, text) in &files {
        baseline_repo.write(rel, text);
    }
    let baseline = finding_keys(&harness::check_case_quiet(&baseline_repo, &harness::Plan::default()));
    let mut silent = Vec::new();
    let mut problems = Vec::new();
    for m in &mutants {
        let repo = Repo::new();
        for (rel, text) in &files {
            if *rel == m.file {
                let mut t = text.clone();
                t.replace_range(m.range.clone(), m.with);
                repo.write(rel, t);
            } else {
                repo.write(rel, text);
            }
        }
        let builds: Vec<&str> = if m.file.ends_with("kustomization.yaml") {
            vec![m.file.rsplit_once('/').map_or("", |(d, _)| d)]
        } else {
            Vec::new()
        };
        let plan = harness::Plan { builds: &builds, flux: &[] };
        let result = std::panic::catch_unwind(|| harness::check_case_quiet(&repo, &plan));
        match result {
            Err(e) => {
                let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
                problems.push(format!("{} {} := {}: {msg}", m.file, m.path, m.with));
            }
            Ok(r) => {
                let named_in_error = r.runs.iter().any(|run| run.code == Some(2) && run.stderr.contains(&m.file));
                let new_finding = r.runs[0].code != Some(2)
                    && finding_keys(&r).iter().any(|k| k.1 == m.file && !baseline.contains(k));
                if !named_in_error && !new_finding {
                    silent.push(format!("{} {} := {}", m.file, m.path, m.with));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} of {} mutants failed:\n{}", problems.len(), mutants.len(), problems.join("\n"));
    eprintln!(
        "wrong types: {} mutants, {} without a new finding or error naming the file, e.g.:\n  {}",
        mutants.len(),
        silent.len(),
        silent.iter().take(25).cloned().collect::<Vec<_>>().join("\n  ")
    );
    (mutants.len(), silent.len())
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn wrong_types_in_flux_objects() {
    run_mutants(|f| {
        f.starts_with("clusters/") || f.starts_with("tenants/team-a/sync") || f == "infra/flux-extras.yaml"
    });
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn wrong_types_in_kustomizations() {
    run_mutants(|f| f.ends_with("kustomization.yaml"));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn wrong_types_in_resources_and_config() {
    run_mutants(|f| {
        !(f.starts_with("clusters/")
            || f.starts_with("tenants/team-a/sync")
            || f == "infra/flux-extras.yaml"
            || f.ends_with("kustomization.yaml"))
    });
}
