//! slim-sprig's regular-expression functions (go-task/slim-sprig@v3.0.0:regex.go) over Go's
//! RE2 syntax. The Rust `regex` crate implements the same syntax with two differences handled
//! here: Go's `\d`, `\w`, `\s` (and their negations) are ASCII-only, Rust's are Unicode, so they
//! are rewritten to ASCII classes; and Go's `\Q...\E` literal quoting is expanded. Word
//! boundaries (`\b`) remain Unicode-aware, which differs from Go only around non-ASCII letters.

use regex::Regex;

use super::{CallCtx, FnError, FnResult, arg_int, arg_str};
use crate::value::Value;

/// Translate a Go RE2 pattern to the Rust regex dialect.
fn translate(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else { return Err("trailing backslash at end of expression".into()) };
                let (inner, outer) = match e {
                    'd' => ("0-9", "[0-9]"),
                    'D' => ("", "[^0-9]"),
                    'w' => ("0-9A-Za-z_", "[0-9A-Za-z_]"),
                    'W' => ("", "[^0-9A-Za-z_]"),
                    's' => ("\\t\\n\\f\\r ", "[\\t\\n\\f\\r ]"),
                    'S' => ("", "[^\\t\\n\\f\\r ]"),
                    'Q' => {
                        let mut lit = String::new();
                        while let Some(q) = chars.next() {
                            if q == '\\' && chars.peek() == Some(&'E') {
                                chars.next();
                                break;
                            }
                            lit.push(q);
                        }
                        out.push_str(&regex::escape(&lit));
                        continue;
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                        continue;
                    }
                };
                if in_class {
                    if inner.is_empty() {
                        return Err(format!("negated class \\{e} inside a character class"));
                    }
                    out.push_str(inner);
                } else {
                    out.push_str(outer);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]`: copy through to its closing `:]`.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c if in_class && matches!(c, '&' | '~' | '-') && chars.peek() == Some(&c) => {
                // Rust treats `&&`, `~~`, `--` in classes as set operations; Go reads literals.
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn compile(pattern: &str) -> Result<Regex, FnError> {
    let translated =
        translate(pattern).map_err(|e| FnError::Unsupported(format!("regular expression {pattern:?}: {e}")))?;
    Regex::new(&translated).map_err(|e| {
        // A pattern Go accepts may still be outside what fleetlint translates; claim no error.
        FnError::Unsupported(format!("regular expression {pattern:?} could not be compiled: {e}"))
    })
}

pub(super) fn regex_match(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    compile(arg_str(&args, 0)).map(|re| Value::Bool(re.is_match(arg_str(&args, 1))))
}

pub(super) fn must_regex_match(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    regex_match(ctx, args)
}

fn limit(n: i64) -> usize {
    if n < 0 { usize::MAX } else { usize::try_from(n).unwrap_or(usize::MAX) }
}

pub(super) fn regex_find_all(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let re = compile(arg_str(&args, 0))?;
    let n = arg_int(&args, 2);
    let found: Vec<Value> = re.find_iter(arg_str(&args, 1)).take(limit(n)).map(|m| Value::str(m.as_str())).collect();
    Ok(Value::list(found))
}

pub(super) fn regex_find(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let re = compile(arg_str(&args, 0))?;
    Ok(Value::str(re.find(arg_str(&args, 1)).map_or("", |m| m.as_str())))
}

pub(super) fn regex_replace_all(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let re = compile(arg_str(&args, 0))?;
    Ok(Value::str(re.replace_all(arg_str(&args, 1), arg_str(&args, 2)).into_owned()))
}

pub(super) fn regex_replace_all_literal(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let re = compile(arg_str(&args, 0))?;
    Ok(Value::str(re.replace_all(arg_str(&args, 1), regex::NoExpand(arg_str(&args, 2))).into_owned()))
}

/// Go's `Regexp.Split`.
pub(super) fn regex_split(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let re = compile(arg_str(&args, 0))?;
    let s = arg_str(&args, 1);
    let n = arg_int(&args, 2);
    if n == 0 {
        return Ok(Value::list(Vec::new()));
    }
    if !arg_str(&args, 0).is_empty() && s.is_empty() {
        return Ok(Value::list(vec![Value::str("")]));
    }
    let mut parts = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(s).take(limit(n)) {
        if n > 0 && parts.len() == limit(n) - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            parts.push(Value::str(&s[beg..end]));
        }
        beg = m.end();
    }
    if end != s.len() {
        parts.push(Value::str(&s[beg..]));
    }
    Ok(Value::list(parts))
}

/// Go's `regexp.QuoteMeta`: backslash before each of `\.+*?()|[]{}^$`.
pub(super) fn regex_quote_meta(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let mut out = String::new();
    for c in arg_str(&args, 0).chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::str(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_classes_are_ascii() {
        let re = Regex::new(&translate(r"^\d+$").unwrap()).unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("١٢٣"));
        let re = Regex::new(&translate(r"[\w-]+").unwrap()).unwrap();
        assert_eq!(re.find("é-ab_1").map(|m| m.as_str()), Some("-ab_1"));
        let re = Regex::new(&translate(r"\Qa.b\E").unwrap()).unwrap();
        assert!(re.is_match("a.b") && !re.is_match("axb"));
    }
}
