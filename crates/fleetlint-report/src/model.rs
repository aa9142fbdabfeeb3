//! The data a reporter renders.

use fleetlint_rules::CheckOutcome;
use fleetlint_yaml::FileDb;

/// The Flux version in force on a cluster and where it was read.
#[derive(Clone, Debug)]
pub struct FluxVersion {
    /// e.g. `v2.9.0`.
    pub value: String,
    /// `gotk-components`, `flux-instance`, `config` or `assumed`.
    pub from: &'static str,
}

/// The multi-tenancy lockdown of a cluster's controllers.
#[derive(Clone, Debug, Default)]
pub struct Lockdown {
    /// Whether the repository says what the controllers run with.
    pub known: bool,
    /// `--no-cross-namespace-refs`.
    pub no_cross_namespace_refs: bool,
    /// `--default-service-account`.
    pub default_service_account: Option<String>,
    /// `--no-remote-bases`.
    pub no_remote_bases: bool,
}

/// One cluster entry point, as the report lists it.
#[derive(Clone, Debug)]
pub struct ClusterSummary {
    /// Unique name.
    pub name: String,
    /// Entry directory relative to the root.
    pub path: String,
    /// `gotk-sync`, `flux-instance`, `synthesized` or `remote`.
    pub entry: &'static str,
    /// The Flux version.
    pub flux_version: Option<FluxVersion>,
    /// Lockdown settings.
    pub lockdown: Lockdown,
    /// Tenants.
    pub tenants: Vec<String>,
    /// Flux Kustomizations reached.
    pub kustomizations: usize,
    /// HelmReleases reached.
    pub helmreleases: usize,
    /// Rendered objects reached.
    pub objects: usize,
    /// Flux objects whose source is not mapped.
    pub opaque: usize,
}

/// Everything a reporter needs.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// The checked directory as given on the command line.
    pub root: &'a str,
    /// Files behind the spans.
    pub db: &'a FileDb,
    /// Findings and counts.
    pub outcome: &'a CheckOutcome,
    /// Source mappings in effect, `(key, path)`.
    pub sources: &'a [(String, String)],
    /// Clusters found.
    pub clusters: &'a [ClusterSummary],
    /// Objects after overlay resolution, all clusters.
    pub objects: usize,
    /// Wall time of the run.
    pub elapsed_ms: f64,
    /// Time per stage.
    pub timings_ms: &'a [(&'static str, f64)],
}
