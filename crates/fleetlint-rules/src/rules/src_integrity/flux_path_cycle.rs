use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind};

use super::helpers::fleet_issues;
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
        fleet_issues::findings(
            cx,
            Self::ID,
            "give each Flux Kustomization its own directory that does not render it again",
            Self::describe,
            out,
        );
    }
}

impl FluxPathCycle {
    /// The wording of a path cycle, named by its ends when it is long.
    pub(crate) fn describe(issue: &FleetIssue, _: &Cluster) -> Option<(Severity, String)> {
        let FleetIssueKind::PathCycle { paths } = &issue.kind else { return None };
        Some((Severity::Error, format!("Flux path cycle: {} renders itself again", elide(paths))))
    }
}

/// A long cycle named by its ends: `a -> b -> c -> ... (N more) ... -> x -> y -> a`.
fn elide(cycle: &[String]) -> String {
    if cycle.len() <= 8 {
        return cycle.join(" -> ");
    }
    let (head, tail) = (&cycle[..3], &cycle[cycle.len() - 3..]);
    format!("{} -> ... ({} more) ... -> {}", head.join(" -> "), cycle.len() - 6, tail.join(" -> "))
}

#[cfg(test)]
mod tests {
    use super::elide;

    #[test]
    fn long_cycles_are_named_by_their_ends() {
        let cycle: Vec<String> = (1..=10).map(|i| format!("./chain/{i}")).chain(["./chain/1".into()]).collect();
        assert_eq!(
            elide(&cycle),
            "./chain/1 -> ./chain/2 -> ./chain/3 -> ... (5 more) ... -> ./chain/9 -> ./chain/10 -> ./chain/1"
        );
        assert_eq!(elide(&cycle[..3]), "./chain/1 -> ./chain/2 -> ./chain/3");
    }
}
