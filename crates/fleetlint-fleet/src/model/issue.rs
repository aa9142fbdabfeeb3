//! Problems the fleet builder found while following the Flux graph: facts only; the rules turn
//! each kind into a finding with its code, wording and severity.

use fleetlint_yaml::Span;

/// A problem the fleet builder found while following the Flux graph. Facts only: the rules turn
/// each kind into a finding with its code, wording and severity.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetIssue {
    /// What went wrong.
    pub kind: FleetIssueKind,
    /// Where.
    pub span: Span,
    /// The object concerned (index in [`Cluster::objects`](super::Cluster::objects)).
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
