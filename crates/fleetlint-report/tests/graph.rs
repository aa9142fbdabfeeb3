//! Graph renderers: the JSON contract, and the structure of the Mermaid and DOT drawings.

use std::collections::{HashMap, HashSet};

use fleetlint_report::{
    EdgeReason, GraphCluster, GraphEdge, GraphInput, GraphNode, GraphScope, graph_dot, graph_json, graph_mermaid,
};
use serde_json::Value;

const FLUX_KS: &str = "Kustomization/flux-system/flux-system";
const FLUX_GIT: &str = "GitRepository/flux-system/flux-system";
const TENANTS_KS: &str = "Kustomization/flux-system/tenants";
const APPS_KS: &str = "Kustomization/team-a/apps";
const QUOTED_HR: &str = "HelmRelease/team-a/say-\"hi\"";
const REMOTE_KS: &str = "Kustomization/team-b/remote";

fn node(id: &str, tenant: Option<&str>) -> GraphNode {
    let mut parts = id.splitn(3, '/');
    let (kind, namespace, name) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    GraphNode {
        id: id.to_owned(),
        kind: kind.to_owned(),
        api_version: None,
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        tenant: tenant.map(str::to_owned),
        scope: Some(if tenant.is_some() { GraphScope::Tenant } else { GraphScope::Platform }),
        opaque: false,
        file: None,
        line: None,
    }
}

fn edge(from: &str, to: &str, reason: EdgeReason) -> GraphEdge {
    GraphEdge { from: from.to_owned(), to: to.to_owned(), reason }
}

/// Two clusters that share the `flux-system` objects; production has two tenants, one of them
/// behind an opaque (remote) Kustomization, and every edge reason.
fn input() -> GraphInput {
    let mut flux_ks = node(FLUX_KS, None);
    flux_ks.api_version = Some("kustomize.toolkit.fluxcd.io/v1".to_owned());
    flux_ks.file = Some("clusters/production/flux-system/gotk-sync.yaml".to_owned());
    flux_ks.line = Some(12);
    let mut remote = node(REMOTE_KS, Some("team-b"));
    remote.opaque = true;
    let mut unscoped = node("Namespace//team-a", None);
    unscoped.scope = None;
    let production = GraphCluster {
        name: "production".to_owned(),
        path: "clusters/production".to_owned(),
        nodes: vec![
            flux_ks,
            node(FLUX_GIT, None),
            node(TENANTS_KS, None),
            node(APPS_KS, Some("team-a")),
            node(QUOTED_HR, Some("team-a")),
            remote,
            unscoped,
        ],
        edges: vec![
            edge(FLUX_KS, FLUX_GIT, EdgeReason::Source),
            edge(FLUX_KS, TENANTS_KS, EdgeReason::Renders),
            edge(TENANTS_KS, APPS_KS, EdgeReason::Renders),
            edge(TENANTS_KS, REMOTE_KS, EdgeReason::Renders),
            edge(APPS_KS, QUOTED_HR, EdgeReason::Renders),
            edge(REMOTE_KS, APPS_KS, EdgeReason::DependsOn),
        ],
    };
    let staging = GraphCluster {
        name: "staging".to_owned(),
        path: "clusters/staging".to_owned(),
        nodes: vec![node(FLUX_KS, None), node(FLUX_GIT, None), node(APPS_KS, Some("team-a"))],
        edges: vec![edge(FLUX_KS, FLUX_GIT, EdgeReason::Source), edge(FLUX_KS, APPS_KS, EdgeReason::Renders)],
    };
    GraphInput { clusters: vec![production, staging] }
}

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/graph.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn keys_of(schema: &Value) -> HashSet<String> {
    schema["properties"].as_object().unwrap().keys().cloned().collect()
}

// ---- JSON ------------------------------------------------------------------------------------

#[test]
fn json_validates_against_schema_and_has_no_extra_fields() {
    let text = graph_json(&input());
    assert!(text.ends_with("}\n") && text.contains("\n  \"clusters\": ["), "pretty with trailing newline:\n{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "graph does not match the schema:\n{}", errors.join("\n"));

    // The schema does not forbid additional properties, so check "exactly these fields" here.
    let cluster_schema = &schema["properties"]["clusters"]["items"];
    let node_keys = keys_of(&cluster_schema["properties"]["nodes"]["items"]);
    let edge_keys = keys_of(&cluster_schema["properties"]["edges"]["items"]);
    let subset = |v: &Value, allowed: &HashSet<String>| v.as_object().unwrap().keys().all(|k| allowed.contains(k));
    assert!(subset(&json, &keys_of(&schema)));
    for cluster in json["clusters"].as_array().unwrap() {
        assert!(subset(cluster, &keys_of(cluster_schema)), "{cluster}");
        cluster["nodes"].as_array().unwrap().iter().for_each(|n| assert!(subset(n, &node_keys), "{n}"));
        cluster["edges"].as_array().unwrap().iter().for_each(|e| assert!(subset(e, &edge_keys), "{e}"));
    }
}

#[test]
fn json_round_trips_ids_edges_tenants_and_opaque() {
    let input = input();
    let json: Value = serde_json::from_str(&graph_json(&input)).unwrap();
    assert_eq!(json["version"], 1);
    let clusters = json["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), input.clusters.len());
    for (cluster, expected) in clusters.iter().zip(&input.clusters) {
        assert_eq!(cluster["name"], expected.name.as_str());
        assert_eq!(cluster["path"], expected.path.as_str());
        let nodes = cluster["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), expected.nodes.len());
        for (n, e) in nodes.iter().zip(&expected.nodes) {
            assert_eq!(n["id"], e.id.as_str());
            assert_eq!(n["kind"], e.kind.as_str());
            assert_eq!(n["namespace"], e.namespace.as_str());
            assert_eq!(n["name"], e.name.as_str());
            assert_eq!(n["opaque"], e.opaque, "{n}");
            match &e.tenant {
                Some(t) => assert_eq!(n["tenant"], t.as_str()),
                // Present and null, not missing: null is the schema's "platform".
                None => assert_eq!(n.get("tenant"), Some(&Value::Null), "{n}"),
            }
            match e.scope {
                Some(s) => assert_eq!(n["scope"], s.as_str()),
                None => assert!(n.get("scope").is_none(), "{n}"),
            }
            assert_eq!(n.get("apiVersion").and_then(Value::as_str), e.api_version.as_deref());
            assert_eq!(n.get("file").and_then(Value::as_str), e.file.as_deref());
            assert_eq!(n.get("line").and_then(Value::as_u64), e.line.map(u64::from));
        }
        let edges: Vec<(&str, &str, &str)> = cluster["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap(), e["reason"].as_str().unwrap()))
            .collect();
        let wanted: Vec<(&str, &str, &str)> =
            expected.edges.iter().map(|e| (e.from.as_str(), e.to.as_str(), e.reason.as_str())).collect();
        assert_eq!(edges, wanted);
    }
    // Spot-check the spellings rather than trusting as_str against itself.
    let prod = &clusters[0];
    assert_eq!(prod["edges"][0]["reason"], "source");
    assert_eq!(prod["edges"][1]["reason"], "renders");
    assert_eq!(prod["edges"][5]["reason"], "dependsOn");
    assert_eq!(prod["nodes"][0]["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(prod["nodes"][0]["scope"], "platform");
    assert_eq!(prod["nodes"][3]["scope"], "tenant");
    assert_eq!(prod["nodes"][5]["opaque"], true);
    assert_eq!(prod["nodes"][4]["id"], "HelmRelease/team-a/say-\"hi\"");
}

// ---- Mermaid ---------------------------------------------------------------------------------

/// Node declarations: Mermaid id -> (label, enclosing subgraph titles outermost first, whole line).
fn mermaid_nodes(text: &str) -> HashMap<String, (String, Vec<String>, String)> {
    let mut stack: Vec<String> = Vec::new();
    let mut nodes = HashMap::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("subgraph ") {
            let title = rest.split_once("[\"").unwrap().1.strip_suffix("\"]").unwrap();
            stack.push(title.to_owned());
        } else if line == "end" {
            stack.pop().expect("`end` without `subgraph`");
        } else if let Some((id, rest)) = line.split_once("[\"") {
            let label = rest.rsplit_once("\"]").unwrap().0;
            let previous = nodes.insert(id.to_owned(), (label.to_owned(), stack.clone(), line.to_owned()));
            assert!(previous.is_none(), "{id} declared twice");
        }
    }
    assert!(stack.is_empty(), "unclosed subgraph");
    nodes
}

fn mermaid_id<'a>(nodes: &'a HashMap<String, (String, Vec<String>, String)>, cluster: &str, label: &str) -> &'a str {
    let found: Vec<&String> =
        nodes.iter().filter(|(_, (l, stack, _))| l == label && stack[0] == cluster).map(|(id, _)| id).collect();
    assert_eq!(found.len(), 1, "{label} in {cluster}: {found:?}");
    found[0]
}

#[test]
fn mermaid_groups_nodes_by_tenant_within_each_cluster() {
    let text = graph_mermaid(&input());
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    let titles: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("subgraph "))
        .map(|l| l.split_once("[\"").unwrap().1.trim_end_matches("\"]"))
        .collect();
    assert_eq!(titles, ["production", "platform", "team-a", "team-b", "staging", "platform", "team-a"]);

    let nodes = mermaid_nodes(&text);
    assert_eq!(nodes.len(), 10);
    for (id, (label, stack, _)) in &nodes {
        // Flux ids contain '/' and repeat across clusters: Mermaid ids must not.
        assert!(id.starts_with('n') && id[1..].chars().all(|c| c.is_ascii_digit()), "unsafe id {id}");
        assert_eq!(stack.len(), 2, "{label} not inside cluster and group: {stack:?}");
    }
    let group = |cluster, label| nodes[mermaid_id(&nodes, cluster, label)].1[1].clone();
    assert_eq!(group("production", "Kustomization<br/>team-a/apps"), "team-a");
    assert_eq!(group("production", "Kustomization<br/>team-b/remote (opaque)"), "team-b");
    assert_eq!(group("production", "Kustomization<br/>flux-system/tenants"), "platform");
    assert_eq!(group("production", "Namespace<br/>team-a"), "platform");
    assert_eq!(group("staging", "Kustomization<br/>team-a/apps"), "team-a");
    assert_ne!(
        mermaid_id(&nodes, "production", "Kustomization<br/>flux-system/flux-system"),
        mermaid_id(&nodes, "staging", "Kustomization<br/>flux-system/flux-system")
    );
}

#[test]
fn mermaid_single_cluster_is_not_wrapped() {
    let mut input = input();
    input.clusters.truncate(1);
    let text = graph_mermaid(&input);
    assert!(!text.contains("[\"production\"]"), "{text}");
    assert_eq!(text.lines().filter(|l| l.trim_start().starts_with("subgraph ")).count(), 3);
}

#[test]
fn mermaid_marks_only_the_opaque_node() {
    let text = graph_mermaid(&input());
    let nodes = mermaid_nodes(&text);
    let opaque: Vec<&str> =
        nodes.values().filter(|(_, _, line)| line.contains(":::opaque")).map(|n| n.0.as_str()).collect();
    assert_eq!(opaque, ["Kustomization<br/>team-b/remote (opaque)"]);
    assert_eq!(nodes.values().filter(|(label, _, _)| label.contains("(opaque)")).count(), 1);
    assert!(text.lines().any(|l| l.trim() == "classDef opaque stroke-dasharray: 5 5"), "{text}");
}

#[test]
fn mermaid_escapes_quotes_in_labels() {
    let text = graph_mermaid(&input());
    let nodes = mermaid_nodes(&text);
    let (label, _, line) = &nodes[mermaid_id(&nodes, "production", "HelmRelease<br/>team-a/say-#quot;hi#quot;")];
    assert!(!label.contains('"'), "{label}");
    // Exactly the two delimiting quotes: an unescaped quote would end the label early.
    assert_eq!(line.matches('"').count(), 2, "{line}");
}

#[test]
fn mermaid_edges_are_styled_by_reason() {
    let text = graph_mermaid(&input());
    let nodes = mermaid_nodes(&text);
    let id = |label| mermaid_id(&nodes, "production", label);
    let (flux, git, tenants) = (
        id("Kustomization<br/>flux-system/flux-system"),
        id("GitRepository<br/>flux-system/flux-system"),
        id("Kustomization<br/>flux-system/tenants"),
    );
    let (apps, remote) = (id("Kustomization<br/>team-a/apps"), id("Kustomization<br/>team-b/remote (opaque)"));
    let edges: Vec<&str> = text.lines().map(str::trim).filter(|l| l.contains("->")).collect();
    assert_eq!(edges.len(), 8, "{text}");
    for expected in [
        format!("{flux} -->|source| {git}"),
        format!("{flux} --> {tenants}"),
        format!("{remote} -.->|dependsOn| {apps}"),
    ] {
        assert!(edges.contains(&expected.as_str()), "missing `{expected}` in {edges:?}");
    }
}

// ---- DOT -------------------------------------------------------------------------------------

/// Splits a DOT line into quoted strings (unescaped) and the text between them, so braces and
/// arrows inside labels are not mistaken for syntax.
fn dot_tokens(line: &str) -> (Vec<String>, String) {
    let (mut strings, mut bare) = (Vec::new(), String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            bare.push(c);
            continue;
        }
        let mut s = String::new();
        loop {
            match chars.next().expect("unterminated string") {
                '\\' => s.push(chars.next().expect("dangling escape")),
                '"' => break,
                c => s.push(c),
            }
        }
        strings.push(s);
        bare.push_str("\"\"");
    }
    (strings, bare)
}

#[test]
fn dot_braces_balance() {
    let text = graph_dot(&input());
    assert!(text.starts_with("digraph fleet {\n  rankdir=LR;\n"), "{text}");
    let mut depth = 0i32;
    for line in text.lines() {
        for c in dot_tokens(line).1.chars() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            assert!(depth >= 0, "closing brace without opening:\n{text}");
        }
    }
    assert_eq!(depth, 0, "{text}");
    assert_eq!(text.matches("subgraph cluster_").count(), 2 + 5, "{text}");
    assert!(text.contains("subgraph cluster_0_2 {\n      label=\"tenant: team-b\";"), "{text}");
    assert!(text.contains("subgraph cluster_1_0 {\n      label=\"platform\";"), "{text}");
}

#[test]
fn dot_edge_endpoints_are_declared_in_the_same_cluster() {
    let text = graph_dot(&input());
    let mut cluster: Option<String> = None;
    let mut declared: HashMap<String, String> = HashMap::new();
    let mut edges = Vec::new();
    for line in text.lines() {
        let (strings, bare) = dot_tokens(line.trim());
        if let Some(rest) = bare.strip_prefix("subgraph cluster_") {
            let name = rest.trim_end_matches(" {");
            if !name.contains('_') {
                cluster = Some(name.to_owned());
            }
        } else if bare.starts_with("\"\" -> \"\"") {
            edges.push((strings[0].clone(), strings[1].clone(), cluster.clone().unwrap()));
        } else if bare.starts_with("\"\" [") {
            let previous = declared.insert(strings[0].clone(), cluster.clone().unwrap());
            assert!(previous.is_none(), "{} declared twice", strings[0]);
        }
    }
    assert_eq!(edges.len(), 8);
    for (from, to, cluster) in &edges {
        for end in [from, to] {
            assert_eq!(declared.get(end), Some(cluster), "{end} (edge in cluster_{cluster}) not declared there");
        }
    }
    // The shared flux-system object is two nodes, one per cluster.
    assert_eq!(declared.get(&format!("0:{FLUX_KS}")).map(String::as_str), Some("0"));
    assert_eq!(declared.get(&format!("1:{FLUX_KS}")).map(String::as_str), Some("1"));
    assert!(declared.contains_key(&format!("0:{QUOTED_HR}")), "quote in id must round-trip: {declared:?}");
}

#[test]
fn dot_styles_opaque_nodes_sources_and_edges() {
    let text = graph_dot(&input());
    let line_of = |needle: &str| -> &str {
        let found: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with(needle)).collect();
        assert_eq!(found.len(), 1, "{needle}: {found:?}");
        found[0]
    };
    let remote = line_of(&format!("\"0:{REMOTE_KS}\" ["));
    assert!(remote.contains("style=dashed") && remote.contains("(opaque)"), "{remote}");
    let dashed_nodes = text.lines().filter(|l| l.contains("style=dashed") && !l.contains("->")).count();
    assert_eq!(dashed_nodes, 1, "{text}");
    assert!(line_of(&format!("\"0:{FLUX_GIT}\" [")).contains("shape=cylinder"));
    assert!(!line_of(&format!("\"0:{APPS_KS}\" [")).contains("cylinder"));
    assert!(line_of(&format!("\"0:{APPS_KS}\" [")).contains("label=\"Kustomization\\nteam-a/apps\""));
    assert!(line_of(&format!("\"0:{REMOTE_KS}\" -> ")).contains("[style=dashed, label=\"dependsOn\"]"));
    assert!(line_of(&format!("\"0:{FLUX_KS}\" -> \"0:{FLUX_GIT}\"")).contains("[style=dotted]"));
    assert!(line_of(&format!("\"0:{FLUX_KS}\" -> \"0:{TENANTS_KS}\"")).ends_with("\";"));
}

#[test]
fn edges_to_unknown_ids_are_drawn_inside_their_cluster() {
    let mut input = input();
    input.clusters[1].edges.push(edge(APPS_KS, "HelmRelease/team-a/missing", EdgeReason::Renders));
    let dot = graph_dot(&input);
    let stray = "    \"1:HelmRelease/team-a/missing\" [label=\"HelmRelease/team-a/missing\"];";
    let (declared, closed) = (dot.find(stray).expect(&dot), dot.rfind("\n  }\n}").unwrap());
    assert!(declared < closed && declared > dot.find("subgraph cluster_1 {").unwrap(), "{dot}");
    let mermaid = graph_mermaid(&input);
    assert!(mermaid.contains("    n10[\"HelmRelease/team-a/missing\"]\n  end\n"), "{mermaid}");
    assert!(mermaid.contains("  n9 --> n10\n"), "{mermaid}");
}
