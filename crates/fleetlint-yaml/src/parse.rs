//! The one module that talks to the YAML event parser (granit-parser).
//!
//! It turns the event stream into [`Document`]s of positioned [`Node`]s, expands aliases and
//! `<<` merge keys as kyaml's de-anchoring does, and records every problem as a [`LoadIssue`]
//! instead of failing: a syntax error abandons the broken document and parsing resumes at the
//! next `---`. Swapping the parser (saphyr-parser has a near-identical event enum) touches only
//! this file.

use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{ErrorKind, Event, Parser, ScanError};

use crate::files::{FileId, Span};
use crate::scalar::{ScalarStyle, ScalarValue, is_ambiguous, resolve_kyaml};
use crate::suppress::{Suppression, parse_suppression};
use crate::tree::{Entry, Node, NodeKind, Scalar};

/// Resource limits that protect the loader from hostile input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Deepest collection nesting.
    pub max_depth: usize,
    /// Most nodes that alias expansion may create in one document.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Kubernetes objects are capped near 1.5 MiB by etcd; CRD bundles reach a few MiB.
        Self { max_file_bytes: 16 << 20, max_depth: 128, max_alias_nodes: 100_000 }
    }
}

/// One YAML document of a file.
#[derive(Clone, Debug)]
pub struct Document {
    /// 0-based position of the document in its file.
    pub index: usize,
    /// The root node; an empty document has a null scalar root.
    pub root: Node,
}

/// Something wrong with a file's YAML, found while loading it.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadIssueKind {
    /// The text is not valid YAML.
    Syntax(String),
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The file could not be read.
    Unreadable(String),
    /// A mapping key appears twice; `first` is the earlier occurrence.
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The path of the mapping that holds it, as `spec.values` (`[i]` for list items).
        path: String,
        /// The earlier occurrence.
        first: Span,
    },
    /// Alias expansion exceeded [`Limits::max_alias_nodes`].
    AliasBudget {
        /// The limit.
        limit: usize,
    },
    /// Nesting exceeded [`Limits::max_depth`].
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The file exceeds [`Limits::max_file_bytes`].
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A plain scalar that kyaml and YAML 1.1 readers type differently.
    AmbiguousScalar,
}

/// A load problem and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadIssue {
    /// What is wrong.
    pub kind: LoadIssueKind,
    /// Where.
    pub span: Span,
}

/// The result of parsing one file.
#[derive(Clone, Debug, Default)]
pub struct ParsedYaml {
    /// The documents that parsed (a broken document is left out and reported).
    pub documents: Vec<Document>,
    /// Problems, in source order.
    pub issues: Vec<LoadIssue>,
    /// `# fleetlint: ignore[...]` comments.
    pub suppressions: Vec<Suppression>,
}

impl ParsedYaml {
    /// Whether kustomize would refuse this file (syntax, encoding, duplicate keys, limits).
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.issues.iter().any(|i| !matches!(i.kind, LoadIssueKind::AmbiguousScalar))
    }
}

enum Frame {
    Seq { start: usize, anchor: usize, items: Vec<Node> },
    Map { start: usize, anchor: usize, entries: Vec<Entry>, key: Option<Node> },
}

struct Builder {
    file: FileId,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
    issues: Vec<LoadIssue>,
    /// Offsets (in the parsed text) of the spaces [`parse_yaml`] inserted after go-yaml alias
    /// names; spans are mapped back to the file's text.
    inserted: Vec<usize>,
}

/// Why a document had to be abandoned.
struct Abandon;

impl Builder {
    fn span(&self, s: &granit_parser::Span) -> Span {
        let start = s.start.byte_offset().unwrap_or(s.start.index());
        let end = s.end.byte_offset().unwrap_or(s.end.index());
        Span::new(self.file, original_offset(&self.inserted, start), original_offset(&self.inserted, end))
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.alias_nodes = 0;
        self.root = None;
    }

    fn event(&mut self, event: Event<'_>, raw_span: &granit_parser::Span) -> Result<(), Abandon> {
        let span = self.span(raw_span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let style = convert_style(style);
                let text =
                    if style == ScalarStyle::Folded { crate::folded::go_yaml_folded(&text).into() } else { text };
                // An empty plain scalar (`key:`) is `~` to the parser but empty to go-yaml, whose
                // text kustomize copies (`GetValue`).
                let text =
                    if style == ScalarStyle::Plain && span.start == span.end && text == "~" { "".into() } else { text };
                let tag_suffix = tag.as_deref().map(|t| t.core_suffix().unwrap_or(""));
                let value = resolve_kyaml(&text, style, tag_suffix);
                if is_ambiguous(&text, style, tag_suffix) {
                    self.issues.push(LoadIssue { kind: LoadIssueKind::AmbiguousScalar, span });
                }
                let node = Node {
                    span,
                    kind: NodeKind::Scalar(Scalar {
                        text: Arc::from(text.as_ref()),
                        style,
                        value,
                        tag: tag.map(|t| Arc::from(t.original().as_str())),
                    }),
                };
                self.complete(node, anchor);
            }
            Event::SequenceStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Seq { start: span.start as usize, anchor, items: Vec::new() });
            }
            Event::MappingStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Map { start: span.start as usize, anchor, entries: Vec::new(), key: None });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { start, anchor, items }) = self.stack.pop() {
                    let node =
                        Node { span: Span::new(self.file, start, span.end as usize), kind: NodeKind::Seq(items) };
                    self.complete(node, anchor);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { start, anchor, entries, .. }) = self.stack.pop() {
                    let entries = self.finish_mapping(entries);
                    let node =
                        Node { span: Span::new(self.file, start, span.end as usize), kind: NodeKind::Map(entries) };
                    self.complete(node, anchor);
                }
            }
            Event::Alias(id) => {
                let Some((node, count)) = self.anchors.get(&id) else {
                    // The anchor is still open: the alias refers to a node that contains it.
                    self.issues
                        .push(LoadIssue { kind: LoadIssueKind::Syntax("anchor value contains itself".into()), span });
                    return Err(Abandon);
                };
                self.alias_nodes += count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    self.issues.push(LoadIssue {
                        kind: LoadIssueKind::AliasBudget { limit: self.limits.max_alias_nodes },
                        span,
                    });
                    return Err(Abandon);
                }
                let node = node.clone();
                self.complete(node, 0);
            }
            _ => {}
        }
        Ok(())
    }

    /// The key path of the node being completed (the open frames' pending keys and indexes).
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Seq { items, .. } => out.push_str(&format!("[{}]", items.len())),
                Frame::Map { key, .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key.as_ref().and_then(Node::as_str).unwrap_or("?"));
                }
            }
        }
        out
    }

    fn check_depth(&mut self, span: Span) -> Result<(), Abandon> {
        if self.stack.len() >= self.limits.max_depth {
            self.issues.push(LoadIssue { kind: LoadIssueKind::TooDeep { limit: self.limits.max_depth }, span });
            return Err(Abandon);
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let count = node.count_nodes();
            self.anchors.insert(anchor, (node.clone(), count));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push(Entry { key: k, value: node }),
            },
        }
    }

    /// Report duplicate keys and expand `<<` merge keys (explicit keys win, earlier merges win).
    fn finish_mapping(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        // Duplicates are found by comparing keys in place for the usual small mapping (no key
        // text copied, nothing hashed: this runs for every mapping of every file), through a
        // map of key identities for a large one.
        let keys: Vec<Option<&Scalar>> =
            entries.iter().map(|e| e.key.as_scalar().filter(|k| !is_merge_key(k))).collect();
        let has_merge = entries.iter().any(|e| e.key.as_scalar().is_some_and(is_merge_key));
        let mut by_identity: HashMap<String, usize> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let Some(k) = k else { continue };
            let first = if keys.len() <= SMALL_MAPPING {
                keys[..i].iter().position(|o| o.is_some_and(|o| same_key(o, k)))
            } else {
                match by_identity.entry(key_identity(k)) {
                    std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(i);
                        None
                    }
                }
            };
            if let Some(first) = first {
                let path = self.path();
                self.issues.push(LoadIssue {
                    kind: LoadIssueKind::DuplicateKey { key: k.text.to_string(), path, first: entries[first].key.span },
                    span: entries[i].key.span,
                });
            }
        }
        if !has_merge {
            return entries;
        }
        let mut out = Vec::with_capacity(entries.len());
        let mut present: std::collections::HashSet<String> = keys.iter().flatten().map(|k| key_identity(k)).collect();
        for e in entries {
            let is_merge = e.key.as_scalar().is_some_and(is_merge_key);
            if !is_merge {
                out.push(e);
                continue;
            }
            let sources: Vec<&Node> = match &e.value.kind {
                NodeKind::Map(_) => vec![&e.value],
                NodeKind::Seq(items) => items.iter().collect(),
                NodeKind::Scalar(_) => {
                    self.issues.push(LoadIssue {
                        kind: LoadIssueKind::Syntax("map merge requires map or sequence of maps as the value".into()),
                        span: e.value.span,
                    });
                    Vec::new()
                }
            };
            for src in sources {
                for m in src.as_map().unwrap_or_default() {
                    let Some(k) = m.key.as_scalar() else { continue };
                    if present.insert(key_identity(k)) {
                        out.push(m.clone());
                    }
                }
            }
        }
        out
    }
}

fn is_merge_key(k: &Scalar) -> bool {
    &*k.text == "<<" && k.style == ScalarStyle::Plain
}

/// Mappings up to this many entries find duplicate keys by comparing every pair.
const SMALL_MAPPING: usize = 16;

/// Whether two keys are the same key ([`key_identity`] without building it).
fn same_key(a: &Scalar, b: &Scalar) -> bool {
    match (&a.value, &b.value) {
        (ScalarValue::Str, ScalarValue::Str) => a.text == b.text,
        (ScalarValue::Str, _) | (_, ScalarValue::Str) => false,
        _ => key_identity(a) == key_identity(b),
    }
}

fn key_identity(k: &Scalar) -> String {
    match &k.value {
        ScalarValue::Str => format!("s:{}", k.text),
        other => format!("v:{other:?}"),
    }
}

fn convert_style(style: granit_parser::ScalarStyle) -> ScalarStyle {
    match style {
        granit_parser::ScalarStyle::Plain => ScalarStyle::Plain,
        granit_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        granit_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        granit_parser::ScalarStyle::Literal => ScalarStyle::Literal,
        granit_parser::ScalarStyle::Folded => ScalarStyle::Folded,
    }
}

/// An offset in the parsed text as an offset in the file's text (see [`parse_yaml`]).
fn original_offset(inserted: &[usize], offset: usize) -> usize {
    offset - inserted.iter().filter(|&&i| i < offset).count()
}

fn scan_error_issue(file: FileId, text: &str, err: &ScanError, limits: &Limits, inserted: &[usize]) -> LoadIssue {
    let m = err.marker();
    let offset = original_offset(inserted, m.byte_offset().unwrap_or(m.index())).min(text.len());
    let kind = match err.kind() {
        ErrorKind::RecursionLimitExceeded => LoadIssueKind::TooDeep { limit: limits.max_depth },
        k => LoadIssueKind::Syntax(k.to_string()),
    };
    LoadIssue { kind, span: Span::empty(file, offset) }
}

/// Parse `text` (the contents of `file`) into documents, issues and suppressions.
///
/// Two readings follow go-yaml rather than YAML 1.2 (go-yaml/yaml@f6f7691 v3 `scannerc.go`):
/// - an anchor or alias name is `[0-9A-Za-z_-]+` (`yaml_parser_scan_anchor`, `is_alpha`), so
///   `*name: value` is the alias `name` used as a key (Helm values that reuse an anchored name),
///   where YAML 1.2 reads the alias `name:`; when the parser stops at such an alias, a space is
///   inserted after the go-yaml name and the text parsed again (spans are mapped back);
/// - a block scalar on the last line of a text without a final line break has no final line
///   break (`block_scalar_eof_without_line_feed`, as libyaml).
#[must_use]
pub fn parse_yaml(file: FileId, text: &str, limits: &Limits) -> ParsedYaml {
    let mut src = std::borrow::Cow::Borrowed(text);
    let mut inserted: Vec<usize> = Vec::new();
    loop {
        let (out, unknown_alias) = parse_once(file, text, &src, limits, &inserted);
        let split = unknown_alias.filter(|_| inserted.len() < 256).and_then(|at| {
            let b = src.as_bytes();
            let name_end =
                (at + 1..b.len()).find(|&i| !(b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-')))?;
            (b.get(at) == Some(&b'*') && name_end > at + 1 && b[name_end] == b':').then_some(name_end)
        });
        match split {
            Some(at) => {
                src.to_mut().insert(at, ' ');
                inserted.push(at);
            }
            None => return out,
        }
    }
}

/// One parse of `src` (`text` with the spaces at `inserted`); also the offset in `src` of an
/// alias to an unknown anchor, if the parser stopped at one.
fn parse_once(file: FileId, text: &str, src: &str, limits: &Limits, inserted: &[usize]) -> (ParsedYaml, Option<usize>) {
    let options = granit_parser::options! {
        block_scalar_eof_without_line_feed: true,
        // Our own depth check fires first and names the limit; these only bound the scanner.
        flow_nesting_limit: limits.max_depth + 8,
        block_nesting_limit: limits.max_depth + 8,
        // Long comment blocks (commented-out values files) are ordinary in fleet repos.
        max_buffered_comment_events: 1 << 20,
    };
    let mut parser = Parser::new_from_str_with_options(src, options);
    let mut unknown_alias = None;
    let mut builder = Builder {
        file,
        limits: *limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        issues: Vec::new(),
        inserted: inserted.to_vec(),
    };
    let mut out = ParsedYaml::default();
    let mut doc_index = 0;
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => match event {
                Event::DocumentStart(..) => builder.reset(),
                Event::DocumentEnd => {
                    let root = builder.root.take().unwrap_or_else(|| Node::string("", builder.span(&span)));
                    let root = if root.as_str() == Some("") && root.as_scalar().is_some() {
                        null_node(root.span)
                    } else {
                        root
                    };
                    out.documents.push(Document { index: doc_index, root });
                    doc_index += 1;
                }
                Event::Comment(body, _) => {
                    if let Some(s) = parse_suppression(&body, builder.span(&span)) {
                        out.suppressions.push(s);
                    }
                }
                other => {
                    if builder.event(other, &span).is_err() {
                        doc_index += 1;
                        builder.reset();
                        match parser.proceed_next_document() {
                            Ok(true) => {}
                            Ok(false) | Err(_) => break,
                        }
                    }
                }
            },
            Some(Err(err)) => {
                if matches!(err.kind(), ErrorKind::UnknownAnchor) && unknown_alias.is_none() {
                    let m = err.marker();
                    unknown_alias = Some(m.byte_offset().unwrap_or(m.index()));
                }
                builder.issues.push(scan_error_issue(file, text, &err, limits, inserted));
                doc_index += 1;
                builder.reset();
                match parser.proceed_next_document() {
                    Ok(true) => {}
                    Ok(false) | Err(_) => break,
                }
            }
        }
    }
    out.issues = builder.issues;
    out.issues.sort_by_key(|i| (i.span.start, i.span.end));
    (out, unknown_alias)
}

fn null_node(span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Scalar(Scalar {
            text: Arc::from(""),
            style: ScalarStyle::Plain,
            value: ScalarValue::Null,
            tag: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// go-yaml names: `*name:` is the alias `name` as a key; spans stay those of the file.
    #[test]
    fn alias_names_end_where_go_yaml_ends_them() {
        let text = "a: &name app\nm:\n  *name: bar\n  x: *name\n";
        let p = parse_yaml(FileId(0), text, &Limits::default());
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        let root = &p.documents[0].root;
        let bar = root.get_path(&["m", "app"]).expect("alias key");
        assert_eq!(&text[bar.span.range()], "bar");
        let x = root.get_path(&["m", "x"]).expect("x");
        assert_eq!(x.as_str(), Some("app"));
        assert_eq!(&text[root.get("m").and_then(|m| m.as_map()).unwrap()[1].key.span.range()], "x");
        // a genuinely unknown alias is still an error
        assert!(!parse_yaml(FileId(0), "a: *nope\n", &Limits::default()).issues.is_empty());
    }

    /// A block scalar ending the text without a line break has none (libyaml, go-yaml).
    #[test]
    fn block_scalar_at_the_end_of_the_text() {
        let p = parse_yaml(FileId(0), "a: |\n  x\n  y", &Limits::default());
        assert_eq!(p.documents[0].root.get("a").and_then(Node::as_str), Some("x\ny"));
        let p = parse_yaml(FileId(0), "a: |\n  x\n", &Limits::default());
        assert_eq!(p.documents[0].root.get("a").and_then(Node::as_str), Some("x\n"));
    }

    fn parse(text: &str) -> ParsedYaml {
        parse_yaml(FileId(0), text, &Limits::default())
    }

    #[test]
    fn keys_and_values_carry_positions() {
        let text = "a: 1\n---\nkind: Kustomization\nspec:\n  sourceRef:\n    namespace: flux-system\n";
        let p = parse(text);
        assert_eq!(p.documents.len(), 2);
        let doc = &p.documents[1];
        let e = doc.root.get("spec").unwrap().get("sourceRef").unwrap().entry("namespace").unwrap();
        assert_eq!(&text[e.key.span.range()], "namespace");
        assert_eq!(&text[e.value.span.range()], "flux-system");
    }

    #[test]
    fn syntax_error_recovers_at_next_document() {
        let p = parse("a: [1, 2\n---\nb: 2\n");
        assert!(matches!(p.issues[0].kind, LoadIssueKind::Syntax(_)));
        assert!(p.documents.iter().any(|d| d.root.get("b").is_some()));
    }

    #[test]
    fn duplicate_keys_are_kept_and_reported() {
        let p = parse("metadata:\n  name: x\n  name: y\n");
        let dup: Vec<_> = p.issues.iter().filter(|i| matches!(i.kind, LoadIssueKind::DuplicateKey { .. })).collect();
        assert_eq!(dup.len(), 1);
        assert!(
            matches!(&dup[0].kind, LoadIssueKind::DuplicateKey { key, path, .. } if key == "name" && path == "metadata")
        );
        assert_eq!(p.documents[0].root.get_path(&["metadata", "name"]).unwrap().as_str(), Some("y"));
    }

    /// Small mappings compare keys pairwise, large ones through a map: both find the same
    /// duplicates, each pointing at the first occurrence, and a string key never equals a typed
    /// one of the same text.
    #[test]
    fn duplicate_keys_in_small_and_large_mappings_point_at_the_first() {
        for size in [3, SMALL_MAPPING + 5] {
            let mut text: String = (0..size).map(|i| format!("k{i}: {i}\n")).collect();
            text.push_str("k1: again\nk1: third\n\"1\": quoted\n1: int\n");
            let p = parse(&text);
            let dup: Vec<_> = p
                .issues
                .iter()
                .filter_map(|i| match &i.kind {
                    LoadIssueKind::DuplicateKey { key, first, .. } => {
                        Some((key.as_str(), first.start as usize, i.span.start as usize))
                    }
                    _ => None,
                })
                .collect();
            let first_k1 = text.find("k1:").unwrap();
            let again = text.find("k1: again").unwrap();
            let third = text.find("k1: third").unwrap();
            assert_eq!(dup, vec![("k1", first_k1, again), ("k1", first_k1, third)], "{size} keys");
        }
    }

    #[test]
    fn merge_keys_expand_with_explicit_keys_winning() {
        let p = parse("base: &b {a: 1, c: 3}\nm:\n  <<: *b\n  a: 2\n");
        let m = p.documents[0].root.get("m").unwrap();
        assert_eq!(m.to_json(), serde_json::json!({"a": 2, "c": 3}));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let p = parse(&text);
        assert!(p.issues.iter().any(|i| matches!(i.kind, LoadIssueKind::AliasBudget { .. })));
    }

    #[test]
    fn deep_nesting_is_stopped() {
        let text = "[".repeat(5000) + &"]".repeat(5000);
        let p = parse(&text);
        assert!(p.issues.iter().any(|i| matches!(i.kind, LoadIssueKind::TooDeep { .. })), "{:?}", p.issues);
        let block: String = (0..400).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let p = parse(&block);
        assert!(p.issues.iter().any(|i| matches!(i.kind, LoadIssueKind::TooDeep { .. })), "{:?}", p.issues);
    }

    #[test]
    fn tolerant_like_kustomize() {
        // Repeated anchor names (the latest wins), a bare `=`, unknown tags, BOM and CRLF.
        let p = parse("\u{feff}a: &x 1\r\nb: &x 2\r\nc: *x\r\nd: =\r\ne: !foo bar\r\n");
        assert!(!p.is_broken(), "{:?}", p.issues);
        assert_eq!(p.documents[0].root.to_json(), serde_json::json!({"a": 1, "b": 2, "c": 2, "d": "=", "e": "bar"}));
    }

    #[test]
    fn folded_scalars_keep_the_break_before_more_indented_lines_like_go_yaml() {
        let p = parse("a: >-\n  x(c,\n    y\n  )\nb: >\n  one\n  two\n\n  three\n    more\n  four\n");
        let root = &p.documents[0].root;
        assert_eq!(root.get("a").unwrap().as_str(), Some("x(c,\n\n  y\n)"));
        assert_eq!(root.get("b").unwrap().as_str(), Some("one two\nthree\n\n  more\nfour\n"));
    }

    #[test]
    fn empty_documents_are_null() {
        let p = parse("---\n---\na: 1\n");
        assert!(p.documents[0].root.is_null());
    }
}
