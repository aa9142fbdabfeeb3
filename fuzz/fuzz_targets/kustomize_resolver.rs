//! The kustomization resolver on a small in-memory tree built from structured input: a few
//! directories holding kustomizations (resources, components, patches, generators, transformers,
//! replacements, with paths that point anywhere, cycles included) and resources. Every directory
//! is built as kustomize would and as kustomize-controller would (with Flux fields); nothing may
//! panic, and a successful build prints YAML that parses again into the same number of objects.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use fleetlint_fleet::TreeView;
use fleetlint_kustomize::Resolver;
use fleetlint_yaml::SourceIgnore;
use fleetlint_yaml::{FileId, Limits, LoadedFile, LoadedTree, Node, FileDb, TextFile, Span, parse_yaml};
use libfuzzer_sys::fuzz_target;

const DIRS: [&str; 6] = ["", "base", "base/nested", "overlay", "comp", "overlay/deep"];
const FILES: [&str; 6] = ["kustomization.yaml", "a.yaml", "b.yaml", "patch.yaml", "Kustomization", "kustomization.yml"];
const NAMES: [&str; 6] = ["app", "web", "db", "flux-system", "default", "x"];
const KINDS: [&str; 9] = [
    "ConfigMap",
    "Deployment",
    "Service",
    "Namespace",
    "Secret",
    "ServiceAccount",
    "RoleBinding",
    "Kustomization",
    "Widget",
];
const POINTERS: [&str; 10] = [
    "/data/a",
    "/data",
    "/metadata/name",
    "/metadata/labels/x",
    "/spec/template/spec/containers/0/image",
    "/spec/template/spec/containers/-",
    "/spec/replicas",
    "/",
    "",
    "/data/~1x~0",
];

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Any(String),
}

impl Text {
    fn get(&self, set: &[&str]) -> String {
        match self {
            Text::Known(i) => set[*i as usize % set.len()].to_string(),
            Text::Any(s) => s.clone(),
        }
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[derive(Arbitrary, Debug)]
enum PathRef {
    Dir(u8),
    File(u8, u8),
    Parent(u8),
    Dot,
    Remote,
    Absolute,
    Any(String),
}

impl PathRef {
    fn render(&self, from: &str) -> String {
        let up = |to: &str| {
            let depth = if from.is_empty() { 0 } else { from.split('/').count() };
            let mut s = "../".repeat(depth);
            s.push_str(to);
            if s.is_empty() { ".".to_string() } else { s }
        };
        match self {
            PathRef::Dir(d) => up(DIRS[*d as usize % DIRS.len()]),
            PathRef::File(d, f) => {
                let dir = DIRS[*d as usize % DIRS.len()];
                let file = FILES[*f as usize % FILES.len()];
                up(&if dir.is_empty() { file.to_string() } else { format!("{dir}/{file}") })
            }
            PathRef::Parent(n) => "../".repeat(*n as usize % 4 + 1),
            PathRef::Dot => ".".into(),
            PathRef::Remote => "https://example.com/x.yaml".into(),
            PathRef::Absolute => "/etc/passwd".into(),
            PathRef::Any(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Res {
    kind: Text,
    name: Text,
    namespace: Option<Text>,
    data: Vec<(Text, Text)>,
    image: Option<Text>,
    labels: Vec<(Text, Text)>,
    patch_directive: Option<u8>,
}

impl Res {
    fn render(&self) -> String {
        let kind = self.kind.get(&KINDS);
        let api = match kind.as_str() {
            "Deployment" => "apps/v1",
            "RoleBinding" => "rbac.authorization.k8s.io/v1",
            "Kustomization" => "kustomize.toolkit.fluxcd.io/v1",
            "Widget" => "example.com/v1",
            _ => "v1",
        };
        let mut s =
            format!("apiVersion: {api}\nkind: {}\nmetadata:\n  name: {}\n", q(&kind), q(&self.name.get(&NAMES)));
        if let Some(ns) = &self.namespace {
            s.push_str(&format!("  namespace: {}\n", q(&ns.get(&NAMES))));
        }
        if !self.labels.is_empty() {
            s.push_str("  labels:\n");
            for (k, v) in &self.labels {
                s.push_str(&format!("    {}: {}\n", q(&k.get(&NAMES)), q(&v.get(&NAMES))));
            }
        }
        if let Some(d) = self.patch_directive {
            let directive = ["replace", "delete", "merge", "retainKeys"][d as usize % 4];
            s.push_str(&format!("$patch: {directive}\n"));
        }
        if !self.data.is_empty() {
            s.push_str("data:\n");
            for (k, v) in &self.data {
                s.push_str(&format!("  {}: {}\n", q(&k.get(&NAMES)), q(&v.get(&NAMES))));
            }
        }
        if let Some(image) = &self.image {
            s.push_str(&format!(
                "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {}\n",
                q(&image.get(&NAMES))
            ));
        }
        s
    }
}

#[derive(Arbitrary, Debug)]
struct Op {
    op: u8,
    path: Text,
    from: Text,
    value: Text,
}

#[derive(Arbitrary, Debug)]
enum Patch {
    Smp { res: Res, target: Option<Target> },
    Json { ops: Vec<Op>, target: Target },
    File { path: PathRef, target: Option<Target> },
}

#[derive(Arbitrary, Debug)]
struct Target {
    kind: Option<Text>,
    name: Option<Text>,
    label_selector: Option<Text>,
}

impl Target {
    fn render(&self, indent: &str) -> String {
        let mut s = format!("{indent}target:\n");
        if let Some(k) = &self.kind {
            s.push_str(&format!("{indent}  kind: {}\n", q(&k.get(&KINDS))));
        }
        if let Some(n) = &self.name {
            s.push_str(&format!("{indent}  name: {}\n", q(&n.get(&NAMES))));
        }
        if let Some(l) = &self.label_selector {
            s.push_str(&format!("{indent}  labelSelector: {}\n", q(&l.get(&["app=web", "x in (a,b)", "!x"]))));
        }
        s
    }
}

fn block(text: &str, indent: &str) -> String {
    text.lines().map(|l| format!("{indent}{l}\n")).collect()
}

#[derive(Arbitrary, Debug)]
struct Kust {
    component: bool,
    resources: Vec<PathRef>,
    components: Vec<PathRef>,
    namespace: Option<Text>,
    name_prefix: Option<Text>,
    name_suffix: Option<Text>,
    labels: Vec<(Text, Text)>,
    images: Vec<(Text, Option<Text>, Option<Text>)>,
    replicas: Vec<(Text, u8)>,
    patches: Vec<Patch>,
    generators: Vec<(bool, Text, Vec<(Text, Text)>, Vec<PathRef>, Option<u8>)>,
    replacements: Vec<(Text, Text, Text, Text, bool)>,
    extra: Option<String>,
}

impl Kust {
    fn render(&self, dir: &str) -> String {
        let mut s = String::new();
        if self.component {
            s.push_str("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n");
        }
        let list = |s: &mut String, key: &str, items: &[PathRef]| {
            if !items.is_empty() {
                s.push_str(&format!("{key}:\n"));
                for p in items {
                    s.push_str(&format!("- {}\n", q(&p.render(dir))));
                }
            }
        };
        list(&mut s, "resources", &self.resources);
        list(&mut s, "components", &self.components);
        for (key, v) in
            [("namespace", &self.namespace), ("namePrefix", &self.name_prefix), ("nameSuffix", &self.name_suffix)]
        {
            if let Some(v) = v {
                s.push_str(&format!("{key}: {}\n", q(&v.get(&NAMES))));
            }
        }
        if !self.labels.is_empty() {
            s.push_str("labels:\n- includeSelectors: true\n  pairs:\n");
            for (k, v) in &self.labels {
                s.push_str(&format!("    {}: {}\n", q(&k.get(&NAMES)), q(&v.get(&NAMES))));
            }
        }
        if !self.images.is_empty() {
            s.push_str("images:\n");
            for (name, tag, new_name) in &self.images {
                s.push_str(&format!("- name: {}\n", q(&name.get(&NAMES))));
                if let Some(t) = tag {
                    s.push_str(&format!("  newTag: {}\n", q(&t.get(&["v1", "latest", "1.0"]))));
                }
                if let Some(n) = new_name {
                    s.push_str(&format!("  newName: {}\n", q(&n.get(&NAMES))));
                }
            }
        }
        if !self.replicas.is_empty() {
            s.push_str("replicas:\n");
            for (name, n) in &self.replicas {
                s.push_str(&format!("- name: {}\n  count: {n}\n", q(&name.get(&NAMES))));
            }
        }
        if !self.patches.is_empty() {
            s.push_str("patches:\n");
            for p in &self.patches {
                match p {
                    Patch::Smp { res, target } => {
                        s.push_str("- patch: |-\n");
                        s.push_str(&block(&res.render(), "    "));
                        if let Some(t) = target {
                            s.push_str(&t.render("  "));
                        }
                    }
                    Patch::Json { ops, target } => {
                        s.push_str("- patch: |-\n");
                        for o in ops {
                            let op = ["add", "remove", "replace", "copy", "move", "test"][o.op as usize % 6];
                            s.push_str(&format!("    - op: {op}\n      path: {}\n", q(&o.path.get(&POINTERS))));
                            if matches!(op, "copy" | "move") {
                                s.push_str(&format!("      from: {}\n", q(&o.from.get(&POINTERS))));
                            } else {
                                s.push_str(&format!("      value: {}\n", q(&o.value.get(&NAMES))));
                            }
                        }
                        s.push_str(&target.render("  "));
                    }
                    Patch::File { path, target } => {
                        s.push_str(&format!("- path: {}\n", q(&path.render(dir))));
                        if let Some(t) = target {
                            s.push_str(&t.render("  "));
                        }
                    }
                }
            }
        }
        if !self.generators.is_empty() {
            for (secret, name, literals, files, behavior) in &self.generators {
                s.push_str(if *secret { "secretGenerator:\n" } else { "configMapGenerator:\n" });
                s.push_str(&format!("- name: {}\n", q(&name.get(&NAMES))));
                if let Some(b) = behavior {
                    s.push_str(&format!("  behavior: {}\n", ["create", "merge", "replace", "bogus"][*b as usize % 4]));
                }
                if !literals.is_empty() {
                    s.push_str("  literals:\n");
                    for (k, v) in literals {
                        s.push_str(&format!("  - {}\n", q(&format!("{}={}", k.get(&NAMES), v.get(&NAMES)))));
                    }
                }
                if !files.is_empty() {
                    s.push_str("  files:\n");
                    for f in files {
                        s.push_str(&format!("  - {}\n", q(&f.render(dir))));
                    }
                }
            }
        }
        if !self.replacements.is_empty() {
            s.push_str("replacements:\n");
            for (kind, name, field, target_field, create) in &self.replacements {
                s.push_str(&format!(
                    "- source:\n    kind: {}\n    name: {}\n    fieldPath: {}\n  targets:\n  - select:\n      kind: {}\n    fieldPaths:\n    - {}\n    options:\n      create: {create}\n",
                    q(&kind.get(&KINDS)),
                    q(&name.get(&NAMES)),
                    q(&field.get(&["metadata.name", "data.a", "spec.replicas", "data"])),
                    q(&kind.get(&KINDS)),
                    q(&target_field.get(&["data.b", "metadata.labels.x", "spec.template.spec.containers.[name=app].image", "data"])),
                ));
            }
        }
        if let Some(extra) = &self.extra {
            s.push_str(extra);
        }
        s
    }
}

#[derive(Arbitrary, Debug)]
enum Content {
    Kustomization(Kust),
    Resources(Vec<Res>),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    files: Vec<(u8, u8, Content)>,
    /// Flux fields for the kustomize-controller build of each directory.
    flux: Option<(Option<Text>, Option<Text>, Vec<PathRef>)>,
}

/// Seeds from the repository's testdata are plain trees: `=== path` lines, each followed by
/// that file's text (see `fuzz/seed.sh`); anything else is structured input.
fn seed_tree(data: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(data.strip_prefix(b"=== ")?).ok()?;
    let mut files = Vec::new();
    for chunk in format!("\n{text}").split("\n=== ").skip(1) {
        let (path, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        files.push((path.to_string(), body.to_string()));
    }
    Some(files)
}

fn structured(input: &Input) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (d, f, content) in &input.files {
        let dir = DIRS[*d as usize % DIRS.len()];
        let name = FILES[*f as usize % FILES.len()];
        let path = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
        let text = match content {
            Content::Kustomization(k) => k.render(dir),
            Content::Resources(rs) => rs.iter().map(Res::render).collect::<Vec<_>>().join("---\n"),
            Content::Raw(s) => s.clone(),
        };
        out.push((path, text));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (tree_files, flux) = match seed_tree(data) {
        Some(files) => (files, None),
        None => {
            let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else { return };
            if input.files.len() > 12 {
                return;
            }
            (structured(&input), input.flux)
        }
    };
    // FLEETLINT_FUZZ_DUMP=1 prints the tree (to turn a crash into a regression test).
    if std::env::var_os("FLEETLINT_FUZZ_DUMP").is_some() {
        for (path, text) in &tree_files {
            eprintln!("=== {path}\n{text}");
        }
        if let Some(flux) = &flux {
            eprintln!("flux: {flux:?}");
        }
    }
    let mut db = FileDb::new();
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut dirs: Vec<String> = DIRS.iter().map(|d| (*d).to_string()).collect();
    for (path, text) in tree_files {
        if !seen.insert(path.clone())
            || path.is_empty()
            || path.starts_with('/')
            || path.split('/').any(|p| p == ".." || p == "." || p.is_empty())
        {
            continue;
        }
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
        let id = FileId(u32::try_from(db.len()).unwrap());
        let yaml = parse_yaml(id, &text, &Limits::default());
        db.add(TextFile::new(path.clone(), None, path.into(), Arc::from(text)));
        files.push(LoadedFile { id, yaml, ignored: None });
    }
    files.sort_by(|a, b| db.get(a.id).path.cmp(&db.get(b.id).path));
    let tree = LoadedTree {
        root: "/nonexistent-fuzz-root".into(),
        mapping: None,
        files,
        other_files: Vec::new(),
        skipped: Vec::new(),
        source_ignore: SourceIgnore::new(&[], None),
        sourceignore_files: Vec::new(),
    };
    // The Flux specs live in the database (their spans are looked up), outside the tree.
    let mut specs = Vec::new();
    if let Some((ns, prefix, components)) = &flux {
        for dir in &dirs {
            let mut spec = format!("path: ./{dir}\n");
            if let Some(ns) = ns {
                spec.push_str(&format!("targetNamespace: {}\n", q(&ns.get(&NAMES))));
            }
            if let Some(p) = prefix {
                spec.push_str(&format!("namePrefix: {}\n", q(&p.get(&NAMES))));
            }
            if !components.is_empty() {
                spec.push_str("components:\n");
                for c in components {
                    spec.push_str(&format!("- {}\n", q(&c.render(""))));
                }
            }
            let id = FileId(u32::try_from(db.len()).unwrap());
            let parsed = parse_yaml(id, &spec, &Limits::default());
            db.add(TextFile::new(format!("flux/{dir}.yaml"), None, "flux.yaml".into(), Arc::from(spec)));
            let root = parsed.documents.first().map(|d| d.root.clone()).filter(|r| r.as_map().is_some());
            specs.push(root.unwrap_or_else(|| Node::map(Span::empty(id, 0))));
        }
    }
    let resolver = Resolver::new(&tree, &db);
    let view = TreeView::new(&tree, &db);
    for (i, dir) in dirs.iter().enumerate() {
        let out = resolver.build(dir);
        if !out.fails() {
            let text = fleetlint_kustomize::to_yaml(&out.resources, Some(&db));
            let again = parse_yaml(FileId(0), &text, &Limits::default());
            assert!(!again.is_broken(), "build output does not parse: {:?}\n{text}", again.issues);
            let docs = again.documents.iter().filter(|d| !d.root.is_null()).count();
            assert_eq!(docs, out.resources.len(), "{text}");
        }
        if let Some(spec) = specs.get(i) {
            let _ = fleetlint_fleet::build_flux_path(&resolver, &view, dir, spec);
        }
    }
});
