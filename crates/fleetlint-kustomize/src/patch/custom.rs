//! Custom OpenAPI schemas (a kustomization's `openapi: {path: schema.json}`), read the way kyaml
//! reads them: the `definitions` of a Swagger 2 document; a definition carrying
//! `x-kubernetes-group-version-kind` is the schema of those kinds; a field's schema is found
//! through `properties`, then `additionalProperties`, and (for `type: array`) `items`, following
//! `$ref: "#/definitions/<name>"` (the referenced schema replaces the referring one, siblings
//! included); its `x-kubernetes-patch-strategy` with `x-kubernetes-list-map-keys` (else
//! `x-kubernetes-patch-merge-key`) drives strategic merges.
//!
//! kustomize uses a custom schema *instead of* its built-in one, so built-in kinds the file does
//! not define lose their merge keys too (their lists are replaced; checked with kubectl 1.32).
//!
//! The tables take the shape of the generated built-in ones ([`TypeSchema`], which are `'static`):
//! a custom schema is interned for the life of the process, once per distinct content.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::schema::{FieldSchema, TypeSchema};

/// The kinds a custom schema defines, with their strategic-merge tables.
#[derive(Debug)]
pub struct CustomSchema {
    kinds: HashMap<(String, String), &'static TypeSchema>,
}

/// Depth beyond which definitions are not followed (recursive schemas such as JSONSchemaProps).
const MAX_DEPTH: usize = 24;

impl CustomSchema {
    /// The schema of the Swagger document `doc` (JSON, or YAML converted to JSON), interned.
    ///
    /// # Errors
    /// When the document does not have the shape kyaml's Swagger decoder requires (kustomize
    /// panics with `invalid schema file` on the first schema lookup).
    pub fn from_json(doc: &Value) -> Result<&'static CustomSchema, String> {
        static INTERNED: OnceLock<Mutex<HashMap<[u8; 32], &'static CustomSchema>>> = OnceLock::new();
        let key: [u8; 32] = Sha256::digest(doc.to_string().as_bytes()).into();
        let interned = INTERNED.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(hit) = interned.lock().expect("schema intern lock").get(&key) {
            return Ok(hit);
        }
        let schema: &'static CustomSchema = Box::leak(Box::new(build(doc)?));
        Ok(*interned.lock().expect("schema intern lock").entry(key).or_insert(schema))
    }

    /// The table of a kind, by `apiVersion` (`group/version`, or `version` for the core group)
    /// and `kind`.
    #[must_use]
    pub fn schema_for(&self, api_version: &str, kind: &str) -> Option<&'static TypeSchema> {
        self.kinds.get(&(api_version.to_string(), kind.to_string())).copied()
    }

    /// The kinds defined, as `(apiVersion, kind)`, sorted.
    #[must_use]
    pub fn kinds(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self.kinds.keys().map(|(a, k)| (a.as_str(), k.as_str())).collect();
        v.sort_unstable();
        v
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn build(doc: &Value) -> Result<CustomSchema, String> {
    let empty = Map::new();
    let root = match doc {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => return Err(format!("cannot unmarshal {} into a Swagger document", type_name(other))),
    };
    let defs = match root.get("definitions") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => return Err(format!("cannot unmarshal {} into definitions", type_name(other))),
    };
    for (name, d) in defs {
        if !matches!(d, Value::Object(_) | Value::Null) {
            return Err(format!("definition {name:?}: cannot unmarshal {} into a schema", type_name(d)));
        }
    }
    let flattener = Defs { defs };
    let mut kinds = HashMap::new();
    let mut names: Vec<&String> = defs.keys().collect();
    names.sort();
    for name in names {
        let def = &defs[name];
        let Some(Value::Array(gvks)) = def.get("x-kubernetes-group-version-kind") else { continue };
        let mut table: Option<&'static TypeSchema> = None;
        for gvk in gvks {
            let Some(m) = gvk.as_object() else { continue };
            let (Some(version), Some(kind)) =
                (m.get("version").and_then(Value::as_str), m.get("kind").and_then(Value::as_str))
            else {
                return Err(format!("definition {name:?}: x-kubernetes-group-version-kind needs version and kind"));
            };
            let api_version = match m.get("group").and_then(Value::as_str) {
                Some(g) if !g.is_empty() => format!("{g}/{version}"),
                _ => version.to_string(),
            };
            let t = *table.get_or_insert_with(|| {
                let mut rows = Vec::new();
                flattener.collect(def, Some(name), "", &mut Vec::new(), &mut rows);
                leak_table(rows)
            });
            kinds.insert((api_version, kind.to_string()), t);
        }
    }
    Ok(CustomSchema { kinds })
}

/// One row before interning (see [`FieldSchema`]).
struct Row {
    path: String,
    list: bool,
    strategy: String,
    keys: Vec<String>,
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_table(mut rows: Vec<Row>) -> &'static TypeSchema {
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    rows.dedup_by(|b, a| a.path == b.path);
    let fields: Vec<FieldSchema> = rows
        .into_iter()
        .map(|r| FieldSchema {
            path: leak_str(r.path),
            list: r.list,
            strategy: leak_str(r.strategy),
            keys: Box::leak(r.keys.into_iter().map(leak_str).collect::<Vec<_>>().into_boxed_slice()),
        })
        .collect();
    Box::leak(Box::new(TypeSchema { fields: Box::leak(fields.into_boxed_slice()) }))
}

struct Defs<'a> {
    defs: &'a Map<String, Value>,
}

impl<'a> Defs<'a> {
    /// Follow `$ref`s (kyaml resolves until none is left); `None` when one does not resolve.
    fn resolve(&self, mut schema: &'a Value) -> Option<(&'a Value, Option<&'a str>)> {
        let mut name = None;
        for _ in 0..MAX_DEPTH {
            let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
                return Some((schema, name));
            };
            let target = r.strip_prefix("#/definitions/")?.replace("~1", "/").replace("~0", "~");
            let (k, v) = self.defs.get_key_value(&target)?;
            schema = v;
            name = Some(k.as_str());
        }
        None
    }

    /// Collect the rows under the object schema `schema` (named `def`, when a definition).
    fn collect(&self, schema: &'a Value, def: Option<&str>, prefix: &str, stack: &mut Vec<String>, out: &mut Vec<Row>) {
        if let Some(d) = def {
            if stack.iter().any(|s| s == d) || stack.len() > MAX_DEPTH {
                return;
            }
            stack.push(d.to_string());
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                self.collect_value(prop, &path, stack, out);
            }
        }
        if let Some(ap) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let path = if prefix.is_empty() { "*".to_string() } else { format!("{prefix}.*") };
            let before = out.len();
            self.collect_value(ap, &path, stack, out);
            if out.len() > before {
                out.push(Row { path, list: false, strategy: String::new(), keys: Vec::new() });
            }
        }
        if def.is_some() {
            stack.pop();
        }
    }

    fn collect_value(&self, prop: &'a Value, path: &str, stack: &mut Vec<String>, out: &mut Vec<Row>) {
        let Some((schema, name)) = self.resolve(prop) else { return };
        let strategy = schema.get("x-kubernetes-patch-strategy").and_then(Value::as_str).unwrap_or("");
        if !strategy.is_empty() {
            // kyaml's PatchStrategyAndKeyList: list-map-keys win over the single merge key. The
            // strategy applies whatever the field's declared type: a list found there is merged.
            let keys = match schema.get("x-kubernetes-list-map-keys").and_then(Value::as_array) {
                Some(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                None => schema
                    .get("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str)
                    .map(|k| vec![k.to_string()])
                    .unwrap_or_default(),
            };
            out.push(Row { path: path.to_string(), list: true, strategy: strategy.to_string(), keys });
        }
        let is_array = match schema.get("type") {
            Some(Value::String(t)) => t == "array",
            Some(Value::Array(ts)) => ts.len() == 1 && ts[0].as_str() == Some("array"),
            _ => false,
        };
        if is_array {
            // kyaml only walks the elements of lists it merges, and only through `items`.
            if strategy.split(',').any(|s| s == "merge")
                && let Some(items) = schema.get("items").filter(|i| i.is_object())
                && let Some((elem, elem_name)) = self.resolve(items)
            {
                self.collect(elem, elem_name, &format!("{path}[]"), stack, out);
            }
            return;
        }
        self.collect(schema, name, path, stack, out);
    }
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
            None => crate::generated::schema_for(api_version, kind),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_properties_refs_items_and_maps() {
        let doc = json!({"definitions": {
            "w": {
                "properties": {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"$ref": "#/definitions/spec"}},
                "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "W"}]
            },
            "spec": {"properties": {
                "parts": {"type": "array", "items": {"$ref": "#/definitions/part"},
                          "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
                "byName": {"type": "object", "additionalProperties": {"$ref": "#/definitions/part"}},
                "self": {"$ref": "#/definitions/spec"}
            }},
            "part": {"properties": {
                "ports": {"type": "array", "items": {"type": "object"}, "x-kubernetes-patch-strategy": "merge",
                          "x-kubernetes-patch-merge-key": "port", "x-kubernetes-list-map-keys": ["port", "protocol"]}
            }}
        }});
        let c = CustomSchema::from_json(&doc).unwrap();
        assert!(std::ptr::eq(c, CustomSchema::from_json(&doc).unwrap()), "interned");
        assert_eq!(c.kinds(), vec![("example.com/v1", "W")]);
        let t = c.schema_for("example.com/v1", "W").unwrap();
        let parts = t.field("spec.parts").unwrap();
        assert!(parts.is_merged_list());
        assert_eq!(parts.keys, &["name"]);
        assert_eq!(t.field("spec.parts[].ports").unwrap().keys, &["port", "protocol"]);
        assert!(t.is_free_map("spec.byName"));
        assert_eq!(t.field("spec.byName.*.ports").unwrap().keys, &["port", "protocol"]);
        assert!(t.field("spec.self.parts").is_none(), "recursive definitions are not followed");
        assert!(c.schema_for("apps/v1", "Deployment").is_none());
        assert!(CustomSchema::from_json(&json!({"definitions": 3})).is_err());
        assert!(CustomSchema::from_json(&json!([1])).is_err());
    }
}
