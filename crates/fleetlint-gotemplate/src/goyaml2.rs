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

use crate::gofmt::format_float_g_shortest;

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
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: -1,
        indents: Vec::new(),
        flow_level: 0,
        spans: Vec::new(),
    };
    e.node(node, true, false, false, false);
    // Document end (implicit): a final line break.
    e.write_indent();
    Emitted { text: e.out, spans: e.spans }
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn is_printable(c: char) -> bool {
    // yaml_emitter's is_printable: tab, LF, CR, printable ASCII, NEL, and the allowed ranges.
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    c.is_none_or(|c| c == ' ' || c == '\t' || is_break(c) || c == '\0')
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis { multiline: false, flow_plain: false, block_plain: true, single: true, block: false };
    }
    let chars: Vec<char> = value.chars().collect();
    let (mut block_ind, mut flow_ind, mut line_breaks, mut special) = (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = is_blankz(chars.get(i + 1).copied());
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(Some(c));
    }
    let mut a = Analysis { multiline: line_breaks, flow_plain: true, block_plain: true, single: true, block: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: i32 = 2;

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: i32,
    indents: Vec<i32>,
    flow_level: usize,
    spans: Vec<EmittedSpan>,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent.max(0)).unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn node(&mut self, node: &YNode, _root: bool, sequence: bool, mapping: bool, simple_key: bool) {
        let _ = sequence;
        match &node.kind {
            YKind::Null => self.scalar("null", Style::Plain, node.id, false, simple_key),
            YKind::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, node.id, false, simple_key),
            YKind::Int(i) => self.scalar(&i.to_string(), Style::Plain, node.id, false, simple_key),
            YKind::Float(f) => {
                let s = match format_float_g_shortest(*f).as_str() {
                    "+Inf" => ".inf".to_string(),
                    "-Inf" => "-.inf".to_string(),
                    "NaN" => ".nan".to_string(),
                    other => other.to_string(),
                };
                self.scalar(&s, Style::Plain, node.id, false, simple_key);
            }
            YKind::Str(s) => {
                let style = if s.contains('\n') {
                    Style::Literal
                } else if !resolves_to_non_string(s) {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.scalar(s, style, node.id, false, simple_key);
            }
            YKind::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            YKind::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            YKind::Seq(items) => {
                self.increase_indent(false, mapping && !self.indention);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, false, true, false, false);
                }
                self.pop_indent();
            }
            YKind::Map(entries) => {
                let mut sorted: Vec<(String, (Option<u32>, &YNode))> =
                    entries.iter().map(|(k, id, v)| (k.clone(), (*id, v))).collect();
                sort_keys(&mut sorted);
                self.increase_indent(false, false);
                for (key, (key_id, value)) in &sorted {
                    self.write_indent();
                    let simple = !key.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) && key.len() <= 128;
                    let key_node = YNode { id: None, kind: YKind::Str(key.clone()) };
                    let start = self.out.len();
                    if simple {
                        self.node(&key_node, false, false, true, true);
                        self.record(start, *key_id, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        let start = self.out.len();
                        self.node(&key_node, false, false, true, false);
                        self.record(start, *key_id, true);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(value, false, false, true, false);
                }
                self.pop_indent();
            }
        }
    }

    fn record(&mut self, start: usize, id: Option<u32>, is_key: bool) {
        if let Some(id) = id {
            let start = start + self.out[start..].len() - self.out[start..].trim_start_matches(' ').len();
            self.spans.push(EmittedSpan { range: start..self.out.len(), id, is_key });
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, value: &str, requested: Style, id: Option<u32>, _root: bool, simple_key: bool) {
        let a = analyze(value);
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain) || (self.flow_level == 0 && !a.block_plain) {
                style = Style::Single;
            }
            if value.is_empty() && (self.flow_level > 0 || simple_key) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || self.flow_level > 0 || simple_key) {
            style = Style::Double;
        }
        self.increase_indent(true, false);
        let start = self.out.len();
        match style {
            Style::Plain => self.write_plain(value, !simple_key),
            Style::Single => self.write_single(value, !simple_key),
            Style::Double => self.write_double(value, !simple_key),
            Style::Literal => self.write_literal(value),
        }
        if !simple_key {
            self.record(start, id, false);
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = value.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.get(i + 1) != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            i += 1;
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < chars.len() - 1
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        let s = if v <= 0xFF {
                            format!("x{v:02X}")
                        } else if v <= 0xFFFF {
                            format!("u{v:04X}")
                        } else {
                            format!("U{v:08X}")
                        };
                        self.write_str(&s);
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < chars.len() - 1 {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints (yaml_emitter_write_block_scalar_hints).
        if value.starts_with([' ', '\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chars: Vec<char> = value.chars().collect();
        let chomp = match chars.as_slice() {
            [] => Some("-"),
            [.., last] if !is_break(*last) => Some("-"),
            [_] => Some("+"),
            [.., prev, _] if is_break(*prev) => Some("+"),
            _ => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
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
