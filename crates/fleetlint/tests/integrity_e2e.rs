//! End-to-end integrity checks on the real fleets of `../shared/corpus`: each fleet is copied to
//! a temporary directory, a Flux Kustomization with a missing `spec.path` (SRC001) and one whose
//! `sourceRef` names no source (SRC002) are appended to a file that one of its Kustomizations
//! already renders, and `fleetlint check --format json` must report exactly those two new
//! problems, at the seeded lines, in every cluster that renders the file. The fixtures'
//! severities (which the fixture test does not see) are asserted here too.

#![allow(clippy::print_stderr)] // seeding notes are for the person running the tests

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fleetlint_fleet::SourceResolution;
use fleetlint_fleet::{LoadOptions, load};
use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use serde_json::Value;

use fleetlint_testkit::{FLEETS, assert_fleet_list_covers_the_corpus, copy_dir, corpus, sources};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A file the fleet's own tooling generates and the snapshot lacks, so that nothing renders from
/// the repository without it: cluster-template's `configure` step renders
/// `tmpl/cluster/flux-cluster.yaml` (with the repository URL) into the bootstrap directory. The
/// test does the same, then seeds into that file; its root build (cluster `flux`, source
/// GitRepository flux-system/flux-system) reads it.
struct Generated {
    fleet: &'static str,
    file: &'static str,
    template: &'static str,
    vars: &'static [(&'static str, &'static str)],
    clusters: &'static [&'static str],
    /// The GitRepository (in flux-system) of the root the generated file defines.
    source: &'static str,
}

const GENERATED: &[Generated] = &[Generated {
    fleet: "onedr0p__cluster-template__rev-fc80b21",
    file: "cluster/flux/flux-system/flux-cluster.yaml",
    template: "tmpl/cluster/flux-cluster.yaml",
    vars: &[("${BOOTSTRAP_GIT_REPOSITORY}", "https://github.com/example/home-cluster")],
    // The generated file holds the self-managing root (Kustomization flux-cluster, which
    // builds ./cluster/flux and reads GitRepository flux-cluster): issue 11 names it `cluster`.
    clusters: &["cluster"],
    source: "flux-cluster",
}];

/// Where the problems are seeded: a file of the checked tree that a Flux Kustomization reading
/// the repository's own tree renders, and that Kustomization's source (which therefore maps to
/// the checked tree in every cluster).
#[derive(Debug)]
struct Host {
    /// Tree-relative path of the file.
    file: String,
    namespace: String,
    source: (String, String, String),
    /// Clusters that render the file.
    clusters: BTreeSet<String>,
}

/// The first object (by file and position) written in the repository and rendered by a
/// Kustomization that reads the repository's own tree: Flux Kustomizations first, then files
/// rendered in more clusters, in platform namespaces, outside the bootstrap directory.
fn pick_host(root: &Path, sources: &[String]) -> Host {
    let s =
        load(&LoadOptions { root: root.to_path_buf(), sources: sources.to_vec(), ..LoadOptions::default() }).unwrap();
    let mut candidates = Vec::new();
    for c in &s.fleet.clusters {
        for o in &c.objects {
            let Some(k) = o.owner.and_then(|k| c.kustomization_of(k)) else { continue };
            let file = s.db.get(o.root.span.file);
            let name = file.path.rsplit('/').next().unwrap_or("");
            if k.source != SourceResolution::Tree(0)
                || o.synthesized
                || file.mapping.is_some()
                || KUSTOMIZATION_FILE_NAMES.contains(&name)
            {
                continue;
            }
            let is_ks = o.kind() == "Kustomization" && o.api_version().starts_with("kustomize.toolkit.fluxcd.io/");
            // Files several clusters render first: the finding must then list them all.
            let spread =
                s.fleet.clusters.iter().filter(|cl| cl.objects.iter().any(|x| x.root.span == o.root.span)).count();
            let rank = (
                !is_ks,
                std::cmp::Reverse(spread),
                !c.is_platform_namespace(o.namespace()),
                file.path.contains("flux-system/"),
            );
            candidates.push((rank, file.path.clone(), o.root.span, c, &c.objects[k.object]));
        }
    }
    candidates.sort_by(|a, b| (a.0, &a.1, a.2.start).cmp(&(b.0, &b.1, b.2.start)));
    let (_, file, span, c, renderer) =
        candidates.first().unwrap_or_else(|| panic!("{}: no object rendered from the repository", root.display()));
    let sref = |k: &str| renderer.root.get_path(&["spec", "sourceRef", k]).and_then(fleetlint_yaml::Node::as_str);
    let source = (
        sref("kind").unwrap_or("GitRepository").to_string(),
        sref("namespace").filter(|n| !n.is_empty()).unwrap_or(renderer.namespace()).to_string(),
        sref("name").unwrap_or("").to_string(),
    );
    let clusters = s
        .fleet
        .clusters
        .iter()
        .filter(|cl| cl.objects.iter().any(|x| x.root.span == *span && !x.synthesized))
        .map(|cl| cl.name.clone())
        .collect();
    let namespace = c.platform_namespaces.first().cloned().unwrap_or_else(|| "flux-system".into());
    Host { file: file.clone(), namespace, source, clusters }
}

/// Append the two broken Kustomizations; returns the lines of the missing path and of the
/// undefined source's name.
fn seed(root: &Path, host: &Host) -> (u64, u64) {
    let path = root.join(&host.file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let base = text.lines().count() as u64;
    let (kind, ns, name) = &host.source;
    let ks = &host.namespace;
    let seeded = format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: fleetlint-e2e-missing-path\n  namespace: {ks}\nspec:\n  interval: 10m\n  path: ./fleetlint-e2e/does-not-exist\n  prune: true\n  sourceRef:\n    kind: {kind}\n    name: {name}\n    namespace: {ns}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: fleetlint-e2e-undefined-source\n  namespace: {ks}\nspec:\n  interval: 10m\n  path: ./\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleetlint-e2e-undefined\n"
    );
    std::fs::write(&path, format!("{text}{seeded}")).unwrap();
    // `path:` is the 9th seeded line; the undefined source's `name:` the 27th.
    (base + 9, base + 27)
}

fn check(root: &Path, sources: &[String]) -> Vec<Value> {
    fleetlint_testkit::check_findings(Path::new(env!("CARGO_BIN_EXE_fleetlint")), root, sources)
}

/// `(code, file, line, message)` of the SRC001/SRC002 findings.
fn integrity(findings: &[Value]) -> BTreeSet<(String, String, u64, String)> {
    findings
        .iter()
        .filter(|f| f["rule"] == "SRC001" || f["rule"] == "SRC002")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("file"), f["line"].as_u64().unwrap(), s("message"))
        })
        .collect()
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_fleet_list_covers_every_corpus_fleet() {
    let corpus = corpus();
    assert_fleet_list_covers_the_corpus(&corpus);
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn seeded_missing_path_and_undefined_source_are_reported_in_every_corpus_fleet() {
    let corpus = corpus();
    for (fleet, mappings) in FLEETS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(fleet);
        copy_dir(&corpus.join(fleet), &root);
        let sources = sources(&corpus, mappings);
        let host = match GENERATED.iter().find(|g| g.fleet == *fleet) {
            Some(g) => {
                let mut text = std::fs::read_to_string(root.join(g.template)).unwrap();
                for (var, value) in g.vars {
                    text = text.replace(var, value);
                }
                std::fs::write(root.join(g.file), text).unwrap();
                let flux_system = || "flux-system".to_string();
                Host {
                    file: g.file.to_string(),
                    namespace: flux_system(),
                    source: ("GitRepository".into(), flux_system(), g.source.to_string()),
                    clusters: g.clusters.iter().map(|c| (*c).to_string()).collect(),
                }
            }
            None => pick_host(&root, &sources),
        };
        // The baseline: everything the unmodified fleet reports already.
        let before = integrity(&check(&root, &sources));
        assert!(!host.clusters.is_empty(), "{fleet}: the host {} is rendered nowhere", host.file);
        let (path_line, source_line) = seed(&root, &host);
        eprintln!("{fleet}: seeded {}:{path_line},{source_line} for {:?}", host.file, host.clusters);
        let findings = check(&root, &sources);
        let after = integrity(&findings);
        let new: Vec<_> = after.difference(&before).collect();
        let expected = [("SRC001", path_line), ("SRC002", source_line)];
        let got: Vec<(&str, u64)> = new.iter().map(|(c, _, l, _)| (c.as_str(), *l)).collect();
        assert_eq!(got, expected, "{fleet}: new SRC001/SRC002 findings in {} differ: {new:#?}", host.file);
        for (code, line) in expected {
            let f = findings
                .iter()
                .find(|f| f["rule"] == code && f["line"] == line && f["file"] == host.file.as_str())
                .unwrap_or_else(|| panic!("{fleet}: no {code} at {}:{line}", host.file));
            let clusters: BTreeSet<String> =
                f["clusters"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
            assert_eq!(clusters, host.clusters, "{fleet}: {code} clusters");
            let message = f["message"].as_str().unwrap();
            // An error, unless an unmapped platform source might define it (then it says so).
            if !message.contains("unless") {
                assert_eq!(f["severity"], "error", "{fleet}: {code}: {message}");
            }
        }
        let src001 = new.iter().find(|(c, ..)| c == "SRC001").unwrap();
        assert!(src001.3.contains("./fleetlint-e2e/does-not-exist"), "{fleet}: {}", src001.3);
        let src002 = new.iter().find(|(c, ..)| c == "SRC002").unwrap();
        assert!(src002.3.contains("GitRepository") && src002.3.contains("/fleetlint-e2e-undefined"), "{fleet}");
    }
}

/// The fixtures' findings with their severities, for the rules whose severity varies.
fn fixture(code: &str, variant: &str) -> Vec<Value> {
    let dir = repo_root().join("testdata/rules").join(code).join(variant);
    check(&dir, &[]).into_iter().filter(|f| f["rule"] == code).collect()
}

fn severity_at(findings: &[Value], file: &str, line: u64) -> String {
    let f = findings.iter().find(|f| f["file"] == file && f["line"] == line);
    f.unwrap_or_else(|| panic!("no finding at {file}:{line}"))["severity"].as_str().unwrap().to_string()
}

#[test]
fn remote_bases_are_errors_only_where_a_building_cluster_forbids_them() {
    let f = fixture("SRC005", "fail");
    // A git base built by cluster prod, which runs kustomize-controller with --no-remote-bases.
    assert_eq!(severity_at(&f, "apps/kyverno/kustomization.yaml", 7), "error");
    let blocked = f.iter().find(|f| f["file"] == "apps/kyverno/kustomization.yaml" && f["line"] == 7).unwrap();
    assert_eq!(blocked["clusters"], serde_json::json!(["prod"]));
    assert_eq!(blocked["related"][0]["file"], "clusters/prod/flux-system/kustomization.yaml");
    assert!(blocked["message"].as_str().unwrap().contains("bypassing source-controller"), "{blocked}");
    // A release file downloaded over HTTPS: the flag does not block it, a warning.
    assert_eq!(severity_at(&f, "apps/kyverno/kustomization.yaml", 5), "warning");
    // Built by no cluster: kustomize-controller never fetches it, nothing to report.
    assert!(!f.iter().any(|f| f["file"] == "kustomization.yaml"));
}

#[test]
fn unresolved_flux_references_are_errors_and_local_ones_warnings_with_a_hint() {
    let f = fixture("SRC002", "fail");
    let file = "clusters/prod/apps.yaml";
    assert_eq!(severity_at(&f, file, 12), "error", "undefined GitRepository");
    assert_eq!(severity_at(&f, file, 24), "error", "a HelmRepository is not a Kustomization source");
    assert_eq!(severity_at(&f, file, 34), "warning", "missing ServiceAccount");
    // Not in Git and no `preexisting.objects` declared: how most fleets work, an info.
    assert_eq!(severity_at(&f, file, 43), "info", "ConfigMap only in another namespace");
    let hint = f.iter().find(|f| f["line"] == 43).unwrap();
    assert_eq!(hint["related"][0]["file"], "clusters/prod/sources.yaml");
    assert!(hint["help"].as_str().unwrap().contains("always resolved in the object's own namespace"));
    let cross = f.iter().find(|f| f["line"] == 40).unwrap();
    assert!(cross["help"].as_str().unwrap().contains("set `namespace: flux-system`"), "{cross}");
}

/// With `preexisting.objects` declared, a Secret or ConfigMap that is neither in Git nor listed is
/// a warning, and a listed one is no finding (issue 14 item 6).
#[test]
fn preexisting_objects_decide_out_of_band_references() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("testdata/rules/SRC002/fail"), dir.path());
    let (file, line) = ("clusters/prod/apps.yaml", 43);
    std::fs::write(dir.path().join(".fleetlint.yaml"), "preexisting:\n  objects: [Secret/flux-system/sops-age]\n")
        .unwrap();
    let f: Vec<Value> = check(dir.path(), &[]).into_iter().filter(|f| f["rule"] == "SRC002").collect();
    assert_eq!(severity_at(&f, file, line), "warning", "not listed");
    std::fs::write(dir.path().join(".fleetlint.yaml"), "preexisting:\n  objects: [ConfigMap/*/cluster-values]\n")
        .unwrap();
    let f: Vec<Value> = check(dir.path(), &[]).into_iter().filter(|f| f["rule"] == "SRC002").collect();
    assert!(!f.iter().any(|f| f["file"] == file && f["line"] == line), "listed: no finding");
    // Flux objects that do not exist stay errors.
    assert_eq!(severity_at(&f, file, 12), "error");
}

#[test]
fn namespaced_kinds_without_namespace_are_errors_and_unknown_kinds_infos() {
    let f = fixture("SRC008", "fail");
    assert_eq!(severity_at(&f, "apps/web.yaml", 3), "error", "Deployment");
    assert_eq!(severity_at(&f, "apps/web.yaml", 20), "error", "CR of a namespaced CRD in the graph");
    assert_eq!(severity_at(&f, "apps/web.yaml", 26), "info", "unknown kind");
}

#[test]
fn duplicates_point_at_the_other_definition() {
    let f = fixture("SRC004", "fail");
    let cm = f.iter().find(|f| f["file"] == "infrastructure/ingress/settings.yaml").unwrap();
    assert_eq!(cm["related"][0]["file"], "apps/configmap.yaml");
    // One finding for the overlapping pair, at the included Kustomization's spec.path, with the
    // cause computed from the generated kustomization.
    let pair = f.iter().find(|f| f["file"] == "clusters/prod/infrastructure.yaml").unwrap();
    let message = pair["message"].as_str().unwrap();
    assert!(message.contains("./infrastructure has no kustomization.yaml"), "{message}");
    assert!(message.contains("recurses into ./infrastructure/cert-manager"), "{message}");
    assert_eq!(pair["severity"], "error", "a Namespace applied twice");
    let identical = f.iter().find(|f| f["file"] == "clusters/prod/monitoring.yaml" && f["line"] == 24).unwrap();
    assert_eq!(identical["severity"], "warning", "{identical}");
    assert!(identical["message"].as_str().unwrap().contains("4 objects"), "{identical}");
    // A kustomization.yaml that does not list the child's directory is no cause.
    let pasted = f.iter().find(|f| f["file"] == "platform/a/b/shared.yaml").unwrap();
    assert!(!pasted["message"].as_str().unwrap().contains("kustomization.yaml"), "{pasted}");
}
