use fleetlint_yaml::{FluxKind, Node};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a GitRepository rendered in a cluster with no `spec.ref`, or a `ref` that sets
    /// none of `branch`, `tag`, `semver`, `name` or `commit` (empty values count as unset). The
    /// object is judged after overlays, so a ref added by a patch counts.
    ///
    /// ## Why is this bad?
    /// source-controller then clones branch `master`, which most repositories created since 2020
    /// do not have: the source fails with a "reference not found" error and nothing that reads it
    /// is reconciled. Where `master` exists, the cluster silently follows whatever lands there.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: source.toolkit.fluxcd.io/v1
    /// kind: GitRepository
    /// metadata: {name: team-a, namespace: team-a}
    /// spec: {interval: 1m, url: https://github.com/org/team-a}   # -> refs/heads/master
    /// ```
    ///
    /// ## Fix
    /// Name what to follow: `ref: {branch: main}` (or a `tag`, `semver` range or `commit`).
    pub(crate) struct GitrepositoryImplicitBranch {
        code: "HYG001",
        name: "gitrepository-implicit-branch",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

/// The `spec.ref` fields that select a revision.
const REF_FIELDS: &[&str] = &["branch", "tag", "semver", "name", "commit"];

impl Rule for GitrepositoryImplicitBranch {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // One finding per manifest, however many objects overlays render from it.
        let mut seen = std::collections::HashSet::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || o.flux_kind() != Some(FluxKind::GitRepository) {
                continue;
            }
            let reference = o.flux().and_then(|f| f.reference()).map(|f| f.value);
            let selects = reference.is_some_and(|r| {
                REF_FIELDS.iter().any(|f| r.get(f).and_then(Node::as_str).is_some_and(|v| !v.trim().is_empty()))
            });
            if selects {
                continue;
            }
            let span = o.root.nearest_key(&["spec", "ref"]).map_or(o.root.span, |k| k.span);
            if !seen.insert(span) {
                continue;
            }
            let what = match reference {
                Some(_) => "a `spec.ref` that selects nothing",
                None => "no `spec.ref`",
            };
            let message = format!(
                "GitRepository `{}/{}` has {what}: source-controller clones branch `master`",
                o.namespace(),
                o.name()
            );
            let f = Self::finding(span, message)
                .with_help(
                    "set `spec.ref.branch` (or `tag`, `semver`, `commit`) to the revision the cluster should follow",
                )
                .with_field("spec.ref");
            out.push(cx.about(f, i));
        }
    }
}
