//! The reports other tools read, checked by those tools' own validators: SARIF by the SARIF
//! Multitool (`Sarif;Gh` rules: no error, no warning), JUnit by `xmllint` against the xUnit
//! plugin's `junit-10.xsd`, GitLab Code Quality against GitLab's schema; GitHub annotations by
//! their syntax. On every corpus fleet, and on the reference repository with a seeded violation.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use fleetlint_testkit::{FLEETS, copy_dir, corpus, repo_root, sources, spec_line_of};

fn fleetlint() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("fleetlint").unwrap();
    cmd.timeout(std::time::Duration::from_secs(180));
    cmd
}

fn multitool_problems(files: &[PathBuf], scratch: &Path) -> Vec<String> {
    fleetlint_testkit::sarif_multitool_problems(files, scratch)
}

/// The issue's "must show": the reference repository with a tenant Kustomization that lost its
/// `serviceAccountName` gives SARIF the Multitool accepts, and the ISO001 result points at the
/// line that is now wrong (the nearest existing key, `spec:`), with the rule's metadata GitHub
/// reads.
#[test]
#[ignore = "needs ../shared/corpus and the SARIF Multitool"]
fn sarif_of_the_seeded_reference_repository_passes_the_multitool_and_points_at_the_true_line() {
    let dir = tempfile::tempdir().unwrap();
    let (fleet, tenant) = (dir.path().join("fleet"), dir.path().join("dev-team"));
    copy_dir(&corpus().join("fluxcd__flux2-multi-tenancy"), &fleet);
    copy_dir(&corpus().join("fluxcd__flux2-multi-tenancy__dev-team"), &tenant);
    let sync = fleet.join("tenants/base/dev-team/sync.yaml");
    let text = std::fs::read_to_string(&sync).unwrap();
    assert_eq!(text.matches("  serviceAccountName: dev-team\n").count(), 1);
    let seeded = text.replacen("  serviceAccountName: dev-team\n", "", 1);
    std::fs::write(&sync, &seeded).unwrap();
    let sarif_path = dir.path().join("fleetlint.sarif");
    let out = fleetlint()
        .arg("check")
        .arg(&fleet)
        .arg("--source")
        .arg(format!("GitRepository/apps/dev-team={}", tenant.display()))
        .args(["--format", "sarif", "--output"])
        .arg(&sarif_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let iso001: Vec<&Value> = run["results"].as_array().unwrap().iter().filter(|r| r["ruleId"] == "ISO001").collect();
    assert_eq!(iso001.len(), 1, "one result per problem: {iso001:?}");
    let r = iso001[0];
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "tenants/base/dev-team/sync.yaml");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], spec_line_of(&seeded, "dev-team"));
    assert_eq!(loc["region"]["startColumn"], 1);
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(r["level"], "error");
    assert!(r["message"]["text"].as_str().unwrap().contains("In clusters: production, staging."), "{r}");
    assert!(!r["partialFingerprints"]["fleetlint/v1"].as_str().unwrap().is_empty());
    let rule = &rules[usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap()];
    assert_eq!(rule["id"], "ISO001");
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert!(rule["properties"]["tags"].as_array().unwrap().contains(&Value::from("security")));
    assert!(rule["help"]["markdown"].as_str().unwrap().contains("## What it does"));
    assert!(
        rule["helpUri"].as_str().unwrap().ends_with("docs/rules.md#iso001-tenant-reconciler-without-service-account")
    );
    let problems = multitool_problems(std::slice::from_ref(&sarif_path), dir.path());
    assert!(problems.is_empty(), "SARIF Multitool: {problems:#?}");
    // The validator does find problems: the same file with a region that ends before it starts.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["endLine"] = Value::from(0);
    let broken_path = dir.path().join("broken.sarif");
    std::fs::write(&broken_path, serde_json::to_string(&broken).unwrap()).unwrap();
    assert!(!multitool_problems(&[broken_path], dir.path()).is_empty(), "the Multitool must reject a broken region");
}

/// Every corpus fleet: the SARIF passes the Multitool, the JUnit XML `xmllint` against
/// `junit-10.xsd`, the GitLab report GitLab's schema and the fields its documentation requires;
/// each holds every finding of the JSON report of the same run.
#[test]
#[ignore = "needs ../shared/corpus, xmllint and the SARIF Multitool"]
fn reports_of_every_corpus_fleet_pass_their_validators() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let xsd = repo_root().join("schemas/external/junit-10.xsd");
    let gitlab_schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/external/gitlab-codeclimate.json")).unwrap(),
    )
    .unwrap();
    let gitlab_validator = jsonschema::validator_for(&gitlab_schema).unwrap();
    let mut sarifs = Vec::new();
    for (name, mappings) in FLEETS {
        let out_dir = dir.path().join(name);
        std::fs::create_dir_all(&out_dir).unwrap();
        let (sarif, junit, gitlab) = (out_dir.join("r.sarif"), out_dir.join("r.xml"), out_dir.join("r.gitlab.json"));
        let mut cmd = fleetlint();
        cmd.arg("check").arg(corpus.join(name)).args(["--format", "json", "--fail-on", "none"]);
        for s in sources(&corpus, mappings) {
            cmd.args(["--source", &s]);
        }
        for (format, path) in [("sarif", &sarif), ("junit", &junit), ("gitlab", &gitlab)] {
            cmd.arg("--report").arg(format!("{format}={}", path.display()));
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = report["findings"].as_array().unwrap();

        let lint = Command::new(fleetlint_testkit::xmllint())
            .args(["--noout", "--schema"])
            .arg(&xsd)
            .arg(&junit)
            .output()
            .unwrap();
        assert!(lint.status.success(), "{name}: JUnit invalid: {}", String::from_utf8_lossy(&lint.stderr));
        let xml = std::fs::read_to_string(&junit).unwrap();
        let clusters = report["clusters"].as_array().unwrap();
        let expected_failures: usize = findings.iter().map(|f| f["clusters"].as_array().unwrap().len().max(1)).sum();
        assert_eq!(xml.matches("<failure ").count(), expected_failures, "{name}: a failure per finding and cluster");
        for c in clusters {
            assert!(xml.contains(&format!("<testsuite name=\"{}\"", c["name"].as_str().unwrap())), "{name}");
        }

        let issues: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&gitlab).unwrap()).unwrap();
        // Mapped sources are sibling directories, outside the repository: left out.
        let in_repo = findings.iter().filter(|f| f["source"].is_null()).count();
        assert_eq!(issues.len(), in_repo, "{name}: an issue per finding in the repository");
        let mut fingerprints = std::collections::HashSet::new();
        for issue in &issues {
            let errors: Vec<String> = gitlab_validator.iter_errors(issue).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{name}: {errors:?} in {issue}");
            assert!(issue["check_name"].is_string() && issue["location"]["path"].is_string(), "{name}: {issue}");
            assert!(issue["location"]["lines"]["begin"].as_u64().is_some_and(|l| l >= 1), "{name}: {issue}");
            let sev = issue["severity"].as_str().unwrap();
            assert!(["info", "minor", "major", "critical", "blocker"].contains(&sev), "{name}: {issue}");
            assert!(
                fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string()),
                "{name}: duplicate fingerprint"
            );
            let path = issue["location"]["path"].as_str().unwrap();
            assert!(
                corpus.join(name).join(path).is_file(),
                "{name}: GitLab path {path} is not a file of the repository"
            );
        }
        sarifs.push(sarif);
    }
    let problems = multitool_problems(&sarifs, dir.path());
    assert!(problems.is_empty(), "SARIF Multitool: {problems:#?}");
}

fn violations() -> PathBuf {
    repo_root().join("testdata/fleets/violations")
}

/// `--format github`: one workflow command per finding on one line, errors before warnings
/// before notices, properties escaped, and a last notice with the totals naming the full
/// report written by the same run.
#[test]
fn github_annotations_put_errors_first_and_end_with_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("fleetlint.sarif");
    let out = fleetlint()
        .current_dir(repo_root())
        .args(["check", "testdata/fleets/violations", "--format", "github", "--report"])
        .arg(format!("sarif={}", sarif.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_slice(
        &fleetlint().args(["check", "--format", "json"]).arg(violations()).output().unwrap().stdout,
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n = json["findings"].as_array().unwrap().len();
    assert_eq!(lines.len(), n + 1, "{text}");
    let rank = |l: &str| ["::error ", "::warning ", "::notice "].iter().position(|p| l.starts_with(p)).unwrap();
    let ranks: Vec<usize> = lines[..n].iter().map(|l| rank(l)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "errors first: {text}");
    let first = lines[0];
    assert!(first.starts_with("::error file=testdata/fleets/violations/"), "{first}");
    for prop in ["line=", "col=", "endLine=", "endColumn=", "title=ORD001 dependson-unresolved::"] {
        assert!(first.contains(prop), "{first}");
    }
    // A message's new lines are escaped, a property's colons and commas too.
    assert!(first.contains("%0Ain clusters: production"), "{first}");
    let last = lines[n];
    assert!(last.starts_with("::notice title=fleetlint summary::6 error(s), 3 warning(s), 2 info(s)"), "{last}");
    assert!(last.ends_with(&format!("the full report is {}", sarif.display())), "{last}");
    assert!(sarif.is_file());
}

/// Progress goes to standard error only on a terminal: a run whose stderr is a pipe writes
/// nothing there.
#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let out = fleetlint().env_remove("CI").arg("check").arg(violations()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Findings in a mapped source outside the checked repository cannot be placed by GitHub: SARIF
/// keeps them in the run's properties, GitLab leaves them out, annotations name them in the text.
#[test]
fn findings_in_a_mapped_tree_outside_the_repository_are_not_results() {
    let dir = tempfile::tempdir().unwrap();
    let (fleet, tenant) = (dir.path().join("fleet"), dir.path().join("team-a"));
    copy_dir(&violations(), &fleet);
    std::fs::rename(fleet.join("tenant-repos/team-a"), &tenant).unwrap();
    std::fs::remove_file(fleet.join(".fleetlint.yaml")).unwrap();
    let sarif_path = dir.path().join("r.sarif");
    let gitlab_path = dir.path().join("r.json");
    let out = fleetlint()
        .arg("check")
        .arg(&fleet)
        .arg("--source")
        .arg(format!("https://github.com/example/team-a={}", tenant.display()))
        .args(["--format", "github", "--report"])
        .arg(format!("sarif={}", sarif_path.display()))
        .arg("--report")
        .arg(format!("gitlab={}", gitlab_path.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let run = &sarif["runs"][0];
    let outside = run["properties"]["findingsOutsideRepository"].as_array().unwrap();
    let rules: Vec<&str> = outside.iter().map(|f| f["ruleId"].as_str().unwrap()).collect();
    assert_eq!(rules, ["ISO004", "XNS002", "HYG006"], "{outside:?}");
    assert!(outside.iter().all(|f| f["source"].as_str().is_some_and(|s| s.contains("example/team-a"))), "{outside:?}");
    for r in run["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(fleet.join(uri).is_file(), "{uri}");
    }
    let issues: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&gitlab_path).unwrap()).unwrap();
    assert_eq!(issues.len(), run["results"].as_array().unwrap().len());
    let text = String::from_utf8(out.stdout).unwrap();
    let iso004 = text.lines().find(|l| l.contains("title=ISO004")).unwrap();
    assert!(
        iso004.starts_with("::error title=") && iso004.contains("example/team-a:base/developers-view.yaml:"),
        "{iso004}"
    );
}
