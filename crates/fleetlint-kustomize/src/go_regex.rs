//! Go regular expressions (`regexp/syntax` with Go's default `Perl` flags) translated to the
//! `regex` crate's syntax, so a pattern matches what kustomize matches with it: patch and
//! replacement selectors (`group`, `version`, `kind`, `name`, `namespace`, kustomize
//! kubernetes-sigs/kustomize@afe7793676 `api/types/selector.go` `NewSelectorRegex`) and image
//! names (`api/filters/imagetag`).
//!
//! Where the two syntaxes differ (golang/go@08459da0 `src/regexp/syntax/parse.go`):
//! - a `{` that does not open a valid repetition (`{n}`, `{n,}`, `{n,m}`, no leading zeros) is a
//!   literal in Go (`parse`, case `'{'`); the `regex` crate rejects it;
//! - `\d`, `\s`, `\w` and `\b` are ASCII in Go (`perl_groups.go`), Unicode in the `regex` crate;
//! - `\Q...\E` quotes literally; octal escapes `\0`, `\123`; `\C` is an error;
//! - `\p{^Greek}` negates inside the braces;
//! - escaping any ASCII punctuation is allowed (`parseEscape`), and so is a `]` first in a
//!   class (`parseClass`);
//! - named groups may start with a digit (names do not change what matches; groups are kept
//!   as plain groups);
//! - repetition counts above 1000 are errors.
//!
//! Characters of classes and literals are written as `\x{..}` escapes so no character is
//! special on the other side.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A kustomize selector field compiled as kustomize compiles it (`anchorRegex`: `^(?:p)$`), `None`
/// for an empty field (which matches anything).
///
/// # Errors
/// Go's error when Go rejects the pattern.
pub(crate) fn anchored(pattern: &str) -> Result<Option<regex::Regex>, String> {
    if pattern.is_empty() {
        return Ok(None);
    }
    // The same selector recurs across clusters and overlays (a `flux-system` patch of every
    // cluster): each pattern is compiled once per process, a few hundred microseconds each
    // (issue 13). A `Regex` clone shares the compiled program.
    type Compiled = Result<regex::Regex, String>;
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(pattern) {
        return hit.clone().map(Some);
    }
    let compiled = translate(pattern).and_then(|t| regex::Regex::new(&format!("^(?:{t})$")).map_err(|e| e.to_string()));
    cache.lock().unwrap_or_else(PoisonError::into_inner).insert(pattern.to_owned(), compiled.clone());
    compiled.map(Some)
}

/// Translate a Go pattern; `Err` with Go's error when Go rejects the pattern.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut i = 0;
    let err = |code: &str, expr: &str| format!("error parsing regexp: {code}: `{expr}`");
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    i = perl_flags(&chars, i, &mut out).map_err(|e| err(e, pattern))?;
                } else {
                    out.push('(');
                    i += 1;
                }
            }
            '|' | ')' | '^' | '$' | '.' | '*' | '+' | '?' => {
                out.push(c);
                i += 1;
            }
            '{' => match parse_repeat(&chars[i..]) {
                Some((min, max, len)) => {
                    if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                        return Err(err("invalid repeat count", &chars[i..i + len].iter().collect::<String>()));
                    }
                    out.extend(&chars[i..i + len]);
                    i += len;
                }
                None => {
                    literal(&mut out, '{');
                    i += 1;
                }
            },
            '[' => i = class(&chars, i, &mut out).map_err(|e| err(e, pattern))?,
            '\\' => {
                let next = chars.get(i + 1).copied();
                match next {
                    Some('A') => out.push_str(r"\A"),
                    Some('z') => out.push_str(r"\z"),
                    Some('b') => out.push_str(r"(?-u:\b)"),
                    Some('B') => out.push_str(r"(?-u:\B)"),
                    Some('C') => return Err(err("invalid escape sequence", r"\C")),
                    Some('Q') => {
                        let rest: String = chars[i + 2..].iter().collect();
                        let (lit, after) = rest.split_once(r"\E").unwrap_or((&rest, ""));
                        for ch in lit.chars() {
                            literal(&mut out, ch);
                        }
                        i = chars.len() - after.chars().count();
                        continue;
                    }
                    Some('p' | 'P') => {
                        let (text, len) = unicode_class(&chars[i..]).map_err(|e| err(e, pattern))?;
                        out.push_str(&text);
                        i += len;
                        continue;
                    }
                    Some(p @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                        out.push('[');
                        if p.is_ascii_uppercase() {
                            out.push('^');
                        }
                        out.push_str(perl_class(p));
                        out.push(']');
                    }
                    _ => {
                        let (ch, len) = escape(&chars[i..]).map_err(|e| err(e, pattern))?;
                        literal(&mut out, ch);
                        i += len;
                        continue;
                    }
                }
                i += 2;
            }
            c => {
                literal(&mut out, c);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn literal(out: &mut String, c: char) {
    let _ = write!(out, r"\x{{{:X}}}", c as u32);
}

/// The ASCII ranges of Go's Perl classes, for use inside brackets.
fn perl_class(c: char) -> &'static str {
    match c.to_ascii_lowercase() {
        'd' => r"0-9",
        's' => r"\t\n\f\r ",
        _ => r"0-9A-Za-z_",
    }
}

/// `parseRepeat`: `{min}`, `{min,}` or `{min,max}` at the start; the length consumed. A number
/// that is too big gives `min == -1`.
fn parse_repeat(s: &[char]) -> Option<(i64, i64, usize)> {
    if s.first() != Some(&'{') {
        return None;
    }
    let mut i = 1;
    let int = |i: &mut usize| -> Option<i64> {
        let start = *i;
        if !s.get(*i)?.is_ascii_digit() {
            return None;
        }
        if s[*i] == '0' && s.get(*i + 1).is_some_and(char::is_ascii_digit) {
            return None;
        }
        while s.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        let text: String = s[start..*i].iter().collect();
        Some(text.parse::<i64>().ok().filter(|n| *n < 100_000_000).unwrap_or(-1))
    };
    let mut min = int(&mut i)?;
    let max;
    match s.get(i)? {
        ',' => {
            i += 1;
            if *s.get(i)? == '}' {
                max = -1;
            } else {
                max = int(&mut i)?;
                if max < 0 {
                    min = -1;
                }
            }
        }
        _ => max = min,
    }
    if s.get(i) != Some(&'}') {
        return None;
    }
    Some((min, max, i + 1))
}

/// `(?flags)`, `(?flags:`, `(?P<name>` and `(?<name>`; returns the index after them.
fn perl_flags(s: &[char], start: usize, out: &mut String) -> Result<usize, &'static str> {
    let rest = &s[start..];
    let named = if rest.get(2) == Some(&'P') && rest.get(3) == Some(&'<') {
        Some(4)
    } else if rest.get(2) == Some(&'<') {
        Some(3)
    } else {
        None
    };
    if let Some(name_start) = named {
        let end = rest.iter().position(|&c| c == '>').ok_or("invalid named capture")?;
        let name = &rest[name_start..end];
        if name.is_empty() || !name.iter().all(|c| *c == '_' || c.is_ascii_alphanumeric()) {
            return Err("invalid named capture");
        }
        out.push('(');
        return Ok(start + end + 1);
    }
    let mut i = 2;
    let mut negated = false;
    let mut saw_flag = false;
    let mut flags = String::new();
    while let Some(&c) = rest.get(i) {
        match c {
            'i' | 'm' | 's' | 'U' => {
                flags.push(c);
                saw_flag = true;
            }
            '-' if !negated => {
                negated = true;
                saw_flag = false;
                flags.push('-');
            }
            ':' | ')' => {
                if negated && !saw_flag {
                    return Err("invalid or unsupported Perl syntax");
                }
                out.push_str("(?");
                out.push_str(&flags);
                out.push(c);
                return Ok(start + i + 1);
            }
            _ => return Err("invalid or unsupported Perl syntax"),
        }
        i += 1;
    }
    Err("invalid or unsupported Perl syntax")
}

/// `\p{Name}`, `\pL`, `\P..`, `\p{^Name}`: the translated class and the length consumed.
fn unicode_class(s: &[char]) -> Result<(String, usize), &'static str> {
    let mut negated = s[1] == 'P';
    let (mut name, len) = match s.get(2) {
        Some('{') => {
            let end = s.iter().position(|&c| c == '}').ok_or("invalid character class range")?;
            (s[3..end].iter().collect::<String>(), end + 1)
        }
        Some(c) => (c.to_string(), 3),
        None => return Err("invalid character class range"),
    };
    if let Some(n) = name.strip_prefix('^') {
        negated = !negated;
        name = n.to_string();
    }
    // Go also knows `Any`, `Assigned` and `ASCII`; the regex crate knows them too.
    let p = if negated { 'P' } else { 'p' };
    let text = format!(r"\{p}{{{name}}}");
    if regex::Regex::new(&text).is_err() {
        return Err("invalid character class range");
    }
    Ok((text, len))
}

/// `parseEscape` outside the Perl and Unicode classes: the character and the length consumed.
fn escape(s: &[char]) -> Result<(char, usize), &'static str> {
    let Some(&c) = s.get(1) else { return Err("trailing backslash at end of expression") };
    let octal = |c: &char| ('0'..='7').contains(c);
    match c {
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, 2)),
        '1'..='7' if !s.get(2).is_some_and(octal) => Err("invalid escape sequence"),
        '0'..='7' => {
            let mut v = c.to_digit(8).unwrap_or(0);
            let mut i = 2;
            while i < 4 && s.get(i).is_some_and(octal) {
                v = v * 8 + s[i].to_digit(8).unwrap_or(0);
                i += 1;
            }
            Ok((char::from_u32(v).unwrap_or('\0'), i))
        }
        'x' => {
            if s.get(2) == Some(&'{') {
                let end = s.iter().position(|&c| c == '}').ok_or("invalid escape sequence")?;
                let hex: String = s[3..end].iter().collect();
                if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err("invalid escape sequence");
                }
                let v = u32::from_str_radix(&hex, 16).map_err(|_| "invalid escape sequence")?;
                return char::from_u32(v).map(|c| (c, end + 1)).ok_or("invalid escape sequence");
            }
            let hex: String = s.get(2..4).ok_or("invalid escape sequence")?.iter().collect();
            let v = u32::from_str_radix(&hex, 16).map_err(|_| "invalid escape sequence")?;
            Ok((char::from_u32(v).unwrap_or('\0'), 4))
        }
        'a' => Ok(('\u{07}', 2)),
        'f' => Ok(('\u{0c}', 2)),
        'n' => Ok(('\n', 2)),
        'r' => Ok(('\r', 2)),
        't' => Ok(('\t', 2)),
        'v' => Ok(('\u{0b}', 2)),
        _ => Err("invalid escape sequence"),
    }
}

/// `parseClass`: a bracketed class starting at `start`; returns the index after it.
fn class(s: &[char], start: usize, out: &mut String) -> Result<usize, &'static str> {
    let mut i = start + 1;
    out.push('[');
    if s.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    let mut items = 0;
    loop {
        let Some(&c) = s.get(i) else { return Err("missing closing ]") };
        if c == ']' && !first {
            break;
        }
        first = false;
        // POSIX `[:alpha:]` (ASCII in both syntaxes)
        if c == '[' && s.get(i + 1) == Some(&':') {
            let rest: String = s[i..].iter().collect();
            if let Some(end) = rest[2..].find(":]") {
                let name = &rest[..end + 4];
                if regex::Regex::new(&format!("[{name}]")).is_err() {
                    return Err("invalid character class range");
                }
                out.push_str(name);
                i += name.chars().count();
                items += 1;
                continue;
            }
        }
        if c == '\\' {
            match s.get(i + 1) {
                Some('p' | 'P') => {
                    let (text, len) = unicode_class(&s[i..])?;
                    out.push_str(&text);
                    i += len;
                    items += 1;
                    continue;
                }
                Some(p @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                    if p.is_ascii_uppercase() {
                        out.push_str("[^");
                        out.push_str(perl_class(*p));
                        out.push(']');
                    } else {
                        out.push_str(perl_class(*p));
                    }
                    i += 2;
                    items += 1;
                    continue;
                }
                _ => {}
            }
        }
        let (lo, len) = class_char(&s[i..])?;
        i += len;
        let mut hi = lo;
        if s.get(i) == Some(&'-') && s.get(i + 1).is_some_and(|c| *c != ']') {
            let (h, len) = class_char(&s[i + 1..])?;
            if h < lo {
                return Err("invalid character class range");
            }
            hi = h;
            i += 1 + len;
        }
        literal(out, lo);
        if hi != lo {
            out.push('-');
            literal(out, hi);
        }
        items += 1;
    }
    if items == 0 {
        return Err("missing closing ]");
    }
    out.push(']');
    Ok(i + 1)
}

/// `parseClassChar`: an escape or one character.
fn class_char(s: &[char]) -> Result<(char, usize), &'static str> {
    match s.first() {
        None => Err("missing closing ]"),
        Some('\\') => escape(s),
        Some(&c) => Ok((c, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        let re = regex::Regex::new(&format!("^(?:{})$", translate(pattern).unwrap())).unwrap();
        re.is_match(text)
    }

    #[test]
    fn go_literal_braces_and_escapes() {
        assert!(matches(r"app-\${suffix}", "app-${suffix}"));
        assert!(!matches(r"app-${suffix}", "app-${suffix}"));
        assert!(matches(r"a{2}", "aa"));
        assert!(matches(r"a{2,}", "aaa"));
        assert!(matches(r"a{,2}", "a{,2}"));
        assert!(matches(r"a{02}", "a{02}"));
        assert!(matches(r"x}", "x}"));
        assert!(matches(r"{", "{"));
        // the repetition applies to the last quoted character, as in Go
        assert!(matches(r"\Q.*\E+", ".**"));
        assert!(!matches(r"\Q.*\E+", ".*.*"));
        assert!(matches(r"\_\-\/", "_-/"));
        assert!(matches(r"\x41\x{42}\101", "ABA"));
    }

    #[test]
    fn classes_anchors_and_alternation() {
        assert!(matches("(Deployment|StatefulSet)", "StatefulSet"));
        assert!(matches("Deployment|StatefulSet", "Deployment"));
        assert!(!matches("Deploy", "Deployment"));
        assert!(matches("[]a]+", "]a]"));
        assert!(matches("[^]a]", "b"));
        assert!(matches("[a-]+", "a-a"));
        assert!(matches(r"[\d-]+", "1-2"));
        assert!(matches(r"\d+", "123"));
        assert!(!matches(r"\d", "٣"), "Go's \\d is ASCII");
        assert!(matches(r"[[:alpha:]]+", "abc"));
        assert!(matches(r"\p{Greek}+", "αβ"));
        assert!(matches(r"\p{^Greek}", "a"));
        assert!(matches(r"(?i)web", "WEB"));
        assert!(matches(r"(?P<n>a)(?<m>b)", "ab"));
        assert!(matches(r"[&&~~-]+", "&~-"));
        assert!(matches(r"^web$", "web"));
        assert!(matches(r"\bweb\b", "web"));
        assert!(!matches(r"\w+", "wéb"), "Go's \\w is ASCII");
    }

    #[test]
    fn go_rejects_what_go_rejects() {
        for p in [r"\1", r"a{1001}", r"\C", "(?x)a", "[a", r"\q", "[z-a]", r"\p{Nope}", "[]", "[~--]"] {
            assert!(translate(p).is_err(), "{p}");
        }
    }
}
