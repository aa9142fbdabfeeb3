//! Which builds an issue of a tree's kustomize builds belongs to, so a verdict is about what Flux
//! builds (issue 14 item 1): a problem a cluster's Flux build hits holds in those clusters; one
//! only the standalone build of a directory no Flux build reaches is a warning saying so; one
//! only the standalone build of a directory Flux does build (with its own `spec.components`,
//! `patches`, ... merged in) found is not what Flux does and is left out.

use std::collections::{HashMap, HashSet};

use fleetlint_fleet::SourceResolution;
use fleetlint_kustomize::{BuildIssue, BuildIssueKind, KUSTOMIZATION_FILE_NAMES};
use fleetlint_yaml::{SourceIgnore, Span};

use crate::context::BuildContext;

/// Where an issue holds.
#[derive(Debug)]
pub(crate) enum Reach<'a> {
    /// The Flux builds of these clusters hit it.
    Flux(Vec<String>),
    /// The fleet has no cluster (a tenant or apps repository checked on its own): every
    /// kustomization directory is judged on its own.
    Alone,
    /// Only the standalone build of these directories, which no cluster's Flux build reaches.
    Unreached(Vec<&'a str>),
    /// Only the standalone build of these directories, which only failing Flux builds reach:
    /// kustomize stops at a build's first error, so no Flux build reports this one yet.
    BehindFailure(Vec<&'a str>),
    /// Not a problem of anything Flux applies: the directory is built by Flux differently, is
    /// excluded from the artifact, or belongs to a mapped checkout of which Flux builds other
    /// paths.
    Ignored,
}

/// The clusters whose Flux builds hit each issue, computed once per tree.
#[derive(Debug)]
pub(crate) struct Reaches<'a> {
    by_issue: HashMap<(BuildIssueKind, Span, &'a str), Vec<String>>,
    /// Directories whose kustomization file the tree's `.sourceignore` leaves out of artifacts.
    excluded: HashSet<&'a str>,
}

impl<'a> Reaches<'a> {
    pub(crate) fn new(cx: &BuildContext<'a>) -> Self {
        let mut by_issue: HashMap<(BuildIssueKind, Span, &str), Vec<String>> = HashMap::new();
        for c in &cx.fleet.clusters {
            for b in &c.build_issues {
                let names = by_issue.entry((b.kind, b.span, b.message.as_str())).or_default();
                if !names.contains(&c.name) {
                    names.push(c.name.clone());
                }
            }
        }
        // Every artifact made of this tree: one per source a Flux Kustomization of the fleet
        // reads it through, each with its own `spec.ignore` layered on the tree's `.sourceignore`
        // files. Without any, the tree's `.sourceignore` alone (the root source's artifact).
        let views: Vec<Option<SourceIgnore>> = source_ignores(cx)
            .into_iter()
            .map(|text| text.map(|t| SourceIgnore::new(&cx.tree.sourceignore_files, Some(t))))
            .collect();
        let excluded = kustomization_files(cx)
            .filter_map(|(dir, path, f)| {
                let left_out = |view: &Option<SourceIgnore>| match view {
                    Some(ignore) => ignore.status(path).is_some(),
                    None => f.ignored.is_some(),
                };
                let every = if views.is_empty() { f.ignored.is_some() } else { views.iter().all(left_out) };
                every.then_some(dir)
            })
            .collect();
        Self { by_issue, excluded }
    }

    /// Where issue `i` of `cx.issues` holds.
    pub(crate) fn of(&self, cx: &BuildContext<'a>, i: usize) -> Reach<'a> {
        let issue: &BuildIssue = &cx.issues[i];
        if let Some(names) = self.by_issue.get(&(issue.kind, issue.span, issue.message.as_str())) {
            return Reach::Flux(names.clone());
        }
        if cx.fleet.clusters.is_empty() {
            return Reach::Alone;
        }
        let dirs: Vec<&str> =
            cx.builds.issue_dirs.get(i).map(|d| d.iter().map(String::as_str).collect()).unwrap_or_default();
        if dirs.is_empty() || dirs.iter().any(|d| cx.builds.flux_dirs.contains(*d)) {
            return Reach::Ignored;
        }
        // Entered only by Flux builds that fail on something else first: kustomize-controller
        // reports a build's first error only (kustomize's accumulation returns it), so this
        // problem shows up once that one is fixed. Not an error of its own (the build already
        // has one, issue 14 point 3), but not silent either.
        if dirs.iter().any(|d| cx.builds.failed_flux_dirs.contains(*d)) {
            return Reach::BehindFailure(dirs);
        }
        // A mapped checkout is a source the fleet builds some paths of (a tenant repository,
        // fluxcd/flux2's `manifests/install`): its other directories are not the fleet's.
        if cx.tree.mapping.is_some() {
            return Reach::Ignored;
        }
        // A directory every artifact leaves out (`.sourceignore`): Flux never sees it.
        if dirs.iter().all(|d| self.excluded.contains(d)) {
            return Reach::Ignored;
        }
        Reach::Unreached(dirs)
    }
}

/// The `spec.ignore` of every source object through which a Flux Kustomization of the fleet
/// reads the tree being judged (`None`: a source without one), each once. source-controller
/// archives a GitRepository with the tree's `.sourceignore` patterns and then `spec.ignore`
/// appended (fluxcd/source-controller `internal/controller/gitrepository_controller.go`,
/// `reconcileArtifact`: `ps = append(ps, sourceignore.ReadPatterns(strings.NewReader(*obj.Spec.Ignore), nil)...)`;
/// matched as gitignore patterns by fluxcd/pkg `sourceignore`), so a directory is out of every
/// artifact only when every such source leaves it out.
fn source_ignores<'a>(cx: &BuildContext<'a>) -> Vec<Option<&'a str>> {
    let mut out: Vec<Option<&str>> = Vec::new();
    for c in &cx.fleet.clusters {
        let reading: Vec<usize> = c
            .kustomizations
            .iter()
            .filter(|k| k.source == SourceResolution::Tree(cx.tree_index))
            .map(|k| k.object)
            .collect();
        if reading.is_empty() {
            continue;
        }
        // The cluster's objects by identity, once: a lookup per Kustomization (a scan per
        // Kustomization was quadratic in a fleet with thousands of tenants).
        let mut by_id: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (i, o) in c.objects.iter().enumerate() {
            by_id.entry((o.kind(), o.namespace(), o.name())).or_insert(i);
        }
        for k in reading {
            let Some(sref) = c.objects[k].flux().and_then(|f| f.source_ref()) else { continue };
            let kind = sref.kind_or("GitRepository");
            let source = by_id.get(&(kind, sref.namespace, sref.name())).map(|&i| &c.objects[i]);
            let ignore = source.and_then(|o| o.flux()).and_then(|f| f.ignore());
            if !out.contains(&ignore) {
                out.push(ignore);
            }
        }
    }
    out
}

/// The tree's kustomization files: `(directory, path, file)`.
pub(crate) fn kustomization_files<'a>(
    cx: &BuildContext<'a>,
) -> impl Iterator<Item = (&'a str, &'a str, &'a fleetlint_yaml::LoadedFile)> {
    let db = cx.db;
    cx.tree.files.iter().filter_map(move |f| {
        let path = db.get(f.id).path.as_str();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        KUSTOMIZATION_FILE_NAMES.contains(&name).then_some((dir, path, f))
    })
}

/// "apps/b" or "apps/b, apps/c": the directories named in a message.
pub(crate) fn show_dirs(dirs: &[&str]) -> String {
    let shown: Vec<String> =
        dirs.iter().take(3).map(|d| if d.is_empty() { "./".to_string() } else { format!("./{d}") }).collect();
    let more = dirs.len().saturating_sub(3);
    if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
}
