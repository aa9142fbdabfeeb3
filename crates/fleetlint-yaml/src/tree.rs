//! The positioned YAML tree: every node and every mapping key carries its span.
//!
//! Mappings keep entries in source order, duplicates included (HYG006 reports them). Aliases are
//! expanded into copies that keep the anchor's spans, so a value always points at the text that
//! wrote it.

use std::sync::Arc;

use crate::files::Span;
use crate::scalar::{ScalarStyle, ScalarValue};

/// A YAML node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the node's text is (for a collection: from its first to its last token).
    pub span: Span,
    /// The content.
    pub kind: NodeKind,
}

/// The content of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// A mapping entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key node (usually a scalar).
    pub key: Node,
    /// The value node.
    pub value: Node,
}

/// A scalar: the text after escape processing, how it was written, and its kyaml type.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's text after YAML escape processing.
    pub text: Arc<str>,
    /// Plain, quoted or block.
    pub style: ScalarStyle,
    /// The kyaml typing of `text`.
    pub value: ScalarValue,
    /// An explicit tag as written (`!!str`, `!custom`), if any.
    pub tag: Option<Arc<str>>,
}

impl Node {
    /// A string scalar node (used by transformations that write values).
    #[must_use]
    pub fn string(text: impl Into<Arc<str>>, span: Span) -> Self {
        Node {
            span,
            kind: NodeKind::Scalar(Scalar {
                text: text.into(),
                style: ScalarStyle::Plain,
                value: ScalarValue::Str,
                tag: None,
            }),
        }
    }

    /// An empty mapping node.
    #[must_use]
    pub fn map(span: Span) -> Self {
        Node { span, kind: NodeKind::Map(Vec::new()) }
    }

    /// The scalar, if this is one.
    #[must_use]
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a string scalar (any non-null scalar's text, as kustomize reads names).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) if s.value != ScalarValue::Null => Some(&s.text),
            _ => None,
        }
    }

    /// The boolean value of a scalar typed as a boolean.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar(Scalar { value: ScalarValue::Bool(b), .. }) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(Scalar { value: ScalarValue::Null, .. }))
    }

    /// The entries of a mapping.
    #[must_use]
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The items of a sequence.
    #[must_use]
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entry with key `key` (the last one when a key is duplicated, as go-yaml v2 keeps).
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|e| e.key.as_scalar().is_some_and(|k| &*k.text == key))
    }

    /// The value under `key` in a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Mutable access to the value under `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            NodeKind::Map(entries) => entries
                .iter_mut()
                .rev()
                .find(|e| e.key.as_scalar().is_some_and(|k| &*k.text == key))
                .map(|e| &mut e.value),
            _ => None,
        }
    }

    /// Follow a path of mapping keys.
    #[must_use]
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The entry at the end of a path of mapping keys (its key node and its value).
    #[must_use]
    pub fn entry_at(&self, path: &[&str]) -> Option<&Entry> {
        let (last, parents) = path.split_last()?;
        self.get_path(parents)?.entry(last)
    }

    /// Where a finding about the field at `path` points: the field's value when it exists, else
    /// the deepest existing key on the way (the nearest ancestor), else this node.
    #[must_use]
    pub fn span_at(&self, path: &[&str]) -> Span {
        self.get_path(path).map_or_else(|| self.nearest_key(path).map_or(self.span, |n| n.span), |n| n.span)
    }

    /// Follow a path of keys as far as it exists and return the deepest *key* node reached (the
    /// place a finding about an absent field points at), or `None` when not even the first key
    /// exists.
    #[must_use]
    pub fn nearest_key(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self;
        let mut key = None;
        for k in path {
            match node.entry(k) {
                Some(e) => {
                    key = Some(&e.key);
                    node = &e.value;
                }
                None => break,
            }
        }
        key
    }

    /// Number of nodes in this subtree (keys included).
    #[must_use]
    pub fn count_nodes(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count_nodes).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries.iter().map(|e| e.key.count_nodes() + e.value.count_nodes()).sum::<usize>()
            }
        }
    }

    /// Convert to JSON the way kyaml does when it hands objects to JSON consumers
    /// (duplicate keys: the last one wins; non-finite floats become strings).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            NodeKind::Scalar(s) => match &s.value {
                ScalarValue::Null => J::Null,
                ScalarValue::Bool(b) => J::Bool(*b),
                ScalarValue::Int(i) => J::from(*i),
                ScalarValue::Float(f) => {
                    serde_json::Number::from_f64(*f).map_or_else(|| J::String(s.text.to_string()), J::Number)
                }
                ScalarValue::Str => J::String(s.text.to_string()),
            },
            NodeKind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => {
                let mut map = serde_json::Map::new();
                for e in entries {
                    let key = match &e.key.kind {
                        NodeKind::Scalar(s) => s.text.to_string(),
                        _ => e.key.to_json().to_string(),
                    };
                    map.insert(key, e.value.to_json());
                }
                J::Object(map)
            }
        }
    }
}
