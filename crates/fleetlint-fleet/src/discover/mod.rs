//! Cluster roots, found the way Flux works (docs/flux-semantics.md#entry-points).
//!
//! Every Flux root is a *self-managing* Kustomization: `flux bootstrap` commits a
//! `gotk-sync.yaml` whose Kustomization `flux-system` has `spec.path` = the directory that holds
//! it, so the build of that directory renders the Kustomization that builds it
//! (fluxcd/flux2@v2.6.0 `pkg/manifestgen/sync/sync.go` `Generate`; kustomize-controller applies
//! what the build renders, itself included). A directory D is therefore a root when D's build
//! renders a Flux Kustomization whose `spec.path` (after D's own patches and that
//! Kustomization's own `postBuild.substitute`) is D and no other cluster's graph builds D. The
//! candidates come from an index of the Flux Kustomization documents (and inline patches of
//! `spec.path`) in the tree, so only directories some Kustomization names are built.
//!
//! Besides those: `flux-system` directories with `flux bootstrap`'s files (placeholders
//! included, whose objects are synthesized), FluxInstances (also inside a `flux-instance`
//! HelmRelease's values, whose generated root is synthesized), the configuration's globs, and
//! the `clusters/*` convention only when nothing else finds a root.
//!
//! The candidates for self-managing roots and their builds are in `candidates`; where a source's
//! artifact sits in the tree in `source_root`; the configuration's globs and the `clusters/*`
//! convention in `select`; cluster names in `names`.

use std::collections::BTreeMap;

use rayon::prelude::*;

use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{Node, ObjectView, Span};

use crate::artifact::TreeView;
use crate::bootstrap::is_placeholder;
use crate::flux::{FluxObject, InstanceSpec};
use crate::model::{EntryKind, FleetIssue, FoundBy, FoundReason, RejectReason, Rejected};
use crate::walk::Trees;

mod candidates;
mod instance_values;
mod names;
mod select;
mod source_root;

use candidates::{
    Mention, applied_by_hand, artifact_candidates, candidate_index, renders_root, root_in_build, self_root,
};
pub(crate) use names::cluster_names;
use select::{convention, select};
use source_root::{ambiguous, mapped_source_root, source_root_for};

/// A cluster entry point.
#[derive(Clone, Debug)]
pub(crate) struct EntryPoint {
    /// The cluster directory (tree-relative): the root Kustomization's path.
    pub dir: String,
    /// How it was found.
    pub kind: EntryKind,
    /// The entry file.
    pub span: Span,
    /// The `flux-system` directory, when there is one.
    pub flux_system: Option<String>,
    /// The FluxInstance spec (or the `instance` values of a flux-instance HelmRelease).
    pub instance: Option<Node>,
    /// For a self-managed root: the root as the directory's build renders it.
    pub self_root: Option<SelfRoot>,
    /// What made it a root.
    pub found_by: FoundBy,
    /// The directory the root source's paths resolve against, when not the checked root.
    pub source_root: Option<String>,
}

/// The root Kustomization of a self-managed cluster, as its own directory's build renders it.
#[derive(Clone, Debug)]
pub(crate) struct SelfRoot {
    /// The root Kustomization.
    pub kustomization: Node,
    /// Its source, when the build renders it too.
    pub source: Option<Node>,
    /// The source's `(kind, namespace, name)`.
    pub source_id: (String, String, String),
    /// Whether the build renders Flux controller Deployments (so what they run with is known).
    pub has_controllers: bool,
    /// The Flux version the header of their components file states.
    pub version: Option<String>,
}

/// What discovery decided.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    /// The roots, by directory.
    pub entries: Vec<EntryPoint>,
    /// Candidates not taken.
    pub rejected: Vec<Rejected>,
    /// What belongs to no cluster (an ambiguous source root), for the rules to report.
    pub issues: Vec<FleetIssue>,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_span(view: &TreeView<'_>, path: &str) -> Option<Span> {
    view.file(path).map(|f| Span::empty(f.id, 0))
}

fn is_below(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

fn ks_id(root: &Node) -> String {
    let v = ObjectView::new(root);
    format!("{}/{}", v.and_then(|v| v.namespace()).unwrap_or("flux-system"), v.and_then(|v| v.name()).unwrap_or(""))
}

fn is_flux_kustomization(root: &Node) -> bool {
    ObjectView::new(root).is_some_and(|v| v.kind() == "Kustomization" && v.group() == "kustomize.toolkit.fluxcd.io")
}

/// Find the roots of the checked tree. `globs` (from `--clusters` or the config) select which.
#[must_use]
pub(crate) fn discover(trees: &Trees<'_>, globs: &[String]) -> Discovery {
    let view = &trees.views[0];
    let mut found: BTreeMap<String, EntryPoint> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut issues = Vec::new();
    // Bootstrap leftovers: roots only while nothing else is one (then rejected for this reason).
    let mut weak: BTreeMap<String, RejectReason> = BTreeMap::new();
    // Only what the root source's artifact holds can be a cluster path.
    let mut paths: Vec<&str> = view.files().filter(|(_, f)| f.ignored.is_none()).map(|(p, _)| p).collect();
    paths.sort_unstable();

    // Bootstrap directories.
    for path in &paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !matches!(name, "gotk-sync.yaml" | "gotk-components.yaml") {
            continue;
        }
        let fs = parent(path);
        if fs.rsplit('/').next() != Some("flux-system") && fs != "flux-system" {
            continue;
        }
        let dir = parent(fs).to_string();
        if found.contains_key(&dir) || rejected.iter().any(|r: &Rejected| r.path == dir) {
            continue;
        }
        let sync_path = join_in_root(fs, "gotk-sync.yaml").unwrap_or_default();
        let sync = view.file(&sync_path);
        let real_sync = sync.is_some_and(|f| !is_placeholder(&f.yaml.documents));
        let span = file_span(view, &sync_path).or_else(|| file_span(view, path)).unwrap_or_default();
        let (kind, reason) = if real_sync {
            (EntryKind::GotkSync, FoundReason::GotkSync)
        } else {
            (EntryKind::Synthesized, FoundReason::BootstrapPlaceholder)
        };
        let mut entry = entry(dir.clone(), kind, span, reason);
        entry.flux_system = Some(fs.to_string());
        if real_sync {
            // The committed root may sit in a repository kept in a subdirectory (its URL ends in
            // that directory's name) or in an artifact pushed from one.
            let root_ks =
                sync.into_iter().flat_map(|f| &f.yaml.documents).map(|d| &d.root).find(|r| is_flux_kustomization(r));
            // The repository kept in a subdirectory is named like it: a GitRepository's artifact
            // is the whole repository at its URL, so a `gotk-sync.yaml` below a directory named
            // otherwise (an `archive/` of an old layout) builds the checked repository's path.
            let url_repo = sync
                .into_iter()
                .flat_map(|f| &f.yaml.documents)
                .filter_map(|d| FluxObject::new(&d.root))
                .find_map(|s| s.url())
                .map(crate::sources::normalize_url)
                .and_then(|u| u.rsplit('/').next().map(str::to_string));
            if let Some(k) = root_ks.and_then(FluxObject::new) {
                let p = clamp_flux_path(k.path_str()).0;
                let kept_in = |r: &str| url_repo.as_deref().is_none_or(|u| r.rsplit('/').next() == Some(u));
                if p != dir && dir.ends_with(&format!("/{p}")) && kept_in(&dir[..dir.len() - p.len() - 1]) {
                    entry.source_root = Some(dir[..dir.len() - p.len() - 1].to_string());
                } else if p != dir && !crate::substitute::has_reference(k.path_str()) {
                    // A bootstrap template copied per cluster: its root builds another directory.
                    rejected.push(Rejected {
                        path: dir.clone(),
                        reason: RejectReason::SyncPathElsewhere { path: k.path_str().to_string() },
                    });
                    continue;
                } else if p == dir && view.kustomization_file(&dir).is_some() {
                    // `flux bootstrap` writes `<path>/flux-system/gotk-sync.yaml` and generates
                    // a kustomization.yaml only in `<path>/flux-system`
                    // (fluxcd/flux2@da2d22d3:pkg/bootstrap/bootstrap_plain_git.go
                    // `ReconcileSyncConfig`, `kustomization.Generate` with
                    // `TargetPath: filepath.Dir(manifests.Path)`); `<path>` without a
                    // kustomization.yaml is generated by kustomize-controller and includes
                    // `flux-system/`. A kustomization.yaml written at `<path>` that does not reach
                    // `flux-system/` means the root does not render itself: a bootstrap left
                    // behind when the fleet moved on (a root only while nothing else is one).
                    let id = root_ks.map(ks_id).unwrap_or_default();
                    if !renders_root(trees, &dir, &id) {
                        weak.insert(dir.clone(), RejectReason::StaleBootstrap { kustomization: id });
                    }
                }
            }
        } else if sync.is_none() && view.kustomization_file(fs).is_none() {
            // Only `gotk-components.yaml` (Flux's components, applied by hand with
            // `kubectl apply -f`): nothing here defines a root.
            weak.insert(dir.clone(), RejectReason::ComponentsOnly);
        }
        found.insert(dir, entry);
    }

    // FluxInstances (those without `spec.sync` are reported as rejected only where nothing else
    // finds a root).
    let mut no_sync: Vec<Rejected> = Vec::new();
    for path in &paths {
        let Some(file) = view.file(path) else { continue };
        for doc in &file.yaml.documents {
            let Some(spec) = InstanceSpec::of(&doc.root) else { continue };
            let mut source_root = None;
            let dir = match spec.sync_path() {
                Some(p) => {
                    let p = clamp_flux_path(p).0;
                    match mapped_source_root(trees, &spec, &p)
                        .map_or_else(|| source_root_for(view, &p, spec.sync_url()), |r| Ok(Some(r)))
                    {
                        Ok(Some(r)) => {
                            let d = join_in_root(&r, &p).unwrap_or_default();
                            source_root = Some(r);
                            d
                        }
                        Ok(None) => p,
                        Err(candidates) => {
                            let at = spec.0.get_path(&["sync", "path"]).map_or(doc.root.span, |n| n.span);
                            ambiguous(&p, &candidates, at, &mut rejected, &mut issues);
                            continue;
                        }
                    }
                }
                None => {
                    // Without `spec.sync` the operator generates no source and no Kustomization
                    // (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/build.go
                    // `if options.Sync != nil` around the sync manifests; api/v1
                    // fluxinstance_types.go `Sync *Sync json:"sync,omitempty"`): the instance
                    // installs Flux, but nothing builds its directory. Not a root.
                    let d = parent(path);
                    let d = if d.ends_with("flux-system") { parent(d) } else { d };
                    let carrier = ObjectView::new(&doc.root)
                        .map(|v| format!("{}/{}/{}", v.kind(), v.namespace().unwrap_or(""), v.name().unwrap_or("")))
                        .unwrap_or_default();
                    no_sync
                        .push(Rejected { path: d.to_string(), reason: RejectReason::InstanceWithoutSync { carrier } });
                    continue;
                }
            };
            if found.contains_key(&dir) || !view.is_dir(&dir) {
                continue;
            }
            let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
            let carrier = ObjectView::new(&doc.root)
                .map(|v| format!("{}/{}/{}", v.kind(), v.namespace().unwrap_or(""), v.name().unwrap_or("")))
                .unwrap_or_default();
            let mut e =
                entry(dir.clone(), EntryKind::FluxInstance, doc.root.span, FoundReason::FluxInstance { carrier });
            e.flux_system = view.is_dir(&fs).then_some(fs);
            e.instance = Some(spec.0.clone());
            e.source_root = source_root;
            found.insert(dir, e);
        }
    }

    // FluxInstances in the values a flux-instance HelmRelease takes from generated ConfigMaps
    // (directly or inside a ResourceSet).
    for vi in instance_values::instances(trees, view, &paths) {
        let Some(p) = InstanceSpec(&vi.spec).sync_path().map(|p| clamp_flux_path(p).0) else { continue };
        let spec = InstanceSpec(&vi.spec);
        let found_root = mapped_source_root(trees, &spec, &p)
            .map_or_else(|| source_root_for(view, &p, spec.sync_url()), |r| Ok(Some(r)));
        let (dir, source_root) = match found_root {
            Ok(Some(r)) => (join_in_root(&r, &p).unwrap_or_default(), Some(r)),
            Ok(None) => (p, None),
            Err(candidates) => {
                let at = vi.spec.get_path(&["sync", "path"]).map_or(vi.span, |n| n.span);
                ambiguous(&p, &candidates, at, &mut rejected, &mut issues);
                continue;
            }
        };
        if found.contains_key(&dir) || !view.is_dir(&dir) {
            continue;
        }
        let fs = join_in_root(&dir, "flux-system").unwrap_or_default();
        let reason = FoundReason::FluxInstance { carrier: vi.carrier };
        let mut e = entry(dir.clone(), EntryKind::FluxInstance, vi.span, reason);
        e.flux_system = view.is_dir(&fs).then_some(fs);
        e.instance = Some(vi.spec);
        e.source_root = source_root;
        found.insert(dir, e);
    }

    // Self-managing roots.
    let (named, unresolved) = candidate_index(view, &paths);
    // Each candidate's build depends only on the tree, not on the other candidates or on what
    // was found so far, so they run in parallel; the results are taken in the candidates' order.
    // (On one thread these builds were a quarter of a 2,000-tenant check's CPU time, with the
    // other core idle: issue 13.)
    let todo: Vec<&String> =
        named.keys().filter(|dir| !found.get(*dir).is_some_and(|e| e.kind != EntryKind::Synthesized)).collect();
    let mut roots: Vec<Option<SelfRoot>> = todo.par_iter().map(|dir| self_root(trees, dir, None)).collect();
    let mut roots: BTreeMap<&String, Option<SelfRoot>> = todo.into_iter().zip(roots.drain(..)).collect();
    for (dir, mentions) in &named {
        let Some(root) = roots.remove(dir) else { continue };
        match root {
            Some(root) => {
                let span = root.kustomization.span;
                let source_defined = root.source.is_some();
                let (k, ns, n) = &root.source_id;
                let reason = FoundReason::SelfManaged {
                    kustomization: ks_id(&root.kustomization),
                    source: format!("{k}/{ns}/{n}"),
                    source_defined,
                };
                let mut e = entry(dir.clone(), EntryKind::SelfManaged, span, reason);
                e.flux_system = found.get(dir).and_then(|old| old.flux_system.clone());
                e.self_root = Some(root);
                found.insert(dir.clone(), e);
                weak.remove(dir);
            }
            None => {
                // Only a Kustomization that lives below the directory claims to manage it.
                // Only a root Kustomization (named flux-system, or in the directory's flux-system)
                // that lives below the directory claims to manage it.
                let claims = |m: &&Mention| {
                    is_below(&m.file, dir)
                        && (m.kustomization.ends_with("/flux-system")
                            || parent(&m.file) == join_in_root(dir, "flux-system").unwrap_or_default())
                };
                if let Some(m) = mentions.iter().find(claims) {
                    rejected.push(Rejected {
                        path: dir.clone(),
                        reason: RejectReason::NotSelfRendered { kustomization: m.kustomization.clone() },
                    });
                }
            }
        }
    }
    // Roots applied by hand from a directory above them.
    for (dir, from) in applied_by_hand(trees, &named, &found) {
        if rejected.iter().any(|r: &Rejected| r.path == dir || r.path == from) {
            continue;
        }
        let Some(root) = root_in_build(trees, &from, &dir, None, None).filter(|r| r.source.is_some()) else {
            continue;
        };
        let (k, ns, n) = &root.source_id;
        let reason = FoundReason::AppliedByHand {
            kustomization: ks_id(&root.kustomization),
            source: format!("{k}/{ns}/{n}"),
            from: from.clone(),
        };
        let mut e = entry(dir.clone(), EntryKind::SelfManaged, root.kustomization.span, reason);
        e.self_root = Some(root);
        found.insert(dir, e);
    }

    // Self-managing roots whose source is an artifact made of a directory of the tree.
    for (dir, artifact_root, id) in artifact_candidates(view, &paths) {
        if found.get(&dir).is_some_and(|e| e.kind != EntryKind::Synthesized) {
            continue;
        }
        let Some(root) = root_in_build(trees, &dir, &dir, Some(&artifact_root), Some(&id)) else { continue };
        let (k, ns, n) = &root.source_id;
        let reason = FoundReason::SelfManaged {
            kustomization: ks_id(&root.kustomization),
            source: format!("{k}/{ns}/{n}"),
            source_defined: root.source.is_some(),
        };
        let mut e = entry(dir.clone(), EntryKind::SelfManaged, root.kustomization.span, reason);
        e.flux_system = join_in_root(&dir, "flux-system");
        e.source_root = (!artifact_root.is_empty()).then_some(artifact_root);
        e.self_root = Some(root);
        weak.remove(&dir);
        found.insert(dir, e);
    }
    for (raw, m) in unresolved {
        if m.kustomization.ends_with("/flux-system") {
            rejected.push(Rejected {
                path: parent(&m.file).to_string(),
                reason: RejectReason::PathUnresolved { kustomization: m.kustomization, path: raw },
            });
        }
    }

    // A `flux-system` kustomization next to Flux Kustomizations (bootstrap files generated
    // elsewhere, as in template repos).
    for path in &paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        let fs = parent(path);
        if name != "kustomization.yaml" || fs.rsplit('/').next() != Some("flux-system") {
            continue;
        }
        let dir = parent(fs);
        let decided = rejected.iter().any(|r: &Rejected| r.path == dir);
        if decided || found.contains_key(dir) || found.keys().any(|d| is_below(d, dir)) {
            continue;
        }
        let has_flux_ks = paths
            .iter()
            .filter(|p| parent(p) == dir)
            .any(|p| view.file(p).is_some_and(|f| f.yaml.documents.iter().any(|d| is_flux_kustomization(&d.root))));
        if has_flux_ks {
            let span = file_span(view, path).unwrap_or_default();
            let mut e = entry(dir.to_string(), EntryKind::Synthesized, span, FoundReason::BootstrapPlaceholder);
            e.flux_system = Some(fs.to_string());
            found.insert(dir.to_string(), e);
        }
    }

    // Nothing but self-managing candidates, none of them under `clusters/`: the `clusters/*`
    // convention still applies (a conventional root that builds such a candidate makes it part
    // of its cluster). Self-managing roots under `clusters/` are the repository's own layout,
    // and their shared bases there are not clusters (issue 11 layout 6).
    let only_self_managed =
        found.iter().filter(|(d, _)| !weak.contains_key(*d)).all(|(_, e)| e.kind == EntryKind::SelfManaged);
    if globs.is_empty() && only_self_managed && !found.keys().any(|d| is_below(d, "clusters")) {
        convention(view, &paths, &mut found, &mut rejected);
    }

    // Bootstrap leftovers are roots only when nothing else is: never beside real roots. Except
    // a bootstrap root that does not render itself (`<path>/kustomization.yaml` leaves out
    // `flux-system/`) above every other root, all of them self-managing Kustomizations inside
    // its directory: `flux bootstrap` applied its sync objects straight to the cluster
    // (fluxcd/flux2@da2d22d3 pkg/bootstrap/bootstrap_plain_git.go `ReconcileSyncConfig` ->
    // `utils.Apply`), so it reconciles `<path>` whatever that lists, and the roots below are
    // Kustomizations its build renders (rejected as such once the clusters are built; round 3,
    // hmajid2301/k8s-gitops).
    if found.keys().any(|d| !weak.contains_key(d)) {
        let others: Vec<(String, EntryKind)> =
            found.iter().filter(|(d, _)| !weak.contains_key(*d)).map(|(d, e)| (d.clone(), e.kind)).collect();
        for (dir, reason) in weak {
            let above_all = matches!(reason, RejectReason::StaleBootstrap { .. })
                && others.iter().all(|(d, kind)| *kind == EntryKind::SelfManaged && is_below(d, &dir));
            if above_all {
                continue;
            }
            if found.remove(&dir).is_some() {
                rejected.push(Rejected { path: dir, reason });
            }
        }
    }

    // Never a synthesized root above real roots.
    let real: Vec<String> =
        found.values().filter(|e| e.kind != EntryKind::Synthesized).map(|e| e.dir.clone()).collect();
    found.retain(|dir, e| {
        if e.kind != EntryKind::Synthesized {
            return true;
        }
        let below: Vec<String> = real.iter().filter(|r| *r != dir && is_below(r, dir)).cloned().collect();
        if below.is_empty() {
            return true;
        }
        rejected.push(Rejected { path: dir.clone(), reason: RejectReason::RootsBelow { roots: below } });
        false
    });

    if !globs.is_empty() {
        select(view, &paths, globs, &mut found, &mut rejected);
    }
    rejected.extend(no_sync.into_iter().filter(|r| !found.contains_key(&r.path)));
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    rejected.dedup();
    Discovery { entries: found.into_values().collect(), rejected, issues }
}

fn entry(dir: String, kind: EntryKind, span: Span, reason: FoundReason) -> EntryPoint {
    EntryPoint {
        dir,
        kind,
        span,
        flux_system: None,
        instance: None,
        self_root: None,
        found_by: FoundBy { span, reason },
        source_root: None,
    }
}
