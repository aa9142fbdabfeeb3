use std::collections::{BTreeMap, HashSet};

use fleetlint_fleet::{Cluster, RenderedObject, Scope};
use fleetlint_yaml::{FluxKind, Span};

use super::helpers::{foreign_owner, label, narrow};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a tenant object that reaches outside the tenant's namespaces.
    ///
    /// Four ways are checked: (a) a Kustomization `spec.targetNamespace` the tenant does not own;
    /// (b) a rendered namespaced object whose namespace, after every overlay and Flux build
    /// option, the tenant does not own; (c) a HelmRelease `spec.targetNamespace` or
    /// `spec.storageNamespace` the tenant does not own; (d) a HelmRelease with
    /// `spec.install.createNamespace: true`. A Kustomization or HelmRelease with `spec.kubeConfig`
    /// applies to another cluster, whose namespaces these are: not judged here (ISO008 reports
    /// the remote access).
    ///
    /// ## Why is this bad?
    /// `--no-cross-namespace-refs` does not cover any of these: only the reconciling identity's
    /// RBAC does. With a correctly scoped service account they fail with Forbidden; if they
    /// succeed, the tenant writes into another tenant's or the platform's namespace. Creating a
    /// namespace needs cluster-scoped permissions a tenant must not have.
    ///
    /// The finding points at the text that chose the namespace: the object's `metadata.namespace`,
    /// an overlay's `namespace:` (reported once for all the objects it moves), or the
    /// `targetNamespace` (reported once, on the Kustomization). Objects without a namespace are
    /// SRC008's business; cluster-scoped objects are ISO004's. A platform namespace (default
    /// `flux-system`) labelled with a tenant stays the platform's; that is noted as an info.
    ///
    /// ## Severity
    /// `error`; `info` for the note that a platform namespace labelled with a tenant stays the
    /// platform's.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: helm.toolkit.fluxcd.io/v2
    /// kind: HelmRelease
    /// metadata: {name: agent, namespace: team-a}
    /// spec:
    ///   serviceAccountName: team-a
    ///   targetNamespace: kube-system        # outside team-a
    ///   storageNamespace: flux-system       # outside team-a
    ///   chartRef: {kind: OCIRepository, name: agent}
    /// ```
    ///
    /// ## Fix
    /// Keep every namespace a tenant's objects use among the tenant's own (the namespaces
    /// labelled `toolkit.fluxcd.io/tenant: <tenant>`, or listed under `tenants:` in
    /// `.fleetlint.yaml`); have the platform create namespaces.
    pub(crate) struct TenantForeignNamespace {
        code: "ISO005",
        name: "tenant-foreign-namespace",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

impl Rule for TenantForeignNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let cluster = cx.cluster;
        // A platform namespace labelled with a tenant stays the platform's (docs/flux-semantics.md,
        // "Platform namespaces and tenant labels"): say so
        // once per namespace, since the label suggests an ownership fleetlint does not apply.
        for (ns, span) in &cluster.platform_tenant_labels {
            let tenant = cx.db.get(span.file).text.get(span.range()).unwrap_or("").trim();
            let msg = format!(
                "namespace `{ns}` is a platform namespace: its toolkit.fluxcd.io/tenant label `{tenant}` does not make it (or the objects in it) tenant scope"
            );
            out.push(
                Finding::new(Self::ID, *span, msg).with_severity(Severity::Info)
                    .with_help("drop the tenant label from platform namespaces, or list the namespace under `platformNamespaces` only if it is the platform's")
                    .with_field(format!("platform-namespace-label:{ns}")),
            );
        }
        // Kustomizations whose own targetNamespace was reported: their objects carry its span.
        let mut reported_targets: HashSet<Span> = HashSet::new();
        for (i, o) in cluster.objects.iter().enumerate() {
            let Some(tenant) = tenant_of(o) else { continue };
            // With `spec.kubeConfig` the controller applies (installs) on another cluster
            // (fluxcd/helm-controller@0f61a86 api/v2/helmrelease_types.go `KubeConfig`: "for
            // reconciling the HelmRelease on a remote cluster"; the same for Kustomizations):
            // the namespaces it names are that cluster's, where this cluster's tenant
            // namespaces mean nothing. ISO008 reports the remote access itself.
            if o.flux().and_then(|f| f.kube_config()).is_some_and(|k| !k.0.value.is_null()) {
                continue;
            }
            match o.flux_kind() {
                Some(FluxKind::Kustomization) => {
                    if let Some((ns, span)) = foreign_field(cluster, o, tenant, "targetNamespace") {
                        reported_targets.insert(span);
                        let span = narrow(cx.db, span, ns);
                        let msg = format!(
                            "{} of tenant {tenant} sets spec.targetNamespace `{ns}`: every object it renders lands outside the tenant's namespaces ({})",
                            label(o),
                            foreign_owner(cluster, ns)
                        );
                        out.push(self.found(cx, i, span, msg, "spec.targetNamespace", Some(ns)));
                    }
                }
                Some(FluxKind::HelmRelease) => {
                    for (field, what) in [
                        ("targetNamespace", "helm-controller installs the chart's objects there"),
                        ("storageNamespace", "helm-controller stores the release there"),
                    ] {
                        if let Some((ns, span)) = foreign_field(cluster, o, tenant, field) {
                            let span = narrow(cx.db, span, ns);
                            let msg = format!(
                                "{} of tenant {tenant} sets spec.{field} `{ns}`: {what} ({})",
                                label(o),
                                foreign_owner(cluster, ns)
                            );
                            out.push(self.found(cx, i, span, msg, &format!("spec.{field}"), Some(ns)));
                        }
                    }
                    let create = o.flux().and_then(|f| f.install_create_namespace());
                    if let Some(n) = create.filter(|n| n.as_bool() == Some(true)) {
                        let msg = format!(
                            "{} of tenant {tenant} sets spec.install.createNamespace: true: creating a namespace needs cluster-scoped permissions a tenant must not have",
                            label(o)
                        );
                        out.push(self.found(cx, i, n.span(), msg, "spec.install.createNamespace", None));
                    }
                }
                _ => {}
            }
        }
        rendered_objects(self, cx, &reported_targets, out);
    }
}

impl TenantForeignNamespace {
    /// The finding, with the places that explain it: where the tenant's own namespaces are
    /// declared, and who owns the namespace it reaches into.
    fn found(
        &self,
        cx: &ClusterContext<'_>,
        i: usize,
        span: Span,
        message: String,
        field: &str,
        foreign: Option<&str>,
    ) -> Finding {
        let mut f = Self::finding(span, message)
            .with_help("keep the tenant's objects in the tenant's own namespaces; let the platform create namespaces")
            .with_field(field);
        let cluster = cx.cluster;
        let declared = |tenant: &str, ns: &str| {
            let t = cluster.tenants.get(tenant)?;
            let at = t.namespaces.iter().position(|n| n == ns)?;
            t.declared_at.get(at).copied().flatten()
        };
        if let Some(tenant) = cluster.objects[i].tenant.as_deref()
            && let Some(t) = cluster.tenants.get(tenant)
            && let Some(own) = t.namespaces.first()
            && let Some(at) = declared(tenant, own)
        {
            f = f.with_related(at, format!("tenant {tenant} owns {}", t.namespaces.join(", ")));
        }
        if let Some(ns) = foreign
            && let Some(other) = cluster.tenant_of_namespace(ns)
            && let Some(at) = declared(other, ns)
        {
            f = f.with_related(at, format!("namespace {ns} belongs to tenant {other}"));
        }
        cx.about(f, i)
    }
}

/// The tenant of a tenant-scope object written in the repository.
fn tenant_of(o: &RenderedObject) -> Option<&str> {
    (!o.synthesized && o.scope == Scope::Tenant).then_some(o.tenant.as_deref()).flatten()
}

/// A HelmRelease's `spec.<field>` (`targetNamespace`, `storageNamespace`) when set to a
/// namespace `tenant` does not own.
fn foreign_field<'o>(cluster: &Cluster, o: &'o RenderedObject, tenant: &str, field: &str) -> Option<(&'o str, Span)> {
    let release = o.flux()?;
    let n = if field == "targetNamespace" { release.target_namespace() } else { release.storage_namespace() }?;
    let ns = n.as_str().filter(|s| !s.is_empty())?;
    (cluster.tenant_of_namespace(ns) != Some(tenant)).then_some((ns, n.span()))
}

/// (b): rendered namespaced objects outside the tenant's namespaces, one finding per text that
/// set the namespace (an overlay's `namespace:` moves many objects at once).
fn rendered_objects(
    rule: &TenantForeignNamespace,
    cx: &ClusterContext<'_>,
    reported_targets: &HashSet<Span>,
    out: &mut Vec<Finding>,
) {
    let cluster = cx.cluster;
    let scopes = cx.scopes();
    let mut by_span: BTreeMap<(u32, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, o) in cluster.objects.iter().enumerate() {
        let Some(tenant) = tenant_of(o) else { continue };
        if o.owner.is_none() || scopes.cluster_scoped(o) {
            continue;
        }
        let Some(n) = o.root.get_path(&["metadata", "namespace"]) else { continue };
        let ns = n.as_str().unwrap_or("");
        if ns.is_empty() || cluster.tenant_of_namespace(ns) == Some(tenant) || reported_targets.contains(&n.span) {
            continue;
        }
        by_span.entry((n.span.file.0, n.span.start, n.span.end)).or_default().push(i);
    }
    for objects in by_span.values() {
        let i = objects[0];
        let o = &cluster.objects[i];
        let n = o.root.get_path(&["metadata", "namespace"]).expect("selected for its namespace");
        let ns = n.as_str().unwrap_or("");
        let tenant = o.tenant.as_deref().unwrap_or("");
        let (who, verb) = match objects.len() {
            1 => (label(o), "is"),
            k => (format!("{} and {} more object(s)", label(o), k - 1), "are"),
        };
        let owner = o.owner_id().map(|id| format!(", rendered by {id},")).unwrap_or_default();
        let msg = format!(
            "{who} of tenant {tenant}{owner} {verb} placed in namespace `{ns}`, outside the tenant's namespaces ({})",
            foreign_owner(cluster, ns)
        );
        let mut f = rule.found(cx, i, narrow(cx.db, n.span, ns), msg, "metadata.namespace", Some(ns));
        if let Some(k) = o.root.get("kind").filter(|k| k.span.file != n.span.file) {
            f = f.with_related(k.span, format!("{} is defined here", label(o)));
        }
        out.push(f);
    }
}
