//! The kustomization file: found by name and read field by field with the spans findings point
//! at (after [`crate::decode`] gave it kustomize's field names and types).

use fleetlint_yaml::{FileId, Node, Span};

/// File names kustomize recognises, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A kustomization (or component) to build: its content and the directory it applies to.
#[derive(Clone, Debug)]
pub struct Kustomization {
    /// Tree-relative directory the kustomization's paths are relative to (`""` for the root).
    pub dir: String,
    /// The kustomization document.
    pub root: Node,
    /// The file it was read from, if any (an in-memory kustomization has none).
    pub file: Option<FileId>,
}

impl Kustomization {
    /// Whether this is a `kind: Component`.
    #[must_use]
    pub fn is_component(&self) -> bool {
        self.root.get("kind").and_then(Node::as_str) == Some("Component")
    }

    pub(crate) fn str_field(&self, key: &str) -> Option<(&str, Span)> {
        let n = self.root.get(key)?;
        n.as_str().map(|s| (s, n.span))
    }

    /// A list of strings (`resources`, `components`, ...), with each entry's span.
    pub(crate) fn str_list(&self, key: &str) -> Vec<(String, Span)> {
        self.root
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(|s| (s.to_string(), n.span)))
            .collect()
    }

    pub(crate) fn seq(&self, key: &str) -> &[Node] {
        self.root.get(key).and_then(Node::as_seq).unwrap_or_default()
    }
}
