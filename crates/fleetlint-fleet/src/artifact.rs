//! The artifact view of a loaded tree: what source-controller would put in the tarball (files
//! not excluded by `.sourceignore` and the default exclusions; symlinks never followed by the
//! walker), and the kustomization kustomize-controller generates for a path without one.

use std::collections::{HashMap, HashSet};

use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use fleetlint_yaml::SourceIgnore;
use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{FileDb, FileId, LoadedFile, LoadedTree, Node, Span};

/// Index of one tree's files and directories.
pub struct TreeView<'t> {
    files: HashMap<&'t str, &'t LoadedFile>,
    by_id: HashMap<FileId, &'t LoadedFile>,
    /// YAML files in the artifact, sorted by path.
    artifact_yaml: Vec<&'t str>,
    /// Directories that exist in the artifact.
    dirs: HashSet<String>,
    /// Directories of the tree, excluded ones included.
    all_dirs: HashSet<String>,
    /// Other (non-YAML) files in the artifact, sorted by path.
    artifact_other: Vec<&'t str>,
}

fn add_parents(dirs: &mut HashSet<String>, path: &str) {
    let mut p = path;
    while let Some((parent, _)) = p.rsplit_once('/') {
        if !dirs.insert(parent.to_string()) {
            return;
        }
        p = parent;
    }
}

impl<'t> TreeView<'t> {
    /// Index `tree`, whose files live in `db`.
    #[must_use]
    pub fn new(tree: &'t LoadedTree, db: &'t FileDb) -> Self {
        Self::with_ignore(tree, db, None)
    }

    /// The view of a source whose `spec.ignore` adds patterns to the tree's `.sourceignore`
    /// files (any user pattern drops the non-VCS default exclusions, as source-controller does).
    #[must_use]
    pub fn with_ignore(tree: &'t LoadedTree, db: &'t FileDb, spec_ignore: Option<&str>) -> Self {
        Self::for_source(tree, db, spec_ignore, None)
    }

    /// The view of a source with its own `spec.ignore` and, for a GitRepository,
    /// `spec.sparseCheckout` (only those directories are checked out).
    #[must_use]
    pub fn for_source(
        tree: &'t LoadedTree,
        db: &'t FileDb,
        spec_ignore: Option<&str>,
        sparse: Option<&[String]>,
    ) -> Self {
        Self::build(tree, db, spec_ignore.map(|text| SourceIgnore::new(&tree.sourceignore_files, Some(text))), sparse)
    }

    /// The view of a Bucket source: its own ignore rules, without defaults.
    #[must_use]
    pub fn for_bucket(tree: &'t LoadedTree, db: &'t FileDb, spec_ignore: Option<&str>) -> Self {
        Self::build(tree, db, Some(SourceIgnore::for_bucket(&tree.sourceignore_files, spec_ignore)), None)
    }

    fn build(tree: &'t LoadedTree, db: &'t FileDb, own: Option<SourceIgnore>, sparse: Option<&[String]>) -> Self {
        let sparse: Option<Vec<String>> =
            sparse.map(|dirs| dirs.iter().map(|d| format!("{}/", clamp_flux_path(d).0)).collect());
        let checked_out = |path: &str| {
            sparse.as_ref().is_none_or(|dirs| dirs.iter().any(|d| d == "/" || path.starts_with(d.as_str())))
        };
        let mut files = HashMap::new();
        let mut by_id = HashMap::new();
        let mut artifact_yaml = Vec::new();
        let mut dirs = HashSet::new();
        dirs.insert(String::new());
        let mut all_dirs = dirs.clone();
        for f in &tree.files {
            let path = db.get(f.id).path.as_str();
            files.insert(path, f);
            by_id.insert(f.id, f);
            let ignored = !checked_out(path)
                || match &own {
                    Some(rules) => rules.status(path).is_some(),
                    None => f.ignored.is_some(),
                };
            add_parents(&mut all_dirs, path);
            if !ignored {
                artifact_yaml.push(path);
                add_parents(&mut dirs, path);
            }
        }
        let mut artifact_other = Vec::new();
        for p in &tree.other_files {
            if checked_out(p) {
                add_parents(&mut dirs, p);
                let ignored = match &own {
                    Some(rules) => rules.status(p).is_some(),
                    None => tree.source_ignore.status(p).is_some(),
                };
                if !ignored {
                    artifact_other.push(p.as_str());
                }
            }
            add_parents(&mut all_dirs, p);
        }
        artifact_yaml.sort_unstable();
        artifact_other.sort_unstable();
        Self { files, by_id, artifact_yaml, dirs, all_dirs, artifact_other }
    }

    /// The parsed file at a tree-relative path.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&'t LoadedFile> {
        self.files.get(path).copied()
    }

    /// The parsed file with this id.
    #[must_use]
    pub fn file_by_id(&self, id: FileId) -> Option<&'t LoadedFile> {
        self.by_id.get(&id).copied()
    }

    /// The YAML files in the artifact (not excluded), by path.
    pub fn artifact_files(&self) -> impl Iterator<Item = (&'t str, &'t LoadedFile)> + '_ {
        self.artifact_yaml.iter().filter_map(|p| self.files.get(p).map(|f| (*p, *f)))
    }

    /// The other (non-YAML) files in the artifact, by path.
    #[must_use]
    pub fn artifact_other_files(&self) -> &[&'t str] {
        &self.artifact_other
    }

    /// All parsed files.
    pub fn files(&self) -> impl Iterator<Item = (&'t str, &'t LoadedFile)> + '_ {
        self.files.iter().map(|(p, f)| (*p, *f))
    }

    /// Whether `dir` is a directory of the artifact.
    #[must_use]
    pub fn is_dir(&self, dir: &str) -> bool {
        self.dirs.contains(dir)
    }

    /// Every directory of the artifact.
    pub fn dirs(&self) -> impl Iterator<Item = &str> + '_ {
        self.dirs.iter().map(String::as_str)
    }

    /// Whether `dir` is in the tree but every file under it is excluded from the artifact.
    #[must_use]
    pub fn is_excluded_dir(&self, dir: &str) -> bool {
        !self.dirs.contains(dir) && self.all_dirs.contains(dir)
    }

    /// The kustomization file of `dir`, if it has one.
    #[must_use]
    pub fn kustomization_file(&self, dir: &str) -> Option<FileId> {
        KUSTOMIZATION_FILE_NAMES.iter().find_map(|n| self.file(&join_in_root(dir, n).unwrap_or_default()).map(|f| f.id))
    }

    /// The `resources` kustomize-controller generates for `dir` when it has no kustomization
    /// file: every `.yaml`/`.yml` file below it, except that a sub-directory with its own
    /// kustomization file is included as a directory and not descended into.
    #[must_use]
    pub fn implicit_resources(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out = Vec::new();
        let mut stop_dirs: Vec<String> = Vec::new();
        // The sorted list holds everything below `dir` in one run.
        let start = self.artifact_yaml.partition_point(|p| *p < prefix.as_str());
        for path in &self.artifact_yaml[start..] {
            let Some(rel) = path.strip_prefix(&prefix) else { break };
            if !(rel.ends_with(".yaml") || rel.ends_with(".yml")) {
                continue;
            }
            if stop_dirs.iter().any(|d| rel.starts_with(&format!("{d}/"))) {
                continue;
            }
            // The shallowest sub-directory on the way that has a kustomization file.
            let mut sub = String::new();
            let mut stopped = false;
            if let Some((dirs, _)) = rel.rsplit_once('/') {
                for part in dirs.split('/') {
                    sub = if sub.is_empty() { part.to_string() } else { format!("{sub}/{part}") };
                    if self.kustomization_file(&join_in_root(dir, &sub).unwrap_or_default()).is_some() {
                        stop_dirs.push(sub.clone());
                        out.push(sub.clone());
                        stopped = true;
                        break;
                    }
                }
            }
            if !stopped {
                out.push(rel.to_string());
            }
        }
        out
    }
}

/// A `resources:` list node for a generated kustomization.
#[must_use]
pub(crate) fn resources_node(resources: &[String], span: Span) -> Node {
    Node {
        span,
        kind: fleetlint_yaml::NodeKind::Seq(resources.iter().map(|r| Node::string(r.as_str(), span)).collect()),
    }
}
