use fleetlint_fleet::RenderedObject;
use fleetlint_schema::{ErrorKind, Outcome, SchemaError, SchemaSet, SchemaSource, ValidateOptions};

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
    /// Flux applies with server-side apply and sets no `fieldValidation` (fluxcd/pkg@e2cfd1a2
    /// `ssa/manager_apply.go`, `dryRunApply` and `apply`), which the API server then takes as
    /// `Warn` (kubernetes/kubernetes `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go`,
    /// `fieldValidation`). But an apply patch is first turned into its typed form whatever that
    /// directive says, and a field the schema does not declare fails it with `field not declared
    /// in schema` (kubernetes/kubernetes@025f283
    /// `staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/structuredmerge.go`,
    /// `structuredMergeManager.Apply` -> `typeConverter.ObjectToTyped`; `handlers/patch.go`
    /// `applyPatcher.applyPatchToCurrentObject` calls it before any strict decoding): the
    /// dry-run fails and the Kustomization does not reconcile.
    ///
    /// But before applying, kustomize-controller converts every object of a kind its Go client
    /// knows into that Go type and back (fluxcd/kustomize-controller@186fb3b
    /// `internal/controller/kustomization_controller.go`, `apply` -> `normalize.UnstructuredList`;
    /// fluxcd/pkg@e2cfd1a2 `ssa/normalize/normalize.go`, `UnstructuredWithScheme`, with client-go's
    /// `scheme.Scheme` at v0.36.2, which ignores fields the type lacks). A built-in kind's unknown
    /// field therefore never reaches the API server: the apply succeeds and the setting the
    /// author meant is silently never made.
    ///
    /// ## Severity
    /// `error` on custom resources (Flux kinds, kinds of a CRD rendered in the cluster), on
    /// CustomResourceDefinition and APIService (not in client-go's scheme), on `Role` and
    /// `ClusterRole` (normalization skips them, fluxcd/kustomize-controller#1041) and on any
    /// object that also has a value of the wrong type (its conversion fails, so the object goes to
    /// the API server unchanged), and on a field the cluster's older Kubernetes lacks but
    /// client-go's types declare (it survives normalization; that API server rejects it).
    /// `warning` on the other built-in kinds, whose unknown field is dropped silently. Issue 14 overrides the catalog here, which makes every unknown field an
    /// error.
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
        schema_findings(cx, Self::ID, |k| k == ErrorKind::UnknownField, grade, out);
    }
}

/// The API group of every package client-go registers in `kubernetes/scheme.Scheme`, the scheme
/// Flux normalizes with (kubernetes/client-go@877f53593 (v0.36.2) `kubernetes/scheme/register.go`,
/// the version fluxcd/pkg ssa and kustomize-controller pin), with the versions of each.
/// Not there: `apiextensions.k8s.io` (CustomResourceDefinition) and `apiregistration.k8s.io`
/// (APIService), served by Kubernetes but registered by other modules.
const CLIENT_GO_SCHEME: &[(&str, &[&str])] = &[
    ("", &["v1"]),
    ("admissionregistration.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("internal.apiserver.k8s.io", &["v1alpha1"]),
    ("apps", &["v1", "v1beta1", "v1beta2"]),
    ("authentication.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("authorization.k8s.io", &["v1", "v1beta1"]),
    ("autoscaling", &["v1", "v2"]),
    ("batch", &["v1", "v1beta1"]),
    ("certificates.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("coordination.k8s.io", &["v1", "v1alpha2", "v1beta1"]),
    ("discovery.k8s.io", &["v1", "v1beta1"]),
    ("events.k8s.io", &["v1", "v1beta1"]),
    ("extensions", &["v1beta1"]),
    ("flowcontrol.apiserver.k8s.io", &["v1", "v1beta1", "v1beta2", "v1beta3"]),
    ("networking.k8s.io", &["v1", "v1beta1"]),
    ("node.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("policy", &["v1", "v1beta1"]),
    ("rbac.authorization.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("resource.k8s.io", &["v1", "v1alpha3", "v1beta1", "v1beta2"]),
    ("scheduling.k8s.io", &["v1", "v1alpha2", "v1beta1"]),
    ("storage.k8s.io", &["v1", "v1alpha1", "v1beta1"]),
    ("storagemigration.k8s.io", &["v1beta1"]),
];

/// Whether kustomize-controller's normalization drops an unknown field of `o` before the apply
/// (fluxcd/pkg@e2cfd1a2 `ssa/normalize/normalize.go`): the object's kind is a built-in one
/// client-go's scheme knows (`FromUnstructuredWithScheme` ignores fields the Go type lacks, and
/// `ToUnstructured` writes only the type's fields), it is not a `Role` or `ClusterRole` of
/// `rbac.authorization.k8s.io/v1` (`UnstructuredListWithScheme` skips them), and its conversion
/// succeeds (on a type error the object is applied unchanged, unknown field included).
fn dropped_before_apply(o: &RenderedObject, source: &SchemaSource, errors: &[SchemaError]) -> bool {
    if !matches!(source, SchemaSource::Kubernetes { .. }) || errors.iter().any(|e| e.kind == ErrorKind::WrongType) {
        return false;
    }
    let (group, version) = o.api_version().rsplit_once('/').unwrap_or(("", o.api_version()));
    if group == "rbac.authorization.k8s.io" && version == "v1" && matches!(o.kind(), "Role" | "ClusterRole") {
        return false;
    }
    CLIENT_GO_SCHEME.iter().any(|(g, versions)| *g == group && versions.contains(&version))
}

/// Whether the field is unknown to the Go types Flux normalizes with too. Those are client-go
/// v0.36's (Kubernetes 1.36): a field that an older cluster's schema lacks but a newer one
/// declares (`lifecycle.stopSignal` on 1.32) survives normalization and the older API server
/// rejects it. The newest bundled schema stands for client-go's types.
fn unknown_to_flux_client(o: &RenderedObject, source: &SchemaSource, field: &str) -> bool {
    let newest = SchemaSet::new();
    if matches!(source, SchemaSource::Kubernetes { version } if *version == newest.kubernetes_version()) {
        return true;
    }
    match newest.validate(&o.root, &ValidateOptions::default()) {
        Outcome::Validated { errors, .. } => {
            errors.iter().any(|e| e.kind == ErrorKind::UnknownField && e.path.to_string() == field)
        }
        Outcome::Unvalidated(_) => false,
    }
}

/// An unknown field Flux drops before applying is a warning, with the help saying so.
fn grade(o: &RenderedObject, source: &SchemaSource, errors: &[SchemaError], mut f: Finding) -> Finding {
    if dropped_before_apply(o, source, errors) && unknown_to_flux_client(o, source, &f.field) {
        f.severity = Severity::Warning;
        f.help = Some(format!(
            "{} {} has no such field: kustomize-controller converts the object through its Go type before \
             applying, which drops the field silently, so the setting is never made",
            o.api_version(),
            o.kind(),
        ));
    }
    f
}
