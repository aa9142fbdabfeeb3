//! End-to-end dependency-ordering checks on the real fleets of `../shared/corpus`. Each fleet is
//! copied to a temporary directory and seeded, in Flux Kustomizations it already has, with a
//! `dependsOn` entry naming a Kustomization that does not exist (ORD001) and a `dependsOn`
//! cycle between two of them (ORD002); the reference multi-tenancy fleet also loses the
//! `kyverno-policies` dependency of its tenants (ORD006). `fleetlint check --format json` must
//! report exactly those, at the seeded lines. The untouched real fleets carry no error-level
//! ORD finding.

#![allow(clippy::print_stderr)] // seeding notes are for the person running the tests

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fleetlint_fleet::{EntryKind, SourceResolution};
use fleetlint_fleet::{LoadOptions, load};
use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use fleetlint_yaml::{FileId, FluxKind, Limits, Node, ObjectView, parse_yaml};
use serde_json::Value;

use fleetlint_testkit::{FLEETS, assert_fleet_list_covers_the_corpus, copy_dir, corpus};

/// flux-local's `tests/testdata` clusters are fixtures of a test suite, never applied: their
/// objects in namespaces that nothing creates are real ORD004 errors there.
const FIXTURE_FLEETS: &[&str] = &["allenporter__flux-local"];

/// cluster-template's `configure` step renders this file (the bootstrap source and its root
/// Kustomization) from a template; the snapshot lacks it, so the test renders it.
const GENERATED: (&str, &str, &str, &str, &str) = (
    "onedr0p__cluster-template__rev-fc80b21",
    "cluster/flux/flux-system/flux-cluster.yaml",
    "tmpl/cluster/flux-cluster.yaml",
    "${BOOTSTRAP_GIT_REPOSITORY}",
    "https://github.com/example/home-cluster",
);

/// A scratch copy of `fleet`, with its generated file if it has one, and its `--source` values.
fn scratch(corpus: &Path, fleet: &str, mappings: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(fleet);
    copy_dir(&corpus.join(fleet), &root);
    let (gen_fleet, file, template, var, value) = GENERATED;
    if fleet == gen_fleet {
        let text = std::fs::read_to_string(root.join(template)).unwrap().replace(var, value);
        std::fs::write(root.join(file), text).unwrap();
    }
    let sources = mappings.iter().map(|(key, d)| format!("{key}={}", corpus.join(d).display())).collect();
    (dir, root, sources)
}

fn check(root: &Path, sources: &[String]) -> Vec<Value> {
    fleetlint_testkit::check_findings(Path::new(env!("CARGO_BIN_EXE_fleetlint")), root, sources)
}

/// `(rule, file, line)` of the findings of `codes`.
fn positions(findings: &[Value], codes: &[&str]) -> BTreeSet<(String, String, u64)> {
    findings
        .iter()
        .filter(|f| codes.iter().any(|c| f["rule"] == *c))
        .map(|f| (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap().into(), f["line"].as_u64().unwrap()))
        .collect()
}

/// A Flux Kustomization written in the repository, where entries can be added to `dependsOn`.
#[derive(Clone, Debug)]
struct Candidate {
    /// Tree-relative file.
    file: String,
    /// Post-build identity (the same in every cluster rendering it).
    namespace: String,
    name: String,
    /// Byte offset where new entries go, and the text that introduces them.
    at: usize,
    /// Indentation of a new `- name:` line, and whether a `dependsOn:` key must be written.
    item_indent: String,
    new_key: Option<String>,
    /// Its dependsOn entries: the target (`namespace/name`, namespace defaulted) and the byte
    /// offset of the entry's `name`.
    deps: Vec<(String, usize)>,
}

impl Candidate {
    fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// One cluster's candidates and the dependsOn graph of all its Kustomizations (by
/// `namespace/name`).
#[derive(Debug, Default)]
struct ClusterCandidates {
    list: Vec<Candidate>,
    graph: BTreeMap<String, Vec<String>>,
}

impl ClusterCandidates {
    /// Whether `from` reaches `to` through the existing dependsOn entries, not counting the
    /// direct edge `from -> to`.
    fn reaches_indirectly(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> =
            self.graph.get(from).into_iter().flatten().map(String::as_str).filter(|d| *d != to).collect();
        while let Some(x) = stack.pop() {
            if x == to {
                return true;
            }
            if seen.insert(x) {
                stack.extend(self.graph.get(x).into_iter().flatten().map(String::as_str));
            }
        }
        false
    }
}

/// Where a `dependsOn` entry can be added to the Kustomization written as `doc` in `text`.
fn insertion_point(text: &str, doc: &Node) -> Option<(usize, String, Option<String>)> {
    let line_start = |offset: usize| text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let spec_entry = doc.entry("spec")?;
    let spec = spec_entry.value.as_map()?;
    let first = spec.first()?;
    if line_start(first.key.span.start as usize) == line_start(spec_entry.key.span.start as usize) {
        return None; // a flow mapping
    }
    match doc.get_path(&["spec", "dependsOn"]) {
        None => {
            let at = line_start(first.key.span.start as usize);
            let indent = text[at..first.key.span.start as usize].to_string();
            Some((at, format!("{indent}  "), Some(format!("{indent}dependsOn:\n"))))
        }
        Some(deps) => {
            let item = deps.as_seq()?.first()?;
            let at = line_start(item.span.start as usize);
            let prefix = &text[at..item.span.start as usize];
            let dash = prefix.find('-')?;
            prefix[..dash].trim().is_empty().then(|| (at, prefix[..dash].to_string(), None))
        }
    }
}

/// The candidates of every cluster (remote clusters excepted), by cluster name.
fn candidates(root: &Path, sources: &[String]) -> BTreeMap<String, ClusterCandidates> {
    let s =
        load(&LoadOptions { root: root.to_path_buf(), sources: sources.to_vec(), ..LoadOptions::default() }).unwrap();
    // Identities rendered from each span, across clusters: a document renamed differently per
    // cluster is no candidate.
    let mut identities: BTreeMap<(u32, u32), BTreeSet<(String, String)>> = BTreeMap::new();
    for c in &s.fleet.clusters {
        for o in c.objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::Kustomization) && !o.synthesized) {
            let key = (o.root.span.file.0, o.root.span.start);
            identities.entry(key).or_default().insert((o.namespace().into(), o.name().into()));
        }
    }
    let mut out: BTreeMap<String, ClusterCandidates> = BTreeMap::new();
    for c in s.fleet.clusters.iter().filter(|c| c.entry != EntryKind::Remote) {
        let entry = out.entry(c.name.clone()).or_default();
        for o in c.objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::Kustomization)) {
            let targets = dep_targets(&o.root, o.namespace()).into_iter().map(|(id, _)| id).collect();
            entry.graph.insert(format!("{}/{}", o.namespace(), o.name()), targets);
        }
        for o in &c.objects {
            let file = s.db.get(o.root.span.file);
            let base = file.path.rsplit('/').next().unwrap_or("");
            let built_here =
                o.owner.and_then(|k| c.kustomization_of(k)).is_some_and(|k| k.source == SourceResolution::Tree(0));
            if o.flux_kind() != Some(FluxKind::Kustomization)
                || o.synthesized
                || file.mapping.is_some()
                || KUSTOMIZATION_FILE_NAMES.contains(&base)
                || !built_here
                || identities[&(o.root.span.file.0, o.root.span.start)].len() != 1
            {
                continue;
            }
            // The document as written.
            let parsed = parse_yaml(FileId(0), &file.text, &Limits::default());
            let Some(doc) = parsed.documents.iter().map(|d| &d.root).find(|d| {
                ObjectView::new(d)
                    .is_some_and(|v| v.flux_kind() == Some(FluxKind::Kustomization) && v.name() == Some(o.name()))
            }) else {
                continue;
            };
            let written = dep_targets(doc, o.namespace());
            let rendered = dep_targets(&o.root, o.namespace());
            if written.len() != rendered.len() {
                continue; // entries added or removed by an overlay
            }
            let deps = rendered.into_iter().zip(written).map(|((id, _), (_, at))| (id, at as usize)).collect();
            let Some((at, item_indent, new_key)) = insertion_point(&file.text, doc) else { continue };
            out.get_mut(&c.name).unwrap().list.push(Candidate {
                file: file.path.clone(),
                namespace: o.namespace().into(),
                name: o.name().into(),
                at,
                item_indent,
                new_key,
                deps,
            });
        }
    }
    out
}

/// The targets (`namespace/name`) of an object's dependsOn entries, with where each `name` is
/// written (byte offset).
fn dep_targets(root: &Node, own_namespace: &str) -> Vec<(String, u32)> {
    let entries = root.get_path(&["spec", "dependsOn"]).and_then(Node::as_seq).unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| {
            let name = e.get("name")?;
            let ns = e.get("namespace").and_then(Node::as_str).filter(|n| !n.is_empty()).unwrap_or(own_namespace);
            Some((format!("{ns}/{}", name.as_str()?), name.span.start))
        })
        .collect()
}

/// A seeded dependsOn entry: `(name, namespace, marker)`.
type Entry = (String, String, String);

/// Insert `dependsOn` entries (`(name, namespace, marker)`) into the candidates' documents;
/// returns the file and 1-based line of each marker, and of each anchor (`(file, byte offset in
/// the original text, marker)`) after the edits.
fn seed(
    root: &Path,
    edits: &[(&Candidate, Vec<Entry>)],
    anchors: &[(&str, usize, &str)],
) -> BTreeMap<String, (String, u64)> {
    let mut by_file: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
    for (c, entries) in edits {
        let mut text = c.new_key.clone().unwrap_or_default();
        for (name, ns, marker) in entries {
            text.push_str(&format!("{}- name: {name} # {marker}\n{}  namespace: {ns}\n", c.item_indent, c.item_indent));
        }
        by_file.entry(&c.file).or_default().push((c.at, text));
    }
    // An anchor in a file with no insertion still needs its line.
    for (file, ..) in anchors {
        by_file.entry(file).or_default();
    }
    let mut lines = BTreeMap::new();
    for (file, mut inserts) in by_file {
        let path = root.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (_, at, marker) in anchors.iter().filter(|(f, ..)| *f == file) {
            let shift: usize = inserts.iter().filter(|(i, _)| i <= at).map(|(_, t)| t.matches('\n').count()).sum();
            let line = text[..*at].matches('\n').count() + shift + 1;
            lines.insert((*marker).to_string(), (file.to_string(), line as u64));
        }
        inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        for (at, insert) in inserts {
            text.insert_str(at, &insert);
        }
        std::fs::write(&path, &text).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some((_, marker)) = line.split_once(" # fleetlint-e2e-") {
                lines.insert(format!("fleetlint-e2e-{marker}"), (file.to_string(), n as u64 + 1));
            }
        }
    }
    lines
}

/// Two Kustomizations to join in a cycle of exactly those two.
struct CyclePlan<'c> {
    a: &'c Candidate,
    b: &'c Candidate,
    /// Where b's existing entry naming a is (byte offset), when there is one (then only
    /// `a -> b` is seeded).
    b_to_a: Option<usize>,
}

/// Two candidates without dependencies (both entries seeded), else one without and one that
/// depends on it directly and on nothing else leading to it (only `a -> b` seeded). Either way
/// a's only way out is the seeded entry, so the cycle is exactly `a -> b -> a`.
fn plan_cycle(c: &ClusterCandidates) -> Option<CyclePlan<'_>> {
    let free: Vec<&Candidate> = c.list.iter().filter(|x| x.deps.is_empty()).collect();
    if let [a, b, ..] = free[..] {
        return Some(CyclePlan { a, b, b_to_a: None });
    }
    for a in free {
        for b in &c.list {
            let Some((_, at)) = b.deps.iter().find(|(t, _)| *t == a.id()) else { continue };
            if !c.reaches_indirectly(&b.id(), &a.id()) {
                return Some(CyclePlan { a, b, b_to_a: Some(*at) });
            }
        }
    }
    None
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_fleet_list_covers_every_corpus_fleet() {
    let corpus = corpus();
    assert_fleet_list_covers_the_corpus(&corpus);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn seeded_dangling_dependency_and_cycle_are_reported_in_every_corpus_fleet() {
    let corpus = corpus();
    for (fleet, mappings) in FLEETS {
        let (_dir, root, sources) = scratch(&corpus, fleet, mappings);
        let before = check(&root, &sources);
        let all = candidates(&root, &sources);
        let (cluster, cands) =
            all.iter().max_by_key(|(_, v)| v.list.len()).unwrap_or_else(|| panic!("{fleet}: no candidate"));
        let Some(plan) = plan_cycle(cands) else {
            // A cluster with a single Kustomization (microsoft__multicluster-gitops's `base`)
            // has no pair to join in a cycle: only the dangling dependency is seeded.
            let only = &cands.list[0];
            let missing =
                ("fleetlint-e2e-missing".to_string(), only.namespace.clone(), "fleetlint-e2e-ord001".to_string());
            let lines = seed(&root, &[(only, vec![missing])], &[]);
            let after = check(&root, &sources);
            let new: BTreeSet<_> =
                positions(&after, &["ORD001"]).difference(&positions(&before, &["ORD001"])).cloned().collect();
            let at = lines["fleetlint-e2e-ord001"].clone();
            assert_eq!(new, BTreeSet::from([("ORD001".to_string(), at.0, at.1)]), "{fleet}: new ORD001 findings");
            continue;
        };
        let (a, b) = (plan.a, plan.b);
        let same = |x: &Candidate, y: &Candidate| x.file == y.file && x.at == y.at;
        let host = cands.list.iter().find(|c| !same(c, a) && !same(c, b));
        let missing = ("fleetlint-e2e-missing".to_string(), a.namespace.clone(), "fleetlint-e2e-ord001".to_string());
        let to = |x: &Candidate, m: &str| (x.name.clone(), x.namespace.clone(), m.to_string());
        let mut edits = vec![(a, vec![to(b, "fleetlint-e2e-a-to-b")])];
        if plan.b_to_a.is_none() {
            edits.push((b, vec![to(a, "fleetlint-e2e-b-to-a")]));
        }
        match host {
            Some(h) => edits.push((h, vec![missing])),
            None => edits[0].1.insert(0, missing),
        }
        let anchors: Vec<(&str, usize, &str)> =
            plan.b_to_a.iter().map(|at| (b.file.as_str(), *at, "fleetlint-e2e-b-to-a")).collect();
        let lines = seed(&root, &edits, &anchors);
        let after = check(&root, &sources);
        let codes = ["ORD001", "ORD002"];
        let new: BTreeSet<_> = positions(&after, &codes).difference(&positions(&before, &codes)).cloned().collect();
        // The cycle is reported once, at the entry of the member whose namespace/name sorts
        // first: a's seeded entry, or b's (seeded, or already there).
        let start = lines[if a.id() <= b.id() { "fleetlint-e2e-a-to-b" } else { "fleetlint-e2e-b-to-a" }].clone();
        let dangling_at = lines["fleetlint-e2e-ord001"].clone();
        let expected: BTreeSet<_> =
            [("ORD001".to_string(), dangling_at.0, dangling_at.1), ("ORD002".to_string(), start.0.clone(), start.1)]
                .into_iter()
                .collect();
        eprintln!("{fleet}: seeded into cluster {cluster}: {expected:?}");
        assert_eq!(new, expected, "{fleet}: new ORD001/ORD002 findings differ");
        let (start_file, start_line) = &start;
        let cycle = after
            .iter()
            .find(|f| f["rule"] == "ORD002" && f["file"] == start_file.as_str() && f["line"] == *start_line)
            .unwrap();
        let message = cycle["message"].as_str().unwrap();
        for x in [a, b] {
            assert!(message.contains(&format!("{}/{}", x.namespace, x.name)), "{fleet}: {message}");
        }
        assert_eq!(cycle["severity"], "error", "{fleet}: {message}");
        assert_eq!(cycle["related"].as_array().unwrap().len(), 2, "{fleet}: both members' entries: {cycle:#}");
        let dangling = after
            .iter()
            .find(|f| f["rule"] == "ORD001" && f["message"].as_str().unwrap().contains("fleetlint-e2e-missing"))
            .unwrap();
        let message = dangling["message"].as_str().unwrap();
        // An error, unless a Kustomization with an unmapped source might render it (it says so).
        assert_eq!(
            dangling["severity"],
            if message.contains("unless") { "warning" } else { "error" },
            "{fleet}: {message}"
        );
    }
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn tenants_without_the_policies_dependency_are_reported_in_the_reference_fleet() {
    let corpus = corpus();
    let fleet = "fluxcd__flux2-multi-tenancy";
    let mappings: &[(&str, &str)] = &[("GitRepository/apps/dev-team", "fluxcd__flux2-multi-tenancy__dev-team")];
    let (_dir, root, sources) = scratch(&corpus, fleet, mappings);
    assert!(
        positions(&check(&root, &sources), &["ORD006"]).is_empty(),
        "the reference fleet orders tenants after policies"
    );
    let mut expected = BTreeSet::new();
    for cluster in ["production", "staging"] {
        let file = format!("clusters/{cluster}/tenants.yaml");
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let dep = "  dependsOn:\n    - name: kyverno-policies\n";
        assert_eq!(text.matches(dep).count(), 1, "{file} changed");
        let text = text.replacen(dep, "", 1);
        std::fs::write(root.join(&file), &text).unwrap();
        // Without dependsOn, the finding points at `spec:` (the nearest existing key).
        let line = text.lines().position(|l| l == "spec:").unwrap() as u64 + 1;
        expected.insert(("ORD006".to_string(), file, line));
    }
    let after = check(&root, &sources);
    assert_eq!(positions(&after, &["ORD006"]), expected);
    for f in after.iter().filter(|f| f["rule"] == "ORD006") {
        assert_eq!(f["severity"], "warning");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("Kustomization flux-system/tenants") && message.contains("flux-system/kyverno-policies"),
            "{message}"
        );
    }
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_real_fleets_have_no_error_level_ordering_findings() {
    let corpus = corpus();
    for (fleet, mappings) in FLEETS.iter().filter(|(f, _)| !FIXTURE_FLEETS.contains(f)) {
        let (_dir, root, sources) = scratch(&corpus, fleet, mappings);
        let errors: Vec<String> = check(&root, &sources)
            .iter()
            .filter(|f| f["severity"] == "error" && f["rule"].as_str().unwrap().starts_with("ORD"))
            .map(|f| format!("{} {}:{} {}", f["rule"], f["file"], f["line"], f["message"]))
            .collect();
        assert!(errors.is_empty(), "{fleet}: unexpected ordering errors:\n{}", errors.join("\n"));
    }
}
