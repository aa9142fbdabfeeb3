//! fleetlint-report: renders findings for people (human) and programs (json), and the per-cluster
//! object graph (JSON, Mermaid, DOT). Reporters only render: every decision about what is wrong
//! was made by the rules.

mod graph;
pub mod human;
pub mod json;
mod model;

pub use graph::{
    EdgeReason, GraphCluster, GraphEdge, GraphInput, GraphNode, GraphScope, graph_dot, graph_json, graph_mermaid,
};
pub use model::{ClusterSummary, FluxVersion, Lockdown, ReportInput};
