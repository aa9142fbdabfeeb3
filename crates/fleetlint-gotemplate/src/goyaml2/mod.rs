//! The YAML that `sigs.k8s.io/yaml.Marshal` and `JSONToYAML` write: go-yaml v2's encoder and
//! emitter (go-yaml/yaml@7649d45, branch v2 = v2.4.0; sigs.k8s.io/yaml uses its continuation
//! go.yaml.in/yaml/v2 v2.4.2) for JSON-shaped trees.
//!
//! The Flux Operator converts each `spec.resources` item with `yaml.JSONToYAML` before
//! templating it, and its `toYaml` is `yaml.Marshal` (flux-operator@17c6aea:internal/builder/
//! resourceset.go). What matters for rendering is reproduced exactly: keys in v2's natural order
//! (`sorter.go keyList.Less`), plain scalars unless the text would resolve to another type or an
//! indicator forbids it (encode.go `stringv`, emitterc.go `yaml_emitter_analyze_scalar` /
//! `select_scalar_style`), single quotes before double quotes, literal blocks for multi-line
//! strings with chomping and indentation hints, folding of long plain and quoted scalars at
//! column 80, indentless sequences inside mappings, `{}`/`[]` for empty collections.
//!
//! Each emitted scalar can carry an id; [`Emitted::spans`] maps the output back to those ids.

use std::ops::Range;

mod emitter;

/// A JSON-shaped node to emit.
#[derive(Clone, Debug)]
pub struct YNode {
    /// Caller's id for this node (reported with its output range).
    pub id: Option<u32>,
    /// The content.
    pub kind: YKind,
}

/// The content of a [`YNode`].
#[derive(Clone, Debug)]
pub enum YKind {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (written as its digits).
    Int(i128),
    /// A float (written as Go's `FormatFloat(f, 'g', -1, 64)`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<YNode>),
    /// A mapping with string keys, each key with its own id.
    Map(Vec<(String, Option<u32>, YNode)>),
}

impl YNode {
    /// A node without id.
    #[must_use]
    pub fn new(kind: YKind) -> Self {
        Self { id: None, kind }
    }
}

/// Where an emitted scalar is in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmittedSpan {
    /// Byte range in [`Emitted::text`].
    pub range: Range<usize>,
    /// The node's or key's id.
    pub id: u32,
    /// Whether this is a mapping key.
    pub is_key: bool,
}

/// The emitted text and the ranges of scalars that had ids.
#[derive(Clone, Debug, Default)]
pub struct Emitted {
    /// The YAML document.
    pub text: String,
    /// Ranges of identified scalars, in output order.
    pub spans: Vec<EmittedSpan>,
}

/// `yaml.Marshal` (v2) of a JSON-shaped tree.
#[must_use]
pub fn marshal(node: &YNode) -> Emitted {
    emitter::marshal(node)
}

/// go-yaml v2's natural key order (sorter.go `keyList.Less`, for string keys).
#[must_use]
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_numeric() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_numeric() {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u32).wrapping_sub('0' as i64));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_numeric() {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u32).wrapping_sub('0' as i64));
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

/// Sort mapping entries in v2's order (a stable insertion sort, as `sort.Sort` yields the same
/// order for a strict weak order without equal keys).
pub fn sort_keys<T>(entries: &mut [(String, T)]) {
    entries.sort_by(|a, b| {
        if key_less(&a.0, &b.0) {
            std::cmp::Ordering::Less
        } else if key_less(&b.0, &a.0) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
}

/// Whether go-yaml v2 would read the plain text `s` as something other than a string
/// (resolve.go `resolve`), or it looks like a YAML 1.1 base-60 float: such strings are quoted.
#[must_use]
pub fn resolves_to_non_string(s: &str) -> bool {
    if is_base60_float(s) {
        return true;
    }
    let Some(first) = s.bytes().next() else { return true };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" | "n" | "N" | "no" | "No"
        | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" | "~" | "null" | "Null" | "NULL" | ".nan"
        | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | "<<" => return true,
        _ => {}
    }
    match first {
        b'.' => s.parse::<f64>().is_ok() && is_go_float_syntax(s),
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) {
                return true;
            }
            let plain = s.replace('_', "");
            if go_parse_int_base0(&plain) || is_yaml_style_float(&plain) {
                return true;
            }
            if let Some(bin) = plain.strip_prefix("0b").or_else(|| plain.strip_prefix("-0b")) {
                return !bin.is_empty() && bin.bytes().all(|b| b == b'0' || b == b'1') && bin.len() <= 64;
            }
            false
        }
        _ => false,
    }
}

fn is_go_float_syntax(s: &str) -> bool {
    // strconv.ParseFloat accepts what Rust does for these decimal forms, plus "inf"-like words
    // which cannot start with '.'.
    s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if !s.contains(':') {
        return false;
    }
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let n = i - start;
        if n == 0 || (n == 2 && b[start] > b'5') {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
fn go_parse_int_base0(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok()
}

/// go-yaml v2 tries `2006-1-2T15:4:5.999999999Z07:00`, the lower-case `t` variant,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2` (resolve.go `parseTimestamp`).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let num = |t: &str, max_len: usize| !t.is_empty() && t.len() <= max_len && t.bytes().all(|c| c.is_ascii_digit());
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some((&rest[i..i + 1], &rest[i + 1..]))),
        None => (rest, None),
    };
    let Some((m, d)) = date.split_once('-') else { return false };
    if !num(m, 2) || !num(d, 2) {
        return false;
    }
    let (mo, da): (u32, u32) = (m.parse().unwrap_or(0), d.parse().unwrap_or(0));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return false;
    }
    let Some((sep, time)) = time else { return true };
    let (clock, zone) = if sep == " " {
        (time, "")
    } else {
        match time.find(['Z', '+', '-']) {
            Some(i) => (&time[..i], &time[i..]),
            None => return false,
        }
    };
    let (hms, frac) = clock.split_once('.').map_or((clock, None), |(a, b)| (a, Some(b)));
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() != 3 || !parts.iter().all(|p| num(p, 2)) {
        return false;
    }
    if frac.is_some_and(|f| !num(f, 9)) {
        return false;
    }
    if sep == " " {
        return true;
    }
    zone == "Z" || {
        let z = &zone[1..];
        z.len() == 5 && z.as_bytes()[2] == b':' && num(&z[..2], 2) && num(&z[3..], 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> YNode {
        YNode::new(YKind::Str(v.into()))
    }

    fn map(entries: Vec<(&str, YNode)>) -> YNode {
        YNode::new(YKind::Map(entries.into_iter().map(|(k, v)| (k.to_string(), None, v)).collect()))
    }

    #[test]
    fn marshal_matches_go_yaml_v2() {
        let doc = map(vec![
            ("kind", s("ConfigMap")),
            ("apiVersion", s("v1")),
            ("data", map(vec![("a", s("true")), ("b", s("x: y")), ("c", s("multi\nline\n")), ("d", s(""))])),
            ("list", YNode::new(YKind::Seq(vec![s("a"), map(vec![("k", YNode::new(YKind::Int(1)))])]))),
            ("empty", YNode::new(YKind::Map(vec![]))),
            ("none", YNode::new(YKind::Seq(vec![]))),
            ("n", YNode::new(YKind::Null)),
            ("f", YNode::new(YKind::Float(1e6))),
        ]);
        let out = marshal(&doc).text;
        assert_eq!(
            out,
            "apiVersion: v1\ndata:\n  a: \"true\"\n  b: 'x: y'\n  c: |\n    multi\n    line\n  d: \"\"\nempty: {}\nf: 1e+06\nkind: ConfigMap\nlist:\n- a\n- k: 1\n\"n\": null\nnone: []\n"
        );
    }

    #[test]
    fn natural_key_order() {
        let mut keys: Vec<(String, ())> =
            ["a10", "a2", "b", "A", "_x", "a1"].iter().map(|k| ((*k).to_string(), ())).collect();
        sort_keys(&mut keys);
        let order: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(order, vec!["_x", "A", "a1", "a2", "a10", "b"]);
    }

    #[test]
    fn strings_that_resolve_are_quoted() {
        for v in ["yes", "on", "null", "123", "0x1F", "1.5", "1e3", "2024-01-02", "12:30", "<<", ""] {
            assert!(resolves_to_non_string(v), "{v}");
        }
        for v in ["<< inputs.x >>", "abc", "1.2.3", "v1", "-", "0b2"] {
            assert!(!resolves_to_non_string(v), "{v}");
        }
    }

    #[test]
    fn long_plain_scalars_fold_at_80_columns() {
        let long = "word ".repeat(20).trim_end().to_string();
        let out = marshal(&map(vec![("k", s(&long))])).text;
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().nth(1).unwrap().starts_with("  word"));
    }
}
