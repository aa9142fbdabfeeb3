//! Kustomizations that read an `ExternalArtifact` assembled by a source-watcher ArtifactGenerator
//! of the cluster (Flux 2.7+): the artifact is computed as a view over the local source trees
//! (`fleetlint_fluxgen::artifact::generate`, fluxcd/source-watcher@825fa15) and the
//! Kustomization's `spec.path` is built in it like in any other source, with findings at the
//! real files.
//!
//! - An ExternalArtifact is never written in Git: source-watcher creates it, named after the
//!   artifact, in the generator's namespace (`internal/controller/artifactgenerator_controller.go
//!   reconcileExternalArtifact`). A Kustomization's `sourceRef.namespace` defaults to its own
//!   (fluxcd/kustomize-controller@186fb3b:internal/controller/kustomization_controller.go
//!   `getSource`).
//! - kustomize-controller refuses the source unless it runs with
//!   `--feature-gates=ExternalArtifact=true` (`internal/features/features.go`: "opt-in from
//!   v1.7", default false; `kustomization_controller.go reconcile` l.686-691: "can't access
//!   'ExternalArtifact/<ns>/<name>', ExternalArtifact feature gate is disabled", Stalled), so
//!   with a committed kustomize-controller Deployment without the gate nothing is applied (SRC002
//!   reports it; the Kustomization is not built).
//! - What fleetlint cannot know (a source that is not mapped, an `Extract` of a tarball, a
//!   generator that fails or is not built) makes the consuming Kustomization opaque: an SRC012
//!   info, never an empty render.
//!
//! The artifact is a tree of its own (paths in the artifact), whose files are the source files:
//! it is loaded into a scratch [`FileDb`] whose ids follow the real database's, built with its own
//! resolver, and every span of the output is mapped back to the real file (a copy has the same
//! text, so the same offsets; a merged file points at the layer that wrote each value).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use fleetlint_fluxgen::artifact::{
    ArtifactGenerator, ArtifactResult, ExternalArtifactView, GeneratorErrorKind, Options, SourceTree, VFile, generate,
};
use fleetlint_kustomize::{BuildOutput, Resolver};
use fleetlint_yaml::relpath::clamp_flux_path;
use fleetlint_yaml::{
    FileDb, FileId, Limits, LoadedFile, LoadedTree, Node, NodeKind, ParsedYaml, SourceIgnore, Span, TextFile,
    parse_yaml,
};

use super::{ClusterWalk, Followed, Job, Trees};
use crate::artifact::TreeView;
use crate::controllers::{Controller, NO_CROSS_NAMESPACE_REFS};
use crate::fluxbuild;
use crate::model::{FleetIssueKind, KustomizationNode, MissingPath, SourceResolution, TreeIndex};

/// A file of a source tree that an artifact holds.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    tree: TreeIndex,
    /// The parsed YAML file; `None` for another file (read from disk when a build needs it).
    id: Option<FileId>,
    disk: PathBuf,
}

/// What one ArtifactGenerator generates.
pub(crate) struct Generated {
    /// Its artifacts, or why none is known.
    result: Result<Vec<ExternalArtifactView<SourceFile>>, String>,
    /// The tree objects built from its artifacts are attributed to (its first source's).
    tree: TreeIndex,
}

/// Whether an object is a source-watcher ArtifactGenerator.
fn is_generator(o: &crate::model::RenderedObject) -> bool {
    o.kind() == "ArtifactGenerator" && o.api_version().starts_with("source.extensions.fluxcd.io/")
}

impl ClusterWalk<'_, '_> {
    /// Follow a Kustomization reading an ExternalArtifact that an ArtifactGenerator of the cluster
    /// produces. `None` when the Kustomization reads another kind of source, the artifact is mapped
    /// with `--source`, or no generator produces it (then it is an unmapped source, as before).
    pub(super) fn follow_external_artifact(&mut self, job: &Job) -> Option<Followed> {
        let ks = job.object;
        let this = self.cluster.objects[ks].flux()?;
        let sref = this.source_ref()?;
        if sref.kind_or("GitRepository") != "ExternalArtifact" {
            return None;
        }
        let (ns, name) = (sref.namespace.to_string(), sref.name().to_string());
        let sref_span = sref.field.key_span();
        let raw_path = this.path_str().to_string();
        let path_span = this.span_of(&["path"]);
        if self.trees.mappings.iter().any(|m| m.matches("ExternalArtifact", &ns, &name, None, None)) {
            return None;
        }
        let Some((generator, generated, view)) = self.find_artifact(&ns, &name) else {
            // The generator may be rendered by a Kustomization not followed yet.
            return (!job.deferred).then_some(Followed::Deferred);
        };
        let vars = self.variables(ks);
        let (path, clamped) = clamp_flux_path(&raw_path);
        let mut node = KustomizationNode {
            object: ks,
            source: SourceResolution::Artifact(generator),
            path: path.clone(),
            built: false,
            rendered: Vec::new(),
            variables: vars.as_ref().map(|(v, _)| v.values.clone()),
        };
        let artifact = format!("{ns}/{name}");
        let kc = self.cluster.controllers.of(Controller::Kustomize);
        // The same reading of the gate as SRC002's (fleetlint-rules unresolved_reference.rs
        // `external_artifact_gate`), which reports the refusal: then nothing is applied.
        let gate_off = match kc.gate("ExternalArtifact") {
            Some(g) if g.value => false,
            Some(g) if g.origin == crate::controllers::Origin::Config => true,
            _ => kc.written,
        };
        if gate_off {
            self.cluster.kustomizations.push(node);
            return Some(Followed::Done(Vec::new()));
        }
        let tree = match (&generated.result, view) {
            (Err(reason), _) => Err(reason.clone()),
            (Ok(views), Some(v)) => match &views[v].result {
                ArtifactResult::Built(t) if t.opaque.is_empty() => Ok(t),
                ArtifactResult::Built(t) => Err(t.opaque[0].reason.clone()),
                ArtifactResult::Failed(e) => Err(format!("its ArtifactGenerator fails: {}", e.message)),
                ArtifactResult::NotBuilt => {
                    Err("its ArtifactGenerator stops at an earlier artifact that fails".to_string())
                }
            },
            (Ok(_), None) => Err("no artifact of that name".to_string()),
        };
        let tree = match tree {
            Ok(t) => t,
            Err(reason) => {
                node.source = SourceResolution::Unmapped;
                self.issue(FleetIssueKind::ArtifactUnknown { artifact, reason }, sref_span, ks, "spec.sourceRef");
                self.cluster.kustomizations.push(node);
                return Some(Followed::Done(Vec::new()));
            }
        };
        if clamped {
            let kind = FleetIssueKind::PathClamped { raw: raw_path.clone(), clamped: path.clone() };
            self.issue(kind, path_span, ks, "spec.path");
        }
        let key = (generator, view.unwrap_or(usize::MAX));
        let scratch = match self.scratches.get(&key) {
            Some(s) => s.clone(),
            None => {
                let made = Scratch::new(self.trees, &tree.files).map(Rc::new);
                self.scratches.insert(key, made.clone());
                made
            }
        };
        let scratch = match scratch {
            Ok(s) => s,
            Err(reason) => {
                node.source = SourceResolution::Unmapped;
                self.issue(FleetIssueKind::ArtifactUnknown { artifact, reason }, sref_span, ks, "spec.sourceRef");
                self.cluster.kustomizations.push(node);
                return Some(Followed::Done(Vec::new()));
            }
        };
        let view = TreeView::new(&scratch.tree, &scratch.db);
        let mut children = Vec::new();
        if view.is_dir(&path) {
            let resolver = Resolver::new(&scratch.tree, &scratch.db);
            let root = self.cluster.objects[ks].root.clone();
            let spec = root.get("spec").cloned().unwrap_or_else(|| Node::map(root.span));
            let mut out = fluxbuild::build(&resolver, &view, &path, &spec);
            scratch.restore_spans(&mut out, path_span);
            self.absorb(ks, out, generated.tree, vars.map(|(v, _)| v), &mut node, &mut children);
        } else {
            let why = if view.file(&path).is_some() { MissingPath::IsFile } else { MissingPath::NotFound };
            let kind = FleetIssueKind::PathMissing { raw: raw_path, normalized: path, why };
            self.issue(kind, path_span, ks, "spec.path");
        }
        self.cluster.kustomizations.push(node);
        Some(Followed::Done(children))
    }

    /// The generator (object index) producing ExternalArtifact `ns/name`, what it generates and
    /// the index of that artifact among its views (`None`: the generator is not understood, so
    /// it may be the one).
    fn find_artifact(&mut self, ns: &str, name: &str) -> Option<(usize, Rc<Generated>, Option<usize>)> {
        // Objects are only appended: scan those added since the last look.
        let (scanned, mut known) = std::mem::take(&mut self.generators);
        known.extend((scanned..self.cluster.objects.len()).filter(|&i| is_generator(&self.cluster.objects[i])));
        self.generators = (self.cluster.objects.len(), known);
        let generators: Vec<usize> =
            self.generators.1.iter().copied().filter(|&i| self.cluster.objects[i].namespace() == ns).collect();
        let mut unknown = None;
        for g in generators {
            let generated = self.generated(g);
            match &generated.result {
                Ok(views) => {
                    if let Some(v) = views.iter().position(|v| v.name == name) {
                        return Some((g, generated.clone(), Some(v)));
                    }
                }
                Err(_) => {
                    // An artifact that a failing or opaque generator may produce: only when it
                    // names the artifact, or names may be rendered from a path pattern.
                    let named = self.cluster.objects[g]
                        .root
                        .get_path(&["spec", "artifacts"])
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .any(|a| a.get("name").and_then(Node::as_str).is_some_and(|n| n == name || n.contains('{')));
                    if named && unknown.is_none() {
                        unknown = Some((g, generated.clone(), None));
                    }
                }
            }
        }
        unknown
    }

    /// What ArtifactGenerator `g` generates (computed once per walk).
    fn generated(&mut self, g: usize) -> Rc<Generated> {
        if let Some(hit) = self.generated.get(&g) {
            return hit.clone();
        }
        let root = self.cluster.objects[g].root.clone();
        let id = format!("{}/{}", self.cluster.objects[g].namespace(), self.cluster.objects[g].name());
        let mut tree = self.cluster.objects[g].tree;
        let result = match ArtifactGenerator::from_node(&root) {
            Err(e) => Err(format!("source-watcher rejects ArtifactGenerator {id}: {}", e.message)),
            Ok(generator) => {
                let mut trees = BTreeMap::new();
                for (i, s) in generator.sources.iter().enumerate() {
                    if let Some((t, files)) = self.alias_tree(&s.kind, &s.namespace, &s.name) {
                        if i == 0 {
                            tree = t;
                        }
                        trees.insert(s.alias.clone(), SourceTree::new(files));
                    }
                }
                let sw = self.cluster.controllers.of(Controller::SourceWatcher);
                let options = Options {
                    no_cross_namespace_refs: sw.deployed.then(|| sw.bool_flag(NO_CROSS_NAMESPACE_REFS).value),
                };
                let db = self.trees.db;
                let read = |f: &SourceFile| f.id.map(|id| db.get(id).text.clone());
                generate(&generator, &trees, &read, &options).map_err(|e| match e.kind {
                    GeneratorErrorKind::Invalid => {
                        format!("source-watcher rejects ArtifactGenerator {id}: {}", e.message)
                    }
                    GeneratorErrorKind::SourceUnavailable { alias } => {
                        format!("ArtifactGenerator {id} reads source `{alias}`: {}", e.message)
                    }
                })
            }
        };
        let generated = Rc::new(Generated { result, tree });
        self.generated.insert(g, generated.clone());
        generated
    }

    /// The files of the artifact of source `kind/ns/name`, by path in that artifact, when it is a
    /// local tree: the checked tree (below the root source's directory) or a mapped checkout, as
    /// the source's own ignore rules see it.
    fn alias_tree(&mut self, kind: &str, ns: &str, name: &str) -> Option<(TreeIndex, Vec<(String, SourceFile)>)> {
        if !matches!(kind, "GitRepository" | "OCIRepository" | "Bucket") {
            return None;
        }
        let (SourceResolution::Tree(t), source) = self.resolve_ref(kind, ns, name) else { return None };
        let prefix = match &self.root_source {
            Some(rs) if t == 0 && !rs.prefix.is_empty() && self.is_root_source_object(kind, ns, name, source) => {
                format!("{}/", rs.prefix)
            }
            _ => String::new(),
        };
        let custom = self.source_view(t, source);
        let view: &TreeView<'_> = custom.as_deref().unwrap_or(&self.trees.views[t]);
        let root = &self.trees.trees[t].root;
        let rel = |p: &str| p.strip_prefix(prefix.as_str()).map(str::to_string);
        let mut files: Vec<(String, SourceFile)> = view
            .artifact_files()
            .filter_map(|(p, f)| Some((rel(p)?, SourceFile { tree: t, id: Some(f.id), disk: root.join(p) })))
            .collect();
        files.extend(
            view.artifact_other_files()
                .iter()
                .filter_map(|p| Some((rel(p)?, SourceFile { tree: t, id: None, disk: root.join(p) }))),
        );
        Some((t, files))
    }

    /// Whether source `kind/ns/name` (object `source`) is the cluster's root source.
    fn is_root_source_object(&self, kind: &str, ns: &str, name: &str, source: Option<usize>) -> bool {
        let src = source.and_then(|i| self.cluster.objects[i].flux());
        self.is_root_source(
            kind,
            ns,
            name,
            src.as_ref().and_then(|s| s.url()),
            src.as_ref().and_then(|s| s.ref_value()),
        )
    }
}

/// An artifact loaded as a tree of its own: a scratch database whose first ids stand for the real
/// database's files (so the spans of parsed copies stay valid) and whose next ids are the
/// artifact's files under their artifact paths.
pub(crate) struct Scratch {
    db: FileDb,
    tree: LoadedTree,
    /// The real database's size: scratch ids from here on are artifact files.
    base: u32,
    /// Per artifact file (scratch id - base): the real file and whether offsets carry over.
    real: Vec<(Option<FileId>, bool)>,
}

impl Scratch {
    fn new(trees: &Trees<'_>, files: &BTreeMap<String, VFile<SourceFile>>) -> Result<Self, String> {
        let real = trees.db;
        let mut db = FileDb::new();
        for _ in 0..real.len() {
            db.add(TextFile::new(String::new(), None, PathBuf::new(), Arc::from("")));
        }
        let base = u32::try_from(real.len()).unwrap_or(u32::MAX);
        let mut loaded = Vec::new();
        let mut map = Vec::new();
        for (path, file) in files {
            match file {
                VFile::Copy(layer) => {
                    let f = &layer.file;
                    let (text, yaml, mapping) = match f.id {
                        Some(id) => {
                            let t = real.get(id);
                            (t.text.clone(), parsed(trees, id, f).cloned().unwrap_or_default(), t.mapping.clone())
                        }
                        // Another file: only its bytes matter (generators, patches by path).
                        None => {
                            let bytes = std::fs::read(&f.disk).map_err(|e| format!("{}: {e}", f.disk.display()))?;
                            (Arc::from(String::from_utf8_lossy(&bytes).as_ref()), ParsedYaml::default(), None)
                        }
                    };
                    let id = db.add(TextFile::new(path.clone(), mapping, f.disk.clone(), text));
                    loaded.push(LoadedFile { id, yaml, ignored: None });
                    map.push((f.id, true));
                }
                VFile::Merged { layers, text } => {
                    let Some(text) = text else {
                        return Err(format!("{path} merges files fleetlint cannot read"));
                    };
                    let last = layers.last().map(|l| l.file.clone());
                    let id = db.add(TextFile::new(
                        path.clone(),
                        None,
                        last.as_ref().map(|l| l.disk.clone()).unwrap_or_default(),
                        Arc::from(text.as_str()),
                    ));
                    let mut yaml = parse_yaml(id, text, &Limits::default());
                    // Each value points at the layer that wrote it (the last one holding it).
                    let sources: Vec<Vec<&Node>> = layers
                        .iter()
                        .map(|l| {
                            l.file
                                .id
                                .and_then(|fid| parsed(trees, fid, &l.file))
                                .map(|p| p.documents.iter().map(|d| &d.root).collect())
                                .unwrap_or_default()
                        })
                        .collect();
                    let layer_nodes: Vec<&Node> = sources.iter().flatten().copied().collect();
                    let fallback = last.and_then(|l| l.id).map_or(Span::default(), |f| Span::empty(f, 0));
                    for d in &mut yaml.documents {
                        respan(&mut d.root, &layer_nodes, fallback);
                    }
                    yaml.issues.clear();
                    loaded.push(LoadedFile { id, yaml, ignored: None });
                    map.push((layers.last().and_then(|l| l.file.id), false));
                }
            }
        }
        let tree = LoadedTree {
            root: PathBuf::new(),
            mapping: None,
            files: loaded,
            other_files: Vec::new(),
            skipped: Vec::new(),
            source_ignore: SourceIgnore::new(&[], None),
            sourceignore_files: Vec::new(),
        };
        Ok(Self { db, tree, base, real: map })
    }

    /// Point every span of `out` at the real files; `fallback` for text with no real file.
    fn restore_spans(&self, out: &mut BuildOutput, fallback: Span) {
        let fix = |s: &mut Span| {
            if s.file.0 < self.base || s.file == FileId::SYNTHETIC {
                return;
            }
            match self.real.get((s.file.0 - self.base) as usize) {
                Some((Some(id), true)) => s.file = *id,
                Some((Some(id), false)) => *s = Span::empty(*id, 0),
                _ => *s = fallback,
            }
        };
        for r in &mut out.resources {
            visit_spans(&mut r.root, &fix);
        }
        for i in &mut out.issues {
            fix(&mut i.span);
        }
    }
}

/// The parsed YAML of real file `id`, as its tree loaded it (spans in the real file).
fn parsed<'a>(trees: &'a Trees<'_>, id: FileId, f: &SourceFile) -> Option<&'a ParsedYaml> {
    trees.views.get(f.tree)?.file_by_id(id).map(|l| &l.yaml)
}

fn visit_spans(node: &mut Node, fix: &dyn Fn(&mut Span)) {
    fix(&mut node.span);
    match &mut node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                visit_spans(&mut e.key, fix);
                visit_spans(&mut e.value, fix);
            }
        }
        NodeKind::Seq(items) => {
            for i in items {
                visit_spans(i, fix);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

/// Give every node of a merged document the span of the same path in the last layer that holds
/// it (source-watcher merges maps key by key and replaces lists whole:
/// fluxcd/source-watcher@825fa15:internal/builder/merge.go `mergeMap`).
fn respan(node: &mut Node, layers: &[&Node], fallback: Span) {
    node.span = layers.last().map_or(fallback, |l| l.span);
    let here = node.span;
    match &mut node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                let Some(key) = e.key.as_str().map(str::to_string) else {
                    visit_spans(&mut e.key, &|s| *s = here);
                    visit_spans(&mut e.value, &|s| *s = here);
                    continue;
                };
                let below: Vec<&Node> = layers.iter().filter_map(|l| l.get(&key)).collect();
                let key_span = layers.iter().rev().find_map(|l| l.entry(&key)).map_or(here, |en| en.key.span);
                visit_spans(&mut e.key, &|s| *s = key_span);
                respan(&mut e.value, &below, here);
            }
        }
        NodeKind::Seq(items) => {
            // Lists are replaced whole: the last layer holding a list here wrote it.
            let list = layers.iter().rev().find_map(|l| l.as_seq());
            for (i, item) in items.iter_mut().enumerate() {
                let below: Vec<&Node> = list.and_then(|l| l.get(i)).into_iter().collect();
                respan(item, &below, here);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}
