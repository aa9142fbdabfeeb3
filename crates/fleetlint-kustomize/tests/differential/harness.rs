//! The differential harness: every kustomization directory of a set of repositories is built by
//! `kubectl kustomize --load-restrictor=LoadRestrictionsNone` (the oracle, kustomize 5.5) and by
//! fleetlint, and the two outputs are compared object by object, first as parsed values, then
//! as text (kubectl's bytes: quoting, block scalars). Each difference gets a class, so a run on a
//! new set of fleets says what kind of behaviour is missing, not only where.
//!
//! Shared by the corpus test (`tests/differential.rs`) and the tool anyone can point at a
//! directory of repositories (`examples/differential.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleetlint_kustomize::{BuildIssueKind, Resolver, to_yaml};
use fleetlint_yaml::{FileDb, FileId, Limits, load_tree, parse_yaml};
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How the other side (fleetlint) is run.
#[derive(Clone, Debug)]
pub(crate) enum Ours {
    /// This crate's resolver, in process.
    InProcess,
    /// A `fleetlint` binary's `build --root REPO DIR` (to measure an older build).
    Binary(PathBuf),
}

/// What to run and where to keep kubectl's answers.
#[derive(Clone, Debug)]
pub(crate) struct Harness {
    pub(crate) kubectl: PathBuf,
    pub(crate) ours: Ours,
    /// kubectl outputs are cached here, keyed by the repository's content and the directory.
    pub(crate) cache: Option<PathBuf>,
}

/// One difference in one directory.
#[derive(Clone, Debug)]
pub(crate) struct Difference {
    pub(crate) class: String,
    pub(crate) detail: String,
}

/// The comparison of one directory.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Agree,
    Differ(Vec<Difference>),
    /// Both reject the directory (or kubectl fails on a remote resource fleetlint never fetches):
    /// kubectl's reason.
    BothFail(String),
    /// kubectl rejects it, fleetlint builds it (kubectl's message).
    KubectlOnlyFails(String),
    /// fleetlint rejects what kubectl builds (fleetlint's messages).
    OursOnlyFails(String),
}

/// The outcomes of one repository's kustomization directories.
#[derive(Debug)]
pub(crate) struct RepoResult {
    pub(crate) name: String,
    pub(crate) dirs: Vec<(String, Outcome)>,
}

impl RepoResult {
    /// Directories kubectl builds.
    pub(crate) fn kubectl_builds(&self) -> usize {
        self.dirs.iter().filter(|(_, o)| !matches!(o, Outcome::BothFail(_) | Outcome::KubectlOnlyFails(_))).count()
    }

    /// Directories kubectl builds where fleetlint prints the same objects, byte for byte.
    pub(crate) fn agree(&self) -> usize {
        self.dirs.iter().filter(|(_, o)| matches!(o, Outcome::Agree)).count()
    }

    /// Directories kubectl rejects and fleetlint builds.
    pub(crate) fn missed_failures(&self) -> Vec<&str> {
        self.dirs.iter().filter(|(_, o)| matches!(o, Outcome::KubectlOnlyFails(_))).map(|(d, _)| d.as_str()).collect()
    }
}

/// kubectl on PATH or in the usual places.
pub(crate) fn find_kubectl() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/local/bin"].iter().map(PathBuf::from))
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

/// The repositories of `dir`: `dir` itself when it is a git work tree, else its sub-directories.
pub(crate) fn repositories(dir: &Path) -> Vec<PathBuf> {
    if dir.join(".git").exists() {
        return vec![dir.to_path_buf()];
    }
    let mut repos: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    repos.sort();
    repos
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

impl Harness {
    /// Build and compare every kustomization directory of `repo`.
    pub(crate) fn run_repo(&self, repo: &Path) -> RepoResult {
        let name = repo.file_name().unwrap_or_default().to_string_lossy().to_string();
        let mut db = FileDb::new();
        let Ok(tree) = load_tree(&mut db, repo, None, &Limits::default()) else {
            return RepoResult { name, dirs: Vec::new() };
        };
        let resolver = Resolver::new(&tree, &db);
        let mut dirs: Vec<String> = tree
            .files
            .iter()
            .map(|f| db.get(f.id).path.clone())
            .filter(|p| KUSTOMIZATION_FILES.contains(&p.rsplit('/').next().unwrap_or(p)))
            .map(|p| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string()))
            .collect();
        dirs.sort();
        dirs.dedup();
        let fingerprint = self.cache.as_ref().map(|_| tree_fingerprint(repo));
        let dirs = dirs
            .par_iter()
            .map(|dir| {
                let kubectl = self.kubectl(repo, dir, fingerprint.as_deref());
                let ours = match &self.ours {
                    Ours::InProcess => in_process(&resolver, dir),
                    Ours::Binary(bin) => binary(bin, repo, dir),
                };
                (dir.clone(), compare_build(&kubectl, &ours))
            })
            .collect();
        RepoResult { name, dirs }
    }

    fn kubectl(&self, repo: &Path, dir: &str, fingerprint: Option<&str>) -> Built {
        let key = fingerprint.map(|f| {
            let mut h = Sha256::new();
            // the layout of a cached answer
            h.update(b"v3\0");
            h.update(self.kubectl.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(f.as_bytes());
            h.update([0]);
            h.update(dir.as_bytes());
            format!("{:x}", h.finalize())
        });
        let cached = self.cache.as_ref().zip(key.as_ref()).map(|(c, k)| c.join(k));
        if let Some(path) = &cached
            && let Ok(bytes) = std::fs::read(path)
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
        {
            return Built {
                ok: v["ok"].as_bool().unwrap_or(false),
                stdout: v["stdout"].as_str().unwrap_or("").to_string(),
                message: v["message"].as_str().unwrap_or("").to_string(),
                remote: false,
            };
        }
        let mut cmd = Command::new(&self.kubectl);
        cmd.args(["kustomize", "--load-restrictor=LoadRestrictionsNone"]).arg(repo.join(dir));
        let built = match run_with_timeout(cmd, Duration::from_secs(120)) {
            Some((ok, stdout, stderr)) => Built {
                ok,
                stdout,
                message: stderr
                    .lines()
                    .filter(|l| !l.starts_with("# Warning"))
                    .flat_map(str::split_whitespace)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(4000)
                    .collect(),
                remote: false,
            },
            None => Built { ok: false, stdout: String::new(), message: "kubectl timed out".into(), remote: false },
        };
        if let Some(path) = cached {
            let v = serde_json::json!({"ok": built.ok, "stdout": built.stdout, "message": built.message});
            let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
            let _ = std::fs::write(path, v.to_string());
        }
        built
    }
}

/// One side's build of a directory.
struct Built {
    ok: bool,
    stdout: String,
    /// Why it failed.
    message: String,
    /// fleetlint: it stopped at a remote resource it never fetches (kubectl then fails too,
    /// offline).
    remote: bool,
}

fn in_process(resolver: &Resolver<'_>, dir: &str) -> Built {
    let Ok(out) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| resolver.build(dir))) else {
        return Built { ok: false, stdout: String::new(), message: "PANIC".into(), remote: false };
    };
    let remote = out.issues.iter().any(|i| i.kind == BuildIssueKind::RemoteResource);
    if out.fails() {
        let msgs: Vec<String> = out.issues.iter().filter(|i| i.fatal).map(|i| i.message.clone()).take(3).collect();
        return Built { ok: false, stdout: String::new(), message: msgs.join("; "), remote };
    }
    Built { ok: true, stdout: to_yaml(&out.resources, None), message: String::new(), remote }
}

fn binary(bin: &Path, repo: &Path, dir: &str) -> Built {
    let mut cmd = Command::new(bin);
    cmd.arg("build").arg("--root").arg(repo).arg(repo.join(dir));
    match run_with_timeout(cmd, Duration::from_secs(120)) {
        Some((ok, stdout, stderr)) => {
            let remote = stderr.contains("remote");
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).take(3).collect();
            Built { ok, stdout, message: errors.join("; "), remote }
        }
        None => Built { ok: false, stdout: String::new(), message: "timed out".into(), remote: false },
    }
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Option<(bool, String, String)> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().ok()?;
    let mut stdout = child.stdout.take()?;
    let mut stderr = child.stderr.take()?;
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).to_string();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).to_string();
    Some((status?.success(), stdout, stderr))
}

/// Paths, sizes and modification times of every file of `repo` (outside `.git`): a cached
/// kubectl answer is reused only for the same content.
fn tree_fingerprint(repo: &Path) -> String {
    let mut h = Sha256::new();
    h.update(repo.to_string_lossy().as_bytes());
    let mut stack = vec![repo.to_path_buf()];
    let mut entries = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            if meta.is_dir() {
                stack.push(p);
            } else {
                let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                entries.push(format!("{}\t{}\t{:?}", p.display(), meta.len(), mtime));
            }
        }
    }
    entries.sort();
    for e in entries {
        h.update(e.as_bytes());
        h.update([b'\n']);
    }
    format!("{:x}", h.finalize())
}

fn compare_build(kubectl: &Built, ours: &Built) -> Outcome {
    match (kubectl.ok, ours.ok) {
        (false, false) => Outcome::BothFail(kubectl.message.clone()),
        (false, true) if ours.remote => Outcome::BothFail(kubectl.message.clone()),
        (false, true) => Outcome::KubectlOnlyFails(kubectl.message.clone()),
        (true, false) => Outcome::OursOnlyFails(ours.message.clone()),
        (true, true) => {
            let diffs = compare(&kubectl.stdout, &ours.stdout);
            if diffs.is_empty() { Outcome::Agree } else { Outcome::Differ(diffs) }
        }
    }
}

/// One printed object: identity, text (as printed) and value.
struct Doc {
    id: String,
    text: String,
    value: Value,
}

/// Split multi-document output at `---` lines (inside block scalars, lines are indented).
fn documents(text: &str) -> Result<Vec<Doc>, String> {
    let mut chunks: Vec<String> = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "---" {
            chunks.push(String::new());
        } else if let Some(last) = chunks.last_mut() {
            last.push_str(line);
        }
    }
    let mut out = Vec::new();
    for chunk in chunks {
        if chunk.trim().is_empty() {
            continue;
        }
        let parsed = parse_yaml(FileId(0), &chunk, &Limits::default());
        if parsed.is_broken() {
            return Err(format!("unparsable YAML: {:?}", parsed.issues.first()));
        }
        let Some(doc) = parsed.documents.into_iter().find(|d| !d.root.is_null()) else { continue };
        out.push(Doc { id: fleetlint_testkit::object_id(&doc.root), text: chunk, value: doc.root.to_json() });
    }
    Ok(out)
}

/// Name suffix kustomize's generators append (`-` and ten characters of its hash alphabet).
fn strip_hash(name: &str) -> Option<&str> {
    let (base, hash) = name.rsplit_once('-')?;
    (hash.len() == 10 && hash.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))).then_some(base)
}

/// Every difference between kubectl's output and ours, classified.
pub(crate) fn compare(kubectl: &str, ours: &str) -> Vec<Difference> {
    let (theirs, mine) = match (documents(kubectl), documents(ours)) {
        (Ok(t), Ok(m)) => (t, m),
        (t, m) => {
            let side = if t.is_err() { "kubectl" } else { "fleetlint" };
            let detail = t.err().or(m.err()).unwrap_or_default();
            return vec![Difference { class: format!("{side} output unparsable"), detail }];
        }
    };
    let mut out = Vec::new();
    let t_ids: BTreeMap<&str, &Doc> = theirs.iter().map(|d| (d.id.as_str(), d)).collect();
    let m_ids: BTreeMap<&str, &Doc> = mine.iter().map(|d| (d.id.as_str(), d)).collect();
    let missing: Vec<&str> = t_ids.keys().filter(|k| !m_ids.contains_key(*k)).copied().collect();
    let mut extra: BTreeSet<&str> = m_ids.keys().filter(|k| !t_ids.contains_key(*k)).copied().collect();
    let mut paired: Vec<(&Doc, &Doc)> = Vec::new();
    for id in missing {
        // the same object under another generator hash
        let base = |id: &str| {
            let (head, name) = id.rsplit_once('/').unwrap_or(("", id));
            strip_hash(name).map(|b| format!("{head}/{b}"))
        };
        let partner = base(id).and_then(|b| extra.iter().find(|e| base(e).as_deref() == Some(b.as_str())).copied());
        if let Some(p) = partner {
            extra.remove(p);
            out.push(Difference {
                class: "generator name hash differs".into(),
                detail: format!("kubectl {id} / fleetlint {}", p.rsplit_once('/').map_or(p, |(_, n)| n)),
            });
            paired.push((t_ids[id], m_ids[p]));
        } else {
            out.push(Difference { class: format!("object missing ({})", kind_of(id)), detail: id.to_string() });
        }
    }
    for id in extra {
        out.push(Difference { class: format!("object extra ({})", kind_of(id)), detail: id.to_string() });
    }
    for (id, t) in &t_ids {
        if let Some(m) = m_ids.get(id) {
            paired.push((t, m));
        }
    }
    for (t, m) in paired {
        let before = out.len();
        diff_values(&t.id, "", &t.value, &m.value, &mut out);
        if out.len() == before && t.text != m.text && !t.id.is_empty() {
            out.push(text_difference(&t.id, &t.text, &m.text));
        }
    }
    if out.is_empty() {
        let order_t: Vec<&str> = theirs.iter().map(|d| d.id.as_str()).collect();
        let order_m: Vec<&str> = mine.iter().map(|d| d.id.as_str()).collect();
        if order_t != order_m {
            out.push(Difference { class: "object order".into(), detail: format!("kubectl {order_t:?}") });
        }
    }
    out
}

fn kind_of(id: &str) -> &str {
    id.split(' ').nth(1).unwrap_or("")
}

/// Where in an object a difference is, for grouping: `metadata.labels`, `spec.values`, `data`...
fn area(path: &str) -> String {
    let segs: Vec<&str> = path.trim_start_matches('.').split('.').filter(|s| !s.starts_with('[')).collect();
    let segs: Vec<&str> = segs.iter().map(|s| s.split('[').next().unwrap_or(s)).collect();
    match segs.as_slice() {
        ["metadata", "labels" | "annotations", ..] => segs[..2].join("."),
        ["data" | "stringData" | "binaryData", ..] => segs[0].to_string(),
        [a, b, ..] => format!("{a}.{b}"),
        [a] => (*a).to_string(),
        [] => String::new(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn is_empty_collection(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.is_empty()) || matches!(v, Value::Object(o) if o.is_empty())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 { format!("{}...", s.chars().take(120).collect::<String>()) } else { s }
}

fn diff_values(id: &str, path: &str, t: &Value, m: &Value, out: &mut Vec<Difference>) {
    let at = |what: &str| format!("{what} at {}", area(path));
    let detail = |t: &Value, m: &Value| format!("{id} {path}: kubectl {} / fleetlint {}", short(t), short(m));
    match (t, m) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(w) => diff_values(id, &p, v, w, out),
                    None => {
                        let what = if is_empty_collection(v) { "empty map/list dropped" } else { "field missing" };
                        let class = format!("{what} at {}", area(&p));
                        out.push(Difference { class, detail: format!("{id} {p}: kubectl {}", short(v)) });
                    }
                }
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                let p = format!("{path}.{k}");
                let class = format!("field extra at {}", area(&p));
                out.push(Difference { class, detail: format!("{id} {p}: fleetlint {}", short(w)) });
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff_values(id, &format!("{path}[{i}]"), v, w, out);
            }
        }
        (Value::Array(_), Value::Array(_)) => {
            out.push(Difference { class: at("list length differs"), detail: detail(t, m) })
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let what = if a.trim_end_matches('\n') == b.trim_end_matches('\n') {
                "string trailing newlines differ"
            } else {
                "string differs"
            };
            out.push(Difference { class: at(what), detail: detail(t, m) });
        }
        _ if t == m => {}
        _ if type_name(t) != type_name(m) => {
            let what = format!("{} (kubectl) vs {} (fleetlint)", type_name(t), type_name(m));
            out.push(Difference { class: at(&what), detail: detail(t, m) });
        }
        _ => out.push(Difference { class: at("value differs"), detail: detail(t, m) }),
    }
}

/// Same value, different text: the first differing line says how.
fn text_difference(id: &str, theirs: &str, ours: &str) -> Difference {
    let (t, m) = theirs
        .lines()
        .zip(ours.lines())
        .find(|(a, b)| a != b)
        .unwrap_or_else(|| (theirs.lines().last().unwrap_or(""), ours.lines().last().unwrap_or("")));
    let block = |l: &str| {
        let v = l.trim_end();
        v.ends_with('|') || v.ends_with("|-") || v.ends_with("|+") || v.ends_with('>') || v.contains(": |")
    };
    let unquoted = |l: &str| l.replace(['"', '\''], "");
    let class = if block(t) || block(m) {
        "text: block scalar style"
    } else if unquoted(t) == unquoted(m) {
        "text: quoting"
    } else {
        "text: layout"
    };
    Difference { class: class.into(), detail: format!("{id}: kubectl {t:?} / fleetlint {m:?}") }
}

/// kubectl's error as a reason class: kustomize wraps errors (`accumulating resources: ...:
/// inner`), so the innermost known cause names the class; otherwise the last clause without
/// quoted values, paths and numbers.
fn reason_class(message: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("must specify --enable-helm", "Helm chart inflation needs --enable-helm"),
        ("external plugins disabled", "external plugin (plugins disabled)"),
        ("git fetch", "remote resource (no network here)"),
        ("no such host", "remote resource (no network here)"),
        ("HTTP request", "remote resource (no network here)"),
        ("kustomization.yaml is empty", "empty kustomization"),
        ("expected kind != 'Component'", "a Component listed as a resource"),
        ("expected kind 'Component'", "a Kustomization listed as a component"),
        ("unknown field", "unknown kustomization field"),
        ("cannot unmarshal", "kustomization value of the wrong type"),
        ("missing metadata.name", "object without metadata.name"),
        ("missing kind", "object without kind"),
        ("already registered id", "two objects with one id"),
        ("unable to find one of 'kustomization.yaml'", "directory without a kustomization"),
        ("no such file or directory", "listed file or directory does not exist"),
        ("MalformedYAMLError", "invalid YAML"),
        ("no matches for Id", "patch target not found"),
        ("failed to find unique target for patch", "patch target not found"),
        ("found multiple objects", "ambiguous patch target"),
        ("doc is missing path", "JSON patch path missing"),
    ];
    if let Some((_, class)) = KNOWN.iter().find(|(needle, _)| message.contains(needle)) {
        return (*class).to_string();
    }
    let m = message.split("err=").last().unwrap_or(message);
    let last = m.rsplit(": ").find(|c| c.chars().any(char::is_alphabetic)).unwrap_or(m);
    let words: Vec<&str> = last
        .split_whitespace()
        .filter(|w| !w.contains('/') && !w.contains('\'') && !w.contains('"') && !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    words.join(" ").chars().take(100).collect()
}

/// Print per-repository figures and every difference grouped by class; returns the totals
/// (directories kubectl builds, agreeing directories).
pub(crate) fn report(results: &[RepoResult], w: &mut dyn std::io::Write) -> (usize, usize) {
    let (mut built, mut agree) = (0, 0);
    let _ = writeln!(w, "{:<50} {:>6} {:>8} {:>6} {:>8}  other", "repository", "dirs", "kubectl", "agree", "%");
    for r in results {
        let (b, a) = (r.kubectl_builds(), r.agree());
        built += b;
        agree += a;
        let both = r.dirs.iter().filter(|(_, o)| matches!(o, Outcome::BothFail(_))).count();
        let missed = r.missed_failures().len();
        #[allow(clippy::cast_precision_loss)]
        let pct = if b == 0 { 100.0 } else { a as f64 * 100.0 / b as f64 };
        let _ = writeln!(
            w,
            "{:<50} {:>6} {:>8} {:>6} {:>7.2}%  both fail {both}, kubectl only fails {missed}",
            r.name,
            r.dirs.len(),
            b,
            a,
            pct
        );
    }
    // class -> [(repo/dir, details)]
    let mut classes: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    for r in results {
        for (dir, o) in &r.dirs {
            let label = format!("{}/{dir}", r.name);
            match o {
                Outcome::Differ(diffs) => {
                    let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
                    for d in diffs {
                        by.entry(&d.class).or_default().push(d.detail.clone());
                    }
                    for (class, details) in by {
                        classes.entry(class.to_string()).or_default().push((label.clone(), details));
                    }
                }
                Outcome::KubectlOnlyFails(m) => {
                    classes
                        .entry("kubectl rejects, fleetlint builds".into())
                        .or_default()
                        .push((label, vec![m.clone()]));
                }
                Outcome::OursOnlyFails(m) => {
                    classes
                        .entry("fleetlint rejects, kubectl builds".into())
                        .or_default()
                        .push((label, vec![m.clone()]));
                }
                Outcome::Agree | Outcome::BothFail(_) => {}
            }
        }
    }
    let _ = writeln!(w, "\ndifferences by class ({} classes)", classes.len());
    let mut ordered: Vec<_> = classes.into_iter().collect();
    ordered.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for (class, dirs) in ordered {
        let _ = writeln!(w, "\n## {class} ({} directories)", dirs.len());
        for (dir, details) in dirs {
            let _ = writeln!(w, "  {dir}");
            for d in details.iter().take(5) {
                let _ = writeln!(w, "      {d}");
            }
            if details.len() > 5 {
                let _ = writeln!(w, "      ... and {} more", details.len() - 5);
            }
        }
    }
    // what both reject, by kubectl's reason (paths, quotes and numbers left out)
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in results {
        for (_, o) in &r.dirs {
            if let Outcome::BothFail(m) = o {
                *reasons.entry(reason_class(m)).or_default() += 1;
            }
        }
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ = writeln!(w, "\nrejected by both, by kubectl's reason");
    for (reason, n) in reasons {
        let _ = writeln!(w, "  {n:>5}  {reason}");
    }
    #[allow(clippy::cast_precision_loss)]
    let pct = if built == 0 { 100.0 } else { agree as f64 * 100.0 / built as f64 };
    let _ = writeln!(w, "\nagreement: {agree}/{built} directories kubectl builds ({pct:.2}%)");
    (built, agree)
}
