//! fleetlint-kustomize: resolves kustomize overlays in-process, the way kustomize v5 does, and
//! keeps for every value the file and span that wrote it (provenance by construction: nodes
//! written by a patch or transformer carry that patch's or field's span).
//!
//! Entry point: [`Resolver::build`] for a tree-relative directory (cached per directory), or
//! [`Resolver::build_kustomization`] for an in-memory kustomization; [`to_yaml`] prints the
//! result like `kubectl kustomize`.
//!
//! The differential oracle is kustomize 5.5 (`kubectl kustomize` v1.32); Flux 2.9 builds with
//! kustomize 5.8. Nothing this crate relies on differs between the two so far; any divergence
//! found is documented at the code that follows 5.8.

pub mod generated;
pub mod patch;

mod buildmeta;
mod crds;
mod emit;
mod fieldspec;
mod generator;
mod issue;
mod kustfile;
mod nameref;
mod openapi;
mod order;
mod patches;
mod replacements;
mod resolver;
mod resource;
mod selector;
mod transform;
mod vars;

pub use emit::{nodes_to_yaml, to_yaml};
pub use issue::{BuildIssue, BuildIssueKind};
pub use kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
pub use resolver::{BuildOutput, Resolver};
pub use resource::Resource;
pub use resource::is_builtin_cluster_scoped;
