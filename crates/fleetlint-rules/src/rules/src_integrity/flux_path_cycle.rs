use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a Flux Kustomization whose `spec.path` is already being built by one of the
    /// Kustomizations that render it: a path that renders itself through another Kustomization,
    /// or paths that render each other.
    ///
    /// ## Why is this bad?
    /// Each round applies another Kustomization object for the same manifests: objects are owned
    /// twice, pruning fights between owners, and removing one deletes what the other applies.
    /// (The bootstrap Kustomization managing its own `flux-system` files is the same object, not
    /// a cycle, and is not reported.)
    ///
    /// ## Example
    /// ```yaml
    /// # clusters/prod/apps.yaml, inside ./clusters/prod
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   path: ./clusters/prod     # renders apps.yaml again
    /// ```
    ///
    /// ## Fix
    /// Point the child at its own directory, outside the parent's path, or let the parent's
    /// path exclude it (a kustomization.yaml listing its resources).
    pub(crate) struct FluxPathCycle {
        code: "SRC011",
        name: "flux-path-cycle",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for FluxPathCycle {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        cx.fleet_issues(
            Self::ID,
            Severity::Error,
            "give each Flux Kustomization its own directory that does not render it again",
            out,
        );
    }
}
