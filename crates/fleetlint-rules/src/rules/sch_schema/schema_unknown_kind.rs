use std::collections::BTreeMap;

use fleetlint_schema::{Outcome, Unvalidated};
use fleetlint_yaml::Node;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a kind whose objects cannot be validated because no schema is known for it: not a
    /// built-in Kubernetes kind, not a Flux kind, and no CustomResourceDefinition for it rendered
    /// in the cluster (its CRD is installed by a Helm chart, by hand, or by a source fleetlint
    /// does not read).
    ///
    /// A CRD whose schema cannot be compiled (an invalid regular expression, say) is reported
    /// the same way for its kind.
    ///
    /// So is a kind whose CRD the cluster may replace with one fleetlint cannot read: a build
    /// of the cluster leaves out a remote resource (SRC005) that could hold the CRD, or a
    /// FluxInstance's `spec.kustomize.patches` selects the kind's CRD in the Flux distribution
    /// to delete it or change its `spec` (not to label or annotate it). A remote "could hold" the CRD `<plural>.<group>` when its URL
    /// names that CRD's file as controller-gen names it (`<group>_<plural>.yaml`), or, for any
    /// other URL, when it names the group, the plural, or the group's organisation label
    /// (`fluxcd` in `source.toolkit.fluxcd.io`). A remote whose URL names none of them (a
    /// cert-manager release, another CRD's `<group>_<plural>.yaml`) does not. The bundled or
    /// rendered schema may then not be the one the API server validates against, so the
    /// kind's objects are not validated (no SCH001 or SCH002 errors) and this finding says why.
    ///
    /// One finding per kind and cluster, at the first object of the kind; the number of
    /// objects not validated is the report's `summary.unvalidated_objects`. The command line
    /// shows these findings with `--verbose` (or when SCH003 is selected by code).
    ///
    /// Objects of a built-in or Flux API version that the schemas no longer serve are not
    /// reported here: a removed API version is API001's.
    ///
    /// ## Why is this bad?
    /// It is not bad in itself, but a mistake in such an object (a misspelt field, a wrong type)
    /// is only found by the API server when Flux applies it. An object is never taken as valid
    /// for want of a schema.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate # no cert-manager CRD in the repository
    /// metadata: {name: web, namespace: apps}
    /// ```
    ///
    /// ## Fix
    /// Nothing is required. To have the objects validated, render the CRD in the cluster (a
    /// `crds/` directory applied by a Flux Kustomization).
    pub(crate) struct SchemaUnknownKind {
        code: "SCH003",
        name: "schema-unknown-kind",
        category: Category::Schema,
        severity: Severity::Info,
    }
}

impl Rule for SchemaUnknownKind {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // (apiVersion, kind) -> (the object written first, how many)
        let mut kinds: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
        let at = |i: usize| {
            let s = cx.object(i).root.span;
            (s.file.0, s.start)
        };
        let check = cx.schemas();
        for (i, outcome) in check.outcomes.iter().enumerate() {
            let unknown = matches!(
                outcome,
                Some(Outcome::Unvalidated(Unvalidated::UnknownKind { .. } | Unvalidated::BadSchema { .. }))
            );
            if !unknown && !check.replaced.contains_key(&i) {
                continue;
            }
            let o = cx.object(i);
            let entry = kinds.entry((o.api_version(), o.kind())).or_insert((i, 0));
            entry.1 += 1;
            if at(i) < at(entry.0) {
                entry.0 = i;
            }
        }
        for ((api_version, kind), (i, count)) in kinds {
            let o = cx.object(i);
            let span = o.root.get("kind").map_or(o.root.span, |k: &Node| k.span);
            let replaced = check.replaced.get(&i);
            let message = match (&check.outcomes[i], replaced) {
                (_, Some(r)) => format!(
                    "`{api_version}` {kind}: the schema of its CRD is not known, {}; its objects are not validated",
                    r.what
                ),
                (Some(Outcome::Unvalidated(Unvalidated::BadSchema { reason, .. })), None) => format!(
                    "`{api_version}` {kind}: the schema of its CRD does not compile ({reason}); its objects are not validated"
                ),
                _ => format!("`{api_version}` {kind} has no known schema: its objects are not validated"),
            };
            let help = if replaced.is_some() {
                format!(
                    "{count} object(s) of this kind in the cluster; commit the CustomResourceDefinition the cluster \
                     runs (vendor the remote file) to have them validated"
                )
            } else {
                format!(
                    "{count} object(s) of this kind in the cluster; render its CustomResourceDefinition in the cluster \
                     to have them validated"
                )
            };
            let mut f = Self::finding(span, message).with_help(help).with_field("kind");
            for span in replaced.iter().flat_map(|r| &r.spans) {
                f = f.with_related(*span, "what may replace the CRD");
            }
            out.push(cx.about(f, i));
        }
    }
}
