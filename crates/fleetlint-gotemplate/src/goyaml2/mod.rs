//! The YAML that `sigs.k8s.io/yaml.Marshal` and `JSONToYAML` write, for the template values of
//! this crate: a JSON-shaped tree whose scalars and keys carry ids, printed by
//! [`fleetlint_goyaml::marshal`] (go-yaml v2's encoder and emitter, the same code that prints
//! kustomize's output).
//!
//! The Flux Operator converts each `spec.resources` item with `yaml.JSONToYAML` before
//! templating it, and its `toYaml` is `yaml.Marshal` (flux-operator@17c6aea:internal/builder/
//! resourceset.go). What matters for rendering is reproduced exactly: keys in v2's natural order
//! (`sorter.go keyList.Less`), plain scalars unless the text would resolve to another type or an
//! indicator forbids it (encode.go `stringv`, emitterc.go `yaml_emitter_analyze_scalar` /
//! `select_scalar_style`), single quotes before double quotes, literal blocks for multi-line
//! strings with chomping and indentation hints, folding of long plain and quoted scalars at
//! column 80, indentless sequences inside mappings, `{}`/`[]` for empty collections.
//!
//! Each emitted scalar can carry an id; [`Emitted`]'s `marks` map the output back to those ids.

use fleetlint_goyaml::{Emit, Entry, Scalar, Shape};

/// A JSON-shaped node to emit.
#[derive(Clone, Debug)]
pub struct YNode {
    /// Caller's id for this node (reported with its output range).
    pub id: Option<u32>,
    /// The content.
    pub kind: YKind,
}

/// The content of a [`YNode`].
#[derive(Clone, Debug)]
pub enum YKind {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (written as its digits).
    Int(i128),
    /// A float (written as Go's `FormatFloat(f, 'g', -1, 64)`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<YNode>),
    /// A mapping with string keys, each key with its own id.
    Map(Vec<(String, Option<u32>, YNode)>),
}

impl YNode {
    /// A node without id.
    #[must_use]
    pub fn new(kind: YKind) -> Self {
        Self { id: None, kind }
    }
}

/// Where a marked scalar is in the output (its mark is the node's or key's id).
pub type EmittedSpan = fleetlint_goyaml::Marked<u32>;

/// The emitted text and the ranges of scalars that had ids.
pub type Emitted = fleetlint_goyaml::Emitted<u32>;

/// `yaml.Marshal` (v2) of a JSON-shaped tree.
#[must_use]
pub fn marshal(node: &YNode) -> Emitted {
    fleetlint_goyaml::marshal(node)
}

impl Emit for &YNode {
    type Mark = u32;

    fn mark(&self) -> Option<u32> {
        self.id
    }

    fn shape(&self) -> Shape<'_, Self> {
        match &self.kind {
            YKind::Null => Shape::Scalar(Scalar::plain("null")),
            YKind::Bool(b) => Shape::Scalar(Scalar::plain(if *b { "true" } else { "false" })),
            YKind::Int(i) => Shape::Scalar(Scalar::plain(i.to_string())),
            YKind::Float(f) => Shape::Scalar(Scalar::float(*f)),
            YKind::Str(s) => Shape::Scalar(Scalar::string(s.as_str())),
            YKind::Seq(items) => Shape::Seq(items.iter().collect()),
            YKind::Map(entries) => Shape::Map(
                entries.iter().map(|(k, id, v)| Entry { key: k.as_str().into(), key_mark: *id, value: v }).collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> YNode {
        YNode::new(YKind::Str(v.into()))
    }

    fn map(entries: Vec<(&str, YNode)>) -> YNode {
        YNode::new(YKind::Map(entries.into_iter().map(|(k, v)| (k.to_string(), None, v)).collect()))
    }

    #[test]
    fn marshal_matches_go_yaml_v2() {
        let doc = map(vec![
            ("kind", s("ConfigMap")),
            ("apiVersion", s("v1")),
            ("data", map(vec![("a", s("true")), ("b", s("x: y")), ("c", s("multi\nline\n")), ("d", s(""))])),
            ("list", YNode::new(YKind::Seq(vec![s("a"), map(vec![("k", YNode::new(YKind::Int(1)))])]))),
            ("empty", YNode::new(YKind::Map(vec![]))),
            ("none", YNode::new(YKind::Seq(vec![]))),
            ("n", YNode::new(YKind::Null)),
            ("f", YNode::new(YKind::Float(1.5e21))),
        ]);
        let out = marshal(&doc).text;
        assert_eq!(
            out,
            "apiVersion: v1\ndata:\n  a: \"true\"\n  b: 'x: y'\n  c: |\n    multi\n    line\n  d: \"\"\nempty: {}\nf: 1.5e+21\nkind: ConfigMap\nlist:\n- a\n- k: 1\n\"n\": null\nnone: []\n"
        );
    }

    #[test]
    fn ids_map_output_ranges_back() {
        let mut value = s("x");
        value.id = Some(7);
        let doc = YNode::new(YKind::Map(vec![("key".into(), Some(3), value)]));
        let out = marshal(&doc);
        let ranges: Vec<_> = out.marks.iter().map(|m| (&out.text[m.range.clone()], m.mark, m.is_key)).collect();
        assert_eq!(ranges, [("key", 3, true), ("x", 7, false)]);
    }

    #[test]
    fn long_plain_scalars_fold_at_80_columns() {
        let long = "word ".repeat(20).trim_end().to_string();
        let out = marshal(&map(vec![("k", s(&long))])).text;
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().nth(1).unwrap().starts_with("  word"));
    }
}
