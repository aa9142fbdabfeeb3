//! The kustomize builds of a tree: every directory with a kustomization file is resolved once
//! (bases shared through the resolver's cache), issues are deduplicated, and the files the
//! builds load as resources are recorded, so file-level rules know which files a build reaches.
//! [`with_flux_builds`] then adds what the Flux builds of the fleet reached and reported, and
//! [`skipped_files`] counts the files nothing can use.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use fleetlint_kustomize::{BuildIssue, BuildIssueKind, KUSTOMIZATION_FILE_NAMES, Resolver};
use fleetlint_yaml::{FileDb, FileId, LoadIssueKind, LoadedTree, Node, Span};

use crate::model::Fleet;

/// What the builds of one tree found.
#[derive(Clone, Debug, Default)]
pub struct TreeBuilds {
    /// Directories built (tree-relative).
    pub dirs: Vec<String>,
    /// Issues of all builds, each once.
    pub issues: Vec<BuildIssue>,
    /// Files loaded as resources by some kustomization.
    pub reached: HashSet<FileId>,
    /// Objects produced by all builds.
    pub objects: usize,
    /// For each of `issues` (same index), the directories whose own build found it; empty for
    /// an issue only a Flux build found. A `kind: Component` directory is never built on its
    /// own (its patches target what its consumers render), so it is never listed.
    pub issue_dirs: Vec<Vec<String>>,
    /// Kustomization directories some successful Flux build of the fleet accumulated: a Flux
    /// Kustomization's path, and every base and component it read.
    pub flux_dirs: HashSet<String>,
    /// Kustomization directories only failing Flux builds accumulated: kustomize stops at the
    /// first error of a build, so a problem here may be one no Flux build reports yet.
    pub failed_flux_dirs: HashSet<String>,
    /// Directories of `dirs` holding a `kind: Component`.
    pub components: HashSet<String>,
}

impl TreeBuilds {
    /// The kustomization directories no Flux build of the fleet reaches (none when the fleet
    /// has no cluster: then every directory is judged on its own).
    pub fn unreached_dirs<'a>(&'a self, fleet: &'a Fleet) -> impl Iterator<Item = &'a str> + 'a {
        let judged = !fleet.clusters.is_empty();
        self.dirs
            .iter()
            .map(String::as_str)
            .filter(move |d| judged && !self.flux_dirs.contains(*d) && !self.failed_flux_dirs.contains(*d))
    }
}

/// Whether a document is a kustomize kustomization (not a Flux Kustomization in a file that
/// happens to be named `kustomization.yaml`). A list or a scalar is one too: kustomize fails on
/// it ("cannot unmarshal array into Go value of type types.Kustomization"), which must be a
/// finding, not a directory silently left out.
fn is_kustomize_file(root: &Node) -> bool {
    match root.get("apiVersion").and_then(Node::as_str) {
        Some(av) => av.starts_with("kustomize.config.k8s.io/"),
        None => !root.is_null(),
    }
}

/// Build every kustomization directory of `tree` with a resolver of its own.
#[must_use]
pub(crate) fn build_tree(db: &FileDb, tree: &LoadedTree) -> TreeBuilds {
    build_tree_with(&Resolver::new(tree, db), db, tree, HashMap::new())
}

/// Build every kustomization directory of `tree` with `resolver`, whose cache the Flux builds
/// of the fleet already filled: a directory a Flux Kustomization built is not built again.
/// `flux_entered`: the directories the clusters' Flux builds of the tree accumulated, and
/// whether one of those builds succeeded ([`crate::walk::Trees::record_flux_build`]).
#[must_use]
pub(crate) fn build_tree_with(
    resolver: &Resolver<'_>,
    db: &FileDb,
    tree: &LoadedTree,
    flux_entered: HashMap<String, bool>,
) -> TreeBuilds {
    let mut flux_dirs = HashSet::new();
    let mut failed_flux_dirs = HashSet::new();
    for (dir, ok) in flux_entered {
        if ok {
            flux_dirs.insert(dir);
        } else {
            failed_flux_dirs.insert(dir);
        }
    }
    let mut components = HashSet::new();
    let mut dirs: Vec<String> = tree
        .files
        .iter()
        .filter_map(|f| {
            let path = &db.get(f.id).path;
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            let first = f.yaml.documents.first();
            let is_kustomization =
                KUSTOMIZATION_FILE_NAMES.contains(&name) && first.is_some_and(|d| is_kustomize_file(&d.root));
            if is_kustomization && first.and_then(|d| d.root.get("kind")).and_then(Node::as_str) == Some("Component") {
                components.insert(dir.to_string());
            }
            is_kustomization.then(|| dir.to_string())
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    // Only what the sweep needs is kept of each output (a directory no Flux build reached is
    // not cached: nothing asks for it again), so the sweep holds one output per thread.
    let outputs: Vec<(usize, HashSet<FileId>, Vec<BuildIssue>)> = dirs
        .par_iter()
        .map(|d| {
            let out = resolver.build_once(d);
            (out.resources.len(), out.resources.iter().map(|r| r.root.span.file).collect(), out.issues.clone())
        })
        .collect();
    // A build that fails on a file's own YAML problem reaches that file; the problem itself is
    // reported once, by the file rule (SRC010, HYG006, HYG007), at error severity.
    let load_issue_spans = load_issue_spans(std::slice::from_ref(tree));
    let mut seen: HashMap<(BuildIssueKind, Span, String), usize> = HashMap::new();
    let mut builds = TreeBuilds { flux_dirs, failed_flux_dirs, ..TreeBuilds::default() };
    for (dir, (objects, reached, issues)) in dirs.iter().zip(&outputs) {
        builds.objects += objects;
        builds.reached.extend(reached);
        // A Component's own build is not what anything applies: kustomize-controller builds a
        // component only inside the kustomization that lists it (fluxcd/pkg@e2cfd1a2
        // `kustomize/kustomize_generator.go` appends `spec.components`), whose build reports
        // whatever fails in it.
        if components.contains(dir) {
            continue;
        }
        for issue in issues {
            // A directory judged on its own is judged as a Flux Kustomization would build it:
            // kustomize-controller builds an empty kustomization (fluxcd/pkg@e2cfd1a2
            // `kustomize/kustomize_generator.go`: "if there are no resources, set the build
            // metadata to avoid 'kustomization.yaml is empty'"), only kubectl rejects it.
            if issue.message == fleetlint_kustomize::EMPTY_KUSTOMIZATION {
                continue;
            }
            if load_issue_spans.contains(&issue.span) {
                builds.reached.insert(issue.span.file);
                continue;
            }
            let key = (issue.kind, issue.span, issue.message.clone());
            if let Some(&i) = seen.get(&key) {
                builds.issue_dirs[i].push(dir.clone());
            } else {
                seen.insert(key, builds.issues.len());
                builds.issues.push(issue.clone());
                builds.issue_dirs.push(vec![dir.clone()]);
            }
        }
    }
    builds.dirs = dirs;
    builds.components = components;
    builds
}

/// The spans of the files' own YAML problems (SRC010, HYG006, HYG007): a build failing on one
/// of them reaches that file, and the problem is reported once, by the file rule.
#[must_use]
pub(crate) fn load_issue_spans(trees: &[LoadedTree]) -> HashSet<Span> {
    trees
        .iter()
        .flat_map(|t| t.files.iter())
        .flat_map(|f| f.yaml.issues.iter())
        .filter(|i| !matches!(i.kind, LoadIssueKind::AmbiguousScalar))
        .map(|i| i.span)
        .collect()
}

/// Each tree's builds with what the Flux builds of `fleet` add: the files their objects come
/// from, the files whose own YAML problem failed a Flux build (that problem is reported once, by
/// the file rule, at error severity), and the other Flux build issues located in the tree, each
/// once. `tree_builds` is in tree order; a tree without an entry (a fleet assembled by hand) is
/// built here.
#[must_use]
pub(crate) fn with_flux_builds(
    db: &FileDb,
    trees: &[LoadedTree],
    fleet: &Fleet,
    mut tree_builds: Vec<TreeBuilds>,
) -> Vec<TreeBuilds> {
    let load_issue_spans = load_issue_spans(trees);
    let mut flux_reached = HashSet::new();
    let mut flux_issues = Vec::new();
    for c in &fleet.clusters {
        flux_reached.extend(c.objects.iter().filter(|o| !o.synthesized).map(|o| o.root.span.file));
        for issue in &c.build_issues {
            if load_issue_spans.contains(&issue.span) {
                flux_reached.insert(issue.span.file);
            } else {
                flux_issues.push(issue);
            }
        }
    }
    tree_builds.truncate(trees.len());
    for tree in &trees[tree_builds.len()..] {
        tree_builds.push(build_tree(db, tree));
    }
    for (tree, builds) in trees.iter().zip(&mut tree_builds) {
        builds.reached.extend(tree.files.iter().map(|f| f.id).filter(|id| flux_reached.contains(id)));
        let ids: HashSet<_> = tree.files.iter().map(|f| f.id).collect();
        let mut seen: HashSet<_> = builds.issues.iter().map(|b| (b.kind, b.span, b.message.clone())).collect();
        for issue in &flux_issues {
            if ids.contains(&issue.span.file) && seen.insert((issue.kind, issue.span, issue.message.clone())) {
                builds.issues.push((*issue).clone());
                builds.issue_dirs.push(Vec::new());
            }
        }
    }
    tree_builds
}

/// Whether a file's load problem leaves nothing of it to use: not YAML, not UTF-8, unreadable.
#[must_use]
pub(crate) fn is_unusable(kind: &LoadIssueKind) -> bool {
    matches!(kind, LoadIssueKind::Syntax(_) | LoadIssueKind::InvalidUtf8 | LoadIssueKind::Unreadable(_))
}

/// Files that could not be used (invalid YAML, not UTF-8, unreadable) and that no build reaches.
#[must_use]
pub(crate) fn skipped_files(trees: &[LoadedTree], builds: &[TreeBuilds]) -> usize {
    trees
        .iter()
        .zip(builds)
        .map(|(tree, b)| {
            tree.files
                .iter()
                .filter(|f| !b.reached.contains(&f.id) && f.yaml.issues.iter().any(|i| is_unusable(&i.kind)))
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = fleetlint_yaml::parse_yaml(FileId(0), text, &fleetlint_yaml::Limits::default());
        parsed.documents.into_iter().next().map(|d| d.root).unwrap()
    }

    /// A list or scalar kustomization.yaml was skipped without a finding (hostile-input suite).
    #[test]
    fn lists_and_scalars_named_kustomization_are_built() {
        assert!(is_kustomize_file(&root("- resources\n- x.yaml\n")));
        assert!(is_kustomize_file(&root("resources\n")));
        assert!(is_kustomize_file(&root("resources: [a.yaml]\n")));
        assert!(!is_kustomize_file(&root("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n")));
        assert!(!is_kustomize_file(&root("---\n")));
    }
}
