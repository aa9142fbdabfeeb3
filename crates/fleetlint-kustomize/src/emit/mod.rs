//! Printing resources as multi-document YAML the way `kubectl kustomize` does, byte for byte,
//! optionally with a `# file:line` origin comment after each line.
//!
//! kubectl prints each object with `Resource.AsYAML` (kubernetes-sigs/kustomize@afe7793676
//! `api/resource/resource.go`): the object as JSON, then `sigs.k8s.io/yaml.JSONToYAML`, which is
//! go-yaml v2's `Marshal` of the value decoded from that JSON; objects are joined with `---`
//! (`api/resmap/reswrangler.go` `AsYaml`). So keys are in go-yaml v2's order, sequences in a
//! mapping are not indented, empty collections are `{}` and `[]`, and scalars take the style
//! go-yaml v2's emitter chooses, folded at 80 columns. The emitter below is a port of the block
//! part of kubernetes-sigs/yaml@c3772b51db `goyaml.v2/emitterc.go` (indentation, simple keys,
//! scalar analysis and style selection, plain, single-quoted, double-quoted and literal
//! writers); [`crate::goyaml`] holds the resolver, float and key-order decisions.

use fleetlint_yaml::{Node, NodeKind, ScalarValue, SourceDb, Span};

use crate::goyaml;
use crate::resource::Resource;

/// Print `resources` as multi-document YAML. With `origins`, each line that holds a value
/// ends with `# <file>:<line>` naming the text that wrote it.
#[must_use]
pub fn to_yaml(resources: &[Resource], origins: Option<&SourceDb>) -> String {
    nodes_to_yaml(resources.iter().map(|r| &r.root), origins)
}

/// [`to_yaml`] for object trees that are not kustomize resources (the objects a Flux
/// Kustomization renders after its build options and post-build substitution).
#[must_use]
pub fn nodes_to_yaml<'n>(roots: impl IntoIterator<Item = &'n Node>, origins: Option<&SourceDb>) -> String {
    let mut out = String::new();
    for (i, root) in roots.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut e = Emitter::new();
        e.emit_document(root);
        for (text, span) in e.lines {
            out.push_str(&text);
            if let (Some(db), Some(span)) = (origins, span)
                && (span.file.0 as usize) < db.len()
            {
                let f = db.get(span.file);
                // A file of a mapped source is named with its source, as in reports.
                let source = f.source.as_deref().map_or_else(String::new, |s| format!("{s}:"));
                out.push_str(&format!(" # {source}{}:{}", f.path, f.line_col(span.start).line));
            }
            out.push('\n');
        }
    }
    out
}

/// A string as go-yaml writes it as a single value (plain, else quoted); used where kustomize
/// marshals a small structure itself (origin annotations).
pub(crate) fn quote_str(s: &str) -> String {
    let mut e = Emitter::new();
    e.indent = 0;
    e.emit_scalar(&scalar_event_of_str(s), None);
    let mut lines: Vec<String> = e.lines.into_iter().map(|(l, _)| l).collect();
    lines.push(e.line);
    lines.join("\n")
}

/// go-yaml's line width (`best_width`) and indentation (`best_indent`).
const BEST_WIDTH: usize = 80;
const BEST_INDENT: isize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// A scalar event: the text and the style the encoder asks for.
struct ScalarEvent {
    value: String,
    style: Style,
}

/// `encoder.stringv`: multi-line strings are literal blocks, strings that would resolve to
/// another type are double-quoted, others plain (the emitter may still quote them).
fn scalar_event_of_str(s: &str) -> ScalarEvent {
    let style = if s.contains('\n') {
        Style::Literal
    } else if goyaml::string_needs_quotes(s) {
        Style::DoubleQuoted
    } else {
        Style::Plain
    };
    ScalarEvent { value: s.to_string(), style }
}

/// The scalar event of a node after the trip through JSON: typed values are plain.
fn scalar_event(node: &Node) -> ScalarEvent {
    let Some(s) = node.as_scalar() else { return ScalarEvent { value: String::new(), style: Style::Plain } };
    let plain = |value: String| ScalarEvent { value, style: Style::Plain };
    match &s.value {
        ScalarValue::Null => plain("null".into()),
        ScalarValue::Bool(b) => plain(b.to_string()),
        ScalarValue::Int(i) => plain(i.to_string()),
        ScalarValue::Float(f) => plain(goyaml::go_float(*f)),
        ScalarValue::Str => scalar_event_of_str(&s.text),
    }
}

/// `yaml_emitter_analyze_scalar`'s verdicts.
#[derive(Clone, Copy, Debug)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let c = b[i];
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(at(1) == 0xBB && at(2) == 0xBF) && !(at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)))
}

fn is_space(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b' ')
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), Some(b' ' | b'\t'))
}

fn is_break(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    matches!(at(0), b'\r' | b'\n')
        || (at(0) == 0xC2 && at(1) == 0x85)
        || (at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9))
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    i >= b.len() || is_blank(b, i) || is_break(b, i) || b[i] == 0
}

/// go-yaml's `is_bom` looks at the start of the value whatever the index (so a value starting
/// with a byte order mark has every character escaped when double-quoted).
fn starts_with_bom(b: &[u8]) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

fn width(c: u8) -> usize {
    match c {
        c if c & 0x80 == 0 => 1,
        c if c & 0xE0 == 0xC0 => 2,
        c if c & 0xF0 == 0xE0 => 3,
        c if c & 0xF8 == 0xF0 => 4,
        _ => 1,
    }
}

fn analyze(value: &str) -> Analysis {
    let b = value.as_bytes();
    if b.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let (mut block_indicators, mut flow_indicators) = (false, false);
    if b.starts_with(b"---") || b.starts_with(b"...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let (mut line_breaks, mut special_characters) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let (mut previous_space, mut previous_break) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let w = width(b[i]);
        let followed_by_whitespace = i + w >= b.len() || is_blank(b, i + w);
        if i == 0 {
            match b[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
                | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match b[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        // the encoder sets `unicode`, so non-ASCII printable characters are not special
        if !is_printable(b, i) {
            special_characters = true;
        }
        if is_space(b, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == b.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(b, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == b.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(b, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The block part of go-yaml v2's emitter state, writing lines with the span of the value (or
/// key) each line starts or holds.
struct Emitter {
    lines: Vec<(String, Option<Span>)>,
    line: String,
    line_span: Option<Span>,
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    whitespace: bool,
    indention: bool,
    flow_level: usize,
    mapping_context: bool,
    simple_key_context: bool,
}

impl Emitter {
    fn new() -> Self {
        Self {
            lines: Vec::new(),
            line: String::new(),
            line_span: None,
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            flow_level: 0,
            mapping_context: false,
            simple_key_context: false,
        }
    }

    /// The span a line is annotated with: a value's wins over its key's.
    fn mark(&mut self, span: Option<Span>, value: bool) {
        if span.is_some() && (value || self.line_span.is_none()) {
            self.line_span = span;
        }
    }

    fn put(&mut self, c: char) {
        self.line.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.lines.push((std::mem::take(&mut self.line), self.line_span.take()));
        self.column = 0;
    }

    fn write_all(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    /// Copy the character at `b[*i]`.
    fn write(&mut self, value: &str, i: &mut usize) {
        let w = width(value.as_bytes()[*i]);
        self.line.push_str(&value[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    /// `write_break`: a `\n` is a line break; another break character is copied and counts as
    /// one.
    fn write_break(&mut self, value: &str, i: &mut usize) {
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

    fn write_indent(&mut self) {
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

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.write_all(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn emit_document(&mut self, root: &Node) {
        self.emit_node(root, false, false);
        // document end
        self.write_indent();
        if !self.line.is_empty() {
            self.put_break();
        }
    }

    fn emit_node(&mut self, node: &Node, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match &node.kind {
            NodeKind::Scalar(_) => self.emit_scalar(&scalar_event(node), Some(node.span)),
            NodeKind::Seq(items) if items.is_empty() || self.flow_level > 0 => self.emit_flow(node, "[", "]"),
            NodeKind::Map(entries) if entries.is_empty() || self.flow_level > 0 => self.emit_flow(node, "{", "}"),
            NodeKind::Seq(items) => {
                let indentless = self.mapping_context && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.emit_node(item, false, false);
                }
                self.pop_indent();
            }
            NodeKind::Map(_) => {
                self.increase_indent(false, false);
                for (key, value, key_span) in sorted_entries(node) {
                    self.write_indent();
                    let event = scalar_event_of_str(&key);
                    let analysis = analyze(&event.value);
                    // `yaml_emitter_check_simple_key`
                    if !analysis.multiline && event.value.len() <= 128 {
                        self.mapping_context = true;
                        self.simple_key_context = true;
                        self.emit_scalar_analyzed(&event, analysis, Some(key_span), false);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.mapping_context = true;
                        self.simple_key_context = false;
                        self.emit_scalar_analyzed(&event, analysis, Some(key_span), false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.emit_node(value, true, false);
                }
                self.pop_indent();
            }
        }
    }

    /// Empty collections (the only flow collections JSON-decoded objects produce).
    fn emit_flow(&mut self, node: &Node, open: &str, close: &str) {
        self.mark(Some(node.span), true);
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Map(entries) => entries.iter().flat_map(|e| [&e.key, &e.value]).collect(),
            NodeKind::Scalar(_) => Vec::new(),
        };
        // never reached for JSON-decoded objects: a non-empty collection inside a flow one
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.write_indicator(",", false, false, false);
            }
            self.emit_node(item, false, false);
        }
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn emit_scalar(&mut self, event: &ScalarEvent, span: Option<Span>) {
        let analysis = analyze(&event.value);
        self.emit_scalar_analyzed(event, analysis, span, true);
    }

    fn emit_scalar_analyzed(&mut self, event: &ScalarEvent, a: Analysis, span: Option<Span>, value: bool) {
        // `yaml_emitter_select_scalar_style`
        let mut style = event.style;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed) || (self.flow_level == 0 && !a.block_plain_allowed) {
                style = Style::SingleQuoted;
            }
            if event.value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context) {
            style = Style::DoubleQuoted;
        }
        self.mark(span, value);
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(&event.value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(&event.value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(&event.value, allow_breaks),
            Style::Literal => self.write_literal(&event.value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let b = value.as_bytes();
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(b, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let b = value.as_bytes();
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < b.len() - 1
                    && !is_space(b, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if b[i] == b'\'' {
                    self.put('\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let b = value.as_bytes();
        let bom = starts_with_bom(b);
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            if !is_printable(b, i) || bom || is_break(b, i) || b[i] == b'"' || b[i] == b'\\' {
                let w = width(b[i]);
                let c = value[i..].chars().next().unwrap_or('\0');
                i += w;
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0b}' => self.put('v'),
                    '\u{0c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        let (letter, digits) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for ch in format!("{v:0digits$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if is_space(b, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < b.len() - 1 {
                    self.write_indent();
                    if is_space(b, i + 1) {
                        self.put('\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // `yaml_emitter_write_block_scalar_hints`
        let b = value.as_bytes();
        if is_space(b, 0) || is_break(b, 0) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = if b.is_empty() {
            Some("-")
        } else {
            let mut i = b.len() - 1;
            while i > 0 && b[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(b, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                let mut j = i - 1;
                while j > 0 && b[j] & 0xC0 == 0x80 {
                    j -= 1;
                }
                is_break(b, j).then_some("+")
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < b.len() {
            if is_break(b, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// A mapping's entries as JSON would hold them (one per key, the last one winning), in go-yaml
/// v2's key order, with the span of each key.
fn sorted_entries(node: &Node) -> Vec<(String, &Node, Span)> {
    let mut v: Vec<(String, &Node, Span)> = Vec::new();
    for e in node.as_map().unwrap_or_default() {
        let key = match &e.key.kind {
            NodeKind::Scalar(s) => s.text.to_string(),
            _ => e.key.to_json().to_string(),
        };
        if let Some(old) = v.iter_mut().find(|(k, _, _)| *k == key) {
            old.1 = &e.value;
            old.2 = e.key.span;
        } else {
            v.push((key, &e.value, e.key.span));
        }
    }
    v.sort_by(|a, b| goyaml::key_order(&a.0, &b.0));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(quote_str("y"), "\"y\"");
        assert_eq!(quote_str("1"), "\"1\"");
        assert_eq!(quote_str("a: b"), "'a: b'");
        assert_eq!(quote_str("nginx:1.0"), "nginx:1.0");
        assert_eq!(quote_str(""), "\"\"");
        assert_eq!(quote_str("it's"), "it's");
        assert_eq!(quote_str("'it'"), "'''it'''");
        assert_eq!(quote_str("tab\there"), "\"tab\\there\"");
    }
}
