//! `fleetlint graph`: per cluster, the Flux objects and how they relate, as JSON
//! (`schemas/graph.schema.json`, version 1), Mermaid or Graphviz DOT.
//!
//! The model is plain data with no dependency on the other fleetlint crates: the caller maps its
//! fleet model into it, and this module only draws. Every renderer keeps input order, so the same
//! input always gives byte-identical output (diffable in CI and in docs).

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Everything `fleetlint graph` renders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphInput {
    /// One entry per cluster entry point, in report order.
    pub clusters: Vec<GraphCluster>,
}

/// One cluster's object graph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphCluster {
    /// Unique name, as in the check report's `clusters[].name`.
    pub name: String,
    /// Entry directory relative to the root.
    pub path: String,
    /// The Flux objects reached from the entry point.
    pub nodes: Vec<GraphNode>,
    /// Relations between nodes, by node id.
    pub edges: Vec<GraphEdge>,
}

/// One Flux object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphNode {
    /// `Kind/namespace/name`; unique within a cluster, not across clusters.
    pub id: String,
    /// e.g. `Kustomization`.
    pub kind: String,
    /// e.g. `kustomize.toolkit.fluxcd.io/v1`, when the object states one.
    pub api_version: Option<String>,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// The tenant that owns the object; `None` for platform objects.
    pub tenant: Option<String>,
    /// Whether the object belongs to a tenant or to the platform, when known.
    pub scope: Option<GraphScope>,
    /// Its source is not mapped to a local tree, so what it renders is unknown.
    pub opaque: bool,
    /// File the object was read from, relative to the root.
    pub file: Option<String>,
    /// 1-based line of the object in `file`.
    pub line: Option<u32>,
}

/// Who an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphScope {
    /// A tenant's object.
    Tenant,
    /// The platform team's object.
    Platform,
}

impl GraphScope {
    /// The schema's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Platform => "platform",
        }
    }
}

/// A directed relation between two nodes of the same cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// Id of the source node.
    pub from: String,
    /// Id of the target node.
    pub to: String,
    /// Why the edge exists.
    pub reason: EdgeReason,
}

/// Why an edge exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeReason {
    /// From the object that declares `dependsOn` to its dependency.
    DependsOn,
    /// From a Flux Kustomization to a Flux object it renders.
    Renders,
    /// From a consumer (Kustomization, HelmRelease, HelmChart) to the source it reads.
    Source,
}

impl EdgeReason {
    /// The schema's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DependsOn => "dependsOn",
            Self::Renders => "renders",
            Self::Source => "source",
        }
    }
}

// ---- JSON ------------------------------------------------------------------------------------

/// Wire types, kept apart from the model so the public structs carry no serde attributes and the
/// output has exactly the schema's fields.
#[derive(Serialize)]
struct GraphJson<'a> {
    version: u32,
    clusters: Vec<ClusterJson<'a>>,
}

#[derive(Serialize)]
struct ClusterJson<'a> {
    name: &'a str,
    path: &'a str,
    nodes: Vec<NodeJson<'a>>,
    edges: Vec<EdgeJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJson<'a> {
    id: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_version: Option<&'a str>,
    namespace: &'a str,
    name: &'a str,
    /// Always present: `null` says "platform" explicitly rather than "unknown".
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    opaque: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    reason: &'static str,
}

/// Render the graph as pretty JSON (`schemas/graph.schema.json`), with a trailing newline.
#[must_use]
pub fn graph_json(input: &GraphInput) -> String {
    let graph = GraphJson {
        version: 1,
        clusters: input
            .clusters
            .iter()
            .map(|c| ClusterJson {
                name: &c.name,
                path: &c.path,
                nodes: c
                    .nodes
                    .iter()
                    .map(|n| NodeJson {
                        id: &n.id,
                        kind: &n.kind,
                        api_version: n.api_version.as_deref(),
                        namespace: &n.namespace,
                        name: &n.name,
                        tenant: n.tenant.as_deref(),
                        scope: n.scope.map(GraphScope::as_str),
                        opaque: n.opaque,
                        file: n.file.as_deref(),
                        // The schema wants lines >= 1; a 0 means "unknown", so it is left out.
                        line: n.line.filter(|&l| l > 0),
                    })
                    .collect(),
                edges: c
                    .edges
                    .iter()
                    .map(|e| EdgeJson { from: &e.from, to: &e.to, reason: e.reason.as_str() })
                    .collect(),
            })
            .collect(),
    };
    // Only structs with string fields: serialisation cannot fail.
    let mut out = serde_json::to_string_pretty(&graph).expect("graph JSON serialises");
    out.push('\n');
    out
}

// ---- layout shared by Mermaid and DOT ----------------------------------------------------------

/// A cluster's drawing order: tenant groups in order of first appearance (nodes without a tenant
/// form the platform group, keyed `None`), then "strays": edge endpoints that name no node. Strays
/// are drawn as plain nodes inside the cluster so that an edge never silently creates an unlabelled
/// node outside it. Local indices `0..nodes.len()` are nodes; strays follow.
struct Layout<'a> {
    groups: Vec<(Option<&'a str>, Vec<usize>)>,
    strays: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Layout<'a> {
    fn new(cluster: &'a GraphCluster) -> Self {
        let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        let mut index = HashMap::new();
        for (i, node) in cluster.nodes.iter().enumerate() {
            // A duplicated id keeps its first node, so edges attach somewhere predictable.
            index.entry(node.id.as_str()).or_insert(i);
            let tenant = node.tenant.as_deref();
            match groups.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, members)) => members.push(i),
                None => groups.push((tenant, vec![i])),
            }
        }
        let mut strays = Vec::new();
        for edge in &cluster.edges {
            for id in [edge.from.as_str(), edge.to.as_str()] {
                if !index.contains_key(id) {
                    index.insert(id, cluster.nodes.len() + strays.len());
                    strays.push(id);
                }
            }
        }
        Self { groups, strays, index }
    }

    /// Total local indices (nodes and strays), so callers can number the next cluster.
    fn len(&self, cluster: &GraphCluster) -> usize {
        cluster.nodes.len() + self.strays.len()
    }
}

/// `namespace/name`, or just `name` for cluster-scoped objects.
fn qualified(node: &GraphNode) -> String {
    if node.namespace.is_empty() { node.name.clone() } else { format!("{}/{}", node.namespace, node.name) }
}

// ---- Mermaid ---------------------------------------------------------------------------------

/// Escape text for a quoted Mermaid label. Mermaid has no backslash escapes; it decodes
/// `#name;` / `#code;` entities, so `#` itself must be escaped first, and `<`/`>`/`&` too because
/// labels are HTML (we emit `<br/>` ourselves).
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Render the graph as a Mermaid `flowchart LR`.
///
/// Node ids are `n0`, `n1`, … numbered across all clusters (Flux ids contain `/` and repeat
/// between clusters); labels read `Kind<br/>namespace/name`. With several clusters each becomes
/// a `subgraph` titled with its name. Inside, nodes sit in one `subgraph` per tenant (titled with
/// the tenant) and one titled `platform`. Opaque nodes get class `opaque` (dashed border) and the
/// suffix ` (opaque)`. Edges are emitted after all subgraphs, because Mermaid moves a node into
/// whichever subgraph mentions it, and are styled by reason:
/// `renders` `-->`, `dependsOn` `-.->|dependsOn|`, `source` `-->|source|`.
#[must_use]
pub fn graph_mermaid(input: &GraphInput) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut edges = String::new();
    let wrap = input.clusters.len() > 1;
    let mut base = 0;
    for (ci, cluster) in input.clusters.iter().enumerate() {
        let layout = Layout::new(cluster);
        let pad = if wrap { "    " } else { "  " };
        if wrap {
            let _ = writeln!(out, "  subgraph c{ci}[\"{}\"]", mermaid_escape(&cluster.name));
        }
        for (gi, (tenant, members)) in layout.groups.iter().enumerate() {
            let title = mermaid_escape(tenant.unwrap_or("platform"));
            let _ = writeln!(out, "{pad}subgraph c{ci}t{gi}[\"{title}\"]");
            for &i in members {
                let node = &cluster.nodes[i];
                let label = format!("{}<br/>{}", mermaid_escape(&node.kind), mermaid_escape(&qualified(node)));
                let (suffix, class) = if node.opaque { (" (opaque)", ":::opaque") } else { ("", "") };
                let _ = writeln!(out, "{pad}  n{}[\"{label}{suffix}\"]{class}", base + i);
            }
            let _ = writeln!(out, "{pad}end");
        }
        for (si, id) in layout.strays.iter().enumerate() {
            let _ = writeln!(out, "{pad}n{}[\"{}\"]", base + cluster.nodes.len() + si, mermaid_escape(id));
        }
        if wrap {
            out.push_str("  end\n");
        }
        for edge in &cluster.edges {
            let arrow = match edge.reason {
                EdgeReason::Renders => "-->",
                EdgeReason::DependsOn => "-.->|dependsOn|",
                EdgeReason::Source => "-->|source|",
            };
            let (from, to) = (base + layout.index[edge.from.as_str()], base + layout.index[edge.to.as_str()]);
            let _ = writeln!(edges, "  n{from} {arrow} n{to}");
        }
        base += layout.len(cluster);
    }
    out.push_str(&edges);
    out.push_str("  classDef opaque stroke-dasharray: 5 5\n");
    out
}

// ---- DOT -------------------------------------------------------------------------------------

/// Flux source kinds, drawn as cylinders (stores the consumers read from).
const SOURCE_KINDS: &[&str] =
    &["GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact"];

/// Escape text for a DOT double-quoted string: backslash and quote, and raw line breaks become
/// DOT's `\n` so every statement stays on one line.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Render the graph as Graphviz DOT.
///
/// One `subgraph cluster_<n>` per fleet cluster (labelled with its name), nested
/// `subgraph cluster_<n>_<t>` per tenant (`tenant: X`) and for the platform (`platform`). Node ids
/// are `"<n>:Kind/namespace/name"`: the cluster index prefix keeps an object that two clusters
/// share (e.g. `flux-system`) from being merged into one node across clusters. Nodes are boxes,
/// Flux sources cylinders, opaque nodes dashed with a ` (opaque)` suffix. Edges: `renders`
/// solid, `dependsOn` dashed and labelled, `source` dotted.
#[must_use]
pub fn graph_dot(input: &GraphInput) -> String {
    let mut out = String::from("digraph fleet {\n  rankdir=LR;\n  node [shape=box];\n");
    for (ci, cluster) in input.clusters.iter().enumerate() {
        let layout = Layout::new(cluster);
        let id = |raw: &str| format!("\"{ci}:{}\"", dot_escape(raw));
        let _ = writeln!(out, "  subgraph cluster_{ci} {{\n    label=\"{}\";", dot_escape(&cluster.name));
        for (gi, (tenant, members)) in layout.groups.iter().enumerate() {
            let title = tenant.map_or_else(|| "platform".to_owned(), |t| format!("tenant: {t}"));
            let _ = writeln!(out, "    subgraph cluster_{ci}_{gi} {{\n      label=\"{}\";", dot_escape(&title));
            for &i in members {
                let node = &cluster.nodes[i];
                let suffix = if node.opaque { " (opaque)" } else { "" };
                let mut attrs =
                    format!("label=\"{}\\n{}{suffix}\"", dot_escape(&node.kind), dot_escape(&qualified(node)));
                if SOURCE_KINDS.contains(&node.kind.as_str()) {
                    attrs.push_str(", shape=cylinder");
                }
                if node.opaque {
                    attrs.push_str(", style=dashed");
                }
                let _ = writeln!(out, "      {} [{attrs}];", id(&node.id));
            }
            out.push_str("    }\n");
        }
        for stray in &layout.strays {
            let _ = writeln!(out, "    {} [label=\"{}\"];", id(stray), dot_escape(stray));
        }
        for edge in &cluster.edges {
            let attrs = match edge.reason {
                EdgeReason::Renders => "",
                EdgeReason::DependsOn => " [style=dashed, label=\"dependsOn\"]",
                EdgeReason::Source => " [style=dotted]",
            };
            let _ = writeln!(out, "    {} -> {}{attrs};", id(&edge.from), id(&edge.to));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}
