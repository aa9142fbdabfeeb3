//! `--new-since REF` on repositories built by the test with the `git` binary (fleetlint itself
//! reads REF in-process with gix and runs nothing): only the findings the change introduced,
//! HYG004 for what it makes Flux delete, the working tree untouched, and exit 2 with a hint in a
//! shallow clone that lacks REF.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use fleetlint_testkit::{copy_dir, git_in, repo_root};

/// A repository whose first commit is the clean example fleet with `first` applied.
fn repo(first: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    copy_dir(&repo_root().join("testdata/fleets/clean"), &root);
    first(&root);
    git_in(&root, &["init", "-q", "-b", "main"]);
    git_in(&root, &["add", "-A"]);
    git_in(&root, &["commit", "-q", "-m", "first"]);
    (dir, root)
}

fn commit(root: &Path, message: &str) {
    git_in(root, &["add", "-A"]);
    git_in(root, &["commit", "-q", "-m", message]);
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{rel}: `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn check(root: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = assert_cmd::Command::cargo_bin("fleetlint")
        .unwrap()
        .arg("check")
        .arg(root)
        .args(["--format", "json"])
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), report, stderr)
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect()
}

/// Every file under `root` outside `.git`, with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

const DEPENDS: &str = "  dependsOn:\n    - name: infra-configs\n";

#[test]
#[ignore = "needs git"]
fn only_the_second_commits_violation_is_reported() {
    let (_dir, root) = repo(|root| {
        edit(root, "clusters/production/tenants.yaml", DEPENDS, &format!("{DEPENDS}    - name: missing-first\n"));
    });
    edit(&root, "clusters/staging/tenants.yaml", DEPENDS, &format!("{DEPENDS}    - name: missing-second\n"));
    commit(&root, "second");
    let (code, all, _) = check(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&all).iter().filter(|(r, _)| r == "ORD001").count(), 2, "{:?}", findings(&all));
    let before = snapshot(&root);
    let (code, new, stderr) = check(&root, &["--new-since", "HEAD~1"]);
    assert_eq!(code, 1, "{stderr}");
    let got = findings(&new);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "ORD001");
    assert!(got[0].1.contains("missing-second"), "{got:?}");
    assert_eq!(new["summary"]["baselined"], findings(&all).len() - 1, "every other finding was there at HEAD~1");
    assert_eq!(snapshot(&root), before, "the working tree is not touched");
    // Uncommitted changes are part of what is checked; REF by branch name works too.
    edit(&root, "clusters/staging/tenants.yaml", "    - name: missing-second\n", "");
    let (code, new, stderr) = check(&root, &["--new-since", "main"]);
    assert_eq!((code, findings(&new)), (0, Vec::new()), "{stderr}");
    let (code, _, stderr) = check(&root, &["--new-since", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--new-since no-such-ref: no such commit, branch or tag"), "{stderr}");
}

#[test]
#[ignore = "needs git"]
fn deleting_a_pruned_claim_is_hyg004() {
    let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    let (_dir, root) = repo(|root| {
        std::fs::write(root.join("tenants/base/team-a/data.yaml"), claim).unwrap();
        edit(root, "tenants/base/team-a/kustomization.yaml", "  - sync.yaml\n", "  - sync.yaml\n  - data.yaml\n");
    });
    std::fs::remove_file(root.join("tenants/base/team-a/data.yaml")).unwrap();
    edit(&root, "tenants/base/team-a/kustomization.yaml", "  - data.yaml\n", "");
    commit(&root, "drop the claim");
    let (code, report, stderr) = check(&root, &["--new-since", "HEAD~1", "--fail-on", "warning"]);
    assert_eq!(code, 1, "{stderr}");
    let hyg004: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "HYG004").collect();
    assert_eq!(hyg004.len(), 1, "{report}");
    let f = hyg004[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["object"]["kind"], "PersistentVolumeClaim");
    assert_eq!(f["clusters"], serde_json::json!(["production", "staging"]));
    assert!(f["message"].as_str().unwrap().contains("at HEAD~1 and is no longer applied"), "{f}");
    // The Kustomization that prunes it still exists: the finding points at its `prune` key.
    let line = std::fs::read_to_string(root.join(f["file"].as_str().unwrap())).unwrap();
    let at = line.lines().nth(usize::try_from(f["line"].as_u64().unwrap() - 1).unwrap()).unwrap();
    assert!(at.trim_start().starts_with("prune: true"), "{at}");
    // Without --new-since there is nothing to compare.
    let (_, plain, _) = check(&root, &[]);
    assert!(!findings(&plain).iter().any(|(r, _)| r == "HYG004"));
}

#[test]
#[ignore = "needs git"]
fn a_shallow_clone_without_ref_is_exit_2_saying_to_fetch_it() {
    let (dir, root) = repo(|_| {});
    edit(&root, "clusters/staging/tenants.yaml", DEPENDS, &format!("{DEPENDS}    - name: missing\n"));
    commit(&root, "second");
    let shallow = dir.path().join("shallow");
    git_in(dir.path(), &["clone", "-q", "--depth", "1", &format!("file://{}", root.display()), "shallow"]);
    let (code, _, stderr) = check(&shallow, &["--new-since", "HEAD~1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("shallow clone") && stderr.contains("fetch"), "{stderr}");
}
