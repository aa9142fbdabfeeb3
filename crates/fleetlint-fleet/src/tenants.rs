//! Tenants and scopes (docs/flux-semantics.md#tenants-and-scopes): namespaces labelled `toolkit.fluxcd.io/tenant` (what
//! `flux create tenant` emits: `fluxcd/flux2@da2d22d3:cmd/flux/create_tenant.go`, `tenantLabel`) plus the config's tenant map; platform namespaces win over the
//! label. An object is in tenant scope when a tenant-scope Flux object rendered it, when it lives
//! in a tenant namespace, or when it was built from a source in a tenant namespace.

use std::collections::BTreeMap;

use fleetlint_yaml::{FluxKind, Span};

use crate::model::{Cluster, Scope};

/// The label `flux create tenant` puts on a tenant's namespace and objects.
pub const TENANT_LABEL: &str = "toolkit.fluxcd.io/tenant";

/// Fill `cluster.tenants`, `cluster.namespace_tenant` and every object's scope and tenant.
pub(crate) fn assign(cluster: &mut Cluster, configured: &BTreeMap<String, Vec<String>>) {
    let mut labelled: Vec<(String, String, Span, Span)> = Vec::new();
    for o in &cluster.objects {
        if o.kind() != "Namespace" || o.api_version() != "v1" {
            continue;
        }
        let Some(label) = o.root.get_path(&["metadata", "labels", TENANT_LABEL]) else { continue };
        let Some(tenant) = label.as_str().filter(|t| !t.is_empty()) else { continue };
        let name_span = o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span);
        labelled.push((tenant.to_string(), o.name().to_string(), label.span, name_span));
    }
    for (tenant, ns, label_span, name_span) in labelled {
        if cluster.is_platform_namespace(&ns) {
            cluster.platform_tenant_labels.push((ns, label_span));
        } else {
            add(cluster, &tenant, &ns, Some(name_span));
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
    let root_source = cluster
        .objects
        .iter()
        .filter(|o| o.owner.is_none_or(|p| cluster.objects.get(p).is_some_and(|q| q.id() == o.id())))
        .filter_map(|o| o.flux().filter(|k| k.kind() == FluxKind::Kustomization))
        .find_map(|k| {
            k.source_ref()
                .map(|r| (r.kind_or("GitRepository").to_string(), r.namespace.to_string(), r.name().to_string()))
        });
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
