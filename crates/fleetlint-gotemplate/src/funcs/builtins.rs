//! Go's builtin template functions (golang/go:src/text/template/funcs.go, Go 1.26).

use super::{CallCtx, FnError, FnResult, arg_str};
use crate::gofmt::{self, is_go_printable};
use crate::value::{IntKind, Value};

fn go_err(msg: impl Into<String>) -> FnError {
    FnError::Go(msg.into())
}

/// `evalArgs`: a single string as is, otherwise `fmt.Sprint` with absent values printed as
/// `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    let args: Vec<Value> =
        args.iter().map(|a| if matches!(a, Value::Nil) { Value::str("<no value>") } else { a.clone() }).collect();
    gofmt::sprint(&args)
}

pub(super) fn html(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = eval_args(&args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Ok(Value::str(out))
}

pub(super) fn js(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = eval_args(&args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() || is_go_printable(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    Ok(Value::str(out))
}

pub(super) fn urlquery(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::str(query_escape(&eval_args(&args))))
}

/// Go's `url.QueryEscape`.
pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(super) fn print(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::str(gofmt::sprint(&args)))
}

pub(super) fn println(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::str(gofmt::sprintln(&args)))
}

pub(super) fn printf(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::str(gofmt::sprintf(arg_str(&args, 0), &args[1..])))
}

pub(super) fn not(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(!args[0].truth().unwrap_or(false)))
}

pub(super) fn len(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let n = match &args[0] {
        Value::Nil => return Err(go_err("len of nil pointer")),
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.borrow().len(),
        other => return Err(go_err(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// `indexArg`: an integer index within `0..=cap`.
fn index_arg(v: &Value, cap: usize) -> Result<usize, FnError> {
    let x = match v {
        Value::Int(x, _) => *x,
        Value::Nil => return Err(go_err("cannot index slice/array with nil")),
        other => return Err(go_err(format!("cannot index slice/array with type {}", other.type_name()))),
    };
    match usize::try_from(x) {
        Ok(i) if i <= cap => Ok(i),
        _ => Err(go_err(format!("index out of range: {x}"))),
    }
}

pub(super) fn index(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut item = args[0].clone();
    if matches!(item, Value::Nil) {
        return Err(go_err("index of untyped nil"));
    }
    for idx in &args[1..] {
        item = match &item {
            Value::Nil => return Err(go_err("index of nil pointer")),
            Value::List(l) => {
                let i = index_arg(idx, l.len())?;
                l.get(i).cloned().ok_or_else(|| go_err("reflect: slice index out of range"))?
            }
            Value::Str(s) => {
                let i = index_arg(idx, s.len())?;
                let b = s.as_bytes().get(i).ok_or_else(|| go_err("reflect: string index out of range"))?;
                Value::Int(i64::from(*b), IntKind::Int)
            }
            Value::Map(m) => match idx {
                Value::Str(k) => m.borrow().get(&**k).cloned().unwrap_or(Value::Nil),
                Value::Nil => return Err(go_err("value is nil; should be of type string")),
                other => return Err(go_err(format!("value has type {}; should be string", other.type_name()))),
            },
            other => return Err(go_err(format!("can't index item of type {}", other.type_name()))),
        };
    }
    Ok(item)
}

/// Go's builtin `slice` (replaced by sprig's in the Flux Operator's function map).
pub(super) fn slice(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let item = &args[0];
    let idx = &args[1..];
    if matches!(item, Value::Nil) {
        return Err(go_err("slice of untyped nil"));
    }
    if idx.len() > 3 {
        return Err(go_err(format!("too many slice indexes: {}", idx.len())));
    }
    let len = match item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err(go_err("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        other => return Err(go_err(format!("can't slice item of type {}", other.type_name()))),
    };
    let mut bounds = [0, len, len];
    for (i, v) in idx.iter().enumerate() {
        bounds[i] = index_arg(v, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(go_err(format!("invalid slice index: {} > {}", bounds[0], bounds[1])));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(go_err(format!("invalid slice index: {} > {}", bounds[1], bounds[2])));
    }
    Ok(match item {
        Value::Str(s) => {
            let sub = s.get(bounds[0]..bounds[1]).ok_or_else(|| go_err("slice splits a UTF-8 character"))?;
            Value::str(sub)
        }
        Value::List(l) => Value::list(l[bounds[0]..bounds[1]].to_vec()),
        _ => Value::Nil,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Basic {
    Bool,
    Int,
    Float,
    Str,
}

fn basic(v: &Value) -> Option<Basic> {
    match v {
        Value::Bool(_) => Some(Basic::Bool),
        Value::Int(..) => Some(Basic::Int),
        Value::Float(_) => Some(Basic::Float),
        Value::Str(_) => Some(Basic::Str),
        _ => None,
    }
}

fn reflect_kind(v: &Value) -> u8 {
    match v {
        Value::Nil => 0,
        Value::Map(_) => 1,
        Value::List(_) => 2,
        _ => 3,
    }
}

/// `eq arg1 arg2...`: arg1 equals any of the others (funcs.go `eq`).
pub(super) fn eq_values(a: &Value, others: &[Value]) -> Result<bool, FnError> {
    if others.is_empty() {
        return Err(go_err("missing argument for comparison"));
    }
    let k1 = basic(a);
    for b in others {
        let k2 = basic(b);
        let truth = if k1 == k2 {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                #[allow(clippy::float_cmp)]
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Int(x, _), Value::Int(y, _)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ => {
                    // Non-basic kinds: only nil comparisons are allowed.
                    if reflect_kind(a) != reflect_kind(b) && !matches!(a, Value::Nil) && !matches!(b, Value::Nil) {
                        return Err(go_err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            gofmt::format_v(a),
                            a.type_name(),
                            b.type_name(),
                            gofmt::format_v(b)
                        )));
                    }
                    match (a, b) {
                        (Value::Nil, _) | (_, Value::Nil) => matches!(a, Value::Nil) == matches!(b, Value::Nil),
                        _ => {
                            return Err(go_err(format!(
                                "non-comparable type {}: {}",
                                gofmt::format_v(b),
                                b.type_name()
                            )));
                        }
                    }
                }
            }
        } else if matches!(a, Value::Nil) || matches!(b, Value::Nil) {
            false
        } else {
            return Err(go_err(format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name())));
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt_values(a: &Value, b: &Value) -> Result<bool, FnError> {
    let (Some(k1), Some(k2)) = (basic(a), basic(b)) else {
        return Err(go_err("invalid type for comparison"));
    };
    if k1 != k2 {
        return Err(go_err(format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name())));
    }
    Ok(match (a, b) {
        (Value::Bool(_), Value::Bool(_)) => return Err(go_err("invalid type for comparison")),
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Int(x, _), Value::Int(y, _)) => x < y,
        (Value::Str(x), Value::Str(y)) => x.as_bytes() < y.as_bytes(),
        _ => false,
    })
}

pub(super) fn eq(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    eq_values(&args[0], &args[1..]).map(Value::Bool)
}

pub(super) fn ne(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    eq_values(&args[0], &args[1..2]).map(|b| Value::Bool(!b))
}

pub(super) fn lt(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    lt_values(&args[0], &args[1]).map(Value::Bool)
}

pub(super) fn le(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if lt_values(&args[0], &args[1])? {
        return Ok(Value::Bool(true));
    }
    eq_values(&args[0], &args[1..2]).map(Value::Bool)
}

pub(super) fn gt(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if lt_values(&args[0], &args[1])? {
        return Ok(Value::Bool(false));
    }
    eq_values(&args[0], &args[1..2]).map(|b| Value::Bool(!b))
}

pub(super) fn ge(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    lt_values(&args[0], &args[1]).map(|b| Value::Bool(!b))
}
