//! Tenants and scopes (docs/flux-semantics.md#tenants-and-scopes): namespaces labelled `toolkit.fluxcd.io/tenant` (what
//! `flux create tenant` emits: `fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go`, `tenantLabel`) plus the config's tenant map; platform namespaces win over the
//! label. A label makes a tenant only when the tenant is onboarded ([`onboarded`]): something
//! acts for it. An object is in
//! tenant scope when a tenant-scope Flux object rendered it, when it lives in a tenant namespace,
//! or when it was built from a source in a tenant namespace.

use std::collections::{BTreeMap, BTreeSet};

use fleetlint_yaml::{FluxKind, Node, Span};

use crate::controllers::{Controller, DEFAULT_SERVICE_ACCOUNT, NO_CROSS_NAMESPACE_REFS, NO_REMOTE_BASES};
use crate::model::{Cluster, Scope};

/// The label `flux create tenant` puts on a tenant's namespace and objects.
pub const TENANT_LABEL: &str = "toolkit.fluxcd.io/tenant";

/// A namespace that may be a tenant's: (tenant, namespace, where it was declared).
type Candidate = (String, String, Span);

/// Fill `cluster.tenants`, `cluster.namespace_tenant` and every object's scope and tenant.
pub(crate) fn assign(cluster: &mut Cluster, configured: &BTreeMap<String, Vec<String>>) {
    let mut labelled: Vec<Candidate> = Vec::new();
    for o in &cluster.objects {
        if o.kind() != "Namespace" || o.api_version() != "v1" {
            continue;
        }
        let Some(label) = o.root.get_path(&["metadata", "labels", TENANT_LABEL]) else { continue };
        let Some(tenant) = label.as_str().filter(|t| !t.is_empty()) else { continue };
        if cluster.is_platform_namespace(o.name()) {
            cluster.platform_tenant_labels.push((o.name().to_string(), label.span));
            continue;
        }
        let name_span = o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span);
        labelled.push((tenant.to_string(), o.name().to_string(), name_span));
    }
    let candidates = labelled;
    let onboarded = onboarded(cluster, &candidates);
    for (tenant, ns, span) in &candidates {
        if onboarded.contains(tenant.as_str()) || configured.contains_key(tenant) {
            add(cluster, tenant, ns, Some(*span));
        }
    }
    for (tenant, namespaces) in configured {
        for ns in namespaces {
            add(cluster, tenant, ns, None);
        }
    }
    let reconcilers = tenant_reconcilers(cluster);
    for (account, tenant) in reconcilers.values() {
        cluster.tenant_accounts.insert(account.clone(), tenant.clone());
    }
    // Owners usually come before what they render; bootstrap objects re-owned by the root do
    // not, so repeat until nothing changes (iteratively: owner chains can be very long).
    let mut scopes: Vec<(Scope, Option<String>)> = vec![(Scope::Platform, None); cluster.objects.len()];
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..cluster.objects.len() {
            let s = scope_of(cluster, i, &scopes, &reconcilers);
            if s != scopes[i] {
                scopes[i] = s;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (o, (scope, tenant)) in cluster.objects.iter_mut().zip(scopes) {
        o.scope = scope;
        o.tenant = tenant;
    }
}

/// Tenant reconcilers outside the tenants' namespaces (issue 11): a Kustomization or HelmRelease
/// that runs as a ServiceAccount labelled `toolkit.fluxcd.io/tenant: T` and reconciles a source
/// other than the cluster's root source (the bootstrap repository the platform syncs itself from).
/// Only in platform namespaces and for a tenant that owns namespaces of the cluster.
/// The Flux controllers' own ServiceAccounts carry no such label, and a labelled object that
/// reconciles the root source stays the platform's (the official examples label their bootstrap
/// objects). Object index -> ((SA namespace, SA name), tenant).
fn tenant_reconcilers(cluster: &Cluster) -> BTreeMap<usize, ((String, String), String)> {
    let root_source = root_source(cluster);
    let labelled: BTreeMap<(&str, &str), &str> = cluster
        .objects
        .iter()
        .filter(|o| o.kind() == "ServiceAccount")
        .filter_map(|o| {
            let t = o.root.get_path(&["metadata", "labels", TENANT_LABEL]).and_then(fleetlint_yaml::Node::as_str)?;
            (!t.is_empty()).then_some(((o.namespace(), o.name()), t))
        })
        .collect();
    let mut out = BTreeMap::new();
    for (i, o) in cluster.objects.iter().enumerate() {
        let Some(f) = o.flux() else { continue };
        let sources: Vec<(String, String, String)> = match f.kind() {
            FluxKind::Kustomization => f
                .source_ref()
                .map(|r| (r.kind_or("GitRepository").to_string(), r.namespace.to_string(), r.name().to_string()))
                .into_iter()
                .collect(),
            FluxKind::HelmRelease => f
                .chart_sources()
                .iter()
                .map(|r| (r.kind_or("HelmRepository").to_string(), r.namespace.to_string(), r.name().to_string()))
                .collect(),
            _ => continue,
        };
        if sources.is_empty() || sources.iter().any(|s| Some(s) == root_source.as_ref()) {
            continue;
        }
        let Ok(sa) = f.service_account_name() else { continue };
        let ns = o.namespace();
        // Only reconcilers outside the tenants' namespaces, for a tenant that owns namespaces:
        // a label naming no tenant (d1-fleet's `infra`, whose objects all live in flux-system)
        // leaves everything in platform namespaces the platform's (flux-rules §B8).
        if !cluster.is_platform_namespace(ns) {
            continue;
        }
        if let Some(t) = labelled.get(&(ns, sa)).filter(|t| cluster.tenants.contains_key(**t)) {
            out.insert(i, ((ns.to_string(), sa.to_string()), (*t).to_string()));
        }
    }
    out
}

/// The cluster's root source (kind, namespace, name): what the root Kustomization (the one no
/// other object renders, or that renders itself) reconciles, the bootstrap repository the
/// platform syncs itself from.
fn root_source(cluster: &Cluster) -> Option<(String, String, String)> {
    cluster
        .objects
        .iter()
        .filter(|o| o.owner.is_none_or(|p| cluster.objects.get(p).is_some_and(|q| q.id() == o.id())))
        .filter_map(|o| o.flux().filter(|k| k.kind() == FluxKind::Kustomization))
        .find_map(|k| {
            k.source_ref()
                .map(|r| (r.kind_or("GitRepository").to_string(), r.namespace.to_string(), r.name().to_string()))
        })
}

/// The ServiceAccounts `(namespace, name)` a RoleBinding of their own namespace binds: the
/// `<tenant>-reconciler` RoleBinding `flux create tenant` writes in each tenant namespace for the
/// tenant's account (fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go `createTenantCmdRun`). A
/// ClusterRoleBinding of an application's account (a Prometheus scraper's) is not that shape.
fn bound_in_own_namespace(cluster: &Cluster) -> BTreeSet<(&str, &str)> {
    let mut out = BTreeSet::new();
    for b in crate::rbac::bindings(cluster).iter().filter(|b| !b.cluster_wide) {
        let own = b.object.namespace();
        for s in b.subjects() {
            if s.kind == "ServiceAccount" && s.namespace == Some(own) {
                out.insert((own, s.name));
            }
        }
    }
    out
}

/// The candidate tenants something acts for, so that their label or namespace makes a tenant.
/// Flux isolates a tenant by the identity its reconcilers apply as: kustomize-controller
/// impersonates `spec.serviceAccountName` (or `--default-service-account`) in the object's
/// namespace (fluxcd/kustomize-controller@186fb3b `internal/controller/kustomization_controller.go`
/// `reconcile`, `runtimeClient.WithServiceAccount`), and `flux create tenant` writes the tenant's
/// Namespace, a ServiceAccount and a RoleBinding for it, all labelled with the tenant
/// (fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go `createTenantCmdRun`). A tenant is onboarded
/// when the cluster runs a lockdown flag (`--default-service-account`, `--no-cross-namespace-refs`,
/// `--no-remote-bases` on kustomize- or helm-controller: the cluster enforces multi-tenancy), or
/// when it has
/// - a ServiceAccount labelled with its name (anywhere: `flux create tenant`'s account),
/// - a ServiceAccount other than `default` in one of its namespaces that a RoleBinding of that
///   namespace binds (`flux create tenant`'s account and RoleBinding, labels left out),
/// - a Flux Kustomization or HelmRelease in one of its namespaces naming a `serviceAccountName`,
/// - or a Flux Kustomization that reads a source in one of its namespaces other than the root
///   source (the tenant's own repository).
///
/// The label alone, on namespaces the platform fills from its own repository with reconcilers
/// that run as the controllers (Flux's single-tenant examples use it as an ownership label), is
/// not a tenant: there is no tenant identity to isolate.
fn onboarded<'a>(cluster: &Cluster, candidates: &'a [Candidate]) -> BTreeSet<&'a str> {
    let all = || candidates.iter().map(|(t, _, _)| t.as_str()).collect();
    let lockdown = [Controller::Kustomize, Controller::Helm].into_iter().any(|c| {
        let f = cluster.controllers.of(c);
        f.string_flag(DEFAULT_SERVICE_ACCOUNT).is_some_and(|s| !s.value.is_empty())
            || f.bool_flag(NO_CROSS_NAMESPACE_REFS).value
            || f.bool_flag(NO_REMOTE_BASES).value
    });
    if lockdown {
        return all();
    }
    let tenant_of: BTreeMap<&str, &'a str> = candidates.iter().map(|(t, ns, _)| (ns.as_str(), t.as_str())).collect();
    let by_name: BTreeMap<&str, &'a str> = candidates.iter().map(|(t, _, _)| (t.as_str(), t.as_str())).collect();
    let root = root_source(cluster);
    let bound = bound_in_own_namespace(cluster);
    let mut out = BTreeSet::new();
    for o in &cluster.objects {
        let ns = o.namespace();
        if o.kind() == "ServiceAccount" {
            let label = o.root.get_path(&["metadata", "labels", TENANT_LABEL]).and_then(Node::as_str);
            out.extend(label.and_then(|t| by_name.get(t)));
            if o.name() != "default" && bound.contains(&(ns, o.name())) {
                out.extend(tenant_of.get(ns));
            }
            continue;
        }
        let Some(f) = o.flux() else { continue };
        if !matches!(f.kind(), FluxKind::Kustomization | FluxKind::HelmRelease) {
            continue;
        }
        if f.service_account_name().is_ok() {
            out.extend(tenant_of.get(ns));
        }
        if f.kind() == FluxKind::Kustomization
            && let Some(r) = f.source_ref()
        {
            let id = (r.kind_or("GitRepository").to_string(), r.namespace.to_string(), r.name().to_string());
            if root.as_ref() != Some(&id) {
                out.extend(tenant_of.get(r.namespace));
            }
        }
    }
    out
}

fn add(cluster: &mut Cluster, tenant: &str, ns: &str, span: Option<Span>) {
    let t = cluster.tenants.entry(tenant.to_string()).or_default();
    if !t.namespaces.iter().any(|n| n == ns) {
        t.namespaces.push(ns.to_string());
        t.declared_at.push(span);
    }
    cluster.namespace_tenant.entry(ns.to_string()).or_insert_with(|| tenant.to_string());
}

fn scope_of(
    cluster: &Cluster,
    i: usize,
    scopes: &[(Scope, Option<String>)],
    reconcilers: &BTreeMap<usize, ((String, String), String)>,
) -> (Scope, Option<String>) {
    let o = &cluster.objects[i];
    let ns = o.namespace();
    let owner = o.owner.filter(|&p| p != i);
    if let Some((Scope::Tenant, t)) = owner.map(|p| &scopes[p]) {
        return (Scope::Tenant, t.clone());
    }
    // Rendered by a tenant's reconciler that lives in a platform namespace.
    if let Some((_, t)) = owner.and_then(|p| reconcilers.get(&p)) {
        return (Scope::Tenant, Some(t.clone()));
    }
    if cluster.is_platform_namespace(ns) {
        return (Scope::Platform, None);
    }
    if let Some(t) = cluster.tenant_of_namespace(ns) {
        return (Scope::Tenant, Some(t.to_string()));
    }
    // Built from a source in a tenant namespace.
    if let Some(owner_obj) = owner.map(|p| &cluster.objects[p])
        && owner_obj.flux_kind() == Some(FluxKind::Kustomization)
    {
        let src_ns = owner_obj.flux().and_then(|k| k.source_ref()).map_or(owner_obj.namespace(), |r| r.namespace);
        if let Some(t) = cluster.tenant_of_namespace(src_ns) {
            return (Scope::Tenant, Some(t.to_string()));
        }
    }
    (Scope::Platform, None)
}
