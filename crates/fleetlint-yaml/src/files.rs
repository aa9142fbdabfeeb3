//! Files, byte spans and line/column positions.
//!
//! Positions are stored as byte offsets; lines and columns are computed only when a finding is
//! reported, through a per-file [`LineIndex`] (the shape ruff's `ruff_source_file` uses).

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`FileDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

impl FileId {
    /// The id of text fleetlint writes itself (built-in manifests, embedded schemas, rendered
    /// templates): never an index into a [`FileDb`], so nothing is reported at it.
    pub const SYNTHETIC: FileId = FileId(u32::MAX);
}

/// A byte range in one file. `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file the bytes belong to.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`.
    #[must_use]
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self { file, start: to_u32(start), end: to_u32(end.max(start)) }
    }

    /// An empty span at `offset`.
    #[must_use]
    pub fn empty(file: FileId, offset: usize) -> Self {
        Self::new(file, offset, offset)
    }

    /// The byte range as `usize`.
    #[must_use]
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering `self` and `other` (same file assumed).
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

fn to_u32(n: usize) -> u32 {
    // Files are capped far below 4 GiB by the loader's size limit.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in Unicode scalar values.
    pub column: u32,
}

/// Line starts of one file, for offset -> line/column conversion.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    /// Index the line starts of `text`. `\n`, `\r\n` and a lone `\r` end a line, as in YAML.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(to_u32(i + 1)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(to_u32(i + 1)),
                _ => {}
            }
            i += 1;
        }
        Self { starts }
    }

    /// Number of lines (a trailing newline does not open a counted line).
    #[must_use]
    pub fn line_count(&self, text_len: usize) -> u32 {
        let n = self.starts.len();
        if n > 1 && self.starts[n - 1] as usize == text_len { to_u32(n - 1) } else { to_u32(n) }
    }

    /// The 1-based line and column of byte `offset` in `text`.
    #[must_use]
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.starts[line] as usize;
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[start..end].chars().count() + 1;
        LineCol { line: to_u32(line + 1), column: to_u32(column) }
    }

    /// Byte range of 1-based `line` (without its line break).
    #[must_use]
    pub fn line_range(&self, text: &str, line: u32) -> std::ops::Range<usize> {
        let idx = (line.max(1) - 1) as usize;
        let start = self.starts.get(idx).map_or(text.len(), |&s| s as usize);
        let mut end = self.starts.get(idx + 1).map_or(text.len(), |&s| s as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }
}

/// One file of a tree fleetlint reads: the checked root or a mapped source.
#[derive(Debug)]
pub struct TextFile {
    /// Path relative to its tree's root, with `/` separators.
    pub path: String,
    /// The key of the source mapping whose tree this file belongs to; `None` for the checked root.
    pub mapping: Option<Arc<str>>,
    /// Absolute (or as-given) path on disk.
    pub disk_path: PathBuf,
    /// The file's text. Invalid UTF-8 is replaced (and reported by the loader).
    pub text: Arc<str>,
    /// Line starts of `text`.
    pub lines: LineIndex,
}

impl TextFile {
    /// Build a file record and index its lines.
    #[must_use]
    pub fn new(path: String, mapping: Option<Arc<str>>, disk_path: PathBuf, text: Arc<str>) -> Self {
        let lines = LineIndex::new(&text);
        Self { path, mapping, disk_path, text, lines }
    }

    /// 1-based line/column of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: u32) -> LineCol {
        self.lines.line_col(&self.text, offset as usize)
    }
}

/// All files read in one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct FileDb {
    files: Vec<TextFile>,
}

impl FileDb {
    /// An empty database.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file and return its id.
    pub fn add(&mut self, file: TextFile) -> FileId {
        self.files.push(file);
        FileId(to_u32(self.files.len() - 1))
    }

    /// The file behind `id`.
    ///
    /// # Panics
    /// When `id` was not issued by this database (a programming error).
    #[must_use]
    pub fn get(&self, id: FileId) -> &TextFile {
        &self.files[id.0 as usize]
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

    /// Iterate over `(id, file)`.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &TextFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(to_u32(i)), f))
    }

    /// Start and end line/column of a span.
    #[must_use]
    pub fn span_lines(&self, span: Span) -> (LineCol, LineCol) {
        let f = self.get(span.file);
        (f.line_col(span.start), f.line_col(span.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_scalar_values_and_crlf() {
        let text = "a: 1\r\nb: \"ü\" x\rc\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(idx.line_col(text, x), LineCol { line: 2, column: 8 });
        let c = text.find('c').unwrap();
        assert_eq!(idx.line_col(text, c), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_count(text.len()), 3);
        assert_eq!(&text[idx.line_range(text, 1)], "a: 1");
    }
}
