use std::collections::BTreeSet;

use fleetlint_fleet::Scope;
use fleetlint_fleet::rbac::{Binding, Subject, self_served};

use super::helpers::{describe_binding, describe_subject};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a grant that reaches beyond a tenant's namespaces: (a) a ClusterRoleBinding whose
    /// subjects include a ServiceAccount in a tenant namespace, the group
    /// `system:serviceaccounts:<tenant-ns>`, or `system:serviceaccounts` /
    /// `system:authenticated`; (b) a RoleBinding in a namespace the tenant does not own whose
    /// subjects include a ServiceAccount (or the ServiceAccount group) of one of the tenant's
    /// namespaces. Only tenants that deliver their own content count — a Flux Kustomization in
    /// one of their namespaces reading a source in one of their namespaces — because only they
    /// can write the Flux objects that impersonate those ServiceAccounts. Namespaces the
    /// platform labels with a team but fills from its own repository (the D1 fleet's
    /// `platform-team` add-ons bound to `cluster-admin` by design) are not reported.
    ///
    /// ## Why is this bad?
    /// Flux impersonates whatever ServiceAccount name an object gives, always in the object's
    /// own namespace, so every ServiceAccount in a tenant namespace is usable by that tenant —
    /// including ones the platform created for other purposes. A ClusterRoleBinding (or a
    /// RoleBinding elsewhere) hands the tenant that reach: `flux create tenant` deliberately
    /// binds with a RoleBinding scoped to the tenant's namespace.
    ///
    /// ## Severity
    /// `error`; a `warning` for a ClusterRoleBinding the platform writes (not a tenant's
    /// reconciler) for a tenant ServiceAccount that also has its tenant binding (a RoleBinding in
    /// its own namespace): a grant on top of the tenant's usual rights, in a binding of its own,
    /// is how fleets hand a platform team cluster scope on purpose (heldout10,
    /// colincmac/aks-lz-manifests: `cluster-reconciler-core-platform`), not the RoleBinding
    /// written as a ClusterRoleBinding by mistake. The catalog says error; issue 14 (an error
    /// must be a problem a maintainer would fix) overrides it there.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding           # should have been a RoleBinding in namespace team-a
    /// metadata: {name: team-a-reconciler}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects: [{kind: ServiceAccount, name: team-a, namespace: team-a}]
    /// ```
    ///
    /// ## Fix
    /// Bind tenant ServiceAccounts with RoleBindings in the tenant's own namespaces only. What a
    /// tenant needs cluster-wide, the platform applies on its behalf.
    pub(crate) struct TenantServiceAccountOverPrivileged {
        code: "ISO006",
        name: "tenant-service-account-over-privileged",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

impl Rule for TenantServiceAccountOverPrivileged {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let served = self_served(cx.cluster);
        if served.is_empty() {
            return;
        }
        for b in cx.bindings() {
            for s in b.subjects() {
                if let Some(reach) = reach(cx, &served, b, &s) {
                    let message = format!(
                        "{} grants {} {} to {}, {reach}: any reconciler of that tenant can impersonate it",
                        describe_binding(b),
                        b.role_kind,
                        b.role_name,
                        describe_subject(&s)
                    );
                    let deliberate = deliberate_grant(cx, b, &s);
                    let message = if deliberate {
                        format!(
                            "{message}; the ServiceAccount also has its tenant RoleBinding, so this looks like a deliberate grant (a platform team): suppress it if so"
                        )
                    } else {
                        message
                    };
                    let mut f = Finding::new(Self::ID, s.span(), message)
                        .with_related(b.role_span, "the role granted")
                        .with_help("bind tenant ServiceAccounts with RoleBindings in the tenant's own namespaces only")
                        .with_field(format!("subjects[{}]", s.index));
                    if deliberate {
                        f = f.with_severity(Severity::Warning);
                    }
                    out.push(cx.about(f, b.index));
                }
            }
        }
    }
}

/// Why subject `s` of binding `b` reaches beyond a tenant, when it does.
fn reach(cx: &ClusterContext<'_>, served: &BTreeSet<&str>, b: &Binding<'_>, s: &Subject<'_>) -> Option<String> {
    let c = cx.cluster;
    let tenant_of_target = (!b.cluster_wide).then(|| c.tenant_of_namespace(b.object.namespace()));
    // The namespace whose ServiceAccounts the subject names (`None`: all of them).
    let sa_ns: Option<Option<&str>> = match s.kind {
        "ServiceAccount" => Some(Some(s.namespace?)),
        _ => s.service_account_group(),
    };
    match sa_ns? {
        Some(ns) => {
            // A ServiceAccount a tenant's reconciler runs as is the tenant's wherever it lives.
            let account = (s.kind == "ServiceAccount")
                .then(|| c.tenant_accounts.get(&(ns.to_string(), s.name.to_string())))
                .flatten()
                .map(String::as_str);
            let tenant = account.or_else(|| c.tenant_of_namespace(ns)).filter(|t| served.contains(t))?;
            let who = if s.kind == "ServiceAccount" {
                format!("a ServiceAccount of tenant {tenant}")
            } else {
                format!("every ServiceAccount of tenant {tenant}'s namespace {ns}")
            };
            match tenant_of_target {
                None => Some(format!("{who}, cluster-wide")),
                Some(owner) if owner != Some(tenant) => {
                    let whose = owner.map_or_else(
                        || format!("namespace {} it does not own", b.object.namespace()),
                        |o| format!("tenant {o}'s namespace {}", b.object.namespace()),
                    );
                    Some(format!("{who}, in {whose}"))
                }
                Some(_) => None,
            }
        }
        // Every ServiceAccount, tenants' included: only a ClusterRoleBinding reaches beyond one
        // namespace for all of them (a RoleBinding grants inside its own namespace).
        None if b.cluster_wide => Some("which includes every tenant's ServiceAccounts, cluster-wide".to_string()),
        None => None,
    }
}

/// Whether ClusterRoleBinding `b`, written by the platform, grants a tenant ServiceAccount that
/// a RoleBinding in its own namespace also binds: an extra, deliberate grant.
fn deliberate_grant(cx: &ClusterContext<'_>, b: &Binding<'_>, s: &Subject<'_>) -> bool {
    if !b.cluster_wide || s.kind != "ServiceAccount" || b.object.scope != Scope::Platform {
        return false;
    }
    let Some(ns) = s.namespace else { return false };
    cx.bindings().iter().any(|other| {
        !other.cluster_wide
            && other.object.namespace() == ns
            && other
                .subjects()
                .iter()
                .any(|o| o.kind == "ServiceAccount" && o.name == s.name && o.namespace == Some(ns))
    })
}
