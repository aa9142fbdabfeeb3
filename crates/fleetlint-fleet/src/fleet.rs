//! Building the fleet: discover the clusters, set up each one's bootstrap objects and controller
//! configuration, walk its Flux graph, then assign tenants and scopes.

use std::collections::BTreeMap;

use rayon::prelude::*;

use fleetlint_yaml::{FileDb, LoadedTree, Node, NodeKind};

use crate::config::ClusterOverride;
use crate::controllers::Controllers;
use crate::discover::{Discovery, EntryPoint, cluster_names, discover};
use crate::error::FleetError;
use crate::model::{Cluster, EntryKind, Fleet, FluxVersion, RejectReason, Rejected, SourceResolution, VersionFrom};
use crate::root_objects::bootstrap_objects;
use crate::sources::SourceMapping;
use crate::tenants;
use crate::walk::{ClusterWalk, Trees};

/// What the fleet builder needs besides the trees.
#[derive(Clone, Debug, Default)]
pub(crate) struct FleetOptions {
    /// Platform namespaces (default `flux-system`).
    pub platform_namespaces: Vec<String>,
    /// Configured tenants: name -> namespaces.
    pub tenants: BTreeMap<String, Vec<String>>,
    /// Namespaces that exist before anything is applied.
    pub preexisting_namespaces: Vec<String>,
    /// Entry directory globs replacing discovery.
    pub cluster_globs: Vec<String>,
    /// Limit the run to this cluster.
    pub only_cluster: Option<String>,
    /// Per-cluster overrides by cluster name.
    pub overrides: BTreeMap<String, ClusterOverride>,
    /// API group -> HelmRelease installing its CRDs.
    pub crd_providers: BTreeMap<String, String>,
}

/// Namespaces every cluster has.
pub const BUILTIN_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease", "flux-system"];

/// Build the fleet of `trees[0]` (the checked root); `trees[i + 1]` is the tree of `mappings[i]`.
///
/// # Errors
/// When `only_cluster` names no cluster.
pub(crate) fn build_fleet(
    db: &FileDb,
    trees: &[LoadedTree],
    mappings: &[SourceMapping],
    opts: &FleetOptions,
) -> Result<Fleet, FleetError> {
    let indexed = Trees::new(db, trees, mappings);
    let Discovery { entries, mut rejected, issues } = discover(&indexed, &opts.cluster_globs);
    let dirs: Vec<&str> = entries.iter().map(|e| naming_dir(&e.dir, &e.found_by.reason)).collect();
    let names = cluster_names(&dirs);
    // `--cluster` and `clusterOverrides` take the name or the root path.
    let selected = |entry: &EntryPoint, name: &str| {
        opts.only_cluster
            .as_ref()
            .is_none_or(|only| only == name || *only == entry.dir || only.trim_end_matches('/') == entry.dir)
    };
    // The bootstrap files are read once, for every cluster and every rule.
    let bootstrap = trees.first().map(|t| crate::bootstrap_crds::read(t, db)).unwrap_or_default();
    let built: Vec<Vec<Cluster>> = entries
        .par_iter()
        .zip(names.par_iter())
        .filter(|(entry, name)| selected(entry, name))
        .map(|(entry, name)| build_cluster(&indexed, entry, name, opts, &bootstrap.namespaces))
        .collect();
    let before = built.len();
    let built = reject_rendered_roots(built, &mut rejected);
    let built = reject_rendered_instances(&indexed, built, &mut rejected);
    let mut built = reject_bases_of_other_roots(&indexed, built, &mut rejected);
    if built.len() < before && opts.only_cluster.is_none() {
        rename(&mut built, &mut rejected);
    }
    let mut clusters: Vec<Cluster> = Vec::new();
    for group in built {
        for mut c in group {
            if c.entry == EntryKind::Remote && clusters.iter().any(|o| o.name == c.name) {
                c.name = format!("{}/{}", c.hub.as_deref().unwrap_or(""), c.name);
            }
            // Names are unique in a report: a further collision gets a number.
            let base = c.name.clone();
            let mut n = 2;
            while clusters.iter().any(|o| o.name == c.name) {
                c.name = format!("{base}-{n}");
                n += 1;
            }
            clusters.push(c);
        }
    }
    if let Some(only) = &opts.only_cluster
        && clusters.is_empty()
    {
        return Err(FleetError::UnknownCluster { name: only.clone(), known: names });
    }
    // Every kustomization directory, for the findings of inputs no cluster reaches; the
    // resolvers' caches already hold what the Flux builds resolved.
    let tree_builds = trees
        .iter()
        .zip(indexed.resolvers.iter().zip(&indexed.flux_entered))
        .map(|(tree, (resolver, entered))| {
            let entered = std::mem::take(&mut *entered.lock().expect("flux_entered lock"));
            crate::builds::build_tree_with(resolver, db, tree, entered)
        })
        .collect();
    Ok(Fleet { clusters, rejected, issues, tree_builds, bootstrap, ..Fleet::default() })
}

/// A self-managed root whose directory another cluster's graph builds is part of that cluster,
/// not a cluster of its own (the Kustomization that builds it is in that cluster's tree).
fn reject_rendered_roots(built: Vec<Vec<Cluster>>, rejected: &mut Vec<Rejected>) -> Vec<Vec<Cluster>> {
    let builders = |group: &[Cluster], dir: &str| -> Option<(String, String)> {
        let hub = group.first()?;
        hub.kustomizations
            .iter()
            .filter(|k| k.source == SourceResolution::Tree(0) && k.path == dir)
            .map(|k| &hub.objects[k.object])
            // The root's own Kustomization re-rendered by itself does not count.
            .find(|o| o.owner.is_some())
            .map(|o| (hub.name.clone(), format!("{}/{}", o.namespace(), o.name())))
    };
    let mut out_of: Vec<Option<(String, String)>> = vec![None; built.len()];
    for (i, group) in built.iter().enumerate() {
        // Roots found by what their directory renders, or synthesized by convention: when
        // another cluster builds the directory, it is part of that cluster.
        let Some(c) = group.first().filter(|c| matches!(c.entry, EntryKind::SelfManaged | EntryKind::Synthesized))
        else {
            continue;
        };
        // A root applied by hand is part of a cluster that builds the directory it is applied from.
        let from = match &c.found_by.reason {
            crate::model::FoundReason::AppliedByHand { from, .. } => Some(from.as_str()),
            _ => None,
        };
        // A self-managed root whose Kustomization another cluster applies (as an object of its
        // graph, whatever path that Kustomization builds from which source) lives in that
        // cluster: heldout11, petebeegle/homelab's `private-apps`, which production applies and
        // which builds `./clusters/production/apps` of another repository.
        let applied_by = |other: &[Cluster]| -> Option<(String, String)> {
            let hub = other.first()?;
            if !matches!(c.found_by.reason, crate::model::FoundReason::SelfManaged { .. }) {
                return None;
            }
            // The same object: the same document with the same path (overlays of a shared base
            // render one document as each cluster's own root, with their own paths). Only the
            // hub's Kustomizations are looked at, as `builders` does.
            let o = hub.kustomizations.iter().map(|k| &hub.objects[k.object]).find(|o| {
                !o.synthesized
                    && o.owner.is_some()
                    && o.root.span == c.found_by.span
                    && o.flux_kind() == Some(fleetlint_yaml::FluxKind::Kustomization)
                    && o.flux().is_some_and(|k| fleetlint_yaml::relpath::clamp_flux_path(k.path_str()).0 == c.path)
            })?;
            let owner = o.owner.map(|k| &hub.objects[k])?;
            Some((hub.name.clone(), format!("{}/{}", owner.namespace(), owner.name())))
        };
        out_of[i] = built.iter().enumerate().filter(|(j, _)| *j != i).find_map(|(_, other)| {
            builders(other, &c.path).or_else(|| from.and_then(|f| builders(other, f))).or_else(|| applied_by(other))
        });
    }
    let mut keep = Vec::new();
    for (group, by) in built.into_iter().zip(out_of) {
        match by {
            Some((cluster, kustomization)) => rejected.push(Rejected {
                path: group[0].path.clone(),
                reason: RejectReason::RenderedBy { cluster, kustomization },
            }),
            None => keep.push(group),
        }
    }
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    keep
}

/// A FluxInstance is an object in the cluster whose graph applies it: the operator reconciles
/// it there and its `spec.sync` root is one more entry of that same cluster
/// (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/build.go writes the sync
/// GitRepository/Kustomization into the instance's own cluster). So a cluster found by a
/// FluxInstance (or a flux-instance HelmRelease's values) that another kept cluster renders,
/// and whose sync directory that cluster's build already reads, is not a second cluster: it is
/// rejected with the reason, and that cluster (which builds the same files) stands for it.
/// When the other cluster does not read the sync directory, the directory's content would be
/// lost with it, so the cluster is kept.
fn reject_rendered_instances(
    trees: &Trees<'_>,
    built: Vec<Vec<Cluster>>,
    rejected: &mut Vec<Rejected>,
) -> Vec<Vec<Cluster>> {
    if built.len() < 2 {
        return built;
    }
    let view = &trees.views[0];
    let mut by: Vec<Option<(String, String, String)>> = vec![None; built.len()];
    let mut unapplied: Vec<bool> = vec![false; built.len()];
    for (i, group) in built.iter().enumerate() {
        let Some(c) = group.first().filter(|c| c.entry == EntryKind::FluxInstance) else { continue };
        let carrier = c.found_by.span;
        let below: std::collections::HashMap<fleetlint_yaml::FileId, &str> = view
            .files()
            .filter(|(p, _)| !c.path.is_empty() && p.starts_with(&format!("{}/", c.path)))
            .map(|(p, f)| (f.id, p))
            .collect();
        let found = built.iter().enumerate().find_map(|(j, other)| {
            let hub = other.first()?;
            // Never by a cluster rejected here itself (two instances rendering each other).
            if j == i || by[j].is_some() {
                return None;
            }
            let o = hub
                .objects
                .iter()
                .find(|o| !o.synthesized && o.root.span.file == carrier.file && o.root.span.start == carrier.start)?;
            hub.objects.iter().find_map(|o| read_file(&o.root, &below))?;
            let owner = o.owner.map(|k| &hub.objects[k]);
            let via = owner.map_or_else(String::new, |k| format!("Kustomization {}/{}", k.namespace(), k.name()));
            Some((hub.name.clone(), via, format!("{}/{}/{}", o.kind(), o.namespace(), o.name())))
        });
        // A flux-instance HelmRelease that no cluster's graph applies (its Kustomization left out
        // of the kustomization that would list it) installs nothing: when another cluster's build
        // already reads its sync directory, that directory belongs to that cluster (round
        // heldout5, damacus/home-ops: the HelmRelease's values name `kubernetes/flux/cluster`,
        // which the live root `kubernetes/flux` builds). A FluxInstance written as an object is
        // applied by hand and stays a root.
        let carrier_id = match &c.found_by.reason {
            crate::model::FoundReason::FluxInstance { carrier } => carrier.as_str(),
            _ => "",
        };
        let applied = |hub: &Cluster| {
            hub.objects
                .iter()
                .any(|o| !o.synthesized && o.root.span.file == carrier.file && o.root.span.start == carrier.start)
        };
        // So is a values file of the chart (what an installer outside Git passes it): when a
        // cluster's build already reads its sync directory, it describes that cluster (damacus
        // again: its `helm/values.yaml` is also the flux-instance HelmRelease's).
        let unapplied_carrier = carrier_id.starts_with("HelmRelease/") || carrier_id.starts_with("values file ");
        if found.is_none() && unapplied_carrier && !built.iter().flatten().any(applied) {
            let reader = built.iter().enumerate().find_map(|(j, other)| {
                let hub = other.first()?;
                if j == i || by[j].is_some() {
                    return None;
                }
                hub.objects.iter().find_map(|o| read_file(&o.root, &below))?;
                Some((hub.name.clone(), String::new(), carrier_id.to_string()))
            });
            unapplied[i] = reader.is_some();
            by[i] = reader;
            continue;
        }
        by[i] = found;
    }
    let mut keep = Vec::new();
    for ((group, by), unapplied) in built.into_iter().zip(by).zip(unapplied) {
        match by {
            Some((cluster, _, carrier)) if unapplied => rejected.push(Rejected {
                path: group[0].path.clone(),
                reason: RejectReason::InstanceUnapplied { cluster, carrier },
            }),
            Some((cluster, kustomization, carrier)) => rejected.push(Rejected {
                path: group[0].path.clone(),
                reason: RejectReason::InstanceRenderedBy { cluster, kustomization, carrier },
            }),
            None => keep.push(group),
        }
    }
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    keep
}

/// A root that only installs Flux (its graph builds no directory but its own) whose files the
/// builds of another cluster read (a `flux/flux-system/` whose patches or components the real
/// roots' `flux-system` kustomizations include) is a base of those roots, not a cluster: the
/// reasoning of issue 11 layout 6 (a shared base is not a cluster when the roots that include
/// it are found). A cluster that builds more than its root is never rejected this way.
fn reject_bases_of_other_roots(
    trees: &Trees<'_>,
    built: Vec<Vec<Cluster>>,
    rejected: &mut Vec<Rejected>,
) -> Vec<Vec<Cluster>> {
    let only_flux = |c: &Cluster| {
        matches!(c.entry, EntryKind::GotkSync | EntryKind::SelfManaged | EntryKind::Synthesized)
            && c.kustomizations.iter().all(|k| k.path == c.path)
    };
    let by_hand = |c: &Cluster| match &c.found_by.reason {
        crate::model::FoundReason::AppliedByHand { from, .. } => Some(from.clone()),
        _ => None,
    };
    // Also a root applied by hand, whose directory another cluster's build reads, and a root
    // whose `flux-system/` holds bootstrap's files without the sync objects (so nothing in Git
    // says it is synced at all) that other roots include as their base (heldout5,
    // hmcts/admin-flux-config: `clusters/base/flux-system`, which each cluster overlay includes
    // and patches with its own path).
    let placeholder = |c: &Cluster| matches!(c.found_by.reason, crate::model::FoundReason::BootstrapPlaceholder);
    let candidates: Vec<usize> = built
        .iter()
        .enumerate()
        .filter(|(_, g)| g.first().is_some_and(|c| only_flux(c) || by_hand(c).is_some() || placeholder(c)))
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() || built.len() < 2 {
        return built;
    }
    let view = &trees.views[0];
    let mut by: Vec<Option<(String, String)>> = vec![None; built.len()];
    for &i in &candidates {
        let dir = by_hand(&built[i][0]).unwrap_or_else(|| built[i][0].path.clone());
        // A root at the source root only because its Kustomization has no `spec.path` (which
        // kustomize-controller reads as the source root) is a base when other roots render that
        // document with the path their overlays patch in (heldout8, nmarghetti: `clusters/base/
        // flux-system/gotk-sync.yaml`, included and patched by `clusters/{kind,minikube}`): its
        // file is what they read.
        let pathless = dir.is_empty() && pathless_root(&built[i][0]);
        let below: std::collections::HashMap<fleetlint_yaml::FileId, &str> = view
            .files()
            .filter(|(p, f)| {
                (!dir.is_empty() && p.starts_with(&format!("{dir}/")))
                    || (pathless && f.id == built[i][0].found_by.span.file)
            })
            .map(|(p, f)| (f.id, p))
            .collect();
        if below.is_empty() {
            continue;
        }
        by[i] = built.iter().enumerate().find_map(|(j, other)| {
            let hub = other.first()?;
            let unrelated = pathless || (!is_within(&hub.path, &dir) && !is_within(&dir, &hub.path));
            if j == i || candidates.contains(&j) || !unrelated {
                return None;
            }
            let file = hub.objects.iter().find_map(|o| read_file(&o.root, &below))?;
            Some((hub.name.clone(), file.to_string()))
        });
    }
    let mut keep = Vec::new();
    for (group, by) in built.into_iter().zip(by) {
        match by {
            Some((cluster, file)) => {
                rejected.push(Rejected { path: group[0].path.clone(), reason: RejectReason::ReadBy { cluster, file } });
            }
            None => keep.push(group),
        }
    }
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    keep
}

/// Whether a self-managed root's Kustomization has no `spec.path` at all.
fn pathless_root(c: &Cluster) -> bool {
    matches!(c.found_by.reason, crate::model::FoundReason::SelfManaged { .. })
        && c.objects
            .iter()
            .any(|o| !o.synthesized && o.root.span == c.found_by.span && o.root.get_path(&["spec", "path"]).is_none())
}

/// Names follow the roots that are kept: a root rejected once the graphs were walked no longer
/// widens the container the names are taken below.
fn rename(built: &mut [Vec<Cluster>], rejected: &mut [Rejected]) {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let dirs: Vec<String> =
        built.iter().filter_map(|g| g.first().map(|c| naming_dir(&c.path, &c.found_by.reason).to_string())).collect();
    let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    for (group, name) in built.iter_mut().zip(cluster_names(&dirs)) {
        let old = group[0].name.clone();
        renamed.insert(old.clone(), name.clone());
        for c in group.iter_mut() {
            if c.name == old {
                c.name.clone_from(&name);
            }
            if c.hub.as_deref() == Some(old.as_str()) {
                c.hub = Some(name.clone());
                if let crate::model::FoundReason::Remote { hub } = &mut c.found_by.reason {
                    hub.clone_from(&name);
                }
            }
        }
    }
    // The reasons name the clusters as the report does.
    for r in rejected {
        if let RejectReason::RenderedBy { cluster, .. }
        | RejectReason::ReadBy { cluster, .. }
        | RejectReason::InstanceRenderedBy { cluster, .. } = &mut r.reason
            && let Some(new) = renamed.get(cluster.as_str())
        {
            cluster.clone_from(new);
        }
    }
}

/// The directory a cluster is named after: its root, or for a root applied by hand the
/// directory it is applied from (the cluster's directory, above the path Flux builds).
fn naming_dir<'a>(dir: &'a str, reason: &'a crate::model::FoundReason) -> &'a str {
    match reason {
        crate::model::FoundReason::AppliedByHand { from, .. } => from,
        _ => dir,
    }
}

fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// A file of `files` that wrote a node of `node` (every node keeps the span of its text).
fn read_file<'a>(node: &Node, files: &std::collections::HashMap<fleetlint_yaml::FileId, &'a str>) -> Option<&'a str> {
    if let Some(p) = files.get(&node.span.file) {
        return Some(p);
    }
    match &node.kind {
        NodeKind::Scalar(_) => None,
        NodeKind::Seq(items) => items.iter().find_map(|n| read_file(n, files)),
        NodeKind::Map(entries) => {
            entries.iter().find_map(|e| read_file(&e.key, files).or_else(|| read_file(&e.value, files)))
        }
    }
}

fn build_cluster(
    trees: &Trees<'_>,
    entry: &EntryPoint,
    name: &str,
    opts: &FleetOptions,
    bootstrap_namespaces: &[crate::bootstrap_crds::BootstrapNamespace],
) -> Vec<Cluster> {
    let boot = bootstrap_objects(trees, entry);
    let mut flux_version = boot.version;
    let override_ = opts.overrides.get(name).or_else(|| opts.overrides.get(&entry.dir));
    if let Some(v) = override_.and_then(|o| o.flux_version.clone()) {
        flux_version = FluxVersion { value: v, from: VersionFrom::Config };
    }
    let mut preexisting: Vec<String> = BUILTIN_NAMESPACES.iter().map(|s| (*s).to_string()).collect();
    preexisting.extend(opts.preexisting_namespaces.iter().cloned());
    // The namespace of a FluxInstance exists before its sync objects: the operator creates them
    // next to the instance (controlplaneio-fluxcd/flux-operator@17c6aea
    // internal/builder/templates.go `namespace: {{$namespace}}`).
    if entry.instance.is_some() {
        for o in boot.objects.iter().filter(|o| o.synthesized && o.kind() == "Kustomization") {
            let ns = o.namespace().to_string();
            if !ns.is_empty() && !preexisting.contains(&ns) {
                preexisting.push(ns);
            }
        }
    }
    // Namespaces the repository's bootstrap creates before Flux starts (a helmfile release's
    // namespace, `kubectl create namespace` in a bootstrap task): read, never run.
    for b in bootstrap_namespaces {
        if !preexisting.contains(&b.namespace) {
            preexisting.push(b.namespace.clone());
        }
    }
    let platform = if opts.platform_namespaces.is_empty() {
        vec!["flux-system".to_string()]
    } else {
        opts.platform_namespaces.clone()
    };
    // What the bootstrap installs decides how the walk substitutes (strict or not); the fact is
    // read again from everything the cluster renders once the walk is done.
    let controllers = Controllers::read(&boot.objects, &platform, boot.lockdown_known, override_);
    let cluster = Cluster {
        name: name.to_string(),
        path: entry.dir.clone(),
        entry: entry.kind,
        entry_span: entry.span,
        found_by: entry.found_by.clone(),
        source_root: entry.source_root.clone(),
        flux_version,
        controllers,
        objects: boot.objects,
        kustomizations: Vec::new(),
        tenants: BTreeMap::new(),
        namespace_tenant: BTreeMap::new(),
        tenant_accounts: BTreeMap::new(),
        platform_namespaces: platform,
        preexisting_namespaces: preexisting,
        preexisting_configured: !opts.preexisting_namespaces.is_empty(),
        build_issue_owners: vec![None; boot.issues.len()],
        build_issues: boot.issues,
        issues: Vec::new(),
        platform_tenant_labels: Vec::new(),
        hub: None,
        crd_providers: opts.crd_providers.clone(),
        substitution_webhooks: Vec::new(),
        kubernetes_version: override_.and_then(|o| o.kubernetes_version.clone()),
    };
    let mut walk = ClusterWalk::new(trees, cluster, boot.root_source);
    walk.run();
    let mut hub = walk.cluster;
    hub.controllers = Controllers::read(&hub.objects, &hub.platform_namespaces, boot.lockdown_known, override_);
    let mut out = vec![hub];
    for (_, mut remote) in walk.remotes {
        // Nothing says what runs on a cluster Flux reaches through a kubeconfig.
        remote.controllers = Controllers::read(&remote.objects, &remote.platform_namespaces, false, None);
        out.push(remote);
    }
    for c in &mut out {
        tenants::assign(c, &opts.tenants);
        c.substitution_webhooks = crate::admission::substitution_webhooks(&c.objects);
    }
    out
}
