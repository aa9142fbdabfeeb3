use fleetlint_yaml::{FluxKind, Span};

use fleetlint_fleet::rbac::grants;

use super::helpers::{
    NO_ISOLATION_NOTE, controller_of, describe_grant, isolation_intended, label, lockdown_anchor, narrow,
    service_account, spec_written_elsewhere,
};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::{self, UNKNOWN_NOTE};

declare_rule! {
    /// ## What it does
    /// Reports a tenant's Flux `Kustomization` or `HelmRelease` without `spec.serviceAccountName`.
    ///
    /// ## Why is this bad?
    /// Without `--default-service-account` on the controller, such an object is applied with the
    /// controller's own service account, which is bound to `cluster-admin`: whatever the tenant
    /// commits is created anywhere in the cluster. With the flag set, the controller impersonates
    /// the namespace's default service account instead, which the multi-tenancy setup keeps
    /// without permissions, so every apply fails with Forbidden (safe, but broken).
    ///
    /// The finding is an error either way; it is a warning when a binding in the cluster grants
    /// that default service account a role on purpose (ISO007 reviews that grant). When the
    /// repository does not show how the controllers run, the "cluster-admin" message is used and
    /// says that the lockdown is unknown. Objects with `spec.kubeConfig` apply to another cluster
    /// with the kubeconfig's identity and are left to ISO008.
    ///
    /// Tenants are the fleet model's (docs/flux-semantics.md, "Tenants and scopes"): a namespace
    /// labelled `toolkit.fluxcd.io/tenant` is a tenant's only when something acts for the tenant
    /// (a lockdown flag, a ServiceAccount labelled with it or bound by a RoleBinding in its namespace, a reconciler
    /// naming a `serviceAccountName`, its own repository, or the configuration's `tenants`; what
    /// `flux create tenant` writes, fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go
    /// `createTenantCmdRun`). Namespaces the platform fills from its own repository that only
    /// carry the label are not tenants, so their releases are not reported. An unlabelled
    /// namespace whose Kustomization impersonates a ServiceAccount of that namespace bound by a
    /// RoleBinding there is a tenant: what its Kustomization renders is judged as the tenant's.
    ///
    /// A base that sets the service account and an overlay that removes it (a `null` in a
    /// strategic-merge patch, a JSON6902 `remove`) is reported at the base's `spec:` key, with
    /// the overlay files that write into `spec` as related locations.
    ///
    /// ## Severity
    /// `error`; `warning` where `--default-service-account` names a service account that is granted
    /// a role, so the reconciliation works but hangs on that grant, and where nothing but the
    /// `toolkit.fluxcd.io/tenant` label sets tenancy up (no lockdown flag, no tenant reconciler
    /// service account, no `tenants` in the configuration): Flux's single-tenant examples use
    /// that label for ownership (issue 14 overrides the catalog here).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: app, namespace: team-a}   # team-a is a tenant namespace
    /// spec:
    ///   interval: 10m
    ///   prune: true
    ///   sourceRef: {kind: GitRepository, name: app}
    ///   # no serviceAccountName
    /// ```
    ///
    /// ## Fix
    /// Set `spec.serviceAccountName` to the tenant's reconciler service account (the one
    /// `flux create tenant` creates, bound by a RoleBinding in the tenant's namespaces), and run
    /// kustomize- and helm-controller with `--default-service-account`.
    pub(crate) struct TenantReconcilerWithoutServiceAccount {
        code: "ISO001",
        name: "tenant-reconciler-without-service-account",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

impl Rule for TenantReconcilerWithoutServiceAccount {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let cluster = cx.cluster;
        for (i, o) in cluster.objects.iter().enumerate() {
            let kind = o.flux_kind();
            if o.synthesized
                || o.scope != fleetlint_fleet::Scope::Tenant
                || !matches!(kind, Some(FluxKind::Kustomization | FluxKind::HelmRelease))
                || o.flux().and_then(|f| f.kube_config()).is_some_and(|k| !k.0.value.is_null())
            {
                continue;
            }
            let Err(span) = service_account(o) else { continue };
            let controller = controller_of(o);
            let ns = o.namespace();
            let tenant = o.tenant.as_deref().unwrap_or("");
            let who = format!("{} of tenant {tenant}", label(o));
            let mut related: Vec<(Span, String)> = Vec::new();
            let mut severity = Severity::Error;
            let lockdown_default = lockdown::default_service_account(cluster, controller);
            let message = match lockdown_default.clone() {
                Some((sa, flag)) => {
                    if let Some(s) = flag {
                        let at = narrow(cx.db, s, "--default-service-account");
                        related.push((at, format!("{controller} runs with --default-service-account={sa}")));
                    }
                    let impersonates = format!("{controller} impersonates {ns}:{sa} (--default-service-account)");
                    match grants(cluster, ns, &sa).first() {
                        // Deliberately privileged fallback (ISO007 reviews the grant): it works.
                        Some(g) => {
                            severity = Severity::Warning;
                            related.push((g.subject, format!("{ns}:{sa} is granted a role here")));
                            format!(
                                "{who} has no spec.serviceAccountName: {impersonates}, which {}, so the tenant's permissions hang on the namespace's default service account",
                                describe_grant(g)
                            )
                        }
                        None => format!(
                            "{who} has no spec.serviceAccountName: {impersonates}, so every apply will be Forbidden unless that service account is granted access"
                        ),
                    }
                }
                None if lockdown::known(cluster) => {
                    let anchor = lockdown_anchor(cluster, cx.db);
                    related.push((
                        anchor,
                        format!("{controller} gets no --default-service-account from this cluster's flux-system kustomization"),
                    ));
                    format!(
                        "{who} has no spec.serviceAccountName and {controller} runs without --default-service-account: it is applied as the controller's own service account (cluster-admin)"
                    )
                }
                None => format!(
                    "{who} has no spec.serviceAccountName: it is applied as {controller}'s own service account (cluster-admin) unless the controller runs with --default-service-account ({UNKNOWN_NOTE})"
                ),
            };
            let mut f = Self::finding(span, message);
            f.severity = severity;
            if !isolation_intended(cluster, o.tenant.as_deref()) {
                // Only the tenant label says "tenant": the fleet may use it as an ownership label.
                f.severity = f.severity.min(Severity::Warning);
                f.message.push_str(NO_ISOLATION_NOTE);
            }
            for (at, why) in related {
                f = f.with_related(at, why);
            }
            for s in spec_written_elsewhere(o) {
                f = f.with_related(s, "an overlay writes into this object's spec here");
            }
            // Only suggest the lockdown flag where the cluster does not have it yet.
            let help = if lockdown_default.is_some() {
                format!("set spec.serviceAccountName to tenant {tenant}'s reconciler service account in {ns}")
            } else {
                format!(
                    "set spec.serviceAccountName to tenant {tenant}'s reconciler service account in {ns}, and run kustomize- and helm-controller with --default-service-account"
                )
            };
            out.push(cx.about(f, i).with_help(help).with_field("spec.serviceAccountName"));
        }
    }
}
