//! What a Kustomization needs in place before it applies, and whether it is (ORD003, ORD004,
//! ORD005): a Namespace for every namespaced object it renders (and for a HelmRelease's
//! `targetNamespace` / `storageNamespace`), and a CRD for every object of a custom kind.

use std::collections::HashMap;

use fleetlint_fleet::EntryKind;
use fleetlint_yaml::{FluxKind, Node, Span};

use super::naming::field_span;
use fleetlint_fleet::graph::{Avail, FluxGraph, is_renderer};
use fleetlint_fleet::kinds::{KindScope, KindScopes};

/// API groups served by the Kubernetes API server itself (no CRD needed).
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "extensions",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
    // Aggregated API of metrics-server: an APIService, not a CRD.
    "metrics.k8s.io",
];

/// The API group of an `apiVersion`.
pub(crate) fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Whether a kind of `group` needs no CRD from the graph: built into Kubernetes, Flux's own
/// (installed with the controllers), or the Flux Operator's when the cluster is driven by a
/// FluxInstance (the operator, and so its CRDs, must exist for that).
pub(crate) fn preexisting_group(group: &str, entry: EntryKind) -> bool {
    BUILTIN_GROUPS.contains(&group)
        || group.ends_with(".toolkit.fluxcd.io")
        // Flux's source-watcher (ArtifactGenerator, Flux 2.7+), installed with the controllers.
        || group == "source.extensions.fluxcd.io"
        || (group == "fluxcd.controlplane.io" && entry == EntryKind::FluxInstance)
}

/// What is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Item<'c> {
    /// A Namespace.
    Namespace(&'c str),
    /// The CRD of a kind.
    Crd { group: &'c str, kind: &'c str },
}

/// One need of one consumer (the first object that has it).
#[derive(Debug)]
pub(crate) struct Need<'c> {
    /// The Kustomization (or ResourceSet) applying the object, or the HelmRelease installing.
    pub consumer: usize,
    /// The object that needs it.
    pub object: usize,
    /// The value that asks for it.
    pub span: Span,
    /// Its field path.
    pub field: &'static str,
    /// What it needs.
    pub item: Item<'c>,
}

/// A need and whether it is met.
#[derive(Debug)]
pub(crate) struct Outcome<'c> {
    /// The need.
    pub need: Need<'c>,
    /// Whether it is in place before the consumer.
    pub avail: Avail,
    /// Whether an opaque object (unknown output), or for a CRD a HelmRelease (unknown chart),
    /// may provide it before the consumer.
    pub maybe: bool,
    /// The objects providing it anywhere in the cluster (Namespace / CRD objects, or
    /// HelmReleases creating the namespace).
    pub providers: Vec<usize>,
    /// For a CRD: the provider is a HelmRelease known only from the built-in table of charts
    /// (not from Git or `crdProviders`): its chart may be installed with CRDs turned off.
    pub from_table: bool,
}

/// Cluster-scoped by the shared scope knowledge; an unknown custom kind named `Cluster*` is
/// taken to be cluster-scoped too (no namespace to need).
fn kind_is_cluster_scoped(scopes: &KindScopes, api_version: &str, kind: &str) -> bool {
    match scopes.of(api_version, kind) {
        KindScope::Cluster => true,
        KindScope::Namespaced => false,
        KindScope::Unknown => kind.starts_with("Cluster"),
    }
}

/// The namespaces objects need (not pre-existing ones), one need per consumer and namespace.
pub(crate) fn namespace_needs<'c>(g: &FluxGraph<'c>, scopes: &KindScopes) -> Vec<Need<'c>> {
    let c = g.cluster;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut scoped_cache: HashMap<(&str, &str), bool> = HashMap::new();
    for (i, o) in c.objects.iter().enumerate() {
        let Some(k) = g.parent[i].filter(|&k| is_renderer(g.object(k))) else { continue };
        // An object encrypted whole needs what its decrypted identity names: unknown, not missing.
        if o.synthesized || o.has_ciphertext_identity() {
            continue;
        }
        let ns = o.namespace();
        if !ns.is_empty() && !ns.contains("${") && !c.preexisting_namespaces.iter().any(|p| p == ns) {
            let group = group_of(o.api_version());
            let scoped = *scoped_cache
                .entry((group, o.kind()))
                .or_insert_with(|| kind_is_cluster_scoped(scopes, o.api_version(), o.kind()));
            if !scoped && seen.insert((k, ns)) {
                let span = field_span(&o.root, &["metadata", "namespace"]);
                out.push(Need { consumer: k, object: i, span, field: "metadata.namespace", item: Item::Namespace(ns) });
            }
        }
        // A HelmRelease with a kubeConfig installs on another cluster, whose namespaces are unknown.
        if let Some(release) = o.flux().filter(|f| f.kind() == FluxKind::HelmRelease && f.kube_config().is_none()) {
            let create = release.install_create_namespace().and_then(|f| f.as_bool());
            // With `install.createNamespace`, Helm creates the release (target) namespace before
            // it stores the release (helm/helm pkg/action/install.go `RunWithContext`: `if
            // i.CreateNamespace { ... KubeClient.Create(ns) }` comes before
            // `i.cfg.Releases.Create(rel)`), so a storage namespace equal to it exists too
            // (heldout7, himeshpanc/gitops-tenants).
            let target = release.target_namespace().and_then(|v| v.as_str());
            let stored_in_target = create == Some(true)
                && release.storage_namespace().and_then(|v| v.as_str()).is_some_and(|s| Some(s) == target);
            for (field, value, skip) in [
                ("spec.targetNamespace", release.target_namespace(), create == Some(true)),
                ("spec.storageNamespace", release.storage_namespace(), stored_in_target),
            ] {
                let Some(value) = value else { continue };
                let Some(t) = value.as_str() else { continue };
                // The HelmRelease's own namespace is the object's need, reported above.
                if skip
                    || t.is_empty()
                    || t == ns
                    || t.contains("${")
                    || c.preexisting_namespaces.iter().any(|p| p == t)
                {
                    continue;
                }
                if seen.insert((i, t)) {
                    out.push(Need { consumer: i, object: i, span: value.span(), field, item: Item::Namespace(t) });
                }
            }
        }
    }
    out
}

/// The CRDs objects of custom kinds need, one need per consumer and kind.
pub(crate) fn crd_needs<'c>(g: &FluxGraph<'c>) -> Vec<Need<'c>> {
    let c = g.cluster;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, o) in c.objects.iter().enumerate() {
        let Some(k) = g.parent[i].filter(|&k| is_renderer(g.object(k))) else { continue };
        let group = group_of(o.api_version());
        if o.synthesized || preexisting_group(group, c.entry) || o.kind().is_empty() || o.has_ciphertext_identity() {
            continue;
        }
        if seen.insert((k, group, o.kind())) {
            let span = field_span(&o.root, &["kind"]);
            out.push(Need { consumer: k, object: i, span, field: "kind", item: Item::Crd { group, kind: o.kind() } });
        }
    }
    out
}

/// Providers of an item: `(raw renderers, HelmReleases, provider objects)`, or `None` when an
/// object nobody renders (a bootstrap object) provides it: it pre-exists.
type Providers = Option<(Vec<usize>, Vec<usize>, Vec<usize>)>;

/// Every item's providers, found in one pass over the cluster (not one pass per item: a fleet
/// with thousands of tenant namespaces has thousands of items).
fn provider_index<'c>(g: &FluxGraph<'c>) -> HashMap<Item<'c>, Providers> {
    let mut index: HashMap<Item<'c>, Providers> = HashMap::new();
    let mut add = |item: Item<'c>, i: usize, helm: bool| {
        let entry = index.entry(item).or_insert_with(|| Some((Vec::new(), Vec::new(), Vec::new())));
        let Some((raw, helms, objects)) = entry else { return };
        if helm {
            helms.push(i);
            objects.push(i);
            return;
        }
        match g.parent[i] {
            Some(p) => {
                raw.push(p);
                objects.push(i);
            }
            None => *entry = None,
        }
    };
    for (i, o) in g.cluster.objects.iter().enumerate() {
        if let Some(release) = o.flux().filter(|f| f.kind() == FluxKind::HelmRelease)
            && release.install_create_namespace().and_then(|f| f.as_bool()) == Some(true)
            && let Some(ns) = release.target_namespace().and_then(|f| f.as_str())
        {
            add(Item::Namespace(ns), i, true);
        }
        if o.kind() == "Namespace" && o.api_version() == "v1" {
            add(Item::Namespace(o.name()), i, false);
        }
        if o.kind() == "CustomResourceDefinition" && group_of(o.api_version()) == "apiextensions.k8s.io" {
            let group = o.root.get_path(&["spec", "group"]).and_then(Node::as_str);
            let kind = o.root.get_path(&["spec", "names", "kind"]).and_then(Node::as_str);
            if let (Some(group), Some(kind)) = (group, kind) {
                add(Item::Crd { group, kind }, i, false);
            }
        }
    }
    index
}

/// The HelmRelease `crdProviders` names for a CRD item's API group, when the cluster has it.
fn configured_provider(g: &FluxGraph<'_>, item: Item<'_>) -> Option<usize> {
    let Item::Crd { group, .. } = item else { return None };
    let id = g.cluster.crd_providers.get(group)?;
    let id = id.strip_prefix("HelmRelease/").unwrap_or(id);
    let (ns, name) = id.split_once('/')?;
    g.cluster
        .objects
        .iter()
        .position(|o| o.flux_kind() == Some(FluxKind::HelmRelease) && o.namespace() == ns && o.name() == name)
}

/// Availability of one item for every object, and the objects providing it.
type ItemState = (std::rc::Rc<Vec<Avail>>, Vec<usize>, bool);

/// The raw renderers and HelmReleases providing an item, sorted.
type Renderers = (Vec<usize>, Vec<usize>);

/// Evaluate `needs`: one availability pass per distinct item, plus one for opaque objects and,
/// for CRDs, one for HelmReleases (a chart's content is unknown: any HelmRelease that is Ready
/// before the consumer may have installed the CRD).
pub(crate) fn evaluate<'c>(g: &FluxGraph<'c>, needs: Vec<Need<'c>>) -> Vec<Outcome<'c>> {
    evaluate_with(g, needs, |opaque| opaque.to_vec())
}

/// [`evaluate`], where `crd_capable` narrows the opaque objects to those that may render a CRD
/// (a CRD need is met by one of those only; see `crd_capable.rs`).
pub(crate) fn evaluate_with<'c>(
    g: &FluxGraph<'c>,
    needs: Vec<Need<'c>>,
    crd_capable: impl FnOnce(&[usize]) -> Vec<usize>,
) -> Vec<Outcome<'c>> {
    if needs.is_empty() {
        return Vec::new();
    }
    let opaque = g.opaque();
    let maybe = if opaque.is_empty() { Vec::new() } else { g.availability(&opaque, &[], true) };
    let crd_opaque = if needs.iter().any(|n| matches!(n.item, Item::Crd { .. })) && !opaque.is_empty() {
        crd_capable(&opaque)
    } else {
        Vec::new()
    };
    let maybe_crd = if crd_opaque.len() == opaque.len() {
        None
    } else if crd_opaque.is_empty() {
        Some(Vec::new())
    } else {
        Some(g.availability(&crd_opaque, &[], true))
    };
    // A release manifest left out of a build (a remote file) usually brings its Namespace: when
    // nothing in Git creates the namespace, such a build before the consumer may. A namespace Git
    // does create is judged against that creator, and a CRD is not assumed to come with the file
    // (a known provider is still judged; an unknown one is an info anyway).
    let remote = left_out_remote(g);
    let namespace_needs = needs.iter().any(|n| matches!(n.item, Item::Namespace(_)));
    let maybe_remote =
        if remote.is_empty() || !namespace_needs { Vec::new() } else { g.availability(&remote, &[], true) };
    let charts = if needs.iter().any(|n| matches!(n.item, Item::Crd { .. })) {
        let releases: Vec<usize> = (0..g.cluster.objects.len())
            .filter(|&i| {
                let o = g.object(i);
                o.flux().is_some_and(|f| f.kind() == FluxKind::HelmRelease && f.kube_config().is_none())
            })
            .collect();
        g.availability(&[], &releases, false)
    } else {
        Vec::new()
    };
    let direct = |v: &[Avail], i: usize| v.get(i).is_some_and(|a| *a == Avail::Direct);
    let index = provider_index(g);
    // Availability depends only on who renders the providers; items rendered by the same
    // Kustomizations (every tenant namespace of a tenants overlay) share one pass.
    let mut by_renderers: HashMap<Renderers, std::rc::Rc<Vec<Avail>>> = HashMap::new();
    // Per item: availability for every object and the provider objects (`None`: pre-existing).
    let mut by_item: HashMap<Item<'c>, Option<ItemState>> = HashMap::new();
    let mut out = Vec::new();
    for need in needs {
        let entry = by_item.entry(need.item).or_insert_with(|| {
            let mut from_table = false;
            let (mut raw, mut helm, objects) = match index.get(&need.item) {
                Some(None) => return None,
                Some(Some(p)) => p.clone(),
                None => {
                    let configured = configured_provider(g, need.item);
                    // A CNI's CRDs exist before Flux can run (crd_providers::CNI): the need is
                    // met, unless `crdProviders` says which release installs them.
                    let cni =
                        matches!(need.item, Item::Crd { group, .. } if super::crd_providers::predates_flux(group));
                    if configured.is_none() && cni {
                        return None;
                    }
                    configured
                        .or_else(|| {
                            let Item::Crd { group, .. } = need.item else { return None };
                            let hr = super::crd_providers::builtin_provider(g, group);
                            from_table = hr.is_some();
                            hr
                        })
                        .map_or_else(|| (Vec::new(), Vec::new(), Vec::new()), |hr| (Vec::new(), vec![hr], vec![hr]))
                }
            };
            raw.sort_unstable();
            raw.dedup();
            helm.sort_unstable();
            helm.dedup();
            let avail = by_renderers
                .entry((raw, helm))
                .or_insert_with_key(|(raw, helm)| std::rc::Rc::new(g.availability(raw, helm, false)))
                .clone();
            Some((avail, objects, from_table))
        });
        let Some((avail, objects, from_table)) = entry else { continue };
        let chart = matches!(need.item, Item::Crd { .. }) && direct(&charts, need.consumer);
        out.push(Outcome {
            avail: avail[need.consumer],
            maybe: direct(
                match (&maybe_crd, need.item) {
                    (Some(m), Item::Crd { .. }) => m,
                    _ => &maybe,
                },
                need.consumer,
            ) || chart
                || (matches!(need.item, Item::Namespace(_))
                    && objects.is_empty()
                    && direct(&maybe_remote, need.consumer)),
            providers: objects.clone(),
            from_table: *from_table,
            need,
        });
    }
    out
}

/// Flux Kustomizations whose build left out a remote resource fleetlint does not fetch (SRC005):
/// what that file holds (often a release manifest with its Namespace, applied in the same
/// Kustomization's first stage) is unknown, so they may create any namespace (issue 14 point 2:
/// no cascade from what fleetlint itself left out).
fn left_out_remote(g: &FluxGraph<'_>) -> Vec<usize> {
    let c = g.cluster;
    let mut out: Vec<usize> = c
        .build_issues
        .iter()
        .zip(&c.build_issue_owners)
        .filter(|(issue, _)| issue.kind == fleetlint_kustomize::BuildIssueKind::RemoteResource)
        .filter_map(|(_, owner)| *owner)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
