//! Variable substitution: `{{ jmespath }}` and `$(reference)` in a rule's documents.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/variables/vars.go (`substituteAll`,
//! `substituteReferencesIfAny`, `substituteVariablesIfAny`, `replaceBracesAndTrimSpaces`,
//! `substituteVarInPattern`) and pkg/engine/variables/regex/vars.go (the patterns). Every string
//! leaf and every key is searched; a string that is exactly one variable takes the variable's
//! value and type, otherwise the value is written into the string (JSON for non-strings);
//! `{{- x}}` substitutes once, without re-reading what it inserted; `\{{` escapes.

use serde_json::{Map, Value};

use crate::jmes::{QueryError, Scope, query};

/// What an unresolved variable (a missing field) means where it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    /// A rule error (Kyverno since 1.8.0; also in 1.4.2-1.7.x outside preconditions).
    Error,
    /// The empty string (preconditions in Kyverno 1.4.2-1.7.x).
    EmptyString,
}

/// Why substitution failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VarError {
    /// The variable reads a field the object does not have (Kyverno: `NotFoundError`).
    NotFound { variable: String },
    /// The variable reads data fleetlint does not have, or calls a function it does not
    /// implement.
    NotEvaluable { variable: String, reason: QueryError },
    /// Malformed: an invalid expression or reference (a Kyverno rule error).
    Invalid(String),
}

/// Spans of `{{...}}` not preceded by a backslash (`RegexVariables`:
/// `(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})`).
pub(crate) fn find_variables(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'{' && b[i + 1] == b'{' && (i == 0 || b[i - 1] != b'\\') {
            let mut j = i + 2;
            let end = loop {
                if j + 1 < b.len() && b[j] == b'}' && b[j + 1] == b'}' {
                    break Some(j + 2);
                }
                match b.get(j) {
                    None | Some(b'}') => break None,
                    Some(b'{') => match s[j + 1..].find(['{', '}']) {
                        Some(k) if b[j + 1 + k] == b'}' => j = j + 1 + k + 1,
                        _ => break None,
                    },
                    Some(_) => j += 1,
                }
            };
            if let Some(e) = end {
                out.push((i, e));
                i = e;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `replaceBracesAndTrimSpaces`: the expression, and whether it is shallow (`{{- x}}`).
fn expression(var: &str) -> (String, bool) {
    let inner = var.replace("{{", "").replace("}}", "");
    let inner = inner.trim();
    match inner.strip_prefix('-') {
        Some(rest) => (rest.trim().to_owned(), true),
        None => (inner.to_owned(), false),
    }
}

/// Substitute every variable of `doc` (references first, then variables).
pub(crate) fn substitute_all(doc: &Value, scope: &Scope<'_>, missing: Missing) -> Result<Value, VarError> {
    let doc = references(doc, doc, &mut Vec::new())?;
    variables(&doc, scope, missing)
}

fn variables(doc: &Value, scope: &Scope<'_>, missing: Missing) -> Result<Value, VarError> {
    Ok(match doc {
        Value::String(s) => substitute_string(s, scope, missing)?,
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| variables(v, scope, missing)).collect::<Result<_, _>>()?)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match substitute_string(k, scope, missing)? {
                    Value::String(s) => s,
                    _ => {
                        return Err(VarError::Invalid(format!(
                            "expected string after substituting variables in key \"{k}\""
                        )));
                    }
                };
                out.insert(key, variables(v, scope, missing)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Substitute the variables of one string (`substituteVariablesIfAny`).
pub(crate) fn substitute_string(s: &str, scope: &Scope<'_>, missing: Missing) -> Result<Value, VarError> {
    let mut value = s.to_owned();
    let mut vars = find_variables(&value);
    let mut rounds = 0;
    while !vars.is_empty() {
        rounds += 1;
        if rounds > 64 {
            return Err(VarError::Invalid(format!("variables in `{s}` keep producing variables")));
        }
        let original = value.clone();
        let mut shallow = false;
        for (start, end) in vars {
            let var = original[start..end].to_owned();
            let (expr, is_shallow) = expression(&var);
            shallow = is_shallow;
            if expr == "@" || expr.starts_with("@.") {
                let reason = QueryError::Unavailable("@".into());
                return Err(VarError::NotEvaluable { variable: expr, reason });
            }
            let resolved = match query(&expr, &Scope { root: scope.root, unavailable: scope.unavailable }) {
                Ok(v) => v,
                Err(QueryError::NotFound(_)) if missing == Missing::EmptyString => Value::String(String::new()),
                Err(QueryError::NotFound(_)) => return Err(VarError::NotFound { variable: expr }),
                Err(QueryError::Invalid(m)) => return Err(VarError::Invalid(m)),
                Err(reason) => return Err(VarError::NotEvaluable { variable: expr, reason }),
            };
            if original == var {
                return Ok(resolved);
            }
            let mut text = match resolved {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if shallow {
                text = text.replace("{{", "\\{{");
            }
            value = value.replacen(&var, &text, 1);
        }
        vars = if shallow { Vec::new() } else { find_variables(&value) };
    }
    Ok(Value::String(value.replace("\\{{", "{{")))
}

/// `RegexReferences`: `$(...)` not preceded by a backslash, up to the last `)` before a space.
fn find_references(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'(' && (i == 0 || b[i - 1] != b'\\') {
            let stop = s[i + 3..].find(' ').map_or(s.len(), |k| i + 3 + k);
            if let Some(close) = s[i + 3..stop].rfind(')') {
                let end = i + 3 + close + 1;
                out.push((i, end));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The path of a value with anchors removed from its keys (`anchor.RemoveAnchorsFromPath`).
fn plain_key(k: &str) -> &str {
    crate::validate::parse_anchor(k).map_or(k, |(_, inner)| inner)
}

fn lookup<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, seg| match v {
        Value::Object(m) => m.iter().find(|(k, _)| plain_key(k) == seg).map(|(_, x)| x),
        Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// `resolveReference`: a path relative to the value holding the reference (or absolute), with
/// an optional operator prefix kept in front of the value.
fn resolve_reference(full: &Value, reference: &str, at: &[String]) -> Result<String, VarError> {
    let inner = reference.trim_matches(|c| c == '$' || c == '(' || c == ')');
    let op = crate::pattern::operator(inner);
    let op_len = match op {
        crate::pattern::Op::MoreEqual | crate::pattern::Op::LessEqual => 2,
        crate::pattern::Op::More | crate::pattern::Op::Less | crate::pattern::Op::NotEqual => 1,
        _ => 0,
    };
    let (prefix, path) = inner.split_at(op_len);
    if path.is_empty() {
        return Err(VarError::Invalid("expected path, found empty reference".into()));
    }
    let mut segs: Vec<String> = if path.starts_with('/') { Vec::new() } else { at.to_vec() };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            p => segs.push(p.to_owned()),
        }
    }
    match lookup(full, &segs) {
        None | Some(Value::Null) => Err(VarError::Invalid(format!("reference {reference} not resolved"))),
        Some(Value::String(s)) => Ok(format!("{prefix}{s}")),
        Some(Value::Number(n)) if op_len > 0 => Ok(format!("{prefix}{n}")),
        Some(_) => Err(VarError::Invalid(format!("NotResolvedReferenceErr, reference {reference} not resolved"))),
    }
}

fn references(full: &Value, v: &Value, at: &mut Vec<String>) -> Result<Value, VarError> {
    Ok(match v {
        Value::String(s) => {
            let mut out = s.clone();
            for (start, end) in find_references(s) {
                let reference = &s[start..end];
                out = out.replacen(reference, &resolve_reference(full, reference, at)?, 1);
            }
            Value::String(out.replace("\\$(", "$("))
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                at.push(i.to_string());
                out.push(references(full, item, at)?);
                at.pop();
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, item) in m {
                at.push(plain_key(k).to_owned());
                out.insert(k.clone(), references(full, item, at)?);
                at.pop();
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({"request": {"operation": "CREATE", "namespace": "apps",
            "object": {"metadata": {"name": "web", "namespace": "apps"}, "spec": {"replicas": 3}}}})
    }

    fn sub(doc: Value, missing: Missing) -> Result<Value, VarError> {
        let root = ctx();
        substitute_all(&doc, &Scope { root: &root, unavailable: &[] }, missing)
    }

    #[test]
    fn finds_variables_like_kyverno() {
        assert_eq!(find_variables("{{a}}"), vec![(0, 5)]);
        assert_eq!(find_variables("x {{ a.b }} y {{c}}"), vec![(2, 11), (14, 19)]);
        assert_eq!(find_variables("\\{{a}}"), vec![]);
        assert_eq!(find_variables("{{ a[?b=='{x}'] }}"), vec![(0, 18)]);
        assert_eq!(find_variables("{{a"), vec![]);
    }

    #[test]
    fn whole_string_keeps_the_type_and_partial_strings_interpolate() {
        let r = sub(
            json!({"n": "{{request.object.spec.replicas}}", "m": "name {{ request.object.metadata.name }}"}),
            Missing::Error,
        );
        assert_eq!(r, Ok(json!({"n": 3, "m": "name web"})));
        let r = sub(json!({"{{request.namespace}}": "\\{{kept}}"}), Missing::Error);
        assert_eq!(r, Ok(json!({"apps": "{{kept}}"})));
    }

    #[test]
    fn missing_fields_depend_on_where() {
        let doc = json!("{{request.object.spec.sourceRef.namespace}}");
        assert_eq!(sub(doc.clone(), Missing::EmptyString), Ok(json!("")));
        assert!(matches!(sub(doc, Missing::Error), Err(VarError::NotFound { .. })));
        assert!(matches!(sub(json!("{{ @ }}"), Missing::Error), Err(VarError::NotEvaluable { .. })));
    }

    #[test]
    fn references_resolve_within_the_pattern() {
        let doc = json!({"spec": {"limits": {"memory": "2Gi"}, "requests": {"memory": "$(<=./../../limits/memory)"}}});
        let r = sub(doc, Missing::Error).unwrap();
        assert_eq!(r["spec"]["requests"]["memory"], json!("<=2Gi"));
        let doc = json!({"a": "$(/b)", "(b)": "x"});
        assert_eq!(sub(doc, Missing::Error).unwrap()["a"], json!("x"));
    }
}
