//! Walking a tree: `.gitignore` honoured, `.git` skipped, symlinks and other non-regular files
//! never followed or opened (Flux drops them from artifacts too), parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

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
    WalkBuilder::new(root)
        .hidden(false)
        .ignore(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .run(|| {
            let result = &result;
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
                result.lock().expect("walk lock").files.push(WalkedFile { path: entry.into_path(), rel, size, kind });
                WalkState::Continue
            })
        });
    let mut walk = result.into_inner().expect("walk lock");
    walk.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    walk.skipped.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(walk)
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}
