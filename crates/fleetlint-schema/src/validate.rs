//! Validating one positioned object and turning the validator's errors into findings a user can
//! act on: the field path, what was expected and what was found, at the text that wrote it.

use std::sync::Arc;

use fleetlint_yaml::{FieldPath, Node, PathSegment, Span};
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::catalog::{Compiled, SchemaSet, SchemaSource, Unvalidated};
use crate::describe::{describe_pattern, describe_types, describe_value, suggest};

/// What kind of problem a [`SchemaError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A field the schema does not define (reported apart from the others: strict validation).
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A value of the wrong JSON type.
    WrongType,
    /// A value of the right type that violates a constraint (enum, pattern, bounds, ...).
    InvalidValue,
}

/// One schema error of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaError {
    /// What kind of problem.
    pub kind: ErrorKind,
    /// The offending field: the unknown field, the missing field, or the invalid value.
    pub path: FieldPath,
    /// Where to point: the unknown key, the invalid value, or for a missing field the nearest
    /// existing ancestor key.
    pub span: Span,
    /// What the schema expects, in words (`a string`, `one of "a", "b"`, `the field "sourceRef"`).
    pub expected: String,
    /// What was found, in words, when there is a value.
    pub found: Option<String>,
    /// A likely intended field name, for an unknown field.
    pub suggestion: Option<String>,
}

impl SchemaError {
    /// A one-line description: `spec.interval: expected a duration ..., found the number 5`.
    #[must_use]
    pub fn message(&self) -> String {
        match self.kind {
            ErrorKind::UnknownField => {
                let hint = self.suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                format!("unknown field `{}`{hint}", self.path)
            }
            ErrorKind::MissingField => format!("missing required field `{}`", self.path),
            ErrorKind::WrongType | ErrorKind::InvalidValue => match &self.found {
                Some(found) => format!("`{}`: expected {}, found {found}", self.path, self.expected),
                None => format!("`{}`: expected {}", self.path, self.expected),
            },
        }
    }
}

/// The result of validating one object.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The object was validated; `errors` is empty when it is valid.
    Validated {
        /// The schema used.
        source: SchemaSource,
        /// Its errors, in the validator's order.
        errors: Vec<SchemaError>,
    },
    /// The object could not be validated.
    Unvalidated(Unvalidated),
}

/// Options of [`SchemaSet::validate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidateOptions<'a> {
    /// Fields another check reports (API002's removed or deprecated fields): errors at or below
    /// these paths are dropped, so one problem is not reported twice.
    pub reported_elsewhere: &'a [FieldPath],
}

/// A value still holding a Flux post-build variable (`${var}`, `${var:=default}`): substitution
/// did not resolve it (another finding says so), so its final type is unknown.
fn is_placeholder(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.contains("${"))
}

/// A value SOPS encrypted (`ENC[AES256_GCM,data:...,type:int]`): decrypted at apply time, so its
/// type and content are unknown here.
fn is_encrypted(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("ENC[") && s.ends_with(']'))
}

fn to_path(location: &jsonschema::paths::Location) -> FieldPath {
    location
        .iter()
        .map(|seg| match seg {
            LocationSegment::Property(p) => PathSegment::Key(p.into_owned()),
            LocationSegment::Index(i) => PathSegment::Index(i),
        })
        .collect()
}

fn value_at<'v>(root: &'v Value, path: &FieldPath) -> Option<&'v Value> {
    path.segments().iter().try_fold(root, |v, seg| match seg {
        PathSegment::Key(k) => v.get(k.as_str()),
        PathSegment::Index(i) => v.get(*i),
    })
}

impl SchemaSet {
    /// Validate `object` against the schema of its `apiVersion` and `kind`.
    #[must_use]
    pub fn validate(&self, object: &Node, options: &ValidateOptions<'_>) -> Outcome {
        let (Some(api_version), Some(kind)) =
            (object.get("apiVersion").and_then(Node::as_str), object.get("kind").and_then(Node::as_str))
        else {
            return Outcome::Unvalidated(Unvalidated::NoTypeMeta);
        };
        let (source, compiled) = match self.validator(api_version, kind) {
            Ok(found) => found,
            Err(why) => return Outcome::Unvalidated(why),
        };
        Outcome::Validated { source, errors: check(&compiled, object, options) }
    }
}

fn check(compiled: &Compiled, object: &Node, options: &ValidateOptions<'_>) -> Vec<SchemaError> {
    let json = object.to_json();
    if compiled.validator.is_valid(&json) {
        return Vec::new();
    }
    let ctx = Ctx { object, json: &json, compiled, options };
    let mut errors = Vec::new();
    for e in compiled.validator.iter_errors(&json) {
        ctx.convert(&e, &mut errors);
    }
    errors.dedup();
    errors
}

/// A JSON Schema of the caller's (a fleetlint policy's assertion), compiled once and checked
/// against positioned objects exactly as [`SchemaSet::validate`] checks them: the same error
/// kinds, wording, spans, placeholder and SOPS handling, and the extension keywords
/// `minDuration`/`maxDuration`. Cheap to clone; usable from many threads.
#[derive(Clone)]
pub struct Assertion(Arc<Compiled>);

impl std::fmt::Debug for Assertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Assertion").field(&self.0.schema).finish()
    }
}

impl Assertion {
    /// Compile a draft 2020-12 schema.
    ///
    /// # Errors
    /// The compiler's message when the schema is invalid (a bad regular expression, an unknown
    /// `$ref`, a malformed extension keyword).
    pub fn compile(schema: &Value) -> Result<Self, String> {
        Compiled::new(Arc::new(schema.clone())).map(|c| Self(Arc::new(c)))
    }

    /// The errors of `object` (empty when it satisfies the schema).
    #[must_use]
    pub fn check(&self, object: &Node, options: &ValidateOptions<'_>) -> Vec<SchemaError> {
        check(&self.0, object, options)
    }
}

struct Ctx<'a> {
    object: &'a Node,
    json: &'a Value,
    compiled: &'a Compiled,
    options: &'a ValidateOptions<'a>,
}

impl Ctx<'_> {
    fn encrypted(&self) -> bool {
        self.json.get("sops").is_some()
    }

    fn elsewhere(&self, path: &FieldPath) -> bool {
        self.options.reported_elsewhere.iter().any(|p| path.starts_with(p))
    }

    fn push(&self, out: &mut Vec<SchemaError>, mut error: SchemaError) {
        if self.elsewhere(&error.path) {
            return;
        }
        let located = self.object.locate(&error.path);
        error.span = match error.kind {
            ErrorKind::UnknownField => located.key_span(),
            _ => located.value_span(),
        };
        out.push(error);
    }

    fn error(kind: ErrorKind, path: FieldPath, expected: String, found: Option<String>) -> SchemaError {
        SchemaError { kind, path, span: Span::default(), expected, found, suggestion: None }
    }

    fn convert(&self, e: &ValidationError<'_>, out: &mut Vec<SchemaError>) {
        let path = to_path(e.instance_path());
        let instance = value_at(self.json, &path).unwrap_or(&Value::Null);
        let found = || Some(describe_value(instance));
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for key in unexpected {
                    // SOPS keeps its metadata in a top-level `sops` key of every file it encrypts.
                    if path.is_empty() && key == "sops" && self.encrypted() {
                        continue;
                    }
                    let mut err =
                        Self::error(ErrorKind::UnknownField, path.child_key(key.clone()), String::new(), None);
                    err.suggestion = suggest(&self.compiled.schema, &path, key);
                    self.push(out, err);
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
                let expected = format!("the field `{name}`");
                self.push(out, Self::error(ErrorKind::MissingField, path.child_key(name), expected, None));
            }
            _ if is_placeholder(instance) || (self.encrypted() && is_encrypted(instance)) => {}
            ValidationErrorKind::Type { kind } => {
                let types: Vec<_> = match kind {
                    TypeKind::Single(t) => vec![*t],
                    TypeKind::Multiple(set) => set.iter().collect(),
                };
                self.push(out, Self::error(ErrorKind::WrongType, path, describe_types(&types), found()));
            }
            ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
                self.alternatives(path, context, instance, out);
            }
            kind => {
                let expected = expected_words(kind);
                self.push(out, Self::error(ErrorKind::InvalidValue, path, expected, found()));
            }
        }
    }

    /// An `anyOf`/`oneOf` no branch of which matched: report the branch that explains it.
    fn alternatives(
        &self,
        path: FieldPath,
        context: &[Vec<ValidationError<'static>>],
        instance: &Value,
        out: &mut Vec<SchemaError>,
    ) {
        // The converter's `anyOf: [{type: null}, ...]` wrapper: its null branch never explains.
        let branches: Vec<&Vec<ValidationError<'static>>> = context
            .iter()
            .filter(|errs| {
                !errs.iter().all(|e| {
                    matches!(e.kind(), ValidationErrorKind::Type { kind: TypeKind::Single(jsonschema::JsonType::Null) })
                })
            })
            .collect();
        if let [only] = branches.as_slice() {
            for e in only.iter() {
                self.convert(e, out);
            }
            return;
        }
        let mut types = Vec::new();
        let all_types = branches.iter().all(|errs| {
            errs.iter().all(|e| match e.kind() {
                ValidationErrorKind::Type { kind } if to_path(e.instance_path()) == path => {
                    match kind {
                        TypeKind::Single(t) => types.push(*t),
                        TypeKind::Multiple(set) => types.extend(set.iter()),
                    }
                    true
                }
                _ => false,
            })
        });
        let (kind, expected) = if all_types && !types.is_empty() {
            (ErrorKind::WrongType, describe_types(&types))
        } else {
            (ErrorKind::InvalidValue, format!("a value matching one of {} allowed forms", context.len()))
        };
        self.push(out, Self::error(kind, path, expected, Some(describe_value(instance))));
    }
}

fn expected_words(kind: &ValidationErrorKind) -> String {
    use ValidationErrorKind as K;
    let quote_all = |options: &Value| {
        let items: Vec<String> = options
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| !v.is_null())
            .map(|v| format!("`{}`", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        items.join(", ")
    };
    match kind {
        K::Enum { options } => format!("one of {}", quote_all(options)),
        K::Constant { expected_value } => format!("exactly `{expected_value}`"),
        K::Pattern { pattern } => describe_pattern(pattern),
        K::Minimum { limit } => format!("a number of at least {limit}"),
        K::Maximum { limit } => format!("a number of at most {limit}"),
        K::ExclusiveMinimum { limit } => format!("a number greater than {limit}"),
        K::ExclusiveMaximum { limit } => format!("a number less than {limit}"),
        K::MinLength { limit } => format!("at least {limit} character(s)"),
        K::MaxLength { limit } => format!("at most {limit} character(s)"),
        K::MinItems { limit } => format!("at least {limit} item(s)"),
        K::MaxItems { limit } => format!("at most {limit} item(s)"),
        K::MinProperties { limit } => format!("at least {limit} field(s)"),
        K::MaxProperties { limit } => format!("at most {limit} field(s)"),
        K::MultipleOf { multiple_of } => format!("a multiple of {multiple_of}"),
        K::UniqueItems => "items without duplicates".to_owned(),
        K::OneOfMultipleValid { .. } => "a value matching exactly one allowed form (it matches several)".to_owned(),
        K::Not { .. } => "a value the schema does not exclude".to_owned(),
        K::FalseSchema => "no value here".to_owned(),
        K::Custom { message, .. } => message.clone(),
        other => format!("a value satisfying `{}`", keyword_name(other)),
    }
}

fn keyword_name(kind: &ValidationErrorKind) -> &'static str {
    use ValidationErrorKind as K;
    match kind {
        K::Contains => "contains",
        K::Format { .. } => "format",
        K::PropertyNames { .. } => "propertyNames",
        K::AdditionalItems { .. } | K::UnevaluatedItems { .. } => "items",
        _ => "the schema",
    }
}
