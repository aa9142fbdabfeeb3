//! slim-sprig's string functions (go-task/slim-sprig@v3.0.0:strings.go, functions.go).

use super::{CallCtx, FnError, FnResult, arg_int, arg_str, as_slice, check_len, strval};
use crate::gofmt;
use crate::value::Value;

fn ok_str(s: impl Into<std::rc::Rc<str>>) -> FnResult {
    Ok(Value::Str(s.into()))
}

pub(super) fn hello(_: &CallCtx<'_>, _: Vec<Value>) -> FnResult {
    ok_str("Hello!")
}

/// Byte-based slicing as Go does; a cut inside a multi-byte character yields invalid UTF-8 in
/// Go, which fleetlint cannot represent.
fn byte_slice(s: &str, start: usize, end: usize, what: &str) -> FnResult {
    match s.get(start..end) {
        Some(sub) => ok_str(sub),
        None => Err(FnError::Unsupported(format!("{what} cuts a multi-byte character"))),
    }
}

pub(super) fn trunc(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let c = arg_int(&args, 0);
    let s = arg_str(&args, 1);
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if c < 0 && len + c > 0 {
        let start = usize::try_from(len + c).unwrap_or(0);
        return byte_slice(s, start, s.len(), "trunc");
    }
    if c >= 0 && len > c {
        return byte_slice(s, 0, usize::try_from(c).unwrap_or(0), "trunc");
    }
    ok_str(s)
}

pub(super) fn substr(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let (start, end) = (arg_int(&args, 0), arg_int(&args, 1));
    let s = arg_str(&args, 2);
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let bounds = |a: i64, b: i64| -> Result<(usize, usize), FnError> {
        if a < 0 || b < a || b > len {
            return Err(FnError::Go(format!("runtime error: slice bounds out of range [{a}:{b}] with length {len}")));
        }
        Ok((usize::try_from(a).unwrap_or(0), usize::try_from(b).unwrap_or(0)))
    };
    let (a, b) = if start < 0 {
        bounds(0, end)?
    } else if end < 0 || end > len {
        bounds(start, len)?
    } else {
        bounds(start, end)?
    };
    byte_slice(s, a, b, "substr")
}

pub(super) fn trim(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(arg_str(&args, 0).trim())
}

/// Go's simple case mapping: a rune whose mapping is not a single rune stays as it is.
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut it: Box<dyn Iterator<Item = char>> =
                if upper { Box::new(c.to_uppercase()) } else { Box::new(c.to_lowercase()) };
            match (it.next(), it.next()) {
                (Some(m), None) => m,
                _ => c,
            }
        })
        .collect()
}

pub(super) fn upper(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(map_case(arg_str(&args, 0), true))
}

pub(super) fn lower(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(map_case(arg_str(&args, 0), false))
}

/// Go's deprecated `strings.Title`.
pub(super) fn title(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphabetic() || c.is_numeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut prev = ' ';
    let out: String = arg_str(&args, 0)
        .chars()
        .map(|c| {
            let r = if is_separator(prev) { map_case(&c.to_string(), true).chars().next().unwrap_or(c) } else { c };
            prev = c;
            r
        })
        .collect();
    ok_str(out)
}

pub(super) fn repeat(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let count = arg_int(&args, 0);
    let s = arg_str(&args, 1);
    let Ok(n) = usize::try_from(count) else {
        return Err(FnError::Go("strings: negative Repeat count".into()));
    };
    check_len(ctx, n.saturating_mul(s.len()), "repeat")?;
    ok_str(s.repeat(n))
}

pub(super) fn trim_all(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let cutset: Vec<char> = arg_str(&args, 0).chars().collect();
    ok_str(arg_str(&args, 1).trim_matches(|c| cutset.contains(&c)))
}

pub(super) fn trim_suffix(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = arg_str(&args, 1);
    ok_str(s.strip_suffix(arg_str(&args, 0)).unwrap_or(s))
}

pub(super) fn trim_prefix(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = arg_str(&args, 1);
    ok_str(s.strip_prefix(arg_str(&args, 0)).unwrap_or(s))
}

pub(super) fn contains(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(arg_str(&args, 1).contains(arg_str(&args, 0))))
}

pub(super) fn has_prefix(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(arg_str(&args, 1).starts_with(arg_str(&args, 0))))
}

pub(super) fn has_suffix(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(arg_str(&args, 1).ends_with(arg_str(&args, 0))))
}

pub(super) fn quote(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let out: Vec<String> = args.iter().filter(|a| !matches!(a, Value::Nil)).map(|a| gofmt::quote(&strval(a))).collect();
    ok_str(out.join(" "))
}

pub(super) fn squote(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let out: Vec<String> =
        args.iter().filter(|a| !matches!(a, Value::Nil)).map(|a| format!("'{}'", gofmt::format_v(a))).collect();
    ok_str(out.join(" "))
}

pub(super) fn cat(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let out: Vec<String> = args.iter().filter(|a| !matches!(a, Value::Nil)).map(gofmt::format_v).collect();
    ok_str(out.join(" "))
}

fn indent_str(ctx: &CallCtx<'_>, spaces: i64, v: &str) -> Result<String, FnError> {
    let Ok(n) = usize::try_from(spaces) else {
        return Err(FnError::Go("strings: negative Repeat count".into()));
    };
    check_len(ctx, n.saturating_mul(v.matches('\n').count() + 1).saturating_add(v.len()), "indent")?;
    let pad = " ".repeat(n);
    Ok(format!("{pad}{}", v.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn indent(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(indent_str(ctx, arg_int(&args, 0), arg_str(&args, 1))?)
}

pub(super) fn nindent(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(format!("\n{}", indent_str(ctx, arg_int(&args, 0), arg_str(&args, 1))?))
}

pub(super) fn replace(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let (old, new, src) = (arg_str(&args, 0), arg_str(&args, 1), arg_str(&args, 2));
    let out = if old.is_empty() {
        // strings.Replace with an empty `old` inserts `new` before every rune and at the end.
        let mut out = String::new();
        for c in src.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        out
    } else {
        src.replace(old, new)
    };
    check_len(ctx, out.len(), "replace")?;
    ok_str(out)
}

pub(super) fn plural(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(if arg_int(&args, 2) == 1 { arg_str(&args, 0) } else { arg_str(&args, 1) })
}

pub(super) fn to_string(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(strval(&args[0]))
}

/// Go's `strings.SplitN` (`n < 0`: all).
pub(super) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        // Split into UTF-8 sequences, the last one holding the rest.
        let chars: Vec<&str> = s.char_indices().map(|(i, c)| &s[i..i + c.len_utf8()]).collect();
        let limit = if n < 0 { chars.len() } else { usize::try_from(n).unwrap_or(usize::MAX).min(chars.len()) };
        let mut out: Vec<String> = chars[..limit.saturating_sub(1)].iter().map(|c| (*c).to_string()).collect();
        if limit > 0 {
            let consumed: usize = out.iter().map(String::len).sum();
            out.push(s[consumed..].to_string());
        }
        return out;
    }
    if n < 0 {
        return s.split(sep).map(str::to_string).collect();
    }
    s.splitn(usize::try_from(n).unwrap_or(usize::MAX), sep).map(str::to_string).collect()
}

fn index_map(parts: Vec<String>) -> Value {
    Value::map(parts.into_iter().enumerate().map(|(i, p)| (format!("_{i}"), Value::str(p))).collect())
}

pub(super) fn split(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(index_map(go_split(arg_str(&args, 1), arg_str(&args, 0), -1)))
}

pub(super) fn splitn(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(index_map(go_split(arg_str(&args, 2), arg_str(&args, 0), arg_int(&args, 1))))
}

pub(super) fn split_list(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::list(go_split(arg_str(&args, 1), arg_str(&args, 0), -1).into_iter().map(Value::str).collect()))
}

/// sprig's `strslice`.
pub(super) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter(|i| !matches!(i, Value::Nil)).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

pub(super) fn to_strings(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::list(strslice(&args[0]).into_iter().map(Value::str).collect()))
}

pub(super) fn join(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(strslice(&args[1]).join(arg_str(&args, 0)))
}

pub(super) fn sort_alpha(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    if as_slice(&args[0]).is_none() {
        return Ok(Value::list(vec![Value::str(strval(&args[0]))]));
    }
    let mut items = strslice(&args[0]);
    items.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(Value::list(items.into_iter().map(Value::str).collect()))
}

pub(super) fn fail(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Err(FnError::Go(arg_str(&args, 0).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_split_matches_strings_split() {
        assert_eq!(go_split("a,b,c", ",", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("a,b,c", ",", 2), vec!["a", "b,c"]);
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("abc", "", 2), vec!["a", "bc"]);
        assert_eq!(go_split("", ",", -1), vec![""]);
        assert!(go_split("a", ",", 0).is_empty());
    }
}
