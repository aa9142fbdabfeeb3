//! The Flux Operator's `slugify`: `gosimple/slug.Make` (gosimple/slug@v1.15.0:slug.go
//! `MakeLang` with "en") with `slug.MaxLength = 63` and `slug.EnableSmartTruncate = true`
//! (flux-operator@17c6aea:internal/builder/resourceset.go `init`).
//!
//! Non-ASCII text goes through `gosimple/unidecode`'s transliteration tables, which fleetlint
//! does not carry: such input is reported as unsupported rather than guessed.

use super::{CallCtx, FnError, FnResult, arg_str};
use crate::value::Value;

const MAX_LENGTH: usize = 63;

/// `slug.Make` for ASCII input; `None` when the text needs transliteration.
#[must_use]
pub(super) fn slugify_str(s: &str) -> Option<String> {
    let s = s.trim();
    // English substitutions (languages_substitution.go enSub), applied per rune.
    let mut sub = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => sub.push_str("and"),
            '@' => sub.push_str("at"),
            c => sub.push(c),
        }
    }
    if !sub.is_ascii() {
        return None;
    }
    let lower = sub.to_ascii_lowercase();
    // Every character outside [a-zA-Z0-9-_] becomes '-', runs of '-' collapse, and '-'/'_' are
    // trimmed from both ends.
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_matches(|c| c == '-' || c == '_');
    Some(smart_truncate(out))
}

/// Cut at the last '-' at or before `MaxLength`, or at `MaxLength` (slug.go `smartTruncate`).
fn smart_truncate(text: &str) -> String {
    if text.len() <= MAX_LENGTH {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    for i in (0..=MAX_LENGTH).rev() {
        if bytes[i] == b'-' {
            return text[..i].to_string();
        }
    }
    text[..MAX_LENGTH].to_string()
}

pub(super) fn slugify(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = arg_str(&args, 0);
    slugify_str(s)
        .map(Value::str)
        .ok_or_else(|| FnError::Unsupported(format!("slugify of non-ASCII text {s:?} needs unidecode tables")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify_str("Hello World!").as_deref(), Some("hello-world"));
        assert_eq!(slugify_str("  feat/Add_Thing  ").as_deref(), Some("feat-add_thing"));
        assert_eq!(slugify_str("Tom & Jerry @ home").as_deref(), Some("tom-and-jerry-at-home"));
        assert_eq!(slugify_str("--x--").as_deref(), Some("x"));
        assert_eq!(slugify_str("żółw"), None);
        let long = "a".repeat(40) + "-" + &"b".repeat(40);
        assert_eq!(slugify_str(&long).unwrap(), "a".repeat(40));
        assert_eq!(slugify_str(&"c".repeat(70)).unwrap(), "c".repeat(63));
    }
}
