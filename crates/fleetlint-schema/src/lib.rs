//! fleetlint-schema: validates positioned YAML objects against the JSON Schema of their kind.
//!
//! A [`SchemaSet`] holds what one cluster knows: the built-in kinds of a bundled Kubernetes
//! version (1.32 and 1.37 are embedded), the Flux kinds (each API version from the newest Flux
//! release that serves it), and the CRDs found among the cluster's objects
//! ([`SchemaSet::add_crd`], converted by [`crd::to_json_schema`] the way the API server treats a
//! structural schema). [`SchemaSet::validate`] checks one object strictly: unknown fields are
//! reported apart from wrong types and violated constraints, each [`SchemaError`] with the field
//! path, what was expected and what was found, and the span to point at (the value; the unknown
//! key; for a missing field the nearest existing ancestor key). A value that is still a `${var}`
//! post-build placeholder is not type-checked, SOPS metadata is not an unknown field, and fields
//! another check reports can be excluded ([`ValidateOptions::reported_elsewhere`]).
//!
//! Validators are compiled on first use, once per distinct schema per process, and can be used
//! from many threads. Nothing here knows rule codes.

mod bundle;
mod catalog;
pub mod crd;
mod describe;
mod keywords;
mod validate;

pub use bundle::{defs_refs, embedded_size};
pub use catalog::{BadKubernetesVersion, SchemaSet, SchemaSource, Unvalidated};
pub use crd::{Crd, CrdError, CrdVersion};
pub use validate::{Assertion, ErrorKind, Outcome, SchemaError, ValidateOptions};
