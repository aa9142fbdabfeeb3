//! CustomResourceDefinitions: reading one, and turning a version's `openAPIV3Schema` into the
//! strict JSON Schema (draft 2020-12) that objects of that kind are validated against.
//!
//! The conversion reproduces what the API server does with a structural schema before and while
//! it validates a custom resource (kubernetes/apiextensions-apiserver@1aa2717a5):
//!
//! - **Unknown fields.** `pkg/apiserver/schema/pruning/algorithm.go` (`prune`) drops every field
//!   of an object that its schema neither lists in `properties` nor covers by
//!   `additionalProperties`; with strict field validation (what `kubectl apply --validate=strict`
//!   and server-side apply report) each dropped field is an error. So an object schema without
//!   `additionalProperties` becomes `additionalProperties: false`.
//! - **`x-kubernetes-preserve-unknown-fields: true`** (`skipPrune` there): unknown fields are kept,
//!   known properties are still pruned and validated below it. The object stays open.
//! - **`x-kubernetes-embedded-resource: true`** and the resource root (`PruneWithOptions` with
//!   `isResourceRoot`): `apiVersion`, `kind` and `metadata` are never pruned; `metadata` is decoded
//!   as an `ObjectMeta` with unknown fields reported (`objectmeta/coerce.go`,
//!   `GetObjectMetaWithOptions`), and an embedded resource must carry `apiVersion` and `kind`
//!   (`objectmeta/validation.go`, `validateEmbeddedResource`). So those three properties get
//!   `string`, `string` and the Kubernetes `ObjectMeta` schema, and embedded resources require the
//!   first two.
//! - **`x-kubernetes-int-or-string: true`**: the type is `["integer", "string"]`
//!   (`pkg/apiserver/validation/validation.go`, `ConvertJSONSchemaPropsWithPostProcess`).
//! - **`nullable`** adds `null` to the type (same function: `out.Nullable = in.Nullable`, which
//!   the OpenAPI validator honours). A `null` under a property that is *not* nullable is not an
//!   error either: `defaulting/prunenulls.go` (`PruneNonNullableNullsWithoutDefaults`) deletes it
//!   (or defaulting replaces it) before validation, unless the property is required and has no
//!   default, in which case the deletion makes it missing. Items of a list are not pruned.
//! - `allOf`/`anyOf`/`oneOf`/`not` of a structural schema carry value validations only
//!   (`schema/validation.go`, "structurality"), so their sub-schemas are copied without closing
//!   objects. `format` is not checked (fleetlint cannot reproduce every Kubernetes format check
//!   exactly), `x-kubernetes-validations` (CEL) is not evaluated.

use std::collections::BTreeSet;

use fleetlint_yaml::Node;
use serde_json::{Map, Value, json};

/// The `$defs` name of the Kubernetes `ObjectMeta` definition.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// One served version of a CRD.
#[derive(Clone, Debug, PartialEq)]
pub struct CrdVersion {
    /// The version name (`v1`).
    pub name: String,
    /// Whether the API server serves it (`served: false` versions reject objects).
    pub served: bool,
    /// The `openAPIV3Schema`, when the CRD has one for this version.
    pub schema: Option<Value>,
}

/// What fleetlint reads of a CustomResourceDefinition.
#[derive(Clone, Debug, PartialEq)]
pub struct Crd {
    /// `metadata.name`.
    pub name: String,
    /// `spec.group`.
    pub group: String,
    /// `spec.names.kind`.
    pub kind: String,
    /// Every version the CRD declares.
    pub versions: Vec<CrdVersion>,
}

/// Why a document is not a usable CRD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrdError {
    /// `apiVersion`/`kind` are not those of a CustomResourceDefinition.
    NotACrd,
    /// A field the CRD needs is missing or has the wrong shape.
    Malformed(&'static str),
}

impl std::fmt::Display for CrdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotACrd => f.write_str("not an apiextensions.k8s.io CustomResourceDefinition"),
            Self::Malformed(what) => write!(f, "CustomResourceDefinition without a usable {what}"),
        }
    }
}

impl std::error::Error for CrdError {}

impl Crd {
    /// Read a CRD (`apiextensions.k8s.io/v1`, or the removed `v1beta1` whose schema may sit in
    /// `spec.validation` for every version).
    ///
    /// # Errors
    /// [`CrdError`] when the document is not a CRD or lacks group, kind or versions.
    pub fn from_node(node: &Node) -> Result<Self, CrdError> {
        let api_version = node.get("apiVersion").and_then(Node::as_str).unwrap_or_default();
        if node.get("kind").and_then(Node::as_str) != Some("CustomResourceDefinition")
            || !api_version.starts_with("apiextensions.k8s.io/")
        {
            return Err(CrdError::NotACrd);
        }
        let name = node.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or_default().to_owned();
        let spec = node.get("spec").ok_or(CrdError::Malformed("spec"))?;
        let group = spec.get("group").and_then(Node::as_str).ok_or(CrdError::Malformed("spec.group"))?.to_owned();
        let kind =
            spec.get_path(&["names", "kind"]).and_then(Node::as_str).ok_or(CrdError::Malformed("spec.names.kind"))?;
        let shared = spec.get_path(&["validation", "openAPIV3Schema"]).map(Node::to_json);
        let mut versions = Vec::new();
        for v in spec.get("versions").and_then(Node::as_seq).unwrap_or_default() {
            let Some(vname) = v.get("name").and_then(Node::as_str) else { continue };
            versions.push(CrdVersion {
                name: vname.to_owned(),
                served: v.get("served").and_then(Node::as_bool).unwrap_or(true),
                schema: v.get_path(&["schema", "openAPIV3Schema"]).map(Node::to_json).or_else(|| shared.clone()),
            });
        }
        if versions.is_empty()
            && let Some(vname) = spec.get("version").and_then(Node::as_str)
        {
            versions.push(CrdVersion { name: vname.to_owned(), served: true, schema: shared });
        }
        if versions.is_empty() {
            return Err(CrdError::Malformed("spec.versions"));
        }
        Ok(Self { name, group, kind: kind.to_owned(), versions })
    }
}

/// Convert a CRD version's `openAPIV3Schema` into a self-contained strict JSON Schema.
/// `object_meta_defs` are the `$defs` that [`OBJECT_META`] needs (the Kubernetes definitions).
#[must_use]
pub fn to_json_schema(openapi: &Value, object_meta_defs: &Map<String, Value>) -> Value {
    let empty = Map::new();
    let root = openapi.as_object().unwrap_or(&empty);
    let mut out = convert(root, Ctx { allow_null: false, resource: true, embedded: false });
    if let Value::Object(o) = &mut out {
        let mut with_schema = Map::new();
        with_schema.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        with_schema.append(o);
        with_schema.insert("$defs".into(), Value::Object(object_meta_defs.clone()));
        return Value::Object(with_schema);
    }
    out
}

#[derive(Clone, Copy)]
struct Ctx {
    /// A `null` here is pruned or allowed (see the module docs).
    allow_null: bool,
    /// The resource root: `apiVersion`, `kind` and `metadata` are TypeMeta/ObjectMeta.
    resource: bool,
    /// An embedded resource: like the root, and `apiVersion`/`kind` are required.
    embedded: bool,
}

/// Value-validation keywords copied as they are (after the draft-4 `exclusive*` conversion).
const COPIED: &[&str] = &[
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "required",
];

fn is_true(s: &Map<String, Value>, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool) == Some(true)
}

fn convert(s: &Map<String, Value>, ctx: Ctx) -> Value {
    let preserve = is_true(s, "x-kubernetes-preserve-unknown-fields");
    let embedded = ctx.embedded || is_true(s, "x-kubernetes-embedded-resource");
    let null_ok = ctx.allow_null || is_true(s, "nullable");
    let mut out = Map::new();

    let mut types: Vec<&str> = if is_true(s, "x-kubernetes-int-or-string") {
        vec!["integer", "string"]
    } else {
        s.get("type").and_then(Value::as_str).into_iter().collect()
    };
    if !types.is_empty() && null_ok {
        types.push("null");
    }
    match types.as_slice() {
        [] => {}
        [one] => {
            out.insert("type".into(), json!(one));
        }
        many => {
            out.insert("type".into(), json!(many));
        }
    }
    copy_value_validations(s, &mut out, null_ok);
    // The API server fills in a property's `default` before it validates the object
    // (apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go `Default`, run when the
    // custom resource handler decodes a request): a required property with a default is never
    // missing (image-automation's `update.strategy`, default `Setters`).
    if let (Some(Value::Array(names)), Some(p)) =
        (out.get_mut("required"), s.get("properties").and_then(Value::as_object))
    {
        names.retain(|n| {
            n.as_str().and_then(|n| p.get(n)).and_then(Value::as_object).is_none_or(|sub| !sub.contains_key("default"))
        });
        if names.is_empty() {
            out.remove("required");
        }
    }

    let is_object = s.get("type").and_then(Value::as_str) == Some("object") || s.contains_key("properties");
    let required: BTreeSet<&str> =
        s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut props = Map::new();
    if let Some(p) = s.get("properties").and_then(Value::as_object) {
        for (name, sub) in p {
            let Some(sub) = sub.as_object() else { continue };
            let allow_null = !required.contains(name.as_str()) || sub.contains_key("default");
            props.insert(name.clone(), convert(sub, Ctx { allow_null, resource: false, embedded: false }));
        }
    }
    if ctx.resource || embedded {
        type_meta(&mut props);
        if embedded {
            let mut req: BTreeSet<String> = required.iter().map(|r| (*r).to_owned()).collect();
            req.extend(["apiVersion".to_owned(), "kind".to_owned()]);
            out.insert("required".into(), json!(req));
        }
    }
    if !props.is_empty() {
        out.insert("properties".into(), Value::Object(props));
    }
    match s.get("additionalProperties") {
        Some(Value::Object(sub)) => {
            let allow_null = true;
            out.insert(
                "additionalProperties".into(),
                convert(sub, Ctx { allow_null, resource: false, embedded: false }),
            );
        }
        Some(Value::Bool(b)) => {
            out.insert("additionalProperties".into(), json!(b));
        }
        _ if is_object && !preserve => {
            out.insert("additionalProperties".into(), json!(false));
        }
        _ => {}
    }
    if let Some(items) = s.get("items").and_then(Value::as_object) {
        out.insert("items".into(), convert(items, Ctx { allow_null: false, resource: false, embedded: false }));
    }
    let mut junctors = Map::new();
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            let subs: Vec<Value> = list.iter().filter_map(Value::as_object).map(value_validation).collect();
            junctors.insert(key.into(), Value::Array(subs));
        }
    }
    if let Some(not) = s.get("not").and_then(Value::as_object) {
        junctors.insert("not".into(), value_validation(not));
    }
    attach_junctors(&mut out, junctors, null_ok);
    Value::Object(out)
}

/// A `null` is allowed here but the junctors would reject it: they apply to non-null values only.
fn attach_junctors(out: &mut Map<String, Value>, mut junctors: Map<String, Value>, null_ok: bool) {
    if junctors.is_empty() {
        return;
    }
    if null_ok {
        out.insert("anyOf".into(), json!([{ "type": "null" }, Value::Object(junctors)]));
    } else {
        out.append(&mut junctors);
    }
}

/// `apiVersion`, `kind` and `metadata` of a resource root or an embedded resource.
fn type_meta(props: &mut Map<String, Value>) {
    for key in ["apiVersion", "kind"] {
        let entry = props.entry(key).or_insert_with(|| json!({}));
        if let Value::Object(o) = entry {
            o.insert("type".into(), json!("string"));
        }
    }
    props.insert("metadata".into(), json!({ "$ref": format!("#/$defs/{OBJECT_META}") }));
}

fn copy_value_validations(s: &Map<String, Value>, out: &mut Map<String, Value>, null_ok: bool) {
    for key in COPIED {
        if let Some(v) = s.get(*key) {
            out.insert((*key).into(), v.clone());
        }
    }
    // OpenAPI v3 (draft 4) writes `exclusiveMinimum: true` next to `minimum`.
    for (excl, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        match s.get(excl) {
            Some(Value::Bool(true)) => {
                if let Some(b) = out.remove(bound) {
                    out.insert(excl.into(), b);
                }
            }
            Some(n @ Value::Number(_)) => {
                out.insert(excl.into(), n.clone());
            }
            _ => {}
        }
    }
    if null_ok
        && let Some(Value::Array(options)) = out.get_mut("enum")
        && !options.contains(&Value::Null)
    {
        options.push(Value::Null);
    }
}

/// A sub-schema of `allOf`/`anyOf`/`oneOf`/`not`: value validations only, objects stay open.
fn value_validation(s: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    if is_true(s, "x-kubernetes-int-or-string") {
        out.insert("type".into(), json!(["integer", "string"]));
    } else if let Some(t) = s.get("type").and_then(Value::as_str) {
        out.insert("type".into(), json!(t));
    }
    copy_value_validations(s, &mut out, false);
    if let Some(p) = s.get("properties").and_then(Value::as_object) {
        let props: Map<String, Value> =
            p.iter().filter_map(|(k, v)| v.as_object().map(|o| (k.clone(), value_validation(o)))).collect();
        out.insert("properties".into(), Value::Object(props));
    }
    if let Some(items) = s.get("items").and_then(Value::as_object) {
        out.insert("items".into(), value_validation(items));
    }
    if let Some(Value::Object(sub)) = s.get("additionalProperties") {
        out.insert("additionalProperties".into(), value_validation(sub));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            out.insert(
                key.into(),
                Value::Array(list.iter().filter_map(Value::as_object).map(value_validation).collect()),
            );
        }
    }
    if let Some(not) = s.get("not").and_then(Value::as_object) {
        out.insert("not".into(), value_validation(not));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(schema: Value) -> Value {
        let mut v = to_json_schema(&schema, &Map::new());
        let o = v.as_object_mut().unwrap();
        o.remove("$defs");
        o.remove("$schema");
        v
    }

    #[test]
    fn objects_close_and_root_gets_type_meta() {
        let s = conv(json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "interval": {"type": "string", "pattern": "^x$"}}}}}));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["spec"]["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["spec"]["type"], json!(["object", "null"]));
        assert_eq!(s["properties"]["spec"]["properties"]["interval"]["type"], json!(["string", "null"]));
        assert_eq!(s["properties"]["kind"]["type"], json!("string"));
        assert_eq!(s["properties"]["metadata"]["$ref"], json!(format!("#/$defs/{OBJECT_META}")));
    }

    #[test]
    fn required_without_default_rejects_null() {
        let s = conv(json!({"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "string"}, "b": {"type": "string", "default": "x"}, "c": {"type": "string", "enum": ["p"]}}}));
        assert_eq!(s["properties"]["a"]["type"], json!("string"));
        assert_eq!(s["properties"]["b"]["type"], json!(["string", "null"]));
        assert_eq!(s["properties"]["c"]["enum"], json!(["p", null]));
    }

    #[test]
    fn preserve_unknown_int_or_string_and_embedded() {
        let s = conv(json!({"type": "object", "properties": {
            "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
            "items": {"type": "array", "items": {"type": "string", "nullable": true}},
            "count": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}}}));
        let p = &s["properties"];
        assert!(p["values"].get("additionalProperties").is_none());
        assert_eq!(p["port"]["type"], json!(["integer", "string", "null"]));
        assert_eq!(p["port"]["anyOf"][0], json!({"type": "null"}));
        assert_eq!(p["template"]["required"], json!(["apiVersion", "kind"]));
        assert_eq!(p["template"]["properties"]["metadata"]["$ref"], json!(format!("#/$defs/{OBJECT_META}")));
        assert_eq!(p["items"]["items"]["type"], json!(["string", "null"]));
        assert_eq!(p["count"]["exclusiveMinimum"], json!(1));
        assert!(p["count"].get("minimum").is_none());
    }
}
