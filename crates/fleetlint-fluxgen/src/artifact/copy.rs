//! Copy operations (fluxcd/source-watcher@825fa15:internal/builder/builder.go
//! `applyCopyOperation` and helpers), replayed over file lists.
//!
//! - `from` is `@alias/pattern`, `to` is `@artifact/path`; a pattern with any of `*?[]` is a
//!   glob, anything else a path.
//! - A path is copied like `cp -r`: a directory lands under `to/<basename>` (so `@alias/` copies
//!   the alias root into `to`), a file lands at `to/<basename>` when `to` ends in `/` or is an
//!   existing directory, else at `to`. A missing path is an error.
//! - A glob is expanded with `fs.Glob` (`Extract`: doublestar); no match, or every match
//!   excluded, is an error. A match keeps its full path under `to`, except that a pattern
//!   ending in `/**` strips that directory prefix; matched directories are copied recursively.
//! - `exclude` patterns (doublestar) match the path from the alias root, the path from the
//!   pattern's literal prefix, and (without `/`) the base name; an excluded directory is skipped
//!   whole.
//! - `Merge` merges only a matched *file* onto an existing destination file; files copied as
//!   part of a directory always overwrite.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::glob::{doublestar_glob, doublestar_match, doublestar_valid, fs_glob};
use super::merge::merge_texts;
use super::tree::{SourceTree, Staging, base, dir, join};
use super::{CopyOp, Layer, OpaqueCopy, Strategy, VFile};

/// One artifact being assembled.
pub(crate) struct Builder<'a, F> {
    pub(crate) sources: &'a BTreeMap<String, SourceTree<F>>,
    pub(crate) read: &'a dyn Fn(&F) -> Option<Arc<str>>,
    pub(crate) staging: Staging<VFile<F>>,
    pub(crate) opaque: Vec<OpaqueCopy>,
}

fn contains_glob_chars(p: &str) -> bool {
    p.contains(['*', '?', '[', ']'])
}

fn is_tarball(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
}

/// `sourceSelectionRoot`: the literal prefix of a pattern before its first glob segment.
fn selection_root(pattern: &str) -> String {
    let clean = fleetlint_gotemplate::go_path_clean(pattern);
    let parts: Vec<&str> = clean.split('/').take_while(|p| !contains_glob_chars(p)).collect();
    if parts.is_empty() { ".".into() } else { join(&parts.join("/"), "") }
}

fn should_exclude(path: &str, patterns: &[String]) -> bool {
    let name = base(path);
    patterns.iter().any(|p| doublestar_match(p, path) || (!p.contains('/') && doublestar_match(p, name)))
}

/// `shouldExcludePath`.
fn should_exclude_path(path: &str, base_path: &str, patterns: &[String]) -> bool {
    if patterns.is_empty() {
        return false;
    }
    if should_exclude(path, patterns) {
        return true;
    }
    let base_path = fleetlint_gotemplate::go_path_clean(base_path);
    let path = fleetlint_gotemplate::go_path_clean(path);
    let rel = if base_path == "." {
        path.clone()
    } else if path == base_path {
        ".".to_string()
    } else {
        match path.strip_prefix(&format!("{base_path}/")) {
            Some(r) => r.to_string(),
            None => return false,
        }
    };
    rel != "." && rel != path && should_exclude(&rel, patterns)
}

/// `calculateGlobDestination`.
fn glob_destination(pattern: &str, matched: &str, dest: &str) -> String {
    if let Some(rel) = pattern.strip_suffix("/**").and_then(|prefix| matched.strip_prefix(&format!("{prefix}/"))) {
        return join(dest, rel);
    }
    join(dest, matched)
}

impl<F: Clone> Builder<'_, F> {
    /// `applyCopyOperation`; `Err` holds source-watcher's message.
    pub(crate) fn apply(&mut self, index: usize, op: &CopyOp) -> Result<(), String> {
        self.apply_inner(index, op)
            .map_err(|e| format!("failed to apply copy operation from '{}' to '{}': {e}", op.from, op.to))
    }

    fn apply_inner(&mut self, index: usize, op: &CopyOp) -> Result<(), String> {
        let rest = op
            .from
            .strip_prefix('@')
            .ok_or_else(|| format!("invalid copy source '{}': source must start with '@'", op.from))?;
        let (alias, pattern) = rest
            .split_once('/')
            .ok_or_else(|| format!("invalid copy source '{}': source format must be '@alias/pattern'", op.from))?;
        let dest = op
            .to
            .strip_prefix("@artifact/")
            .ok_or_else(|| format!("invalid copy destination '{}': destination must start with '@artifact/'", op.to))?;
        let sources = self.sources;
        let src = sources.get(alias).ok_or_else(|| format!("source alias '{alias}' not found"))?;
        if let Some(bad) = op.exclude.iter().find(|p| !doublestar_valid(p)) {
            return Err(format!("invalid exclude pattern '{bad}'"));
        }
        let dest_slash = op.to.ends_with('/');
        if !contains_glob_chars(pattern) {
            return self.single(index, op, alias, src, pattern, dest, dest_slash);
        }
        let matches = if op.strategy == Strategy::Extract {
            doublestar_glob(src, pattern)
        } else {
            fs_glob(src, pattern).map_err(|()| format!("invalid glob pattern '{pattern}': syntax error in pattern"))?
        };
        if matches.is_empty() {
            return Err(format!("no files match pattern '{pattern}' in source '{alias}'"));
        }
        let exclude_base = selection_root(pattern);
        let filtered: Vec<String> = matches
            .into_iter()
            .filter(|m| m != "." && m != ".." && !should_exclude_path(m, &exclude_base, &op.exclude))
            .collect();
        if filtered.is_empty() {
            return Err(format!("all files matching pattern '{pattern}' in source '{alias}' were excluded"));
        }
        for m in filtered {
            if op.strategy == Strategy::Extract {
                if is_tarball(&m) && src.file(&m).is_some() {
                    self.extract(index, op, alias, &m, dest);
                }
                continue;
            }
            let dest_file = glob_destination(pattern, &m, dest);
            self.copy_path(op, alias, src, &m, &dest_file, &exclude_base)
                .map_err(|e| format!("failed to copy file '{m}' to '{dest_file}': {e}"))?;
        }
        Ok(())
    }

    /// `applySingleSourceCopy`.
    #[allow(clippy::too_many_arguments)]
    fn single(
        &mut self,
        index: usize,
        op: &CopyOp,
        alias: &str,
        src: &SourceTree<F>,
        pattern: &str,
        dest: &str,
        dest_slash: bool,
    ) -> Result<(), String> {
        let src_path = fleetlint_gotemplate::go_path_clean(pattern);
        if !src.exists(&src_path) {
            return Err(format!("source '{src_path}' does not exist"));
        }
        if src.is_dir(&src_path) {
            if op.strategy == Strategy::Extract {
                return Err(format!("extract strategy is not supported for directories, got '{src_path}'"));
            }
            let final_dest = join(dest, base(&src_path));
            return self.copy_path(op, alias, src, &src_path, &final_dest, &src_path);
        }
        if should_exclude_path(&src_path, ".", &op.exclude) {
            return Ok(());
        }
        if op.strategy == Strategy::Extract {
            if !is_tarball(&src_path) {
                return Err(format!("extract strategy requires tarball file (.tar.gz or .tgz), got '{src_path}'"));
            }
            self.extract(index, op, alias, &src_path, dest);
            return Ok(());
        }
        let final_dest =
            if dest_slash || self.staging.is_dir(dest) { join(dest, base(&src_path)) } else { dest.to_string() };
        self.copy_path(op, alias, src, &src_path, &final_dest, ".")
    }

    fn extract(&mut self, index: usize, op: &CopyOp, alias: &str, path: &str, dest: &str) {
        self.opaque.push(OpaqueCopy {
            copy: index,
            reason: format!(
                "tarball '{path}' of source '{alias}' is unpacked into '{}': its contents are not read offline",
                if dest.is_empty() { "." } else { dest }
            ),
            span: op.span,
        });
    }

    /// `copyFileWithRoots`.
    fn copy_path(
        &mut self,
        op: &CopyOp,
        alias: &str,
        src: &SourceTree<F>,
        path: &str,
        dest: &str,
        exclude_base: &str,
    ) -> Result<(), String> {
        if src.is_dir(path) {
            return self.copy_dir(op, alias, src, path, dest, exclude_base);
        }
        let file = src.file(path).cloned().ok_or_else(|| format!("stat {path}: no such file or directory"))?;
        if op.strategy == Strategy::Merge && self.staging.exists(dest) {
            return self.merge(alias, path, file, dest);
        }
        self.copy_file(alias, path, file, dest)
    }

    /// `copyRegularFileWithRoots`.
    fn copy_file(&mut self, alias: &str, path: &str, file: F, dest: &str) -> Result<(), String> {
        let parent = dir(dest);
        if parent != "." {
            self.staging.create_dir_all(&parent).map_err(|e| format!("failed to create destination directory: {e}"))?;
        }
        self.staging.put(dest, VFile::Copy(Layer { alias: alias.into(), path: path.into(), file }))
    }

    /// `mergeFileWithRoots`.
    fn merge(&mut self, alias: &str, path: &str, file: F, dest: &str) -> Result<(), String> {
        let (mut layers, dest_text) = match self.staging.files.get(dest) {
            Some(VFile::Copy(l)) => (vec![l.clone()], (self.read)(&l.file).map(|t| t.to_string())),
            Some(VFile::Merged { layers, text }) => (layers.clone(), text.clone()),
            None => return Err(format!("read {dest}: is a directory")),
        };
        let src_text = (self.read)(&file);
        layers.push(Layer { alias: alias.into(), path: path.into(), file });
        let text = match (dest_text, src_text) {
            (Some(d), Some(s)) => Some(merge_texts(&d, &s)?),
            _ => None,
        };
        self.staging.put(dest, VFile::Merged { layers, text })
    }

    /// `copyDirWithRoots`: never merges.
    fn copy_dir(
        &mut self,
        op: &CopyOp,
        alias: &str,
        src: &SourceTree<F>,
        path: &str,
        dest: &str,
        exclude_base: &str,
    ) -> Result<(), String> {
        self.staging.create_dir_all(dest)?;
        let mut result = Ok(());
        let prefix = if path == "." { String::new() } else { format!("{path}/") };
        src.walk(path, &mut |p, is_dir| {
            if result.is_err() {
                return false;
            }
            if should_exclude_path(p, exclude_base, &op.exclude) {
                return false;
            }
            let rel = p.strip_prefix(&prefix).unwrap_or(p);
            let target = join(dest, rel);
            if is_dir {
                result = self.staging.create_dir_all(&target);
                return result.is_ok();
            }
            result = match src.file(p).cloned() {
                Some(file) => self.copy_file(alias, p, file, &target),
                None => Ok(()),
            };
            false
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_matching_follows_source_watcher() {
        let ex = vec!["*.md".to_string(), "tests/**".to_string()];
        assert!(should_exclude_path("apps/README.md", ".", &ex));
        assert!(should_exclude_path("apps/tests/a.yaml", "apps", &ex));
        assert!(!should_exclude_path("apps/tests/a.yaml", ".", &ex));
        assert!(!should_exclude_path("apps/a.yaml", "apps", &ex));
        assert_eq!(selection_root("apps/*/base/**"), "apps");
        assert_eq!(selection_root("**"), ".");
        assert_eq!(glob_destination("apps/base/**", "apps/base/x.yaml", "base"), "base/x.yaml");
        assert_eq!(glob_destination("configs/*.yaml", "configs/a.yaml", "apps"), "apps/configs/a.yaml");
    }
}
