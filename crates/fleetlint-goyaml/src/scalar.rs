//! Scalars as go-yaml v2's emitter writes them: the analysis of a value
//! (`yaml_emitter_analyze_scalar`), the style the encoder asks for (`encoder.stringv`) and the
//! plain, single-quoted, double-quoted and literal writers (kubernetes-sigs/yaml@c3772b51db
//! `goyaml.v2/emitterc.go`, `encode.go`). The port works on bytes as the C-derived Go code does,
//! so its quirks (which bytes count as printable, a byte order mark escaping the whole value)
//! are kept.

use std::borrow::Cow;

use crate::emitter::{BEST_INDENT, BEST_WIDTH, Emitter};
use crate::resolve::{go_float, string_needs_quotes};

/// The scalar style the encoder asks for; the emitter may still pick another
/// (`yaml_emitter_select_scalar_style`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain.
    Plain,
    /// `'single quoted'`.
    SingleQuoted,
    /// `"double quoted"`.
    DoubleQuoted,
    /// A literal block (`|`).
    Literal,
}

/// A scalar event: the text and the style the encoder asks for.
#[derive(Clone, Debug)]
pub struct Scalar<'a> {
    /// The value's text.
    pub text: Cow<'a, str>,
    /// The requested style.
    pub style: Style,
}

impl<'a> Scalar<'a> {
    /// `encoder.stringv`: multi-line strings are literal blocks, strings that would resolve to
    /// another type are double-quoted, others plain (the emitter may still quote them).
    #[must_use]
    pub fn string(s: impl Into<Cow<'a, str>>) -> Self {
        let text = s.into();
        let style = if text.contains('\n') {
            Style::Literal
        } else if string_needs_quotes(&text) {
            Style::DoubleQuoted
        } else {
            Style::Plain
        };
        Self { text, style }
    }

    /// A typed value written as is (`null`, booleans, integers).
    #[must_use]
    pub fn plain(s: impl Into<Cow<'a, str>>) -> Self {
        Self { text: s.into(), style: Style::Plain }
    }

    /// A float as go-yaml writes it after the trip through JSON ([`go_float`]).
    #[must_use]
    pub fn float(f: f64) -> Self {
        Self::plain(go_float(f))
    }
}

/// `yaml_emitter_analyze_scalar`'s verdicts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Analysis {
    pub(crate) multiline: bool,
    pub(crate) flow_plain_allowed: bool,
    pub(crate) block_plain_allowed: bool,
    pub(crate) single_quoted_allowed: bool,
    pub(crate) block_allowed: bool,
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let c = b[i];
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(at(1) == 0xBB && at(2) == 0xBF) && !(at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)))
}

fn is_space(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b' ')
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), Some(b' ' | b'\t'))
}

fn is_break(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    matches!(at(0), b'\r' | b'\n')
        || (at(0) == 0xC2 && at(1) == 0x85)
        || (at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9))
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    i >= b.len() || is_blank(b, i) || is_break(b, i) || b[i] == 0
}

/// go-yaml's `is_bom` looks at the start of the value whatever the index (so a value starting
/// with a byte order mark has every character escaped when double-quoted).
fn starts_with_bom(b: &[u8]) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

pub(crate) fn width(c: u8) -> usize {
    match c {
        c if c & 0x80 == 0 => 1,
        c if c & 0xE0 == 0xC0 => 2,
        c if c & 0xF0 == 0xE0 => 3,
        c if c & 0xF8 == 0xF0 => 4,
        _ => 1,
    }
}

pub(crate) fn analyze(value: &str) -> Analysis {
    let b = value.as_bytes();
    if b.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let (mut block_indicators, mut flow_indicators) = (false, false);
    if b.starts_with(b"---") || b.starts_with(b"...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let (mut line_breaks, mut special_characters) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let (mut previous_space, mut previous_break) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let w = width(b[i]);
        let followed_by_whitespace = i + w >= b.len() || is_blank(b, i + w);
        if i == 0 {
            match b[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
                | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match b[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        // the encoder sets `unicode`, so non-ASCII printable characters are not special
        if !is_printable(b, i) {
            special_characters = true;
        }
        if is_space(b, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == b.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(b, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == b.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(b, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

impl<M: Copy> Emitter<M> {
    pub(crate) fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        self.write_folded(value, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    pub(crate) fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded(value, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The body of `yaml_emitter_write_plain_scalar` and `yaml_emitter_write_single_quoted_scalar`,
    /// which differ only in that the quoted one never folds at its first or last character and
    /// doubles single quotes.
    fn write_folded(&mut self, value: &str, allow_breaks: bool, single_quoted: bool) {
        let b = value.as_bytes();
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                let inner = !single_quoted || (i > 0 && i < b.len() - 1);
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner && !is_space(b, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if single_quoted && b[i] == b'\'' {
                    self.put('\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    pub(crate) fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let b = value.as_bytes();
        let bom = starts_with_bom(b);
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            if !is_printable(b, i) || bom || is_break(b, i) || b[i] == b'"' || b[i] == b'\\' {
                let w = width(b[i]);
                let c = value[i..].chars().next().unwrap_or('\0');
                i += w;
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0b}' => self.put('v'),
                    '\u{0c}' => self.put('f'),
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
                        let (letter, digits) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for ch in format!("{v:0digits$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if is_space(b, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < b.len() - 1 {
                    self.write_indent();
                    if is_space(b, i + 1) {
                        self.put('\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    pub(crate) fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // `yaml_emitter_write_block_scalar_hints`
        let b = value.as_bytes();
        if is_space(b, 0) || is_break(b, 0) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = if b.is_empty() {
            Some("-")
        } else {
            let mut i = b.len() - 1;
            while i > 0 && b[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(b, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                let mut j = i - 1;
                while j > 0 && b[j] & 0xC0 == 0x80 {
                    j -= 1;
                }
                is_break(b, j).then_some("+")
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < b.len() {
            if is_break(b, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}
