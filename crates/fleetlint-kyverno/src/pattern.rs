//! Matching one value against one scalar pattern of a `validate.pattern`: wildcards, `|`
//! alternatives, `&` conjunctions, comparison operators, ranges, durations and quantities.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/pattern/pattern.go (`Validate` and the functions it
//! calls) and pkg/engine/operator/operator.go (`GetOperatorFromStringPattern`, the range
//! regular expressions).

use std::cmp::Ordering;

use serde_json::Value;

use crate::units::{parse_duration, parse_quantity};
use crate::wildcard;

/// The operator prefix of a string pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Equal,
    MoreEqual,
    LessEqual,
    NotEqual,
    More,
    Less,
    InRange,
    NotInRange,
}

impl Op {
    fn prefix_len(self) -> usize {
        match self {
            Self::MoreEqual | Self::LessEqual => 2,
            Self::NotEqual | Self::More | Self::Less => 1,
            Self::Equal | Self::InRange | Self::NotInRange => 0,
        }
    }
}

/// `^[-|+]?\d+(\.\d+)?[A-Za-z]*$`, one side of a range.
fn is_range_end(s: &str) -> bool {
    let s = s.strip_prefix(['-', '|', '+']).unwrap_or(s);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let mut rest = &s[digits..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Split `left<sep>right` where both sides are range ends (`InRangeRegex`, `NotInRangeRegex`).
pub(crate) fn split_range<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    s.match_indices(sep)
        .filter(|(i, _)| *i > 0)
        .map(|(i, _)| (&s[..i], &s[i + sep.len()..]))
        .find(|(l, r)| is_range_end(l) && is_range_end(r))
}

/// `GetOperatorFromStringPattern`.
pub(crate) fn operator(pattern: &str) -> Op {
    if pattern.len() < 2 {
        return Op::Equal;
    }
    if pattern.starts_with(">=") {
        Op::MoreEqual
    } else if pattern.starts_with("<=") {
        Op::LessEqual
    } else if pattern.starts_with('>') {
        Op::More
    } else if pattern.starts_with('<') {
        Op::Less
    } else if pattern.starts_with('!') {
        Op::NotEqual
    } else if split_range(pattern, "!-").is_some() {
        Op::NotInRange
    } else if split_range(pattern, "-").is_some() {
        Op::InRange
    } else {
        Op::Equal
    }
}

/// Whether `value` matches the pattern leaf `pattern` (`pattern.Validate`).
pub(crate) fn validate(value: &Value, pattern: &Value) -> bool {
    match pattern {
        Value::Bool(b) => value.as_bool() == Some(*b),
        Value::Number(n) => n.as_f64().is_some_and(|p| validate_float(value, p)),
        Value::Null => validate_nil(value),
        Value::Object(_) => value.is_object(),
        Value::String(s) => validate_string_patterns(value, s),
        // "arrays are not supported as patterns"
        Value::Array(_) => false,
    }
}

/// Policy numbers are decoded as Go `float64`; resource integers as `int64`.
fn validate_float(value: &Value, pattern: f64) -> bool {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            #[allow(clippy::cast_precision_loss)]
            let v = n.as_i64().map_or_else(|| n.as_u64().unwrap_or(0) as f64, |i| i as f64);
            pattern.trunc() == pattern && v == pattern
        }
        Value::Number(n) => n.as_f64() == Some(pattern),
        Value::String(s) => s.parse::<f64>().ok() == Some(pattern),
        _ => false,
    }
}

fn validate_nil(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Object(_) | Value::Array(_) => false,
    }
}

fn validate_string_patterns(value: &Value, pattern: &str) -> bool {
    if value.as_str() == Some(pattern) {
        return true;
    }
    pattern.split('|').any(|alt| {
        let alt = alt.trim_matches(' ');
        alt.split('&').all(|c| validate_string_pattern(value, c.trim_matches(' ')))
    })
}

fn validate_string_pattern(value: &Value, pattern: &str) -> bool {
    match operator(pattern) {
        Op::InRange => split_range(pattern, "-").is_some_and(|(l, r)| {
            validate_string_pattern(value, &format!(">= {l}")) && validate_string_pattern(value, &format!("<= {r}"))
        }),
        Op::NotInRange => split_range(pattern, "!-").is_some_and(|(l, r)| {
            validate_string_pattern(value, &format!("< {l}")) || validate_string_pattern(value, &format!("> {r}"))
        }),
        op => validate_string(value, pattern[op.prefix_len()..].trim(), op),
    }
}

fn validate_string(value: &Value, pattern: &str, op: Op) -> bool {
    if let Some(r) = compare_parsed(value, pattern, op, parse_duration, |a: f64, b: f64| a.partial_cmp(&b)) {
        return r;
    }
    if let Some(r) = compare_parsed(value, pattern, op, parse_quantity, |a, b| Some(a.cmp(b))) {
        return r;
    }
    compare_string(value, pattern, op)
}

/// Go's `fmt.Sprintf("%f", v)`.
fn go_f(v: f64) -> String {
    format!("{v:.6}")
}

/// `convertNumberToString`: what a duration or quantity comparison reads a value as.
fn number_to_string(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("0".to_owned()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::Number(n) => n.as_f64().map(go_f),
        _ => None,
    }
}

/// `compareDuration` / `compareQuantity`: `None` when the pattern or the value does not parse.
fn compare_parsed<T>(
    value: &Value,
    pattern: &str,
    op: Op,
    parse: impl Fn(&str) -> Option<T>,
    cmp: impl Fn(T, T) -> Option<Ordering>,
) -> Option<bool> {
    let p = parse(pattern)?;
    let v = parse(&number_to_string(value)?)?;
    let ord = cmp(v, p)?;
    Some(match op {
        Op::Equal => ord == Ordering::Equal,
        Op::NotEqual => ord != Ordering::Equal,
        Op::More => ord == Ordering::Greater,
        Op::Less => ord == Ordering::Less,
        Op::MoreEqual => ord != Ordering::Less,
        Op::LessEqual => ord != Ordering::Greater,
        Op::InRange | Op::NotInRange => return None,
    })
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: shortest mantissa, `E`, signed two-digit exponent.
pub(crate) fn go_format_e(v: f64) -> String {
    let s = format!("{v:E}");
    let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
    let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
    format!("{mantissa}E{sign}{digits:0>2}")
}

fn compare_string(value: &Value, pattern: &str, op: Op) -> bool {
    if !matches!(op, Op::Equal | Op::NotEqual) {
        // "Operators >, >=, <, <= are not applicable to strings"
        return false;
    }
    let s = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => go_format_e(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => return false,
    };
    wildcard::matches(pattern, &s) == (op == Op::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(value: Value, pattern: Value) -> bool {
        validate(&value, &pattern)
    }

    #[test]
    fn operators_are_read_from_the_prefix() {
        assert_eq!(operator(">=1"), Op::MoreEqual);
        assert_eq!(operator("!x"), Op::NotEqual);
        assert_eq!(operator("1-10"), Op::InRange);
        assert_eq!(operator("1!-10"), Op::NotInRange);
        assert_eq!(operator("-5--1"), Op::InRange);
        assert_eq!(operator("a-b"), Op::Equal);
        assert_eq!(operator(">"), Op::Equal);
    }

    #[test]
    fn wildcards_alternatives_and_conjunctions() {
        assert!(ok(json!("dev-team"), json!("?*")));
        assert!(!ok(json!(""), json!("?*")));
        assert!(!ok(Value::Null, json!("?*")));
        assert!(ok(json!("Always"), json!("Always | IfNotPresent")));
        assert!(!ok(json!("Never"), json!("Always|IfNotPresent")));
        assert!(ok(json!("nginx:1.2"), json!("!*:latest")));
        assert!(!ok(json!("nginx:latest"), json!("!*:latest")));
        assert!(ok(json!(5), json!(">1 & <10")));
        assert!(!ok(json!(10), json!(">1 & <10")));
    }

    #[test]
    fn numbers_quantities_and_durations() {
        assert!(ok(json!(3), json!(3.0)));
        assert!(ok(json!("3"), json!(3)));
        assert!(ok(json!(3), json!(">2")));
        assert!(ok(json!("512Mi"), json!("<=1Gi")));
        assert!(!ok(json!("2Gi"), json!("<=1Gi")));
        assert!(ok(json!("200m"), json!("100m-1")));
        assert!(ok(json!(50), json!("1!-10")));
        assert!(!ok(json!(5), json!("1!-10")));
        assert!(ok(json!("90s"), json!(">1m")));
        assert!(!ok(json!("30s"), json!(">1m")));
        assert!(!ok(json!("abc"), json!(">1")));
    }

    #[test]
    fn nil_bool_and_structure_patterns() {
        assert!(ok(Value::Null, Value::Null));
        assert!(ok(json!(""), Value::Null));
        assert!(ok(json!(false), Value::Null));
        assert!(!ok(json!({}), Value::Null));
        assert!(ok(json!(true), json!(true)));
        assert!(!ok(json!("true"), json!(true)));
        assert!(ok(json!({"a": 1}), json!({})));
        assert!(!ok(json!([1]), json!([1])));
    }

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_format_e(2.0), "2E+00");
        assert_eq!(go_format_e(1.5), "1.5E+00");
        assert_eq!(go_format_e(0.001), "1E-03");
        assert_eq!(go_format_e(123_456.0), "1.23456E+05");
    }
}
