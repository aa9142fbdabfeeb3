//! The strategic-merge schema of built-in kinds: which field paths are merged lists, by which
//! keys. The tables are generated (`crate::generated::merge_keys`) from the Kubernetes JSON
//! Schemas; kinds without a table (CRDs, Flux objects, anything unknown) have no schema, and
//! kustomize then merges their maps and replaces their lists.
//!
//! A kustomization's `openapi: {path: ...}` replaces these tables with a custom schema
//! ([`super::custom`]); [`SchemaSource`] says which applies.

use super::custom::CustomSchema;
use crate::generated::merge_keys::GVKS;

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

/// The schema of a built-in kind, by `apiVersion` (`v1`, `apps/v1`) and `kind`, as kustomize's
/// embedded OpenAPI knows it; `None` for anything else.
#[must_use]
pub fn schema_for(api_version: &str, kind: &str) -> Option<&'static TypeSchema> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    GVKS.binary_search_by(|g| (g.group, g.version, g.kind).cmp(&(group, version, kind))).ok().map(|i| GVKS[i].schema)
}

/// Where the schemas of kinds come from during a build: kustomize's built-in OpenAPI (the
/// default), or a custom schema, which kustomize uses *instead of* the built-in one (built-in
/// kinds the custom schema does not define then have no merge keys either).
#[derive(Clone, Copy, Debug, Default)]
pub struct SchemaSource(Option<&'static CustomSchema>);

impl PartialEq for SchemaSource {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for SchemaSource {}

impl SchemaSource {
    /// kustomize's built-in OpenAPI (Kubernetes v1.21.2).
    pub const BUILTIN: Self = Self(None);

    /// A custom schema.
    #[must_use]
    pub fn custom(schema: &'static CustomSchema) -> Self {
        Self(Some(schema))
    }

    /// Whether this is the built-in schema.
    #[must_use]
    pub fn is_builtin(self) -> bool {
        self.0.is_none()
    }

    /// The schema of a kind, by `apiVersion` and `kind`, from this source.
    #[must_use]
    pub fn schema_for(self, api_version: &str, kind: &str) -> Option<&'static TypeSchema> {
        match self.0 {
            None => schema_for(api_version, kind),
            Some(c) => c.schema_for(api_version, kind),
        }
    }

    /// An identity for caches: 0 for the built-in schema (custom schemas are interned, so equal
    /// content has one identity).
    #[must_use]
    pub fn id(self) -> usize {
        self.0.map_or(0, |c| std::ptr::from_ref(c) as usize)
    }
}

/// The child path of field `name` under `path` in `schema`.
pub(crate) fn child_path(schema: &TypeSchema, path: &str, name: &str) -> String {
    let seg = if schema.is_free_map(path) { "*" } else { name };
    if path.is_empty() { seg.to_string() } else { format!("{path}.{seg}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_found() {
        for w in GVKS.windows(2) {
            assert!((w[0].group, w[0].version, w[0].kind) < (w[1].group, w[1].version, w[1].kind));
        }
        for g in GVKS {
            for w in g.schema.fields.windows(2) {
                assert!(w[0].path < w[1].path, "{} {}", w[0].path, w[1].path);
            }
        }
        let d = schema_for("apps/v1", "Deployment").unwrap();
        let c = d.field("spec.template.spec.containers").unwrap();
        assert!(c.is_merged_list());
        assert_eq!(c.keys, &["name"]);
        let p = d.field("spec.template.spec.containers[].ports").unwrap();
        assert_eq!(p.keys, &["containerPort", "protocol"]);
        assert!(d.field("spec.template.spec.volumes").unwrap().is_merged_list());
        assert!(d.field("spec.template.spec.tolerations").is_none());
        assert!(schema_for("v1", "Service").unwrap().field("spec.ports").unwrap().is_merged_list());
        assert!(schema_for("helm.toolkit.fluxcd.io/v2", "HelmRelease").is_none());
        // kustomize's embedded OpenAPI (v1.21.2) lacks these: lists are replaced.
        assert!(d.field("spec.template.spec.schedulingGates").is_none());
        assert!(schema_for("autoscaling/v2", "HorizontalPodAutoscaler").is_none());
        assert!(schema_for("batch/v1beta1", "CronJob").is_some());
    }
}
