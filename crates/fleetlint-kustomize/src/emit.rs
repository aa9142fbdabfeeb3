//! Printing resources as multi-document YAML the way `kubectl kustomize` does (keys sorted,
//! sequences not indented under their key, yaml.v2 quoting), optionally with a
//! `# file:line` origin comment after each line.

use fleetlint_yaml::{FileDb, Node, NodeKind, ScalarStyle, ScalarValue, Span};

use crate::resource::Resource;

type Lines = Vec<(String, Option<Span>)>;

/// Print `resources` as multi-document YAML. With `origins`, each line that holds a value
/// ends with `# <file>:<line>` naming the text that wrote it.
#[must_use]
pub fn to_yaml(resources: &[Resource], origins: Option<&FileDb>) -> String {
    nodes_to_yaml(resources.iter().map(|r| &r.root), origins)
}

/// [`to_yaml`] for object trees that are not kustomize resources (the objects a Flux
/// Kustomization renders after its build options and post-build substitution).
#[must_use]
pub fn nodes_to_yaml<'n>(roots: impl IntoIterator<Item = &'n Node>, origins: Option<&FileDb>) -> String {
    let mut out = String::new();
    for (i, root) in roots.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut lines: Lines = Vec::new();
        match &root.kind {
            NodeKind::Map(_) => write_map(root, 0, &mut lines),
            _ => lines.push((scalar_inline(root), Some(root.span))),
        }
        for (text, span) in lines {
            out.push_str(&text);
            if let (Some(db), Some(span)) = (origins, span)
                && (span.file.0 as usize) < db.len()
            {
                let f = db.get(span.file);
                // A file of a mapped source is named with its source, as in reports.
                let source = f.mapping.as_deref().map_or_else(String::new, |s| format!("{s}:"));
                out.push_str(&format!(" # {source}{}:{}", f.path, f.line_col(span.start).line));
            }
            out.push('\n');
        }
    }
    out
}

fn sorted_entries(node: &Node) -> Vec<(String, &Node, Span)> {
    let mut v: Vec<(String, &Node, Span)> = Vec::new();
    for e in node.as_map().unwrap_or_default() {
        let key = match &e.key.kind {
            NodeKind::Scalar(s) => s.text.to_string(),
            _ => e.key.to_json().to_string(),
        };
        if let Some(old) = v.iter_mut().find(|(k, _, _)| *k == key) {
            old.1 = &e.value;
            old.2 = e.key.span;
        } else {
            v.push((key, &e.value, e.key.span));
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

fn is_empty_collection(n: &Node) -> Option<&'static str> {
    match &n.kind {
        NodeKind::Map(e) if e.is_empty() => Some("{}"),
        NodeKind::Seq(i) if i.is_empty() => Some("[]"),
        _ => None,
    }
}

fn write_map(node: &Node, indent: usize, out: &mut Lines) {
    for (key, value, key_span) in sorted_entries(node) {
        let k = quote_key(&key);
        write_value(&format!("{}{k}:", pad(indent)), value, key_span, indent, out, false);
    }
}

/// Write `value` after `head` (`key:` or `-`); `indent` is the column of the head.
fn write_value(head: &str, value: &Node, head_span: Span, indent: usize, out: &mut Lines, in_seq: bool) {
    if let Some(empty) = is_empty_collection(value) {
        out.push((format!("{head} {empty}"), Some(value.span)));
        return;
    }
    match &value.kind {
        NodeKind::Map(_) => {
            if in_seq {
                let mut inner = Vec::new();
                write_map(value, indent + 2, &mut inner);
                attach_first(head, indent, inner, out);
            } else {
                out.push((head.to_string(), Some(head_span)));
                write_map(value, indent + 2, out);
            }
        }
        NodeKind::Seq(_) => {
            if in_seq {
                let mut inner = Vec::new();
                write_seq(value, indent + 2, &mut inner);
                attach_first(head, indent, inner, out);
            } else {
                out.push((head.to_string(), Some(head_span)));
                write_seq(value, indent, out);
            }
        }
        NodeKind::Scalar(_) => {
            if let Some((header, body)) = block_scalar(value) {
                out.push((format!("{head} {header}"), Some(value.span)));
                for line in body {
                    if line.is_empty() {
                        out.push((String::new(), None));
                    } else {
                        out.push((format!("{}{line}", pad(indent + 2)), None));
                    }
                }
            } else {
                out.push((format!("{head} {}", scalar_inline(value)), Some(value.span)));
            }
        }
    }
}

fn attach_first(head: &str, indent: usize, inner: Lines, out: &mut Lines) {
    for (i, (line, span)) in inner.into_iter().enumerate() {
        if i == 0 {
            out.push((format!("{head} {}", &line[(indent + 2).min(line.len())..]), span));
        } else {
            out.push((line, span));
        }
    }
}

fn write_seq(node: &Node, indent: usize, out: &mut Lines) {
    for item in node.as_seq().unwrap_or_default() {
        write_value(&format!("{}-", pad(indent)), item, item.span, indent, out, true);
    }
}

/// A literal block for multi-line strings, as yaml.v2 chooses it: header and content lines.
fn block_scalar(node: &Node) -> Option<(String, Vec<String>)> {
    let s = node.as_scalar()?;
    if s.value != ScalarValue::Str || !s.text.contains('\n') {
        return None;
    }
    let text: &str = &s.text;
    let printable = text.chars().all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'));
    let space_break = text.contains(" \n") || text.contains("\t\n");
    if !printable || space_break || text.ends_with(' ') {
        return None;
    }
    let mut header = String::from("|");
    if text.starts_with(' ') || text.starts_with('\n') {
        header.push('2');
    }
    if !text.ends_with('\n') {
        header.push('-');
    } else if text.ends_with("\n\n") {
        header.push('+');
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    Some((header, body.split('\n').map(str::to_string).collect()))
}

fn scalar_inline(node: &Node) -> String {
    let Some(s) = node.as_scalar() else { return String::new() };
    match &s.value {
        ScalarValue::Null => "null".into(),
        ScalarValue::Bool(b) => b.to_string(),
        ScalarValue::Int(i) => i.to_string(),
        ScalarValue::Float(f) => go_float(*f),
        ScalarValue::Str => quote_str(&s.text),
    }
}

/// A float as it reaches kubectl's output: through JSON (integral values below 1e21 become
/// integers) and Go's `%g`-style shortest formatting.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..21).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

fn quote_key(k: &str) -> String {
    quote_str(k)
}

fn is_base60(s: &str) -> bool {
    let t = s.trim_start_matches(['-', '+']);
    let mut parts = t.split(':');
    let Some(first) = parts.next() else { return false };
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit() || c == '_')
        && rest.iter().enumerate().all(|(i, p)| {
            let p = if i == rest.len() - 1 { p.split('.').next().unwrap_or("") } else { p };
            !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit())
        })
}

pub(crate) fn quote_str(s: &str) -> String {
    use fleetlint_yaml::{is_ambiguous, resolve_kyaml};
    let non_string = resolve_kyaml(s, ScalarStyle::Plain, None) != ScalarValue::Str
        || is_ambiguous(s, ScalarStyle::Plain, None)
        || is_base60(s)
        || matches!(
            s,
            "y" | "Y"
                | "n"
                | "N"
                | "yes"
                | "no"
                | "on"
                | "off"
                | "Yes"
                | "No"
                | "On"
                | "Off"
                | "YES"
                | "NO"
                | "ON"
                | "OFF"
        );
    let special = s.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{feff}' || c == '\t');
    if non_string || special || s.contains('\n') {
        return double_quoted(s);
    }
    if plain_allowed(s) { s.to_string() } else { format!("'{}'", s.replace('\'', "''")) }
}

fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if s.starts_with(' ') || s.ends_with(' ') || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if "[]{},#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') {
        let second = s[first.len_utf8()..].chars().next();
        if second.is_none_or(|c| c == ' ') {
            return false;
        }
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':'))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if c.is_control() => {
                if (c as u32) < 0x100 {
                    out.push_str(&format!("\\x{:02X}", c as u32));
                } else {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_and_quotes() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(quote_str("y"), "\"y\"");
        assert_eq!(quote_str("1"), "\"1\"");
        assert_eq!(quote_str("a: b"), "'a: b'");
        assert_eq!(quote_str("nginx:1.0"), "nginx:1.0");
        assert_eq!(quote_str(""), "\"\"");
    }
}
