//! The `crds:` field: files of OpenAPI definitions (kube-openapi's `name -> {Schema,
//! Dependencies}` map, JSON when the file starts with `{`, else YAML) turned into transformer
//! configuration, as kustomize's `accumulator.LoadConfigFromCRDs` does:
//!
//! - a definition whose `properties` has `kind`, `apiVersion` and `metadata` is a custom kind,
//!   named by the last `.`-segment of its definition name (no group or version);
//! - its properties are walked (following `$ref` to another definition of the file by exact
//!   name; `items` and `additionalProperties` are not followed), and on each property
//!   - `x-kubernetes-object-ref-api-version` + `x-kubernetes-object-ref-kind` make
//!     `<path>/<x-kubernetes-object-ref-name-key, default name>` a name reference to objects of
//!     that version and kind (any group), so prefixes, suffixes and hashes propagate into it;
//!   - `x-kubernetes-annotation` adds a `commonAnnotations` field spec,
//!     `x-kubernetes-label-selector` a `commonLabels` one, `x-kubernetes-identity` a
//!     `namePrefix` one (prefix only, not suffix: kustomize registers no suffix spec);
//! - extension values count only when they are strings, and keys only in lower case.
//!
//! A recursive `$ref` chain makes kustomize recurse without end (it crashes): reported as fatal.

use serde_json::{Map, Value};

use crate::fieldspec::{FieldSpec, NameBackRef, TransformerConfig, split_path};
use crate::resource::Gvk;

/// The configuration of one `crds` file, already parsed to JSON.
///
/// # Errors
/// When the content does not decode as kustomize's definitions map, or a `$ref` chain recurses.
pub(crate) fn config_from_definitions(doc: &Value) -> Result<TransformerConfig, String> {
    let empty = Map::new();
    let defs = match doc {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => return Err("cannot unmarshal the document into a map of OpenAPI definitions".into()),
    };
    let mut schemas: Vec<(&str, Option<&Map<String, Value>>)> = Vec::new();
    for (name, def) in defs {
        let schema = match def {
            Value::Null => None,
            Value::Object(d) => schema_of(d).map_err(|e| format!("{name}: {e}"))?,
            _ => return Err(format!("{name}: cannot unmarshal into an OpenAPI definition")),
        };
        schemas.push((name.as_str(), schema));
    }
    let lookup = |name: &str| schemas.iter().find(|(n, _)| *n == name).and_then(|(_, s)| *s);
    let mut tc = TransformerConfig::default();
    for (name, schema) in &schemas {
        let Some(props) = schema.and_then(|s| properties(s)) else { continue };
        if !["kind", "apiVersion", "metadata"].iter().all(|k| props.contains_key(*k)) {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        let gvk = Gvk { kind: kind.to_string(), ..Gvk::default() };
        walk(&mut tc, &gvk, &lookup, name, &mut Vec::new())?;
    }
    Ok(tc)
}

/// The `Schema` of a definition (Go's JSON decoding matches the field name case-insensitively).
fn schema_of(def: &Map<String, Value>) -> Result<Option<&Map<String, Value>>, String> {
    let found =
        def.get("Schema").or_else(|| def.iter().find(|(k, _)| k.eq_ignore_ascii_case("schema")).map(|(_, v)| v));
    match found {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(s)) => {
            if let Some(p) = s.get("properties") {
                match p {
                    Value::Null => {}
                    Value::Object(props) => {
                        if props.values().any(|v| !matches!(v, Value::Object(_) | Value::Null)) {
                            return Err("cannot unmarshal a property into a schema".into());
                        }
                    }
                    _ => return Err("cannot unmarshal properties into a map of schemas".into()),
                }
            }
            Ok(Some(s))
        }
        Some(_) => Err("cannot unmarshal Schema into a schema".into()),
    }
}

fn properties(schema: &Map<String, Value>) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

fn ext<'v>(property: &'v Value, key: &str) -> Option<&'v str> {
    property.get(key).and_then(Value::as_str)
}

fn spec(gvk: &Gvk, path: &[&str]) -> FieldSpec {
    let path_text = path.join("/");
    FieldSpec { gvk: gvk.clone(), path: split_path(&path_text), path_text, create: false }
}

fn push_unique(into: &mut Vec<FieldSpec>, fs: FieldSpec) {
    if !into.contains(&fs) {
        into.push(fs);
    }
}

/// kustomize's `loadCrdIntoConfig` for the definition `type_name`, at `path`.
fn walk<'a>(
    tc: &mut TransformerConfig,
    gvk: &Gvk,
    lookup: &dyn Fn(&str) -> Option<&'a Map<String, Value>>,
    type_name: &str,
    path: &mut Vec<&'a str>,
) -> Result<(), String> {
    let Some(props) = lookup(type_name).and_then(properties) else { return Ok(()) };
    if path.len() > 64 {
        return Err(format!("$ref chain through {type_name} recurses without end (kustomize crashes on it)"));
    }
    for (prop_name, property) in props {
        path.push(prop_name.as_str());
        if ext(property, "x-kubernetes-annotation").is_some() {
            push_unique(&mut tc.common_annotations, spec(gvk, path));
        }
        if ext(property, "x-kubernetes-label-selector").is_some() {
            push_unique(&mut tc.common_labels, spec(gvk, path));
        }
        if ext(property, "x-kubernetes-identity").is_some() {
            push_unique(&mut tc.name_prefix, spec(gvk, path));
        }
        if let (Some(version), Some(kind)) =
            (ext(property, "x-kubernetes-object-ref-api-version"), ext(property, "x-kubernetes-object-ref-kind"))
        {
            let name_key = ext(property, "x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut p = path.clone();
            p.push(name_key);
            let target = Gvk { version: version.to_string(), kind: kind.to_string(), ..Gvk::default() };
            let fs = spec(gvk, &p);
            match tc.name_reference.iter_mut().find(|b| b.gvk == target) {
                Some(b) => push_unique(&mut b.referrers, fs),
                None => tc.name_reference.push(NameBackRef { gvk: target, referrers: vec![fs] }),
            }
        }
        if let Some(r) = property.get("$ref").and_then(Value::as_str) {
            walk(tc, gvk, lookup, r, path)?;
        }
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_references_labels_annotations_identity() {
        let doc = json!({
            "example.com/v1.MyKind": {"Schema": {"properties": {
                "apiVersion": {}, "kind": {}, "metadata": {},
                "spec": {"$ref": "example.com/v1.Spec"}
            }}},
            "example.com/v1.Spec": {"schema": {"properties": {
                "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret"},
                "cm": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap",
                       "x-kubernetes-object-ref-name-key": "id"},
                "sel": {"x-kubernetes-label-selector": ""},
                "notes": {"x-kubernetes-annotation": ""},
                "alias": {"x-kubernetes-identity": ""},
                "upper": {"X-Kubernetes-Object-Ref-Api-Version": "v1", "x-kubernetes-object-ref-kind": "Secret"},
                "nonString": {"x-kubernetes-object-ref-api-version": 1, "x-kubernetes-object-ref-kind": "Secret"}
            }}}
        });
        let tc = config_from_definitions(&doc).unwrap();
        let refs = |kind: &str| -> Vec<String> {
            tc.name_reference
                .iter()
                .filter(|b| b.gvk.kind == kind && b.gvk.version == "v1" && b.gvk.group.is_empty())
                .flat_map(|b| b.referrers.iter().map(|f| format!("{}:{}", f.gvk.kind, f.path_text)))
                .collect()
        };
        assert_eq!(refs("Secret"), ["MyKind:spec/secretRef/name"]);
        assert_eq!(refs("ConfigMap"), ["MyKind:spec/cm/id"]);
        assert_eq!(tc.common_labels[0].path_text, "spec/sel");
        assert_eq!(tc.common_annotations[0].path_text, "spec/notes");
        assert_eq!(tc.name_prefix[0].path_text, "spec/alias");
        assert!(tc.name_suffix.is_empty());
    }

    #[test]
    fn shapes_kustomize_rejects() {
        assert!(config_from_definitions(&json!([1])).is_err());
        assert!(config_from_definitions(&json!({"a": 1})).is_err());
        assert!(config_from_definitions(&json!({"a": {"Schema": {"properties": []}}})).is_err());
        assert!(config_from_definitions(&Value::Null).unwrap().name_reference.is_empty());
        let cyclic = json!({
            "x.v1.K": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"$ref": "S"}}}},
            "S": {"Schema": {"properties": {"again": {"$ref": "S"}}}}
        });
        assert!(config_from_definitions(&cyclic).unwrap_err().contains("recurses"));
    }
}
