use fleetlint_schema::ErrorKind;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::sch_schema::helpers::schema_findings;

declare_rule! {
    /// ## What it does
    /// Reports a field that the schema of the object's kind and API version does not define: a
    /// misspelt key (`prunne`), a key at the wrong level, or a field of another version.
    ///
    /// Validation is strict, like `kubectl apply --validate=strict`: an object of a built-in kind,
    /// a Flux kind, or a kind whose CRD is rendered in the same cluster may only hold the fields
    /// its schema declares, except below `x-kubernetes-preserve-unknown-fields`. A top-level
    /// `sops:` block is not reported (kustomize-controller decrypts and removes it). Fields that
    /// API002 reports as removed or deprecated are left to API002. A kind whose CRD the cluster
    /// may replace with one fleetlint cannot read (a left-out remote CRD, a FluxInstance patch of
    /// the distribution's CRD) is not validated: SCH003 says why.
    ///
    /// ## Why is this bad?
    /// Flux applies with server-side apply and strict field validation: the dry-run fails with
    /// `field not declared in schema` and the Kustomization does not reconcile. Where validation
    /// is lenient the field is silently dropped, and the setting the author meant is never made.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   interval: 10m
    ///   prunne: true # unknown field; did you mean `prune`?
    ///   sourceRef: {kind: GitRepository, name: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Spell the field as the schema does (the message suggests the closest one), move it to
    /// the level where it belongs, or remove it.
    pub(crate) struct UnknownField {
        code: "SCH002",
        name: "unknown-field",
        category: Category::Schema,
        severity: Severity::Error,
    }
}

impl Rule for UnknownField {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        schema_findings(cx, Self::ID, |k| k == ErrorKind::UnknownField, out);
    }
}
