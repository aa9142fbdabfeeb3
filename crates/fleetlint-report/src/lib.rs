//! fleetlint-report: renders findings for people (human), programs (json), code scanning
//! (sarif), pull-request annotations (github), test dashboards (junit) and GitLab Code Quality
//! (gitlab); the baseline file; and the per-cluster object graph (JSON, Mermaid, DOT). Reporters
//! only render: every decision about what is wrong was made by the rules.

pub mod baseline;
pub mod github;
pub mod gitlab;
mod graph;
pub mod human;
pub mod json;
pub mod junit;
mod model;
pub mod sarif;

pub use graph::{
    EdgeReason, GraphCluster, GraphEdge, GraphInput, GraphNode, GraphScope, graph_dot, graph_json, graph_mermaid,
};
pub use model::{ClusterSummary, FluxVersion, FoundBy, Lockdown, RejectedRoot, RepoPaths, ReportInput};
