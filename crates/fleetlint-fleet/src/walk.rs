//! Walking one cluster's Flux graph: the bootstrap objects, then every Flux Kustomization
//! rendered along the way, built from its source's tree (docs/flux-semantics.md#expansion). Objects rendered by a
//! Kustomization with `spec.kubeConfig` land in a remote cluster.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use fleetlint_kustomize::{BuildIssueKind, Resolver};
use fleetlint_yaml::relpath::clamp_flux_path;
use fleetlint_yaml::{FileDb, FluxKind, LoadedTree, Node, Span};

use crate::artifact::TreeView;
use crate::flux::FluxObject;
use crate::fluxbuild;
use crate::model::{
    Cluster, FleetIssue, FleetIssueKind, KustomizationNode, MissingPath, RenderedObject, SourceResolution, TreeIndex,
};
use crate::sources::{SourceMapping, normalize_url};

mod artifacts;
mod resourcesets;
mod substitution;
mod targets;

/// Everything shared by the walks of all clusters: the trees, their views and resolvers
/// (whose caches make a base used by many clusters resolve once), and the source mappings.
pub(crate) struct Trees<'t> {
    /// The trees: 0 is the checked root, `i + 1` the tree of `mappings[i]`.
    pub trees: &'t [LoadedTree],
    /// Their views.
    pub views: Vec<TreeView<'t>>,
    /// Their resolvers.
    pub resolvers: Vec<Resolver<'t>>,
    /// The source mappings, in tree order.
    pub mappings: &'t [SourceMapping],
    /// The files.
    pub db: &'t FileDb,
    /// Per tree, the kustomization directories the Flux builds of the fleet's clusters
    /// accumulated, and whether one of those builds succeeded. Recorded by the builds Flux
    /// runs ([`Trees::record_flux_build`]), not by discovery's probes, which share the
    /// resolvers (and their caches) but are not builds of any cluster.
    pub flux_entered: Vec<std::sync::Mutex<std::collections::HashMap<String, bool>>>,
}

impl<'t> Trees<'t> {
    /// Index `trees` for walking.
    #[must_use]
    pub(crate) fn new(db: &'t FileDb, trees: &'t [LoadedTree], mappings: &'t [SourceMapping]) -> Self {
        Self {
            trees,
            views: trees.iter().map(|t| TreeView::new(t, db)).collect(),
            resolvers: trees.iter().map(|t| Resolver::new(t, db)).collect(),
            mappings,
            db,
            flux_entered: trees.iter().map(|_| std::sync::Mutex::default()).collect(),
        }
    }

    /// Record that a cluster's Flux build of tree `t` produced `out`: the directories it
    /// accumulated are entered by Flux, successfully when the build does not fail.
    pub(crate) fn record_flux_build(&self, t: usize, out: &fleetlint_kustomize::BuildOutput) {
        let Some(entered) = self.flux_entered.get(t) else { return };
        let ok = !out.fails();
        let mut entered = entered.lock().expect("flux_entered lock");
        for dir in &out.entered {
            *entered.entry(dir.clone()).or_insert(ok) |= ok;
        }
    }
}

/// The root source of a cluster: the tree it is checked from, and the URL/ref of the bootstrap
/// GitRepository (another source with the same URL and ref is the same tree).
pub(crate) struct RootSource {
    /// The bootstrap source's kind.
    pub kind: String,
    /// Its `(namespace, name)`.
    pub id: (String, String),
    /// Normalised URL (empty when unknown).
    pub url: String,
    /// Its ref, as `key=value`.
    pub reference: Option<String>,
    /// The directory of the checked tree the source's artifact is made of (empty: the root).
    pub prefix: String,
}

/// The walk of one cluster (plus the remote clusters it applies to).
pub(crate) struct ClusterWalk<'w, 't> {
    trees: &'w Trees<'t>,
    /// The cluster being built; remote clusters are collected in `remotes`.
    pub cluster: Cluster,
    /// Remote clusters by `namespace/secret`.
    pub remotes: BTreeMap<String, Cluster>,
    root_source: Option<RootSource>,
    seen: HashMap<String, usize>,
    strict: bool,
    /// Every (tree, path) built, interned, and the Kustomizations that built it: a path cycle is
    /// a Kustomization building what one of its ancestors builds, so only a path built before
    /// needs the (linear) ancestor walk.
    built_ids: HashMap<(TreeIndex, String), u32>,
    builders: HashMap<u32, Vec<usize>>,
    built_path_of: HashMap<usize, String>,
    /// Kustomizations already told that nothing will be substituted.
    verbatim_noted: HashSet<usize>,
    /// Views of trees as sources with their own `spec.ignore` or `spec.sparseCheckout` see them.
    source_views: HashMap<(TreeIndex, String, Vec<String>), std::rc::Rc<TreeView<'t>>>,
    /// ResourceSets (object indices) added and not expanded yet.
    rset_pending: Vec<usize>,
    /// ResourceSets that read providers, with the providers of their namespace when they were
    /// last expanded.
    rset_providers: BTreeMap<usize, std::collections::BTreeSet<usize>>,
    /// What each ArtifactGenerator (object index) generates, computed on first use.
    generated: HashMap<usize, std::rc::Rc<artifacts::Generated>>,
    /// The artifacts loaded as trees, by (generator, artifact), shared by their consumers.
    scratches: HashMap<(usize, usize), Result<std::rc::Rc<artifacts::Scratch>, String>>,
    /// ArtifactGenerators among the first `.0` objects.
    generators: (usize, Vec<usize>),
}

/// One unit of work: a Flux Kustomization (object index), and whether its `substituteFrom` was
/// already deferred once.
struct Job {
    object: usize,
    deferred: bool,
}

impl<'w, 't> ClusterWalk<'w, 't> {
    /// Start a walk of `cluster` whose bootstrap objects are already in `cluster.objects`.
    pub(crate) fn new(trees: &'w Trees<'t>, cluster: Cluster, root_source: Option<RootSource>) -> Self {
        let strict = substitution::strict_substitution(&cluster);
        let seen = cluster.objects.iter().enumerate().map(|(i, o)| (o.id(), i)).collect();
        Self {
            trees,
            cluster,
            remotes: BTreeMap::new(),
            root_source,
            seen,
            strict,
            built_ids: HashMap::new(),
            builders: HashMap::new(),
            built_path_of: HashMap::new(),
            source_views: HashMap::new(),
            verbatim_noted: HashSet::new(),
            rset_pending: Vec::new(),
            rset_providers: BTreeMap::new(),
            generated: HashMap::new(),
            scratches: HashMap::new(),
            generators: (0, Vec::new()),
        }
    }

    /// Follow every Flux Kustomization among the current objects, breadth first; then render
    /// the ResourceSets reached and follow the Kustomizations they render, until nothing new
    /// appears.
    pub(crate) fn run(&mut self) {
        let mut queue: VecDeque<Job> = self
            .cluster
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.flux_kind() == Some(FluxKind::Kustomization))
            .map(|(i, _)| Job { object: i, deferred: false })
            .collect();
        self.rset_pending = (0..self.cluster.objects.len())
            .filter(|&i| self.cluster.objects[i].flux_kind() == Some(FluxKind::ResourceSet))
            .collect();
        let mut done: HashSet<usize> = HashSet::new();
        for _ in 0..=resourcesets::MAX_ROUNDS {
            while let Some(job) = queue.pop_front() {
                if done.contains(&job.object) {
                    continue;
                }
                match self.follow(&job) {
                    Followed::Deferred => queue.push_back(Job { deferred: true, ..job }),
                    Followed::Done(children) => {
                        done.insert(job.object);
                        for c in children {
                            queue.push_back(Job { object: c, deferred: false });
                        }
                    }
                }
            }
            let rendered = self.expand_resource_sets();
            if rendered.is_empty() {
                break;
            }
            queue.extend(rendered.into_iter().map(|object| Job { object, deferred: false }));
        }
        // Indexed by object for `Cluster::kustomization_of`.
        self.cluster.kustomizations.sort_by_key(|k| k.object);
    }

    fn resolve_source(&mut self, ks: usize) -> (SourceResolution, Option<usize>) {
        let obj = &self.cluster.objects[ks];
        let own_ns = obj.namespace().to_string();
        let sref = obj.flux().and_then(|k| k.source_ref());
        let kind = sref.map_or("GitRepository", |r| r.kind_or("GitRepository")).to_string();
        let name = sref.map_or("", |r| r.name()).to_string();
        let ns = sref.map_or(own_ns, |r| r.namespace.to_string());
        self.resolve_ref(&kind, &ns, &name)
    }

    /// The tree a source object reads: a mapping (by object or URL/ref), the checked tree (the
    /// bootstrap source, or a GitRepository with its URL and ref), else unmapped or missing.
    fn resolve_ref(&self, kind: &str, ns: &str, name: &str) -> (SourceResolution, Option<usize>) {
        let source = self.lookup(kind, ns, name);
        let (url, reference) = source
            .and_then(|i| self.cluster.objects[i].flux())
            .map_or((None, None), |src| (src.url().map(str::to_string), src.ref_value().map(str::to_string)));
        let mapped = self
            .trees
            .mappings
            .iter()
            .position(|m| m.matches(kind, ns, name, url.as_deref(), reference.as_deref()))
            .map(|i| i + 1);
        if let Some(t) = mapped {
            return (SourceResolution::Tree(t), source);
        }
        if self.is_root_source(kind, ns, name, url.as_deref(), reference.as_deref()) {
            return (SourceResolution::Tree(0), source);
        }
        match source {
            Some(_) => (SourceResolution::Unmapped, source),
            // An ExternalArtifact is never written in Git: source-watcher's ArtifactGenerator (or
            // another controller) creates it, so what it holds is unknown here. The build is
            // opaque (an info), never silently empty and never a missing source.
            None if kind == "ExternalArtifact" => (SourceResolution::Unmapped, None),
            None => (SourceResolution::Missing, None),
        }
    }

    /// Whether a source is the cluster's root source (the object itself, or a GitRepository with
    /// its URL and ref): read from the checked tree, below its prefix.
    fn is_root_source(&self, kind: &str, ns: &str, name: &str, url: Option<&str>, reference: Option<&str>) -> bool {
        let Some(rs) = &self.root_source else { return false };
        let same_object = rs.id == (ns.to_string(), name.to_string()) && kind == rs.kind;
        let same_url = kind == "GitRepository"
            && !rs.url.is_empty()
            && url.is_some_and(|u| normalize_url(u) == rs.url)
            && reference.map(str::to_string) == rs.reference;
        same_object || same_url
    }

    /// The directory of the checked tree that the root source's artifact is made of, when the
    /// Kustomization `ks` reads the root source and that is not the tree's root.
    fn root_prefix(&self, ks: usize) -> Option<String> {
        let rs = self.root_source.as_ref().filter(|rs| !rs.prefix.is_empty())?;
        let obj = &self.cluster.objects[ks];
        let sref = obj.flux().and_then(|k| k.source_ref());
        let kind = sref.map_or("GitRepository", |r| r.kind_or("GitRepository"));
        let name = sref.map_or("", |r| r.name());
        let ns = sref.map_or(obj.namespace(), |r| r.namespace);
        let source = self.lookup(kind, ns, name).and_then(|i| self.cluster.objects[i].flux());
        let mapped = self
            .trees
            .mappings
            .iter()
            .any(|m| m.matches(kind, ns, name, source.and_then(|s| s.url()), source.and_then(|s| s.ref_value())));
        (!mapped
            && self.is_root_source(kind, ns, name, source.and_then(|s| s.url()), source.and_then(|s| s.ref_value())))
        .then(|| rs.prefix.clone())
    }

    /// The view of tree `t` as source object `source` sees it, when it differs from the tree's
    /// own view: a source with its own `spec.ignore` or `spec.sparseCheckout`, or a Bucket.
    fn source_view(&mut self, t: TreeIndex, source: Option<usize>) -> Option<std::rc::Rc<TreeView<'t>>> {
        let trees = self.trees;
        let src = source.and_then(|i| self.cluster.objects[i].flux());
        let spec_ignore = src.as_ref().and_then(|s| s.ignore()).map(str::to_string);
        let sparse: Option<Vec<String>> =
            src.as_ref().and_then(|s| s.sparse_checkout()).map(|dirs| dirs.into_iter().map(str::to_string).collect());
        let bucket = source.is_some_and(|i| self.cluster.objects[i].kind() == "Bucket");
        if spec_ignore.is_none() && sparse.is_none() && !bucket {
            return None;
        }
        let mut key = (t, spec_ignore.clone().unwrap_or_default(), sparse.clone().unwrap_or_default());
        if bucket {
            key.2 = vec!["\0bucket".to_string()];
        }
        let view = self.source_views.entry(key).or_insert_with(|| {
            let tree = &trees.trees[t];
            std::rc::Rc::new(if bucket {
                TreeView::for_bucket(tree, trees.db, spec_ignore.as_deref())
            } else {
                TreeView::for_source(tree, trees.db, spec_ignore.as_deref(), sparse.as_deref())
            })
        });
        Some(view.clone())
    }

    /// A path under a GitRepository's `spec.include[].toPath` is another repository's
    /// `fromPath`: the (tree, path) to build instead, when that repository maps to a local tree.
    fn included(&self, source: usize, path: &str) -> Option<(TreeIndex, String)> {
        let src = self.cluster.objects[source].flux()?;
        let ns = src.namespace();
        for inc in src.includes() {
            let to = clamp_flux_path(inc.to_path).0;
            let from = clamp_flux_path(inc.from_path).0;
            let rest = if path == to {
                ""
            } else if let Some(r) = path.strip_prefix(&format!("{to}/")) {
                r
            } else {
                continue;
            };
            if let (SourceResolution::Tree(t), _) = self.resolve_ref("GitRepository", ns, inc.repository) {
                return Some((t, clamp_flux_path(&format!("{from}/{rest}")).0));
            }
        }
        None
    }

    fn follow(&mut self, job: &Job) -> Followed {
        let ks = job.object;
        let vars = self.variables(ks);
        if !job.deferred && vars.as_ref().is_some_and(|(_, missing)| *missing) {
            // The substituteFrom object may be rendered by a Kustomization not yet followed.
            return Followed::Deferred;
        }
        if let Some(followed) = self.follow_external_artifact(job) {
            return followed;
        }
        let (source, source_object) = self.resolve_source(ks);
        let root = self.cluster.objects[ks].root.clone();
        let Some(this) = FluxObject::new(&root) else { return Followed::Done(Vec::new()) };
        let raw_path = this.path_str();
        let (path, clamped) = clamp_flux_path(raw_path);
        // Paths of the root source resolve against the directory its artifact is made of.
        let path = match self.root_prefix(ks) {
            Some(prefix) if matches!(source, SourceResolution::Tree(0)) => {
                fleetlint_yaml::relpath::join_in_root(&prefix, &path).unwrap_or(path)
            }
            _ => path,
        };
        let mut node = KustomizationNode {
            object: ks,
            source: source.clone(),
            path: path.clone(),
            built: false,
            rendered: Vec::new(),
            variables: vars.as_ref().map(|(v, _)| v.values.clone()),
        };
        let mut children = Vec::new();
        match source {
            SourceResolution::Tree(t) => {
                let trees = self.trees;
                // A path under an included repository's toPath is built from that repository.
                let redirect = source_object.and_then(|i| self.included(i, &path));
                let own_view = redirect.is_none();
                let (t, path) = redirect.unwrap_or((t, path.clone()));
                let custom = if own_view { self.source_view(t, source_object) } else { None };
                let view: &TreeView<'t> = match &custom {
                    Some(v) => v,
                    None => &trees.views[t],
                };
                let path_span = this.span_of(&["path"]);
                if clamped {
                    let kind = FleetIssueKind::PathClamped { raw: raw_path.to_string(), clamped: path.clone() };
                    self.issue(kind, path_span, ks, "spec.path");
                }
                let unknown_vars = self.unknown_path_variables(ks, raw_path);
                if !unknown_vars.is_empty() {
                    // Flux A3.3: the parent substitutes spec.path; when its values come from
                    // what fleetlint cannot see, the path is unknown (an info, never SRC001).
                    let kind = FleetIssueKind::PathUnknown { raw: raw_path.to_string(), variables: unknown_vars };
                    self.issue(kind, path_span, ks, "spec.path");
                } else if !view.is_dir(&path) {
                    let why = if view.is_excluded_dir(&path) {
                        MissingPath::Excluded
                    } else if view.file(&path).is_some() {
                        MissingPath::IsFile
                    } else {
                        MissingPath::NotFound
                    };
                    let kind = FleetIssueKind::PathMissing { raw: raw_path.to_string(), normalized: path.clone(), why };
                    self.issue(kind, path_span, ks, "spec.path");
                } else if let Some(paths) = self.path_cycle(ks, t, &path) {
                    self.issue(FleetIssueKind::PathCycle { paths }, path_span, ks, "spec.path");
                } else {
                    let id = self.intern(t, &path);
                    self.builders.entry(id).or_default().push(ks);
                    self.built_path_of.insert(ks, path.clone());
                    let spec = root.get("spec").cloned().unwrap_or_else(|| Node::map(root.span));
                    let out = fluxbuild::build(&self.trees.resolvers[t], view, &path, &spec);
                    self.trees.record_flux_build(t, &out);
                    self.absorb(ks, out, t, vars.map(|(v, _)| v), &mut node, &mut children);
                }
            }
            SourceResolution::Unmapped => {
                let sref = this.source_ref();
                let span = sref.map_or_else(|| this.span_of(&["sourceRef"]), |r| r.field.key_span());
                let kind = FleetIssueKind::SourceNotMapped {
                    source_kind: sref.map_or("GitRepository", |r| r.kind_or("GitRepository")).to_string(),
                    source_name: sref.map_or("", |r| r.name()).to_string(),
                };
                self.issue(kind, span, ks, "spec.sourceRef");
            }
            SourceResolution::Missing | SourceResolution::Artifact(_) => {}
        }
        self.cluster.kustomizations.push(node);
        Followed::Done(children)
    }

    /// Take the output of Kustomization `ks`'s build (whose objects were read from tree `t`):
    /// its build issues, and its objects, substituted, into the cluster (or the remote cluster
    /// it applies to). Flux Kustomizations among them go to `children`, ResourceSets are queued.
    fn absorb(
        &mut self,
        ks: usize,
        out: fleetlint_kustomize::BuildOutput,
        t: TreeIndex,
        sub: Option<crate::postbuild::Variables>,
        node: &mut KustomizationNode,
        children: &mut Vec<usize>,
    ) {
        let root = self.cluster.objects[ks].root.clone();
        let spec = root.get("spec").cloned().unwrap_or_else(|| Node::map(root.span));
        let owner_id = self.cluster.objects[ks].id();
        // A defaults patch a parent injects into every child (home-ops does this for
        // HelmReleases) matches nothing in children without that kind: not a mistake
        // of the child, so SRC013 only for patches written in this object.
        let own = root.span;
        let injected = |sp: Span| {
            let inside = |outer: Span| outer.file == sp.file && outer.start <= sp.start && sp.end <= outer.end;
            let from_spec =
                spec.get("patches").and_then(Node::as_seq).unwrap_or_default().iter().any(|p| inside(p.span));
            from_spec && !inside(own)
        };
        let before = self.cluster.build_issues.len();
        self.cluster.build_issues.extend(
            out.issues.iter().filter(|i| i.kind != BuildIssueKind::PatchTargetUnmatched || !injected(i.span)).cloned(),
        );
        let added = self.cluster.build_issues.len() - before;
        self.cluster.build_issue_owners.extend(std::iter::repeat_n(Some(ks), added));
        // kustomize-controller applies nothing when the build fails.
        node.built = !out.fails();
        let resources = if out.fails() { Vec::new() } else { out.resources };
        // A `substituteFrom` object not in the graph may be one this build applies itself.
        let sub = match sub {
            Some(v) if !v.complete => {
                let own: Vec<&Node> = resources.iter().map(|r| &r.root).collect();
                let vars = self.variables_with(ks, &own).map(|(v, _)| v);
                node.variables = vars.as_ref().map(|v| v.values.clone());
                vars
            }
            sub => sub,
        };
        let remote = self.remote_target(ks);
        let owners = self.cluster.objects[ks].owners.push(owner_id.clone());
        for r in resources {
            let mut obj_root = r.root;
            if let Some(v) = &sub {
                self.substitute(&mut obj_root, v, ks);
            }
            let obj =
                RenderedObject { owner: Some(ks), owners: owners.clone(), tree: t, ..RenderedObject::new(obj_root) };
            if let Some(key) = &remote {
                let rc = self.remotes.get_mut(key).expect("remote cluster created");
                rc.objects.push(RenderedObject { owner: None, ..obj });
                continue;
            }
            if let Some(i) = self.add(obj) {
                node.rendered.push(i);
                if self.cluster.objects[i].flux_kind() == Some(FluxKind::Kustomization) {
                    children.push(i);
                }
                if self.cluster.objects[i].flux_kind() == Some(FluxKind::ResourceSet) {
                    self.rset_pending.push(i);
                }
            }
        }
    }

    /// The `${...}` variables left in `raw` (the Kustomization's `spec.path` after its parent's
    /// substitution) when that parent's variables are incomplete: some `substituteFrom` object is
    /// not in Git or is encrypted, so those variables may well be set on the cluster. Empty when
    /// the path is known (no variable left, or the parent's values are all known: then a literal
    /// `${VAR}` is what Flux builds).
    fn unknown_path_variables(&self, ks: usize, raw: &str) -> Vec<String> {
        if !crate::substitute::has_reference(raw) {
            return Vec::new();
        }
        let Some(parent) = self.cluster.objects[ks].owner.filter(|&p| p != ks) else { return Vec::new() };
        let complete = self.variables(parent).is_none_or(|(v, _)| v.complete);
        if complete {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut rest = raw;
        while let Some(i) = rest.find("${") {
            let after = &rest[i + 2..];
            let end = after.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric())).unwrap_or(after.len());
            if end > 0 {
                out.push(after[..end].to_string());
            }
            rest = &after[end..];
        }
        out.dedup();
        out
    }

    /// The number of a (tree, path).
    fn intern(&mut self, tree: TreeIndex, path: &str) -> u32 {
        let next = u32::try_from(self.built_ids.len()).unwrap_or(u32::MAX);
        *self.built_ids.entry((tree, path.to_string())).or_insert(next)
    }

    /// When an ancestor of Kustomization `ks` builds (tree, path) too: the paths from that
    /// ancestor down to `ks`, the repeated path last.
    fn path_cycle(&mut self, ks: usize, tree: TreeIndex, path: &str) -> Option<Vec<String>> {
        let id = self.intern(tree, path);
        let builders = self.builders.get(&id)?;
        let mut chain = Vec::new();
        let mut cur = self.cluster.objects[ks].owner;
        let mut steps = 0usize;
        while let Some(a) = cur {
            if let Some(p) = self.built_path_of.get(&a) {
                chain.push(format!("./{p}"));
            }
            if builders.contains(&a) {
                chain.reverse();
                chain.push(format!("./{path}"));
                return Some(chain);
            }
            steps += 1;
            // Owner links only point at objects added earlier, but never loop on bad input.
            if steps > self.cluster.objects.len() {
                return None;
            }
            cur = self.cluster.objects[a].owner.filter(|&o| o != a);
        }
        None
    }

    /// The first object with this identity (objects are indexed as they are added).
    fn lookup(&self, kind: &str, namespace: &str, name: &str) -> Option<usize> {
        self.lookup_id(&format!("{kind}/{namespace}/{name}"))
    }

    /// The first object with this `Kind/namespace/name`.
    fn lookup_id(&self, id: &str) -> Option<usize> {
        self.seen.get(id).copied()
    }

    /// Add a rendered object unless the same object is already known: a bootstrap object
    /// rendered again by the root (the root manages itself) takes the renderer as owner.
    fn add(&mut self, obj: RenderedObject) -> Option<usize> {
        let id = obj.id();
        if let Some(&i) = self.seen.get(&id) {
            let existing = &mut self.cluster.objects[i];
            if existing.synthesized {
                // A stand-in the repository turns out to define: the repository's object wins.
                *existing = obj;
                return None;
            }
            if existing.owner.is_none() && existing.owners.is_empty() {
                // A bootstrap object the root renders again: what the root applies is what runs
                // once it has reconciled (kustomize-controller applies its build over what
                // bootstrap applied), even when it comes from another file: heldout10,
                // colincmac/aks-lz-manifests: `clusters/prod` renders `../_base/flux-system`,
                // whose patches lock the controllers down, not the stale `clusters/prod/
                // flux-system` bootstrap wrote.
                *existing = obj;
                return None;
            }
            existing.owner?;
            // A second copy from another Kustomization (SRC004's business): keep it, but do not
            // follow a Flux object twice.
            self.cluster.objects.push(obj);
            return None;
        }
        self.cluster.objects.push(obj);
        let i = self.cluster.objects.len() - 1;
        self.seen.insert(id, i);
        Some(i)
    }

    fn issue(&mut self, kind: FleetIssueKind, span: Span, object: usize, field: &str) {
        self.cluster.issues.push(FleetIssue { kind, span, object: Some(object), field: field.to_string() });
    }
}

pub(super) enum Followed {
    Deferred,
    Done(Vec<usize>),
}
