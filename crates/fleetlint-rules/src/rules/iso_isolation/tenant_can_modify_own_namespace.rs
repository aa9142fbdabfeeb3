use std::collections::BTreeSet;

use fleetlint_fleet::TENANT_LABEL;
use fleetlint_fleet::{Cluster, RenderedObject, Scope};
use fleetlint_yaml::{FluxKind, Node, Span};

use fleetlint_fleet::rbac::{Roles, namespace_write, self_served};

use super::helpers::{describe_binding, describe_subject};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports (a) a RoleBinding in a tenant namespace that lets a ServiceAccount of that
    /// namespace (or the group `system:serviceaccounts:<ns>`) patch, update or delete the
    /// Namespace object: a warning, for tenants that deliver their own content (a Kustomization
    /// in their namespace reading a source in their namespace — any ServiceAccount of the
    /// namespace can be named by it). The role counts when it is the built-in `cluster-admin`
    /// (what `flux create tenant` binds by default) or a Role/ClusterRole of the repository
    /// whose rules grant those verbs on core `namespaces` (wildcards count). The built-in
    /// `admin` and `edit` roles are not reported: Kubernetes documents that they give no write
    /// access to the namespace itself — matching on role names would flag every
    /// `admin`-bound tenant, as in the D1 reference fleet, for nothing. (b) A Namespace object
    /// for one of the tenant's own namespaces rendered by the tenant's reconcilers: an error
    /// when it changes labels the platform relies on (`pod-security.kubernetes.io/*`,
    /// `toolkit.fluxcd.io/tenant`, or keys that an ImageRepository `accessFrom` or a
    /// NetworkPolicy `namespaceSelector` in the graph selects on) compared with the platform's
    /// Namespace object — another value, an added label, or a dropped one (both copies are
    /// applied by the same field manager, so an omitted label is removed) — otherwise a
    /// warning.
    ///
    /// ## Why is this bad?
    /// Kubernetes authorizes writes to Namespace `X` against the RoleBindings in `X`, so a
    /// namespace-scoped cluster-admin can relabel or delete its own namespace: weaken Pod
    /// Security, satisfy another tenant's `accessFrom` ACL or NetworkPolicy selectors, or prune
    /// the namespace away (Kubernetes "RBAC good practices — Namespace modification").
    ///
    /// ## Severity
    /// `warning` for a tenant rendering its own Namespace; `error` where it also changes labels the
    /// platform relies on.
    ///
    /// ## Example
    /// ```yaml
    /// # rendered from team-a's repository by Kustomization team-a/app
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: team-a
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: privileged   # the tenant relaxes its own PSA level
    /// ```
    ///
    /// ## Fix
    /// Bind tenants to `admin` (or a custom role without `namespaces` writes) instead of
    /// `cluster-admin`, and keep Namespace objects in the platform's repository.
    pub(crate) struct TenantCanModifyOwnNamespace {
        code: "ISO010",
        name: "tenant-can-modify-own-namespace",
        category: Category::TenantIsolation,
        severity: Severity::Warning,
    }
}

impl Rule for TenantCanModifyOwnNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        if c.tenants.is_empty() {
            return;
        }
        // Only a tenant that writes its own Flux objects can use its ServiceAccounts' rights.
        let served = self_served(c);
        let roles = Roles::new(c);
        for b in cx.bindings().iter().filter(|b| !b.cluster_wide) {
            let ns = b.object.namespace();
            let Some(tenant) = c.tenant_of_namespace(ns).filter(|t| served.contains(t)) else { continue };
            let Some(write) = namespace_write(&roles, b, ns) else { continue };
            for s in b.subjects() {
                let own_sa = s.kind == "ServiceAccount" && s.namespace == Some(ns);
                if !own_sa && s.service_account_group() != Some(Some(ns)) {
                    continue;
                }
                let message = format!(
                    "{} grants {} {} to {}: tenant {tenant} can {} its own Namespace {ns} (relabel it, or delete it)",
                    describe_binding(b),
                    b.role_kind,
                    b.role_name,
                    describe_subject(&s),
                    write.verbs.join("/")
                );
                let mut f = Finding::new(Self::ID, b.role_span, message)
                    .with_related(s.span(), "the tenant's ServiceAccount")
                    .with_help("bind the tenant to `admin` or a role without write access to namespaces")
                    .with_field(format!("subjects[{}]", s.index));
                if let Some(rule) = write.rule {
                    f = f.with_related(rule, "the rule that grants namespace writes");
                }
                out.push(cx.about(f, b.index));
            }
        }
        let relied_on = relied_on_labels(c);
        for (i, o) in c.objects.iter().enumerate() {
            if o.synthesized || o.kind() != "Namespace" || o.api_version() != "v1" {
                continue;
            }
            // Rendered by the tenant's own reconcilers (not the platform's Namespace object).
            let owner_tenant = o.owner.map(|p| &c.objects[p]).filter(|p| p.scope == Scope::Tenant);
            let Some(tenant) = owner_tenant.and_then(|p| p.tenant.as_deref()) else { continue };
            if c.tenant_of_namespace(o.name()) != Some(tenant) {
                continue;
            }
            let name = o.name();
            let name_span = o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span);
            let changes = label_changes(c, i, &relied_on);
            let f = if let Some((span, _)) = changes.first() {
                let what: Vec<&str> = changes.iter().map(|(_, w)| w.as_str()).collect();
                Finding::new(Self::ID, *span, format!(
                        "tenant {tenant} renders its own Namespace {name} and changes labels the platform relies on ({}): it can change its Pod Security level, tenancy or ACL/NetworkPolicy matches",
                        what.join(", ")
                    )).with_severity(Severity::Error)
                .with_field("metadata.labels")
            } else {
                Finding::new(
                    Self::ID,
                    name_span,
                    format!("tenant {tenant} renders its own Namespace {name}: it can relabel it or prune it away"),
                )
                .with_field("metadata.name")
            };
            out.push(cx.about(f.with_help("keep tenant Namespace objects in the platform's repository"), i));
        }
    }
}

/// Policy-relevant labels the tenant's copy of a Namespace (object `i`) changes compared with
/// the platform's copy: set to another value, added, or dropped (both copies are applied by the
/// same field manager, so a label the tenant's copy omits is removed). Without a platform copy
/// every policy-relevant label counts.
fn label_changes(c: &Cluster, i: usize, relied_on: &BTreeSet<&str>) -> Vec<(Span, String)> {
    let relevant = |k: &str| k.starts_with("pod-security.kubernetes.io/") || k == TENANT_LABEL || relied_on.contains(k);
    let labels_of = |o: &RenderedObject| -> Vec<(String, String, Span)> {
        let map = o.root.get_path(&["metadata", "labels"]).and_then(Node::as_map).unwrap_or_default();
        map.iter()
            .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str().unwrap_or("").to_string(), e.key.span)))
            .filter(|(k, _, _)| relevant(k))
            .collect()
    };
    let o = &c.objects[i];
    let platform = c.objects.iter().enumerate().find(|(j, p)| {
        *j != i
            && p.kind() == "Namespace"
            && p.name() == o.name()
            && p.owner.is_none_or(|q| c.objects[q].scope == Scope::Platform)
    });
    let ours = labels_of(o);
    let theirs = platform.map(|(_, p)| labels_of(p));
    let mut out: Vec<(Span, String)> = ours
        .iter()
        .filter(|(k, v, _)| theirs.as_ref().is_none_or(|t| !t.iter().any(|(tk, tv, _)| tk == k && tv == v)))
        .map(|(k, v, span)| (*span, format!("{k}={v}")))
        .collect();
    let name_span = o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span);
    for (k, _, _) in theirs.iter().flatten().filter(|(k, _, _)| !ours.iter().any(|(ok, _, _)| ok == k)) {
        out.push((name_span, format!("drops {k}")));
    }
    out
}

/// Label keys something in the graph selects namespaces by: ImageRepository `accessFrom`
/// selectors and NetworkPolicy `namespaceSelector`s.
fn relied_on_labels(c: &Cluster) -> BTreeSet<&str> {
    fn add_selector<'a>(keys: &mut BTreeSet<&'a str>, sel: &'a Node) {
        for e in sel.get("matchLabels").and_then(Node::as_map).unwrap_or_default() {
            keys.extend(e.key.as_str());
        }
        for expr in sel.get("matchExpressions").and_then(Node::as_seq).unwrap_or_default() {
            keys.extend(expr.get("key").and_then(Node::as_str));
        }
    }
    let mut keys = BTreeSet::new();
    for o in &c.objects {
        if let Some(repository) = o.flux().filter(|f| f.kind() == FluxKind::ImageRepository) {
            let sels = repository.access_from().and_then(|a| a.get(&["namespaceSelectors"])).map(|f| f.items());
            sels.unwrap_or_default().iter().for_each(|sel| add_selector(&mut keys, sel));
        } else if o.kind() == "NetworkPolicy" {
            for dir in ["ingress", "egress"] {
                for rule in o.root.get_path(&["spec", dir]).and_then(Node::as_seq).unwrap_or_default() {
                    let peers = rule.get(if dir == "ingress" { "from" } else { "to" }).and_then(Node::as_seq);
                    for peer in peers.unwrap_or_default() {
                        if let Some(sel) = peer.get("namespaceSelector") {
                            add_selector(&mut keys, sel);
                        }
                    }
                }
            }
        }
    }
    // Set by the API server from the name itself: a tenant cannot change what it selects.
    keys.remove("kubernetes.io/metadata.name");
    keys
}
