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
    // Owners usually come before what they render; bootstrap objects re-owned by the root do
    // not, so repeat until nothing changes (iteratively: owner chains can be very long).
    let mut scopes: Vec<(Scope, Option<String>)> = vec![(Scope::Platform, None); cluster.objects.len()];
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..cluster.objects.len() {
            let s = scope_of(cluster, i, &scopes);
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

fn add(cluster: &mut Cluster, tenant: &str, ns: &str, span: Option<Span>) {
    let t = cluster.tenants.entry(tenant.to_string()).or_default();
    if !t.namespaces.iter().any(|n| n == ns) {
        t.namespaces.push(ns.to_string());
        t.declared_at.push(span);
    }
    cluster.namespace_tenant.entry(ns.to_string()).or_insert_with(|| tenant.to_string());
}

fn scope_of(cluster: &Cluster, i: usize, scopes: &[(Scope, Option<String>)]) -> (Scope, Option<String>) {
    let o = &cluster.objects[i];
    let ns = o.namespace();
    let owner = o.owner.filter(|&p| p != i);
    if let Some((Scope::Tenant, t)) = owner.map(|p| &scopes[p]) {
        return (Scope::Tenant, t.clone());
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
