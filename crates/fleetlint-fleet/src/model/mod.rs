//! The fleet model as data: clusters, the objects each renders, who rendered them, and what
//! the fleet builder found wrong along the way. Rules read this; nothing here is presentation.
//!
//! How roots were found or rejected is in `roots`, one rendered object (and the chain of Flux
//! objects that rendered it) in `object`, what the builder found wrong in `issue`.

mod issue;
mod object;
mod roots;

use std::collections::BTreeMap;

use fleetlint_kustomize::BuildIssue;
use fleetlint_yaml::{FluxKind, Span};

use crate::controllers::Controllers;

pub use issue::{FleetIssue, FleetIssueKind, MissingPath, SubstitutionContext};
pub use object::{Chain, Owners, RenderedObject, TreeIndex};
pub use roots::{EntryKind, FoundBy, FoundReason, RejectReason, Rejected};

/// Where the Flux version came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionFrom {
    /// The `# Flux Version:` header of `gotk-components.yaml`, or the tag of the Flux release
    /// manifests the root installs (`ghcr.io/fluxcd/flux-manifests`, `fluxcd/flux2`).
    GotkComponents,
    /// `FluxInstance.spec.distribution.version`.
    FluxInstance,
    /// `.fleetlint.yaml` `clusterOverrides`.
    Config,
    /// Nothing said: the newest release is assumed.
    Assumed,
}

impl VersionFrom {
    /// The report's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            VersionFrom::GotkComponents => "gotk-components",
            VersionFrom::FluxInstance => "flux-instance",
            VersionFrom::Config => "config",
            VersionFrom::Assumed => "assumed",
        }
    }
}

/// The newest Flux release fleetlint knows; assumed when a cluster does not say.
pub const NEWEST_FLUX: &str = "2.9.0";

/// A cluster's Flux version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxVersion {
    /// As written (`v2.3.0`, `2.7.x`).
    pub value: String,
    /// Where it came from.
    pub from: VersionFrom,
}

impl FluxVersion {
    /// `(major, minor)` when the value starts with a parsable version.
    #[must_use]
    pub fn minor(&self) -> Option<(u32, u32)> {
        let v = self.value.trim_start_matches('v');
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    }
}

/// The multi-tenancy lockdown of a cluster's controllers, as the report shows it
/// ([`Controllers::lockdown`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockdown {
    /// Whether the repository says what the controllers run with.
    pub known: bool,
    /// `--no-cross-namespace-refs=true` on kustomize-controller and helm-controller.
    pub no_cross_namespace_refs: bool,
    /// `--default-service-account` of kustomize-controller.
    pub default_service_account: Option<String>,
    /// `--no-remote-bases=true` on kustomize-controller.
    pub no_remote_bases: bool,
}

/// Tenant or platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Rendered on behalf of a tenant, or in a tenant's namespace.
    Tenant,
    /// Managed by the platform.
    Platform,
}

/// How a Flux Kustomization's source was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceResolution {
    /// A local tree (the checked root or a mapped source).
    Tree(TreeIndex),
    /// An `ExternalArtifact` an ArtifactGenerator of the cluster assembles from local trees
    /// (object index of the generator): `spec.path` is a path in the artifact, not in a tree.
    Artifact(usize),
    /// A source object exists but is not mapped to a local tree: what it renders is unknown.
    Unmapped,
    /// No such source object in the cluster and no mapping for it.
    Missing,
}

/// What the builder did with one Flux Kustomization.
#[derive(Clone, Debug)]
pub struct KustomizationNode {
    /// Index of the Kustomization in [`Cluster::objects`].
    pub object: usize,
    /// The source it reads.
    pub source: SourceResolution,
    /// `spec.path` normalised like kustomize-controller does (relative, clamped at the root).
    pub path: String,
    /// Whether its path was built successfully (a mapped source, an existing directory, and a
    /// build kustomize accepts; a failed build applies nothing).
    pub built: bool,
    /// Objects it rendered (indices in [`Cluster::objects`]).
    pub rendered: Vec<usize>,
    /// The post-build variables it substitutes with, when `spec.postBuild` is set.
    pub variables: Option<BTreeMap<String, String>>,
}

/// One tenant of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tenant {
    /// Namespaces it owns.
    pub namespaces: Vec<String>,
    /// Where each namespace was declared: the Namespace object's name; `None` for a namespace the
    /// configuration's `tenants` map gives (the configuration's text is not loaded).
    pub declared_at: Vec<Option<Span>>,
}

/// One cluster: its entry, controllers and everything it renders.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Unique in the fleet: the entry directory's name, or its path when names collide.
    pub name: String,
    /// Entry directory relative to the root.
    pub path: String,
    /// How the root was found.
    pub entry: EntryKind,
    /// The entry file (for findings about the whole cluster).
    pub entry_span: Span,
    /// What made the directory a root.
    pub found_by: FoundBy,
    /// The directory the root source's paths resolve against, when it is not the checked root
    /// (an artifact pushed from a subdirectory, a repository kept in a subdirectory).
    pub source_root: Option<String>,
    /// The Flux version in force.
    pub flux_version: FluxVersion,
    /// What the Flux controllers run with (the configuration's overrides applied).
    pub controllers: Controllers,
    /// Every object, in the order reached (parents before what they render).
    pub objects: Vec<RenderedObject>,
    /// The Flux Kustomizations and what became of them, sorted by object index.
    pub kustomizations: Vec<KustomizationNode>,
    /// Tenants by name.
    pub tenants: BTreeMap<String, Tenant>,
    /// Namespace -> tenant.
    pub namespace_tenant: BTreeMap<String, String>,
    /// ServiceAccounts `(namespace, name)` outside the tenants' namespaces that a tenant's
    /// reconciler runs as: labelled `toolkit.fluxcd.io/tenant: T` and named by a Kustomization or
    /// HelmRelease that reconciles a source other than the cluster's root source.
    pub tenant_accounts: BTreeMap<(String, String), String>,
    /// Namespaces that belong to the platform.
    pub platform_namespaces: Vec<String>,
    /// Namespaces that exist before anything is applied (built-ins, Flux's, config, the
    /// FluxInstance's, those the repository's bootstrap creates).
    pub preexisting_namespaces: Vec<String>,
    /// Whether the configuration lists `preexisting.namespaces` (the namespaces created outside
    /// Git are then known: one that nothing creates is a warning, no longer an info).
    pub preexisting_configured: bool,
    /// Build problems of the Flux builds (deduplicated by the rules engine across clusters).
    pub build_issues: Vec<BuildIssue>,
    /// For each of `build_issues`, the Flux Kustomization (index in `objects`) whose build met it;
    /// `None` for the bootstrap build.
    pub build_issue_owners: Vec<Option<usize>>,
    /// Other problems.
    pub issues: Vec<FleetIssue>,
    /// Namespaces labelled with a tenant although they are platform namespaces (label span).
    pub platform_tenant_labels: Vec<(String, Span)>,
    /// For a remote cluster, the cluster whose Flux objects apply to it.
    pub hub: Option<String>,
    /// The Kubernetes version the configuration states for the cluster
    /// (`clusterOverrides.<cluster>.kubernetesVersion`), as written.
    pub kubernetes_version: Option<String>,
    /// `crdProviders` of the configuration: API group -> the HelmRelease (`namespace/name` or
    /// `HelmRelease/namespace/name`) whose chart installs that group's CRDs.
    pub crd_providers: BTreeMap<String, String>,
    /// Admission webhooks of the cluster that add post-build variables to Flux Kustomizations
    /// ([`crate::admission::substitution_webhooks`]), read once the walk is done.
    pub substitution_webhooks: Vec<crate::admission::SubstitutionWebhook>,
}

impl Cluster {
    /// Flux Kustomizations reached.
    #[must_use]
    pub fn kustomization_count(&self) -> usize {
        self.objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::Kustomization)).count()
    }

    /// HelmReleases reached.
    #[must_use]
    pub fn helmrelease_count(&self) -> usize {
        self.objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::HelmRelease)).count()
    }

    /// Flux Kustomizations whose output is unknown because their source is not mapped.
    #[must_use]
    pub fn opaque_count(&self) -> usize {
        self.kustomizations.iter().filter(|k| k.source == SourceResolution::Unmapped).count()
    }

    /// The ResourceSets (object indices) whose objects are not rendered (an SRC012 issue).
    #[must_use]
    pub fn unrendered_resource_sets(&self) -> std::collections::BTreeSet<usize> {
        self.issues
            .iter()
            .filter(|i| matches!(i.kind, FleetIssueKind::ResourceSetNotRendered { .. }))
            .filter_map(|i| i.object)
            .collect()
    }

    /// The node of the Flux Kustomization at object index `i`.
    #[must_use]
    pub fn kustomization_of(&self, i: usize) -> Option<&KustomizationNode> {
        let at = self.kustomizations.binary_search_by_key(&i, |k| k.object).ok()?;
        self.kustomizations.get(at)
    }

    /// The directory the cluster owns (ORD007's territory): its root directory without trailing
    /// generic segments (`flux`, `flux-system`, `bootstrap`), so root `clusters/b/flux` owns
    /// `clusters/b/`. Never the whole tree: a root directly under such a segment owns itself. A
    /// root applied by hand owns the directory it is applied from (`k8s/clusters/c0` for root
    /// `k8s/clusters/c0/flux/deploy`).
    #[must_use]
    pub fn territory(&self) -> &str {
        if let FoundReason::AppliedByHand { from, .. } = &self.found_by.reason {
            return from;
        }
        let mut t = self.path.as_str();
        while let Some((parent, last)) = t.rsplit_once('/') {
            if !matches!(last, "flux" | "flux-system" | "bootstrap") {
                break;
            }
            t = parent;
        }
        t
    }

    /// The tenant owning namespace `ns`.
    #[must_use]
    pub fn tenant_of_namespace(&self, ns: &str) -> Option<&str> {
        self.namespace_tenant.get(ns).map(String::as_str)
    }

    /// A webhook that may add post-build variables, at admission, to a Flux Kustomization in
    /// namespace `ns` (`None` for a namespace not known: only a webhook reaching every
    /// namespace).
    #[must_use]
    pub fn substitution_webhook_for(&self, ns: Option<&str>) -> Option<&crate::admission::SubstitutionWebhook> {
        self.substitution_webhooks.iter().find(|w| match ns {
            Some(ns) => w.namespaces.may_select(ns),
            None => w.namespaces == crate::admission::NamespaceScope::Any,
        })
    }

    /// Whether `ns` is a platform namespace.
    #[must_use]
    pub fn is_platform_namespace(&self, ns: &str) -> bool {
        self.platform_namespaces.iter().any(|p| p == ns)
    }
}

/// The whole fleet.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    /// Clusters, in evaluation order.
    pub clusters: Vec<Cluster>,
    /// Candidate roots that were not taken, and why.
    pub rejected: Vec<Rejected>,
    /// What discovery found that belongs to no cluster (an ambiguous source root): facts the
    /// rules report once, at the object that named the path.
    pub issues: Vec<FleetIssue>,
    /// The kustomize builds of every kustomization directory of each tree (in tree order),
    /// made with the same resolvers as the Flux builds. Empty for a fleet assembled by hand; a
    /// session moves them into `Session::builds`, with what the Flux builds add.
    pub tree_builds: Vec<crate::builds::TreeBuilds>,
    /// `preexisting.objects` of the configuration: objects created outside Git, as
    /// `Kind/namespace/name` (empty namespace for cluster-scoped ones). When it is set, a
    /// reference to a Secret or ConfigMap that is neither in Git nor listed is a warning.
    pub preexisting_objects: Vec<String>,
    /// What the checked repository's bootstrap files (helmfiles, Talos configs, Taskfiles)
    /// install and create before Flux starts, read once for every cluster.
    pub bootstrap: crate::bootstrap_crds::BootstrapFacts,
}
