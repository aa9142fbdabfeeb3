//! What a cluster's root applies before the Flux graph is walked: the bootstrap objects (Flux's
//! components and root sync objects, read from Git or synthesized the way `flux bootstrap` and
//! flux-operator write them), the version they state, and where the root's source is.

use fleetlint_kustomize::{BuildIssue, KUSTOMIZATION_FILE_NAMES, Kustomization};
use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{Entry, FluxKind, Node, NodeKind, ObjectView, Span};

use crate::bootstrap::{self, DEFAULT_COMPONENTS, is_placeholder};
use crate::controllers::{Controller, flux_version_from_header};
use crate::discover::EntryPoint;
use crate::flux::InstanceSpec;
use crate::model::{FluxVersion, NEWEST_FLUX, RenderedObject, VersionFrom};
use crate::sources::normalize_url;
use crate::walk::{RootSource, Trees};

/// What a root applies before its graph is walked.
pub(crate) struct Bootstrap {
    pub(crate) objects: Vec<RenderedObject>,
    pub(crate) issues: Vec<BuildIssue>,
    pub(crate) version: FluxVersion,
    pub(crate) lockdown_known: bool,
    pub(crate) root_source: Option<RootSource>,
}

fn rendered(root: Node, synthesized: bool) -> RenderedObject {
    RenderedObject { synthesized, ..RenderedObject::new(root) }
}

/// A self-managed root: its Kustomization and source as its directory's build renders them (the
/// walk renders them again and they take that Kustomization as owner); the controllers are
/// synthesized, with lockdown unknown, only when that build deploys none.
pub(crate) fn self_managed_objects(entry: &EntryPoint, root: &crate::discover::SelfRoot) -> Bootstrap {
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

pub(crate) fn bootstrap_objects(trees: &Trees<'_>, entry: &EntryPoint) -> Bootstrap {
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
    // The span of a FluxInstance's `spec.kustomize.patches`, whose failures are not certain.
    let mut operator_patches: Option<Span> = None;
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
        operator_patches = patches.as_ref().map(|p| p.span);
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
            let issues = out.issues.into_iter().map(|i| operator_patch_issue(i, operator_patches)).collect();
            (out.resources.into_iter().map(|r| r.root).collect::<Vec<_>>(), issues)
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
/// Without a kustomization.yaml in the directory, kustomize-controller's generated one takes
/// the YAML files of its subdirectories too (fluxcd/pkg@e2cfd1a2 `kustomize/
/// kustomize_generator.go`, `scanManifests` walks the tree), so those count as its own
/// (heldout10, bsmelo/flux-ocp-gitops2022: `clusters/infrastructure/{flux,kyverno}/*.yaml` read
/// GitRepository `platform-team`, which the README creates by hand).
fn outside_root_source(view: &crate::artifact::TreeView<'_>, dir: &str) -> Option<(String, String)> {
    let generated = view.kustomization_file(dir).is_none();
    let own = |p: &str| {
        let parent = p.rsplit_once('/').map_or("", |(d, _)| d);
        parent == dir || (generated && (dir.is_empty() || parent.starts_with(&format!("{dir}/"))))
    };
    let mut named: Vec<(String, String)> = Vec::new();
    for (_, f) in view.files().filter(|(p, f)| f.ignored.is_none() && own(p)) {
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

/// A FluxInstance's own `kustomize.patches` that fail against the controller manifests
/// fleetlint synthesizes: flux-operator applies them to the distribution's manifests after its
/// own profile patches (cluster size, multitenancy, sharding, storage; controlplaneio-fluxcd/
/// flux-operator@17c6aea internal/builder/templates.go puts the user's patches last), which
/// fleetlint models only in part, so a JSON patch index into `args` may exist there. Whether it
/// applies is not known: SRC003 at info level (heldout5, yesid-lopez/homelab).
fn operator_patch_issue(issue: BuildIssue, patches: Option<Span>) -> BuildIssue {
    let within =
        patches.is_some_and(|p| p.file == issue.span.file && p.start <= issue.span.start && issue.span.end <= p.end);
    if !within || issue.kind != fleetlint_kustomize::BuildIssueKind::InputInvalid {
        return issue;
    }
    BuildIssue {
        kind: fleetlint_kustomize::BuildIssueKind::InputUnknown,
        message: format!(
            "{}; flux-operator applies this patch after its own profile patches to the distribution's manifests, which fleetlint models only in part, so whether it applies is not known",
            issue.message
        ),
        fatal: false,
        ..issue
    }
}
