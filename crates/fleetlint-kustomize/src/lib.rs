//! fleetlint-kustomize: resolves kustomize overlays in-process, the way kustomize v5 does, and
//! keeps for every value the file and span that wrote it (provenance by construction: nodes
//! written by a patch or transformer carry that patch's or field's span).
//!
//! Entry point: [`Resolver::build`] for a tree-relative directory (cached per directory), or
//! [`Resolver::build_kustomization`] for an in-memory kustomization; [`to_yaml`] prints the
//! result like `kubectl kustomize`.
//!
//! The differential oracle is kustomize 5.5 (`kubectl kustomize` v1.32); Flux 2.9 builds with
//! kustomize 5.8.1. Where the two differ this crate follows 5.8, and says so at the code:
//! - `replacements` accept `sourceValue` (a literal; 5.5 rejects the field);
//! - a replacement field path that continues into a string holding YAML or JSON
//!   (`data.config\.yaml.foo`) edits the embedded document (5.5 fails: "expected MappingNode
//!   but got ScalarNode"), and, as in 5.8, `delimiter`/`index` do not apply there;
//! - 5.8's namespace propagation into inflated Helm charts does not matter here: charts are
//!   never inflated.

pub mod generated;
pub mod patch;

mod buildmeta;
mod builtin_transformers;
mod crds;
mod decode;
mod emit;
mod fieldspec;
mod generator;
mod go_regex;
mod goyaml;
mod issue;
mod kustfile;
mod nameref;
mod openapi;
mod order;
mod replacements;
mod resolver;
mod resource;
mod selector;
mod vars;

pub use emit::{nodes_to_yaml, to_yaml};
pub use issue::{BuildIssue, BuildIssueKind};
pub use kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
pub use resolver::{BuildOutput, Resolver};

/// kustomize's message for a kustomization with no field set (`CheckEmpty`): `kubectl
/// kustomize` fails on it, kustomize-controller does not (it sets `buildMetadata` when a
/// kustomization has no resources).
pub const EMPTY_KUSTOMIZATION: &str = decode::EMPTY;
pub use resource::Resource;
pub use resource::is_builtin_cluster_scoped;
