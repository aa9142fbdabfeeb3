use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind, MissingPath};

use super::helpers::fleet_issues;
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
        fleet_issues::findings(
            cx,
            Self::ID,
            "point spec.path at an existing directory of the source, relative to its root",
            Self::describe,
            out,
        );
    }
}

impl KustomizationPathMissing {
    /// The wording of a `spec.path` that is not a directory of the artifact (error), or that
    /// leaves the source root and is clamped (warning).
    pub(crate) fn describe(issue: &FleetIssue, _: &Cluster) -> Option<(Severity, String)> {
        Some(match &issue.kind {
            FleetIssueKind::PathClamped { raw, clamped } => (
                Severity::Warning,
                format!("spec.path `{raw}` leaves the source root; kustomize-controller clamps it to `{clamped}`"),
            ),
            FleetIssueKind::PathMissing { raw, why, .. } => {
                let what = match why {
                    MissingPath::Excluded => {
                        "is excluded from the source artifact (.sourceignore, the source's spec.ignore or spec.sparseCheckout)"
                    }
                    MissingPath::IsFile => "is a file, not a directory",
                    MissingPath::NotFound => "does not exist in the source",
                };
                (Severity::Error, format!("spec.path `{raw}` {what}: kustomization path not found"))
            }
            _ => return None,
        })
    }
}
