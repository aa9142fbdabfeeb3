//! go-yaml v2 (YAML 1.1) decisions about scalars: what a plain scalar resolves to (which also
//! decides whether a string is double-quoted when marshalled, and how `sigs.k8s.io/yaml` types
//! the values of a JSON 6902 patch written in YAML), how a float is spelled, and the order of map
//! keys. kubectl prints every object through `sigs.k8s.io/yaml.JSONToYAML`
//! (kustomize `api/resource/resource.go` `AsYAML`), i.e. go-yaml v2's `Marshal` of the object
//! decoded from JSON; kyaml's own `Marshal` (origin annotations) is go-yaml v3, whose quoting
//! decision is the same (v3's `isOldBool` covers the YAML 1.1 booleans v2 resolves).
//!
//! Ported from kubernetes-sigs/yaml@c3772b51db (v1.4.0, the version kustomize 5.5 links):
//! `goyaml.v2/encode.go` (`stringv`, `floatv`, `isBase60Float`), `goyaml.v2/resolve.go`
//! (`resolve`, `parseTimestamp`), `goyaml.v2/sorter.go` (`keyList.Less`); `goyaml.v3/encode.go`
//! `stringv` and `isOldBool` for the v3 reading.

use std::cmp::Ordering;

use fleetlint_yaml::ScalarValue;

/// Whether go-yaml writes string `s` double-quoted because, written plain, it would resolve to
/// another type (`encoder.stringv`: `resolve("", s)` is not `!!str`, or `s` is a YAML 1.1
/// base-60 float).
#[must_use]
pub fn string_needs_quotes(s: &str) -> bool {
    resolve(s) != Resolved::Str || is_base60_float(s)
}

/// What go-yaml v2's `resolve("", s)` makes of a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved {
    /// `!!null`.
    Null,
    /// `!!bool`.
    Bool(bool),
    /// `!!int` that fits an `int64`.
    Int(i64),
    /// `!!float` (also integers beyond `int64`).
    Float(f64),
    /// `!!timestamp`.
    Timestamp,
    /// `<<`, the merge key's tag (its value is the text)
    Merge,
    /// `!!str`.
    Str,
}

/// go-yaml v2's `resolve("", s)`: the tag a plain scalar `s` resolves to, with its value.
#[must_use]
pub fn resolve(s: &str) -> Resolved {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    match s.as_bytes()[0] {
        // `strconv.ParseFloat(in, 64)` of a string starting with `.`
        b'.' => dot_float(s).map_or(Resolved::Str, Resolved::Float),
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            match fleetlint_yaml::resolve_number(s) {
                Some(ScalarValue::Int(i)) => Resolved::Int(i),
                Some(ScalarValue::Float(f)) => Resolved::Float(f),
                _ => Resolved::Str,
            }
        }
        _ => Resolved::Str,
    }
}

/// `strconv.ParseFloat` of a decimal starting with `.` (`.5`, `.5e3`); out-of-range values are
/// errors in Go.
fn dot_float(s: &str) -> Option<f64> {
    let rest = &s[1..];
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let digits_ok = !mant.is_empty() && mant.bytes().all(|b| b.is_ascii_digit());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    (digits_ok && exp_ok).then(|| s.parse::<f64>().ok()).flatten().filter(|f| f.is_finite())
}

/// `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // `[0-5]?[0-9]`: one digit, or a digit 0-5 followed by a digit
        match (b.get(i), b.get(i + 1)) {
            (Some(a @ b'0'..=b'5'), Some(c)) if c.is_ascii_digit() => {
                let _ = a;
                i += 2;
            }
            (Some(a), _) if a.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: `time.Parse` with the layouts `2006-1-2T15:4:5.999999999Z07:00`
/// (also with a lower-case `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`, after a quick
/// check that the string starts with four digits and `-`. Go checks the ranges (month, day of
/// that month, hour, minute, second, zone offset).
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let mut i = 5;
    let Some(month) = getnum(b, &mut i) else { return false };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = getnum(b, &mut i) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    for (n, max) in [(0, 23), (1, 59), (2, 59)] {
        if n > 0 {
            if b.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
        }
        match getnum(b, &mut i) {
            Some(v) if v <= max => {}
            _ => return false,
        }
    }
    // fractional seconds: `.` or `,` then any number of digits (Go accepts both separators)
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            // `Z07:00`: sign, two digits, `:`, two digits
            let z = &b[i + 1..];
            z.len() == 5
                && z[0].is_ascii_digit()
                && z[1].is_ascii_digit()
                && z[2] == b':'
                && z[3].is_ascii_digit()
                && z[4].is_ascii_digit()
                && (i64::from(z[0] - b'0') * 10 + i64::from(z[1] - b'0')) <= 24
                && (i64::from(z[3] - b'0') * 10 + i64::from(z[4] - b'0')) <= 60
        }
        _ => false,
    }
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(b: &[u8], i: &mut usize) -> Option<i64> {
    let d0 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
    *i += 1;
    let mut v = i64::from(d0 - b'0');
    if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        v = v * 10 + i64::from(d1 - b'0');
        *i += 1;
    }
    Some(v)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A float as kubectl prints it: the object went through JSON (`encoding/json`), then go-yaml
/// v2 decoded the number (an integer when it fits 64 bits) and wrote it with
/// `strconv.FormatFloat(f, 'g', -1, 64)`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    // JSON writes integral values below 1e21 as integers; go-yaml reads those that fit an
    // int64 or uint64 back as integers.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
            return (f as i64).to_string();
        }
        if f >= 0.0 && f < 2f64.powi(64) {
            return (f as u64).to_string();
        }
    }
    format_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits; `%e` form when the decimal
/// exponent is below -4 or at least 6 (the precision `'g'` uses for shortest output), with a
/// sign and at least two exponent digits.
fn format_g(f: f64) -> String {
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// go-yaml v2's map key order (`keyList.Less` for string keys): runs of digits compare as
/// numbers, a letter sorts after a non-letter, otherwise by code point.
pub fn key_order(a: &str, b: &str) -> Ordering {
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

// Go's `unicode.IsLetter` is the Unicode category L; `char::is_alphabetic` also takes marks and
// letter numbers, which map keys practically never hold.
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// `keyList.Less` for two string keys.
#[must_use]
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_resolve_to_other_types_are_quoted() {
        for s in [
            "y",
            "yes",
            "On",
            "NO",
            "true",
            "~",
            "",
            "null",
            "1",
            "+12",
            "-3",
            "0x1F",
            "0o17",
            "0755",
            "08",
            "1e3",
            "1_000",
            ".5",
            "1.",
            "12:30",
            "1:20:30.5",
            "2025-06-16T14:17:53Z",
            "2026-06-01",
            "2024-1-2",
            "2001-12-14 21:59:43.10",
            "2001-12-14t21:59:43.10-05:00",
            ".inf",
            "<<",
        ] {
            assert!(string_needs_quotes(s), "{s}");
        }
        for s in [
            "nginx:1.0",
            "a: b",
            "v1.2",
            "1.2.3",
            "12:60",
            "1e400",
            "2023-02-30",
            "2024-13-01",
            "2025-06-16T14:17:53",
            "2025-06-16T14:17:53+0200",
            "-",
            "0x",
            ".",
            "yes please",
            "1 000",
            "0b102",
            "1e",
            "._5",
        ] {
            assert!(!string_needs_quotes(s), "{s}");
        }
    }

    #[test]
    fn floats_are_spelled_like_go() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(-0.0), "0");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(123_456.5), "123456.5");
        assert_eq!(go_float(1_234_567.5), "1.2345675e+06");
        assert_eq!(go_float(1e18), "1000000000000000000");
        assert_eq!(go_float(1e20), "1e+20");
        assert_eq!(go_float(1e21), "1e+21");
    }

    #[test]
    fn keys_sort_like_go_yaml_v2() {
        let mut keys = vec!["a10", "a9", "b", "_x", "Z", "a01", "a1", "1b", "10"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, ["_x", "10", "1b", "Z", "a1", "a01", "a9", "a10", "b"]);
    }
}
