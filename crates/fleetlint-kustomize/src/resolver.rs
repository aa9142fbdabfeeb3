//! The resolver: builds a directory the way `kustomize build` does, with per-directory caching.
//!
//! kustomize 5.5 (the differential oracle) and 5.8 (what Flux 2.9 embeds) agree on everything
//! this module relies on; where a behaviour is version-specific it is noted at the code.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use fleetlint_yaml::{FileId, LoadedTree, Node, SourceDb, Span, parse_yaml};

use crate::fieldspec::{FieldSpec, TransformerConfig, builtin};
use crate::generator::{self, GenOptions};
use crate::issue::{BuildIssue, BuildIssueKind};
use crate::kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
use crate::resource::{Behavior, ResId, Resource, set_entry};
use crate::selector::Selector;
use crate::transform::{self, ImageSpec, ReplicaSpec, Spanned, pairs};
use crate::{nameref, order, patches, replacements, vars};

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
}

impl BuildOutput {
    /// Whether `kustomize build` itself fails on this directory.
    #[must_use]
    pub fn fails(&self) -> bool {
        self.issues.iter().any(|i| i.fatal)
    }
}

/// What a directory accumulates before the final, top-level-only steps.
#[derive(Clone, Debug, Default)]
struct Acc {
    resources: Vec<Resource>,
    config: TransformerConfig,
    vars: Vec<vars::Var>,
    issues: Vec<BuildIssue>,
    incomplete: bool,
    /// A cycle through an ancestor was hit: the result depends on the path taken.
    cyclic: bool,
}

impl Acc {
    fn fatal(&mut self, span: Span, msg: impl Into<String>) {
        self.issues.push(BuildIssue::invalid(span, true, msg));
    }

    fn append(&mut self, r: Resource, span: Span) {
        let id = r.cur_id();
        if self.resources.iter().any(|o| o.cur_id().equals(&id)) {
            self.fatal(span, format!("may not add resource with an already registered id: {}", id.describe()));
            return;
        }
        self.resources.push(r);
    }

    fn absorb(&mut self, other: &Acc, span: Span) {
        for r in &other.resources {
            self.append(r.clone(), span);
        }
        self.config.merge(&other.config);
        for v in &other.vars {
            vars::merge_var(&mut self.vars, v.clone(), &mut self.issues);
        }
        self.issues.extend(other.issues.iter().cloned());
        self.incomplete |= other.incomplete;
        self.cyclic |= other.cyclic;
    }
}

/// A cached accumulation: `Err(empty)` when the directory has no kustomization file.
type AccResult = Arc<Result<Acc, Vec<BuildIssue>>>;

/// Resolves kustomizations of one loaded tree. Thread-safe; results are cached per directory,
/// so a base shared by many overlays is resolved once.
pub struct Resolver<'t> {
    tree: &'t LoadedTree,
    db: &'t SourceDb,
    yaml: HashMap<&'t str, usize>,
    other: HashSet<&'t str>,
    dirs: HashSet<String>,
    acc_cache: Mutex<HashMap<String, AccResult>>,
    out_cache: Mutex<HashMap<String, Arc<BuildOutput>>>,
}

/// Join a tree-relative directory and a relative path; `None` when the result leaves the root.
pub(crate) fn join_path(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn is_remote(path: &str) -> bool {
    const PREFIXES: [&str; 9] =
        ["http://", "https://", "git@", "ssh://", "git::", "github.com/", "gitlab.com/", "bitbucket.org/", "file://"];
    if PREFIXES.iter().any(|p| path.starts_with(p)) || path.contains("?ref=") || path.contains("?version=") {
        return true;
    }
    match path.split_once('/') {
        Some((host, _)) => host.contains('.') && !host.starts_with('.') && !host.contains(' '),
        None => false,
    }
}

fn under(dir: &str, child: &str) -> bool {
    dir.is_empty() || child == dir || child.starts_with(&format!("{dir}/"))
}

impl<'t> Resolver<'t> {
    /// A resolver over `tree`, whose files live in `db`.
    #[must_use]
    pub fn new(tree: &'t LoadedTree, db: &'t SourceDb) -> Self {
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
        Self {
            tree,
            db,
            yaml,
            other,
            dirs,
            acc_cache: Mutex::new(HashMap::new()),
            out_cache: Mutex::new(HashMap::new()),
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
        let dir = join_path("", dir)?;
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
        let key = join_path("", dir).unwrap_or_else(|| dir.to_string());
        if let Some(hit) = self.out_cache.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        let out = Arc::new(self.build_uncached(&key));
        self.out_cache.lock().expect("cache lock").insert(key, out.clone());
        out
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
                };
            }
            _ => {}
        }
        let acc = self.accumulate_dir(dir, &mut Vec::new());
        match &*acc {
            Err(issues) => BuildOutput { resources: Vec::new(), issues: issues.clone(), incomplete: true },
            Ok(acc) => {
                let k = self.load_kustomization(dir).ok();
                self.finish(acc.clone(), k.as_ref())
            }
        }
    }

    /// Build an in-memory kustomization (for example the one Flux synthesises for a path
    /// without a kustomization file). Not cached.
    #[must_use]
    pub fn build_kustomization(&self, k: &Kustomization) -> BuildOutput {
        let mut acc = Acc::default();
        let mut stack = vec![k.dir.clone()];
        self.accumulate_target(k, &mut acc, &mut stack);
        self.finish(acc, Some(k))
    }

    /// The final steps kustomize runs only at the top: hash suffixes, name references, vars,
    /// dropping local-config objects, sorting.
    fn finish(&self, mut acc: Acc, k: Option<&Kustomization>) -> BuildOutput {
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
        dedup_issues(&mut issues);
        let incomplete = acc.incomplete || issues.iter().any(|i| i.fatal);
        BuildOutput { resources: acc.resources, issues, incomplete }
    }

    fn load_kustomization(&self, dir: &str) -> Result<Kustomization, Vec<BuildIssue>> {
        let found: Vec<FileId> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .filter_map(|n| {
                let p = if dir.is_empty() { (*n).to_string() } else { format!("{dir}/{n}") };
                self.yaml.get(p.as_str()).map(|&i| self.tree.files[i].id)
            })
            .collect();
        let Some(&id) = found.first() else {
            return Err(Vec::new());
        };
        if found.len() > 1 {
            return Err(vec![BuildIssue::invalid(
                self.file_span(found[1]),
                true,
                format!("found multiple kustomization files under {dir:?}"),
            )]);
        }
        let file = &self.tree.files[self.yaml[self.db.get(id).path.as_str()]];
        if file.yaml.is_broken() {
            let (span, msg) = file
                .yaml
                .issues
                .iter()
                .find(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar))
                .map_or((self.file_span(id), "invalid YAML".to_string()), |i| {
                    (i.span, format!("invalid YAML: {:?}", i.kind))
                });
            return Err(vec![BuildIssue::invalid(span, true, msg)]);
        }
        let root = file
            .yaml
            .documents
            .first()
            .map_or_else(|| crate::fieldspec::null_node(self.file_span(id)), |d| d.root.clone());
        let k = Kustomization { dir: dir.to_string(), root, file: Some(id) };
        let problems = k.validate(self.file_span(id));
        if problems.iter().any(|p| p.fatal) {
            return Err(problems);
        }
        Ok(k)
    }

    /// Accumulate a (non-component) kustomization directory. `Err(empty)` means there is no
    /// kustomization file.
    fn accumulate_dir(&self, dir: &str, stack: &mut Vec<String>) -> AccResult {
        if let Some(hit) = self.acc_cache.lock().expect("cache lock").get(dir) {
            return hit.clone();
        }
        let result = match self.load_kustomization(dir) {
            Err(e) => Err(e),
            Ok(k) if k.is_component() => Err(vec![BuildIssue::invalid(
                k.root.get("kind").map_or(k.root.span, |n| n.span),
                true,
                format!("expected kind != 'Component' for path '{dir}'"),
            )]),
            Ok(k) => {
                let mut acc = Acc::default();
                stack.push(dir.to_string());
                self.accumulate_target(&k, &mut acc, stack);
                stack.pop();
                Ok(acc)
            }
        };
        let cyclic = matches!(&result, Ok(a) if a.cyclic);
        let result = Arc::new(result);
        if !cyclic {
            self.acc_cache.lock().expect("cache lock").insert(dir.to_string(), result.clone());
        }
        result
    }

    /// Read a file of the tree (YAML or other) as bytes; only files the walk listed.
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        if let Some(&i) = self.yaml.get(path) {
            return Ok(self.db.get(self.tree.files[i].id).text.as_bytes().to_vec());
        }
        if self.other.contains(path) {
            let disk = self.tree.root.join(path);
            return std::fs::read(&disk).map_err(|e| e.to_string());
        }
        Err("no such file in the tree".into())
    }

    /// The documents of a YAML file of the tree; `Err` when missing or broken.
    fn documents(&self, path: &str, span: Span) -> Result<Vec<Node>, BuildIssue> {
        let Some(&i) = self.yaml.get(path) else {
            let msg = if self.other.contains(path) {
                format!("{path} is not a .yaml/.yml file; fleetlint does not load it")
            } else {
                format!("{path}: no such file")
            };
            return Err(BuildIssue::invalid(span, !self.other.contains(path), msg));
        };
        let f = &self.tree.files[i];
        if f.yaml.is_broken() {
            let at = f.yaml.issues.iter().find(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar));
            return Err(BuildIssue::invalid(
                at.map_or(span, |i| i.span),
                true,
                format!("{path}: invalid YAML{}", at.map(|i| format!(": {:?}", i.kind)).unwrap_or_default()),
            ));
        }
        Ok(f.yaml.documents.iter().map(|d| d.root.clone()).filter(|r| !r.is_null()).collect())
    }

    fn load_resource_file(&self, path: &str, span: Span, acc: &mut Acc) {
        let docs = match self.documents(path, span) {
            Ok(d) => d,
            Err(e) => {
                if !e.fatal {
                    acc.incomplete = true;
                }
                acc.issues.push(e);
                return;
            }
        };
        for doc in docs {
            if doc.as_map().is_none() {
                acc.fatal(doc.span, format!("{path}: a resource must be a mapping"));
                continue;
            }
            if doc.get("kind").and_then(Node::as_str) == Some("List")
                || doc
                    .get("kind")
                    .and_then(Node::as_str)
                    .is_some_and(|k| k.ends_with("List") && doc.get("items").is_some())
            {
                for item in doc.get("items").and_then(Node::as_seq).unwrap_or_default() {
                    acc.append(Resource::new(item.clone()), span);
                }
                continue;
            }
            if doc.get("kind").and_then(Node::as_str).is_none_or(str::is_empty) {
                acc.fatal(doc.span, format!("{path}: missing kind in resource"));
                continue;
            }
            acc.append(Resource::new(doc), span);
        }
    }

    fn entry_dir(&self, k: &Kustomization, path: &str, span: Span, acc: &mut Acc) -> Option<String> {
        match join_path(&k.dir, path) {
            Some(p) => Some(p),
            None => {
                acc.issues.push(BuildIssue::invalid(
                    span,
                    false,
                    format!("{path} leaves the repository root; fleetlint does not read it"),
                ));
                acc.incomplete = true;
                None
            }
        }
    }

    fn remote(acc: &mut Acc, span: Span, path: &str) {
        acc.issues.push(BuildIssue {
            kind: BuildIssueKind::RemoteResource,
            message: format!("remote resource {path} is not fetched; the build result leaves it out"),
            span,
            fatal: false,
        });
        acc.incomplete = true;
    }

    fn cycle_check(stack: &[String], candidate: &str) -> bool {
        stack.iter().any(|visited| under(candidate, visited))
    }

    fn accumulate_resources(&self, k: &Kustomization, list: &[(String, Span)], acc: &mut Acc, stack: &mut Vec<String>) {
        for (path, span) in list {
            let Some(full) = self.entry_dir(k, path, *span, acc) else {
                if is_remote(path) {
                    acc.issues.pop();
                    Self::remote(acc, *span, path);
                }
                continue;
            };
            if self.yaml.contains_key(full.as_str()) || self.other.contains(full.as_str()) {
                self.load_resource_file(&full, *span, acc);
            } else if self.dirs.contains(&full) {
                if Self::cycle_check(stack, &full) {
                    acc.fatal(*span, format!("cycle detected: {path} contains or is an already visited directory"));
                    acc.cyclic = true;
                    continue;
                }
                let sub = self.accumulate_dir(&full, stack);
                match &*sub {
                    Ok(sub) => acc.absorb(sub, *span),
                    Err(issues) if issues.is_empty() => {
                        acc.fatal(
                            *span,
                            format!("accumulating resources from {path}: no kustomization file in the directory"),
                        );
                    }
                    Err(issues) => {
                        if issues.iter().any(|i| i.message.starts_with("expected kind != 'Component'")) {
                            acc.fatal(*span, format!("{path} is a Component; list it under components"));
                        } else {
                            acc.fatal(*span, format!("accumulating resources from {path}: invalid kustomization"));
                        }
                        acc.issues.extend(issues.iter().cloned());
                    }
                }
            } else if is_remote(path) {
                Self::remote(acc, *span, path);
            } else {
                acc.fatal(*span, format!("accumulating resources from {path}: no such file or directory"));
            }
        }
    }

    fn accumulate_target(&self, k: &Kustomization, acc: &mut Acc, stack: &mut Vec<String>) {
        let mut resources = k.str_list("resources");
        resources.extend(k.str_list("bases"));
        self.accumulate_resources(k, &resources, acc, stack);

        for (path, span) in k.str_list("configurations") {
            let Some(full) = self.entry_dir(k, &path, span, acc) else { continue };
            match self.documents(&full, span) {
                Ok(docs) => {
                    for d in docs {
                        acc.config.merge(&TransformerConfig::from_node(&d));
                    }
                }
                Err(e) => acc.issues.push(e),
            }
        }
        if let Some(crds) = k.root.get("crds").filter(|n| !n.is_null()) {
            acc.issues.push(BuildIssue::invalid(
                crds.span,
                false,
                "crds: name references into custom resources are not modelled",
            ));
            acc.incomplete = true;
        }

        self.run_generators(k, acc);

        for (path, span) in k.str_list("components") {
            let Some(full) = self.entry_dir(k, &path, span, acc) else {
                if is_remote(&path) {
                    acc.issues.pop();
                    Self::remote(acc, span, &path);
                }
                continue;
            };
            if !self.dirs.contains(&full) {
                if is_remote(&path) {
                    Self::remote(acc, span, &path);
                } else {
                    acc.fatal(span, format!("component {path}: no such directory"));
                }
                continue;
            }
            if Self::cycle_check(stack, &full) {
                acc.fatal(
                    span,
                    format!("cycle detected: component {path} contains or is an already visited directory"),
                );
                acc.cyclic = true;
                continue;
            }
            match self.load_kustomization(&full) {
                Ok(ck) if ck.is_component() => {
                    stack.push(full.clone());
                    self.accumulate_target(&ck, acc, stack);
                    stack.pop();
                }
                Ok(_) => acc.fatal(span, format!("expected kind 'Component' for path '{path}'")),
                Err(issues) if issues.is_empty() => acc.fatal(span, format!("component {path}: no kustomization file")),
                Err(issues) => {
                    acc.fatal(span, format!("component {path}: invalid kustomization"));
                    acc.issues.extend(issues);
                }
            }
        }

        self.run_transformers(k, acc);

        for key in ["transformers", "generators", "validators"] {
            if let Some(n) = k.root.get(key).filter(|n| n.as_seq().is_some_and(|s| !s.is_empty())) {
                acc.issues.push(BuildIssue::invalid(
                    n.span,
                    true,
                    format!("{key}: plugins are not executed (kustomize runs them only with plugins enabled)"),
                ));
                acc.incomplete = true;
            }
        }
        for key in ["helmCharts", "helmChartInflationGenerator"] {
            if let Some(n) = k.root.get(key).filter(|n| n.as_seq().is_some_and(|s| !s.is_empty())) {
                acc.issues.push(BuildIssue::invalid(n.span, true, format!("{key}: Helm charts are not inflated")));
                acc.incomplete = true;
            }
        }
        for v in k.seq("vars") {
            match vars::Var::from_node(v) {
                Ok(var) => {
                    vars::mark_referenced(&mut acc.resources, &var, &mut acc.issues);
                    vars::merge_var(&mut acc.vars, var, &mut acc.issues);
                }
                Err(e) => acc.issues.push(e),
            }
        }
    }

    fn run_generators(&self, k: &Kustomization, acc: &mut Acc) {
        let global = GenOptions::from_node(k.root.get("generatorOptions"));
        let read = |p: &str| self.read_file(p);
        for (key, secret) in [("configMapGenerator", false), ("secretGenerator", true)] {
            for entry in k.seq(key) {
                let Some(r) = generator::generate(secret, entry, &k.dir, &global, &read, &mut acc.issues) else {
                    continue;
                };
                absorb_generated(acc, r, entry.span);
            }
        }
    }

    fn patch_docs(&self, k: &Kustomization, entry: &Node, acc: &mut Acc) -> Option<Vec<Node>> {
        if let Some(p) = entry.get("path").and_then(Node::as_str) {
            let span = entry.get("path").map_or(entry.span, |n| n.span);
            let full = self.entry_dir(k, p, span, acc)?;
            return self.docs_any(&full, span, acc);
        }
        if let Some(inline) = entry.get("patch") {
            return Some(inline_docs(inline));
        }
        acc.fatal(entry.span, "patch has neither path nor patch");
        None
    }

    /// Documents of a file given by path, reading non-`.yaml` files (JSON patches) from disk.
    fn docs_any(&self, full: &str, span: Span, acc: &mut Acc) -> Option<Vec<Node>> {
        if self.yaml.contains_key(full) {
            return match self.documents(full, span) {
                Ok(d) => Some(d),
                Err(e) => {
                    acc.issues.push(e);
                    None
                }
            };
        }
        match self.read_file(full) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let parsed = parse_yaml(span.file, &text, &fleetlint_yaml::Limits::default());
                if parsed.is_broken() {
                    acc.fatal(span, format!("{full}: invalid YAML"));
                    return None;
                }
                Some(parsed.documents.into_iter().map(|d| respan(d.root, span)).filter(|r| !r.is_null()).collect())
            }
            Err(e) => {
                acc.fatal(span, format!("{full}: {e}"));
                None
            }
        }
    }

    fn run_transformers(&self, k: &Kustomization, acc: &mut Acc) {
        let tc = effective_config(&acc.config).into_owned();

        // patchesStrategicMerge
        for entry in k.seq("patchesStrategicMerge") {
            let Some(text) = entry.as_str() else { continue };
            let docs = if !text.contains('\n') && !text.trim_start().starts_with('{') {
                let Some(full) = self.entry_dir(k, text, entry.span, acc) else { continue };
                match self.docs_any(&full, entry.span, acc) {
                    Some(d) => d,
                    None => continue,
                }
            } else {
                inline_docs(entry)
            };
            for d in docs {
                apply_smp_by_id(acc, &d, entry.span, false, false);
            }
        }

        // patches
        for entry in k.seq("patches") {
            let Some(docs) = self.patch_docs(k, entry, acc) else { continue };
            let opts = entry.get("options");
            let allow_name = opts.and_then(|o| o.get("allowNameChange")).and_then(Node::as_bool).unwrap_or(false);
            let allow_kind = opts.and_then(|o| o.get("allowKindChange")).and_then(Node::as_bool).unwrap_or(false);
            let target = entry.get("target").filter(|t| !t.is_null());
            let json = patches::is_json6902(&docs);
            match (target, json) {
                (None, true) => acc.fatal(entry.span, "must specify a target for JSON patch"),
                (None, false) => {
                    for d in &docs {
                        apply_smp_by_id(acc, d, entry.span, allow_name, allow_kind);
                    }
                }
                (Some(t), json) => {
                    let sel = match Selector::from_node(t) {
                        Ok(s) => s,
                        Err(e) => {
                            acc.fatal(t.span, format!("invalid patch target: {e}"));
                            continue;
                        }
                    };
                    let selected: Vec<usize> =
                        (0..acc.resources.len()).filter(|&i| sel.matches(&acc.resources[i])).collect();
                    if selected.is_empty() {
                        acc.issues.push(BuildIssue {
                            kind: BuildIssueKind::PatchTargetUnmatched,
                            message: "patch target matches no resource".into(),
                            span: t.span,
                            fatal: false,
                        });
                        continue;
                    }
                    if json {
                        for i in selected {
                            let r = &mut acc.resources[i];
                            r.store_previous_id();
                            if let Err((e, _)) = patches::apply_json6902(&mut r.root, &docs[0]) {
                                acc.issues.push(BuildIssue::invalid(
                                    entry.span,
                                    true,
                                    format!("JSON patch failed: {e}"),
                                ));
                            }
                        }
                    } else {
                        for d in &docs {
                            apply_smp_to(acc, &selected, d, entry.span, allow_name, allow_kind);
                        }
                    }
                }
            }
        }

        if let Some((ns, span)) = k.str_field("namespace").filter(|(s, _)| !s.is_empty()) {
            let issues = transform::namespace(&mut acc.resources, &Spanned { text: ns.to_string(), span }, &tc);
            acc.issues.extend(issues);
        }
        if let Some((p, span)) = k.str_field("namePrefix").filter(|(s, _)| !s.is_empty()) {
            transform::name_affix(&mut acc.resources, &Spanned { text: p.to_string(), span }, false, &tc.name_prefix);
        }
        if let Some((p, span)) = k.str_field("nameSuffix").filter(|(s, _)| !s.is_empty()) {
            transform::name_affix(&mut acc.resources, &Spanned { text: p.to_string(), span }, true, &tc.name_suffix);
        }

        // labels, then commonLabels
        for entry in k.seq("labels") {
            let pairs = pairs(entry.get("pairs"));
            let mut specs: Vec<FieldSpec> = entry
                .get("fields")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(FieldSpec::from_node)
                .collect();
            let flag = |key: &str| entry.get(key).and_then(Node::as_bool).unwrap_or(false);
            if flag("includeSelectors") {
                merge_specs(&mut specs, &tc.common_labels);
            } else {
                merge_specs(
                    &mut specs,
                    &[FieldSpec {
                        gvk: Default::default(),
                        path: crate::fieldspec::split_path("metadata/labels"),
                        path_text: "metadata/labels".into(),
                        create: true,
                    }],
                );
                if flag("includeTemplates") {
                    merge_specs(&mut specs, &tc.template_labels);
                }
            }
            transform::set_map_fields(&mut acc.resources, &pairs, &specs, entry.span);
        }
        if let Some(cl) = k.root.get("commonLabels") {
            transform::set_map_fields(&mut acc.resources, &pairs(Some(cl)), &tc.common_labels, cl.span);
        }
        if let Some(ca) = k.root.get("commonAnnotations") {
            transform::set_map_fields(&mut acc.resources, &pairs(Some(ca)), &tc.common_annotations, ca.span);
        }

        // patchesJson6902
        for entry in k.seq("patchesJson6902") {
            let Some(docs) = self.patch_docs(k, entry, acc) else { continue };
            let Some(t) = entry.get("target") else {
                acc.fatal(entry.span, "must specify a target for patch");
                continue;
            };
            let sel = match Selector::from_node(t) {
                Ok(s) => s,
                Err(e) => {
                    acc.fatal(t.span, format!("invalid patch target: {e}"));
                    continue;
                }
            };
            let ops = docs.into_iter().next().unwrap_or_else(|| crate::fieldspec::null_node(entry.span));
            for i in 0..acc.resources.len() {
                if sel.matches(&acc.resources[i])
                    && let Err((e, _)) = patches::apply_json6902(&mut acc.resources[i].root, &ops)
                {
                    acc.issues.push(BuildIssue::invalid(entry.span, true, format!("JSON patch failed: {e}")));
                }
            }
        }

        for entry in k.seq("replicas") {
            let name = entry.get("name").and_then(Node::as_str).unwrap_or("").to_string();
            let count_node = entry.get("count");
            let count = match count_node.map(|n| n.to_json()) {
                Some(serde_json::Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or(0),
                None => 0,
                _ => {
                    acc.fatal(entry.span, "replicas: count must be an integer");
                    continue;
                }
            };
            let spec =
                ReplicaSpec { name, count, span: entry.span, count_span: count_node.map_or(entry.span, |n| n.span) };
            if let Some(issue) = transform::replicas(&mut acc.resources, &spec, &tc.replicas) {
                acc.issues.push(issue);
            }
        }

        let mut images = Vec::new();
        for entry in k.seq("images").iter().chain(k.seq("imageTags")) {
            let get = |key: &str| -> Result<Option<String>, ()> {
                match entry.get(key) {
                    None => Ok(None),
                    Some(n) if n.is_null() => Ok(None),
                    Some(n) => match n.as_scalar() {
                        Some(s) if s.value == fleetlint_yaml::ScalarValue::Str => Ok(Some(s.text.to_string())),
                        _ => Err(()),
                    },
                }
            };
            match (get("name"), get("newName"), get("newTag"), get("digest")) {
                (Ok(name), Ok(new_name), Ok(new_tag), Ok(digest)) => images.push(ImageSpec {
                    matcher: transform::image_regex(&name.unwrap_or_default()),
                    new_name,
                    new_tag,
                    digest,
                    span: entry.span,
                }),
                _ => acc.fatal(entry.span, "invalid image entry: values must be strings (quote numeric tags)"),
            }
        }
        transform::images(&mut acc.resources, &images);

        if !k.seq("replacements").is_empty() {
            let mut list = Vec::new();
            for entry in k.seq("replacements") {
                if let Some(p) = entry.get("path").and_then(Node::as_str) {
                    let span = entry.get("path").map_or(entry.span, |n| n.span);
                    let Some(full) = self.entry_dir(k, p, span, acc) else { continue };
                    if let Some(docs) = self.docs_any(&full, span, acc) {
                        for d in docs {
                            match d.as_seq() {
                                Some(items) => list.extend(items.iter().cloned()),
                                None => list.push(d),
                            }
                        }
                    }
                } else {
                    list.push(entry.clone());
                }
            }
            let issues = replacements::apply(&mut acc.resources, &list);
            acc.issues.extend(issues);
        }
    }
}

fn merge_specs(into: &mut Vec<FieldSpec>, more: &[FieldSpec]) {
    for fs in more {
        if !into.contains(fs) {
            into.push(fs.clone());
        }
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

fn dedup_issues(issues: &mut Vec<BuildIssue>) {
    let mut seen = HashSet::new();
    issues.retain(|i| seen.insert((i.span, i.message.clone())));
}

/// Give every node of `node` the span `span` (for content read from files outside the db).
fn respan(mut node: Node, span: Span) -> Node {
    node.span = span;
    match &mut node.kind {
        fleetlint_yaml::NodeKind::Map(entries) => {
            for e in entries {
                e.key = respan(std::mem::replace(&mut e.key, crate::fieldspec::null_node(span)), span);
                e.value = respan(std::mem::replace(&mut e.value, crate::fieldspec::null_node(span)), span);
            }
        }
        fleetlint_yaml::NodeKind::Seq(items) => {
            for i in items {
                *i = respan(std::mem::replace(i, crate::fieldspec::null_node(span)), span);
            }
        }
        fleetlint_yaml::NodeKind::Scalar(_) => {}
    }
    node
}

/// Parse an inline patch (a string scalar of the kustomization) into documents whose spans
/// point into the kustomization file. Block scalars map line by line; other styles get the
/// scalar's span.
fn inline_docs(scalar: &Node) -> Vec<Node> {
    let Some(s) = scalar.as_scalar() else {
        // An inline patch written as a YAML mapping/sequence rather than a string.
        return vec![scalar.clone()];
    };
    let parsed = parse_yaml(scalar.span.file, &s.text, &fleetlint_yaml::Limits::default());
    parsed.documents.into_iter().map(|d| respan(d.root, scalar.span)).filter(|r| !r.is_null()).collect()
}

fn patch_id(d: &Node) -> ResId {
    let r = Resource::new(d.clone());
    r.cur_id()
}

fn apply_smp_by_id(acc: &mut Acc, patch: &Node, span: Span, allow_name: bool, allow_kind: bool) {
    let id = patch_id(patch);
    let matches: Vec<usize> =
        (0..acc.resources.len()).filter(|&i| acc.resources[i].any_ids().any(|rid| rid.equals(&id))).collect();
    match matches.len() {
        1 => apply_smp_to(acc, &matches, patch, span, allow_name, allow_kind),
        0 => acc.fatal(span, format!("no matches for Id {}; failed to find unique target for patch", id.describe())),
        _ => acc
            .fatal(span, format!("multiple matches for Id {}; failed to find unique target for patch", id.describe())),
    }
}

fn apply_smp_to(acc: &mut Acc, selected: &[usize], patch: &Node, span: Span, allow_name: bool, allow_kind: bool) {
    let mut deleted = Vec::new();
    for &i in selected {
        let r = &mut acc.resources[i];
        if allow_name || allow_kind {
            r.store_previous_id();
        }
        // kustomize gives the patch the target's apiVersion before merging.
        let mut p = patch.clone();
        if let Some(a) = r.root.get("apiVersion").cloned()
            && p.get("apiVersion").is_some()
        {
            set_entry(&mut p, "apiVersion", a.clone(), a.span);
        }
        match patches::apply_strategic_merge(&mut r.root, &p, allow_name, allow_kind) {
            Ok(true) => deleted.push(i),
            Ok(false) => {}
            Err((msg, at)) => {
                acc.issues.push(BuildIssue::invalid(span, true, format!("strategic merge patch failed: {msg}")));
                if at != span {
                    acc.issues.push(BuildIssue::invalid(at, true, format!("strategic merge patch failed here: {msg}")));
                }
            }
        }
    }
    for i in deleted.into_iter().rev() {
        acc.resources.remove(i);
    }
}

fn absorb_generated(acc: &mut Acc, mut r: Resource, span: Span) {
    let id = r.cur_id();
    let matches: Vec<usize> =
        (0..acc.resources.len()).filter(|&i| acc.resources[i].any_ids().any(|rid| rid.equals(&id))).collect();
    match (matches.len(), r.behavior) {
        (0, Behavior::Create) => acc.resources.push(r),
        (0, _) => acc.fatal(span, format!("id {} does not exist; cannot merge or replace", id.describe())),
        (1, Behavior::Create) => {
            acc.fatal(span, format!("id {} exists; behavior must be merge or replace", id.describe()));
        }
        (1, behavior) => {
            let old = &acc.resources[matches[0]];
            // CopyMergeMetaDataFieldsFrom: labels and annotations merged (new wins), the old
            // name and namespace kept, with the old identity history.
            for key in ["labels", "annotations"] {
                if let Some(old_map) = old.root.get_path(&["metadata", key]).and_then(Node::as_map) {
                    let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
                    let m = crate::resource::ensure_map_entry(meta, key, span);
                    for e in old_map {
                        let k = e.key.as_str().unwrap_or("");
                        if m.get(k).is_none() {
                            set_entry(m, k, e.value.clone(), e.key.span);
                        }
                    }
                }
            }
            if let Some(n) = old.root.get_path(&["metadata", "name"]).cloned() {
                let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
                set_entry(meta, "name", n.clone(), n.span);
            }
            let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
            match old.root.get_path(&["metadata", "namespace"]).cloned() {
                Some(n) => set_entry(meta, "namespace", n.clone(), n.span),
                None => crate::resource::remove_entry(meta, "namespace"),
            }
            if behavior == Behavior::Merge {
                for key in ["data", "binaryData"] {
                    if let Some(old_map) = old.root.get(key).and_then(Node::as_map) {
                        let m = crate::resource::ensure_map_entry(&mut r.root, key, span);
                        let mut merged: Vec<fleetlint_yaml::Entry> = old_map.to_vec();
                        for e in m.as_map().unwrap_or_default() {
                            let k = e.key.as_str().unwrap_or("");
                            if let Some(x) = merged.iter_mut().find(|x| x.key.as_str() == Some(k)) {
                                *x = e.clone();
                            } else {
                                merged.push(e.clone());
                            }
                        }
                        m.kind = fleetlint_yaml::NodeKind::Map(merged);
                    }
                }
            }
            r.prev_ids = old.prev_ids.clone();
            r.prefixes = old.prefixes.clone();
            r.suffixes = old.suffixes.clone();
            r.ref_var_names = old.ref_var_names.clone();
            r.needs_hash = r.needs_hash || old.needs_hash;
            r.behavior = Behavior::Create;
            acc.resources[matches[0]] = r;
        }
        _ => acc.fatal(span, format!("found multiple objects that could accept merge of {}", id.describe())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(join_path("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join_path("a", "../../c"), None);
        assert_eq!(join_path("", "./x.yaml").as_deref(), Some("x.yaml"));
        assert!(is_remote("github.com/fluxcd/flux2/manifests/install?ref=v0.35.0"));
        assert!(is_remote("https://example.com/x.yaml"));
        assert!(!is_remote("deploy.yaml"));
        assert!(!is_remote("../base"));
    }
}
