//! The nesting limit, decided from the shape of the tree rather than from the path a build took.
//!
//! Accumulation recurses once per level of nesting (resources and bases that are directories,
//! components), so [`MAX_NESTING`] bounds it. Where the cut falls must not depend on which
//! directory happened to be built first (results are cached per directory and builds run in
//! parallel), and a chain of thousands of bases must not be walked a hundred levels deep from
//! every one of its directories. So the height of every kustomization directory (the longest
//! chain of nested directories below it) is computed once, iteratively; an entry is followed only
//! when the whole subtree below it fits under the limit. A followed directory's subtree then
//! always fits, so the cut can only fall at a build's own entries and every cached accumulation
//! is complete. The stack-length check stays as a safety net for cyclic shapes, where the height
//! (computed without back edges) can underestimate.

use std::collections::HashMap;

use fleetlint_yaml::relpath::join_in_root;

use super::accumulate::is_remote;
use super::{MAX_NESTING, Resolver};
use crate::kustfile::KUSTOMIZATION_FILE_NAMES;

impl Resolver<'_> {
    /// Whether entering `child` from a kustomization `depth` levels deep would nest past the
    /// limit.
    pub(super) fn too_deep_to_enter(&self, depth: usize, child: &str) -> bool {
        let height = self.heights.get_or_init(|| self.compute_heights()).get(child).copied().unwrap_or(0);
        depth + height >= MAX_NESTING
    }

    /// The directories a kustomization directory nests into: its resources, bases and
    /// components that are directories of the tree.
    fn nested_dirs(&self, dir: &str) -> Vec<String> {
        let Ok(k) = self.load_kustomization(dir) else { return Vec::new() };
        ["resources", "bases", "components"]
            .iter()
            .flat_map(|key| k.str_list(key))
            .filter(|(path, _)| !is_remote(path))
            .filter_map(|(path, _)| join_in_root(dir, &path))
            .filter(|full| self.dirs.contains(full) && !self.yaml.contains_key(full.as_str()))
            .collect()
    }

    /// Height of every kustomization directory: 0 without nested directories, else one more
    /// than its highest child. Depth-first with an explicit stack; an edge back into the
    /// current path (a cycle, reported by the build) counts as a leaf.
    fn compute_heights(&self) -> HashMap<String, usize> {
        let mut dirs: Vec<&str> = self
            .yaml
            .keys()
            .filter_map(|p| {
                let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
                KUSTOMIZATION_FILE_NAMES.contains(&name).then_some(dir)
            })
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        let mut height: HashMap<String, usize> = HashMap::new();
        let mut on_path: std::collections::HashSet<String> = std::collections::HashSet::new();
        for root in dirs {
            if height.contains_key(root) {
                continue;
            }
            // (directory, its children, next child to visit)
            let mut stack: Vec<(String, Vec<String>, usize)> = vec![(root.to_string(), self.nested_dirs(root), 0)];
            on_path.insert(root.to_string());
            while let Some((dir, children, next)) = stack.last_mut() {
                if let Some(child) = children.get(*next).cloned() {
                    *next += 1;
                    if !height.contains_key(&child) && !on_path.contains(&child) {
                        let grandchildren = self.nested_dirs(&child);
                        on_path.insert(child.clone());
                        stack.push((child, grandchildren, 0));
                    }
                    continue;
                }
                let h = children
                    .iter()
                    .filter_map(|c| height.get(c))
                    .map(|h| h + 1)
                    .max()
                    .unwrap_or(usize::from(!children.is_empty()));
                let dir = dir.clone();
                on_path.remove(&dir);
                height.insert(dir, h);
                stack.pop();
            }
        }
        height
    }
}
