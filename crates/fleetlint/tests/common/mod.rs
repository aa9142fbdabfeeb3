//! What the end-to-end tests share: the corpus location, the list of its fleets with the source
//! mappings each needs, and copying a repository to a scratch directory before editing it.

#![allow(dead_code, clippy::print_stderr)] // each test binary uses part of this

use std::path::{Path, PathBuf};

/// `../shared/corpus`, or `None` (with a notice) when it is absent outside CI; in CI its absence
/// fails the test.
pub(crate) fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir.canonicalize().unwrap());
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "../shared/corpus is missing in CI: {}", dir.display());
    eprintln!("skipped: {} is absent", dir.display());
    None
}

/// Every corpus fleet with Flux Kustomizations, with the source mappings it needs (mapping key,
/// sibling corpus directory).
pub(crate) const FLEETS: &[(&str, &[(&str, &str)])] = &[
    ("allenporter__flux-local", &[]),
    (
        "controlplaneio-fluxcd__d1-fleet",
        &[
            ("https://github.com/controlplaneio-fluxcd/d1-apps", "controlplaneio-fluxcd__d1-apps"),
            ("https://github.com/controlplaneio-fluxcd/d1-infra", "controlplaneio-fluxcd__d1-infra"),
        ],
    ),
    ("fluxcd__flux2-hub-spoke-example", &[]),
    ("fluxcd__flux2-kustomize-helm-example", &[]),
    ("fluxcd__flux2-multi-tenancy", &[("GitRepository/apps/dev-team", "fluxcd__flux2-multi-tenancy__dev-team")]),
    ("fluxcd__flux2-multi-tenancy__rev-7a326ee", &[]),
    ("fluxcd__flux2-multi-tenancy__rev-bfc7f10", &[]),
    ("onedr0p__cluster-template__rev-fc80b21", &[]),
    ("onedr0p__home-ops", &[]),
    ("microsoft__multicluster-gitops", &[]),
    ("stefanprodan__gitops-istio", &[]),
];

/// Corpus directories that are not fleets of their own: kustomize's examples and the source
/// trees mapped into other fleets.
pub(crate) const NOT_FLEETS: &[&str] = &[
    "kubernetes-sigs__kustomize",
    "fluxcd__flux2-multi-tenancy__dev-team",
    "controlplaneio-fluxcd__d1-apps",
    "controlplaneio-fluxcd__d1-infra",
];

/// Fails when the corpus holds a directory that neither list names, so a new fleet is not
/// silently left out of the end-to-end tests.
pub(crate) fn assert_fleet_list_covers_the_corpus(corpus: &Path) {
    for entry in std::fs::read_dir(corpus).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            FLEETS.iter().any(|(f, _)| *f == name) || NOT_FLEETS.contains(&name.as_str()),
            "corpus directory {name} is in neither FLEETS nor NOT_FLEETS"
        );
    }
}

/// `--source` values for `mappings` (key, sibling corpus directory).
pub(crate) fn sources(corpus: &Path, mappings: &[(&str, &str)]) -> Vec<String> {
    mappings.iter().map(|(key, dir)| format!("{key}={}", corpus.join(dir).display())).collect()
}

/// Copy a repository (regular files and directories) to `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `fleetlint check --format json --fail-on none ROOT --source ...`: the findings (the run must
/// succeed).
pub(crate) fn check_findings(root: &Path, sources: &[String]) -> Vec<serde_json::Value> {
    let mut cmd = assert_cmd::Command::cargo_bin("fleetlint").unwrap();
    cmd.args(["check", "--format", "json", "--fail-on", "none"]).arg(root);
    for s in sources {
        cmd.args(["--source", s]);
    }
    let out = cmd.timeout(std::time::Duration::from_secs(120)).output().unwrap();
    assert!(out.status.success(), "{}: {}", root.display(), String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"].as_array().unwrap().clone()
}
