//! The resolver: builds a directory the way `kustomize build` does, with per-directory caching.
//!
//! kustomize 5.5 (the differential oracle) and 5.8 (what Flux 2.9 embeds) agree on everything
//! this module relies on; where a behaviour is version-specific it is noted at the code.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use fleetlint_yaml::relpath::join_in_root;
use fleetlint_yaml::{FileDb, FileId, LoadedTree, Node, Span};

use crate::buildmeta::{self, BuildMetadata};
use crate::fieldspec::{TransformerConfig, builtin};
use crate::generator;
use crate::issue::BuildIssue;
use crate::kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
use crate::openapi::{self, OpenApi};
use crate::patch::SchemaSource;
use crate::resource::Resource;
use crate::{nameref, order, vars};

mod acc;
mod accumulate;
mod cache;
mod flux;
mod load;
mod nesting;
mod pipeline;
mod plugins;
mod schemas;
mod targets;

use acc::Acc;
use cache::AccCache;

/// The result of building one directory.
#[derive(Clone, Debug, Default)]
pub struct BuildOutput {
    /// The resolved objects, in kustomize's output order.
    pub resources: Vec<Resource>,
    /// Problems found; see [`BuildIssue::fatal`].
    pub issues: Vec<BuildIssue>,
    /// Whether something was left out (remote resources, plugins, helm charts, unreadable
    /// inputs), so `resources` is not everything kustomize would produce.
    pub incomplete: bool,
    /// The kustomization directories this build accumulated: its own, and every base and
    /// component it read (tree-relative). Carried by the output, not only recorded on the
    /// resolver, so a caller that reuses a cached build still learns what it covers.
    pub entered: Vec<String>,
}

impl BuildOutput {
    /// Whether `kustomize build` itself fails on this directory.
    #[must_use]
    pub fn fails(&self) -> bool {
        self.issues.iter().any(|i| i.fatal)
    }
}

/// A cached accumulation: `Err(empty)` when the directory has no kustomization file.
type AccResult = Arc<Result<Acc, Vec<BuildIssue>>>;

/// What a kustomization is accumulated with: the path it was reached through from the
/// accumulating directory (origins are relative to that directory), and the build's schemas.
#[derive(Clone, Copy)]
struct Scope<'a> {
    prefix: &'a str,
    schema: SchemaSource,
}

/// Resolves kustomizations of one loaded tree. Thread-safe; results are cached per directory,
/// so a base shared by many overlays is resolved once.
pub struct Resolver<'t> {
    tree: &'t LoadedTree,
    db: &'t FileDb,
    yaml: HashMap<&'t str, usize>,
    other: HashSet<&'t str>,
    dirs: HashSet<String>,
    /// Accumulations of bases by directory and schema source ([`SchemaSource::id`]).
    acc_cache: AccCache,
    out_cache: Mutex<HashMap<String, Arc<BuildOutput>>>,
    /// How deep each kustomization directory nests, computed once (see [`nesting`]).
    heights: std::sync::OnceLock<HashMap<String, usize>>,
    /// Decoded kustomization files by directory: a directory is read by its own build, by every
    /// overlay that absorbs it, by the sweep over the tree and by the nesting heights, and
    /// decoding is a walk of the whole file each time.
    decoded: Mutex<HashMap<String, LoadedKustomization>>,
}

/// A decoded kustomization file, or why there is none (empty: no kustomization file).
type LoadedKustomization = Result<Arc<Kustomization>, Vec<BuildIssue>>;

fn under(dir: &str, child: &str) -> bool {
    dir.is_empty() || child.strip_prefix(dir).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// How deep kustomizations may nest (a base's base's base, components in components) before
/// fleetlint stops following. kustomize has no limit (`api/internal/target/kusttarget.go`
/// `accumulateDirectory` recurses, and Go grows goroutine stacks up to 1 GB); here every level
/// costs native stack, so a hostile chain (`base-0` includes `base-1` ... `base-9999`) would
/// overflow it. Real overlays nest a handful of levels; past this the entry is a finding and the
/// build is marked incomplete (see [`nesting`]).
pub(crate) const MAX_NESTING: usize = 100;

impl<'t> Resolver<'t> {
    /// A resolver over `tree`, whose files live in `db`.
    #[must_use]
    pub fn new(tree: &'t LoadedTree, db: &'t FileDb) -> Self {
        let mut yaml = HashMap::new();
        let mut dirs = HashSet::new();
        let mut add_dirs = |path: &str| {
            let mut p = path;
            while let Some((parent, _)) = p.rsplit_once('/') {
                if !dirs.insert(parent.to_string()) {
                    break;
                }
                p = parent;
            }
        };
        for (i, f) in tree.files.iter().enumerate() {
            let path = db.get(f.id).path.as_str();
            yaml.insert(path, i);
            add_dirs(path);
        }
        for p in &tree.other_files {
            add_dirs(p);
        }
        dirs.insert(String::new());
        let other = tree.other_files.iter().map(String::as_str).collect();
        let kustomizations = tree.files.iter().filter_map(|f| {
            let path = db.get(f.id).path.as_str();
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            let root = &f.yaml.documents.first()?.root;
            KUSTOMIZATION_FILE_NAMES.contains(&name).then_some((dir, root))
        });
        let acc_cache = AccCache::new(kustomizations, &dirs);
        Self {
            tree,
            db,
            yaml,
            other,
            dirs,
            acc_cache,
            out_cache: Mutex::new(HashMap::new()),
            heights: std::sync::OnceLock::new(),
            decoded: Mutex::new(HashMap::new()),
        }
    }

    /// The tree this resolver reads.
    #[must_use]
    pub fn tree(&self) -> &'t LoadedTree {
        self.tree
    }

    /// Find the kustomization file of a tree-relative directory.
    #[must_use]
    pub fn kustomization_file(&self, dir: &str) -> Option<FileId> {
        let dir = join_in_root("", dir)?;
        KUSTOMIZATION_FILE_NAMES.iter().find_map(|n| {
            let p = if dir.is_empty() { (*n).to_string() } else { format!("{dir}/{n}") };
            self.yaml.get(p.as_str()).map(|&i| self.tree.files[i].id)
        })
    }

    fn file_span(&self, id: FileId) -> Span {
        Span::empty(id, 0)
    }

    /// Build the directory `dir` (tree-relative, `""` for the root). Cached.
    #[must_use]
    pub fn build(&self, dir: &str) -> Arc<BuildOutput> {
        let key = join_in_root("", dir).unwrap_or_else(|| dir.to_string());
        if let Some(hit) = self.out_cache.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        let out = Arc::new(self.build_uncached(&key));
        self.out_cache.lock().expect("cache lock").insert(key, out.clone());
        out
    }

    /// Build the directory `dir` for a caller that asks for each directory once (a sweep of every
    /// kustomization of the tree): the cached output when the directory was built before, else a
    /// build that is not cached, so the sweep holds one output at a time instead of all of them.
    #[must_use]
    pub fn build_once(&self, dir: &str) -> Arc<BuildOutput> {
        let key = join_in_root("", dir).unwrap_or_else(|| dir.to_string());
        if let Some(hit) = self.out_cache.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        Arc::new(self.build_uncached(&key))
    }

    fn build_uncached(&self, dir: &str) -> BuildOutput {
        match self.load_kustomization(dir) {
            // kustomize builds a Component directory given directly like a Kustomization.
            Ok(k) if k.is_component() => return self.build_kustomization(&k),
            Err(issues) if issues.is_empty() => {
                let span = self
                    .tree
                    .files
                    .iter()
                    .find(|f| under(dir, &self.db.get(f.id).path))
                    .map_or(Span::default(), |f| self.file_span(f.id));
                return BuildOutput {
                    resources: Vec::new(),
                    issues: vec![BuildIssue::invalid(span, true, format!("no kustomization file in {dir:?}"))],
                    incomplete: true,
                    entered: Vec::new(),
                };
            }
            _ => {}
        }
        let k = self.load_kustomization(dir).ok();
        let (schema, schema_issue) = self.top_schema(k.as_deref());
        // The accumulation of a directory built at the top is not cached (an overlay that later
        // uses the directory as a base accumulates it then): `finish` consumes it, so its objects
        // are not copied, and no second copy stays in the cache beside the cached output.
        let cached = self.acc_cache.peek(&(dir.to_string(), schema.id()));
        let acc = match cached {
            Some(acc) => (*acc).clone(),
            None => self.accumulate_dir_uncached(dir, &mut Vec::new(), schema),
        };
        match acc {
            Err(mut issues) => {
                keep_first_failure(&mut issues);
                BuildOutput { resources: Vec::new(), issues, incomplete: true, entered: vec![dir.to_string()] }
            }
            Ok(acc) => self.finish(acc, k.as_deref(), schema_issue),
        }
    }

    /// The final steps kustomize runs only at the top: hash suffixes, name references, vars,
    /// dropping local-config objects, sorting, build metadata.
    fn finish(&self, mut acc: Acc, k: Option<&Kustomization>, schema_issue: Option<BuildIssue>) -> BuildOutput {
        let span = k.and_then(|k| k.file).map_or(Span::default(), |f| self.file_span(f));
        for r in &mut acc.resources {
            if r.needs_hash {
                let h = generator::hash(r);
                r.store_previous_id();
                let name_span = r.root.get_path(&["metadata", "name"]).map_or(r.root.span, |n| n.span);
                let new = format!("{}-{h}", r.name());
                r.set_name(&new, name_span);
            }
        }
        let tc = effective_config(&acc.config);
        let mut issues = std::mem::take(&mut acc.issues);
        issues.extend(nameref::fix(&mut acc.resources, &tc, span));
        issues.extend(vars::resolve(&mut acc.resources, &acc.vars, &tc, span));
        acc.resources.retain(|r| !r.is_local_config());
        let sort = k.and_then(|k| k.root.get("sortOptions"));
        let fifo = sort.and_then(|s| s.get("order")).and_then(Node::as_str) == Some("fifo");
        if !fifo {
            let legacy = sort.and_then(|s| s.get("legacySortOptions"));
            let list = |key: &str| -> Option<Vec<String>> {
                legacy
                    .and_then(|l| l.get(key))
                    .and_then(Node::as_seq)
                    .map(|items| items.iter().filter_map(Node::as_str).map(str::to_string).collect())
            };
            let (first, last) = (list("orderFirst"), list("orderLast"));
            order::sort_legacy(&mut acc.resources, first.as_deref(), last.as_deref());
        }
        let build_metadata = BuildMetadata::of(k);
        issues.extend(buildmeta::check(&acc.resources, &build_metadata));
        buildmeta::finish(&mut acc.resources, &build_metadata);
        issues.extend(schema_issue);
        let top_openapi = k.and_then(|k| OpenApi::of(k).ok().flatten());
        let top_dir = k.map_or("", |k| k.dir.as_str());
        let nested = openapi::nested_issues(top_openapi.as_ref(), top_dir, &acc.openapi);
        acc.incomplete |= !nested.is_empty();
        issues.extend(nested);
        dedup_issues(&mut issues);
        keep_first_failure(&mut issues);
        let incomplete = acc.incomplete || issues.iter().any(|i| i.fatal);
        BuildOutput { resources: acc.resources, issues, incomplete, entered: acc.entered }
    }
}

fn effective_config(extra: &TransformerConfig) -> Cow<'static, TransformerConfig> {
    if extra.name_reference.is_empty()
        && extra.namespace.is_empty()
        && extra.common_labels.is_empty()
        && extra.images.is_empty()
        && extra.var_reference.is_empty()
        && extra.replicas.is_empty()
        && extra.common_annotations.is_empty()
        && extra.name_prefix.is_empty()
        && extra.name_suffix.is_empty()
        && extra.template_labels.is_empty()
    {
        return Cow::Borrowed(builtin());
    }
    let mut tc = builtin().clone();
    tc.merge(extra);
    Cow::Owned(tc)
}

/// One failure per build: kustomize returns the first error it meets and builds nothing
/// (kubernetes-sigs/kustomize@kustomize/v5.8.1 `api/internal/target/kusttarget.go`
/// `AccumulateTarget`/`accumulateResources` return on the first `err`; `api/resmap/reswrangler.go`
/// `Append` fails with "may not add resource with an already registered id" for the first
/// duplicate only). The resolver keeps going to learn as much as it can, so a directory holding
/// two copies of a 200-object tree found 200 failures where kustomize-controller reports one.
/// Non-fatal issues (inputs fleetlint does not execute, remote entries, unmatched patch targets)
/// are kept: they are not errors kustomize stops at.
fn keep_first_failure(issues: &mut Vec<BuildIssue>) {
    let mut failed = false;
    issues.retain(|i| {
        if !i.fatal {
            return true;
        }
        !std::mem::replace(&mut failed, true)
    });
}

fn dedup_issues(issues: &mut Vec<BuildIssue>) {
    let mut seen = HashSet::new();
    issues.retain(|i| seen.insert((i.span, i.message.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory tree of `(path, text)` files.
    fn tree(files: &[(String, String)]) -> (FileDb, LoadedTree) {
        let mut db = FileDb::new();
        let mut loaded = Vec::new();
        for (path, text) in files {
            let id = FileId(u32::try_from(db.len()).unwrap());
            let yaml = fleetlint_yaml::parse_yaml(id, text, &fleetlint_yaml::Limits::default());
            db.add(fleetlint_yaml::TextFile::new(path.clone(), None, path.into(), Arc::from(text.as_str())));
            loaded.push(fleetlint_yaml::LoadedFile { id, yaml, ignored: None });
        }
        let tree = LoadedTree {
            root: "/nonexistent".into(),
            mapping: None,
            files: loaded,
            other_files: Vec::new(),
            skipped: Vec::new(),
            source_ignore: fleetlint_yaml::SourceIgnore::new(&[], None),
            sourceignore_files: Vec::new(),
        };
        (db, tree)
    }

    /// `base-0` includes `base-1` ... : past [`MAX_NESTING`] levels the entry is a (non-fatal)
    /// finding where fleetlint stopped, instead of a stack overflow; a directory whose own chain
    /// is short enough builds completely, whichever directory was built first.
    #[test]
    fn nesting_past_the_limit_is_a_finding_not_a_stack_overflow() {
        const DEPTH: usize = MAX_NESTING + 50;
        let mut files: Vec<(String, String)> = (0..DEPTH)
            .map(|i| (format!("base-{i}/kustomization.yaml"), format!("resources:\n- ../base-{}\n", i + 1)))
            .collect();
        files.push((format!("base-{DEPTH}/kustomization.yaml"), "resources:\n- cm.yaml\n".into()));
        files.push((
            format!("base-{DEPTH}/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bottom\n".into(),
        ));
        let (db, tree) = tree(&files);
        let resolver = Resolver::new(&tree, &db);
        let top = resolver.build("base-0");
        assert!(!top.fails() && top.incomplete && top.resources.is_empty(), "{:?}", top.issues);
        let stop = &top.issues[0];
        assert!(stop.message.contains("nested deeper than 100 levels"), "{}", stop.message);
        assert_eq!(db.get(stop.span.file).path, "base-0/kustomization.yaml", "the entry that goes too deep");
        let near = resolver.build(&format!("base-{}", DEPTH - MAX_NESTING + 1));
        assert!(near.issues.is_empty() && near.resources.len() == 1, "{:?}", near.issues);
        // Built the other way round: the same results.
        let resolver = Resolver::new(&tree, &db);
        assert_eq!(resolver.build(&format!("base-{}", DEPTH - MAX_NESTING + 1)).resources.len(), 1);
        assert!(!resolver.build(&format!("base-{}", DEPTH - MAX_NESTING)).issues.is_empty(), "just too deep");
        assert_eq!(resolver.build("base-0").issues, top.issues);
    }

    /// Reduced from a `kustomize_resolver` fuzz crash: a JSON patch replacing the whole document
    /// of a generated ConfigMap with a scalar panicked when the hash suffix was added; kustomize
    /// fails the build.
    #[test]
    fn a_patch_that_replaces_a_generated_object_with_a_scalar_fails_the_build() {
        let k = "configMapGenerator:\n- name: web\n  literals:\n  - a=b\npatches:\n- patch: |-\n    - op: replace\n      path: \"\"\n      value: db\n  target:\n    kind: ConfigMap\n";
        let (db, tree) = tree(&[("kustomization.yaml".to_string(), k.to_string())]);
        let out = Resolver::new(&tree, &db).build("");
        assert!(out.fails(), "{:?}", out.issues);
        assert!(out.issues.iter().any(|i| i.message.contains("not an object")), "{:?}", out.issues);
    }

    /// Reduced from a second `kustomize_resolver` fuzz crash: a scalar item of a `kind: List`
    /// became a resource and buildMetadata's label panicked on it.
    #[test]
    fn a_list_item_that_is_not_an_object_fails_the_build() {
        let files = [
            ("kustomization.yaml".to_string(), "resources:\n- list.yaml\nbuildMetadata: [managedByLabel]\n".to_string()),
            ("list.yaml".to_string(), "apiVersion: v1\nkind: List\nitems:\n- just a string\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: ok\n".to_string()),
        ];
        let (db, tree) = tree(&files);
        let out = Resolver::new(&tree, &db).build("");
        assert!(out.fails(), "{:?}", out.issues);
        assert!(out.issues.iter().any(|i| i.message.contains("a List item must be a mapping")), "{:?}", out.issues);
    }

    /// Must-match entries (`replicas`, a generator's `behavior: merge`, a `replacements`
    /// source) whose object is not built: kustomize fails in a complete build; in one that left
    /// a remote base out the object may be there, so the issue is not fatal (sweep class B1).
    #[test]
    fn must_match_entries_fail_only_a_complete_build() {
        let entries = "replicas:\n- name: emoji\n  count: 0\nconfigMapGenerator:\n- name: emoji-config\n  behavior: merge\n  literals: [A=b]\nreplacements:\n- source: {kind: Deployment, name: emoji}\n  targets:\n  - select: {kind: ConfigMap, name: local}\n";
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n";
        for (remote, fatal) in
            [("", true), ("- https://github.com/BuoyantIO/emojivoto.git/kustomize/deployment?ref=main\n", false)]
        {
            let files = [
                ("kustomization.yaml".to_string(), format!("resources:\n{remote}- cm.yaml\n{entries}")),
                ("cm.yaml".to_string(), cm.to_string()),
            ];
            let (db, tree) = tree(&files);
            let out = Resolver::new(&tree, &db).build("");
            use crate::issue::BuildIssueKind;
            let kinds = |k: BuildIssueKind| out.issues.iter().filter(|i| i.kind == k).count();
            if fatal {
                assert!(out.fails() && kinds(BuildIssueKind::InputUnknown) == 0, "{:?}", out.issues);
            } else {
                assert!(!out.fails() && out.incomplete, "{:?}", out.issues);
                assert_eq!(kinds(BuildIssueKind::InputUnknown), 3, "{:?}", out.issues);
            }
        }
    }

    #[test]
    fn component_nesting_past_the_limit_is_a_finding() {
        let header = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n";
        let mut files: Vec<(String, String)> = (0..MAX_NESTING + 10)
            .map(|i| (format!("c-{i}/kustomization.yaml"), format!("{header}components:\n- ../c-{}\n", i + 1)))
            .collect();
        files.push((format!("c-{}/kustomization.yaml", MAX_NESTING + 10), header.into()));
        files.push(("top/kustomization.yaml".into(), "components:\n- ../c-0\n".into()));
        let (db, tree) = tree(&files);
        let out = Resolver::new(&tree, &db).build("top");
        assert!(!out.fails() && out.incomplete, "{:?}", out.issues);
        assert!(out.issues.iter().any(|i| i.message.contains("nested deeper than")), "{:?}", out.issues);
    }
}
