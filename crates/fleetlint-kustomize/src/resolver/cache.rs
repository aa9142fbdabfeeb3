//! The accumulations of directories that kustomizations absorb as bases, kept only while a
//! kustomization of the tree that lists the directory has yet to absorb it.
//!
//! A base listed by several kustomizations (a tenant base in every cluster's overlay) is
//! accumulated once and shared; a base listed once (each layer of an overlay chain) is not kept
//! at all, and a kept one is dropped at its last listed use, which then takes it without a copy.
//! So the objects held at once stay proportional to the objects rendered, not to objects times
//! overlay depth. The counts come from the `resources`/`bases` lists of the tree's kustomization
//! files; a use they do not foresee (a kustomization Flux generates in memory, a directory both
//! built on its own and used as a base) accumulates the directory again, which costs time once
//! and changes no result.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use fleetlint_yaml::Node;
use fleetlint_yaml::relpath::join_in_root;

use super::AccResult;

/// Accumulations by directory and schema source, with the listed uses left.
pub(super) struct AccCache {
    entries: Mutex<HashMap<(String, usize), (AccResult, usize)>>,
    /// How many kustomization files of the tree list each directory as a resource or base.
    listed: HashMap<String, usize>,
}

impl AccCache {
    /// `kustomizations`: each kustomization file's directory and document root; `dirs`: the
    /// tree's directories.
    pub(super) fn new<'n>(kustomizations: impl Iterator<Item = (&'n str, &'n Node)>, dirs: &HashSet<String>) -> Self {
        let mut listed: HashMap<String, usize> = HashMap::new();
        for (dir, root) in kustomizations {
            for key in ["resources", "bases"] {
                for entry in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
                    if let Some(full) = entry.as_str().and_then(|p| join_in_root(dir, p)).filter(|f| dirs.contains(f)) {
                        *listed.entry(full).or_default() += 1;
                    }
                }
            }
        }
        Self { entries: Mutex::new(HashMap::new()), listed }
    }

    /// The accumulation for a base use: the use is counted, and the entry is forgotten at the
    /// last listed one (the caller then holds the only reference and can take its objects).
    pub(super) fn take(&self, key: &(String, usize)) -> Option<AccResult> {
        let mut entries = self.entries.lock().expect("cache lock");
        let (acc, left) = entries.get_mut(key)?;
        *left = left.saturating_sub(1);
        let acc = acc.clone();
        if entries.get(key).is_some_and(|(_, left)| *left == 0) {
            entries.remove(key);
        }
        Some(acc)
    }

    /// The accumulation for a use the counts do not include (a directory built on its own).
    pub(super) fn peek(&self, key: &(String, usize)) -> Option<AccResult> {
        self.entries.lock().expect("cache lock").get(key).map(|(acc, _)| acc.clone())
    }

    /// A base use accumulated `acc`: keep it for the other listed uses, if any.
    pub(super) fn keep(&self, key: (String, usize), acc: &AccResult) {
        let left = self.listed.get(&key.0).copied().unwrap_or(0).saturating_sub(1);
        if left > 0 {
            self.entries.lock().expect("cache lock").insert(key, (acc.clone(), left));
        }
    }
}

#[cfg(test)]
mod tests {
    use fleetlint_yaml::{FileDb, Limits, load_tree};

    use crate::resolver::Resolver;

    fn cached(resolver: &Resolver<'_>) -> usize {
        resolver.acc_cache.entries.lock().unwrap().len()
    }

    /// A chain of overlays keeps no copy of any layer; a base two overlays list is kept until
    /// the second has absorbed it.
    #[test]
    fn bases_are_kept_only_for_listed_uses() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("base/kustomization.yaml", "resources: [cm.yaml]\n");
        write("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
        for i in 1..=5 {
            write(
                &format!("layer-{i}/kustomization.yaml"),
                &format!("resources: [../{}]\n", if i == 1 { "base".to_string() } else { format!("layer-{}", i - 1) }),
            );
        }
        write("a/kustomization.yaml", "resources: [../layer-5]\nnamePrefix: a-\n");
        write("b/kustomization.yaml", "resources: [../layer-5]\nnamePrefix: b-\n");
        let mut db = FileDb::new();
        let tree = load_tree(&mut db, dir.path(), None, &Limits::default()).unwrap();
        let resolver = Resolver::new(&tree, &db);
        assert_eq!(resolver.build("a").resources[0].name(), "a-cm");
        assert_eq!(cached(&resolver), 1, "layer-5 waits for b; the layers below it are not kept");
        assert_eq!(resolver.build("b").resources[0].name(), "b-cm");
        assert_eq!(cached(&resolver), 0);
        assert_eq!(resolver.build("layer-3").resources[0].name(), "cm", "an unforeseen use accumulates again");
    }
}
