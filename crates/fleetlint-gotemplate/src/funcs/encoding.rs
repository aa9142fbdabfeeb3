//! Encodings, hashes, paths and serialisation (go-task/slim-sprig@v3.0.0:crypto.go,
//! strings.go, defaults.go, functions.go; flux-operator@17c6aea:internal/builder/resourceset.go
//! `toYaml`, `mustToYaml`).

use fleetlint_goyaml::write_json_string;
use sha2::{Digest, Sha256};

use super::{CallCtx, FnError, FnResult, arg_str};
use crate::goyaml2::{self, YKind, YNode};
use crate::value::Value;

fn ok_str(s: impl Into<std::rc::Rc<str>>) -> FnResult {
    Ok(Value::Str(s.into()))
}

pub(super) fn sha256sum(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let digest = Sha256::digest(arg_str(&args, 0).as_bytes());
    ok_str(hex(&digest))
}

pub(super) fn sha1sum(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(hex(&sha1(arg_str(&args, 0).as_bytes())))
}

pub(super) fn adler32sum(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(adler32(arg_str(&args, 0).as_bytes()).to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `hash/adler32.Checksum`.
#[must_use]
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// SHA-1 (FIPS 180-4), for sprig's `sha1sum`.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Generic base-2^k encoding with `=` padding to whole groups.
fn encode_bits(data: &[u8], alphabet: &[u8], bits: u32, group: usize) -> String {
    let mut out = String::new();
    let (mut acc, mut nbits) = (0u64, 0u32);
    let mask = (1u64 << bits) - 1;
    for &b in data {
        acc = (acc << 8) | u64::from(b);
        nbits += 8;
        while nbits >= bits {
            nbits -= bits;
            out.push(alphabet[usize::try_from((acc >> nbits) & mask).unwrap_or(0)] as char);
        }
    }
    if nbits > 0 {
        out.push(alphabet[usize::try_from((acc << (bits - nbits)) & mask).unwrap_or(0)] as char);
    }
    while !out.len().is_multiple_of(group) {
        out.push('=');
    }
    out
}

/// Strict decoding as Go's `StdEncoding.DecodeString` (padding required, no stray characters).
fn decode_bits(text: &str, alphabet: &[u8], bits: u32, group: usize) -> Result<Vec<u8>, String> {
    // Go ignores \r and \n in the input.
    let clean: Vec<u8> = text.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !clean.len().is_multiple_of(group) {
        return Err(format!("illegal base{} data at input byte {}", 1u32 << bits, clean.len() / group * group));
    }
    let mut out = Vec::new();
    let (mut acc, mut nbits) = (0u64, 0u32);
    let mut padding = false;
    for (i, &c) in clean.iter().enumerate() {
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return Err(format!("illegal base{} data at input byte {i}", 1u32 << bits));
        }
        let Some(v) = alphabet.iter().position(|a| *a == c) else {
            return Err(format!("illegal base{} data at input byte {i}", 1u32 << bits));
        };
        acc = (acc << bits) | v as u64;
        nbits += bits;
        if nbits >= 8 {
            nbits -= 8;
            out.push(u8::try_from((acc >> nbits) & 0xFF).unwrap_or(0));
        }
    }
    Ok(out)
}

pub(super) fn b64enc(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(encode_bits(arg_str(&args, 0).as_bytes(), B64, 6, 4))
}

pub(super) fn b32enc(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(encode_bits(arg_str(&args, 0).as_bytes(), B32, 5, 8))
}

/// sprig returns the decoding error's text in place of the result.
fn decoded(r: Result<Vec<u8>, String>) -> FnResult {
    match r {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => ok_str(s),
            Err(_) => Err(FnError::Unsupported("decoded bytes are not UTF-8 text".into())),
        },
        Err(msg) => ok_str(msg),
    }
}

pub(super) fn b64dec(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    decoded(decode_bits(arg_str(&args, 0), B64, 6, 4))
}

pub(super) fn b32dec(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    decoded(decode_bits(arg_str(&args, 0), B32, 5, 8))
}

// Paths (Go's `path` package, which `path/filepath` equals on Linux).

/// Go's `path.Clean`.
#[must_use]
pub fn path_clean_str(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

pub(super) fn path_clean(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(path_clean_str(arg_str(&args, 0)))
}

pub(super) fn path_base(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let p = arg_str(&args, 0);
    if p.is_empty() {
        return ok_str(".");
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return ok_str("/");
    }
    ok_str(trimmed.rsplit('/').next().unwrap_or(trimmed))
}

pub(super) fn path_dir(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let p = arg_str(&args, 0);
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    ok_str(path_clean_str(dir))
}

pub(super) fn path_ext(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let p = arg_str(&args, 0);
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return ok_str(&p[i..]);
        }
    }
    ok_str("")
}

pub(super) fn path_is_abs(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Bool(arg_str(&args, 0).starts_with('/')))
}

// JSON (Go's encoding/json).

/// `json.Marshal` of a template value: keys sorted, HTML characters escaped unless `raw`,
/// `indent` for `MarshalIndent(v, "", "  ")`. Non-finite floats are an error as in Go.
pub(crate) fn go_json(v: &Value, escape_html: bool, indent: bool) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, indent, 0)?;
    Ok(out)
}

fn write_json(out: &mut String, v: &Value, html: bool, indent: bool, depth: usize) -> Result<(), String> {
    let newline = |out: &mut String, depth: usize| {
        if indent {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
    };
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i, _) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => write_json_string(out, s, html),
        Value::Unknown(u) => write_json(out, &u.shown, html, indent, depth)?,
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_json(out, item, html, indent, depth + 1)?;
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_json_string(out, k, html);
                out.push(':');
                if indent {
                    out.push(' ');
                }
                write_json(out, item, html, indent, depth + 1)?;
            }
            newline(out, depth);
            out.push('}');
        }
    }
    Ok(())
}

/// encoding/json `floatEncoder`: 'f' format, or 'e' below 1e-6 and from 1e21, with `e-07`
/// shortened to `e-7`.
pub(crate) fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        let name = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(format!("json: unsupported value: {name}"));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        let e = exp.unsigned_abs();
        let e = if e < 10 && exp >= 0 { format!("0{e}") } else { e.to_string() };
        return Ok(format!("{mant}e{sign}{e}"));
    }
    // Shortest digits, never an exponent.
    let s = format!("{f}");
    Ok(if s == "-0" { "-0".into() } else { s })
}

pub(super) fn to_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(go_json(&args[0], true, false).unwrap_or_default())
}

pub(super) fn must_to_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    go_json(&args[0], true, false).map(Value::str).map_err(FnError::Go)
}

pub(super) fn to_pretty_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(go_json(&args[0], true, true).unwrap_or_default())
}

pub(super) fn must_to_pretty_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    go_json(&args[0], true, true).map(Value::str).map_err(FnError::Go)
}

pub(super) fn to_raw_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    // sprig's toRawJson panics on an encoding error.
    go_json(&args[0], false, false).map(Value::str).map_err(FnError::Go)
}

pub(super) fn must_to_raw_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    go_json(&args[0], false, false).map(Value::str).map_err(FnError::Go)
}

pub(super) fn from_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(serde_json::from_str::<serde_json::Value>(arg_str(&args, 0)).map_or(Value::Nil, |j| Value::from_go_json(&j)))
}

pub(super) fn must_from_json(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    serde_json::from_str::<serde_json::Value>(arg_str(&args, 0))
        .map(|j| Value::from_go_json(&j))
        .map_err(|e| FnError::Go(e.to_string()))
}

// YAML.

/// The tree `sigs.k8s.io/yaml.Marshal` writes for a value: the value goes through
/// `json.Marshal`, then go-yaml v2 reads the JSON back (integral numbers become integers).
pub(crate) fn yaml_tree(v: &Value) -> Result<YNode, String> {
    Ok(YNode::new(match v {
        Value::Nil => YKind::Null,
        Value::Bool(b) => YKind::Bool(*b),
        Value::Int(i, _) => YKind::Int(i128::from(*i)),
        Value::Float(f) => {
            let text = json_float(*f)?;
            match text.parse::<i128>() {
                Ok(i) if i >= i128::from(i64::MIN) && i <= i128::from(u64::MAX) => YKind::Int(i),
                _ => YKind::Float(*f),
            }
        }
        Value::Str(s) => YKind::Str(s.to_string()),
        Value::Unknown(u) => return yaml_tree(&u.shown),
        Value::List(items) => YKind::Seq(items.iter().map(yaml_tree).collect::<Result<_, _>>()?),
        Value::Map(m) => YKind::Map(
            m.borrow().iter().map(|(k, v)| Ok((k.clone(), None, yaml_tree(v)?))).collect::<Result<_, String>>()?,
        ),
    }))
}

pub(super) fn to_yaml(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    ok_str(yaml_tree(&args[0]).map(|t| goyaml2::marshal(&t).text).unwrap_or_default())
}

pub(super) fn must_to_yaml(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    yaml_tree(&args[0]).map(|t| Value::str(goyaml2::marshal(&t).text)).map_err(FnError::Go)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert_eq!(adler32(b"team1-apps"), 340_788_154);
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn base_encodings_round_trip() {
        assert_eq!(encode_bits(b"hello", B64, 6, 4), "aGVsbG8=");
        assert_eq!(encode_bits(b"hello", B32, 5, 8), "NBSWY3DP");
        assert_eq!(decode_bits("aGVsbG8=", B64, 6, 4).unwrap(), b"hello");
        assert!(decode_bits("aGVsbG8", B64, 6, 4).is_err());
    }

    #[test]
    fn json_like_go() {
        let v = Value::map(
            [
                ("b".to_string(), Value::Float(1e21)),
                ("a".to_string(), Value::str("<x>")),
                ("c".into(), Value::Float(0.5)),
            ]
            .into(),
        );
        assert_eq!(go_json(&v, true, false).unwrap(), r#"{"a":"\u003cx\u003e","b":1e+21,"c":0.5}"#);
        assert_eq!(go_json(&v, false, false).unwrap(), r#"{"a":"<x>","b":1e+21,"c":0.5}"#);
        assert_eq!(json_float(1e-7).unwrap(), "1e-7");
        assert_eq!(json_float(100.0).unwrap(), "100");
        let l = Value::list(vec![Value::int(1), Value::map(Default::default())]);
        assert_eq!(go_json(&l, true, true).unwrap(), "[\n  1,\n  {}\n]");
    }

    #[test]
    fn paths_like_go() {
        assert_eq!(path_clean_str("a/../../b/./c/"), "../b/c");
        assert_eq!(path_clean_str("/../a"), "/a");
        assert_eq!(path_clean_str(""), ".");
    }
}
