//! Field paths into an object (`spec.containers[0].image`) and where they are in a positioned
//! tree.
//!
//! Validators (JSON Schema, Kyverno patterns, fleetlint policies) report the offending value by
//! its path in the object's JSON form; [`Node::locate`] maps that path back to the text, and to
//! the nearest existing ancestor key when the value is absent (a missing required field).

use std::fmt;

use crate::files::Span;
use crate::scalar::ScalarStyle;
use crate::tree::{Node, NodeKind};

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path from an object's root to one of its values. The root is the empty path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The root path.
    #[must_use]
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A path of mapping keys (`["spec", "interval"]`).
    #[must_use]
    pub fn from_keys<S: AsRef<str>>(keys: &[S]) -> Self {
        Self(keys.iter().map(|k| PathSegment::Key(k.as_ref().to_owned())).collect())
    }

    /// A path from its segments.
    #[must_use]
    pub fn from_segments(segments: Vec<PathSegment>) -> Self {
        Self(segments)
    }

    /// The segments, root first.
    #[must_use]
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// Number of segments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the root path.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Append a key.
    pub fn push_key(&mut self, key: impl Into<String>) {
        self.0.push(PathSegment::Key(key.into()));
    }

    /// Append an index.
    pub fn push_index(&mut self, index: usize) {
        self.0.push(PathSegment::Index(index));
    }

    /// Remove the last segment.
    pub fn pop(&mut self) -> Option<PathSegment> {
        self.0.pop()
    }

    /// This path with `key` appended.
    #[must_use]
    pub fn child_key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.push_key(key);
        p
    }

    /// This path with `index` appended.
    #[must_use]
    pub fn child_index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.push_index(index);
        p
    }

    /// The last segment.
    #[must_use]
    pub fn last(&self) -> Option<&PathSegment> {
        self.0.last()
    }

    /// Whether `prefix` is this path or one of its ancestors.
    #[must_use]
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The RFC 6901 JSON pointer (`/spec/containers/0/image`).
    #[must_use]
    pub fn json_pointer(&self) -> String {
        let mut out = String::new();
        for seg in &self.0 {
            out.push('/');
            match seg {
                PathSegment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
                PathSegment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$')
}

impl fmt::Display for FieldPath {
    /// `spec.containers[0].image`; keys that are not plain words are quoted:
    /// `metadata.annotations["kustomize.toolkit.fluxcd.io/prune"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathSegment::Key(k) => write!(f, "[{k:?}]")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl FromIterator<PathSegment> for FieldPath {
    fn from_iter<T: IntoIterator<Item = PathSegment>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Where a [`FieldPath`] leads in a tree.
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    /// The value at the path, when the whole path exists.
    pub value: Option<&'a Node>,
    /// The key node of the path's last segment, when it is an existing mapping key.
    pub key: Option<&'a Node>,
    /// The deepest existing value along the path (the root when not even the first step exists).
    pub nearest: &'a Node,
    /// The key node of the deepest existing step, when that step is a mapping key (for an item of
    /// a sequence the item itself is the nearest thing to point at).
    pub nearest_key: Option<&'a Node>,
    /// How many segments exist.
    pub depth: usize,
}

impl Located<'_> {
    /// Where a finding about the path's value points: the value itself when it exists (its key
    /// for a `|` or `>` block scalar, whose text starts on the next line), else the nearest
    /// existing ancestor key (the rule for findings about absent fields), else the nearest
    /// existing value.
    #[must_use]
    pub fn value_span(&self) -> Span {
        match (self.value, self.nearest_key) {
            (Some(v), _) if is_block(v) => self.key.map_or(v.span, |k| k.span),
            (Some(v), _) => v.span,
            (None, Some(k)) => k.span,
            (None, None) => self.nearest.span,
        }
    }

    /// Where a finding about the path's key points (an unknown field): its key when it exists,
    /// else as [`Located::value_span`].
    #[must_use]
    pub fn key_span(&self) -> Span {
        self.key.map_or_else(|| self.value_span(), |k| k.span)
    }
}

fn is_block(node: &Node) -> bool {
    node.as_scalar().is_some_and(|s| matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded))
}

impl Node {
    /// Follow `path` through mappings and sequences (the last entry of a duplicated key, as
    /// [`Node::get`] does).
    #[must_use]
    pub fn locate(&self, path: &FieldPath) -> Located<'_> {
        let mut node = self;
        let mut nearest_key = None;
        let mut key = None;
        let mut depth = 0;
        let mut last_was_key = false;
        for seg in path.segments() {
            let next = match (seg, &node.kind) {
                (PathSegment::Key(k), NodeKind::Map(_)) => node.entry(k).map(|e| {
                    key = Some(&e.key);
                    (&e.value, true)
                }),
                (PathSegment::Index(i), NodeKind::Seq(items)) => items.get(*i).map(|n| (n, false)),
                _ => None,
            };
            match next {
                Some((n, is_key)) => {
                    if is_key {
                        nearest_key = key;
                    }
                    last_was_key = is_key;
                    node = n;
                    depth += 1;
                }
                None => break,
            }
        }
        let complete = depth == path.len();
        Located {
            value: complete.then_some(node),
            key: if complete && last_was_key { key } else { None },
            nearest: node,
            nearest_key: if last_was_key { nearest_key } else { None },
            depth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::parse::{Limits, parse_yaml};

    const TEXT: &str =
        "spec:\n  containers:\n    - name: a\n      image: nginx\n  \"odd.key\": 1\n  script: |\n    echo\n";

    fn root() -> Node {
        parse_yaml(FileId(0), TEXT, &Limits::default()).documents.remove(0).root
    }

    fn text_at(span: Span) -> &'static str {
        &TEXT[span.range()]
    }

    #[test]
    fn display_and_pointer() {
        let p = FieldPath::from_keys(&["metadata", "annotations", "a.b/c"]);
        assert_eq!(p.to_string(), "metadata.annotations[\"a.b/c\"]");
        assert_eq!(p.json_pointer(), "/metadata/annotations/a.b~1c");
        let p = FieldPath::from_keys(&["spec", "containers"]).child_index(0).child_key("image");
        assert_eq!(p.to_string(), "spec.containers[0].image");
    }

    #[test]
    fn locate_existing_value_and_key() {
        let root = root();
        let p = FieldPath::from_keys(&["spec", "containers"]).child_index(0).child_key("image");
        let l = root.locate(&p);
        assert_eq!(text_at(l.value_span()), "nginx");
        assert_eq!(text_at(l.key_span()), "image");
    }

    #[test]
    fn block_scalars_are_pointed_at_by_their_key() {
        let root = root();
        let l = root.locate(&FieldPath::from_keys(&["spec", "script"]));
        assert_eq!(text_at(l.value_span()), "script");
    }

    #[test]
    fn locate_missing_field_points_at_nearest_key() {
        let root = root();
        let l = root.locate(&FieldPath::from_keys(&["spec", "serviceAccountName"]));
        assert!(l.value.is_none());
        assert_eq!(text_at(l.value_span()), "spec");
        let l = root.locate(&FieldPath::from_keys(&["spec", "a", "b"]));
        assert_eq!(l.depth, 1);
        assert_eq!(text_at(l.value_span()), "spec");
    }

    #[test]
    fn locate_missing_field_in_item_points_at_item() {
        let root = root();
        let p = FieldPath::from_keys(&["spec", "containers"]).child_index(0).child_key("ports");
        let l = root.locate(&p);
        assert!(text_at(l.value_span()).starts_with("name: a"));
    }
}
