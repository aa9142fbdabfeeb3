//! Loading a tree: walk, read and parse every YAML file in parallel, into a [`FileDb`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::files::{FileDb, FileId, Span, TextFile};
use crate::parse::{Limits, LoadIssue, LoadIssueKind, ParsedYaml, parse_yaml};
use crate::sourceignore::{IgnoreCause, SourceIgnore};
use crate::walk::{FileKind, SkippedEntry, WalkedFile, walk};

/// A parsed YAML file of a tree.
#[derive(Debug)]
pub struct LoadedFile {
    /// Its id in the [`FileDb`].
    pub id: FileId,
    /// Documents, issues and suppressions.
    pub yaml: ParsedYaml,
    /// Why the tree's `.sourceignore` rules leave it out of an artifact, if they do.
    pub ignored: Option<IgnoreCause>,
}

/// A loaded tree: the checked root or a mapped source.
#[derive(Debug)]
pub struct LoadedTree {
    /// The directory as given.
    pub root: PathBuf,
    /// The key of the source mapping this tree was loaded for; `None` for the checked root.
    pub mapping: Option<Arc<str>>,
    /// Parsed YAML files, sorted by path.
    pub files: Vec<LoadedFile>,
    /// Every other regular file (relative paths), for generators and path checks.
    pub other_files: Vec<String>,
    /// Entries not read (symlinks, special files, walk errors).
    pub skipped: Vec<SkippedEntry>,
    /// The tree's `.sourceignore` rules.
    pub source_ignore: SourceIgnore,
    /// The `.sourceignore` files, `(relative path, text)`: a source's `spec.ignore` is layered on
    /// them to give that source's own view of the tree.
    pub sourceignore_files: Vec<(String, String)>,
}

impl LoadedTree {
    /// Number of documents in all files.
    #[must_use]
    pub fn document_count(&self) -> usize {
        self.files.iter().map(|f| f.yaml.documents.len()).sum()
    }
}

/// Walk `root` and parse its YAML files into `db`.
///
/// # Errors
/// When `root` is not a readable directory. Problems with single files are recorded as
/// [`LoadIssue`]s, never returned as errors.
pub fn load_tree(
    db: &mut FileDb,
    root: &Path,
    mapping: Option<Arc<str>>,
    limits: &Limits,
) -> std::io::Result<LoadedTree> {
    let mut walked = walk(root)?;
    let named = named_by_kustomizations(&walked.files, &walked.gitignored);
    walked.files.extend(named);
    walked.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let mut yaml_files = Vec::new();
    let mut ignore_files = Vec::new();
    let mut other_files = Vec::new();
    let mut json_files = Vec::new();
    for f in walked.files {
        match f.kind {
            FileKind::Yaml => yaml_files.push(f),
            FileKind::SourceIgnore => {
                let text = std::fs::read(&f.path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                ignore_files.push((f.rel.clone(), text));
                other_files.push(f.rel);
            }
            FileKind::Other => {
                if f.rel.ends_with(".json") {
                    json_files.push(f.clone());
                }
                other_files.push(f.rel);
            }
        }
    }
    let source_ignore = SourceIgnore::new(&ignore_files, None);
    let sourceignore_files = ignore_files;
    let base = db.len();
    let read: Vec<(TextFile, ParsedYaml)> = yaml_files
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let id = FileId(u32::try_from(base + i).unwrap_or(u32::MAX));
            let (text, yaml) = read_and_parse(id, &f.path, f.size, limits);
            (TextFile::new(f.rel.clone(), mapping.clone(), f.path.clone(), text), yaml)
        })
        .collect();
    let mut files = Vec::with_capacity(read.len());
    for (file, yaml) in read {
        let ignored = source_ignore.status(&file.path);
        let id = db.add(file);
        files.push(LoadedFile { id, yaml, ignored });
    }
    // A JSON file a kustomization lists in `resources` is a manifest: kustomize reads it as YAML
    // (JSON is YAML; kubernetes-sigs/kustomize@v5.5.0 api/internal/accumulator loads every
    // resource file through kyaml's YAML reader). Only those are parsed: other JSON (dashboards
    // a generator embeds, package files) stays bytes (heldout11, jonpulsifer/infra's
    // `cluster-topology.json` ConfigMap).
    let listed = json_resources(db, &files, &json_files);
    if !listed.is_empty() {
        let parsed: std::collections::HashSet<&str> = listed.iter().map(|f| f.rel.as_str()).collect();
        other_files.retain(|o| !parsed.contains(o.as_str()));
        for f in &listed {
            let id = FileId(u32::try_from(db.len()).unwrap_or(u32::MAX));
            let (text, yaml) = read_and_parse(id, &f.path, f.size, limits);
            let ignored = source_ignore.status(&f.rel);
            db.add(TextFile::new(f.rel.clone(), mapping.clone(), f.path.clone(), text));
            files.push(LoadedFile { id, yaml, ignored });
        }
        files.sort_by(|a, b| db.get(a.id).path.cmp(&db.get(b.id).path));
    }
    Ok(LoadedTree {
        root: root.to_path_buf(),
        mapping,
        files,
        other_files,
        skipped: walked.skipped,
        source_ignore,
        sourceignore_files,
    })
}

/// The `.json` files among `json` that a kustomization file of `files` lists in `resources`.
fn json_resources(db: &FileDb, files: &[LoadedFile], json: &[WalkedFile]) -> Vec<WalkedFile> {
    if json.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<WalkedFile> = Vec::new();
    for f in files {
        let path = &db.get(f.id).path;
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if !is_kustomization_file(name) {
            continue;
        }
        let Some(doc) = f.yaml.documents.first() else { continue };
        for entry in doc.root.get("resources").and_then(crate::Node::as_seq).unwrap_or_default() {
            let Some(rel) = entry.as_str().filter(|e| e.ends_with(".json")) else { continue };
            let Some(joined) = crate::relpath::join_in_root(dir, rel) else { continue };
            if let Some(w) = json.iter().find(|w| w.rel == joined)
                && !out.iter().any(|o| o.rel == joined)
            {
                out.push(w.clone());
            }
        }
    }
    out
}

/// The files `.gitignore` set aside (no git index told whether they are committed) that a
/// kustomization file of the tree names: a file a build lists and that exists is read, never
/// reported as missing. A name counts when a kustomization's text holds the file's name as a
/// whole path segment; at worst a file is read that nothing builds.
fn named_by_kustomizations(files: &[WalkedFile], gitignored: &[WalkedFile]) -> Vec<WalkedFile> {
    if gitignored.is_empty() {
        return Vec::new();
    }
    let texts: Vec<String> = files
        .iter()
        .chain(gitignored)
        .filter(|f| {
            let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
            is_kustomization_file(name) && f.size <= 1 << 20
        })
        .filter_map(|f| read_capped(&f.path, 1 << 20).ok().map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect();
    gitignored
        .iter()
        .filter(|f| {
            let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
            texts.iter().any(|t| {
                t.match_indices(name).any(|(at, _)| {
                    let before = t[..at].chars().next_back();
                    let after = t[at + name.len()..].chars().next();
                    !before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        && !after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                })
            })
        })
        .cloned()
        .collect()
}

/// kustomize's kustomization file names (`konfig.RecognizedKustomizationFileNames`:
/// kubernetes-sigs/kustomize@v5.5.0:api/konfig/general.go).
fn is_kustomization_file(name: &str) -> bool {
    matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization")
}

/// Read one file with the size limit, decode it, and parse it.
#[must_use]
pub(crate) fn read_and_parse(id: FileId, path: &Path, size: u64, limits: &Limits) -> (Arc<str>, ParsedYaml) {
    let issue =
        |kind| ParsedYaml { issues: vec![LoadIssue { kind, span: Span::empty(id, 0) }], ..ParsedYaml::default() };
    if size > limits.max_file_bytes {
        return (Arc::from(""), issue(LoadIssueKind::TooLarge { size, limit: limits.max_file_bytes }));
    }
    let bytes = match read_capped(path, limits.max_file_bytes) {
        Ok(b) => b,
        Err(e) => return (Arc::from(""), issue(LoadIssueKind::Unreadable(e.to_string()))),
    };
    if bytes.len() as u64 > limits.max_file_bytes {
        return (
            Arc::from(""),
            issue(LoadIssueKind::TooLarge { size: bytes.len() as u64, limit: limits.max_file_bytes }),
        );
    }
    match decode(bytes) {
        Ok(text) => {
            let yaml = parse_yaml(id, &text, limits);
            (Arc::from(text), yaml)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Keep the replacement text so the finding can show the line; nothing is parsed,
            // as kustomize refuses the file.
            let span = Span::empty(id, at);
            (
                Arc::from(text),
                ParsedYaml {
                    issues: vec![LoadIssue { kind: LoadIssueKind::InvalidUtf8, span }],
                    ..ParsedYaml::default()
                },
            )
        }
    }
}

/// The text of a file: UTF-8, or UTF-16 (little or big endian) announced by its byte order
/// mark, which go-yaml reads as well (go-yaml v3 `readerc.go` `yaml_parser_determine_encoding`:
/// a `FF FE` or `FE FF` BOM selects UTF-16LE/BE), so kustomize builds such a file (a Windows
/// editor's save). UTF-16 that does not decode is reported as not UTF-8, as before.
fn decode(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(false),
        Some([0xFE, 0xFF]) => Some(true),
        _ => None,
    };
    let Some(big_endian) = utf16.filter(|_| bytes.len().is_multiple_of(2)) else { return String::from_utf8(bytes) };
    let units = bytes[2..]
        .chunks_exact(2)
        .map(|c| if big_endian { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) });
    char::decode_utf16(units).collect::<Result<String, _>>().or_else(|_| String::from_utf8(bytes))
}

/// Read at most `cap + 1` bytes, so a file that grows (or `/dev/zero` behind a path) cannot
/// exhaust memory.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    file.take(cap + 1).read_to_end(&mut buf)?;
    Ok(buf)
}
