//! fleetlint-policy: declarative policies a platform team writes without Rust.
//!
//! A policy is one YAML document (`policies/README.md` documents the format): a code, a name, a
//! severity, a description, a `match` over the object and its context (kinds, namespaces and
//! names, tenant or platform scope, tenants, clusters, owners) and an `assert`, a JSON Schema
//! (draft 2020-12, plus the `minDuration`/`maxDuration` extension keywords) the object must
//! satisfy. Each schema error is a [`Violation`] at the failing value's position (the nearest
//! existing key for an absent one), worded by `fleetlint-schema` or by the policy's `message`.
//!
//! The built-in pack ([`builtin_pack`]) ships in the binary with codes POL100-POL899; policies
//! of users ([`load_file`]) take their own code prefix, which may not be one of the built-in
//! rules' (the caller names them: this crate knows no rule codes). Why a separate crate: the
//! format, its strict loader, the context matching and the embedded pack are a concern of their
//! own; the JSON Schema checking and its wording are `fleetlint-schema`'s, reused as they are.

mod format;
mod matcher;
mod pack;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fleetlint_schema::{Assertion, SchemaError, ValidateOptions};
use fleetlint_yaml::{FieldPath, FileId, Limits, LoadIssueKind, Node, Span, parse_yaml};
use serde_json::Value;

pub use format::{LoadError, Severity};
pub use matcher::{Context, Match, Scope};
pub use pack::{BUILTIN_FILES, builtin_pack};

/// Where a policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The built-in pack (codes POL100-POL899).
    BuiltIn,
    /// A directory the user names.
    User,
}

/// How user policies are checked when loaded.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions<'a> {
    /// Code prefixes user policies may not take (those of fleetlint's own rules).
    pub reserved_prefixes: &'a [&'a str],
}

/// The placeholders an `assert` may hold; replaced by the object's context before checking.
const ASSERT_PLACEHOLDERS: &[&str] = &["tenant", "cluster", "namespace", "name"];
/// The placeholders a `message` may hold.
const MESSAGE_PLACEHOLDERS: &[&str] = &["path", "expected", "found", "kind", "name", "namespace", "tenant", "cluster"];

/// `{{ word }}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        out.push(rest[start + 2..start + end].trim());
        rest = &rest[start + end + 2..];
    }
    out
}

fn fill(text: &str, values: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        out.push_str(&rest[..start]);
        let key = rest[start + 2..start + end].trim();
        out.push_str(&values(key).unwrap_or_default());
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn fill_json(v: &Value, values: &dyn Fn(&str) -> Option<String>) -> Value {
    match v {
        Value::String(s) if s.contains("{{") => Value::String(fill(s, values)),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_json(i, values)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), fill_json(x, values))).collect()),
        other => other.clone(),
    }
}

#[derive(Debug)]
enum Compiled {
    Fixed(Assertion),
    /// A built-in policy's `assert`, compiled on first use: a run meets only some of the pack's
    /// kinds and scopes, and compiling all of it was a twentieth of a small repository's check
    /// (issue 13). That each compiles is proven by the pack's fixtures (`tests/pack.rs`).
    Deferred {
        raw: Value,
        compiled: OnceLock<Option<Assertion>>,
    },
    /// An `assert` with context placeholders: compiled once per distinct filled-in schema.
    Templated {
        raw: Value,
        cache: Mutex<HashMap<String, Assertion>>,
    },
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The code (`POL101`, `ACME001`).
    pub code: String,
    /// The kebab-case name.
    pub name: String,
    /// The default severity.
    pub severity: Severity,
    /// What it checks and why (Markdown): `explain` and the docs.
    pub description: String,
    /// How to fix a violation.
    pub help: Option<String>,
    /// Built in or the user's.
    pub origin: Origin,
    /// Where the policy's `code` is written.
    pub span: Span,
    /// Which objects it applies to.
    pub matcher: Match,
    message: Option<String>,
    assertion: Arc<Compiled>,
}

/// An object that does not satisfy a policy's assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The policy's message, or the schema error in words.
    pub message: String,
    /// The failing value's path.
    pub path: FieldPath,
    /// Where it is (the nearest existing key when it is absent).
    pub span: Span,
}

fn built_in_code(code: &str) -> bool {
    code.strip_prefix("POL").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (100..=899).contains(&n))
}

/// Read the policy documents of one file. Every problem is a [`LoadError`] at its position.
#[must_use]
pub fn load_file(file: FileId, text: &str, origin: Origin, options: &LoadOptions<'_>) -> (Vec<Policy>, Vec<LoadError>) {
    let parsed = parse_yaml(file, text, &Limits::default());
    let mut errors: Vec<LoadError> = parsed
        .issues
        .iter()
        .filter_map(|i| {
            let message = match &i.kind {
                LoadIssueKind::AmbiguousScalar => return None,
                LoadIssueKind::Syntax(m) => format!("invalid YAML: {m}"),
                LoadIssueKind::DuplicateKey { key, .. } => format!("`{key}` is written twice"),
                other => format!("unreadable policy file: {other:?}"),
            };
            Some(LoadError { span: i.span, message })
        })
        .collect();
    let mut policies = Vec::new();
    for doc in parsed.documents.iter().filter(|d| !d.root.is_null()) {
        match load_document(&doc.root, origin, options) {
            Ok(p) => policies.push(p),
            Err(e) => errors.extend(e),
        }
    }
    (policies, errors)
}

/// Read one policy document.
///
/// # Errors
/// Every problem of the document, at its position.
pub fn load_document(doc: &Node, origin: Origin, options: &LoadOptions<'_>) -> Result<Policy, Vec<LoadError>> {
    let p = format::parse(doc)?;
    let mut errors = Vec::new();
    let err = |span, message: String| LoadError { span, message };
    match origin {
        Origin::BuiltIn if !built_in_code(&p.code) => {
            errors.push(err(p.code_span, format!("built-in policy codes are POL100-POL899, not `{}`", p.code)));
        }
        Origin::User if options.reserved_prefixes.iter().any(|r| p.code.starts_with(r)) => {
            errors.push(err(
                p.code_span,
                format!("`{}` uses a prefix of fleetlint's own rules; pick your own (e.g. `ACME001`)", p.code),
            ));
        }
        _ => {}
    }
    if let Some((m, span)) = &p.message {
        for ph in placeholders(m).into_iter().filter(|ph| !MESSAGE_PLACEHOLDERS.contains(ph)) {
            errors.push(err(
                *span,
                format!("unknown placeholder `{{{{ {ph} }}}}` in message (known: {})", MESSAGE_PLACEHOLDERS.join(", ")),
            ));
        }
    }
    let text = p.assert.to_string();
    let templated = text.contains("{{");
    for ph in placeholders(&text).into_iter().filter(|ph| !ASSERT_PLACEHOLDERS.contains(ph)) {
        errors.push(err(
            p.assert_span,
            format!("unknown placeholder `{{{{ {ph} }}}}` in assert (known: {})", ASSERT_PLACEHOLDERS.join(", ")),
        ));
    }
    // A templated schema is checked for validity with placeholders filled with a plain word.
    let assertion = if origin == Origin::BuiltIn && !templated {
        Some(Compiled::Deferred { raw: p.assert.clone(), compiled: OnceLock::new() })
    } else {
        let probe = if templated { fill_json(&p.assert, &|_| Some("x".to_owned())) } else { p.assert.clone() };
        match Assertion::compile(&probe) {
            Ok(a) if !templated => Some(Compiled::Fixed(a)),
            Ok(_) => Some(Compiled::Templated { raw: p.assert.clone(), cache: Mutex::default() }),
            Err(e) => {
                errors.push(err(p.assert_span, format!("`assert` is not a valid JSON Schema: {e}")));
                None
            }
        }
    };
    match assertion {
        Some(a) if errors.is_empty() => Ok(Policy {
            code: p.code,
            name: p.name,
            severity: p.severity,
            description: p.description,
            help: p.help,
            origin,
            span: p.code_span,
            matcher: p.matcher,
            message: p.message.map(|(m, _)| m),
            assertion: Arc::new(a),
        }),
        _ => Err(errors),
    }
}

/// Codes used by more than one policy, each reported at its second and later uses.
#[must_use]
pub fn duplicate_codes(policies: &[Policy]) -> Vec<LoadError> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut out = Vec::new();
    for p in policies {
        if seen.insert(&p.code, p.span).is_some() {
            out.push(LoadError { span: p.span, message: format!("policy code `{}` is used twice", p.code) });
        }
    }
    out
}

impl Policy {
    /// Whether the policy applies to `object` in `ctx`.
    #[must_use]
    pub fn applies(&self, object: &Node, ctx: &Context<'_>) -> bool {
        self.matcher.matches(object, ctx)
    }

    /// The violations of `object`, when the policy applies to it.
    #[must_use]
    pub fn check(&self, object: &Node, ctx: &Context<'_>) -> Vec<Violation> {
        if !self.applies(object, ctx) {
            return Vec::new();
        }
        let meta = |k: &str| object.get_path(&["metadata", k]).and_then(Node::as_str).map(str::to_owned);
        let context_value = |key: &str| match key {
            "tenant" => ctx.tenant.map(str::to_owned),
            "cluster" => Some(ctx.cluster.to_owned()),
            "namespace" => meta("namespace"),
            "name" => meta("name"),
            "kind" => object.get("kind").and_then(Node::as_str).map(str::to_owned),
            _ => None,
        };
        let errors = match &*self.assertion {
            Compiled::Fixed(a) => a.check(object, &ValidateOptions::default()),
            Compiled::Deferred { raw, compiled } => match compiled.get_or_init(|| Assertion::compile(raw).ok()) {
                Some(a) => a.check(object, &ValidateOptions::default()),
                None => return Vec::new(),
            },
            Compiled::Templated { raw, cache } => {
                let filled = fill_json(raw, &context_value);
                let key = filled.to_string();
                let cached = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned();
                let assertion = match cached {
                    Some(a) => a,
                    None => match Assertion::compile(&filled) {
                        Ok(a) => {
                            cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, a.clone());
                            a
                        }
                        // A context value that breaks the schema (a regex built from a name):
                        // the policy cannot be evaluated here; it never reports a guess.
                        Err(_) => return Vec::new(),
                    },
                };
                assertion.check(object, &ValidateOptions::default())
            }
        };
        errors.into_iter().map(|e| self.violation(e, &context_value)).collect()
    }

    fn violation(&self, e: SchemaError, context_value: &dyn Fn(&str) -> Option<String>) -> Violation {
        let message = match &self.message {
            Some(m) => fill(m, &|key| match key {
                "path" => Some(e.path.to_string()),
                "expected" => Some(e.expected.clone()),
                "found" => e.found.clone(),
                other => context_value(other),
            }),
            None => e.message(),
        };
        Violation { message, path: e.path, span: e.span }
    }
}
