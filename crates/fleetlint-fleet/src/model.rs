//! The fleet model as data: clusters, the objects each renders, who rendered them, and what
//! the fleet builder found wrong along the way. Rules read this; nothing here is presentation.

use std::collections::BTreeMap;

use fleetlint_kustomize::BuildIssue;
use fleetlint_yaml::{FluxKind, Node, ObjectView, Span};

use crate::controllers::Controllers;

/// How a cluster's root was found (the report's `clusters[].entry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Committed bootstrap files (`flux-system/gotk-sync.yaml` with real objects).
    GotkSync,
    /// A `FluxInstance` (also one carried in a `flux-instance` HelmRelease's values).
    FluxInstance,
    /// Bootstrap files are placeholders or absent: the root objects were synthesized.
    Synthesized,
    /// A cluster reached through `spec.kubeConfig` from another cluster.
    Remote,
}

impl EntryKind {
    /// The report's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::GotkSync => "gotk-sync",
            EntryKind::FluxInstance => "flux-instance",
            EntryKind::Synthesized => "synthesized",
            EntryKind::Remote => "remote",
        }
    }
}

/// Where the Flux version came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionFrom {
    /// The `# Flux Version:` header of `gotk-components.yaml`.
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

/// Which tree an object was read from: the checked root (0) or a mapped source.
pub type TreeIndex = usize;

/// One object as Flux would apply it in one cluster.
#[derive(Clone, Debug)]
pub struct RenderedObject {
    /// The object after overlays, Flux's build options and post-build substitution. Every
    /// node keeps the span of the text that wrote it.
    pub root: Node,
    /// Index (in [`Cluster::objects`]) of the Flux object that rendered it; `None` for the
    /// bootstrap objects.
    pub owner: Option<usize>,
    /// The chain of rendering Flux objects, root first, as `Kind/namespace/name`.
    pub owners: Owners,
    /// The tree its manifests came from.
    pub tree: TreeIndex,
    /// Tenant or platform.
    pub scope: Scope,
    /// The tenant, in tenant scope.
    pub tenant: Option<String>,
    /// Made up by fleetlint (bootstrap objects for placeholders), not written in the repo.
    pub synthesized: bool,
    /// [`RenderedObject::flux_kind`], worked out once: rules ask every object for it dozens of
    /// times, and reading it from the tree is a few cache misses each time.
    pub(crate) flux: Option<FluxKind>,
}

impl RenderedObject {
    /// An object of the checked tree, rendered by nothing yet (bootstrap), platform scope.
    #[must_use]
    pub fn new(root: Node) -> Self {
        let flux = ObjectView { root: &root }.flux_kind();
        Self {
            root,
            owner: None,
            owners: Owners::default(),
            tree: 0,
            scope: Scope::Platform,
            tenant: None,
            synthesized: false,
            flux,
        }
    }

    /// A view of the object.
    #[must_use]
    pub fn view(&self) -> Option<ObjectView<'_>> {
        ObjectView::new(&self.root)
    }

    /// The Flux kind, if it is a Flux object.
    #[must_use]
    pub fn flux_kind(&self) -> Option<FluxKind> {
        self.flux
    }

    /// The typed view of a Flux object.
    #[must_use]
    pub fn flux(&self) -> Option<crate::flux::FluxObject<'_>> {
        crate::flux::FluxObject::new(&self.root)
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.root.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        self.root.get("apiVersion").and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.root.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.namespace`, empty when unset.
    #[must_use]
    pub fn namespace(&self) -> &str {
        self.root.get_path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("")
    }

    /// `Kind/namespace/name`.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind(), self.namespace(), self.name())
    }

    /// The owner's id, `Kind/namespace/name`.
    #[must_use]
    pub fn owner_id(&self) -> Option<&str> {
        self.owner.and(self.owners.last().map(String::as_str))
    }
}

/// A chain of ids, root first, shared between everything rendered below the same Flux object:
/// appending is O(1) and a deep hierarchy costs memory linear in its size (a 30,000-deep
/// nesting must not hold 30,000 copies of a 30,000-long list).
#[derive(Clone, Debug, Default)]
pub struct Chain<T>(Option<std::sync::Arc<Link<T>>>);

#[derive(Debug)]
struct Link<T> {
    last: T,
    parent: Chain<T>,
}

impl<T: Clone> Chain<T> {
    /// This chain with `item` appended.
    #[must_use]
    pub fn push(&self, item: T) -> Self {
        Chain(Some(std::sync::Arc::new(Link { last: item, parent: self.clone() })))
    }

    /// The last item.
    #[must_use]
    pub fn last(&self) -> Option<&T> {
        self.0.as_deref().map(|l| &l.last)
    }

    /// Whether the chain is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The items, last first.
    pub fn iter_back(&self) -> impl Iterator<Item = &T> {
        let mut cur = self.0.as_deref();
        std::iter::from_fn(move || {
            let link = cur?;
            cur = link.parent.0.as_deref();
            Some(&link.last)
        })
    }

    /// The items, root first.
    #[must_use]
    pub fn to_vec(&self) -> Vec<T> {
        let mut v: Vec<T> = self.iter_back().cloned().collect();
        v.reverse();
        v
    }
}

/// The chain of rendering Flux objects, as `Kind/namespace/name`.
pub type Owners = Chain<String>;

/// How a Flux Kustomization's source was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceResolution {
    /// A local tree (the checked root or a mapped source).
    Tree(TreeIndex),
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

/// A problem the fleet builder found while following the Flux graph. Facts only: the rules turn
/// each kind into a finding with its code, wording and severity.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetIssue {
    /// What went wrong.
    pub kind: FleetIssueKind,
    /// Where.
    pub span: Span,
    /// The object concerned (index in [`Cluster::objects`]).
    pub object: Option<usize>,
    /// The offending field path, for fingerprints.
    pub field: String,
}

/// What the fleet builder found, with what a message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetIssueKind {
    /// `spec.path` leaves the source root: kustomize-controller joins it with `securejoin`, which
    /// clamps it to the root.
    PathClamped {
        /// As written.
        raw: String,
        /// What kustomize-controller builds instead (tree-relative).
        clamped: String,
    },
    /// `spec.path` is not a directory of the source's artifact.
    PathMissing {
        /// As written.
        raw: String,
        /// Normalised (tree-relative).
        normalized: String,
        /// Why.
        why: MissingPath,
    },
    /// A Kustomization builds a path one of the Kustomizations rendering it already builds.
    PathCycle {
        /// The paths from that ancestor down to this Kustomization (`./a`), the repeated one last.
        paths: Vec<String>,
    },
    /// The Kustomization's source exists but is not mapped to a local tree: what it renders is
    /// unknown.
    SourceNotMapped {
        /// `sourceRef.kind` (default `GitRepository`).
        source_kind: String,
        /// `sourceRef.name`.
        source_name: String,
    },
    /// A ResourceSet templated from inputs: what it creates is unknown.
    TemplatedResourceSet,
    /// `postBuild` defines no variable that resolves and `substituteStrategy` is not `Always`:
    /// kustomize-controller substitutes nothing, so every `${...}` stays verbatim.
    SubstitutionVerbatim,
    /// A `${variable}` with neither value nor default.
    UnsetVariable {
        /// The variable.
        variable: String,
        /// Whether kustomize-controller substitutes strictly (the build fails) or not (it
        /// becomes an empty string).
        strict: bool,
        /// Where the reference sits.
        context: SubstitutionContext,
    },
    /// An expression fleetlint stops evaluating (nested too deep, too costly): Flux may well
    /// evaluate it, so what the value becomes is unknown.
    SubstitutionUndecided {
        /// Why evaluation stopped (`expressions nested deeper than 32 levels`).
        limit: String,
        /// Where the expression sits.
        context: SubstitutionContext,
    },
    /// An expression envsubst cannot parse: the build fails.
    SubstitutionFails {
        /// envsubst's reason (`missing closing brace`).
        reason: String,
        /// Where the expression sits.
        context: SubstitutionContext,
    },
}

/// Why a `spec.path` is not a directory of the artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingPath {
    /// Nothing there.
    NotFound,
    /// A file, not a directory.
    IsFile,
    /// In the tree, but excluded from the artifact (`.sourceignore`, the source's `spec.ignore`
    /// or `spec.sparseCheckout`).
    Excluded,
}

/// Where a post-build reference sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubstitutionContext {
    /// An ordinary field.
    Field,
    /// A multi-line ConfigMap value or a container's `command`/`args`: usually a shell or app
    /// template meant for the container, which Flux substitutes anyway.
    EmbeddedTemplate,
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
    /// Namespaces that belong to the platform.
    pub platform_namespaces: Vec<String>,
    /// Namespaces that exist before anything is applied (built-ins, Flux's, config).
    pub preexisting_namespaces: Vec<String>,
    /// Build problems of the Flux builds (deduplicated by the rules engine across clusters).
    pub build_issues: Vec<BuildIssue>,
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

    /// The node of the Flux Kustomization at object index `i`.
    #[must_use]
    pub fn kustomization_of(&self, i: usize) -> Option<&KustomizationNode> {
        let at = self.kustomizations.binary_search_by_key(&i, |k| k.object).ok()?;
        self.kustomizations.get(at)
    }

    /// The tenant owning namespace `ns`.
    #[must_use]
    pub fn tenant_of_namespace(&self, ns: &str) -> Option<&str> {
        self.namespace_tenant.get(ns).map(String::as_str)
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
    /// The kustomize builds of every kustomization directory of each tree (in tree order),
    /// made with the same resolvers as the Flux builds. Empty for a fleet assembled by hand; a
    /// session moves them into `Session::builds`, with what the Flux builds add.
    pub tree_builds: Vec<crate::builds::TreeBuilds>,
}
