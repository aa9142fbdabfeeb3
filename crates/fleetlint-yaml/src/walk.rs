//! Walking a tree: `.git` skipped, symlinks and other non-regular files never followed or opened
//! (Flux drops them from artifacts too), parallel. `.gitignore` leaves out only *untracked*
//! files: in a git work tree every path its index tracks is walked, ignored or not (a committed
//! file is in source-controller's artifact, which never reads `.gitignore`; see
//! [`crate::gitindex`]). Without a readable index, files `.gitignore` names are set aside in
//! [`FileWalk::gitignored`] (the loader still reads those a kustomization names).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{Match, WalkBuilder, WalkState};

use crate::gitindex::Tracked;
use crate::relpath::relative_slash_path;

/// What a walked file is to fleetlint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `*.yaml`, `*.yml` or a file named `Kustomization`: parsed.
    Yaml,
    /// A `.sourceignore` file: read for the ignore status of its directory.
    SourceIgnore,
    /// Anything else (generator inputs, scripts, docs): listed, read only on demand.
    Other,
}

/// A regular file found by the walk.
#[derive(Clone, Debug)]
pub struct WalkedFile {
    /// Path on disk.
    pub path: PathBuf,
    /// Path relative to the root, with `/`.
    pub rel: String,
    /// Size in bytes.
    pub size: u64,
    /// Classification.
    pub kind: FileKind,
}

/// An entry that was not read, and why.
#[derive(Clone, Debug)]
pub struct SkippedEntry {
    /// Path relative to the root.
    pub rel: String,
    /// Why it was skipped.
    pub reason: String,
}

/// The result of a walk, sorted by relative path.
#[derive(Clone, Debug, Default)]
pub struct FileWalk {
    /// Regular files.
    pub files: Vec<WalkedFile>,
    /// Symlinks, FIFOs, sockets, devices, and entries the walk could not read.
    pub skipped: Vec<SkippedEntry>,
    /// Regular files a `.gitignore` pattern names, when the tree has no readable git index to
    /// tell whether they are committed (with an index, untracked ignored files are left out and
    /// tracked ones are in [`FileWalk::files`]). Files inside an ignored directory are not listed.
    pub gitignored: Vec<WalkedFile>,
}

/// Classify a file name.
#[must_use]
pub(crate) fn classify(name: &str) -> FileKind {
    if name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization" {
        FileKind::Yaml
    } else if name == ".sourceignore" {
        FileKind::SourceIgnore
    } else {
        FileKind::Other
    }
}

/// Walk `root` in parallel.
///
/// # Errors
/// When `root` is not a readable directory.
pub fn walk(root: &Path) -> std::io::Result<FileWalk> {
    let meta = std::fs::metadata(root)?;
    if !meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    let result = Mutex::new(FileWalk::default());
    let gitignores = Arc::new(GitIgnores { root: root.to_path_buf(), ..GitIgnores::default() });
    let tracked = Tracked::of_root(root).map(Arc::new);
    let filter_ignores = Arc::clone(&gitignores);
    let filter_tracked = tracked.clone();
    let filter_root = root.to_path_buf();
    WalkBuilder::new(root)
        .hidden(false)
        .ignore(false)
        // The walker's own `.gitignore` reading opens whatever has that name: a FIFO blocks the
        // walk forever, a symlink reads `/dev/zero` without end or a file outside the root.
        // `GitIgnores` reads only regular files.
        .git_ignore(false)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            match &filter_tracked {
                // A tracked file, or a directory holding one, is in the checkout whatever
                // `.gitignore` says.
                Some(t) => {
                    t.holds(&relative_slash_path(&filter_root, e.path())) || !filter_ignores.ignored(e.path(), is_dir)
                }
                // No index: ignored directories are pruned; ignored files are set aside below.
                None => !is_dir || !filter_ignores.ignored(e.path(), true),
            }
        })
        .build_parallel()
        .run(|| {
            let result = &result;
            let gitignores = &gitignores;
            let tracked = &tracked;
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        let rel = error_path(&err).map_or_else(String::new, |p| relative_slash_path(root, p));
                        result.lock().expect("walk lock").skipped.push(SkippedEntry { rel, reason: err.to_string() });
                        return WalkState::Continue;
                    }
                };
                if entry.depth() == 0 {
                    return WalkState::Continue;
                }
                let Some(ft) = entry.file_type() else { return WalkState::Continue };
                if ft.is_dir() {
                    return WalkState::Continue;
                }
                let rel = relative_slash_path(root, entry.path());
                if ft.is_symlink() {
                    result
                        .lock()
                        .expect("walk lock")
                        .skipped
                        .push(SkippedEntry { rel, reason: "symbolic link (not followed)".into() });
                    return WalkState::Continue;
                }
                if !ft.is_file() {
                    result
                        .lock()
                        .expect("walk lock")
                        .skipped
                        .push(SkippedEntry { rel, reason: "not a regular file".into() });
                    return WalkState::Continue;
                }
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                let kind = classify(&entry.file_name().to_string_lossy());
                let set_aside = tracked.is_none() && gitignores.ignored(entry.path(), false);
                let file = WalkedFile { path: entry.into_path(), rel, size, kind };
                let mut result = result.lock().expect("walk lock");
                if set_aside {
                    result.gitignored.push(file)
                } else {
                    result.files.push(file)
                }
                WalkState::Continue
            })
        });
    let mut walk = result.into_inner().expect("walk lock");
    walk.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    walk.skipped.sort_by(|a, b| a.rel.cmp(&b.rel));
    walk.gitignored.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(walk)
}

/// The `.gitignore` rules of every directory, read once, and only from regular files (never
/// through a symlink, never a FIFO or device), at most 1 MiB each. As git does, a directory's
/// own rules win over its parents', up to the filesystem root (a checked subdirectory of a
/// repository honours the repository's `.gitignore`).
#[derive(Default)]
struct GitIgnores {
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
    /// The walk root: a directory above it that `.gitignore` names (the root checked inside an
    /// ignored `target/`) does not hide the tree.
    root: PathBuf,
}

impl GitIgnores {
    const MAX_BYTES: u64 = 1 << 20;

    fn of_dir(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        if let Some(hit) = self.by_dir.lock().expect("gitignore lock").get(dir) {
            return hit.clone();
        }
        let file = dir.join(".gitignore");
        let read = std::fs::symlink_metadata(&file)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| std::fs::File::open(&file).ok())
            .and_then(|f| {
                use std::io::Read;
                let mut text = String::new();
                f.take(Self::MAX_BYTES).read_to_string(&mut text).ok().map(|_| text)
            });
        let matcher = read.and_then(|text| {
            let mut b = GitignoreBuilder::new(dir);
            for line in text.lines() {
                // A bad pattern is skipped, as git skips it.
                let _ = b.add_line(Some(file.clone()), line);
            }
            b.build().ok().map(Arc::new)
        });
        self.by_dir.lock().expect("gitignore lock").insert(dir.to_path_buf(), matcher.clone());
        matcher
    }

    /// Whether `path`, or a directory it is in below the walk root, is ignored.
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        self.ignored_one(path, is_dir)
            || path
                .ancestors()
                .skip(1)
                .take_while(|a| *a != self.root && a.starts_with(&self.root))
                .any(|a| self.ignored_one(a, true))
    }

    fn ignored_one(&self, path: &Path, is_dir: bool) -> bool {
        for dir in path.ancestors().skip(1) {
            if let Some(g) = self.of_dir(dir) {
                match g.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO named `.gitignore` blocked the walk forever and a symlink to `/dev/zero` read
    /// without end (hostile-input suite); rules are read from regular files only, nearest first.
    #[test]
    fn gitignore_rules_come_only_from_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(".gitignore", "ignored.yaml\n/sub/\n*.tmp.yaml\n");
        for f in [
            "a.yaml",
            "ignored.yaml",
            "sub/x.yaml",
            "nested/a.tmp.yaml",
            "nested/keep.tmp.yaml",
            "fifo/c.yaml",
            "zero/d.yaml",
        ] {
            write(f, "a: 1\n");
        }
        write("nested/.gitignore", "!keep.tmp.yaml\n");
        assert!(std::process::Command::new("mkfifo").arg(root.join("fifo/.gitignore")).status().unwrap().success());
        std::os::unix::fs::symlink("/dev/zero", root.join("zero/.gitignore")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let walk_root = root.clone();
        std::thread::spawn(move || tx.send(walk(&walk_root).unwrap()).unwrap());
        let w = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the walk finishes");
        let files: Vec<&str> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            files,
            [".gitignore", "a.yaml", "fifo/c.yaml", "nested/.gitignore", "nested/keep.tmp.yaml", "zero/d.yaml"]
        );
        let skipped: Vec<&str> = w.skipped.iter().map(|s| s.rel.as_str()).collect();
        assert_eq!(skipped, ["fifo/.gitignore", "zero/.gitignore"]);
    }

    /// In a git work tree, a tracked file is walked although `.gitignore` names it (committed
    /// with `git add -f`: source-controller's artifact holds it), an untracked ignored one is
    /// not; without an index, ignored files are set aside for the loader.
    #[test]
    fn tracked_files_are_walked_whatever_gitignore_says() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let write = |rel: &str, text: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(".gitignore", b"secret.yaml\n/build/\n");
        for f in ["app/secret.yaml", "scratch/secret.yaml", "build/tracked.yaml", "build/scratch.yaml", "a.yaml"] {
            write(f, b"a: 1\n");
        }
        let rels = |w: &FileWalk| w.files.iter().map(|f| f.rel.clone()).collect::<Vec<_>>();
        let without = walk(&root).unwrap();
        assert_eq!(rels(&without), [".gitignore", "a.yaml"]);
        let aside: Vec<&str> = without.gitignored.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(aside, ["app/secret.yaml", "scratch/secret.yaml"]);
        write(
            ".git/index",
            &crate::gitindex::test_index(&[".gitignore", "a.yaml", "app/secret.yaml", "build/tracked.yaml"]),
        );
        let with = walk(&root).unwrap();
        assert_eq!(rels(&with), [".gitignore", "a.yaml", "app/secret.yaml", "build/tracked.yaml"]);
        assert!(with.gitignored.is_empty());
        // A checked subdirectory of the work tree sees the same tracked files.
        let sub = walk(&root.join("app")).unwrap();
        assert_eq!(rels(&sub), ["secret.yaml"]);
    }
}
