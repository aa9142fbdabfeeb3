//! The data a reporter renders.

use fleetlint_rules::{CheckOutcome, RuleId};
use fleetlint_yaml::FileDb;

/// The Flux version in force on a cluster and where it was read.
#[derive(Clone, Debug)]
pub struct FluxVersion {
    /// e.g. `v2.9.0`.
    pub value: String,
    /// `gotk-components`, `flux-instance`, `config` or `assumed`.
    pub from: &'static str,
}

/// The multi-tenancy lockdown of a cluster's controllers.
#[derive(Clone, Debug, Default)]
pub struct Lockdown {
    /// Whether the repository says what the controllers run with.
    pub known: bool,
    /// `--no-cross-namespace-refs`.
    pub no_cross_namespace_refs: bool,
    /// `--default-service-account`.
    pub default_service_account: Option<String>,
    /// `--no-remote-bases`.
    pub no_remote_bases: bool,
}

/// What made a directory a cluster root.
#[derive(Clone, Debug)]
pub struct FoundBy {
    /// The file, relative to the checked root.
    pub file: String,
    /// Its line (1-based), when a line decided.
    pub line: Option<u32>,
    /// Why, in one sentence.
    pub reason: String,
}

/// A candidate root that was not taken.
#[derive(Clone, Debug)]
pub struct RejectedRoot {
    /// The directory.
    pub path: String,
    /// Why, in one sentence.
    pub reason: String,
}

/// One cluster entry point, as the report lists it.
#[derive(Clone, Debug)]
pub struct ClusterSummary {
    /// Unique name.
    pub name: String,
    /// Entry directory relative to the root.
    pub path: String,
    /// `gotk-sync`, `flux-instance`, `self-managed`, `config`, `synthesized` or `remote`.
    pub entry: &'static str,
    /// The file and line that made the directory a root, and why.
    pub found_by: Option<FoundBy>,
    /// The directory the root source's paths resolve against, when not the checked root.
    pub source_root: Option<String>,
    /// The Flux version.
    pub flux_version: Option<FluxVersion>,
    /// Lockdown settings.
    pub lockdown: Lockdown,
    /// Tenants.
    pub tenants: Vec<String>,
    /// Flux Kustomizations reached.
    pub kustomizations: usize,
    /// HelmReleases reached.
    pub helmreleases: usize,
    /// Rendered objects reached.
    pub objects: usize,
    /// Flux objects whose source is not mapped.
    pub opaque: usize,
}

/// Everything a reporter needs.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// The checked directory as given on the command line.
    pub root: &'a str,
    /// Files behind the spans.
    pub db: &'a FileDb,
    /// Findings and counts.
    pub outcome: &'a CheckOutcome,
    /// Source mappings in effect, `(key, path)`.
    pub sources: &'a [(String, String)],
    /// Clusters found.
    pub clusters: &'a [ClusterSummary],
    /// Candidate roots not taken.
    pub rejected: &'a [RejectedRoot],
    /// Objects after overlay resolution, all clusters.
    pub objects: usize,
    /// Wall time of the run.
    pub elapsed_ms: f64,
    /// Time per stage.
    pub timings_ms: &'a [(&'static str, f64)],
    /// The rules that ran (SARIF's rule descriptors, JUnit's test cases).
    pub rules: &'a [RuleId],
    /// Where files are in the repository (SARIF, GitHub, GitLab).
    pub repo_paths: &'a RepoPaths,
}

impl ReportInput<'_> {
    /// The rules a report describes: those that ran and any a finding names, sorted by code.
    #[must_use]
    pub fn rules_reported(&self) -> Vec<RuleId> {
        let mut rules: Vec<RuleId> = self.rules.to_vec();
        rules.extend(self.outcome.findings.iter().map(|f| f.rule));
        rules.sort();
        rules.dedup();
        rules
    }
}

/// Where the files of each tree are in the repository a CI system shows: SARIF, GitHub
/// annotations and GitLab Code Quality address files relative to the repository root, not to
/// the checked directory, and cannot place files of a mapped source outside the repository.
#[derive(Clone, Debug, Default)]
pub struct RepoPaths {
    /// Per tree: its mapping key (`None` for the checked root) and its directory relative to the
    /// repository root with a trailing `/` (empty for the root itself), or `None` when the tree
    /// is outside the repository.
    trees: Vec<(Option<String>, Option<String>)>,
}

impl RepoPaths {
    /// Paths relative to `repo_root` for trees rooted at `trees` (mapping key, directory).
    /// Directories are compared canonicalized; one that cannot be is taken as outside.
    #[must_use]
    pub fn new<'a>(
        repo_root: &std::path::Path,
        trees: impl IntoIterator<Item = (Option<&'a str>, &'a std::path::Path)>,
    ) -> Self {
        let repo = repo_root.canonicalize().ok();
        let trees = trees
            .into_iter()
            .map(|(key, dir)| {
                let inside = repo.as_ref().zip(dir.canonicalize().ok()).and_then(|(repo, dir)| {
                    let rel = dir.strip_prefix(repo).ok()?;
                    let rel: Vec<String> =
                        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                    Some(rel.iter().map(|c| format!("{c}/")).collect::<String>())
                });
                (key.map(str::to_string), inside)
            })
            .collect();
        Self { trees }
    }

    /// The repository root that holds `dir`: the nearest ancestor (or `dir` itself) with a
    /// `.git` entry, else the current directory when it holds `dir`, else `dir`.
    #[must_use]
    pub fn find_repo_root(dir: &std::path::Path) -> std::path::PathBuf {
        let Ok(dir) = dir.canonicalize() else { return dir.to_path_buf() };
        if let Some(git) = dir.ancestors().find(|d| d.join(".git").exists()) {
            return git.to_path_buf();
        }
        match std::env::current_dir().and_then(|c| c.canonicalize()) {
            Ok(cwd) if dir.starts_with(&cwd) => cwd,
            _ => dir,
        }
    }

    /// `file`'s path relative to the repository root, `None` when its tree is outside it.
    /// Without trees (tests), the file's own path.
    #[must_use]
    pub fn of(&self, file: &fleetlint_yaml::TextFile) -> Option<String> {
        if self.trees.is_empty() {
            return file.mapping.is_none().then(|| file.path.clone());
        }
        let key = file.mapping.as_deref();
        let (_, prefix) = self.trees.iter().find(|(k, _)| k.as_deref() == key)?;
        prefix.as_ref().map(|p| format!("{p}{}", file.path))
    }
}
