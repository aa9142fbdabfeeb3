//! `# fleetlint: ignore[CODE, ...] reason` comments.
//!
//! They are collected with their positions while parsing; the rule engine decides what they
//! silence (the finding on the same line, or on the next line for an own-line comment).
//! Malformed ones are kept too, so HYG008 can report them instead of silently ignoring them.

use crate::files::Span;

/// A suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The codes it names.
    pub codes: Vec<String>,
    /// The reason given after the bracket (mandatory by convention).
    pub reason: Option<String>,
    /// The whole comment.
    pub span: Span,
    /// Why the comment is not a valid suppression, when it is not.
    pub problem: Option<String>,
}

/// Parse the body of a comment (the text after `#`). Returns `None` for comments that are not
/// addressed to fleetlint.
#[must_use]
pub(crate) fn parse_suppression(body: &str, span: Span) -> Option<Suppression> {
    let rest = body.trim_start().strip_prefix("fleetlint:")?.trim_start();
    let mut s = Suppression { codes: Vec::new(), reason: None, span, problem: None };
    let Some(rest) = rest.strip_prefix("ignore") else {
        s.problem = Some("expected `ignore[CODE] reason` after `fleetlint:`".into());
        return Some(s);
    };
    let Some(rest) = rest.strip_prefix('[') else {
        s.problem = Some("expected `[CODE]` after `ignore`".into());
        return Some(s);
    };
    let Some(close) = rest.find(']') else {
        s.problem = Some("missing `]` after the rule codes".into());
        return Some(s);
    };
    for code in rest[..close].split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let valid = code.len() >= 5
            && code.bytes().take_while(u8::is_ascii_uppercase).count() >= 2
            && code.bytes().rev().take(3).all(|b| b.is_ascii_digit());
        if !valid && s.problem.is_none() {
            s.problem = Some(format!("`{code}` is not a rule code"));
        }
        s.codes.push(code.to_string());
    }
    if s.codes.is_empty() {
        s.problem = Some("no rule code between the brackets".into());
    }
    let reason = rest[close + 1..].trim();
    if reason.is_empty() {
        s.problem.get_or_insert_with(|| "a reason is required after the codes".into());
    } else {
        s.reason = Some(reason.to_string());
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_reason() {
        let s =
            parse_suppression(" fleetlint: ignore[XNS001, ISO004] shared source by design", Span::default()).unwrap();
        assert_eq!(s.codes, ["XNS001", "ISO004"]);
        assert_eq!(s.reason.as_deref(), Some("shared source by design"));
        assert!(s.problem.is_none());
    }

    #[test]
    fn flags_malformed() {
        assert!(parse_suppression(" fleetlint: ignore[XNS001]", Span::default()).unwrap().problem.is_some());
        assert!(parse_suppression(" fleetlint: ignore XNS001 x", Span::default()).unwrap().problem.is_some());
        assert!(parse_suppression(" fleetlint: ignore[nope] x", Span::default()).unwrap().problem.is_some());
        assert!(parse_suppression(" just a comment", Span::default()).is_none());
    }
}
