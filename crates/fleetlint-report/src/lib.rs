//! fleetlint-report: renders findings for people (human) and programs (json). Reporters only
//! render: every decision about what is wrong was made by the rules.

pub mod human;
pub mod json;
mod model;

pub use model::{ClusterSummary, FluxVersion, Lockdown, ReportInput};
