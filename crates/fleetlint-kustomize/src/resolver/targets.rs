//! The objects a patch applies to, found through an index instead of a scan: a kustomization
//! with N resources and N patches resolves in O(N log N), not O(N²).
//!
//! kustomize scans every accumulated object per patch (kubernetes-sigs/kustomize@12f9e63
//! `api/resmap/reswrangler.go`: `GetById` over `GetMatchingResourcesByAnyId` for a patch
//! without a target, `Select` for a `target:`). The index narrows that scan to the objects
//! that could match, and each candidate is then tested exactly as kustomize tests it
//! ([`ResId::equals`] on every id an object has had; [`Selector::matches`]), so what matches is
//! unchanged; only which objects are looked at changes. Keys are hashes of borrowed id parts,
//! so nothing of an id is cloned to index it; a hash collision only adds a candidate that the
//! exact test then rejects.
//!
//! What is indexed, for every object, is a superset of what either test can match on:
//! - `GetById` compares the patch's id with each id the object has had (`PrevIds()` and
//!   `CurId()`): name, effective namespace, kind, and the (name, namespace) pair of each id;
//! - `Select` compares the selector's name with the original and the current name, its
//!   namespace with their effective namespaces, in any combination (`OrgId()`, `CurId()`), and
//!   its kind with the current kind: the pairs (original or current name, original or current
//!   namespace) are indexed too.
//!
//! A selector field is looked up only when it is a plain name ([`Selector::plain_name`] and its kind and namespace twins); a real
//! regular expression, a label or an annotation selector is tested on the candidates of the
//! plain fields, or on every object when no field is plain. Objects a patch deletes stay in
//! place, marked, until [`TargetIndex::compact`], so indices remain valid during a phase.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::resource::{ResId, Resource, effective_namespace};
use crate::selector::Selector;

/// The index over the accumulated objects of one transformer phase.
pub(super) struct TargetIndex {
    lists: HashMap<u64, Vec<u32>, BuildHasherDefault<FxHasher>>,
    removed: Vec<bool>,
    any_removed: bool,
}

/// Borrowed parts of an id.
#[derive(Clone, Copy)]
struct IdRef<'a> {
    kind: &'a str,
    name: &'a str,
    /// The effective namespace.
    namespace: &'a str,
}

#[derive(Hash)]
enum Key<'a> {
    Name(&'a str),
    Namespace(&'a str),
    Kind(&'a str),
    NameNamespace(&'a str, &'a str),
}

/// rustc's FxHash: a multiply and a rotate per word. Not resistant to crafted collisions, which
/// here only make a lookup return more candidates for the exact test, not a wrong answer.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn hash(key: &Key<'_>) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn current(r: &Resource) -> IdRef<'_> {
    let kind = r.kind();
    IdRef { kind, name: r.name(), namespace: effective_namespace(group_of(r.api_version()), kind, r.namespace()) }
}

fn previous(id: &ResId) -> IdRef<'_> {
    IdRef { kind: &id.gvk.kind, name: &id.name, namespace: id.effective_namespace() }
}

/// `id` equals one of the ids `r` has had (kustomize `GetMatchingResourcesByAnyId(id.Equals)`),
/// without building the current id.
fn has_id(r: &Resource, id: &ResId) -> bool {
    if r.prev_ids.iter().any(|p| p.equals(id)) {
        return true;
    }
    let (group, version) = r.api_version().rsplit_once('/').unwrap_or(("", r.api_version()));
    let cur = current(r);
    cur.name == id.name
        && cur.kind == id.gvk.kind
        && group == id.gvk.group
        && version == id.gvk.version
        && cur.namespace == id.effective_namespace()
}

impl TargetIndex {
    /// Index `resources`.
    pub(super) fn new(resources: &[Resource]) -> Self {
        let mut ix = Self { lists: HashMap::default(), removed: vec![false; resources.len()], any_removed: false };
        for (i, r) in resources.iter().enumerate() {
            ix.add_all(i, r);
        }
        ix
    }

    /// The index in `slot`, built over `resources` when there is none yet (a phase indexes its
    /// objects only when it has a patch to match).
    pub(super) fn ensure<'s>(slot: &'s mut Option<Self>, resources: &[Resource]) -> &'s mut Self {
        slot.get_or_insert_with(|| Self::new(resources))
    }

    fn add(&mut self, key: &Key<'_>, i: usize) {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let list = self.lists.entry(hash(key)).or_default();
        if list.last() != Some(&i) {
            list.push(i);
        }
    }

    fn add_id(&mut self, i: usize, id: IdRef<'_>) {
        self.add(&Key::Name(id.name), i);
        self.add(&Key::Namespace(id.namespace), i);
        self.add(&Key::Kind(id.kind), i);
        self.add(&Key::NameNamespace(id.name, id.namespace), i);
    }

    /// The keys of the current id, and its pairs with the original one.
    fn add_current(&mut self, i: usize, r: &Resource) {
        let cur = current(r);
        self.add_id(i, cur);
        if let Some(org) = r.prev_ids.first().map(previous) {
            self.add(&Key::NameNamespace(org.name, cur.namespace), i);
            self.add(&Key::NameNamespace(cur.name, org.namespace), i);
        }
    }

    fn add_all(&mut self, i: usize, r: &Resource) {
        for id in &r.prev_ids {
            self.add_id(i, previous(id));
        }
        self.add_current(i, r);
    }

    /// Object `i` was changed (a patch may rename it, move it or change its kind): index its
    /// current id too. Keys of ids it no longer has stay; the exact test rejects them.
    pub(super) fn changed(&mut self, i: usize, r: &Resource) {
        self.add_current(i, r);
    }

    /// The last of `resources` was just appended.
    pub(super) fn pushed(&mut self, resources: &[Resource]) {
        if let Some(r) = resources.last() {
            self.removed.push(false);
            self.add_all(resources.len() - 1, r);
        }
    }

    /// Object `i` was deleted by a patch: it matches nothing from now on.
    pub(super) fn remove(&mut self, i: usize) {
        self.removed[i] = true;
        self.any_removed = true;
    }

    /// The smallest candidate list among `keys` (empty when a key is absent), in resource order;
    /// every object without keys.
    fn candidates(&self, keys: &[Key<'_>], len: usize) -> Vec<usize> {
        let mut best: Option<&[u32]> = None;
        for key in keys {
            let list = self.lists.get(&hash(key)).map_or(&[][..], Vec::as_slice);
            if best.is_none_or(|b| list.len() < b.len()) {
                best = Some(list);
            }
        }
        let out: Vec<usize> = match best {
            None => (0..len).filter(|&i| !self.removed[i]).collect(),
            Some(best) => {
                let mut out: Vec<usize> = best.iter().map(|&i| i as usize).filter(|&i| !self.removed[i]).collect();
                out.sort_unstable();
                out.dedup();
                out
            }
        };
        #[cfg(test)]
        tests::EXAMINED.with(|n| n.set(n.get() + out.len()));
        out
    }

    /// The objects with an id equal to `id` (kustomize `GetById`'s matches), in resource order.
    pub(super) fn by_id(&self, resources: &[Resource], id: &ResId) -> Vec<usize> {
        let want = previous(id);
        let keys = [
            Key::NameNamespace(want.name, want.namespace),
            Key::Name(want.name),
            Key::Namespace(want.namespace),
            Key::Kind(want.kind),
        ];
        let mut out = self.candidates(&keys, resources.len());
        out.retain(|&i| has_id(&resources[i], id));
        out
    }

    /// The objects `sel` selects (kustomize `Select`), in resource order.
    pub(super) fn select(&self, resources: &[Resource], sel: &Selector) -> Vec<usize> {
        let (name, namespace) = (sel.plain_name(), sel.plain_namespace());
        let mut keys = Vec::new();
        if let (Some(n), Some(ns)) = (name, namespace) {
            keys.push(Key::NameNamespace(n, ns));
        }
        keys.extend(name.map(Key::Name));
        keys.extend(namespace.map(Key::Namespace));
        keys.extend(sel.plain_kind().map(Key::Kind));
        let mut out = self.candidates(&keys, resources.len());
        out.retain(|&i| sel.matches(&resources[i]));
        out
    }

    /// Drop the deleted objects from `resources`, keeping the order of the rest.
    pub(super) fn compact(self, resources: &mut Vec<Resource>) {
        if self.any_removed {
            let mut i = 0;
            resources.retain(|_| {
                i += 1;
                !self.removed[i - 1]
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::fmt::Write as _;

    use fleetlint_yaml::{FileDb, FileId, Limits, Node, load_tree, parse_yaml};

    use super::*;
    use crate::resolver::Resolver;

    thread_local! {
        /// Objects tested exactly by target matching on this thread (the resolver is single-threaded).
        pub(super) static EXAMINED: Cell<usize> = const { Cell::new(0) };
    }

    /// A kustomization with `n` ConfigMaps and `n` patches, a third each: a strategic merge
    /// patch file without a target (matched by id), an inline targeted strategic merge patch
    /// and a targeted JSON 6902 patch. Returns the objects tested while matching, and checks
    /// that every object got its patch.
    fn resolve_n_patches(n: usize) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let mut objects = String::new();
        let mut k = String::from("resources:\n  - objects.yaml\npatches:\n");
        for i in 0..n {
            let _ = write!(
                objects,
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: ns-{i}\ndata:\n  patched: \"no\"\n"
            );
            match i % 3 {
                0 => {
                    let _ = writeln!(k, "  - path: p-{i}.yaml");
                    let patch = format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: ns-{i}\ndata:\n  patched: \"{i}\"\n"
                    );
                    std::fs::write(dir.path().join(format!("p-{i}.yaml")), patch).unwrap();
                }
                1 => {
                    let _ = write!(
                        k,
                        "  - target: {{kind: ConfigMap, name: cm-{i}, namespace: ns-{i}}}\n    patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {{name: any}}\n      data: {{patched: \"{i}\"}}\n"
                    );
                }
                _ => {
                    let _ = write!(
                        k,
                        "  - target: {{name: cm-{i}}}\n    patch: '[{{op: replace, path: /data/patched, value: \"{i}\"}}]'\n"
                    );
                }
            }
        }
        std::fs::write(dir.path().join("objects.yaml"), objects).unwrap();
        std::fs::write(dir.path().join("kustomization.yaml"), k).unwrap();
        let mut db = FileDb::new();
        let tree = load_tree(&mut db, dir.path(), None, &Limits::default()).unwrap();
        let resolver = Resolver::new(&tree, &db);
        EXAMINED.with(|e| e.set(0));
        let out = resolver.build("");
        let examined = EXAMINED.with(Cell::get);
        assert!(out.issues.is_empty(), "{:?}", out.issues.first());
        assert_eq!(out.resources.len(), n);
        for r in &out.resources {
            let i = r.name().trim_start_matches("cm-");
            assert_eq!(r.root.get_path(&["data", "patched"]).and_then(Node::as_str), Some(i), "{}", r.name());
            assert!(r.transformations.list_count() <= 1, "one shared list of transformers per kustomization");
        }
        examined
    }

    /// N resources and N patches resolve in O(N log N): each patch tests a bounded number of
    /// objects, so four times the patches test at most about four times the objects (a scan per
    /// patch would test sixteen times as many). Counted, not timed, so load cannot make it flaky.
    #[test]
    fn n_resources_and_n_patches_match_in_linear_work() {
        let small = resolve_n_patches(150);
        let large = resolve_n_patches(600);
        assert!(small <= 2 * 150, "{small} objects tested for 150 patches");
        assert!(large * 10 <= small * 45, "{small} objects tested for 150 patches, {large} for 600");
    }

    fn resources(text: &str) -> Vec<Resource> {
        parse_yaml(FileId(0), text, &Limits::default()).documents.into_iter().map(|d| Resource::new(d.root)).collect()
    }

    fn selector(text: &str) -> Selector {
        let root: Node = parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root;
        Selector::from_node(&root).unwrap()
    }

    const OBJECTS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a.b, namespace: default}\n";

    /// The index answers exactly what a scan with the exact tests answers.
    #[test]
    fn index_agrees_with_a_scan() {
        let mut rs = resources(OBJECTS);
        // `b` was renamed from `old` in namespace `x`: original and current ids both match.
        let gvk = rs[2].gvk();
        rs[2].prev_ids.push(ResId { gvk, name: "old".into(), namespace: "x".into() });
        let ix = TargetIndex::new(&rs);
        for sel in [
            "name: a",
            "kind: ConfigMap",
            "namespace: default",
            "name: a\nnamespace: a",
            "name: old\nnamespace: default",
            "name: b\nnamespace: x",
            "name: a.b",
            "name: 'a|b'\nkind: ConfigMap",
            "namespace: _non_namespaceable_",
            "kind: Deploy",
            "name: missing",
            "group: apps",
        ] {
            let s = selector(sel);
            let scan: Vec<usize> = (0..rs.len()).filter(|&i| s.matches(&rs[i])).collect();
            assert_eq!(ix.select(&rs, &s), scan, "{sel}");
        }
        for r in &rs {
            for id in r.any_ids() {
                let scan: Vec<usize> = (0..rs.len()).filter(|&i| rs[i].any_ids().any(|x| x.equals(&id))).collect();
                assert_eq!(ix.by_id(&rs, &id), scan, "{id:?}");
            }
        }
    }

    #[test]
    fn renamed_and_removed_objects() {
        let mut rs = resources(OBJECTS);
        let mut ix = TargetIndex::new(&rs);
        rs[1].store_previous_id();
        let span = rs[1].root.span;
        rs[1].set_name("renamed", span);
        ix.changed(1, &rs[1]);
        assert_eq!(ix.select(&rs, &selector("name: renamed")), vec![1]);
        assert_eq!(ix.select(&rs, &selector("name: a\nkind: ConfigMap")), vec![1], "the original name still matches");
        ix.remove(0);
        assert_eq!(ix.select(&rs, &selector("name: a")), vec![1]);
        ix.compact(&mut rs);
        assert_eq!(rs.iter().map(Resource::name).collect::<Vec<_>>(), ["renamed", "b", "a.b"]);
    }
}
