use fleetlint_fleet::Scope;
use fleetlint_fleet::controllers::Controller;
use fleetlint_yaml::Span;

use fleetlint_fleet::rbac::self_served;

use super::helpers::applier;
use super::helpers::describe_binding;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown;

declare_rule! {
    /// ## What it does
    /// When kustomize- or helm-controller runs with `--default-service-account=<sa>`, reports
    /// (a) a RoleBinding or ClusterRoleBinding that grants any role to ServiceAccount `<sa>` of a
    /// tenant namespace, or to a group containing it (`system:serviceaccounts:<tenant-ns>`, or
    /// cluster-wide `system:serviceaccounts` / `system:authenticated`); (b) a tenant
    /// Kustomization or HelmRelease whose designated `serviceAccountName` is `<sa>`. Warning;
    /// error when the grant is cluster-wide. Grants count for tenants that deliver their own
    /// content (a Kustomization in their namespace reading a source in their namespace): only
    /// they write objects that fall back to `<sa>`.
    ///
    /// ## Why is this bad?
    /// The fallback identity must have no privileges (flux2-multi-tenancy README: it "should
    /// always be kept without any privileges"). Otherwise a tenant object that forgets
    /// `serviceAccountName` still works, hiding the mistake, and every pod of the namespace that
    /// runs as that ServiceAccount (the default for pods) inherits the reconciler's rights.
    ///
    /// ## Severity
    /// `warning` for a grant in the service account's namespace; `error` for a cluster-wide one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: default-admin, namespace: team-a}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
    /// subjects: [{kind: ServiceAccount, name: default, namespace: team-a}]   # the fallback SA
    /// ```
    ///
    /// ## Fix
    /// Give each tenant a dedicated reconciler ServiceAccount, bind the role to that one, and
    /// leave the fallback ServiceAccount without any binding.
    pub(crate) struct DefaultServiceAccountPrivileged {
        code: "ISO007",
        name: "default-service-account-privileged",
        category: Category::TenantIsolation,
        severity: Severity::Warning,
    }
}

const HELP: &str = "bind the role to a dedicated reconciler ServiceAccount and leave the fallback one without grants";

impl Rule for DefaultServiceAccountPrivileged {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        // (controller, fallback SA, the flag's text)
        let fallbacks: Vec<(Controller, String, Option<Span>)> = [Controller::Kustomize, Controller::Helm]
            .into_iter()
            .filter_map(|ctrl| lockdown::default_service_account(c, ctrl).map(|(sa, span)| (ctrl, sa, span)))
            .collect();
        if fallbacks.is_empty() {
            return;
        }
        let flag_span = fallbacks.iter().find_map(|(_, _, s)| *s);
        let is_fallback = |name: &str| fallbacks.iter().any(|(_, sa, _)| sa == name);
        // Only tenants that write their own Flux objects can lean on the fallback identity.
        let served = self_served(c);
        let tenant_ns = |ns: &str| c.tenant_of_namespace(ns).is_some_and(|t| served.contains(t));
        for b in cx.bindings() {
            for s in b.subjects() {
                let hit = match (s.kind, s.namespace, s.service_account_group()) {
                    ("ServiceAccount", Some(ns), _) if is_fallback(s.name) && tenant_ns(ns) => {
                        Some(format!("ServiceAccount {ns}/{}", s.name))
                    }
                    (_, _, Some(Some(ns))) if tenant_ns(ns) => {
                        Some(format!("group {} (which contains ServiceAccount {ns}/{})", s.name, fallbacks[0].1))
                    }
                    (_, _, Some(None)) if b.cluster_wide && !served.is_empty() => {
                        Some(format!("group {} (which contains every tenant's fallback ServiceAccount)", s.name))
                    }
                    (_, _, Some(None)) if tenant_ns(b.object.namespace()) => {
                        Some(format!("group {} (which contains the namespace's fallback ServiceAccount)", s.name))
                    }
                    _ => None,
                };
                let Some(who) = hit else { continue };
                let (severity, reach) = if b.cluster_wide {
                    (Severity::Error, "cluster-wide")
                } else {
                    (Severity::Warning, "in its namespace")
                };
                let message = format!(
                    "{} grants {} {} {reach} to {who}, the lockdown fallback identity: tenant objects without serviceAccountName still work with these rights, and so does every pod running as it",
                    describe_binding(b),
                    b.role_kind,
                    b.role_name
                );
                let mut f = Finding::new(Self::ID, s.span(), message)
                    .with_severity(severity)
                    .with_help(HELP)
                    .with_field(format!("subjects[{}]", s.index));
                if let Some(span) = flag_span {
                    f = f.with_related(span, "the controller flag --default-service-account");
                }
                out.push(cx.about(f, b.index));
            }
        }
        // A tenant's designated reconciler identity that is also the fallback.
        for (i, o) in c.objects.iter().enumerate() {
            if o.synthesized || o.scope != Scope::Tenant {
                continue;
            }
            let Some(ctrl) = applier(o) else { continue };
            let Some(node) = o.flux().and_then(|f| f.service_account()).map(|f| f.value) else { continue };
            let Some((_, sa, span)) =
                fallbacks.iter().find(|(c2, sa, _)| *c2 == ctrl && Some(sa.as_str()) == node.as_str())
            else {
                continue;
            };
            let message = format!(
                "spec.serviceAccountName `{sa}` is {ctrl}'s --default-service-account: the tenant's reconciler identity is also the fallback for every object that names none, and the default identity of the namespace's pods"
            );
            let mut f = Finding::new(Self::ID, node.span, message)
                .with_help("give the tenant a dedicated reconciler ServiceAccount")
                .with_field("spec.serviceAccountName");
            if let Some(span) = span {
                f = f.with_related(*span, "the controller flag --default-service-account");
            }
            out.push(cx.about(f, i));
        }
    }
}
