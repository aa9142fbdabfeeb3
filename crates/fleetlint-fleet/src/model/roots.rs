//! How each cluster root was found (the report's `clusters[].entry` and `found_by`), and the
//! candidate roots not taken, with the reason.

use fleetlint_yaml::Span;

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
    /// A FluxInstance here has no `spec.sync`: the operator installs Flux but generates no
    /// source and no Kustomization, so nothing builds the directory.
    InstanceWithoutSync {
        /// The object carrying the instance (`kind/namespace/name`).
        carrier: String,
    },
    /// Its FluxInstance (or flux-instance HelmRelease) is rendered by another cluster's graph,
    /// whose build already reads the sync directory: the instance syncs into that cluster, so
    /// the directory is one more entry of it, not a cluster of its own.
    InstanceRenderedBy {
        /// The cluster.
        cluster: String,
        /// The Kustomization (`Kustomization namespace/name`) that renders the instance, when known.
        kustomization: String,
        /// The object carrying the instance (`kind/namespace/name`).
        carrier: String,
    },
    /// Its FluxInstance comes from the values of a flux-instance HelmRelease that no cluster's
    /// graph applies, and another cluster's build already reads the sync directory: the
    /// directory is part of that cluster.
    InstanceUnapplied {
        /// The cluster that builds the directory.
        cluster: String,
        /// The HelmRelease (`kind/namespace/name`).
        carrier: String,
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
    /// A `clusters/<name>` directory holding Argo CD objects and no Flux object: Argo CD applies
    /// it, nothing says Flux builds it (the `clusters/*` convention does not apply).
    ArgoCdDirectory {
        /// The first file with an Argo CD object.
        file: String,
    },
    /// A `clusters/<name>` directory with no Flux object that other directories' kustomizations
    /// include (a library of bases, `clusters/common`): not a cluster of its own.
    BaseLibrary {
        /// The kustomization file that includes it.
        file: String,
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
