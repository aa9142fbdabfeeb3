//! The policy file format: one YAML document per policy (see `policies/README.md`). Reading is
//! strict: an unknown key, a wrong type or a bad value is an error at its line.

use fleetlint_yaml::{Node, NodeKind, Span};
use serde_json::Value;

use crate::matcher::{Match, ScopeFilter};

/// A policy's default severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `error`.
    Error,
    /// `warning` (the default).
    Warning,
    /// `info`.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// Something wrong with a policy file, at its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Where (the offending key or value; the document when it is not a mapping).
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// The fields of a policy document, before its code is checked against where it comes from.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) code: String,
    pub(crate) code_span: Span,
    pub(crate) name: String,
    pub(crate) severity: Severity,
    pub(crate) description: String,
    pub(crate) help: Option<String>,
    pub(crate) message: Option<(String, Span)>,
    pub(crate) matcher: Match,
    pub(crate) assert: Value,
    pub(crate) assert_span: Span,
}

const KEYS: &[&str] = &["code", "name", "severity", "description", "help", "message", "match", "assert"];
const MATCH_KEYS: &[&str] =
    &["kinds", "namespaces", "excludeNamespaces", "names", "excludeNames", "scope", "tenants", "clusters", "owners"];

struct Reader {
    errors: Vec<LoadError>,
}

impl Reader {
    fn err(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(LoadError { span, message: message.into() });
    }

    fn keys<'a>(&mut self, node: &'a Node, allowed: &[&str], what: &str) -> Vec<(&'a str, &'a Node, Span)> {
        let Some(entries) = node.as_map() else {
            self.err(node.span, format!("{what} must be a mapping"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            let Some(k) = e.key.as_str() else {
                self.err(e.key.span, format!("{what}: keys must be strings"));
                continue;
            };
            if allowed.contains(&k) {
                out.push((k, &e.value, e.key.span));
            } else {
                self.err(e.key.span, format!("unknown key `{k}` in {what} (known: {})", allowed.join(", ")));
            }
        }
        out
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            NodeKind::Scalar(s) if !node.is_null() => Some(s.text.to_string()),
            _ => {
                self.err(node.span, format!("`{what}` must be a string"));
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, what: &str) -> Vec<String> {
        match node.as_seq() {
            Some(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            None => {
                self.err(node.span, format!("`{what}` must be a list of strings"));
                Vec::new()
            }
        }
    }
}

fn is_kebab(s: &str) -> bool {
    let mut parts = s.split('-');
    parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// `^[A-Z]{2,6}[0-9]{3}$`.
pub(crate) fn is_code(s: &str) -> bool {
    let letters = s.bytes().take_while(u8::is_ascii_uppercase).count();
    (2..=6).contains(&letters) && s.len() == letters + 3 && s.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

/// Read one policy document.
pub(crate) fn parse(doc: &Node) -> Result<Parsed, Vec<LoadError>> {
    let mut r = Reader { errors: Vec::new() };
    let mut code = None;
    let mut name = None;
    let mut severity = Severity::Warning;
    let mut description = None;
    let mut help = None;
    let mut message = None;
    let mut matcher = None;
    let mut assert = None;
    for (key, value, key_span) in r.keys(doc, KEYS, "a policy") {
        match key {
            "code" => {
                code = r.string(value, "code").map(|c| (c, value.span));
                if let Some((c, span)) = &code
                    && !is_code(c)
                {
                    r.err(
                        *span,
                        format!("`{c}` is not a code: two to six capital letters and three digits, e.g. `ACME101`"),
                    );
                }
            }
            "name" => {
                name = r.string(value, "name");
                if let Some(n) = &name
                    && !is_kebab(n)
                {
                    r.err(value.span, format!("`{n}` is not a name: lowercase words joined by `-`"));
                }
            }
            "severity" => match r.string(value, "severity").as_deref() {
                Some("error") => severity = Severity::Error,
                Some("warning") => severity = Severity::Warning,
                Some("info") => severity = Severity::Info,
                Some(other) => r.err(value.span, format!("severity `{other}` is not error, warning or info")),
                None => {}
            },
            "description" => description = r.string(value, "description"),
            "help" => help = r.string(value, "help"),
            "message" => message = r.string(value, "message").map(|m| (m, value.span)),
            "match" => matcher = Some(read_match(&mut r, value)),
            "assert" => {
                if value.as_map().is_none() && value.as_bool().is_none() {
                    r.err(value.span, "`assert` must be a JSON Schema (a mapping)");
                }
                assert = Some((value.to_json(), value.span));
            }
            _ => unreachable!("filtered by `keys`: {key} at {key_span:?}"),
        }
    }
    for (missing, present) in [
        ("code", code.is_some()),
        ("name", name.is_some()),
        ("description", description.is_some()),
        ("match", matcher.is_some()),
        ("assert", assert.is_some()),
    ] {
        if !present {
            r.err(doc.span, format!("a policy needs `{missing}`"));
        }
    }
    match (code, name, description, matcher, assert) {
        (Some((code, code_span)), Some(name), Some(description), Some(matcher), Some((assert, assert_span)))
            if r.errors.is_empty() =>
        {
            Ok(Parsed { code, code_span, name, severity, description, help, message, matcher, assert, assert_span })
        }
        _ => Err(r.errors),
    }
}

fn read_match(r: &mut Reader, node: &Node) -> Match {
    let mut m = Match::default();
    for (key, value, _) in r.keys(node, MATCH_KEYS, "`match`") {
        match key {
            "scope" => {
                m.scope = match r.string(value, "scope").as_deref() {
                    Some("tenant") => ScopeFilter::Tenant,
                    Some("platform") => ScopeFilter::Platform,
                    Some("any") | None => ScopeFilter::Any,
                    Some(other) => {
                        r.err(value.span, format!("scope `{other}` is not tenant, platform or any"));
                        ScopeFilter::Any
                    }
                }
            }
            list => {
                let values = r.strings(value, list);
                if let Err(e) = m.set(list, &values) {
                    r.err(value.span, e);
                }
            }
        }
    }
    if m.kinds.is_empty() {
        r.err(node.span, "`match.kinds` must name at least one kind (`*` for every kind)");
    }
    m
}
