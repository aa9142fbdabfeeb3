//! File trees: the source artifacts an ArtifactGenerator reads (as lists of files) and the
//! staging tree it writes.

use std::collections::{BTreeMap, BTreeSet};

/// The files of one source artifact, by path relative to the artifact root (`/`-separated).
/// Directories are those that hold files.
#[derive(Clone, Debug)]
pub struct SourceTree<F> {
    files: BTreeMap<String, F>,
    /// Directory ("" = root) -> entry names, in byte order (Go's `ReadDir` order).
    children: BTreeMap<String, BTreeSet<String>>,
}

/// A path without `./`, leading or trailing `/`, or empty segments; `""` is the root.
fn normalize(path: &str) -> String {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect::<Vec<_>>().join("/")
}

fn root_key(path: &str) -> &str {
    if path == "." { "" } else { path }
}

impl<F> SourceTree<F> {
    /// A tree of `(relative path, file)` pairs.
    #[must_use]
    pub fn new(files: impl IntoIterator<Item = (String, F)>) -> Self {
        let mut tree = Self { files: BTreeMap::new(), children: BTreeMap::new() };
        tree.children.insert(String::new(), BTreeSet::new());
        for (path, file) in files {
            let path = normalize(&path);
            if path.is_empty() {
                continue;
            }
            let mut dir = String::new();
            for seg in path.split('/') {
                tree.children.entry(dir.clone()).or_default().insert(seg.to_string());
                dir = if dir.is_empty() { seg.to_string() } else { format!("{dir}/{seg}") };
            }
            tree.files.insert(path, file);
        }
        for dir in tree.children.keys().cloned().collect::<Vec<_>>() {
            tree.children.entry(dir).or_default();
        }
        tree
    }

    /// The file at `path`.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&F> {
        self.files.get(root_key(path))
    }

    /// Whether `path` is a directory (`"."` is the root).
    #[must_use]
    pub fn is_dir(&self, path: &str) -> bool {
        let key = root_key(path);
        self.children.contains_key(key) && !self.files.contains_key(key)
    }

    /// Whether `path` exists.
    #[must_use]
    pub fn exists(&self, path: &str) -> bool {
        self.is_dir(path) || self.files.contains_key(root_key(path))
    }

    /// Number of files.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The entry names of directory `dir`, in name order.
    pub(crate) fn read_dir(&self, dir: &str) -> impl Iterator<Item = &str> {
        let key = root_key(dir);
        let names = if self.files.contains_key(key) { None } else { self.children.get(key) };
        names.into_iter().flatten().map(String::as_str)
    }

    /// Walk below `dir` in `fs.WalkDir` order (pre-order, names sorted), not reporting `dir`
    /// itself; `visit(path, is_dir)` returns whether to descend into a directory.
    pub(crate) fn walk(&self, dir: &str, visit: &mut dyn FnMut(&str, bool) -> bool) {
        let key = root_key(dir);
        for name in self.read_dir(dir) {
            let path = if key.is_empty() { name.to_string() } else { format!("{key}/{name}") };
            let is_dir = self.is_dir(&path);
            if visit(&path, is_dir) && is_dir {
                self.walk(&path, visit);
            }
        }
    }
}

/// Go's `path.Base`.
pub(crate) fn base(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return if p.is_empty() { "." } else { "/" };
    }
    t.rsplit('/').next().unwrap_or(t)
}

/// Go's `filepath.Join` (non-empty elements joined, then cleaned; all empty gives "").
pub(crate) fn join(a: &str, b: &str) -> String {
    let parts: Vec<&str> = [a, b].into_iter().filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        return String::new();
    }
    fleetlint_gotemplate::go_path_clean(&parts.join("/"))
}

/// Go's `filepath.Dir`.
pub(crate) fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => fleetlint_gotemplate::go_path_clean(&p[..=i]),
        None => ".".into(),
    }
}

/// The staging directory an artifact is assembled in.
#[derive(Debug)]
pub(crate) struct Staging<V> {
    pub(crate) files: BTreeMap<String, V>,
    pub(crate) dirs: BTreeSet<String>,
}

impl<V> Staging<V> {
    pub(crate) fn new() -> Self {
        Self { files: BTreeMap::new(), dirs: BTreeSet::new() }
    }

    pub(crate) fn is_dir(&self, path: &str) -> bool {
        matches!(path, "." | "") || self.dirs.contains(path)
    }

    pub(crate) fn exists(&self, path: &str) -> bool {
        self.is_dir(path) || self.files.contains_key(path)
    }

    /// `createDirRecursive`: an existing file at `path` itself is accepted (EEXIST), a file
    /// on the way is an error.
    pub(crate) fn create_dir_all(&mut self, path: &str) -> Result<(), String> {
        if matches!(path, "." | "") {
            return Ok(());
        }
        let segs: Vec<&str> = path.split('/').collect();
        let mut cur = String::new();
        for (i, seg) in segs.iter().enumerate() {
            cur = if cur.is_empty() { (*seg).to_string() } else { format!("{cur}/{seg}") };
            if self.files.contains_key(&cur) {
                if i == segs.len() - 1 {
                    return Ok(());
                }
                return Err(format!("mkdir {path}: not a directory"));
            }
            self.dirs.insert(cur.clone());
        }
        Ok(())
    }

    /// Create or replace the file at `path` (its directory must exist).
    pub(crate) fn put(&mut self, path: &str, file: V) -> Result<(), String> {
        if self.is_dir(path) {
            return Err(format!("open {path}: is a directory"));
        }
        let parent = dir(path);
        if parent != "." && self.files.contains_key(&parent) {
            return Err(format!("open {path}: not a directory"));
        }
        self.files.insert(path.to_string(), file);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_list_and_walk_in_go_order() {
        let t = SourceTree::new(["b/x.yaml", "a/z.yaml", "a/b/y.yaml", "./c.yaml"].map(|p| (p.to_string(), ())));
        assert!(t.is_dir("a") && t.is_dir(".") && !t.is_dir("c.yaml") && t.exists("c.yaml"));
        assert_eq!(t.read_dir(".").collect::<Vec<_>>(), vec!["a", "b", "c.yaml"]);
        let mut seen = Vec::new();
        t.walk("a", &mut |p, _| {
            seen.push(p.to_string());
            true
        });
        assert_eq!(seen, vec!["a/b", "a/b/y.yaml", "a/z.yaml"]);
        assert_eq!(join("", "."), ".");
        assert_eq!(join("apps/", "x.yaml"), "apps/x.yaml");
        assert_eq!(join("", ""), "");
        assert_eq!(base("apps/base/"), "base");
        assert_eq!(dir("a/b"), "a");
        assert_eq!(dir("a"), ".");
    }
}
