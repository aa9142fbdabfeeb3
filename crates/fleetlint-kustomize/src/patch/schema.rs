//! The strategic-merge schema of built-in kinds: which field paths are merged lists, by which
//! keys. The tables are generated (`crate::generated::merge_keys`) from the Kubernetes JSON
//! Schemas; kinds without a table (CRDs, Flux objects, anything unknown) have no schema, and
//! kustomize then merges their maps and replaces their lists.
//!
//! The lookup of a built-in kind's table is next to the tables ([`crate::generated::schema_for`]);
//! a kustomization's `openapi: {path: ...}` replaces these tables with a custom schema
//! ([`super::custom`]), and [`super::SchemaSource`] says which applies.

/// One field of a kind that carries a patch strategy (or a map leading to one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSchema {
    /// `.`-separated field path from the object root; `[]` steps into list elements, `*` stands
    /// for any key of a map (`additionalProperties`).
    pub path: &'static str,
    /// Whether the field is a list (else a map).
    pub list: bool,
    /// `x-kubernetes-patch-strategy` as written (`merge`, `merge,retainKeys`, `retainKeys`,
    /// `replace`), empty for a plain map path.
    pub strategy: &'static str,
    /// The merge keys (`x-kubernetes-list-map-keys`, else `x-kubernetes-patch-merge-key`); empty
    /// for a merged list of primitives such as `finalizers`.
    pub keys: &'static [&'static str],
}

impl FieldSchema {
    /// Whether kyaml merges this list element-wise (its strategy includes `merge`).
    #[must_use]
    pub fn is_merged_list(&self) -> bool {
        self.list && self.strategy.split(',').any(|s| s == "merge")
    }
}

/// The strategic-merge schema of one built-in kind.
#[derive(Debug)]
pub struct TypeSchema {
    /// Fields sorted by `path`.
    pub fields: &'static [FieldSchema],
}

impl TypeSchema {
    /// The entry for `path`, if it carries a strategy or is a map path.
    #[must_use]
    pub fn field(&self, path: &str) -> Option<&'static FieldSchema> {
        self.fields.binary_search_by(|f| f.path.cmp(path)).ok().map(|i| &self.fields[i])
    }

    /// Whether `path` is a map whose keys are free (`additionalProperties`): its children are
    /// found under `path.*`.
    #[must_use]
    pub fn is_free_map(&self, path: &str) -> bool {
        let star = if path.is_empty() { "*".to_string() } else { format!("{path}.*") };
        self.field(&star).is_some_and(|f| !f.list && f.strategy.is_empty())
    }
}

/// A built-in kind and its schema.
#[derive(Debug)]
pub struct Gvk {
    /// API group (empty for core).
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// The kind's schema.
    pub schema: &'static TypeSchema,
}

/// The child path of segment `seg` under `path`: the field's name, or `*` under a map whose keys
/// are free ([`TypeSchema::is_free_map`]).
pub(crate) fn child_path(path: &str, seg: &str) -> String {
    if path.is_empty() { seg.to_string() } else { format!("{path}.{seg}") }
}
