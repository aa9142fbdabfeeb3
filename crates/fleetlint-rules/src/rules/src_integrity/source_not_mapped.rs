use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind};

use super::helpers::fleet_issues;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Notes a Flux Kustomization whose source (a tenant repository, another branch, an OCI
    /// artifact) is not mapped to a local checkout, Kustomizations reading an `ExternalArtifact`
    /// whose content is not known (no ArtifactGenerator of the repository produces it, or its
    /// generator reads an unmapped source, fails or unpacks a tarball), and ResourceSets that
    /// cannot be rendered (inputs from a provider that is not in the repository or that fetches
    /// them from outside). What they render is unknown to fleetlint, so rules that look at
    /// rendered objects say nothing about them.
    ///
    /// ## Why is this bad?
    /// It is not a problem in the repository; it is a gap in what fleetlint checked. Tenant
    /// repositories are where isolation mistakes happen, so map them.
    ///
    /// ## Example
    /// ```yaml
    /// kind: GitRepository
    /// metadata: {name: dev-team, namespace: apps}
    /// spec:
    ///   url: https://github.com/org/dev-team
    /// ```
    ///
    /// ## Fix
    /// Map the source to a local checkout: `--source GitRepository/apps/dev-team=../dev-team`,
    /// `--source https://github.com/org/dev-team=../dev-team`, or `sources:` in `.fleetlint.yaml`.
    pub(crate) struct SourceNotMapped {
        code: "SRC012",
        name: "source-not-mapped",
        category: Category::SourceIntegrity,
        severity: Severity::Info,
    }
}

impl Rule for SourceNotMapped {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        fleet_issues::findings(
            cx,
            Self::ID,
            "map the source to a local checkout with --source KEY=PATH or `sources:` in .fleetlint.yaml",
            Self::describe,
            out,
        );
    }
}

impl SourceNotMapped {
    /// The wording of a Kustomization whose source is not mapped, and of a templated ResourceSet.
    pub(crate) fn describe(issue: &FleetIssue, cluster: &Cluster) -> Option<(Severity, String)> {
        let id = issue.object.map(|i| cluster.objects[i].id()).unwrap_or_default();
        let message = match &issue.kind {
            FleetIssueKind::SourceNotMapped { source_kind, source_name } => format!(
                "source {source_kind}/{source_name} is not mapped to a local tree: what {id} renders is unknown (map it with --source)"
            ),
            FleetIssueKind::PathUnknown { raw, variables } => format!(
                "{id} builds spec.path `{raw}`, whose {} `{}` {} set from an object fleetlint cannot see (created outside Git or encrypted): what it renders is unknown",
                if variables.len() == 1 { "variable" } else { "variables" },
                variables.join("`, `"),
                if variables.len() == 1 { "is" } else { "are" },
            ),
            FleetIssueKind::ResourceSetNotRendered { reason } => {
                format!("{id} is not rendered: {reason}; what it creates is unknown")
            }
            FleetIssueKind::ArtifactUnknown { artifact, reason } => {
                format!("ExternalArtifact {artifact} is not known: {reason}; what {id} renders is unknown")
            }
            _ => return None,
        };
        Some((Severity::Info, message))
    }
}
