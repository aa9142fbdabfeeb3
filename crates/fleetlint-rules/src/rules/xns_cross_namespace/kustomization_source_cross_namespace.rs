use fleetlint_yaml::FluxKind;

use super::helpers::{Reference, finding, objects_of, severity};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::controllers::Controller;

declare_rule! {
    /// ## What it does
    /// Reports a Flux Kustomization whose `spec.sourceRef.namespace` names a namespace other than
    /// its own. Error when kustomize-controller runs with `--no-cross-namespace-refs=true`;
    /// otherwise a warning in tenant scope and an info in platform scope (infos only in clusters
    /// with tenants: in a single-team cluster this is the usual layout). When the repository
    /// does not show the controller flags, the "lockdown off" severity applies and the message
    /// says the lockdown is unknown.
    ///
    /// ## Why is this bad?
    /// Under lockdown kustomize-controller refuses the source (*can't access
    /// 'GitRepository/<ns>/<name>', cross-namespace references have been blocked*), marks the
    /// Kustomization Stalled with reason `AccessDenied` and does not retry until the spec
    /// changes. Without lockdown a tenant can build any other namespace's source — for example
    /// the platform's own repository.
    ///
    /// ## Severity
    /// lockdown-dependent: `error` where kustomize-controller runs with `--no-cross-namespace-
    /// refs=true`; otherwise `warning` in tenant scope and `info` in platform scope (infos only in
    /// clusters with tenants). An unknown controller configuration counts as lockdown off, and the
    /// message says so.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Put the source in the Kustomization's namespace (a GitRepository per tenant) and drop
    /// `sourceRef.namespace`.
    pub(crate) struct KustomizationSourceCrossNamespace {
        code: "XNS001",
        name: "kustomization-source-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

impl Rule for KustomizationSourceCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, _, kustomization) in objects_of(cx, FluxKind::Kustomization) {
            let Some(sref) = kustomization.source_ref() else { continue };
            let Some((node, _)) = sref.cross_namespace() else { continue };
            let id = sref.id("GitRepository");
            let r = Reference {
                object: i,
                node,
                field: "spec.sourceRef.namespace".into(),
                controller: Controller::Kustomize,
                what: format!("spec.sourceRef names {id}"),
                blocked: format!("can't access '{id}', cross-namespace references have been blocked"),
                open: "this Kustomization builds and applies another namespace's source".into(),
                help: "put the source in the Kustomization's namespace and drop sourceRef.namespace",
            };
            out.extend(finding(cx, Self::ID, &r, severity));
        }
    }
}
