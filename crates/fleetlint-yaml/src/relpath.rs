//! Slash-separated relative paths inside a repository tree, with one function per meaning:
//!
//! - [`join_lexical`]: Go's `path.Join`, a relative path as kustomize writes it in origin
//!   annotations (it may climb above the build directory: `../base/cm.yaml`);
//! - [`join_in_root`]: a path written in a kustomization (`resources`, `patches`, generator
//!   `files`...) joined to its directory, lexically as kustomize's loader joins it; `None` when it
//!   leaves the tree root or is absolute;
//! - [`clamp_flux_path`]: a Flux `spec.path` as kustomize-controller resolves it inside an
//!   artifact (`securejoin`: `..` past the root stays at the root);
//! - [`relative_slash_path`]: the tree-relative `/` path of a file found on disk under a root.
//!
//! Tree-relative paths have no leading `./` and no trailing `/`; the root is the empty string.

use std::path::Path;

/// Go's `path.Join(a, b)`: the non-empty elements joined with `/` and cleaned (`path.Clean`), so
/// `..` may remain at the front (`join_lexical("../a", "../../b")` is `../../b`); empty when both
/// are empty, `.` when the result is the starting directory.
/// Go standard library, `src/path/path.go` `Join` and `Clean`.
#[must_use]
pub fn join_lexical(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => go_clean(b),
        (false, true) => go_clean(a),
        (false, false) => go_clean(&format!("{a}/{b}")),
    }
}

/// A path written in a kustomization at tree-relative directory `dir`, joined lexically (no
/// symlinks are followed: the walk never follows them) and made tree-relative; `None` when it is
/// absolute or climbs above the tree root.
#[must_use]
pub fn join_in_root(dir: &str, rel: &str) -> Option<String> {
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

/// A Flux `spec.path` (or a GitRepository `include` `fromPath`/`toPath`, a sparse-checkout
/// directory) made tree-relative the way kustomize-controller resolves it inside an artifact with
/// `securejoin.SecureJoin`: `.` and empty parts dropped, `..` past the root clamped at the root.
/// Returns the path and whether it was clamped.
#[must_use]
pub fn clamp_flux_path(path: &str) -> (String, bool) {
    let mut parts: Vec<&str> = Vec::new();
    let mut clamped = false;
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    clamped = true;
                }
            }
            p => parts.push(p),
        }
    }
    (parts.join("/"), clamped)
}

/// `path` relative to `root`, with `/` separators (`path` itself when it is not under `root`).
#[must_use]
pub fn relative_slash_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&c.as_os_str().to_string_lossy());
    }
    out
}

/// Go's `path.Clean`.
fn go_clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_join_is_go_path_join() {
        assert_eq!(join_lexical("", "./dep.yaml"), "dep.yaml");
        assert_eq!(join_lexical("../base/", "kustomization.yml"), "../base/kustomization.yml");
        assert_eq!(join_lexical("app/overlay", "../../shared/x.yaml"), "shared/x.yaml");
        assert_eq!(join_lexical("../a", "../../b"), "../../b");
        assert_eq!(join_lexical("base", ""), "base");
        assert_eq!(join_lexical("", ""), "");
        assert_eq!(join_lexical("a", ".."), ".");
        assert_eq!(join_lexical("/a", "../../b"), "/b");
    }

    #[test]
    fn join_in_root_stops_at_the_root() {
        assert_eq!(join_in_root("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join_in_root("a", "../../c"), None);
        assert_eq!(join_in_root("", "./x.yaml").as_deref(), Some("x.yaml"));
        assert_eq!(join_in_root("a", "..").as_deref(), Some(""));
        assert_eq!(join_in_root("a", "/etc/passwd"), None);
        assert_eq!(join_in_root("./a/", "b/").as_deref(), Some("a/b"));
    }

    #[test]
    fn flux_paths_are_clamped_like_securejoin() {
        assert_eq!(clamp_flux_path("./clusters/prod/"), ("clusters/prod".into(), false));
        assert_eq!(clamp_flux_path("../../etc"), ("etc".into(), true));
        assert_eq!(clamp_flux_path(""), (String::new(), false));
        assert_eq!(clamp_flux_path("a/./b/../c"), ("a/c".into(), false));
    }

    #[test]
    fn relative_slash_paths() {
        assert_eq!(relative_slash_path(Path::new("/r"), Path::new("/r/a/b.yaml")), "a/b.yaml");
        assert_eq!(relative_slash_path(Path::new(""), Path::new("a/b")), "a/b");
    }
}
