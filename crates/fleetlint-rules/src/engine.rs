//! Runs the rules over loaded trees, applies suppression comments, fingerprints and sorts.

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use fleetlint_fleet::Session;
use fleetlint_yaml::{FileDb, LoadedTree, Span};

use crate::context::{BuildContext, ClusterContext, FileContext};
use crate::finding::{Finding, ObjectRef, Severity};
use crate::registry::{INTERNAL_ERROR, builtin_checks};
use crate::rule::{Rule, RuleId};
use crate::selection::Selection;
use crate::suppression;

/// The result of running the rules.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Findings, sorted by file, position and code; suppressed ones removed.
    pub findings: Vec<Finding>,
    /// Findings silenced by `# fleetlint: ignore[...]` comments, `fleetlint.io/ignore`
    /// annotations and the configuration's `perFileIgnores`.
    pub suppressed: usize,
    /// Findings left out because a baseline (`--baseline`, or the state at `--new-since REF`)
    /// already has them.
    pub baselined: usize,
    /// YAML files read.
    pub files: usize,
    /// YAML documents read.
    pub documents: usize,
    /// Files that could not be used (invalid YAML, unreadable) and no build reaches.
    pub skipped_files: usize,
    /// Objects produced by the kustomize builds.
    pub objects: usize,
    /// Kustomization directories no cluster's Flux build reaches (their build problems are
    /// warnings, or left out when every artifact excludes them); 0 when the fleet has no cluster.
    pub unreached_dirs: usize,
    /// Objects of the clusters that could not be validated against a schema (no schema for
    /// their kind or version), summed over clusters like `objects`; 0 when the schema rules
    /// did not run.
    pub unvalidated_objects: usize,
}

impl CheckOutcome {
    /// Count findings per severity: `(error, warning, info)`.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
    }

    /// Leave out the findings a baseline already has, matched by fingerprint: each entry of
    /// `known` (fingerprint -> how many times it was recorded) matches that many findings. They
    /// are counted in `baselined`.
    pub fn drop_known(&mut self, known: &HashMap<String, usize>) {
        let mut left = known.clone();
        let before = self.findings.len();
        self.findings.retain(|f| match left.get_mut(&f.fingerprint) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        self.baselined += before - self.findings.len();
    }

    /// Add findings made outside a check (HYG004 compares two checks): the selection's severity
    /// applied, fingerprinted, in report order.
    pub fn add_findings(&mut self, db: &FileDb, selection: &Selection, findings: Vec<Finding>) {
        for mut f in findings.into_iter().filter(|f| selection.enabled(f.rule)) {
            selection.set_severity(&mut f);
            f.fingerprint = fingerprint(db, &f);
            self.findings.push(f);
        }
        sort(db, &mut self.findings);
    }
}

/// Report order: by source, file, position and code.
fn sort(db: &FileDb, findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let fa = db.get(a.span.file);
        let fb = db.get(b.span.file);
        (fa.mapping.as_deref(), &fa.path, a.span.start, a.code()).cmp(&(
            fb.mapping.as_deref(),
            &fb.path,
            b.span.start,
            b.code(),
        ))
    });
}

/// Run every rule over the session: per file, per tree's builds, per cluster; then merge the
/// same problem found in several clusters, drop shadowed copies and suppressed findings,
/// fingerprint and sort. What the builds reached and which files were skipped are the
/// session's facts; the engine only runs the rules.
#[must_use]
pub fn check(session: &Session) -> CheckOutcome {
    check_with(session, &builtin_checks())
}

/// [`check`] with `rules` instead of the built-in ones (rules loaded at run time join them).
///
/// A rule that panics on one input (a file, a tree's builds, a cluster) loses its findings for
/// that input and gets an FLT001 finding naming it and the input instead; every other rule and
/// input is still checked.
#[must_use]
pub fn check_with(session: &Session, rules: &[&dyn Rule]) -> CheckOutcome {
    let known: Vec<RuleId> = rules.iter().map(|r| r.id()).chain(crate::catalog()).collect();
    let selection = Selection::new(&crate::SelectionSettings::default(), &known).unwrap_or_default();
    check_selected(session, rules, &selection)
}

/// [`check_with`] under a rule selection (`select`, `ignore`, `severity`, `perFileIgnores`):
/// rules it leaves out do not run, findings in files it ignores them for are counted as
/// suppressed, and configured severities replace the rules' own.
#[must_use]
pub fn check_selected(session: &Session, rules: &[&dyn Rule], selection: &Selection) -> CheckOutcome {
    let known: Vec<RuleId> = rules.iter().map(|r| r.id()).chain(crate::catalog()).collect();
    let rules: Vec<&dyn Rule> = rules.iter().copied().filter(|r| selection.enabled(r.id())).collect();
    let rules = rules.as_slice();
    let (db, trees, fleet) = (&session.db, session.trees.as_slice(), &session.fleet);
    let mut findings: Vec<Finding> = Vec::new();
    let build_issue_index = build_issue_index(fleet);
    let file_clusters = file_clusters(fleet);
    // Files a Flux build of some cluster reaches: an object of it is applied, or a build failed
    // on its own YAML.
    let flux_files: std::collections::HashSet<fleetlint_yaml::FileId> = file_clusters
        .keys()
        .copied()
        .chain(fleet.clusters.iter().flat_map(|c| c.build_issues.iter().map(|i| i.span.file)))
        .collect();
    for (tree_index, (tree, builds)) in trees.iter().zip(&session.builds).enumerate() {
        let charts = helm_chart_dirs(tree, db);
        let per_file: Vec<Vec<Finding>> = tree
            .files
            .par_iter()
            .map(|file| {
                let text = db.get(file.id);
                // A file of a Helm chart's tree that no Flux build reaches is Helm's (or a
                // bootstrapper's `helm template`) Go-template input, even where a kustomization
                // inside the chart lists it: not a build input of anything Flux applies.
                let chart_only = in_chart_tree(&text.path, &charts) && !flux_files.contains(&file.id);
                let reached_by_build = builds.reached.contains(&file.id) && !chart_only;
                let helm_template = chart_only || in_chart_templates(&text.path, &charts);
                let reached_by_flux = flux_files.contains(&file.id);
                let fleet_has_clusters = !fleet.clusters.is_empty();
                let cx =
                    FileContext { file, text, reached_by_build, reached_by_flux, fleet_has_clusters, helm_template };
                let mut out = Vec::new();
                let at = Span::empty(file.id, 0);
                for &rule in rules {
                    guarded(
                        rule,
                        at,
                        || format!("file {}", display_path(cx.text)),
                        &mut out,
                        |out| {
                            let from = out.len();
                            rule.check_file(&cx, out);
                            drop_ciphertext_subjects(rule, out, from);
                        },
                    );
                }
                out
            })
            .collect();
        findings.extend(per_file.into_iter().flatten().map(|mut f| {
            // A file finding holds in every cluster that applies an object written in the file
            // (a kustomize Component or a base shared by apps: the clusters of the builds that
            // use it), standards: "one finding per problem, naming every cluster where it holds".
            if f.clusters.is_empty()
                && let Some(clusters) = file_clusters.get(&f.span.file)
            {
                f.clusters.clone_from(clusters);
            }
            f
        }));
        let cx = BuildContext::new(&builds.issues, db, tree, tree_index, fleet, builds);
        let at = tree.files.first().map_or_else(Span::default, |f| Span::empty(f.id, 0));
        let mut from_builds = Vec::new();
        for &rule in rules {
            let what = || format!("the kustomize builds of {}", tree.root.display());
            guarded(rule, at, what, &mut from_builds, |out| {
                let from = out.len();
                rule.check_build(&cx, out);
                drop_ciphertext_subjects(rule, out, from);
            });
        }
        attach_build_clusters(fleet, &build_issue_index, &mut from_builds);
        findings.extend(from_builds);
    }
    let per_cluster: Vec<(Vec<Finding>, usize)> = fleet
        .clusters
        .par_iter()
        .map(|cluster| {
            let cx = ClusterContext::new(cluster, fleet, db, trees);
            let mut out = Vec::new();
            for &rule in rules {
                let what = || format!("cluster {}", cluster.name);
                guarded(rule, cluster.entry_span, what, &mut out, |out| {
                    let from = out.len();
                    rule.check_cluster(&cx, out);
                    drop_ciphertext_subjects(rule, out, from);
                });
            }
            for f in &mut out {
                f.clusters = vec![cluster.name.clone()];
            }
            (out, cx.unvalidated_objects().unwrap_or(0))
        })
        .collect();
    let unvalidated_objects = per_cluster.iter().map(|(_, n)| n).sum();
    findings.extend(merge_across_clusters(per_cluster.into_iter().flat_map(|(f, _)| f)));
    // A mapped checkout inside the checked root is read twice; its findings belong to the mapped
    // tree (with `source`), not to the root's copy.
    let shadowed = shadowed_files(db, trees);
    findings.retain(|f| !shadowed.contains(&f.span.file));
    let before = findings.len();
    findings.retain(|f| !selection.ignored_in(f.rule, &db.get(f.span.file).path));
    let ignored_by_path = before - findings.len();
    let (kept, suppressed, invalid) = suppression::apply(db, trees, fleet, findings, &known, selection);
    // After suppression: a suppressed built-in finding does not silence the policy's, and the
    // suppression is not "silencing nothing".
    let mut kept = merge_policy_duplicates(kept);
    kept.extend(invalid);
    for f in &mut kept {
        selection.set_severity(f);
        f.fingerprint = fingerprint(db, f);
    }
    sort(db, &mut kept);
    CheckOutcome {
        findings: kept,
        suppressed: suppressed + ignored_by_path,
        baselined: 0,
        files: session.files(),
        documents: session.documents(),
        skipped_files: session.skipped_files,
        objects: session.objects(),
        unreached_dirs: session.builds.iter().map(|b| b.unreached_dirs(fleet).count()).sum(),
        unvalidated_objects,
    }
}

/// Drop the findings `rule` added from `from` on whose object's identity is SOPS ciphertext,
/// unless the rule judges such objects (their decryption or their text): one place, so that no
/// rule judges the kind, name or namespace of an object that is known only after decryption.
fn drop_ciphertext_subjects(rule: &dyn Rule, out: &mut Vec<Finding>, from: usize) {
    if rule.judges_ciphertext_objects() {
        return;
    }
    let added = out.split_off(from);
    out.extend(added.into_iter().filter(|f| !f.object.as_ref().is_some_and(ObjectRef::has_ciphertext_identity)));
}

/// The directories of a tree that hold a Helm chart (a `Chart.yaml`), by path.
pub(crate) fn helm_chart_dirs(tree: &fleetlint_yaml::LoadedTree, db: &FileDb) -> std::collections::HashSet<String> {
    tree.files
        .iter()
        .filter_map(|f| {
            let path = &db.get(f.id).path;
            match path.rsplit_once('/') {
                Some((dir, "Chart.yaml")) => Some(dir.to_string()),
                None if path == "Chart.yaml" => Some(String::new()),
                _ => None,
            }
        })
        .collect()
}

/// Whether `path` is below the `templates/` directory of one of `charts`: Helm loads those files
/// as templates, not YAML (helm/helm@a97ed11e:pkg/chart/v2/loader/load.go `LoadFiles`:
/// `case strings.HasPrefix(f.Name, "templates/")`), and renders them as Go templates first.
fn in_chart_templates(path: &str, charts: &std::collections::HashSet<String>) -> bool {
    if charts.is_empty() {
        return false;
    }
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        let (chart, last) = parent.rsplit_once('/').unwrap_or(("", parent));
        if last == "templates" && charts.contains(chart) {
            return true;
        }
        dir = parent;
    }
    false
}

/// Whether `path` is in the tree of one of `charts` (at or below the directory holding its
/// `Chart.yaml`): `helm template` or a bootstrapper's text/template renders what is there, so a
/// `{{ .Values.x }}` in it is a template action, not a YAML or kustomize error.
pub(crate) fn in_chart_tree(path: &str, charts: &std::collections::HashSet<String>) -> bool {
    if charts.is_empty() {
        return false;
    }
    if charts.contains("") {
        return true;
    }
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if charts.contains(parent) {
            return true;
        }
        dir = parent;
    }
    false
}

/// The clusters (sorted) that apply an object written in each file.
fn file_clusters(fleet: &fleetlint_fleet::Fleet) -> HashMap<fleetlint_yaml::FileId, Vec<String>> {
    let mut index: HashMap<fleetlint_yaml::FileId, Vec<String>> = HashMap::new();
    for c in &fleet.clusters {
        for o in c.objects.iter().filter(|o| !o.synthesized) {
            let names = index.entry(o.root.span.file).or_default();
            if names.last() != Some(&c.name) {
                names.push(c.name.clone());
            }
        }
    }
    for names in index.values_mut() {
        names.sort();
        names.dedup();
    }
    index
}

/// Where each Flux build issue was met: span -> (cluster, issue) pairs.
fn build_issue_index(fleet: &fleetlint_fleet::Fleet) -> std::collections::HashMap<Span, Vec<(usize, usize)>> {
    let mut index: std::collections::HashMap<Span, Vec<(usize, usize)>> = std::collections::HashMap::new();
    for (ci, c) in fleet.clusters.iter().enumerate() {
        for (ii, issue) in c.build_issues.iter().enumerate() {
            index.entry(issue.span).or_default().push((ci, ii));
        }
    }
    index
}

/// A finding about a build input that a cluster's Flux build met names that cluster (every one
/// where it holds) and the chain of Flux objects whose build it was.
fn attach_build_clusters(
    fleet: &fleetlint_fleet::Fleet,
    index: &std::collections::HashMap<Span, Vec<(usize, usize)>>,
    findings: &mut [Finding],
) {
    for f in findings.iter_mut().filter(|f| f.clusters.is_empty() || f.owner.is_none()) {
        let Some(hits) = index.get(&f.span) else { continue };
        if f.clusters.is_empty() {
            let mut clusters: Vec<String> = hits.iter().map(|(ci, _)| fleet.clusters[*ci].name.clone()).collect();
            clusters.sort();
            clusters.dedup();
            f.clusters = clusters;
        }
        if f.owner.is_none()
            && let Some((c, k)) = hits.iter().find_map(|(ci, ii)| {
                let c = &fleet.clusters[*ci];
                c.build_issue_owners.get(*ii).copied().flatten().map(|k| (c, k))
            })
        {
            let o = &c.objects[k];
            f.owner = Some(o.id());
            f.owners = o.owners.push(o.id()).to_vec();
        }
    }
}

/// Run `check` for `rule`, appending to `out`. A panic inside it drops what it appended and
/// appends an FLT001 finding at `at` naming the rule and `what` it was checking instead.
fn guarded(
    rule: &dyn Rule,
    at: Span,
    what: impl FnOnce() -> String,
    out: &mut Vec<Finding>,
    check: impl FnOnce(&mut Vec<Finding>),
) {
    let before = out.len();
    let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&mut *out))) else { return };
    out.truncate(before);
    let reason = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".to_string());
    let m = rule.meta();
    let message = format!("internal error in rule {} ({}) while checking {}: {reason}", m.code, m.name, what());
    out.push(
        Finding::new(INTERNAL_ERROR, at, message)
            .with_help(format!("{}'s findings for this input are missing; please report this with the input", m.code))
            .with_field(format!("internal:{}", m.code)),
    );
}

/// A file's path as reports show it: `source:path` for a mapped tree's files.
fn display_path(file: &fleetlint_yaml::TextFile) -> String {
    match &file.mapping {
        Some(s) => format!("{s}:{}", file.path),
        None => file.path.clone(),
    }
}

/// Files read twice, whose findings are reported once: a mapped checkout inside the checked
/// root belongs to the mapped tree (reported with its `source`); a mapping of the checked root
/// itself (another branch checked out in place) is reported as the root.
fn shadowed_files(db: &FileDb, trees: &[LoadedTree]) -> std::collections::HashSet<fleetlint_yaml::FileId> {
    let mut shadowed = std::collections::HashSet::new();
    let Some((root, mapped)) = trees.split_first() else { return shadowed };
    let Ok(root_dir) = root.root.canonicalize() else { return shadowed };
    let mut prefixes: Vec<String> = Vec::new();
    for tree in mapped {
        let Ok(dir) = tree.root.canonicalize() else { continue };
        if dir == root_dir {
            shadowed.extend(tree.files.iter().map(|f| f.id));
        } else if let Ok(rel) = dir.strip_prefix(&root_dir) {
            prefixes.push(format!("{}/", fleetlint_yaml::relpath::relative_slash_path(std::path::Path::new(""), rel)));
        }
    }
    shadowed.extend(
        root.files.iter().filter(|f| prefixes.iter().any(|p| db.get(f.id).path.starts_with(p.as_str()))).map(|f| f.id),
    );
    shadowed
}

/// One finding per problem: the same code, place, message, field and object found in several
/// clusters (or twice in one, through two overlays of a base) becomes one finding listing them.
fn merge_across_clusters(findings: impl Iterator<Item = Finding>) -> Vec<Finding> {
    let mut index: HashMap<(RuleId, Span, String, String, Option<String>), usize> = HashMap::new();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let key = (f.rule, f.span, f.message.clone(), f.field.clone(), f.object.as_ref().map(crate::ObjectRef::id));
        match index.get(&key) {
            Some(&i) => {
                let existing = &mut out[i];
                for c in f.clusters {
                    if !existing.clusters.contains(&c) {
                        existing.clusters.push(c);
                    }
                }
                existing.severity = existing.severity.max(f.severity);
            }
            None => {
                index.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

/// One finding per problem across engines: when a Kyverno policy of the repository (POL001)
/// and a built-in rule report the same object and field in the same clusters (the reference
/// multi-tenancy policy's `serviceAccountName` rule and ISO001), keep the policy's finding (its
/// admission controller is what rejects the object, and users expect their policy's name and
/// message) at the higher of the two severities, naming the built-in rule in its help.
fn merge_policy_duplicates(mut findings: Vec<Finding>) -> Vec<Finding> {
    let policy = crate::registry::KYVERNO_POLICY_VIOLATION;
    let key = |f: &Finding| (f.object.as_ref().map(crate::ObjectRef::id), f.field.clone());
    let mut by_key: HashMap<(Option<String>, String), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.rule == policy && f.object.is_some() && !f.field.is_empty() {
            by_key.entry(key(f)).or_default().push(i);
        }
    }
    if by_key.is_empty() {
        return findings;
    }
    let mut dropped = vec![false; findings.len()];
    for i in 0..findings.len() {
        let f = &findings[i];
        if f.rule.meta().category == crate::Category::Policy || f.object.is_none() {
            continue;
        }
        let Some(candidates) = by_key.get(&key(f)) else { continue };
        let Some(&p) = candidates.iter().find(|&&p| f.clusters.iter().all(|c| findings[p].clusters.contains(c))) else {
            continue;
        };
        let (severity, m, related) = (f.severity, f.rule.meta(), f.related.clone());
        let note = format!(
            "fleetlint's {} ({}) reports the same problem{}",
            m.code,
            m.name,
            f.help.as_ref().map(|h| format!(": {h}")).unwrap_or_default()
        );
        let target = &mut findings[p];
        target.severity = target.severity.max(severity);
        // What explains the built-in finding (the lockdown flag, the overlay) explains this one.
        for r in related {
            if !target.related.contains(&r) {
                target.related.push(r);
            }
        }
        target.help = Some(match target.help.take() {
            Some(h) => format!("{h}; {note}"),
            None => note,
        });
        dropped[i] = true;
    }
    findings.into_iter().zip(dropped).filter(|(_, d)| !d).map(|(f, _)| f).collect()
}

/// Stable across runs and unrelated edits: the rule, the object (or the file when there is
/// none) and the field path; never line numbers or cluster lists.
fn fingerprint(db: &FileDb, f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.code().as_bytes());
    h.update([0]);
    match &f.object {
        Some(o) => h.update(o.id().as_bytes()),
        None => {
            let file = db.get(f.span.file);
            h.update(file.mapping.as_deref().unwrap_or("").as_bytes());
            h.update([0]);
            h.update(file.path.as_bytes());
        }
    }
    h.update([0]);
    h.update(f.field.as_bytes());
    let digest = h.finalize();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::ObjectRef;
    use fleetlint_yaml::TextFile;

    /// What a fingerprint is made of: rule, object (or file) and field; never the message, the
    /// position or the clusters, so rewording a message or a cluster rename keeps baselines valid.
    #[test]
    fn fingerprints_ignore_message_position_and_clusters() {
        let mut db = FileDb::new();
        let text = "a: 1\nb: 2\n";
        let file = db.add(TextFile::new("x.yaml".into(), None, "x.yaml".into(), text.into()));
        let object = Some(ObjectRef { kind: "Kustomization".into(), name: "apps".into(), ..ObjectRef::default() });
        let base = Finding::new(INTERNAL_ERROR, Span::new(file, 0, 1), "one wording")
            .with_object(object.clone())
            .with_field("spec.path");
        let mut moved = Finding::new(INTERNAL_ERROR, Span::new(file, 5, 6), "another wording")
            .with_object(object)
            .with_field("spec.path");
        moved.clusters = vec!["renamed".into()];
        assert_eq!(fingerprint(&db, &base), fingerprint(&db, &moved));
        let other_field = base.clone().with_field("spec.prune");
        assert_ne!(fingerprint(&db, &base), fingerprint(&db, &other_field));
        let other_object = base.clone().with_object(None);
        assert_ne!(fingerprint(&db, &base), fingerprint(&db, &other_object));
    }
}
