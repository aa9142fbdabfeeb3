//! JMESPath queries with Kyverno's semantics.
//!
//! Expressions are parsed by the `jmespath` crate (the JMESPath reference grammar, which
//! kyverno/go-jmespath also implements) and interpreted here, because Kyverno's fork differs
//! from the specification where it matters for policies: a field missing from an object is an
//! error (`NotFoundError`, "Unknown key \"x\" in path"), not `null`, when it is reached through
//! a plain path (field and sub-expression, index expression); inside comparisons, function
//! arguments, `||`, `&&`, `!`, pipes, projections, filters and multi-selects the error reads as
//! `null` (kyverno/go-jmespath@a1d46ef:interpreter.go, `treeInterpreter.Execute`).
//!
//! Functions: the JMESPath built-ins, and of Kyverno's additions (kyverno/kyverno@111e07bbec:
//! pkg/engine/jmespath/functions.go) the string, comparison and arithmetic ones that need no
//! cluster, clock or network. Any other function is [`QueryError::Unsupported`].

use std::borrow::Cow;
use std::cmp::Ordering;

use jmespath::ast::{Ast, Comparator};
use serde_json::{Map, Number, Value};

use crate::wildcard;

/// Why a query has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueryError {
    /// A field missing from an object (Kyverno's `NotFoundError`).
    NotFound(String),
    /// Data fleetlint does not have statically (a context entry loaded from the cluster, the
    /// requesting user, `images`): the query cannot be evaluated.
    Unavailable(String),
    /// A function fleetlint does not implement.
    Unsupported(String),
    /// Not a valid expression, or a function applied to the wrong types (a Kyverno rule error).
    Invalid(String),
}

/// What a query runs against.
pub(crate) struct Scope<'a> {
    /// The context document (`{"request": {...}, ...}`).
    pub(crate) root: &'a Value,
    /// Top-level variables (`images`, a context entry loaded from the cluster) and `request.*`
    /// fields (`request.userInfo`) Kyverno has at admission but fleetlint does not: reading one
    /// is [`QueryError::Unavailable`], not a missing key.
    pub(crate) unavailable: &'a [String],
}

/// Evaluate `expr` against the scope's root.
pub(crate) fn query(expr: &str, scope: &Scope<'_>) -> Result<Value, QueryError> {
    // The parser is third-party code fed repository text: a panic there is a failed query.
    let parsed = std::panic::catch_unwind(|| jmespath::parse(expr))
        .map_err(|_| QueryError::Invalid(format!("cannot parse JMESPath `{expr}`")))?
        .map_err(|e| QueryError::Invalid(format!("invalid JMESPath `{expr}`: {e}")))?;
    eval(&parsed, scope.root, scope).map(Cow::into_owned)
}

fn literal(v: &jmespath::Variable) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// JMESPath's false values: null, false, "", [], {} (go-jmespath `isFalse`).
pub(crate) fn is_false(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) => false,
    }
}

/// Equality with numbers compared by value (Go decodes every JSON number as `float64`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Evaluate, reading a missing field as `null`.
fn soft(ast: &Ast, v: &Value, scope: &Scope<'_>) -> Result<Value, QueryError> {
    match eval(ast, v, scope) {
        Err(QueryError::NotFound(_)) => Ok(Value::Null),
        other => other.map(Cow::into_owned),
    }
}

fn missing_field(v: &Value, name: &str, scope: &Scope<'_>) -> QueryError {
    let full = if std::ptr::eq(v, scope.root) {
        name.to_owned()
    } else if scope.root.get("request").is_some_and(|r| std::ptr::eq(v, r)) {
        format!("request.{name}")
    } else {
        return QueryError::NotFound(name.to_owned());
    };
    if scope.unavailable.contains(&full) {
        QueryError::Unavailable(full)
    } else {
        QueryError::NotFound(name.to_owned())
    }
}

/// Evaluate `ast` at `v`. Paths borrow from the document, so a missing key can be told apart by
/// where it is missing (see `missing_field`).
fn eval<'v>(ast: &Ast, v: &'v Value, scope: &Scope<'_>) -> Result<Cow<'v, Value>, QueryError> {
    Ok(match ast {
        Ast::Identity { .. } => Cow::Borrowed(v),
        Ast::Field { name, .. } => match v {
            Value::Object(m) => match m.get(name) {
                Some(x) => Cow::Borrowed(x),
                None => return Err(missing_field(v, name, scope)),
            },
            _ => Cow::Owned(Value::Null),
        },
        Ast::Subexpr { lhs, rhs, .. } => match eval(lhs, v, scope)? {
            Cow::Borrowed(l) => eval(rhs, l, scope)?,
            Cow::Owned(l) => Cow::Owned(eval(rhs, &l, scope)?.into_owned()),
        },
        other => Cow::Owned(eval_owned(other, v, scope)?),
    })
}

fn eval_owned(ast: &Ast, v: &Value, scope: &Scope<'_>) -> Result<Value, QueryError> {
    Ok(match ast {
        Ast::Identity { .. } | Ast::Field { .. } | Ast::Subexpr { .. } => eval(ast, v, scope)?.into_owned(),
        Ast::Index { idx, .. } => match v {
            Value::Array(a) => {
                let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
                let i = if *idx < 0 { len + i64::from(*idx) } else { i64::from(*idx) };
                usize::try_from(i).ok().and_then(|i| a.get(i)).cloned().unwrap_or(Value::Null)
            }
            _ => Value::Null,
        },
        Ast::Literal { value, .. } => literal(value),
        Ast::Comparison { comparator, lhs, rhs, .. } => {
            let (l, r) = (soft(lhs, v, scope)?, soft(rhs, v, scope)?);
            match comparator {
                Comparator::Equal => Value::Bool(json_eq(&l, &r)),
                Comparator::NotEqual => Value::Bool(!json_eq(&l, &r)),
                c => match (l.as_f64(), r.as_f64()) {
                    (Some(a), Some(b)) => Value::Bool(match c {
                        Comparator::LessThan => a < b,
                        Comparator::LessThanEqual => a <= b,
                        Comparator::GreaterThan => a > b,
                        _ => a >= b,
                    }),
                    _ => Value::Null,
                },
            }
        }
        Ast::Condition { predicate, then, .. } => {
            if is_false(&soft(predicate, v, scope)?) {
                Value::Null
            } else {
                soft(then, v, scope)?
            }
        }
        Ast::And { lhs, rhs, .. } => {
            let l = soft(lhs, v, scope)?;
            if is_false(&l) { l } else { eval(rhs, v, scope)?.into_owned() }
        }
        Ast::Or { lhs, rhs, .. } => {
            let l = soft(lhs, v, scope)?;
            if is_false(&l) { soft(rhs, v, scope)? } else { l }
        }
        Ast::Not { node, .. } => Value::Bool(is_false(&soft(node, v, scope)?)),
        Ast::Flatten { node, .. } => match soft(node, v, scope)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::Array(inner) => out.extend(inner),
                        other => out.push(other),
                    }
                }
                Value::Array(out)
            }
            _ => Value::Null,
        },
        Ast::Projection { lhs, rhs, .. } => match soft(lhs, v, scope)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in &items {
                    let r = soft(rhs, item, scope)?;
                    if !r.is_null() {
                        out.push(r);
                    }
                }
                Value::Array(out)
            }
            _ => Value::Null,
        },
        Ast::ObjectValues { node, .. } => match soft(node, v, scope)? {
            Value::Object(m) => Value::Array(m.into_iter().map(|(_, x)| x).collect()),
            _ => Value::Null,
        },
        Ast::Slice { start, stop, step, .. } => match v {
            Value::Array(a) => slice(a, *start, *stop, *step)?,
            _ => Value::Null,
        },
        Ast::MultiList { elements, .. } => {
            if v.is_null() {
                return Ok(Value::Null);
            }
            Value::Array(elements.iter().map(|e| soft(e, v, scope)).collect::<Result<_, _>>()?)
        }
        Ast::MultiHash { elements, .. } => {
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut m = Map::new();
            for kv in elements {
                m.insert(kv.key.clone(), soft(&kv.value, v, scope)?);
            }
            Value::Object(m)
        }
        Ast::Function { name, args, .. } => call(name, args, v, scope)?,
        Ast::Expref { .. } => return Err(QueryError::Invalid("an expression reference outside a function".into())),
    })
}

fn slice(a: &[Value], start: Option<i32>, stop: Option<i32>, step: i32) -> Result<Value, QueryError> {
    if step == 0 {
        return Err(QueryError::Invalid("slice step cannot be 0".into()));
    }
    let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
    let norm = |x: i32, lo: i64, hi: i64| {
        let x = i64::from(x);
        let x = if x < 0 { x + len } else { x };
        x.clamp(lo, hi)
    };
    let step = i64::from(step);
    let mut out = Vec::new();
    if step > 0 {
        let (s, e) = (start.map_or(0, |x| norm(x, 0, len)), stop.map_or(len, |x| norm(x, 0, len)));
        let mut i = s;
        while i < e {
            out.push(a[usize::try_from(i).unwrap_or(0)].clone());
            i += step;
        }
    } else {
        let (s, e) = (start.map_or(len - 1, |x| norm(x, -1, len - 1)), stop.map_or(-1, |x| norm(x, -1, len - 1)));
        let mut i = s;
        while i > e {
            out.push(a[usize::try_from(i).unwrap_or(0)].clone());
            i += step;
        }
    }
    Ok(Value::Array(out))
}

fn num(f: f64) -> Value {
    #[allow(clippy::cast_possible_truncation)]
    if f.fract() == 0.0 && f.abs() < 9e15 {
        Value::Number(Number::from(f as i64))
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn bad(name: &str, why: &str) -> QueryError {
    QueryError::Invalid(format!("function {name}: {why}"))
}

fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a str, QueryError> {
    args.get(i).and_then(Value::as_str).ok_or_else(|| bad(name, &format!("argument {} must be a string", i + 1)))
}

fn num_arg(name: &str, args: &[Value], i: usize) -> Result<f64, QueryError> {
    args.get(i).and_then(Value::as_f64).ok_or_else(|| bad(name, &format!("argument {} must be a number", i + 1)))
}

/// Sort order of JMESPath `sort`/`max`/`min`: numbers or strings, not mixed.
fn cmp_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Go's `fmt.Sprint` of a JSON value (what `to_string` and the `In` operators print).
pub(crate) fn go_sprint(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(
            || n.to_string(),
            |f| {
                #[allow(clippy::cast_possible_truncation)]
                if f.fract() == 0.0 && f.abs() < 1e21 { format!("{}", f as i128) } else { format!("{f}") }
            },
        ),
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".to_owned(),
        other => other.to_string(),
    }
}

fn call(name: &str, arg_asts: &[Ast], v: &Value, scope: &Scope<'_>) -> Result<Value, QueryError> {
    // Functions taking an expression reference.
    if matches!(name, "sort_by" | "max_by" | "min_by" | "map") {
        return call_with_expref(name, arg_asts, v, scope);
    }
    let args: Vec<Value> = arg_asts.iter().map(|a| soft(a, v, scope)).collect::<Result<_, _>>()?;
    let arity = |n: usize| if args.len() == n { Ok(()) } else { Err(bad(name, &format!("expects {n} argument(s)"))) };
    Ok(match name {
        "length" => {
            arity(1)?;
            match &args[0] {
                Value::String(s) => num(s.chars().count() as f64),
                Value::Array(a) => num(a.len() as f64),
                Value::Object(o) => num(o.len() as f64),
                _ => return Err(bad(name, "argument must be a string, array or object")),
            }
        }
        "contains" => {
            arity(2)?;
            match &args[0] {
                Value::String(s) => Value::Bool(args[1].as_str().is_some_and(|x| s.contains(x))),
                Value::Array(a) => Value::Bool(a.iter().any(|x| json_eq(x, &args[1]))),
                _ => return Err(bad(name, "argument 1 must be a string or array")),
            }
        }
        "starts_with" => Value::Bool(str_arg(name, &args, 0)?.starts_with(str_arg(name, &args, 1)?)),
        "ends_with" => Value::Bool(str_arg(name, &args, 0)?.ends_with(str_arg(name, &args, 1)?)),
        "join" => {
            let sep = str_arg(name, &args, 0)?;
            let items =
                args.get(1).and_then(Value::as_array).ok_or_else(|| bad(name, "argument 2 must be an array"))?;
            let parts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            Value::String(parts.ok_or_else(|| bad(name, "array items must be strings"))?.join(sep))
        }
        "keys" | "values" => match args.first() {
            Some(Value::Object(o)) if name == "keys" => Value::Array(o.keys().cloned().map(Value::String).collect()),
            Some(Value::Object(o)) => Value::Array(o.values().cloned().collect()),
            _ => return Err(bad(name, "argument must be an object")),
        },
        "type" => Value::String(type_name(args.first().unwrap_or(&Value::Null)).to_owned()),
        "not_null" => args.iter().find(|a| !a.is_null()).cloned().unwrap_or(Value::Null),
        "to_array" => match args.first() {
            Some(Value::Array(a)) => Value::Array(a.clone()),
            Some(x) => Value::Array(vec![x.clone()]),
            None => return Err(bad(name, "expects 1 argument")),
        },
        "to_string" => match args.first() {
            Some(Value::String(s)) => Value::String(s.clone()),
            Some(x) => Value::String(x.to_string()),
            None => return Err(bad(name, "expects 1 argument")),
        },
        "to_number" => match args.first() {
            Some(Value::Number(n)) => Value::Number(n.clone()),
            Some(Value::String(s)) => s.trim().parse::<f64>().map_or(Value::Null, num),
            _ => Value::Null,
        },
        "abs" => num(num_arg(name, &args, 0)?.abs()),
        "ceil" => num(num_arg(name, &args, 0)?.ceil()),
        "floor" => num(num_arg(name, &args, 0)?.floor()),
        "sum" | "avg" => {
            let items = args.first().and_then(Value::as_array).ok_or_else(|| bad(name, "argument must be an array"))?;
            let nums: Option<Vec<f64>> = items.iter().map(Value::as_f64).collect();
            let nums = nums.ok_or_else(|| bad(name, "array items must be numbers"))?;
            let total: f64 = nums.iter().sum();
            if name == "sum" {
                num(total)
            } else if nums.is_empty() {
                Value::Null
            } else {
                num(total / nums.len() as f64)
            }
        }
        "max" | "min" => {
            let items = args.first().and_then(Value::as_array).ok_or_else(|| bad(name, "argument must be an array"))?;
            let mut best: Option<&Value> = None;
            for x in items {
                let better = match best {
                    None => true,
                    Some(b) => {
                        let o = cmp_values(x, b).ok_or_else(|| bad(name, "items must all be numbers or strings"))?;
                        if name == "max" { o == Ordering::Greater } else { o == Ordering::Less }
                    }
                };
                if better {
                    best = Some(x);
                }
            }
            best.cloned().unwrap_or(Value::Null)
        }
        "sort" => {
            let mut items = args
                .first()
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| bad(name, "argument must be an array"))?;
            if items.windows(2).any(|w| cmp_values(&w[0], &w[1]).is_none()) {
                return Err(bad(name, "items must all be numbers or strings"));
            }
            items.sort_by(|a, b| cmp_values(a, b).unwrap_or(Ordering::Equal));
            Value::Array(items)
        }
        "reverse" => match args.first() {
            Some(Value::Array(a)) => Value::Array(a.iter().rev().cloned().collect()),
            Some(Value::String(s)) => Value::String(s.chars().rev().collect()),
            _ => return Err(bad(name, "argument must be an array or string")),
        },
        "merge" => {
            let mut out = Map::new();
            for a in &args {
                let o = a.as_object().ok_or_else(|| bad(name, "arguments must be objects"))?;
                out.extend(o.clone());
            }
            Value::Object(out)
        }
        // Kyverno's string functions.
        "to_upper" => Value::String(str_arg(name, &args, 0)?.to_uppercase()),
        "to_lower" => Value::String(str_arg(name, &args, 0)?.to_lowercase()),
        "trim" => {
            let cut = str_arg(name, &args, 1)?;
            Value::String(str_arg(name, &args, 0)?.trim_matches(|c| cut.contains(c)).to_owned())
        }
        "trim_prefix" => {
            let s = str_arg(name, &args, 0)?;
            Value::String(s.strip_prefix(str_arg(name, &args, 1)?).unwrap_or(s).to_owned())
        }
        "split" => Value::Array(
            str_arg(name, &args, 0)?.split(str_arg(name, &args, 1)?).map(|p| Value::String(p.to_owned())).collect(),
        ),
        "replace" => {
            let (s, old, new) = (str_arg(name, &args, 0)?, str_arg(name, &args, 1)?, str_arg(name, &args, 2)?);
            let n = num_arg(name, &args, 3)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let out = if n < 0.0 { s.replace(old, new) } else { s.replacen(old, new, n as usize) };
            Value::String(out)
        }
        "replace_all" => {
            let (s, old, new) = (str_arg(name, &args, 0)?, str_arg(name, &args, 1)?, str_arg(name, &args, 2)?);
            Value::String(s.replace(old, new))
        }
        "equal_fold" => Value::Bool(str_arg(name, &args, 0)?.to_lowercase() == str_arg(name, &args, 1)?.to_lowercase()),
        "compare" => {
            let o = str_arg(name, &args, 0)?.cmp(str_arg(name, &args, 1)?);
            num(match o {
                Ordering::Less => -1.0,
                Ordering::Equal => 0.0,
                Ordering::Greater => 1.0,
            })
        }
        "truncate" => {
            let s = str_arg(name, &args, 0)?;
            let n = num_arg(name, &args, 1)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Value::String(s.chars().take(n.max(0.0) as usize).collect())
        }
        "pattern_match" => {
            Value::Bool(wildcard::matches(str_arg(name, &args, 0)?, &go_sprint(args.get(1).unwrap_or(&Value::Null))))
        }
        "label_match" => {
            let (sel, labels) = match (args.first(), args.get(1)) {
                (Some(Value::Object(s)), Some(Value::Object(l))) => (s, l),
                _ => return Err(bad(name, "arguments must be objects")),
            };
            Value::Bool(sel.iter().all(|(k, want)| labels.get(k).is_some_and(|have| json_eq(have, want))))
        }
        "add" | "subtract" | "multiply" | "divide" | "modulo" => {
            let (a, b) = (num_arg(name, &args, 0)?, num_arg(name, &args, 1)?);
            if matches!(name, "divide" | "modulo") && b == 0.0 {
                return Err(bad(name, "division by zero"));
            }
            num(match name {
                "add" => a + b,
                "subtract" => a - b,
                "multiply" => a * b,
                "divide" => a / b,
                _ => a % b,
            })
        }
        other => return Err(QueryError::Unsupported(other.to_owned())),
    })
}

fn call_with_expref(name: &str, args: &[Ast], v: &Value, scope: &Scope<'_>) -> Result<Value, QueryError> {
    let (expr, list) = match name {
        "map" => (args.first(), args.get(1)),
        _ => (args.get(1), args.first()),
    };
    let (Some(Ast::Expref { ast, .. }), Some(list)) = (expr, list) else {
        return Err(bad(name, "expects an expression reference and an array"));
    };
    let items = match soft(list, v, scope)? {
        Value::Array(a) => a,
        _ => return Err(bad(name, "expects an array")),
    };
    let keyed: Vec<(Value, Value)> =
        items.into_iter().map(|item| soft(ast, &item, scope).map(|k| (k, item))).collect::<Result<_, _>>()?;
    Ok(match name {
        "map" => Value::Array(keyed.into_iter().map(|(k, _)| k).collect()),
        "sort_by" => {
            let mut keyed = keyed;
            if keyed.windows(2).any(|w| cmp_values(&w[0].0, &w[1].0).is_none()) {
                return Err(bad(name, "keys must all be numbers or strings"));
            }
            keyed.sort_by(|a, b| cmp_values(&a.0, &b.0).unwrap_or(Ordering::Equal));
            Value::Array(keyed.into_iter().map(|(_, x)| x).collect())
        }
        _ => {
            let want = if name == "max_by" { Ordering::Greater } else { Ordering::Less };
            let mut best: Option<(Value, Value)> = None;
            for (k, x) in keyed {
                let better = match &best {
                    None => true,
                    Some((bk, _)) => {
                        cmp_values(&k, bk).ok_or_else(|| bad(name, "keys must be numbers or strings"))? == want
                    }
                };
                if better {
                    best = Some((k, x));
                }
            }
            best.map_or(Value::Null, |(_, x)| x)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(expr: &str, doc: &Value) -> Result<Value, QueryError> {
        let unavailable = ["images".to_owned(), "request.userInfo".to_owned()];
        query(expr, &Scope { root: doc, unavailable: &unavailable })
    }

    fn doc() -> Value {
        json!({"request": {"operation": "CREATE", "object": {"metadata": {"name": "a", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c1", "image": "x:1"}, {"name": "c2", "image": "y:latest"}]}}}})
    }

    #[test]
    fn missing_keys_follow_kyverno() {
        let d = doc();
        assert_eq!(q("request.object.metadata.name", &d), Ok(json!("a")));
        assert_eq!(q("request.object.spec.sourceRef.namespace", &d), Err(QueryError::NotFound("sourceRef".into())));
        assert_eq!(q("request.object.metadata.labels.team || 'none'", &d), Ok(json!("none")));
        // `null` unquoted is a field, missing, hence nil in a comparison (as in Kyverno).
        assert_eq!(q("request.object.metadata.labels.team == null", &d), Ok(json!(true)));
        assert_eq!(q("request.object.metadata.labels.team == `null`", &d), Ok(json!(true)));
        assert_eq!(q("request.userInfo.username", &d), Err(QueryError::Unavailable("request.userInfo".into())));
        assert_eq!(q("images.containers", &d), Err(QueryError::Unavailable("images".into())));
        assert_eq!(q("request.namespace", &d), Err(QueryError::NotFound("namespace".into())));
    }

    #[test]
    fn projections_filters_and_functions() {
        let d = doc();
        assert_eq!(q("request.object.spec.containers[].image", &d), Ok(json!(["x:1", "y:latest"])));
        assert_eq!(q("request.object.spec.containers[?ends_with(image, ':latest')].name", &d), Ok(json!(["c2"])));
        assert_eq!(q("length(request.object.spec.containers)", &d), Ok(json!(2)));
        assert_eq!(q("to_upper(request.operation)", &d), Ok(json!("CREATE")));
        assert_eq!(q("split('a/b', '/')", &d), Ok(json!(["a", "b"])));
        assert_eq!(q("request.object.spec.containers[0:1].name", &d), Ok(json!(["c1"])));
        assert_eq!(q("max_by(request.object.spec.containers, &name).name", &d), Ok(json!("c2")));
        assert_eq!(q("time_now()", &d), Err(QueryError::Unsupported("time_now".into())));
        assert!(matches!(q("request.[", &d), Err(QueryError::Invalid(_))));
    }
}
