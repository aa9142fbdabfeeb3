//! Condition operators of `preconditions` and `validate.deny.conditions`.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/variables/operator/ (`CreateOperatorHandler` in
//! operator.go, one file per operator) and pkg/engine/variables/evaluate.go (`any`/`all`
//! blocks, the legacy list form). Keys and values arrive after variable substitution, decoded the
//! way Go decodes JSON (every number a `float64`), so numbers are compared as floats here.

use serde_json::Value;

use crate::jmes::{go_sprint, json_eq};
use crate::pattern::{self, Op, operator};
use crate::units::{parse_duration, parse_quantity, parse_semver};
use crate::wildcard;

/// A condition operator (names are matched without regard to case, as Kyverno does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    Equals,
    NotEquals,
    In,
    AnyIn,
    AllIn,
    NotIn,
    AnyNotIn,
    AllNotIn,
    GreaterThanOrEquals,
    GreaterThan,
    LessThanOrEquals,
    LessThan,
    DurationGreaterThanOrEquals,
    DurationGreaterThan,
    DurationLessThanOrEquals,
    DurationLessThan,
}

impl Operator {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "equal" | "equals" => Self::Equals,
            "notequal" | "notequals" => Self::NotEquals,
            "in" => Self::In,
            "anyin" => Self::AnyIn,
            "allin" => Self::AllIn,
            "notin" => Self::NotIn,
            "anynotin" => Self::AnyNotIn,
            "allnotin" => Self::AllNotIn,
            "greaterthanorequals" => Self::GreaterThanOrEquals,
            "greaterthan" => Self::GreaterThan,
            "lessthanorequals" => Self::LessThanOrEquals,
            "lessthan" => Self::LessThan,
            "durationgreaterthanorequals" => Self::DurationGreaterThanOrEquals,
            "durationgreaterthan" => Self::DurationGreaterThan,
            "durationlessthanorequals" => Self::DurationLessThanOrEquals,
            "durationlessthan" => Self::DurationLessThan,
            _ => return None,
        })
    }
}

/// `operator.parseDuration`: both sides as durations; a side that is not a duration string may
/// be a number of seconds, but at least one side must be a duration string (`"0"` is not one).
fn durations(key: &Value, value: &Value) -> Option<(f64, f64)> {
    let as_duration = |v: &Value| v.as_str().filter(|s| *s != "0").and_then(parse_duration).map(|ns| ns / 1e9);
    let (k, v) = (as_duration(key), as_duration(value));
    if k.is_none() && v.is_none() {
        return None;
    }
    let k = k.or_else(|| key.as_f64())?;
    let v = v.or_else(|| value.as_f64())?;
    Some((k, v))
}

/// Evaluate `key <op> value`. `Err` is a Kyverno rule error (a non-string item where the
/// operator requires strings).
pub(crate) fn evaluate(op: Operator, key: &Value, value: &Value) -> Result<bool, String> {
    use Operator as O;
    Ok(match op {
        O::Equals => equals(key, value),
        O::NotEquals => not_equals(key, value),
        O::In | O::NotIn => {
            let r = match key {
                Value::Array(items) => {
                    let keys: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                    let keys = keys.ok_or_else(|| format!("{op:?}: every key item must be a string"))?;
                    set_in(&keys, value, op == O::NotIn)
                }
                k => {
                    key_in(&scalar_key(k).ok_or("unsupported key type")?, value).map(|found| found != (op == O::NotIn))
                }
            };
            r.unwrap_or(false)
        }
        O::AnyIn | O::AnyNotIn | O::AllIn | O::AllNotIn => {
            let any = matches!(op, O::AnyIn | O::AnyNotIn);
            let negated = matches!(op, O::AnyNotIn | O::AllNotIn);
            match key {
                Value::Array(items) => {
                    let keys: Vec<String> = items.iter().map(go_sprint).collect();
                    multi_set(&keys, value, any, negated).unwrap_or(false)
                }
                k => match scalar_key(k) {
                    Some(k) => multi_key(&k, value).map(|found| found != negated).unwrap_or(false),
                    None => false,
                },
            }
        }
        O::GreaterThanOrEquals | O::GreaterThan | O::LessThanOrEquals | O::LessThan => numeric(op, key, value),
        O::DurationGreaterThanOrEquals | O::DurationGreaterThan | O::DurationLessThanOrEquals | O::DurationLessThan => {
            durations(key, value).is_some_and(|(k, v)| compare_f(op, k, v))
        }
    })
}

/// `fmt.Sprint` of a scalar key; `None` for objects and null (an unsupported key type).
fn scalar_key(key: &Value) -> Option<String> {
    match key {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(go_sprint(key)),
        _ => None,
    }
}

fn equals(key: &Value, value: &Value) -> bool {
    match key {
        Value::Bool(b) => value.as_bool() == Some(*b),
        Value::Number(n) => {
            let k = n.as_f64().unwrap_or(f64::NAN);
            match value {
                Value::Number(v) => v.as_f64() == Some(k),
                Value::String(s) => s.parse::<f64>().ok() == Some(k),
                _ => false,
            }
        }
        Value::String(k) => {
            if let Some((a, b)) = durations(key, value) {
                return a == b;
            }
            if let Some(kq) = parse_quantity(k)
                && let Value::String(v) = value
            {
                return parse_quantity(v).is_some_and(|vq| kq.cmp(vq).is_eq());
            }
            value.as_str().is_some_and(|v| wildcard::matches(v, k))
        }
        Value::Object(_) => value.is_object() && json_eq(key, value),
        Value::Array(_) => value.is_array() && json_eq(key, value),
        Value::Null => false,
    }
}

fn not_equals(key: &Value, value: &Value) -> bool {
    match key {
        Value::Bool(b) => value.as_bool() != Some(*b),
        Value::Number(n) => {
            let k = n.as_f64().unwrap_or(f64::NAN);
            match value {
                Value::Number(v) => v.as_f64() != Some(k),
                Value::String(s) => !s.parse::<f64>().is_ok_and(|v| v == k),
                _ => true,
            }
        }
        Value::String(k) => {
            if let Some((a, b)) = durations(key, value) {
                return a != b;
            }
            if let Some(kq) = parse_quantity(k)
                && let Value::String(v) = value
            {
                if v.is_empty() {
                    return !wildcard::matches(v, k);
                }
                return parse_quantity(v).is_none_or(|vq| !kq.cmp(vq).is_eq());
            }
            value.as_str().is_none_or(|v| !wildcard::matches(v, k))
        }
        Value::Object(_) => !(value.is_object() && json_eq(key, value)),
        Value::Array(_) => !(value.is_array() && json_eq(key, value)),
        Value::Null => false,
    }
}

/// `keyExistsInArray` (In, NotIn); `None` is "invalid type" (the operator is then false).
fn key_in(key: &str, value: &Value) -> Option<bool> {
    match value {
        Value::Array(items) => {
            Some(items.iter().map(go_sprint).any(|v| wildcard::matches(&v, key) || wildcard::matches(key, &v)))
        }
        Value::String(s) => {
            if wildcard::matches(s, key) {
                return Some(true);
            }
            let arr: Vec<String> = serde_json::from_str(s).ok()?;
            Some(arr.iter().any(|v| v == key))
        }
        _ => None,
    }
}

/// `setExistsInArray` (In, NotIn with a list key): every key in (or, negated, some key not in)
/// the value list, compared exactly.
fn set_in(keys: &[String], value: &Value, not_in: bool) -> Option<bool> {
    let values: Vec<String> = match value {
        Value::Array(items) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<_>>()?,
        Value::String(s) => {
            if keys.len() == 1 && keys[0] == *s {
                return Some(true);
            }
            serde_json::from_str(s).ok()?
        }
        _ => return None,
    };
    let all_in = keys.iter().all(|k| values.contains(k));
    Some(if not_in { !all_in } else { all_in })
}

/// The value of the `AnyIn`/`AllIn` family as a list, or a range pattern.
enum Candidates {
    List(Vec<String>),
    Range(String),
}

fn candidates(value: &Value) -> Option<Candidates> {
    Some(match value {
        Value::Array(items) => Candidates::List(items.iter().map(go_sprint).collect()),
        Value::Number(_) | Value::Bool(_) => Candidates::List(vec![go_sprint(value)]),
        Value::String(s) => {
            if operator(s) == Op::InRange {
                return Some(Candidates::Range(s.clone()));
            }
            if serde_json::from_str::<Value>(s).is_ok() {
                Candidates::List(serde_json::from_str(s).ok()?)
            } else {
                Candidates::List(vec![s.clone()])
            }
        }
        _ => return None,
    })
}

fn in_range(key: &str, range: &str) -> bool {
    pattern::validate(&Value::String(key.to_owned()), &Value::String(range.to_owned()))
}

fn either_matches(a: &str, b: &str) -> bool {
    wildcard::matches(a, b) || wildcard::matches(b, a)
}

/// `anyKeyExistsInArray` / `allKeyExistsInArray` (one scalar key; both read the same).
fn multi_key(key: &str, value: &Value) -> Option<bool> {
    match value {
        Value::Array(items) => Some(items.iter().map(go_sprint).any(|v| either_matches(&v, key))),
        Value::String(s) => {
            if wildcard::matches(s, key) {
                return Some(true);
            }
            match candidates(value)? {
                Candidates::Range(r) => Some(in_range(key, &r)),
                Candidates::List(list) => Some(list.iter().any(|v| v == key)),
            }
        }
        _ => None,
    }
}

/// `anySetExistsInArray` / `allSetExistsInArray` (a list key).
fn multi_set(keys: &[String], value: &Value, any: bool, negated: bool) -> Option<bool> {
    if let Value::String(s) = value
        && keys.len() == 1
        && keys[0] == *s
    {
        return Some(!negated);
    }
    Some(match candidates(value)? {
        Candidates::Range(r) => {
            if any && negated {
                let not_range = r.replacen('-', "!-", 1);
                keys.iter().any(|k| in_range(k, &not_range))
            } else if any {
                keys.iter().any(|k| in_range(k, &r))
            } else if negated {
                !keys.iter().any(|k| in_range(k, &r))
            } else {
                keys.iter().all(|k| in_range(k, &r))
            }
        }
        Candidates::List(list) => {
            let hit = |k: &String| list.iter().any(|v| either_matches(k, v));
            match (any, negated) {
                (true, false) => keys.iter().any(hit),
                (true, true) => keys.iter().any(|k| !hit(k)),
                (false, false) => keys.iter().all(hit),
                (false, true) => !keys.iter().any(hit),
            }
        }
    })
}

fn compare_f(op: Operator, k: f64, v: f64) -> bool {
    use Operator as O;
    match op {
        O::GreaterThanOrEquals | O::DurationGreaterThanOrEquals => k >= v,
        O::GreaterThan | O::DurationGreaterThan => k > v,
        O::LessThanOrEquals | O::DurationLessThanOrEquals => k <= v,
        _ => k < v,
    }
}

/// `NumericOperatorHandler`: numbers, durations, quantities, numeric strings, then semantic
/// versions.
fn numeric(op: Operator, key: &Value, value: &Value) -> bool {
    let with_number = |k: f64| match value {
        Value::Number(v) => v.as_f64().is_some_and(|v| compare_f(op, k, v)),
        Value::String(s) => {
            if let Some((a, b)) = durations(&serde_json::json!(k), value) {
                return compare_f(op, a, b);
            }
            s.parse::<f64>().is_ok_and(|v| compare_f(op, k, v))
        }
        _ => false,
    };
    match key {
        Value::Number(n) => n.as_f64().is_some_and(with_number),
        Value::String(k) => {
            if let Some((a, b)) = durations(key, value) {
                return compare_f(op, a, b);
            }
            if let (Some(kq), Some(vq)) = (parse_quantity(k), value.as_str().and_then(parse_quantity)) {
                let ord = kq.cmp(vq);
                return compare_f(op, f64::from(ord as i8), 0.0);
            }
            if let Ok(f) = k.parse::<f64>() {
                return with_number(f);
            }
            match (parse_semver(k), value.as_str().and_then(parse_semver)) {
                (Some(a), Some(b)) => compare_f(op, f64::from(a.cmp(&b) as i8), 0.0),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(op: &str, key: Value, value: Value) -> bool {
        evaluate(Operator::parse(op).unwrap(), &key, &value).unwrap()
    }

    #[test]
    fn equality_operators() {
        assert!(ev("Equals", json!("CREATE"), json!("CREATE")));
        assert!(ev("equals", json!("kube-system"), json!("kube-*")));
        assert!(ev("Equal", json!("5m"), json!("300s")));
        assert!(ev("Equals", json!("1Gi"), json!("1024Mi")));
        assert!(ev("Equals", json!(3), json!("3")));
        assert!(!ev("Equals", Value::Null, Value::Null));
        assert!(ev("NotEquals", json!("flux-system"), json!("apps")));
        assert!(!ev("NotEquals", json!(""), json!("")));
        assert!(ev("NotEquals", json!(true), json!("true")));
        assert!(!ev("NotEquals", Value::Null, json!("x")));
    }

    #[test]
    fn membership_operators() {
        assert!(ev("In", json!("a"), json!(["a", "b"])));
        assert!(ev("In", json!("kube-system"), json!(["kube-*"])));
        assert!(!ev("In", json!(["a", "c"]), json!(["a", "b"])));
        assert!(ev("NotIn", json!("c"), json!(["a", "b"])));
        assert!(ev("AnyIn", json!(["x", "b"]), json!(["a", "b"])));
        assert!(!ev("AllIn", json!(["x", "b"]), json!(["a", "b"])));
        assert!(ev("AllIn", json!(["a", "b"]), json!(["a", "b", "c"])));
        assert!(ev("AnyNotIn", json!(["x", "b"]), json!(["a", "b"])));
        assert!(ev("AllNotIn", json!(["x", "y"]), json!(["a", "b"])));
        assert!(ev("AnyIn", json!([80, 8080]), json!("8000-9000")));
        assert!(!ev("AllIn", json!([80, 8080]), json!("8000-9000")));
        assert!(ev("AnyIn", json!("b"), json!("[\"a\",\"b\"]")));
    }

    #[test]
    fn numeric_operators() {
        assert!(ev("GreaterThan", json!(5), json!(3)));
        assert!(ev("GreaterThanOrEquals", json!("2Gi"), json!("1Gi")));
        assert!(ev("LessThan", json!("30s"), json!("1m")));
        assert!(ev("LessThan", json!(30), json!("1m")));
        assert!(ev("GreaterThan", json!("1.10.0"), json!("1.9.0")));
        assert!(ev("LessThan", json!("2"), json!(3)));
        assert!(!ev("GreaterThan", json!("abc"), json!(3)));
        assert!(ev("DurationGreaterThan", json!("2h"), json!("90m")));
    }

    #[test]
    fn operator_names_ignore_case_and_unknown_ones_are_none() {
        assert_eq!(Operator::parse("ANYIN"), Some(Operator::AnyIn));
        assert_eq!(Operator::parse("Matches"), None);
    }
}
