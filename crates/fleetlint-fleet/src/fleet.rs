//! Building the fleet: discover the clusters, set up each one's bootstrap objects and controller
//! configuration, walk its Flux graph, then assign tenants and scopes.

use std::collections::BTreeMap;

use rayon::prelude::*;

use fleetlint_kustomize::{BuildIssue, KUSTOMIZATION_FILE_NAMES, Kustomization};
use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{Entry, FileDb, FluxKind, LoadedTree, Node, NodeKind, ObjectView, Span};

use crate::bootstrap::{self, DEFAULT_COMPONENTS, is_placeholder};
use crate::config::ClusterOverride;
use crate::controllers::{Controller, Controllers, flux_version_from_header};
use crate::discover::{Discovery, EntryPoint, cluster_names, discover};
use crate::error::FleetError;
use crate::flux::InstanceSpec;
use crate::model::{
    Cluster, EntryKind, Fleet, FluxVersion, NEWEST_FLUX, RejectReason, Rejected, RenderedObject, SourceResolution,
    VersionFrom,
};
use crate::sources::{SourceMapping, normalize_url};
use crate::tenants;
use crate::walk::{ClusterWalk, RootSource, Trees};

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
    let built: Vec<Vec<Cluster>> = entries
        .par_iter()
        .zip(names.par_iter())
        .filter(|(entry, name)| selected(entry, name))
        .map(|(entry, name)| build_cluster(&indexed, entry, name, opts))
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
    Ok(Fleet { clusters, rejected, issues, tree_builds, ..Fleet::default() })
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
        out_of[i] = built
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .find_map(|(_, other)| builders(other, &c.path).or_else(|| from.and_then(|f| builders(other, f))));
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
        by[i] = found;
    }
    let mut keep = Vec::new();
    for (group, by) in built.into_iter().zip(by) {
        match by {
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
    // Also a root applied by hand, whose directory another cluster's build reads.
    let candidates: Vec<usize> = built
        .iter()
        .enumerate()
        .filter(|(_, g)| g.first().is_some_and(|c| only_flux(c) || by_hand(c).is_some()))
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() || built.len() < 2 {
        return built;
    }
    let view = &trees.views[0];
    let mut by: Vec<Option<(String, String)>> = vec![None; built.len()];
    for &i in &candidates {
        let dir = by_hand(&built[i][0]).unwrap_or_else(|| built[i][0].path.clone());
        let below: std::collections::HashMap<fleetlint_yaml::FileId, &str> = view
            .files()
            .filter(|(p, _)| !dir.is_empty() && p.starts_with(&format!("{dir}/")))
            .map(|(p, f)| (f.id, p))
            .collect();
        if below.is_empty() {
            continue;
        }
        by[i] = built.iter().enumerate().find_map(|(j, other)| {
            let hub = other.first()?;
            let unrelated = !is_within(&hub.path, &dir) && !is_within(&dir, &hub.path);
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

fn build_cluster(trees: &Trees<'_>, entry: &EntryPoint, name: &str, opts: &FleetOptions) -> Vec<Cluster> {
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
    if let Some(tree) = trees.trees.first() {
        for b in crate::bootstrap_crds::bootstrap_namespaces(tree, trees.db) {
            if !preexisting.contains(&b.namespace) {
                preexisting.push(b.namespace);
            }
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

struct Bootstrap {
    objects: Vec<RenderedObject>,
    issues: Vec<BuildIssue>,
    version: FluxVersion,
    lockdown_known: bool,
    root_source: Option<RootSource>,
}

fn rendered(root: Node, synthesized: bool) -> RenderedObject {
    RenderedObject { synthesized, ..RenderedObject::new(root) }
}

/// A self-managed root: its Kustomization and source as its directory's build renders them (the
/// walk renders them again and they take that Kustomization as owner); the controllers are
/// synthesized, with lockdown unknown, only when that build deploys none.
fn self_managed_objects(entry: &EntryPoint, root: &crate::discover::SelfRoot) -> Bootstrap {
    let mut objects = vec![rendered(root.kustomization.clone(), false)];
    objects.extend(root.source.clone().map(|s| rendered(s, false)));
    if root.source.is_none() && root.source_id.0 == "GitRepository" {
        let (_, ns, name) = &root.source_id;
        objects.extend(bootstrap::root_source_object(ns, name, entry.span).into_iter().map(|n| rendered(n, true)));
    }
    if !root.has_controllers {
        objects.extend(
            bootstrap::component_objects(DEFAULT_COMPONENTS, &|_| Vec::new(), entry.span)
                .into_iter()
                .map(|n| rendered(n, true)),
        );
    }
    let (kind, ns, name) = root.source_id.clone();
    let src = root.source.as_ref().and_then(crate::flux::FluxObject::new);
    let root_source = RootSource {
        kind,
        id: (ns, name),
        url: src.and_then(|s| s.url()).map(normalize_url).unwrap_or_default(),
        reference: src.and_then(|s| s.ref_value()).map(str::to_string),
        prefix: entry.source_root.clone().unwrap_or_default(),
    };
    Bootstrap {
        objects,
        issues: Vec::new(),
        version: root.version.clone().map_or_else(
            || FluxVersion { value: NEWEST_FLUX.to_string(), from: VersionFrom::Assumed },
            |v| FluxVersion { value: v, from: VersionFrom::GotkComponents },
        ),
        lockdown_known: root.has_controllers,
        root_source: Some(root_source),
    }
}

/// Whether a document below `dir` defines the object `kind/namespace/name`: a synthesized
/// stand-in must never collide with what the repository defines.
fn defined_in(view: &crate::artifact::TreeView<'_>, dir: &str, seed: &Node) -> bool {
    let Some(v) = ObjectView::new(seed) else { return false };
    let prefix = format!("{dir}/");
    view.files().filter(|(p, _)| p.starts_with(&prefix)).any(|(_, f)| {
        f.yaml.documents.iter().any(|d| {
            ObjectView::new(&d.root).is_some_and(|o| {
                o.kind() == v.kind()
                    && o.name() == v.name()
                    && o.namespace().unwrap_or("") == v.namespace().unwrap_or("")
            })
        })
    })
}

fn bootstrap_objects(trees: &Trees<'_>, entry: &EntryPoint) -> Bootstrap {
    if let Some(root) = &entry.self_root {
        return self_managed_objects(entry, root);
    }
    let view = &trees.views[0];
    let resolver = &trees.resolvers[0];
    let fs = entry.flux_system.clone().unwrap_or_else(|| join_in_root(&entry.dir, "flux-system").unwrap_or_default());
    let components_file = view.file(&join_in_root(&fs, "gotk-components.yaml").unwrap_or_default());
    let sync_file = view.file(&join_in_root(&fs, "gotk-sync.yaml").unwrap_or_default());
    let real_components = components_file.filter(|f| !is_placeholder(&f.yaml.documents));
    let real_sync = sync_file.filter(|f| !is_placeholder(&f.yaml.documents));
    let kfile = view.kustomization_file(&fs);
    let header_version = real_components.and_then(|f| flux_version_from_header(&trees.db.get(f.id).text));
    let mut version = header_version.map_or_else(
        || FluxVersion { value: NEWEST_FLUX.to_string(), from: VersionFrom::Assumed },
        |v| FluxVersion { value: v, from: VersionFrom::GotkComponents },
    );
    let stand_in = |f: Option<&fleetlint_yaml::LoadedFile>| f.map_or(entry.span, |f| Span::empty(f.id, 0));

    let mut seeds = Vec::new();
    let mut lockdown_known = kfile.is_some() || real_components.is_some();
    let mut base = kfile
        .and_then(|id| view.files().find(|(_, f)| f.id == id))
        .and_then(|(_, f)| f.yaml.documents.first().map(|d| d.root.clone()).filter(|r| r.as_map().is_some()));
    if let Some(spec) = entry.instance.as_ref().map(InstanceSpec) {
        // FluxInstance: the operator generates the sync objects and the components, with the
        // multi-tenancy flags, then applies `spec.kustomize.patches`.
        let url = spec.sync_url().unwrap_or("");
        let reference = spec.sync_ref().map(|r| if r.starts_with("refs/") { ("name", r) } else { ("branch", r) });
        // The sync path is relative to the artifact, which may be a subdirectory.
        let sync_dir = entry
            .source_root
            .as_deref()
            .and_then(|r| entry.dir.strip_prefix(r).map(|d| d.trim_start_matches('/')))
            .unwrap_or(&entry.dir);
        let sync_kind = spec.sync_kind().unwrap_or("GitRepository");
        let reference = if sync_kind == "GitRepository" { reference } else { spec.sync_ref().map(|r| ("tag", r)) };
        // flux-operator names the sync objects after the instance's namespace unless `sync.name`
        // is set, and creates them in that namespace
        // (controlplaneio-fluxcd/flux-operator@17c6aea:internal/controller/fluxinstance_controller.go
        // `syncName := obj.GetNamespace()`; internal/builder/templates.go `namespace: {{$namespace}}`).
        let ns = instance_namespace(view, entry, sync_kind, spec.sync_name());
        seeds.extend(bootstrap::instance_sync_objects(
            sync_kind,
            spec.sync_name().unwrap_or(&ns),
            &ns,
            sync_dir,
            url,
            reference,
            entry.span,
        ));
        let components: Vec<&str> = spec.components().unwrap_or_else(|| DEFAULT_COMPONENTS.to_vec());
        let multitenant = spec.multitenant();
        let on = multitenant.and_then(Node::as_bool).unwrap_or(false);
        let sa = spec.tenant_default_service_account().unwrap_or("default").to_string();
        let watcher = components.contains(&"source-watcher");
        let extra = move |c: &str| -> Vec<String> {
            // controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/profiles.go (the
            // multitenant profile): --no-cross-namespace-refs on every controller but
            // source-controller, --no-remote-bases on kustomize-controller,
            // --default-service-account on kustomize- and helm-controller.
            let mut a = Vec::new();
            // internal/builder/components.go: with source-watcher among the components, the
            // ExternalArtifact gate is switched on in kustomize- and helm-controller.
            if watcher && matches!(c, "kustomize-controller" | "helm-controller") {
                a.push("--feature-gates=ExternalArtifact=true".to_string());
            }
            if !on {
                return a;
            }
            if c != "source-controller" {
                a.push("--no-cross-namespace-refs=true".to_string());
            }
            if c == "kustomize-controller" {
                a.push("--no-remote-bases=true".to_string());
            }
            if matches!(c, "kustomize-controller" | "helm-controller") {
                a.push(format!("--default-service-account={sa}"));
            }
            a
        };
        let span = multitenant.map_or(entry.span, |n| n.span);
        seeds.extend(bootstrap::component_objects(&components, &extra, span));
        if let Some(v) = spec.version() {
            version = FluxVersion { value: v.to_string(), from: VersionFrom::FluxInstance };
        }
        lockdown_known = true;
        let patches = spec.kustomize_patches().cloned();
        let mut root = Node::map(entry.span);
        if let (Some(p), NodeKind::Map(entries)) = (patches, &mut root.kind) {
            entries.push(Entry { key: Node::string("patches", p.span), value: p });
        }
        base = Some(root);
    } else {
        if real_sync.is_none() {
            // Only without a `flux-system` directory: one (placeholders included) is where
            // `flux bootstrap` writes its GitRepository `flux-system`. A source the user maps
            // (`--source`) is built from its mapping, as before.
            let source = if view.is_dir(&fs) { None } else { outside_root_source(view, &entry.dir) }
                .filter(|(k, n)| !trees.mappings.iter().any(|m| m.matches(k, "flux-system", n, None, None)));
            let source = source.as_ref().map_or(("GitRepository", "flux-system"), |(k, n)| (k.as_str(), n.as_str()));
            let path = synthesized_root_path(view, entry, &fs);
            seeds.extend(bootstrap::sync_objects(source, path, "", None, stand_in(sync_file)));
        }
        match real_components {
            None => seeds.extend(bootstrap::component_objects(
                DEFAULT_COMPONENTS,
                &|_| Vec::new(),
                stand_in(components_file),
            )),
            // A components file trimmed to its header (test fixtures, vendored excerpts): the
            // header names the controllers the real file deploys.
            Some(f) if !has_controller_deployments(f) => {
                let text = &trees.db.get(f.id).text;
                let listed = bootstrap::components_from_header(text);
                let names: Vec<&str> = listed
                    .as_ref()
                    .map_or_else(|| DEFAULT_COMPONENTS.to_vec(), |l| l.iter().map(String::as_str).collect());
                seeds.extend(bootstrap::deployment_objects(&names, Span::empty(f.id, 0)));
            }
            Some(_) => {}
        }
    }
    // `repo.yaml`/`sync.yaml` written by hand define what `gotk-sync.yaml` would.
    seeds.retain(|seed| !defined_in(view, &fs, seed));
    let seed_spans: Vec<Span> = seeds.iter().map(|s| s.span).collect();
    let (resources, issues) = match base {
        Some(mut root) => {
            // The placeholders stand for the seeds.
            if let NodeKind::Map(entries) = &mut root.kind {
                for e in entries.iter_mut().filter(|e| e.key.as_str() == Some("resources")) {
                    if let NodeKind::Seq(items) = &mut e.value.kind {
                        items.retain(|i| {
                            let name = i.as_str().unwrap_or("");
                            let is_placeholder_entry = (name == "gotk-sync.yaml" && real_sync.is_none())
                                || (name == "gotk-components.yaml" && real_components.is_none());
                            !is_placeholder_entry
                        });
                    }
                }
            }
            let dir = if entry.instance.is_some() && kfile.is_none() { entry.dir.clone() } else { fs.clone() };
            let k = Kustomization { dir, root, file: kfile };
            let out = resolver.build_kustomization_with(&k, seeds);
            trees.record_flux_build(0, &out);
            (out.resources.into_iter().map(|r| r.root).collect::<Vec<_>>(), out.issues)
        }
        None => {
            let mut roots = seeds;
            for f in [real_components, real_sync].into_iter().flatten() {
                roots.extend(f.yaml.documents.iter().map(|d| d.root.clone()));
            }
            (roots, Vec::new())
        }
    };
    let objects: Vec<RenderedObject> = resources
        .into_iter()
        .map(|r| {
            let s = seed_spans.contains(&r.span);
            rendered(r, s)
        })
        .collect();
    if version.from == VersionFrom::Assumed
        && let Some(v) = bootstrap::version_from_install_source(objects.iter().map(|o| &o.root)).or_else(|| {
            bootstrap::version_from_component_labels(
                real_components.iter().flat_map(|f| f.yaml.documents.iter().map(|d| &d.root)),
            )
        })
    {
        version = FluxVersion { value: v, from: VersionFrom::GotkComponents };
    }
    let root_source = root_source(&objects, &entry.dir, entry.source_root.as_deref());
    let _ = KUSTOMIZATION_FILE_NAMES;
    Bootstrap { objects, issues, version, lockdown_known, root_source }
}

/// The namespace of the FluxInstance of `entry`: the FluxInstance's own, when written; for one in
/// a flux-instance HelmRelease (created in the release namespace, often set by a parent's
/// `targetNamespace` that discovery does not see) the namespace `ns` for which the Kustomizations
/// at the top of the sync directory read `sync.kind` `ns/<sync.name or ns>`, the name the
/// operator gives its sync source, when that pair is unique. Else `flux-system`.
fn instance_namespace(
    view: &crate::artifact::TreeView<'_>,
    entry: &EntryPoint,
    sync_kind: &str,
    sync_name: Option<&str>,
) -> String {
    if let crate::model::FoundReason::FluxInstance { carrier } = &entry.found_by.reason {
        let mut parts = carrier.splitn(3, '/');
        if let (Some("FluxInstance"), Some(ns)) = (parts.next(), parts.next())
            && !ns.is_empty()
        {
            return ns.to_string();
        }
    }
    let dir = entry.dir.as_str();
    let direct = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d) == dir;
    let mut pairs: Vec<String> = Vec::new();
    for (_, f) in view.files().filter(|(p, f)| f.ignored.is_none() && direct(p)) {
        for d in &f.yaml.documents {
            let Some(k) = crate::flux::FluxObject::new(&d.root).filter(|k| k.kind() == FluxKind::Kustomization) else {
                continue;
            };
            let Some(sref) = k.source_ref() else { continue };
            let own = ObjectView::new(&d.root).and_then(|v| v.namespace()).unwrap_or("flux-system");
            let ns = sref.get("namespace").and_then(Node::as_str).unwrap_or(own);
            if sref.kind_or("GitRepository") == sync_kind && sref.name() == sync_name.unwrap_or(ns) {
                let ns = ns.to_string();
                if !pairs.contains(&ns) {
                    pairs.push(ns);
                }
            }
        }
    }
    match pairs.as_slice() {
        [ns] => ns.clone(),
        _ => "flux-system".to_string(),
    }
}

/// The path of a synthesized root Kustomization (the root is created outside Git, so Git does
/// not say it): the cluster directory, as `flux bootstrap` writes it, unless building that
/// directory would apply twice what a Kustomization of its own `flux-system/` applies: the
/// directory has no kustomization file, so kustomize-controller's generated kustomization
/// recurses into every subdirectory (fluxcd/pkg@e2cfd1a2 kustomize/kustomize_generator.go
/// `generateKustomization`), and a Kustomization in `flux-system/` has its `spec.path` in one
/// of them. A root that duplicated its own children would be the first thing its author saw
/// fail; the root that applies `flux-system/` alone (`kubectl apply -k <dir>/flux-system`,
/// `flux create kustomization --path=<dir>/flux-system`) does not.
fn synthesized_root_path<'e>(view: &crate::artifact::TreeView<'_>, entry: &'e EntryPoint, fs: &'e str) -> &'e str {
    let dir = entry.dir.as_str();
    if entry.source_root.is_some() || view.kustomization_file(dir).is_some() || view.kustomization_file(fs).is_none() {
        return dir;
    }
    let in_fs = |p: &str| p.rsplit_once('/').is_some_and(|(d, _)| d == fs);
    let below = |p: &str, d: &str| d.is_empty() || p.starts_with(&format!("{d}/"));
    let overlaps = view.files().filter(|(p, f)| f.ignored.is_none() && in_fs(p)).any(|(_, f)| {
        f.yaml.documents.iter().any(|d| {
            crate::flux::FluxObject::new(&d.root)
                .filter(|k| k.kind() == FluxKind::Kustomization)
                .and_then(|k| k.path().and_then(|p| p.as_str().map(|s| clamp_flux_path(s).0)))
                .is_some_and(|p| p != dir && below(&p, dir) && p != fs && !below(&p, fs))
        })
    });
    if overlaps { fs } else { dir }
}

/// The source a synthesized root reads, when the Kustomizations at the top of its directory
/// read one other than `flux-system`. The root of a cluster without a `flux-system` directory
/// (the `clusters/*` convention, a configured glob) is applied outside Git, and so is its source: kustomize-controller
/// builds the root's path from the root's source, and the Kustomizations that path renders
/// read that same repository under the name it was created with (`flux create source git
/// <name>` + `flux create kustomization --source=<name> --path=./clusters/<c>`, as a README
/// tells the admin). It is the single GitRepository or OCIRepository in `flux-system` that the
/// Flux Kustomizations in the directory's own files name and no file of the tree defines.
fn outside_root_source(view: &crate::artifact::TreeView<'_>, dir: &str) -> Option<(String, String)> {
    let direct = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d) == dir;
    let mut named: Vec<(String, String)> = Vec::new();
    for (_, f) in view.files().filter(|(p, f)| f.ignored.is_none() && direct(p)) {
        for d in &f.yaml.documents {
            let Some(k) = crate::flux::FluxObject::new(&d.root).filter(|k| k.kind() == FluxKind::Kustomization) else {
                continue;
            };
            let Some(sref) = k.source_ref() else { continue };
            let kind = sref.kind_or("GitRepository");
            let ns = ObjectView::new(&d.root).and_then(|v| v.namespace()).unwrap_or("flux-system");
            let sns = sref.get("namespace").and_then(Node::as_str).unwrap_or(ns);
            let Some(name) = sref.get("name").and_then(Node::as_str) else { continue };
            if sns != "flux-system" || !matches!(kind, "GitRepository" | "OCIRepository") || name.contains("${") {
                continue;
            }
            let key = (kind.to_string(), name.to_string());
            if !named.contains(&key) {
                named.push(key);
            }
        }
    }
    let defined = |kind: &str, name: &str| {
        view.files().any(|(_, f)| {
            f.yaml.documents.iter().any(|d| {
                ObjectView::new(&d.root).is_some_and(|v| {
                    v.kind() == kind
                        && v.name() == Some(name)
                        && v.namespace().unwrap_or("flux-system") == "flux-system"
                })
            })
        })
    };
    named.retain(|(k, n)| !defined(k, n));
    match named.as_slice() {
        [(k, n)] if (k.as_str(), n.as_str()) != ("GitRepository", "flux-system") => Some((k.clone(), n.clone())),
        _ => None,
    }
}

fn has_controller_deployments(f: &fleetlint_yaml::LoadedFile) -> bool {
    f.yaml.documents.iter().any(|d| {
        d.root.get("kind").and_then(Node::as_str) == Some("Deployment")
            && d.root
                .get_path(&["metadata", "name"])
                .and_then(Node::as_str)
                .is_some_and(|n| Controller::from_name(n).is_some())
    })
}

/// The bootstrap source: the source of the root Kustomization (`flux-system`, or the one whose
/// path is the cluster directory).
fn root_source(objects: &[RenderedObject], dir: &str, source_root: Option<&str>) -> Option<RootSource> {
    let prefix = source_root.unwrap_or("").to_string();
    let rel =
        if prefix.is_empty() { dir } else { dir.strip_prefix(&prefix).map_or(dir, |d| d.trim_start_matches('/')) };
    let kustomizations =
        || objects.iter().filter_map(RenderedObject::flux).filter(|k| k.kind() == FluxKind::Kustomization);
    let root = kustomizations()
        .find(|k| k.path().and_then(|p| p.as_str()).is_some_and(|p| clamp_flux_path(p).0 == rel))
        .or_else(|| kustomizations().find(|k| ObjectView::new(k.root).and_then(|v| v.name()) == Some("flux-system")))?;
    let sref = root.source_ref()?;
    let name = sref.get("name").and_then(Node::as_str)?.to_string();
    let ns = sref.namespace.to_string();
    let kind = sref.kind_or("GitRepository").to_string();
    let src = objects
        .iter()
        .find(|o| o.kind() == kind && o.name() == name && o.namespace() == ns)
        .and_then(RenderedObject::flux);
    let url = src.and_then(|s| s.url()).map(normalize_url).unwrap_or_default();
    let reference = src.and_then(|s| s.ref_value()).map(str::to_string);
    Some(RootSource { kind, id: (ns, name), url, reference, prefix })
}
