//! Scale: clusters built in memory with tens of thousands of Kustomizations in one dependsOn
//! chain, one owner chain, or one cycle. Every ORD rule must finish (iteratively: no stack
//! overflow on the 2 MiB test threads) in time linear in the graph; run times are printed.

#![allow(clippy::print_stderr)] // run times are for the person running the tests

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use fleetlint_fleet::controllers::Controllers;
use fleetlint_fleet::{
    BUILTIN_NAMESPACES, Cluster, EntryKind, Fleet, FluxVersion, KustomizationNode, RenderedObject, SourceResolution,
    VersionFrom,
};
use fleetlint_yaml::{FileDb, Limits, Span, TextFile, parse_yaml};

use crate::context::ClusterContext;
use crate::finding::Finding;
use crate::registry::all_rules;

/// One Kustomization document: `dependsOn` the names in `deps`.
fn kustomization(out: &mut String, name: &str, deps: &[String]) {
    let _ = write!(
        out,
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n"
    );
    if !deps.is_empty() {
        out.push_str("  dependsOn:\n");
        for d in deps {
            let _ = writeln!(out, "    - name: {d}");
        }
    }
    out.push_str("  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./apps\n");
}

/// A cluster of the documents in `text`; `owner(i)` gives the renderer of document `i` (the
/// first document is the root). Kustomizations count as built from the checked tree.
fn cluster(text: String, owner: impl Fn(usize) -> Option<usize>) -> (FileDb, Fleet) {
    let mut db = FileDb::new();
    let id = db.add(TextFile::new("gen.yaml".into(), None, PathBuf::from("gen.yaml"), text.clone().into()));
    let parsed = parse_yaml(id, &text, &Limits::default());
    let objects: Vec<RenderedObject> = parsed
        .documents
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let mut o = RenderedObject::new(d.root);
            o.owner = owner(i);
            o
        })
        .collect();
    let kustomizations = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind() == "Kustomization")
        .map(|(i, _)| KustomizationNode {
            object: i,
            source: SourceResolution::Tree(0),
            path: "apps".into(),
            built: true,
            rendered: Vec::new(),
            variables: None,
        })
        .collect();
    let c = Cluster {
        name: "scale".into(),
        path: "clusters/scale".into(),
        entry: EntryKind::Synthesized,
        entry_span: Span::default(),
        found_by: fleetlint_fleet::FoundBy { span: Span::default(), reason: fleetlint_fleet::FoundReason::Convention },
        source_root: None,
        flux_version: FluxVersion { value: "2.9.0".into(), from: VersionFrom::Assumed },
        controllers: Controllers::default(),
        objects,
        kustomizations,
        tenants: BTreeMap::new(),
        namespace_tenant: BTreeMap::new(),
        tenant_accounts: BTreeMap::new(),
        platform_namespaces: vec!["flux-system".into()],
        preexisting_namespaces: BUILTIN_NAMESPACES.iter().map(|s| (*s).to_string()).collect(),
        preexisting_configured: false,
        build_issues: Vec::new(),
        build_issue_owners: Vec::new(),
        issues: Vec::new(),
        platform_tenant_labels: Vec::new(),
        hub: None,
        crd_providers: std::collections::BTreeMap::new(),
        substitution_webhooks: Vec::new(),
        kubernetes_version: None,
    };
    (db, Fleet { clusters: vec![c], ..Fleet::default() })
}

/// Run every ORD rule over the only cluster, printing how long it took.
fn run_ordering_rules(label: &str, db: &FileDb, fleet: &Fleet) -> Vec<Finding> {
    let cx = ClusterContext::new(&fleet.clusters[0], fleet, db, &[]);
    let started = Instant::now();
    let mut out = Vec::new();
    let mut each = Vec::new();
    for rule in all_rules().iter().filter(|r| r.meta().code.starts_with("ORD")) {
        let t = Instant::now();
        rule.check_cluster(&cx, &mut out);
        each.push(format!("{} {:.2?}", rule.meta().code, t.elapsed()));
    }
    eprintln!("{label}: {}", each.join(", "));
    eprintln!("{label}: ORD001-ORD007 over {} objects in {:.2?}", fleet.clusters[0].objects.len(), started.elapsed());
    out
}

/// The documents every scale cluster renders besides its Kustomizations: a Namespace and a CRD
/// (rendered by the Kustomization at `provider`), and, per Kustomization, a custom resource in
/// that namespace, so that ORD003/ORD004/ORD005 walk the whole graph.
fn widget_crd() -> &'static str {
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Widget\n    plural: widgets\n"
}

/// Every how many Kustomizations one renders a Widget (the walks cover the whole graph anyway).
const STEP: usize = 10;

fn widget(out: &mut String, name: &str) {
    let _ =
        write!(out, "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n  namespace: apps\n");
}

#[test]
fn a_30000_long_dependson_chain_is_checked_in_linear_time() {
    const N: usize = 30_000;
    // Documents: 0 root, 1..=N the chain k1 -> k2 -> ... -> kN, then kN's Namespace and CRD,
    // then a Widget for every STEP-th chain member, k1 first.
    let mut text = String::new();
    kustomization(&mut text, "root", &[]);
    for i in 1..=N {
        let deps = if i < N { vec![format!("k{}", i + 1)] } else { Vec::new() };
        kustomization(&mut text, &format!("k{i}"), &deps);
    }
    text.push_str(widget_crd());
    for i in (1..=N).step_by(STEP) {
        widget(&mut text, &format!("w{i}"));
    }
    let (db, fleet) = cluster(text, |i| match i {
        0 => None,
        i if i <= N => Some(0),
        i if i <= N + 2 => Some(N),
        i => Some(1 + (i - N - 3) * STEP),
    });
    let findings = run_ordering_rules("dependsOn chain of 30000", &db, &fleet);
    // Everything is in place through the chain: kN renders the namespace and the CRD, and
    // every member (transitively) depends on kN.
    assert!(findings.is_empty(), "{:?}", findings.iter().take(3).map(|f| &f.message).collect::<Vec<_>>());
}

#[test]
fn a_30000_deep_owner_chain_is_checked_in_linear_time() {
    const N: usize = 30_000;
    // k0 renders the Namespace, the CRD and k1; k(i) renders k(i+1), and every STEP-th one a
    // Widget.
    let mut text = String::new();
    for i in 0..N {
        kustomization(&mut text, &format!("k{i}"), &[]);
    }
    text.push_str(widget_crd());
    for i in (0..N).step_by(STEP) {
        widget(&mut text, &format!("w{i}"));
    }
    let (db, fleet) = cluster(text, |i| match i {
        0 => None,
        i if i < N => Some(i - 1),
        i if i < N + 2 => Some(0),
        i => Some((i - N - 2) * STEP),
    });
    let findings = run_ordering_rules("owner chain of 30000", &db, &fleet);
    assert!(findings.is_empty(), "{:?}", findings.iter().take(3).map(|f| &f.message).collect::<Vec<_>>());
    let mut text = String::new();
    for i in 0..N {
        kustomization(&mut text, &format!("k{i}"), &[]);
    }
    text.push_str(widget_crd());
    widget(&mut text, "deep");
    // Now the Namespace and CRD are rendered by the deepest member, the Widget by the top:
    // neither is in place before k0.
    let (db, fleet) = cluster(text, |i| match i {
        0 => None,
        i if i < N => Some(i - 1),
        i if i < N + 2 => Some(N - 1),
        _ => Some(0),
    });
    let findings = run_ordering_rules("owner chain of 30000, provider at the bottom", &db, &fleet);
    let codes: Vec<&str> = findings.iter().map(Finding::code).collect();
    assert_eq!(codes, ["ORD003", "ORD004"], "{:?}", findings.iter().map(|f| &f.message).collect::<Vec<_>>());
}

#[test]
fn a_20000_member_cycle_is_one_finding_naming_the_whole_cycle() {
    const N: usize = 20_000;
    let mut text = String::new();
    kustomization(&mut text, "root", &[]);
    for i in 0..N {
        kustomization(&mut text, &format!("c{i:05}"), &[format!("c{:05}", (i + 1) % N)]);
    }
    let (db, fleet) = cluster(text, |i| (i > 0).then_some(0));
    let findings = run_ordering_rules("dependsOn cycle of 20000", &db, &fleet);
    let cycles: Vec<&Finding> = findings.iter().filter(|f| f.code() == "ORD002").collect();
    assert_eq!(cycles.len(), 1, "one finding per cycle, not per member");
    let f = cycles[0];
    assert!(
        f.message.starts_with("Kustomization dependsOn cycle: flux-system/c00000 -> flux-system/c00001 -> "),
        "{}",
        f.message
    );
    assert!(f.message.contains(&format!("... {} more ...", N + 1 - 12)), "{}", f.message);
    assert!(f.message.contains("flux-system/c19999 -> flux-system/c00000"), "{}", f.message);
    assert_eq!(f.related.len(), N, "every member's dependsOn entry is related");
    assert_eq!(findings.len(), 1, "{:?}", findings.iter().map(|x| &x.message).collect::<Vec<_>>());
}
