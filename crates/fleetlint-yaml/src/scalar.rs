//! Typing of plain scalars.
//!
//! Two Go YAML stacks read the files of a Flux repository and disagree on plain scalars:
//! kustomize/kyaml (go-yaml v3, mostly YAML 1.2, which is what kustomize-controller applies) and
//! client-go's `sigs.k8s.io/yaml` (go-yaml v2, YAML 1.1, what `kubectl apply -f` uses). fleetlint
//! types every scalar the kyaml way and records where the 1.1 reading differs, for HYG009.
//! Each case below was settled against `kubectl kustomize` (kustomize v5.5): `on`/`yes`/`y` stay
//! strings, `0755` and `0o755` are 493, `0x1F` is 31, `1_000` is 1000, `1e3` and `08` are floats,
//! `~` is null, `True` is a boolean, an unknown tag reads as a string.

/// The typed value of a scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue {
    /// `~`, `null`, empty plain scalar.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (also integers beyond `i64`).
    Float(f64),
    /// A string: the node's text.
    Str,
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'single'`.
    SingleQuoted,
    /// `"double"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// Type a scalar the way kyaml (go-yaml v3) does. `tag` is the explicit tag's core suffix
/// (`str`, `int`, ...) or `Some("")` for a custom tag, `None` when untagged.
#[must_use]
pub fn resolve_kyaml(text: &str, style: ScalarStyle, tag: Option<&str>) -> ScalarValue {
    match tag {
        Some("str" | "binary" | "timestamp") => return ScalarValue::Str,
        Some("null") => return ScalarValue::Null,
        Some("bool") => {
            return match text {
                "true" | "True" | "TRUE" => ScalarValue::Bool(true),
                "false" | "False" | "FALSE" => ScalarValue::Bool(false),
                _ => ScalarValue::Str,
            };
        }
        Some("int" | "float") => return resolve_number(text).unwrap_or(ScalarValue::Str),
        // Unknown (local or custom) tags: go-yaml v3 reads the content as a string.
        Some(_) => return ScalarValue::Str,
        None => {}
    }
    if style != ScalarStyle::Plain {
        return ScalarValue::Str;
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => ScalarValue::Null,
        "true" | "True" | "TRUE" => ScalarValue::Bool(true),
        "false" | "False" | "FALSE" => ScalarValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => ScalarValue::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => ScalarValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => ScalarValue::Float(f64::NAN),
        _ => resolve_number(text).unwrap_or(ScalarValue::Str),
    }
}

/// Type a plain scalar the way `sigs.k8s.io/yaml` (go-yaml v2, YAML 1.1) does.
#[must_use]
pub fn resolve_yaml11(text: &str, style: ScalarStyle) -> ScalarValue {
    if style != ScalarStyle::Plain {
        return ScalarValue::Str;
    }
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => ScalarValue::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => ScalarValue::Bool(false),
        _ => {
            // go-yaml v2 does not know the 1.2 `0o` octal prefix and rejects `_`-less forms the
            // same way v3 does otherwise.
            if text.starts_with("0o") || text.starts_with("-0o") || text.starts_with("+0o") {
                return ScalarValue::Str;
            }
            resolve_kyaml(text, style, None)
        }
    }
}

/// Whether a plain scalar is typed differently by kyaml and by a YAML 1.1 reader.
#[must_use]
pub fn is_ambiguous(text: &str, style: ScalarStyle, tag: Option<&str>) -> bool {
    if style != ScalarStyle::Plain || tag.is_some() {
        return false;
    }
    let a = resolve_kyaml(text, style, None);
    let b = resolve_yaml11(text, style);
    match (&a, &b) {
        (ScalarValue::Float(x), ScalarValue::Float(y)) => !(x == y || x.is_nan() && y.is_nan()),
        _ => a != b,
    }
}

/// go-yaml's number resolution (v2 and v3 alike): `_` removed, Go `ParseInt(s, 0, 64)`
/// (decimal, `0x`, `0o`, `0b`, and the 1.1 leading-zero octal), else `ParseUint` (a float here),
/// then the YAML float pattern through `ParseFloat`, which fails out of range (`1e400` is not a
/// number).
#[must_use]
pub fn resolve_number(text: &str) -> Option<ScalarValue> {
    let first = text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(v) = parse_go_int(&plain) {
        return Some(v);
    }
    if is_yaml_float(&plain) {
        return plain.parse::<f64>().ok().filter(|f| f.is_finite()).map(ScalarValue::Float);
    }
    None
}

fn parse_go_int(s: &str) -> Option<ScalarValue> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            #[allow(clippy::cast_possible_wrap)]
            return Some(ScalarValue::Int((magnitude as i64).wrapping_neg()));
        }
        return None;
    }
    match i64::try_from(magnitude) {
        Ok(v) => Some(ScalarValue::Int(v)),
        #[allow(clippy::cast_precision_loss)]
        Err(_) => Some(ScalarValue::Float(magnitude as f64)),
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScalarValue::{Bool, Float, Int, Null, Str};

    fn k(s: &str) -> ScalarValue {
        resolve_kyaml(s, ScalarStyle::Plain, None)
    }

    #[test]
    fn kyaml_typing_matches_kubectl_kustomize() {
        // Each expectation was observed in `kubectl kustomize` (kustomize v5.5) output.
        assert_eq!(k("on"), Str);
        assert_eq!(k("yes"), Str);
        assert_eq!(k("y"), Str);
        assert_eq!(k("0755"), Int(493));
        assert_eq!(k("0o755"), Int(493));
        assert_eq!(k("0x1F"), Int(31));
        assert_eq!(k("1_000"), Int(1000));
        assert_eq!(k("1e3"), Float(1000.0));
        assert_eq!(k("08"), Float(8.0));
        assert_eq!(k("~"), Null);
        assert_eq!(k(""), Null);
        assert_eq!(k("True"), Bool(true));
        assert_eq!(k("+12"), Int(12));
        assert_eq!(k("1.10"), Float(1.1));
        assert_eq!(k("="), Str);
        assert_eq!(k("2001-12-14"), Str);
        assert_eq!(k("-"), Str);
        assert_eq!(k("v1.2"), Str);
        // Go's ParseFloat fails out of range, so go-yaml reads a string
        assert_eq!(k("1e400"), Str);
        assert_eq!(resolve_kyaml("0755", ScalarStyle::DoubleQuoted, None), Str);
        assert_eq!(resolve_kyaml("bar", ScalarStyle::Plain, Some("")), Str);
        assert_eq!(resolve_kyaml("12", ScalarStyle::DoubleQuoted, Some("int")), Int(12));
    }

    #[test]
    fn yaml11_differences_are_ambiguous() {
        for s in ["on", "yes", "y", "NO", "off", "0o17"] {
            assert!(is_ambiguous(s, ScalarStyle::Plain, None), "{s}");
        }
        for s in ["true", "0755", "12", "1.5", "name", "1e3"] {
            assert!(!is_ambiguous(s, ScalarStyle::Plain, None), "{s}");
        }
        assert!(!is_ambiguous("yes", ScalarStyle::SingleQuoted, None));
    }
}
