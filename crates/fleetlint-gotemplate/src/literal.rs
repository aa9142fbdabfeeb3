//! Literal constants in actions: Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'c'`, and
//! `parse.newNumber` (golang/go:src/text/template/parse/node.go) deciding which Go types a number
//! constant can take (`3` is an int, a uint and a float; `1.5` only a float; `1e3` also an int).

use crate::ast::Number;
use crate::lex::Tok;

/// Go's `strconv.Unquote` for the three literal forms a template can hold.
pub(crate) fn unquote(s: &str) -> Result<String, String> {
    let invalid = || "invalid syntax".to_string();
    if let Some(raw) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Ok(raw.replace('\r', ""));
    }
    let (quote, body) = match s.chars().next() {
        Some(q @ ('"' | '\'')) if s.len() >= 2 && s.ends_with(q) => (q, &s[1..s.len() - 1]),
        _ => return Err(invalid()),
    };
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote && quote == '"' {
            return Err(invalid());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(invalid)?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' if quote == '"' => out.push('"'),
            '\'' if quote == '\'' => out.push('\''),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                let v = u32::from_str_radix(&hex, 16).map_err(|_| invalid())?;
                if hex.len() != n {
                    return Err(invalid());
                }
                if e == 'x' {
                    // \xNN is a byte; only ASCII bytes form valid text on their own.
                    out.push(char::from_u32(v).filter(|_| v < 0x80).ok_or_else(invalid)?);
                } else {
                    out.push(char::from_u32(v).ok_or_else(invalid)?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8)).ok_or_else(invalid)?;
                    v = v * 8 + d;
                }
                if v > 255 {
                    return Err(invalid());
                }
                out.push(char::from_u32(v).filter(|_| v < 0x80).ok_or_else(invalid)?);
            }
            _ => return Err(invalid()),
        }
    }
    if quote == '\'' && out.chars().count() != 1 {
        return Err(invalid());
    }
    Ok(out)
}

/// `parse.newNumber`: which Go types a constant can take.
pub(crate) fn new_number(text: &str, tok: Tok) -> Result<Number, String> {
    if tok == Tok::CharConstant {
        let s = unquote(text)?;
        let c = s.chars().next().map_or(0, |c| c as u32);
        return Ok(Number {
            text: text.to_string(),
            int: Some(i64::from(c)),
            uint: Some(u64::from(c)),
            float: Some(f64::from(c)),
        });
    }
    if text.ends_with('i') {
        return Err(format!("complex constant {text} is not supported"));
    }
    let uint = parse_go_uint(text);
    let int = parse_go_int(text);
    let mut n = Number { text: text.to_string(), int, uint, float: None };
    if let Some(i) = n.int {
        #[allow(clippy::cast_precision_loss)]
        let f = i as f64;
        n.float = Some(f);
        if i == 0 {
            n.uint = Some(0);
        }
    } else if let Some(u) = n.uint {
        #[allow(clippy::cast_precision_loss)]
        let f = u as f64;
        n.float = Some(f);
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text:?}"));
        }
        n.float = Some(f);
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::float_cmp)]
        if f.fract() == 0.0 && f.abs() < 9.2e18 && (f as i64) as f64 == f {
            n.int = Some(f as i64);
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_precision_loss,
            clippy::cast_sign_loss,
            clippy::float_cmp
        )]
        if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 && (f as u64) as f64 == f {
            n.uint = Some(f as u64);
        }
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(format!("illegal number syntax: {text:?}"));
    }
    Ok(n)
}

/// Go `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-0 octal, `_` separators
/// (only with a base prefix or between digits).
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_go_uint(body)?;
    if neg { if u <= 1 << 63 { Some((u as i128).wrapping_neg() as i64) } else { None } } else { i64::try_from(u).ok() }
}

fn parse_go_uint(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if digits.is_empty() || !underscores_ok(digits, prefixed) {
        return None;
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).ok()
}

/// Go's `underscoreOK`: `_` only between digits (or right after a base prefix).
fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    let b = digits.as_bytes();
    if b.first() == Some(&b'_') && !prefixed {
        return false;
    }
    if b.last() == Some(&b'_') {
        return false;
    }
    !digits.contains("__")
}

/// Go `strconv.ParseFloat(s, 64)` for the forms a template number can take.
fn parse_go_float(s: &str) -> Option<f64> {
    let plain = s.replace('_', "");
    let lower = plain.to_ascii_lowercase();
    let (neg, body) = match lower.as_bytes().first()? {
        b'-' => (true, &lower[1..]),
        b'+' => (false, &lower[1..]),
        _ => (false, lower.as_str()),
    };
    let v = if let Some(hex) = body.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_every_type_they_fit() {
        let n = new_number("3", Tok::Number).unwrap();
        assert_eq!((n.int, n.uint, n.float), (Some(3), Some(3), Some(3.0)));
        let n = new_number("1.5", Tok::Number).unwrap();
        assert_eq!((n.int, n.float), (None, Some(1.5)));
        let n = new_number("1e3", Tok::Number).unwrap();
        assert_eq!(n.int, Some(1000));
        assert_eq!(new_number("0x1F", Tok::Number).unwrap().int, Some(31));
        assert_eq!(new_number("-0b101", Tok::Number).unwrap().int, Some(-5));
        assert_eq!(new_number("'a'", Tok::CharConstant).unwrap().int, Some(97));
        assert!(new_number("99999999999999999999", Tok::Number).is_err());
    }
    #[test]
    fn unquote_go_strings() {
        assert_eq!(unquote(r#""a\tb\x41\u00e9\101""#).unwrap(), "a\tbAéA");
        assert_eq!(unquote("`a\\n`").unwrap(), "a\\n");
        assert!(unquote(r#""\q""#).is_err());
    }
}
