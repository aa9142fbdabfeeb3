//! fleetlint-fleet: the fleet model: cluster entry points, the Flux graph of each cluster,
//! sources and their local mappings, post-build substitution, tenants and controller lockdown.
//!
//! Entry point: [`build_fleet`] over the loaded trees (the checked root first, then the tree of
//! each source mapping) gives a [`Fleet`]: per cluster, every object Flux would apply, who
//! rendered it, its scope and tenant, the controllers' lockdown, and what went wrong on the way.

pub mod artifact;
pub mod bootstrap;
pub mod builds;
pub mod config;
pub mod controllers;
pub mod discover;
pub mod error;
pub mod fleet;
pub mod flux;
pub mod fluxbuild;
pub mod graph;
pub mod kinds;
pub mod model;
pub mod postbuild;
pub mod rbac;
pub mod session;
pub mod sources;
pub mod substitute;
pub mod tenants;
pub mod walk;

pub use error::{ConfigError, FleetError, LoadError, MappingError};
pub use fleet::{BUILTIN_NAMESPACES, FleetOptions, build_fleet};
pub use model::{
    Chain, Cluster, EntryKind, Fleet, FleetIssue, FleetIssueKind, FluxVersion, KustomizationNode, Lockdown,
    MissingPath, Owners, RenderedObject, Scope, SourceResolution, SubstitutionContext, Tenant, VersionFrom,
};
