use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a Flux Kustomization whose `spec.path` is not a directory of its source's
    /// artifact: missing, a file, excluded by `.sourceignore`, or leaving the source root (which
    /// kustomize-controller clamps to the root, a warning).
    ///
    /// ## Why is this bad?
    /// kustomize-controller stops with `kustomization path not found` and the Kustomization stays
    /// not ready; nothing under it is applied or updated.
    ///
    /// ## Severity
    /// `error` where the path is missing, excluded from the artifact or a file; `warning` where it
    /// leaves the source root and kustomize-controller clamps it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   path: ./apps/prodution   # typo
    ///   sourceRef: {kind: GitRepository, name: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Point `spec.path` at an existing directory of the source (relative to its root).
    pub(crate) struct KustomizationPathMissing {
        code: "SRC001",
        name: "kustomization-path-missing",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for KustomizationPathMissing {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        cx.fleet_issues(
            Self::ID,
            Severity::Warning,
            "point spec.path at an existing directory of the source, relative to its root",
            out,
        );
    }
}
