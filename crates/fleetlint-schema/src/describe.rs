//! Words for what a schema expects and what an object holds, and "did you mean" suggestions.

use fleetlint_yaml::{FieldPath, PathSegment};
use jsonschema::JsonType;
use serde_json::Value;

/// `the number 5`, `the string "x"`, `a list`.
pub(crate) fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let more = if shown.len() < s.len() { "..." } else { "" };
            format!("the string `{shown:?}{more}`")
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// `a string`, `an integer or a string`; `null` is left out when something else is allowed (a
/// nullable field is not asking for null).
pub(crate) fn describe_types(types: &[JsonType]) -> String {
    let mut words: Vec<&str> = Vec::new();
    let has_number = types.contains(&JsonType::Number);
    for t in types {
        let w = match t {
            JsonType::Null => continue,
            JsonType::Boolean => "`true` or `false`",
            JsonType::Integer if has_number => continue,
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::Array => "a list",
            JsonType::Object => "a mapping",
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.as_slice() {
        [] => "null".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A pattern in words where it is a well-known one (the Go durations of every Flux CRD).
pub(crate) fn describe_pattern(pattern: &str) -> String {
    if pattern.contains("(ms|s|m|h))+$") || pattern.contains("(ms|s|m))+$") {
        return format!("a duration such as `30s`, `5m` or `1h30m` (matching `{pattern}`)");
    }
    format!("a string matching `{pattern}`")
}

fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..64 {
        match s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
            Some(name) => s = &root["$defs"][name],
            None => break,
        }
    }
    s
}

fn branches(s: &Value) -> impl Iterator<Item = &Value> {
    ["allOf", "anyOf", "oneOf"].into_iter().filter_map(|k| s.get(k)).filter_map(Value::as_array).flatten()
}

fn step<'a>(root: &'a Value, s: &'a Value, seg: &PathSegment) -> Option<&'a Value> {
    let s = resolve(root, s);
    let direct = match seg {
        PathSegment::Key(k) => s
            .get("properties")
            .and_then(|p| p.get(k.as_str()))
            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object())),
        PathSegment::Index(_) => s.get("items"),
    };
    direct.or_else(|| branches(s).find_map(|b| step(root, b, seg)))
}

fn properties<'a>(root: &'a Value, s: &'a Value, out: &mut Vec<&'a str>) {
    let s = resolve(root, s);
    if let Some(p) = s.get("properties").and_then(Value::as_object) {
        out.extend(p.keys().map(String::as_str));
    }
    for b in branches(s) {
        properties(root, b, out);
    }
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The field the schema defines at `parent` that `key` most likely meant.
pub(crate) fn suggest(root: &Value, parent: &FieldPath, key: &str) -> Option<String> {
    let at = parent.segments().iter().try_fold(root, |s, seg| step(root, s, seg))?;
    let mut names = Vec::new();
    properties(root, at, &mut names);
    if let Some(same) = names.iter().find(|n| n.eq_ignore_ascii_case(key)) {
        return Some((*same).to_owned());
    }
    let budget = (key.chars().count() / 3).clamp(1, 3);
    names
        .into_iter()
        .map(|n| (distance(&key.to_ascii_lowercase(), &n.to_ascii_lowercase()), n))
        .filter(|(d, _)| *d <= budget)
        .min()
        .map(|(_, n)| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words() {
        assert_eq!(describe_types(&[JsonType::String, JsonType::Null]), "a string");
        assert_eq!(describe_types(&[JsonType::Integer, JsonType::String]), "an integer or a string");
        assert_eq!(describe_value(&json!(5)), "the number `5`");
        assert!(describe_pattern("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$").starts_with("a duration"));
    }

    #[test]
    fn suggestions_follow_refs_and_items() {
        let root = json!({"$ref": "#/$defs/A", "$defs": {
            "A": {"properties": {"spec": {"properties": {"prune": {}, "path": {}, "list": {"items": {"$ref": "#/$defs/B"}}}}}},
            "B": {"properties": {"serviceAccountName": {}}}}});
        let spec = FieldPath::from_keys(&["spec"]);
        assert_eq!(suggest(&root, &spec, "prunne").as_deref(), Some("prune"));
        assert_eq!(suggest(&root, &spec, "zzzzzz"), None);
        let item = spec.child_key("list").child_index(0);
        assert_eq!(suggest(&root, &item, "serviceaccountname").as_deref(), Some("serviceAccountName"));
    }
}
