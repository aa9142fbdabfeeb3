//! Running the release binary on a generated repository the way a user runs it, with the guards
//! every hostile case shares: 20 s and 1 GiB per run, exit 0/1/2, no panic, reports that match
//! the schema and name real lines, nothing from outside the root in any output, and the input
//! left exactly as it was.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Written only into files outside the checked root (contents and a file name): it must never
/// appear in anything fleetlint prints.
pub(crate) const MARKER: &str = "c2VjcmV0LW91dHNpZGUtdGhlLXJvb3Q";

/// Per-run guards (issue 18): a hang guard, not a speed test.
pub(crate) const TIME_LIMIT: Duration = Duration::from_secs(20);
pub(crate) const RSS_LIMIT_KIB: u64 = 1 << 20;
/// A hard address-space cap so a runaway case fails fast instead of exhausting the shared
/// machine before the time guard fires (virtual memory: well above what a healthy run maps).
const ADDRESS_SPACE_CAP: u64 = 6 << 30;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tools a run needs, found once.
pub(crate) struct Tools {
    pub(crate) fleetlint: PathBuf,
}

/// The release binary and the tools around it. The suite's tests are
/// `#[ignore = "needs ..."]`: asked to run (`.ci/run` passes `--include-ignored`), they fail
/// when the binary is missing or older than the sources, or a tool is missing. `.ci/run` builds
/// the binary first with `cargo build --release --locked -p fleetlint`.
pub(crate) fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(find_tools) {
        Ok(t) => t,
        Err(why) => panic!("the hostile-input suite cannot run: {why}"),
    }
}

fn find_tools() -> Result<Tools, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let fleetlint = target.join("release/fleetlint");
    let built = std::fs::metadata(&fleetlint).and_then(|m| m.modified()).map_err(|_| {
        format!("{} is missing: run `cargo build --release --locked -p fleetlint`", fleetlint.display())
    })?;
    if let Some(newer) = newest_source(&workspace_root()).filter(|(t, _)| *t > built) {
        return Err(format!(
            "{} is older than {}: run `cargo build --release --locked -p fleetlint`",
            fleetlint.display(),
            newer.1.display()
        ));
    }
    for (tool, probe) in [("/usr/bin/time", "--version"), ("timeout", "--version"), ("prlimit", "--version")] {
        let ok = Command::new(tool).arg(probe).output().is_ok_and(|o| o.status.success());
        if !ok {
            return Err(format!("`{tool}` is missing (Debian packages time, coreutils, util-linux)"));
        }
    }
    Ok(Tools { fleetlint })
}

/// The newest source file of the workspace crates (and Cargo.lock), to refuse a stale binary.
fn newest_source(root: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut stack = vec![root.join("crates"), root.join("Cargo.lock")];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        if meta.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matches!(name, "tests" | "benches" | "target") {
                continue;
            }
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                stack.push(e.path());
            }
        } else if p.extension().is_some_and(|e| e == "rs" || e == "toml" || e == "lock")
            && let Ok(t) = meta.modified()
            && newest.as_ref().is_none_or(|(n, _)| t > *n)
        {
            newest = Some((t, p));
        }
    }
    newest
}

/// A scratch repository (`repo/`) beside a directory of secrets (`outside/`) it must never
/// read from or print.
pub(crate) struct Repo {
    dir: tempfile::TempDir,
    /// The checked root.
    pub(crate) root: PathBuf,
    /// The directory beside it, with the marker in its files.
    pub(crate) outside: PathBuf,
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("fleetlint-hostile-").tempdir().unwrap();
        let root = dir.path().join("repo");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let repo = Self { dir, root, outside };
        let secret = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {m}\n  namespace: default\ndata:\n  secret: {m}\n",
            m = MARKER.to_lowercase()
        );
        let flux = format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {m}\n  namespace: flux-system\nspec:\n  interval: 1m\n  path: ./{m}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
            m = MARKER.to_lowercase()
        );
        for (rel, text) in [
            ("secret.yaml", secret.clone()),
            ("kustomization.yaml", "resources:\n- secret.yaml\n- flux.yaml\n".to_string()),
            ("flux.yaml", flux),
            ("secret.env", format!("SECRET={MARKER}\n")),
            ("secret.txt", format!("{MARKER}\n")),
            (
                "patch.yaml",
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: target\ndata:\n  leaked: {MARKER}\n"),
            ),
            (&format!("leak-{MARKER}.yaml"), secret),
            ("dir/kustomization.yaml", "resources:\n- ../secret.yaml\n".to_string()),
        ] {
            repo.write_outside(rel, text);
        }
        repo
    }

    fn write_outside(&self, rel: &str, text: impl AsRef<[u8]>) {
        let p = self.outside.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Write a file below the root (parents created).
    pub(crate) fn write(&self, rel: &str, text: impl AsRef<[u8]>) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A symbolic link at `rel` (below the root) pointing at `target` as written.
    pub(crate) fn symlink(&self, target: impl AsRef<Path>, rel: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
    }

    /// A FIFO at `rel`.
    pub(crate) fn fifo(&self, rel: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        assert!(Command::new("mkfifo").arg(&p).status().unwrap().success(), "mkfifo {}", p.display());
    }

    /// A listening Unix socket at `rel` (the file stays after the listener is dropped).
    pub(crate) fn socket(&self, rel: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        drop(std::os::unix::net::UnixListener::bind(p).unwrap());
    }

    /// The whole scratch directory (root and outside), to compare before and after.
    fn snapshot(&self) -> BTreeMap<String, String> {
        snapshot(self.dir.path())
    }
}

/// Every entry below `dir` (not following symlinks, never opening special files): type, mode,
/// size, modification time, and a hash of regular files' contents or the link target.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        let ft = meta.file_type();
        let what = if ft.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            "dir".to_string()
        } else if ft.is_symlink() {
            format!("link -> {}", std::fs::read_link(&p).unwrap().display())
        } else if ft.is_file() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&p).unwrap().hash(&mut h);
            format!("file {} {:x}", meta.len(), h.finish())
        } else {
            "special".to_string()
        };
        out.insert(rel, format!("{what} mode {:o} mtime {}.{}", meta.mode(), meta.mtime(), meta.mtime_nsec()));
    }
    out
}

/// One run of the binary.
pub(crate) struct Run {
    pub(crate) args: Vec<String>,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) rss_kib: u64,
    pub(crate) wall: Duration,
}

impl Run {
    pub(crate) fn describe(&self) -> String {
        format!("`fleetlint {}`", self.args.join(" "))
    }

    /// The report of a `check --format json` run.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}): {:.300}", self.describe(), self.stdout))
    }
}

/// Run `fleetlint ARGS` in `cwd` under the guards: GNU time for the peak RSS, `timeout` for the
/// hang guard, `prlimit` as a hard cap.
pub(crate) fn run(cwd: &Path, args: &[&str]) -> Run {
    let tools = tools();
    let stats = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %e", "-o"])
        .arg(stats.path())
        .arg("prlimit")
        .arg(format!("--as={ADDRESS_SPACE_CAP}"))
        .arg("--")
        .args(["timeout", "--signal=KILL"])
        .arg(format!("{}s", TIME_LIMIT.as_secs() + 1))
        .arg(&tools.fleetlint)
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stats = std::fs::read_to_string(stats.path()).unwrap_or_default();
    // GNU time prints "Command exited with non-zero status N" or "Command terminated by
    // signal N" before the format's line: peak RSS in KiB, elapsed seconds of the command (the
    // process's own time, without the wait to be started on a busy machine).
    let last = stats.lines().last().unwrap_or("");
    let mut fields = last.split_whitespace();
    let rss_kib = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
    let wall =
        fields.next().and_then(|f| f.parse::<f64>().ok()).map_or_else(|| started.elapsed(), Duration::from_secs_f64);
    Run {
        args: args.iter().map(|s| (*s).to_string()).collect(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        rss_kib,
        wall,
    }
}

/// What a case runs besides `check` (human and JSON) and `graph`.
#[derive(Default)]
pub(crate) struct Plan<'a> {
    /// Directories (relative to the root) to `build`, also with `--flux`.
    pub(crate) builds: &'a [&'a str],
    /// Flux Kustomizations (`namespace/name`) to `build --kustomization`.
    pub(crate) flux: &'a [&'a str],
}

/// The runs of one case.
pub(crate) struct Results {
    pub(crate) runs: Vec<Run>,
}

impl Results {
    /// The `check --format json` report.
    pub(crate) fn report(&self) -> serde_json::Value {
        self.runs.iter().find(|r| r.args.starts_with(&["check".into(), "--format".into()])).unwrap().json()
    }

    /// The findings of the JSON report.
    pub(crate) fn findings(&self) -> Vec<serde_json::Value> {
        self.report()["findings"].as_array().unwrap().clone()
    }

    /// The `build` run of `dir` (`flux`: with `--flux`).
    pub(crate) fn build(&self, dir: &str, flux: bool) -> &Run {
        let arg = if dir.is_empty() { "." } else { dir };
        self.runs
            .iter()
            .find(|r| r.args[0] == "build" && r.args[1] == arg && r.args.contains(&"--flux".into()) == flux)
            .unwrap_or_else(|| panic!("no build run of {dir}"))
    }

    /// Assert a finding `code` in `file` (at `line` when given) and return it.
    pub(crate) fn expect_finding(&self, code: &str, file: &str, line: Option<u64>) -> serde_json::Value {
        let findings = self.findings();
        findings
            .iter()
            .find(|f| f["rule"] == code && f["file"] == file && line.is_none_or(|l| f["line"] == l))
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "expected {code} at {file}:{}; the findings are:\n{}",
                    line.map_or("*".into(), |l| l.to_string()),
                    summary(&findings)
                )
            })
    }
}

/// `CODE file:line message` per finding, for failure messages.
pub(crate) fn summary(findings: &[serde_json::Value]) -> String {
    findings
        .iter()
        .map(|f| format!("  {} {}:{} {:.200}", f["rule"], f["file"].as_str().unwrap_or("?"), f["line"], f["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn report_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(workspace_root().join("schemas/report.schema.json")).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    })
}

/// Run every command of the plan on `repo` and check the shared guards.
pub(crate) fn check_case(name: &str, repo: &Repo, plan: &Plan<'_>) -> Results {
    let _shared = LARGE.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    check_case_with(name, repo, plan, true)
}

/// Cases with tens of thousands of objects run alone, so the hang guard does not fire on a
/// two-core machine just because two of them ran at once.
static LARGE: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// [`check_case`] for a large case: no other case of this binary runs meanwhile.
pub(crate) fn check_large_case(name: &str, repo: &Repo, plan: &Plan<'_>) -> Results {
    let _alone = LARGE.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    check_case_with(name, repo, plan, true)
}

/// [`check_case`] without the per-run log lines and the human report (for cases run by the
/// hundred).
pub(crate) fn check_case_quiet(repo: &Repo, plan: &Plan<'_>) -> Results {
    let _shared = LARGE.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    check_case_with("", repo, plan, false)
}

fn check_case_with(name: &str, repo: &Repo, plan: &Plan<'_>, verbose: bool) -> Results {
    tools();
    let before = repo.snapshot();
    let mut commands: Vec<Vec<String>> = vec![
        vec!["check".into(), "--format".into(), "json".into()],
        vec!["graph".into(), "--format".into(), "json".into()],
    ];
    if verbose {
        commands.insert(0, vec!["check".into()]);
    }
    for dir in plan.builds {
        let dir = if dir.is_empty() { "." } else { dir };
        commands.push(vec!["build".into(), dir.into(), "--root".into(), ".".into()]);
        commands.push(vec!["build".into(), dir.into(), "--root".into(), ".".into(), "--flux".into()]);
    }
    for ks in plan.flux {
        commands.push(vec!["build".into(), "--kustomization".into(), (*ks).into(), "--origin".into()]);
    }
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&repo.root, &args);
        problems.extend(guard(repo, &r).into_iter().map(|p| format!("{}: {p}", r.describe())));
        if verbose {
            eprintln!(
                "{name}: {} -> exit {:?} in {:.2}s, peak {} MiB",
                r.describe(),
                r.code,
                r.wall.as_secs_f64(),
                r.rss_kib / 1024
            );
        }
        runs.push(r);
    }
    let after = repo.snapshot();
    if before != after {
        let changed: Vec<&String> =
            before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).take(10).collect();
        problems.push(format!("the input changed: {changed:?}"));
    }
    assert!(problems.is_empty(), "case {name}:\n{}", problems.join("\n"));
    Results { runs }
}

/// The guards every run must pass; each problem as a sentence.
fn guard(repo: &Repo, r: &Run) -> Vec<String> {
    let mut p = Vec::new();
    let stderr_head: String = r.stderr.chars().take(2000).collect();
    match r.code {
        Some(0..=2) => {}
        other => p.push(format!("exit {other:?} (not 0, 1 or 2); stderr: {stderr_head}")),
    }
    if r.wall > TIME_LIMIT {
        p.push(format!("took {:.1}s (limit {}s)", r.wall.as_secs_f64(), TIME_LIMIT.as_secs()));
    }
    if r.rss_kib > RSS_LIMIT_KIB {
        p.push(format!("peak RSS {} MiB (limit 1024 MiB)", r.rss_kib / 1024));
    }
    for bad in ["panicked", "internal error", "overflowed", "FLT001", "RUST_BACKTRACE"] {
        if r.stderr.contains(bad) {
            p.push(format!("stderr says `{bad}`: {stderr_head}"));
        }
    }
    let lower = MARKER.to_lowercase();
    if [&r.stdout, &r.stderr].iter().any(|out| out.contains(MARKER) || out.contains(&lower)) {
        p.push("output contains content from outside the root".into());
    }
    if r.code == Some(2) {
        let lines: Vec<&str> = r.stderr.lines().collect();
        if lines.len() != 1 || !lines[0].starts_with("fleetlint: error: ") {
            p.push(format!("exit 2 without a one-line reason on stderr: {stderr_head}"));
        }
    }
    let is_json_check = r.args.first().is_some_and(|a| a == "check") && r.args.contains(&"json".to_string());
    if is_json_check && r.code != Some(2) {
        p.extend(check_report(repo, r));
    }
    if r.args.first().is_some_and(|a| a == "graph") && r.code != Some(0) && r.code != Some(2) {
        p.push(format!("graph exited {:?}", r.code));
    }
    if r.args.first().is_some_and(|a| a == "build") && r.code == Some(1) {
        // A failed build names what failed: `error: FILE:LINE:COL: ...` or the directory.
        if !r.stderr.lines().any(|l| l.starts_with("error: ")) {
            p.push(format!("build failed without an `error:` line: {stderr_head}"));
        }
    }
    p
}

/// The JSON report matches the schema, its exit code matches its findings, and every finding
/// names a file of the tree and a line that file has.
fn check_report(repo: &Repo, r: &Run) -> Vec<String> {
    let mut p = Vec::new();
    let json: serde_json::Value = match serde_json::from_str(&r.stdout) {
        Ok(j) => j,
        Err(e) => return vec![format!("stdout is not JSON: {e}")],
    };
    let errors: Vec<String> =
        report_validator().iter_errors(&json).take(5).map(|e| format!("{}: {e}", e.instance_path())).collect();
    if !errors.is_empty() {
        p.push(format!("report does not match the schema: {}", errors.join("; ")));
    }
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    let has_error = findings.iter().any(|f| f["severity"] == "error");
    if r.code != Some(i32::from(has_error)) {
        p.push(format!("exit {:?} but the report {} errors", r.code, if has_error { "has" } else { "has no" }));
    }
    let mut lines_of: BTreeMap<String, Option<usize>> = BTreeMap::new();
    for f in &findings {
        let file = f["file"].as_str().unwrap_or("");
        if f["source"].is_string() {
            continue;
        }
        let lines = *lines_of.entry(file.to_string()).or_insert_with(|| {
            let path = repo.root.join(file);
            let meta = std::fs::symlink_metadata(&path).ok()?;
            meta.is_file().then(|| std::fs::read(&path).ok()).flatten().map(|b| line_count(&b))
        });
        let line = f["line"].as_u64().unwrap_or(0) as usize;
        match lines {
            // A file name that is not UTF-8 can only be shown lossily.
            None if file.contains('\u{fffd}') => {}
            None => p.push(format!("{} names {file:?}, not a regular file of the tree", f["rule"])),
            Some(n) if line == 0 || line > n.max(1) => {
                p.push(format!("{} names {file}:{line}, but the file has {n} lines", f["rule"]));
            }
            Some(_) => {}
        }
    }
    p
}

/// Lines as YAML counts them (`\n`, `\r\n` and a lone `\r` end a line).
fn line_count(bytes: &[u8]) -> usize {
    let mut n = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => n += 1,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}
