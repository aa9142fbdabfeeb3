use fleetlint_fleet::EntryKind;
use fleetlint_fleet::rbac::grants;
use fleetlint_yaml::{FluxKind, Node};

use super::helpers::{
    controller_of, entry_document, flux_system_kustomization, instance_spec, label, narrow, service_account,
    spec_written_elsewhere,
};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown;

declare_rule! {
    /// ## What it does
    /// Reports a platform Kustomization or HelmRelease without a service account under lockdown.
    ///
    /// A Flux `Kustomization` (resp. `HelmRelease`) in a platform namespace without
    /// `spec.serviceAccountName` is reported when kustomize-controller (resp. helm-controller) runs
    /// with `--default-service-account`. The bootstrap Kustomization counts too: when the repository
    /// holds only placeholder bootstrap files, its service account is the one the
    /// `flux-system/kustomization.yaml` patches give it, and the finding points at those patches.
    ///
    /// ## Why is this bad?
    /// The flag applies to every object without a service account, platform ones included: the
    /// object now impersonates `flux-system:<sa>` instead of the controller identity, and applying
    /// cluster-scoped or other namespaces' objects fails, e.g. *User
    /// "system:serviceaccount:flux-system:default" cannot patch resource "namespaces"*
    /// (fluxcd/flux2-multi-tenancy#69). The reference repository sets
    /// `serviceAccountName: kustomize-controller` on every platform Kustomization for this reason.
    ///
    /// Not reported when a ClusterRoleBinding grants that default service account a role (the
    /// apply then works; ISO007 reviews the grant), nor when the controller configuration is
    /// unknown. A FluxInstance with `spec.cluster.multitenant: true` gives its own sync
    /// Kustomization `serviceAccountName: kustomize-controller`, so that one is not reported.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: kyverno, namespace: flux-system}
    /// spec:            # missing serviceAccountName: kustomize-controller
    ///   interval: 10m
    ///   prune: true
    ///   path: ./infrastructure/kyverno
    ///   sourceRef: {kind: GitRepository, name: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Set `spec.serviceAccountName: kustomize-controller` (resp. `helm-controller`) on platform
    /// objects; for the bootstrap Kustomization add the JSON6902 patch of the flux2-multi-tenancy
    /// reference to `flux-system/kustomization.yaml`.
    pub(crate) struct PlatformReconcilerWithoutServiceAccount {
        code: "ISO003",
        name: "platform-reconciler-without-service-account",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

impl Rule for PlatformReconcilerWithoutServiceAccount {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let cluster = cx.cluster;
        // The operator patches `serviceAccountName: kustomize-controller` onto the Kustomization
        // it generates when multitenant is on; the fleet model's synthesized copy lacks it.
        let operator_sets_root_sa = cluster.entry == EntryKind::FluxInstance
            && entry_document(cluster, cx.db)
                .as_ref()
                .and_then(instance_spec)
                .and_then(|s| s.multitenant())
                .and_then(Node::as_bool)
                == Some(true);
        for (i, o) in cluster.objects.iter().enumerate() {
            if !matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::HelmRelease))
                || !cluster.is_platform_namespace(o.namespace())
                || (o.synthesized && operator_sets_root_sa)
            {
                continue;
            }
            let Err(span) = service_account(o) else { continue };
            let controller = controller_of(o);
            let Some((sa, flag)) = lockdown::default_service_account(cluster, controller) else { continue };
            let ns = o.namespace();
            if grants(cluster, ns, &sa).iter().any(|g| g.cluster_wide()) {
                continue;
            }
            let id = label(o);
            let consequence = format!(
                "with --default-service-account={sa} {controller} impersonates {ns}:{sa}, so applying cluster-scoped objects or objects in other namespaces fails with Forbidden"
            );
            let mut f = if o.synthesized {
                // Without a committed flux-system kustomization the repository does not show
                // the bootstrap patches, so it does not say the root lacks a service account.
                let Some(anchor) = flux_system_kustomization(cluster, cx.db) else { continue };
                Self::finding(
                    anchor,
                    format!(
                        "the bootstrap {id} gets no spec.serviceAccountName from this cluster's flux-system patches: {consequence}"
                    ),
                )
                .with_help(format!(
                    "add a patch to flux-system/kustomization.yaml that sets /spec/serviceAccountName to {controller} on the Kustomization flux-system"
                ))
            } else {
                let mut f = Self::finding(span, format!("{id} has no spec.serviceAccountName: {consequence}"))
                    .with_help(format!("set spec.serviceAccountName: {controller}"));
                for s in spec_written_elsewhere(o) {
                    f = f.with_related(s, "an overlay writes into this object's spec here");
                }
                f
            };
            if let Some(s) = flag {
                f = f.with_related(
                    narrow(cx.db, s, "--default-service-account"),
                    format!("{controller} runs with --default-service-account={sa}"),
                );
            }
            out.push(cx.about(f, i).with_field("spec.serviceAccountName"));
        }
    }
}
