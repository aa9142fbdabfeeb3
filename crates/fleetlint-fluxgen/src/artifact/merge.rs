//! The `Merge` copy strategy (fluxcd/source-watcher@825fa15:internal/builder/merge.go): every
//! YAML document of a file is decoded with `sigs.k8s.io/yaml.Unmarshal` into
//! `map[string]any` (YAML 1.1 typing, numbers through JSON become `float64`) and deep-merged
//! into one map; the source file's map is merged onto the destination's (`mergeMap`: maps
//! merge recursively, anything else from the overlay replaces, lists whole, `null` included),
//! and the result is written with `sigs.k8s.io/yaml.Marshal` (keys sorted, comments and
//! document separators gone).

use std::collections::BTreeMap;

use fleetlint_gotemplate::{Value, to_yaml};
use fleetlint_yaml::LoadIssueKind;
use fleetlint_yaml::resolve_yaml11;
use fleetlint_yaml::{FileId, Limits, Node, NodeKind, ScalarStyle, ScalarValue, parse_yaml};

/// `loadYAML`: all documents of `text` merged into one map.
pub(crate) fn load_yaml(text: &str) -> Result<BTreeMap<String, Value>, String> {
    let parsed = parse_yaml(FileId::SYNTHETIC, text, &Limits::default());
    for issue in &parsed.issues {
        match &issue.kind {
            LoadIssueKind::Syntax(msg) => return Err(format!("cannot unmarshal YAML document: {msg}")),
            LoadIssueKind::TooDeep { .. } | LoadIssueKind::AliasBudget { .. } | LoadIssueKind::TooLarge { .. } => {
                return Err("YAML document exceeds fleetlint's limits".into());
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for doc in parsed.documents {
        match go_value(&doc.root) {
            Value::Nil => {}
            Value::Map(m) => out = merge_map(&out, &m.borrow()),
            other => {
                return Err(format!(
                    "cannot unmarshal YAML document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_type(&other)
                ));
            }
        }
    }
    Ok(out)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

/// A YAML node as `sigs.k8s.io/yaml.Unmarshal` into `any` yields it.
fn go_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar(s) => {
            let typed = if s.style == ScalarStyle::Plain && s.tag.is_none() {
                resolve_yaml11(&s.text, ScalarStyle::Plain)
            } else {
                s.value.clone()
            };
            match typed {
                ScalarValue::Null => Value::Nil,
                ScalarValue::Bool(b) => Value::Bool(b),
                #[allow(clippy::cast_precision_loss)]
                ScalarValue::Int(i) => Value::Float(i as f64),
                ScalarValue::Float(f) => Value::Float(f),
                ScalarValue::Str => Value::str(&*s.text),
            }
        }
        NodeKind::Seq(items) => Value::list(items.iter().map(go_value).collect()),
        NodeKind::Map(entries) => {
            let mut map = BTreeMap::new();
            for e in entries {
                let key = match go_value(&e.key) {
                    Value::Str(s) => s.to_string(),
                    Value::Nil => "null".into(),
                    other => fleetlint_gotemplate::format_v(&other),
                };
                map.insert(key, go_value(&e.value));
            }
            Value::map(map)
        }
    }
}

/// `mergeMap`: `overlay` onto `base`.
pub(crate) fn merge_map(base: &BTreeMap<String, Value>, overlay: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let mut out = base.clone();
    for (k, v) in overlay {
        if let (Value::Map(ov), Some(Value::Map(bv))) = (v, out.get(k)) {
            let merged = merge_map(&bv.borrow(), &ov.borrow());
            out.insert(k.clone(), Value::map(merged));
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    out
}

/// The text of `overlay` merged onto `base`.
pub(crate) fn merge_texts(base: &str, overlay: &str) -> Result<String, String> {
    let base = load_yaml(base)?;
    let overlay = load_yaml(overlay)?;
    to_yaml(&Value::map(merge_map(&base, &overlay))).map_err(|e| format!("failed to merged YAML: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_like_merge() {
        let base = "# values\nreplicas: 1\nimage:\n  repo: a\n  tag: v1\nlist: [1, 2]\nflag: yes\n---\nextra: true\n";
        let overlay = "image:\n  tag: v2\nlist: [3]\nreplicas: null\n";
        let merged = merge_texts(base, overlay).unwrap();
        assert_eq!(merged, "extra: true\nflag: true\nimage:\n  repo: a\n  tag: v2\nlist:\n- 3\nreplicas: null\n");
        assert!(merge_texts("- a\n", "k: v\n").unwrap_err().contains("cannot unmarshal array"));
    }
}
