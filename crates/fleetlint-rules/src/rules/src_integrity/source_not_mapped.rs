use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind};

use super::helpers::fleet_issues;
use crate::context::{BuildContext, ClusterContext};
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
    /// rendered objects say nothing about them. Also notes a root path (a FluxInstance's
    /// `sync.path`) that several directories of the tree hold, when which one the source's
    /// artifact is made of cannot be told: no cluster is built there, and the candidates are named.
    /// And when no cluster root is found at all while the checked repository defines Flux
    /// Kustomizations (a root installed by a script or Terraform, or a tenant repository checked
    /// on its own), it says so once, at the first of them: nothing was checked as a cluster.
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
    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        Self::check_fleet_issues(cx, out);
    }

    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        fleet_issues::findings(
            cx,
            Self::ID,
            "map the source to a local checkout with --source KEY=PATH or `sources:` in .fleetlint.yaml",
            Self::describe_unmapped,
            out,
        );
        // Issue 11 layout 7: no mapping helps here; the values are where fleetlint cannot read.
        fleet_issues::findings(
            cx,
            Self::ID,
            "the parent's postBuild takes these values from a ConfigMap or Secret fleetlint cannot read (created \
             outside Git, or encrypted): nothing under this path is checked; make sure the cluster defines them",
            Self::describe_path_unknown,
            out,
        );
    }
}

impl SourceNotMapped {
    /// Discovery's issues that belong to no cluster, reported once, in the tree holding them.
    fn check_fleet_issues(cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        Self::check_no_cluster(cx, out);
        for issue in &cx.fleet.issues {
            let FleetIssueKind::AmbiguousSourceRoot { path, candidates } = &issue.kind else { continue };
            if !cx.tree.files.iter().any(|f| f.id == issue.span.file) {
                continue;
            }
            let message = format!(
                "the root path `{path}` exists below several directories ({}): which one the source's artifact is made of is unknown, so no cluster is built there",
                candidates.join(", ")
            );
            out.push(
                Finding::new(Self::ID, issue.span, message)
                    .with_severity(Severity::Info)
                    .with_help("name the cluster directory with --clusters or `clusters:` in .fleetlint.yaml, or map the source with --source KEY=PATH")
                    .with_field(issue.field.clone()),
            );
        }
    }

    /// No root found, but the checked tree defines Flux Kustomizations: a user whose cluster was
    /// missed (its root applied by a script, Terraform, or by hand from a directory fleetlint
    /// does not see) learns it in one run instead of reading a clean report (issue 11).
    fn check_no_cluster(cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        if cx.tree_index != 0 || !cx.fleet.clusters.is_empty() {
            return;
        }
        let is_flux_kustomization = |root: &fleetlint_yaml::Node| {
            root.get("kind").and_then(fleetlint_yaml::Node::as_str) == Some("Kustomization")
                && root
                    .get("apiVersion")
                    .and_then(fleetlint_yaml::Node::as_str)
                    .is_some_and(|v| v.starts_with("kustomize.toolkit.fluxcd.io/"))
        };
        let mut found = cx
            .tree
            .files
            .iter()
            .flat_map(|f| f.yaml.documents.iter())
            .filter(|d| is_flux_kustomization(&d.root))
            .map(|d| d.root.get("kind").map_or(d.root.span, |k| k.span));
        let Some(first) = found.next() else { return };
        let more = found.count();
        let what = if more == 0 {
            "this Flux Kustomization is".to_string()
        } else {
            format!("this Flux Kustomization and {more} more are")
        };
        let message = format!(
            "no cluster root was found: {what} applied by nothing in the repository, so no cluster's graph was checked"
        );
        out.push(Finding::new(Self::ID, first, message).with_severity(Severity::Info).with_help(
            "if the root is installed outside Git (a script, Terraform, kubectl apply), name its directory with --clusters DIR or `clusters:` in .fleetlint.yaml; a tenant or apps repository is checked through its fleet with --source KEY=PATH",
        ));
    }

    /// The wording of a Kustomization whose source is not mapped, and of a templated ResourceSet.
    pub(crate) fn describe(issue: &FleetIssue, cluster: &Cluster) -> Option<(Severity, String)> {
        Self::describe_unmapped(issue, cluster).or_else(|| Self::describe_path_unknown(issue, cluster))
    }

    fn describe_path_unknown(issue: &FleetIssue, cluster: &Cluster) -> Option<(Severity, String)> {
        let id = issue.object.map(|i| cluster.objects[i].id()).unwrap_or_default();
        let message = match &issue.kind {
            FleetIssueKind::PathUnknown { raw, variables } => format!(
                "{id} builds spec.path `{raw}`, whose {} `{}` {} set from an object fleetlint cannot see (created outside Git or encrypted): what it renders is unknown",
                if variables.len() == 1 { "variable" } else { "variables" },
                variables.join("`, `"),
                if variables.len() == 1 { "is" } else { "are" },
            ),
            _ => return None,
        };
        Some((Severity::Info, message))
    }

    fn describe_unmapped(issue: &FleetIssue, cluster: &Cluster) -> Option<(Severity, String)> {
        let id = issue.object.map(|i| cluster.objects[i].id()).unwrap_or_default();
        let message = match &issue.kind {
            FleetIssueKind::SourceNotMapped { source_kind, source_name } => format!(
                "source {source_kind}/{source_name} is not mapped to a local tree: what {id} renders is unknown (map it with --source)"
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
