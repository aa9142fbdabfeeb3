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
    /// A Flux Kustomization that the build of its own `spec.path` renders: every Flux root works
    /// this way (the bootstrap Kustomization renders its own `gotk-sync.yaml`), here without
    /// `gotk-sync.yaml` (a root defined in a shared base and patched per cluster, a root whose
    /// source was created outside Git, `repo.yaml`/`sync.yaml` written by hand).
    SelfManaged,
    /// A directory named by the `clusters` globs of the configuration or `--clusters`.
    Config,
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
            EntryKind::SelfManaged => "self-managed",
            EntryKind::Config => "config",
            EntryKind::Synthesized => "synthesized",
            EntryKind::Remote => "remote",
        }
    }
}

/// Why a directory was taken as a cluster root: a fact the report words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FoundReason {
    /// `flux-system/gotk-sync.yaml` defines the root Kustomization.
    GotkSync,
    /// `flux-system/` holds `flux bootstrap`'s placeholder files (or its kustomization) and the
    /// root objects `flux bootstrap` creates are synthesized.
    BootstrapPlaceholder,
    /// A FluxInstance's `spec.sync.path` (or the `instance.sync.path` of a `flux-instance`
    /// HelmRelease's values).
    FluxInstance {
        /// `Kind/namespace/name` of the object that carries the spec.
        carrier: String,
    },
    /// The directory's build renders this Flux Kustomization whose `spec.path` is the directory.
    SelfManaged {
        /// `namespace/name` of the root Kustomization.
        kustomization: String,
        /// Its source, `Kind/namespace/name`.
        source: String,
        /// Whether that source is defined in the repository (otherwise it was created outside
        /// Git and is taken to be the checked repository).
        source_defined: bool,
    },
    /// A directory applied by hand (`kubectl apply -k`) renders this Flux Kustomization, whose
    /// `spec.path` is this directory below it, and its source.
    AppliedByHand {
        /// `namespace/name` of the root Kustomization.
        kustomization: String,
        /// Its source, `Kind/namespace/name`.
        source: String,
        /// The directory whose build renders them.
        from: String,
    },
    /// Named by a `clusters` glob.
    Config {
        /// The glob.
        glob: String,
    },
    /// Nothing else found a root: the `clusters/*` convention.
    Convention,
    /// Reached through `spec.kubeConfig` from another cluster.
    Remote {
        /// The hub cluster.
        hub: String,
    },
}

/// The file (and line) that made a directory a root, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundBy {
    /// The object or file that decided.
    pub span: Span,
    /// Why.
    pub reason: FoundReason,
}

/// A candidate root directory that was not taken as a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The directory, relative to the checked root.
    pub path: String,
    /// Why.
    pub reason: RejectReason,
}

/// Why a candidate root was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// Another cluster's Flux graph builds the directory: it is part of that cluster.
    RenderedBy {
        /// The cluster.
        cluster: String,
        /// The Kustomization (`namespace/name`) that builds it.
        kustomization: String,
    },
    /// A Flux Kustomization defined below the directory names it as its path, but the
    /// directory's own build does not render that Kustomization (a shared base, a template).
    NotSelfRendered {
        /// `namespace/name` of the Kustomization.
        kustomization: String,
    },
    /// A Kustomization's `spec.path` names it but the path holds variables fleetlint cannot
    /// resolve in the directory's own build.
    PathUnresolved {
        /// `namespace/name` of the Kustomization.
        kustomization: String,
        /// The path as written.
        path: String,
    },
    /// Real roots were found below it, so no root is synthesized here.
    RootsBelow {
        /// The roots below.
        roots: Vec<String>,
    },
    /// Not matched by the `clusters` globs.
    NotSelected,
    /// Its committed `gotk-sync.yaml` builds another directory (a bootstrap template copied per
    /// cluster).
    SyncPathElsewhere {
        /// The root Kustomization's `spec.path`.
        path: String,
    },
    /// Several directories hold the root's `spec.path` below them: which one the artifact
    /// is made from cannot be told (each candidate is listed).
    AmbiguousSourceRoot {
        /// The path, relative to the source root.
        path: String,
    },
    /// Its committed `flux-system/gotk-sync.yaml` defines a root Kustomization whose path is the
    /// directory, but the directory's own `kustomization.yaml` does not reach `flux-system`: its
    /// build does not render that Kustomization (a bootstrap left behind), and other roots exist.
    StaleBootstrap {
        /// `namespace/name` of the Kustomization of `gotk-sync.yaml`.
        kustomization: String,
    },
    /// Its `flux-system/` holds only `gotk-components.yaml` (Flux's components, applied by
    /// hand): nothing defines a root there, and other roots exist.
    ComponentsOnly,
    /// Its root only installs Flux (it builds nothing else), and the builds of another cluster
    /// read files below it: the directory is a base of that cluster.
    ReadBy {
        /// The cluster.
        cluster: String,
        /// A file below the directory that cluster's build reads (relative to the checked root).
        file: String,
    },
}

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
        // Rules ask every object; most are no Flux object, and the kind kept at construction
        // answers that without reading the tree (the view's checks were 3% of a 2,000-tenant
        // check, issue 13).
        self.flux?;
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

    /// Whether the object was SOPS-encrypted whole, so that its identity is ciphertext until
    /// kustomize-controller decrypts it ([`ObjectView::has_ciphertext_identity`]): no rule judges
    /// what it is, only whether it can be decrypted.
    #[must_use]
    pub fn has_ciphertext_identity(&self) -> bool {
        ObjectView { root: &self.root }.has_ciphertext_identity()
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
    /// `spec.path` still holds variables after the parent's post-build substitution, whose values
    /// come from something fleetlint cannot see (a `substituteFrom` object created outside Git or
    /// encrypted): where it points is unknown, so nothing is built and nothing is claimed.
    PathUnknown {
        /// As written (after substitution).
        raw: String,
        /// The variables left in it.
        variables: Vec<String>,
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
    /// A ResourceSet fleetlint cannot render (inputs from outside the repository, a provider it
    /// does not see, a template it does not evaluate): what it creates is unknown.
    ResourceSetNotRendered {
        /// Why.
        reason: String,
    },
    /// A Kustomization reads an `ExternalArtifact` whose content is not known: no
    /// ArtifactGenerator of the cluster produces it, its generator reads a source that is not
    /// available, fails, or unpacks a tarball. Nothing is rendered and nothing is claimed.
    ArtifactUnknown {
        /// `namespace/name` of the ExternalArtifact.
        artifact: String,
        /// Why.
        reason: String,
    },
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
    /// A root's `spec.path` (a FluxInstance's `sync.path`) exists below several directories of
    /// the checked tree: which one the source's artifact is made of cannot be told, so no cluster
    /// is built there (discovery never guesses).
    AmbiguousSourceRoot {
        /// The path, relative to the source root.
        path: String,
        /// The directories holding it (the candidate cluster directories), sorted.
        candidates: Vec<String>,
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
    /// Namespaces that exist before anything is applied (built-ins, Flux's, config).
    pub preexisting_namespaces: Vec<String>,
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
    /// `clusters/b/`. Never the whole tree: a root directly under such a segment owns itself.
    #[must_use]
    pub fn territory(&self) -> &str {
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
}
