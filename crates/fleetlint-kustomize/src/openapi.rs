//! The `openapi:` field, as kustomize v5.5 applies it through kyaml's global schema
//! (`openapi.SetSchema`):
//!
//! - the top kustomization's field decides for the whole build: `path` loads a custom schema
//!   that *replaces* the built-in one (for strategic merge patches in every base too),
//!   `version` may only name the built-in `v1.21.2` (or be empty), and both together are an
//!   error;
//! - a base's or component's field only counts when the top set no schema, and then the first
//!   one met switches the rest of the build, with a result that depends on whether kyaml had
//!   already loaded its built-in schema. That is not modelled: such a `path` is reported as a
//!   non-fatal, incomplete issue (an invalid `version` there is fatal, as in kustomize);
//! - every kustomization's `path` must exist (kustomize reads it before deciding to ignore it);
//! - a schema kyaml cannot decode makes kustomize panic when it first consults it: fatal.
//!
//! Not modelled: the namespace scope kyaml derives from a custom schema's `paths`.

use fleetlint_yaml::{FileId, Limits, Span, parse_yaml};
use serde_json::Value;

use crate::issue::BuildIssue;
use crate::kustfile::Kustomization;
use crate::patch::{CustomSchema, SchemaSource};

/// The only OpenAPI version kustomize v5.5 has built in.
const BUILTIN_VERSION: &str = "v1.21.2";

/// A kustomization's `openapi` field.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct OpenApi {
    /// `version`, with its span.
    pub(crate) version: Option<(String, Span)>,
    /// `path`, with its span.
    pub(crate) path: Option<(String, Span)>,
    /// The field's span.
    pub(crate) span: Span,
}

impl OpenApi {
    /// Read `k`'s field; `Ok(None)` when absent. kustomize decodes it as a map of strings.
    pub(crate) fn of(k: &Kustomization) -> Result<Option<Self>, BuildIssue> {
        let Some(node) = k.root.get("openapi").filter(|n| !n.is_null()) else { return Ok(None) };
        let Some(entries) = node.as_map() else {
            return Err(BuildIssue::invalid(
                node.span,
                true,
                "invalid Kustomization: openapi must be a map of strings",
            ));
        };
        let mut out = Self { span: node.span, ..Self::default() };
        for e in entries {
            let value = match e.value.as_scalar() {
                Some(s) if s.value == fleetlint_yaml::ScalarValue::Str => s.text.to_string(),
                _ if e.value.is_null() => String::new(),
                _ => {
                    return Err(BuildIssue::invalid(
                        e.value.span,
                        true,
                        "invalid Kustomization: openapi values must be strings (quote them)",
                    ));
                }
            };
            match e.key.as_str() {
                Some("version") => out.version = Some((value, e.value.span)),
                Some("path") => out.path = Some((value, e.value.span)),
                _ => {}
            }
        }
        Ok(Some(out))
    }

    /// Whether kyaml's schema counts as set after this field (`SetSchema`'s `schemaIsSet`).
    pub(crate) fn sets_schema(&self) -> bool {
        self.path.is_some() || self.version.as_ref().is_some_and(|(v, _)| !v.is_empty())
    }

    /// The error `SetSchema` returns for this field, if any.
    pub(crate) fn error(&self) -> Option<BuildIssue> {
        if self.path.is_some() && self.version.is_some() {
            return Some(BuildIssue::invalid(
                self.span,
                true,
                "builtin version and custom schema provided, cannot use both",
            ));
        }
        match &self.version {
            Some((v, span)) if !v.is_empty() && v != BUILTIN_VERSION && self.path.is_none() => {
                Some(BuildIssue::invalid(
                    *span,
                    true,
                    format!(
                        "the specified OpenAPI version {v:?} is not built in (kustomize has only {BUILTIN_VERSION})"
                    ),
                ))
            }
            _ => None,
        }
    }
}

/// One kustomization's `openapi` met below the top, in kustomize's loading order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Nested {
    /// The kustomization's directory.
    pub(crate) dir: String,
    /// Its field.
    pub(crate) field: OpenApi,
}

/// Issues for the `openapi` fields of bases and components, given the top's field.
pub(crate) fn nested_issues(top: Option<&OpenApi>, top_dir: &str, nested: &[Nested]) -> Vec<BuildIssue> {
    if top.is_some_and(OpenApi::sets_schema) {
        return Vec::new();
    }
    for n in nested.iter().filter(|n| n.dir != top_dir) {
        if let Some(e) = n.field.error() {
            return vec![e];
        }
        if let Some((p, span)) = &n.field.path {
            return vec![BuildIssue::invalid(
                *span,
                false,
                format!(
                    "openapi path {p:?} of {:?}: kustomize switches the rest of the build to this schema (the top \
                     kustomization sets none); fleetlint applies it only when this directory is built itself",
                    n.dir
                ),
            )];
        }
        if n.field.sets_schema() {
            break;
        }
    }
    Vec::new()
}

/// Content kustomize reads as JSON when it starts with `{`, else as YAML (the first document).
pub(crate) fn json_or_yaml(bytes: &[u8]) -> Result<Value, String> {
    if bytes.first() == Some(&b'{') {
        return serde_json::from_slice(bytes).map_err(|e| e.to_string());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let parsed = parse_yaml(FileId::SYNTHETIC, text, &Limits::default());
    if parsed.is_broken() {
        let at = parsed.issues.iter().find(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar));
        return Err(format!("invalid YAML{}", at.map(|i| format!(": {:?}", i.kind)).unwrap_or_default()));
    }
    Ok(parsed.documents.first().map_or(Value::Null, |d| d.root.to_json()))
}

/// The schema source of a build whose top kustomization has `field`; `read` loads a path
/// relative to the top directory. Problems (a missing file is reported where every
/// kustomization's field is checked) leave the built-in schema in force.
pub(crate) fn top_schema(
    field: Option<&OpenApi>,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> (SchemaSource, Option<BuildIssue>) {
    let Some(field) = field else { return (SchemaSource::BUILTIN, None) };
    if let Some(e) = field.error() {
        return (SchemaSource::BUILTIN, Some(e));
    }
    let Some((path, span)) = &field.path else { return (SchemaSource::BUILTIN, None) };
    let Some(bytes) = read(path) else { return (SchemaSource::BUILTIN, None) };
    match json_or_yaml(&bytes).and_then(|doc| CustomSchema::from_json(&doc)) {
        Ok(schema) => (SchemaSource::custom(schema), None),
        Err(e) => (
            SchemaSource::BUILTIN,
            Some(BuildIssue::invalid(*span, true, format!("invalid schema file {path}: {e} (kustomize panics on it)"))),
        ),
    }
}
