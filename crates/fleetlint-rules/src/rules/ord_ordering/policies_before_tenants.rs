use fleetlint_fleet::Scope;
use fleetlint_yaml::FluxKind;

use super::helpers::naming::{describe, name_span};
use super::helpers::needs::group_of;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::{Avail, is_renderer};

declare_rule! {
    /// ## What it does
    /// In a cluster with tenants, reports a Kustomization that onboards tenants (renders a
    /// tenant Namespace, or a tenant's Flux Kustomization, HelmRelease or source, except one with
    /// `spec.kubeConfig`, whose workloads land on another cluster) while some
    /// Kustomization rendering admission policies is not applied before it: not in its
    /// transitive `dependsOn` closure (nor its ancestors'), or only through a child nobody
    /// waits for. Policy kinds: Kyverno `ClusterPolicy`/`Policy` (and the `policies.kyverno.io`
    /// kinds), `ValidatingAdmissionPolicy[Binding]`, `MutatingAdmissionPolicy[Binding]`,
    /// Gatekeeper `ConstraintTemplate` and constraints.
    ///
    /// Tenants are the fleet model's (docs/flux-semantics.md, "Tenants and scopes"): a namespace
    /// labelled `toolkit.fluxcd.io/tenant` is a tenant's only when something acts for that tenant
    /// (a lockdown flag, a ServiceAccount labelled with it or bound by a RoleBinding in its namespace, a reconciler naming a
    /// `serviceAccountName`, its own repository, or the configuration's `tenants`; what
    /// `flux create tenant` emits, fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go
    /// `createTenantCmdRun`). The label alone on namespaces the platform itself reconciles does
    /// not make a tenant: Flux's multi-tenancy isolates tenants by the ServiceAccount their
    /// reconcilers impersonate, and there is none to admit.
    ///
    /// Policies rendered by the onboarding Kustomization itself or by its ancestors do not count
    /// as missing (the tenant's own reconcilers run only after that apply), nor do policies
    /// applied only after it (by its descendants, or by Kustomizations that depend on it or on
    /// an ancestor that waits for it): a tenant that installs the policy engine itself cannot
    /// be onboarded after those policies. A Kustomization is not reported when an ancestor
    /// already is for the same reason.
    ///
    /// ## Why is this bad?
    /// On a fresh cluster or in disaster recovery, tenant objects are admitted before the
    /// policies meant to constrain them exist. The reference hierarchy is kyverno ->
    /// kyverno-policies -> tenants (flux2-multi-tenancy `clusters/*/tenants.yaml`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: tenants, namespace: flux-system}
    /// spec:                              # no dependsOn: [{name: kyverno-policies}]
    ///   path: ./tenants/production
    /// ```
    ///
    /// ## Fix
    /// Add a `dependsOn` entry for every Kustomization that renders the policies.
    pub(crate) struct PoliciesBeforeTenants {
        code: "ORD006",
        name: "policies-before-tenants",
        category: Category::DependencyOrder,
        severity: Severity::Warning,
    }
}

/// Whether an object is an admission policy.
fn is_policy(api_version: &str, kind: &str) -> bool {
    match group_of(api_version) {
        "kyverno.io" => matches!(kind, "ClusterPolicy" | "Policy"),
        "policies.kyverno.io" => kind.ends_with("Policy"),
        "admissionregistration.k8s.io" => matches!(
            kind,
            "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        ),
        "templates.gatekeeper.sh" => kind == "ConstraintTemplate",
        "constraints.gatekeeper.sh" => true,
        _ => false,
    }
}

impl Rule for PoliciesBeforeTenants {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        if c.tenants.is_empty() {
            return;
        }
        let g = cx.graph();
        let n = c.objects.len();
        // Renderers of policies (first policy object each), and of tenant onboarding objects.
        let (mut policy, mut onboards): (Vec<Option<usize>>, Vec<Option<usize>>) = (vec![None; n], vec![None; n]);
        for (i, o) in c.objects.iter().enumerate() {
            let Some(k) = g.parent[i].filter(|&k| is_renderer(g.object(k))) else { continue };
            if is_policy(o.api_version(), o.kind()) {
                policy[k].get_or_insert(i);
            }
            let tenant_ns = o.kind() == "Namespace" && c.tenant_of_namespace(o.name()).is_some();
            // A Kustomization or HelmRelease with `spec.kubeConfig` applies its workloads to
            // another cluster, which this cluster's admission policies never govern.
            let remote = o.flux().and_then(|f| f.kube_config()).is_some_and(|k| !k.0.value.is_null());
            let tenant_flux = o.scope == Scope::Tenant
                && !remote
                && o.flux_kind()
                    .is_some_and(|f| matches!(f, FluxKind::Kustomization | FluxKind::HelmRelease) || f.is_source());
            if tenant_ns || tenant_flux {
                onboards[k].get_or_insert(i);
            }
        }
        let providers: Vec<usize> = (0..n).filter(|&k| policy[k].is_some()).collect();
        if providers.is_empty() {
            return;
        }
        let avail: Vec<Vec<Avail>> = providers.iter().map(|&p| g.availability(&[p], &[], false)).collect();
        // Missing providers per onboarding Kustomization.
        let mut missing: Vec<Vec<usize>> = vec![Vec::new(); n];
        for k in (0..n).filter(|&k| onboards[k].is_some()) {
            missing[k] = (0..providers.len()).filter(|&pi| avail[pi][k] != Avail::Direct).collect();
            if missing[k].is_empty() {
                continue;
            }
            // Policies applied only after K cannot be required before it: K comes first by
            // design (e.g. the tenant that installs the policy engine itself).
            let after_k = g.availability(&[k], &[], false);
            missing[k].retain(|&pi| after_k[providers[pi]] == Avail::No);
        }
        let reported_above = g.below(&missing.iter().map(|m| !m.is_empty()).collect::<Vec<_>>());
        for k in 0..n {
            if missing[k].is_empty() || g.object(k).synthesized || reported_above[k] {
                continue;
            }
            let o = g.object(k);
            let names: Vec<String> = missing[k].iter().map(|&pi| describe(g.object(providers[pi]))).collect();
            let indirect = missing[k].iter().find_map(|&pi| match avail[pi][k] {
                Avail::Indirect { parent, child, .. } => Some(format!(
                    " ({} applies {} without waiting for it)",
                    describe(g.object(parent)),
                    describe(g.object(child))
                )),
                _ => None,
            });
            let onboard = onboards[k].expect("onboarding renderer");
            let message = format!(
                "{} onboards tenants ({}) before the admission policies of {} exist: it does not depend on {}{}",
                describe(o),
                describe(g.object(onboard)),
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" },
                indirect.unwrap_or_default(),
            );
            let mut f = Finding::new(Self::ID, o.flux().map_or(o.root.span, |f| f.span_of(&["dependsOn"])), message)
                .with_help(format!("add dependsOn entries for {}", names.join(", ")))
                .with_field("spec.dependsOn")
                .with_related(name_span(g.object(onboard)), "tenant onboarding object");
            for &pi in &missing[k] {
                let first = policy[providers[pi]].expect("policy renderer");
                f = f.with_related(
                    name_span(g.object(first)),
                    format!("policy rendered by {}", describe(g.object(providers[pi]))),
                );
            }
            out.push(cx.about(f, k));
        }
    }
}
