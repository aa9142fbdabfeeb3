//! fleetlint-fleet: every fact about a fleet: cluster entry points, the Flux graph of each
//! cluster, sources and their local mappings, post-build substitution, tenants, the controllers'
//! configuration, kind scopes and RBAC bindings. It knows no rule codes and writes no prose: the
//! rules crate turns these facts into findings.
//!
//! Entry point: [`load`] reads a run's inputs (configuration, the checked tree, the tree of each
//! source mapping) and builds the [`Fleet`]: per cluster, every object Flux would apply, who
//! rendered it, its scope and tenant, what its controllers run with, and the [`FleetIssue`]s met
//! on the way. The facts a rule derives from a cluster live in their own modules:
//! [`flux`] (typed views of Flux objects), [`graph`] (dependsOn, render and source edges),
//! [`controllers`], [`kinds`] (namespaced or cluster-scoped) and [`rbac`].

pub mod admission;
pub mod bootstrap_crds;
pub mod controllers;
pub mod crd_charts;
pub mod flux;
pub mod graph;
pub mod kinds;
pub mod rbac;

mod artifact;
mod bootstrap;
mod builds;
mod config;
mod discover;
mod error;
mod fleet;
mod fluxbuild;
mod model;
mod postbuild;
mod root_objects;
mod session;
mod sources;
mod substitute;
mod tenants;
mod walk;

/// Flux post-build substitution on its own: the envsubst evaluator (`fluxcd/pkg@e2cfd1a2:
/// envsubst`) and its application to an object in place. The fleet builder applies it to what
/// every Kustomization with `spec.postBuild` renders; this is for the fuzz targets and tools.
pub mod substitution {
    pub use crate::postbuild::{
        SubstProblem, Variables, apply, decode_base64, has_any_reference, substitution_disabled,
    };
    pub use crate::substitute::{SubstError, Substituted, substitute};
}

pub use artifact::TreeView;
pub use builds::TreeBuilds;
pub use config::{
    CONFIG_FILE, ClusterOverride, Config, FailOnName, LoadedConfig, LockdownOverride, Preexisting, SeverityName,
    config_schema, load_config,
};
pub use error::{ConfigError, FleetError, LoadError, MappingError};
pub use fleet::BUILTIN_NAMESPACES;
pub use fluxbuild::build as build_flux_path;
pub use model::{
    Chain, Cluster, EntryKind, Fleet, FleetIssue, FleetIssueKind, FluxVersion, FoundBy, FoundReason, KustomizationNode,
    Lockdown, MissingPath, NEWEST_FLUX, Owners, RejectReason, Rejected, RenderedObject, Scope, SourceResolution,
    SubstitutionContext, Tenant, TreeIndex, VersionFrom,
};
pub use session::{LoadOptions, Session, load};
pub use sources::{SourceKey, SourceMapping};
pub use tenants::TENANT_LABEL;
