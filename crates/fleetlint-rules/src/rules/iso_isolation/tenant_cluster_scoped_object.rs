use fleetlint_fleet::Scope;
use fleetlint_yaml::{FluxKind, Node};

use super::helpers::{applies_as, label};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::{self, UNKNOWN_NOTE};

declare_rule! {
    /// ## What it does
    /// Reports a cluster-scoped object in the output of a tenant's Flux Kustomization.
    ///
    /// Cluster-scoped means a built-in kind (Namespace, ClusterRole, ClusterRoleBinding,
    /// CustomResourceDefinition, webhook configurations, admission policies, APIService,
    /// PriorityClass, StorageClass, …, and a few common add-on kinds such as ClusterIssuer and
    /// ClusterPolicy) or a custom kind whose CRD in the cluster has `scope: Cluster`.
    ///
    /// ## Why is this bad?
    /// A tenant's service account is bound by RoleBindings in its namespaces and cannot create
    /// cluster-scoped objects: the server-side dry-run of the whole stage fails and nothing the
    /// Kustomization renders is applied. If the apply does succeed, the tenant's identity is
    /// over-privileged (ISO006) and can reach across namespaces.
    ///
    /// A `Namespace` for one of the tenant's own namespaces that already exists (created by the
    /// platform, or pre-existing) does not fail and is left to ISO010. Custom kinds without a CRD
    /// in the cluster count as namespaced. What HelmReleases and Kustomizations with unmapped
    /// sources render is unknown and not checked.
    ///
    /// ## Example
    /// ```yaml
    /// # in team-a's repo, reconciled by Kustomization team-a/app (SA team-a)
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: team-a-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects: [{kind: ServiceAccount, name: team-a, namespace: team-a}]
    /// ```
    ///
    /// ## Fix
    /// Move cluster-scoped objects to the platform repository (reconciled by a platform
    /// Kustomization), or replace them with namespaced ones (Role, RoleBinding).
    pub(crate) struct TenantClusterScopedObject {
        code: "ISO004",
        name: "tenant-cluster-scoped-object",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

impl Rule for TenantClusterScopedObject {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let cluster = cx.cluster;
        let scopes = cx.scopes();
        for (i, o) in cluster.objects.iter().enumerate() {
            let Some(owner) = o.owner.map(|p| &cluster.objects[p]) else { continue };
            if o.synthesized
                || owner.scope != Scope::Tenant
                || owner.flux_kind() != Some(FluxKind::Kustomization)
                || !scopes.cluster_scoped(o)
            {
                continue;
            }
            let tenant = owner.tenant.as_deref().unwrap_or("");
            if o.kind() == "Namespace" && own_existing_namespace(cx, i, tenant) {
                continue;
            }
            let identity = match applies_as(cluster, owner) {
                Some(sa) => format!(
                    "applied as {sa}, which a tenant's namespace-scoped RoleBindings do not allow to create it, so the whole apply fails; if it can, the tenant is over-privileged"
                ),
                None if lockdown::known(cluster) => "it is applied as kustomize-controller's own service account (cluster-admin), so the tenant creates cluster-wide objects".to_string(),
                None => format!(
                    "it is applied as kustomize-controller's own service account (cluster-admin) unless the controller runs with --default-service-account, so the tenant creates cluster-wide objects ({UNKNOWN_NOTE})"
                ),
            };
            let span = o.root.get("kind").map_or(o.root.span, |n| n.span);
            let owner_at = owner.root.get_path(&["metadata", "name"]).map_or(owner.root.span, |n| n.span);
            let f = Self::finding(
                span,
                format!(
                    "{} is cluster-scoped but rendered by tenant {tenant}'s {}: {identity}",
                    label(o),
                    label(owner)
                ),
            )
            .with_related(owner_at, format!("tenant {tenant}'s {} renders it", label(owner)))
            .with_help(
                "move cluster-scoped objects to the platform repository, or use namespaced equivalents (Role, RoleBinding)",
            )
            .with_field("kind");
            out.push(cx.about(f, i));
        }
    }
}

/// A Namespace of the tenant's own that exists without it: pre-existing, or also created by
/// someone else (the platform's tenant onboarding).
fn own_existing_namespace(cx: &ClusterContext<'_>, i: usize, tenant: &str) -> bool {
    let cluster = cx.cluster;
    let o = &cluster.objects[i];
    let name = o.name();
    if cluster.tenant_of_namespace(name) != Some(tenant) {
        return false;
    }
    cluster.preexisting_namespaces.iter().any(|n| n == name)
        || cluster.objects.iter().enumerate().any(|(j, other)| {
            j != i
                && other.kind() == "Namespace"
                && other.name() == name
                && other.owner != o.owner
                && other.root.get("apiVersion").and_then(Node::as_str) == Some("v1")
        })
}
