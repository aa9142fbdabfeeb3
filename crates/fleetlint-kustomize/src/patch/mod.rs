//! Patches: strategic merge (with merge keys generated from the Kubernetes schemas), JSON 6902,
//! JSON merge for kinds without a schema, and target selection.
//!
//! - [`strategic`]: strategic merge patches as kustomize v5 (kyaml `merge2`) applies them;
//! - [`schema`]: the table types of merge keys and strategies; the built-in kinds' tables are
//!   generated ([`schema_for`]);
//! - [`custom`]: a custom schema (`openapi: {path: ...}`) replacing the built-in one, and
//!   [`SchemaSource`], which of the two applies;
//! - [`json6902`]: RFC 6902 operations on positioned trees;
//! - [`target`]: `patches[].target` selection and the implicit target of an SMP without one;
//! - [`detect`]: whether a patch document is a strategic merge patch or a JSON 6902 patch.
//!
//! Provenance is by construction: a value a patch writes is the patch's own node (with the patch
//! file's span); untouched values keep theirs.

use fleetlint_yaml::Span;

pub mod custom;
pub mod detect;
pub mod json6902;
pub mod schema;
pub mod strategic;
pub mod target;

#[cfg(test)]
mod golden_tests;

pub use crate::generated::schema_for;
pub use custom::{CustomSchema, SchemaSource};
pub use detect::{PatchKind, detect_patch};
pub use json6902::apply_json6902;
pub use schema::TypeSchema;
pub use strategic::{SmpOptions, SmpOutcome, apply_smp_to_resource, apply_strategic_merge, apply_strategic_merge_with};
pub use target::{Target, smp_implicit_target_matches};

/// A patch that cannot be applied, with the patch node at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError {
    /// What went wrong (kustomize's wording where it has one).
    pub message: String,
    /// The offending node of the patch (or of the target when the patch has none).
    pub span: Span,
}

impl PatchError {
    /// An error at `span`.
    #[must_use]
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Self { message: message.into(), span }
    }
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatchError {}
