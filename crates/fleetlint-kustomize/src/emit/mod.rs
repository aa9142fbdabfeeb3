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

use fleetlint_yaml::{FileDb, Node, NodeKind, Span};

use crate::goyaml;
use crate::resource::Resource;

mod scalar;
use scalar::{Analysis, BEST_INDENT, ScalarEvent, Style, analyze, scalar_event, scalar_event_of_str, width};

/// Print `resources` as multi-document YAML. With `origins`, each line that holds a value
/// ends with `# <file>:<line>` naming the text that wrote it.
#[must_use]
pub fn to_yaml(resources: &[Resource], origins: Option<&FileDb>) -> String {
    nodes_to_yaml(resources.iter().map(|r| &r.root), origins)
}

/// [`to_yaml`] for object trees that are not kustomize resources (the objects a Flux
/// Kustomization renders after its build options and post-build substitution).
#[must_use]
pub fn nodes_to_yaml<'n>(roots: impl IntoIterator<Item = &'n Node>, origins: Option<&FileDb>) -> String {
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
                let source = f.mapping.as_deref().map_or_else(String::new, |s| format!("{s}:"));
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
