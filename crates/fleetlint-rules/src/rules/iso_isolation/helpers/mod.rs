//! What the ISO rules share: where a cluster's lockdown patches belong, which service account a
//! reconciler applies as, and how messages name bindings and their subjects.

use fleetlint_fleet::controllers::Controller;
use fleetlint_fleet::flux::InstanceSpec;
use fleetlint_fleet::rbac::{Binding, Grant, Subject};
use fleetlint_fleet::{Cluster, RenderedObject};
use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use fleetlint_yaml::{FileDb, FluxKind, Limits, Node, NodeKind, Span, parse_yaml};

use crate::rules::helpers::lockdown;

/// The controller that applies what a Kustomization or HelmRelease renders (and impersonates
/// for it).
pub(super) fn controller_of(o: &RenderedObject) -> Controller {
    o.flux_kind().and_then(Controller::of_kind).unwrap_or(Controller::Kustomize)
}

/// For a Kustomization or HelmRelease, the controller that applies what it renders.
pub(super) fn applier(o: &RenderedObject) -> Option<Controller> {
    o.flux_kind().filter(|k| matches!(k, FluxKind::Kustomization | FluxKind::HelmRelease)).and_then(Controller::of_kind)
}

/// The cluster's committed `flux-system` kustomization, where the bootstrap patches (lockdown
/// flags, the root's service account) live: its `patches:` key, else its `resources:` key, else
/// its start.
pub(super) fn flux_system_kustomization(cluster: &Cluster, db: &FileDb) -> Option<Span> {
    let dir = if cluster.path.is_empty() { "flux-system".to_string() } else { format!("{}/flux-system", cluster.path) };
    let (id, f) = db.iter().find(|(_, f)| {
        f.mapping.is_none()
            && f.path
                .strip_prefix(dir.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| KUSTOMIZATION_FILE_NAMES.contains(&name))
    })?;
    let parsed = parse_yaml(id, &f.text, &Limits::default());
    let root = parsed.documents.first().map(|d| &d.root);
    let key = ["patches", "resources"].iter().find_map(|k| root.and_then(|r| r.entry(k)).map(|e| e.key.span));
    Some(key.unwrap_or_else(|| Span::empty(id, 0)))
}

/// Where lockdown patches are added: the `flux-system` kustomization, else the cluster's entry.
pub(super) fn lockdown_anchor(cluster: &Cluster, db: &FileDb) -> Span {
    flux_system_kustomization(cluster, db).unwrap_or(cluster.entry_span)
}

/// The document a cluster entry span covers (a FluxInstance, or a HelmRelease carrying one),
/// parsed again from its file: the fleet model keeps only the entry's span.
pub(super) fn entry_document(cluster: &Cluster, db: &FileDb) -> Option<Node> {
    let span = cluster.entry_span;
    if span == Span::default() || span.file.0 as usize >= db.len() {
        return None;
    }
    let parsed = parse_yaml(span.file, &db.get(span.file).text, &Limits::default());
    parsed.documents.into_iter().map(|d| d.root).find(|r| r.span == span)
}

/// The FluxInstance spec of an entry document (also inside a flux-instance HelmRelease's values).
pub(super) fn instance_spec(doc: &Node) -> Option<InstanceSpec<'_>> {
    InstanceSpec::of(doc)
}

/// `spec.serviceAccountName` when set and non-empty; otherwise the span a finding about its
/// absence points at (an empty value, else the nearest existing key).
pub(super) fn service_account(o: &RenderedObject) -> Result<&str, Span> {
    match o.flux() {
        Some(f) => f.service_account_name(),
        None => Err(o.root.nearest_key(&["spec", "serviceAccountName"]).map_or(o.root.span, |k| k.span)),
    }
}

/// Files other than the one that wrote `spec:` that wrote something under it (overlay patches),
/// one span each: where an overlay may have removed a field the base sets.
pub(super) fn spec_written_elsewhere(o: &RenderedObject) -> Vec<Span> {
    let Some(entry) = o.root.entry("spec") else { return Vec::new() };
    let mut out: Vec<Span> = Vec::new();
    let mut stack = vec![&entry.value];
    while let Some(n) = stack.pop() {
        match &n.kind {
            // Leaves: a patch's maps carry the span of the whole patch.
            NodeKind::Scalar(_) => {
                if n.span.file != entry.key.span.file && !out.iter().any(|s| s.file == n.span.file) {
                    out.push(n.span);
                }
            }
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => stack.extend(entries.iter().flat_map(|e| [&e.key, &e.value])),
        }
    }
    out
}

/// Who a Kustomization or HelmRelease applies as: its own service account, the controller's
/// `--default-service-account` in its namespace, or (`None`) the controller's own identity.
pub(super) fn applies_as(cluster: &Cluster, o: &RenderedObject) -> Option<String> {
    let ns = o.namespace();
    match service_account(o) {
        Ok(sa) => Some(format!("{ns}:{sa}")),
        Err(_) => lockdown::default_service_account(cluster, controller_of(o)).map(|(sa, _)| format!("{ns}:{sa}")),
    }
}

/// `RoleBinding ns/name grants ClusterRole/cluster-admin`.
pub(super) fn describe_grant(g: &Grant<'_>) -> String {
    let b = g.binding;
    let role = |k| b.root.get_path(&["roleRef", k]).and_then(Node::as_str).unwrap_or("");
    let id = if b.namespace().is_empty() { b.name().to_string() } else { format!("{}/{}", b.namespace(), b.name()) };
    format!("{} {id} grants {}/{}", b.kind(), role("kind"), role("name"))
}

/// `RoleBinding ns/name` or `ClusterRoleBinding name` for messages.
pub(super) fn describe_binding(b: &Binding<'_>) -> String {
    if b.cluster_wide {
        format!("ClusterRoleBinding {}", b.object.name())
    } else {
        format!("RoleBinding {}/{}", b.object.namespace(), b.object.name())
    }
}

/// `kind namespace/name` of a binding's subject, for messages.
pub(super) fn describe_subject(s: &Subject<'_>) -> String {
    match s.namespace {
        Some(ns) => format!("{} {ns}/{}", s.kind, s.name),
        None => format!("{} {}", s.kind, s.name),
    }
}

/// `Kind ns/name` (or `Kind name` without a namespace), as messages name objects.
pub(super) fn label(o: &RenderedObject) -> String {
    if o.namespace().is_empty() {
        format!("{} {}", o.kind(), o.name())
    } else {
        format!("{} {}/{}", o.kind(), o.namespace(), o.name())
    }
}

/// Why a namespace is not a tenant's, for messages: who owns it instead.
pub(super) fn foreign_owner(cluster: &Cluster, ns: &str) -> String {
    if cluster.is_platform_namespace(ns) {
        format!("`{ns}` is a platform namespace")
    } else if let Some(other) = cluster.tenant_of_namespace(ns) {
        format!("`{ns}` belongs to tenant {other}")
    } else {
        format!("`{ns}` is not one of its namespaces")
    }
}

/// `span` narrowed to the last occurrence of `needle` in its text: a JSON6902 `add` carries the
/// span of its whole operation (whose value comes last), and a finding about a flag or a
/// namespace should point at the value itself.
pub(super) fn narrow(db: &FileDb, span: Span, needle: &str) -> Span {
    if span.file.0 as usize >= db.len() {
        return span;
    }
    let text = &db.get(span.file).text;
    let found = text.get(span.range()).and_then(|t| t.rfind(needle));
    found.map_or(span, |pos| {
        let start = span.start as usize + pos;
        Span::new(span.file, start, start + needle.len())
    })
}

/// Appended to an isolation finding where nothing but the tenant label sets tenancy up.
pub(crate) const NO_ISOLATION_NOTE: &str = " (nothing else in this cluster sets tenant isolation up: no lockdown flag, no tenant reconciler service account, no `tenants` in .fleetlint.yaml; if `toolkit.fluxcd.io/tenant` only marks ownership here, this is by design)";

/// Whether anything in the cluster sets isolation up for `tenant` (any tenant when `None`),
/// beyond `toolkit.fluxcd.io/tenant` labels: a lockdown flag on (`--default-service-account`,
/// `--no-cross-namespace-refs`, `--no-remote-bases` on kustomize- or helm-controller), tenants
/// the configuration declares, or a reconciler account of the tenant: a ServiceAccount in one of
/// its namespaces or listed in [`Cluster::tenant_accounts`] (what `flux create tenant` writes),
/// or one of its Kustomizations or HelmReleases naming a `serviceAccountName`. Flux's own
/// single-tenant example labels namespaces `toolkit.fluxcd.io/tenant: sre-team` / `dev-team` as
/// ownership labels with none of these (fluxcd/flux2-kustomize-helm-example
/// `infrastructure/controllers/*.yaml`): there the missing lockdown is the design, not broken
/// isolation (BASELINE F5).
pub(crate) fn isolation_intended(cluster: &Cluster, tenant: Option<&str>) -> bool {
    let flags = [Controller::Kustomize, Controller::Helm].into_iter().any(|c| {
        lockdown::default_service_account(cluster, c).is_some()
            || lockdown::no_cross_namespace_refs(cluster, c).state == lockdown::CrossNs::On
            || lockdown::no_remote_bases(cluster, c).0
    });
    let configured = cluster.tenants.values().any(|t| t.declared_at.iter().any(Option::is_none));
    let of_tenant = |t: Option<&str>| tenant.is_none_or(|want| t == Some(want));
    let account = cluster.objects.iter().any(|o| {
        o.scope == fleetlint_fleet::Scope::Tenant
            && of_tenant(o.tenant.as_deref())
            && (o.kind() == "ServiceAccount" && o.api_version() == "v1" && o.name() != "default"
                || matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::HelmRelease))
                    && o.root
                        .get_path(&["spec", "serviceAccountName"])
                        .and_then(Node::as_str)
                        .is_some_and(|s| !s.is_empty()))
    }) || cluster.tenant_accounts.values().any(|t| of_tenant(Some(t)));
    flags || configured || account
}
