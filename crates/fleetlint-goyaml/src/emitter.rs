//! The block part of go-yaml v2's emitter (kubernetes-sigs/yaml@c3772b51db `goyaml.v2/
//! emitterc.go`): indentation, simple keys, sequences inside mappings written without
//! indentation, `{}`/`[]` for empty collections, and the scalar style selection
//! (`yaml_emitter_select_scalar_style`); the scalar writers are in [`crate::scalar`].

use std::borrow::Cow;
use std::ops::Range;

use crate::resolve::key_order;
use crate::scalar::{Scalar, Style, analyze, width};

/// go-yaml's line width (`best_width`) and indentation (`best_indent`).
pub(crate) const BEST_WIDTH: usize = 80;
pub(crate) const BEST_INDENT: isize = 2;

/// A tree go-yaml can write: JSON-shaped (what `sigs.k8s.io/yaml` marshals after its trip
/// through `encoding/json`), each node optionally carrying a caller's mark that is reported with
/// the range of output it produced.
///
/// Implement it for a cheap handle (a reference, or a wrapper around one): [`Shape`] holds the
/// children by value.
pub trait Emit: Sized {
    /// What a caller attaches to nodes and keys (an id, a source span).
    type Mark: Copy;
    /// This node's mark.
    fn mark(&self) -> Option<Self::Mark>;
    /// This node's content.
    fn shape(&self) -> Shape<'_, Self>;
}

/// The content of an [`Emit`] node.
pub enum Shape<'a, T: Emit> {
    /// A scalar with the style the encoder asks for.
    Scalar(Scalar<'a>),
    /// A sequence.
    Seq(Vec<T>),
    /// A mapping: one entry per key (JSON objects have unique keys); the emitter sorts them in
    /// go-yaml v2's key order.
    Map(Vec<Entry<'a, T>>),
}

/// A mapping entry.
pub struct Entry<'a, T: Emit> {
    /// The key.
    pub key: Cow<'a, str>,
    /// The key's mark.
    pub key_mark: Option<T::Mark>,
    /// The value.
    pub value: T,
}

/// Where a marked scalar (or empty collection) is in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked<M> {
    /// Byte range in [`Emitted::text`], from the first character written for the value
    /// (an indicator or the text; not the separating space).
    pub range: Range<usize>,
    /// The node's or key's mark.
    pub mark: M,
    /// Whether this is a mapping key.
    pub is_key: bool,
}

/// The YAML document and the ranges of marked nodes, in output order.
#[derive(Clone, Debug)]
pub struct Emitted<M> {
    /// The document, ending with a line break.
    pub text: String,
    /// Ranges of marked scalars, keys and empty collections.
    pub marks: Vec<Marked<M>>,
}

/// `yaml.Marshal` (go-yaml v2) of a JSON-shaped tree.
#[must_use]
pub fn marshal<T: Emit>(root: T) -> Emitted<T::Mark> {
    let mut e = Emitter::new();
    e.node(&root, false, false);
    // Document end (implicit): a final line break.
    e.write_indent();
    Emitted { text: e.out, marks: e.marks }
}

/// A string as go-yaml writes it as a single value (plain, else quoted), without the final line
/// break; what kustomize writes where it marshals a small structure itself.
#[must_use]
pub fn scalar_text(s: &str) -> String {
    struct One<'a>(&'a str);
    impl Emit for One<'_> {
        type Mark = ();
        fn mark(&self) -> Option<()> {
            None
        }
        fn shape(&self) -> Shape<'_, Self> {
            Shape::Scalar(Scalar::string(self.0))
        }
    }
    let mut text = marshal(One(s)).text;
    text.pop();
    text
}

/// go-yaml v2's emitter state, writing into one string.
pub(crate) struct Emitter<M> {
    pub(crate) out: String,
    pub(crate) column: usize,
    pub(crate) whitespace: bool,
    pub(crate) indention: bool,
    indent: isize,
    indents: Vec<isize>,
    flow_level: usize,
    marks: Vec<Marked<M>>,
}

impl<M: Copy> Emitter<M> {
    fn new() -> Self {
        Self {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
            marks: Vec::new(),
        }
    }

    pub(crate) fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    pub(crate) fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_all(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    /// Copy the character at `value[*i]`.
    pub(crate) fn write(&mut self, value: &str, i: &mut usize) {
        let w = width(value.as_bytes()[*i]);
        self.out.push_str(&value[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    /// `write_break`: a `\n` is a line break; another break character is copied and counts as
    /// one.
    pub(crate) fn write_break(&mut self, value: &str, i: &mut usize) {
        if value.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(value, i);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    pub(crate) fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent.max(0)).unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    pub(crate) fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_ws: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.write_all(indicator);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    /// Record what was written since `start` (after the separating space) under `mark`.
    fn record(&mut self, start: usize, mark: Option<M>, is_key: bool) {
        if let Some(mark) = mark {
            let written = &self.out[start..];
            let start = start + written.len() - written.trim_start_matches(' ').len();
            self.marks.push(Marked { range: start..self.out.len(), mark, is_key });
        }
    }

    fn node<T: Emit<Mark = M>>(&mut self, node: &T, mapping: bool, simple_key: bool) {
        match node.shape() {
            Shape::Scalar(s) => {
                let start = self.out.len();
                self.scalar(&s, simple_key);
                self.record(start, node.mark(), false);
            }
            Shape::Seq(items) if items.is_empty() => self.empty_flow("[", "]", node.mark()),
            Shape::Map(entries) if entries.is_empty() => self.empty_flow("{", "}", node.mark()),
            Shape::Seq(items) => {
                let indentless = mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(&item, false, false);
                }
                self.pop_indent();
            }
            Shape::Map(mut entries) => {
                // go-yaml v2 sorts map keys (`sorter.go`); `sort_by` is stable like the
                // insertion sort it uses for short lists.
                entries.sort_by(|a, b| key_order(&a.key, &b.key));
                self.increase_indent(false, false);
                for entry in entries {
                    self.write_indent();
                    let key = Scalar::string(entry.key);
                    // `yaml_emitter_check_simple_key`
                    if !analyze(&key.text).multiline && key.text.len() <= 128 {
                        let start = self.out.len();
                        self.scalar(&key, true);
                        self.record(start, entry.key_mark, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        let start = self.out.len();
                        self.scalar(&key, false);
                        self.record(start, entry.key_mark, true);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(&entry.value, true, false);
                }
                self.pop_indent();
            }
        }
    }

    /// Empty collections (the only flow collections JSON-shaped trees produce).
    fn empty_flow(&mut self, open: &str, close: &str, mark: Option<M>) {
        let start = self.out.len();
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
        self.record(start, mark, false);
    }

    /// `yaml_emitter_select_scalar_style`, then the writer of that style.
    fn scalar(&mut self, event: &Scalar<'_>, simple_key: bool) {
        let a = analyze(&event.text);
        let mut style = event.style;
        if simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed) || (self.flow_level == 0 && !a.block_plain_allowed) {
                style = Style::SingleQuoted;
            }
            if event.text.is_empty() && (self.flow_level > 0 || simple_key) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.flow_level > 0 || simple_key) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(&event.text, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(&event.text, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(&event.text, allow_breaks),
            Style::Literal => self.write_literal(&event.text),
        }
        self.pop_indent();
    }
}
