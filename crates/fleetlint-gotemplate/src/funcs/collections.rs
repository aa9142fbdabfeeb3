//! slim-sprig's defaults, lists and dictionaries (go-task/slim-sprig@v3.0.0:defaults.go,
//! list.go, dict.go). The non-`must` list functions panic where the `must` ones return an error;
//! Go's template recovers the panic into an error (exec.go `safeCall`), so both fail the same way.

use std::collections::BTreeMap;

use super::{CallCtx, FnError, FnResult, arg_int, arg_str, as_slice, check_len, kind_name, strval};
use crate::value::{Value, deep_equal};

fn go_err(msg: impl Into<String>) -> FnError {
    FnError::Go(msg.into())
}

/// sprig's `empty`: the zero value of its type.
pub(super) fn is_empty(v: &Value) -> bool {
    !v.truth().unwrap_or(true)
}

pub(super) fn default(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    match args.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(args[0].clone()),
    }
}

pub(super) fn empty(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(is_empty(&args[0])))
}

pub(super) fn coalesce(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(args.into_iter().find(|v| !is_empty(v)).unwrap_or(Value::Nil))
}

pub(super) fn all(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

pub(super) fn any(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

pub(super) fn ternary(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(if matches!(args[2], Value::Bool(true)) { args[0].clone() } else { args[1].clone() })
}

pub(super) fn kind_of(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::str(kind_name(&args[0])))
}

pub(super) fn kind_is(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(arg_str(&args, 0) == kind_name(&args[1])))
}

pub(super) fn deep_equal_values(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(crate::value::deep_equal(&args[0], &args[1])))
}

pub(super) fn list(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::list(args))
}

pub(super) fn dict(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut map = BTreeMap::new();
    for pair in args.chunks(2) {
        let key = strval(&pair[0]);
        map.insert(key, pair.get(1).cloned().unwrap_or_else(|| Value::str("")));
    }
    Ok(Value::map(map))
}

pub(super) fn get(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(match &args[0] {
        Value::Map(m) => m.borrow().get(arg_str(&args, 1)).cloned().unwrap_or_else(|| Value::str("")),
        _ => Value::str(""),
    })
}

pub(super) fn set(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    match &args[0] {
        Value::Map(m) => {
            // A map holding itself (directly or not) makes Go recurse forever when printed.
            let visited = crate::value::check_nesting(&args[2], Some(m), crate::value::MAX_VALUE_DEPTH)
                .ok_or_else(|| FnError::Limit("the value would nest too deep or make the map contain itself".into()))?;
            ctx.work.set(ctx.work.get() + visited);
            m.borrow_mut().insert(arg_str(&args, 1).to_string(), args[2].clone());
            Ok(args[0].clone())
        }
        _ => Err(go_err("assignment to entry in nil map")),
    }
}

pub(super) fn unset(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if let Value::Map(m) = &args[0] {
        m.borrow_mut().remove(arg_str(&args, 1));
    }
    Ok(args[0].clone())
}

pub(super) fn has_key(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(match &args[0] {
        Value::Map(m) => m.borrow().contains_key(arg_str(&args, 1)),
        _ => false,
    }))
}

pub(super) fn pluck(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let key = arg_str(&args, 0);
    let out = args[1..]
        .iter()
        .filter_map(|d| match d {
            Value::Map(m) => m.borrow().get(key).cloned(),
            _ => None,
        })
        .collect();
    Ok(Value::list(out))
}

/// Keys of each dictionary in turn. Go's map order is random; fleetlint lists each map's keys
/// sorted (one of the orders Go can produce).
pub(super) fn keys(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut out = Vec::new();
    for d in &args {
        if let Value::Map(m) = d {
            out.extend(m.borrow().keys().map(|k| Value::str(k.as_str())));
        }
    }
    Ok(Value::list(out))
}

pub(super) fn pick(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut out = BTreeMap::new();
    if let Value::Map(m) = &args[0] {
        let m = m.borrow();
        for k in &args[1..] {
            let k = k.as_str().unwrap_or("");
            if let Some(v) = m.get(k) {
                out.insert(k.to_string(), v.clone());
            }
        }
    }
    Ok(Value::map(out))
}

pub(super) fn omit(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let omit: Vec<&str> = args[1..].iter().map(|k| k.as_str().unwrap_or("")).collect();
    let out = match &args[0] {
        Value::Map(m) => m
            .borrow()
            .iter()
            .filter(|(k, _)| !omit.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Value::map(out))
}

pub(super) fn values(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(match &args[0] {
        Value::Map(m) => Value::list(m.borrow().values().cloned().collect()),
        _ => Value::list(Vec::new()),
    })
}

/// The slice an operation needs, or sprig's panic message for `what`.
fn need_slice<'v>(v: &'v Value, what: &str) -> Result<&'v [Value], FnError> {
    match v {
        Value::Nil => Err(go_err("runtime error: invalid memory address or nil pointer dereference")),
        other => as_slice(other).ok_or_else(|| go_err(format!("Cannot {what} type {}", kind_name(other)))),
    }
}

pub(super) fn push(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "push on")?;
    check_len(ctx, items.len() + 1, "append")?;
    let mut out = items.to_vec();
    out.push(args[1].clone());
    Ok(Value::list(out))
}

pub(super) fn prepend(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "prepend on")?;
    check_len(ctx, items.len() + 1, "prepend")?;
    let mut out = vec![args[1].clone()];
    out.extend(items.iter().cloned());
    Ok(Value::list(out))
}

pub(super) fn first(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(need_slice(&args[0], "find first on")?.first().cloned().unwrap_or(Value::Nil))
}

pub(super) fn last(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(need_slice(&args[0], "find last on")?.last().cloned().unwrap_or(Value::Nil))
}

pub(super) fn rest(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "find rest on")?;
    Ok(Value::list(items.iter().skip(1).cloned().collect()))
}

pub(super) fn initial(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "find initial on")?;
    Ok(Value::list(items[..items.len().saturating_sub(1)].to_vec()))
}

pub(super) fn reverse(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "find reverse on")?;
    Ok(Value::list(items.iter().rev().cloned().collect()))
}

pub(super) fn compact(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "compact on")?;
    Ok(Value::list(items.iter().filter(|v| !is_empty(v)).cloned().collect()))
}

pub(super) fn uniq(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "find uniq on")?;
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.iter().any(|o| deep_equal(item, o)) {
            out.push(item.clone());
        }
    }
    Ok(Value::list(out))
}

pub(super) fn without(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = need_slice(&args[0], "find without on")?;
    let omit = &args[1..];
    Ok(Value::list(items.iter().filter(|i| !omit.iter().any(|o| deep_equal(i, o))).cloned().collect()))
}

pub(super) fn has(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if matches!(args[1], Value::Nil) {
        return Ok(Value::Bool(false));
    }
    let items = need_slice(&args[1], "find has on")?;
    Ok(Value::Bool(items.iter().any(|i| deep_equal(&args[0], i))))
}

fn to_int(v: &Value) -> i64 {
    super::numeric::to_int64(v)
}

/// sprig's `slice` (replaces Go's builtin in the Flux Operator's function map).
pub(super) fn sprig_slice(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let items = match &args[0] {
        Value::Nil => return Err(go_err("runtime error: invalid memory address or nil pointer dereference")),
        other => as_slice(other)
            .ok_or_else(|| go_err(format!("list should be type of slice or array but {}", kind_name(other))))?,
    };
    if items.is_empty() {
        return Ok(Value::Nil);
    }
    let start = args.get(1).map_or(0, to_int);
    let end = args.get(2).map_or(i64::try_from(items.len()).unwrap_or(i64::MAX), to_int);
    match (usize::try_from(start), usize::try_from(end)) {
        (Ok(s), Ok(e)) if s <= e && e <= items.len() => Ok(Value::list(items[s..e].to_vec())),
        _ => Err(go_err("reflect: slice index out of range")),
    }
}

pub(super) fn concat(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut out = Vec::new();
    for l in &args {
        match l {
            Value::Nil => return Err(go_err("runtime error: invalid memory address or nil pointer dereference")),
            other => match as_slice(other) {
                Some(items) => out.extend(items.iter().cloned()),
                None => return Err(go_err(format!("Cannot concat type {} as list", kind_name(other)))),
            },
        }
        check_len(ctx, out.len(), "concat")?;
    }
    Ok(Value::list(out))
}

pub(super) fn dig(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if args.len() < 3 {
        return Err(go_err("dig needs at least three arguments"));
    }
    let Value::Map(dict) = &args[args.len() - 1] else {
        return Err(go_err(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            args[args.len() - 1].type_name()
        )));
    };
    let default = args[args.len() - 2].clone();
    let mut keys = Vec::new();
    for k in &args[..args.len() - 2] {
        match k {
            Value::Str(s) => keys.push(s.to_string()),
            other => {
                return Err(go_err(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    other.type_name()
                )));
            }
        }
    }
    let mut current = dict.clone();
    for (i, k) in keys.iter().enumerate() {
        let step = current.borrow().get(k).cloned();
        let Some(step) = step else { return Ok(default) };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        match step {
            Value::Map(m) => current = m,
            other => {
                return Err(go_err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(default)
}

pub(super) fn chunk(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let size = arg_int(&args, 0);
    let items = need_slice(&args[1], "chunk")?;
    let Ok(size) = usize::try_from(size) else {
        return Err(go_err("runtime error: makeslice: len out of range"));
    };
    if size == 0 {
        return Err(go_err("runtime error: integer divide by zero"));
    }
    Ok(Value::list(items.chunks(size).map(|c| Value::list(c.to_vec())).collect()))
}
