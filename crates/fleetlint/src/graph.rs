//! `fleetlint graph`: each cluster's Flux objects and how they relate, as Mermaid, DOT or JSON.

use clap::ValueEnum;

use fleetlint_fleet::Session;
use fleetlint_fleet::graph::FluxGraph;
use fleetlint_fleet::{Cluster, SourceResolution};
use fleetlint_report::{
    EdgeReason, GraphCluster, GraphEdge, GraphInput, GraphNode, GraphScope, graph_dot, graph_json, graph_mermaid,
};

use crate::{FleetArgs, write_stdout};

#[derive(clap::Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) fleet: FleetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub(crate) format: GraphFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

pub(crate) fn graph(args: &GraphArgs) -> Result<u8, String> {
    let session = args.fleet.load()?;
    let input = GraphInput { clusters: session.fleet.clusters.iter().map(|c| graph_cluster(&session, c)).collect() };
    let text = match args.format {
        GraphFormat::Mermaid => graph_mermaid(&input),
        GraphFormat::Dot => graph_dot(&input),
        GraphFormat::Json => graph_json(&input),
    };
    write_stdout(&text)?;
    Ok(0)
}

/// The Flux objects of a cluster and their edges: `renders` from a Kustomization to the Flux
/// objects it rendered, `dependsOn` to same-kind dependencies, `source` from a consumer to its
/// source.
fn graph_cluster(session: &Session, c: &Cluster) -> GraphCluster {
    let flux: Vec<usize> = (0..c.objects.len()).filter(|&i| c.objects[i].flux_kind().is_some()).collect();
    let mut nodes = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for &i in &flux {
        let o = &c.objects[i];
        let id = o.id();
        if !ids.insert(id.clone()) {
            continue;
        }
        let (file, line) = if o.synthesized {
            (None, None)
        } else {
            let f = session.db.get(o.root.span.file);
            (Some(f.path.clone()), Some(f.line_col(o.root.span.start).line))
        };
        let opaque = c.kustomization_of(i).is_some_and(|k| k.source == SourceResolution::Unmapped);
        nodes.push(GraphNode {
            id,
            kind: o.kind().to_string(),
            api_version: Some(o.api_version().to_string()),
            namespace: o.namespace().to_string(),
            name: o.name().to_string(),
            tenant: o.tenant.clone(),
            scope: Some(match o.scope {
                fleetlint_fleet::Scope::Tenant => GraphScope::Tenant,
                fleetlint_fleet::Scope::Platform => GraphScope::Platform,
            }),
            opaque,
            file,
            line,
        });
    }
    let graph = FluxGraph::new(c);
    let mut edges = Vec::new();
    let mut seen_edges = std::collections::HashSet::new();
    let mut push = |from: String, to: String, reason: EdgeReason| {
        if ids.contains(&to) && seen_edges.insert((from.clone(), to.clone(), reason.as_str())) {
            edges.push(GraphEdge { from, to, reason });
        }
    };
    for &i in &flux {
        let o = &c.objects[i];
        let id = o.id();
        if let Some(owner) = graph.parent[i].map(|p| c.objects[p].id()).filter(|p| *p != id) {
            push(owner, id.clone(), EdgeReason::Renders);
        }
        for dep in graph.depends_on_of(i) {
            if let Some(t) = dep.target {
                push(id.clone(), c.objects[t].id(), EdgeReason::DependsOn);
            }
        }
        for src in graph.sources_of(i) {
            if let Some(t) = src.target {
                push(id.clone(), c.objects[t].id(), EdgeReason::Source);
            }
        }
    }
    GraphCluster { name: c.name.clone(), path: c.path.clone(), nodes, edges }
}
