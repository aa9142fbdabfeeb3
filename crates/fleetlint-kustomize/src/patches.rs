//! Adapter between the resolver and the patch engine ([`crate::patch`]): the resolver decides
//! which objects a patch applies to (that needs kustomize's identity history); the engine
//! merges.

use fleetlint_yaml::{Node, Span};

use crate::patch::SchemaSource;
use crate::patch::strategic::{SmpOptions, SmpOutcome, apply_smp_to_resource};

/// Whether a patch's documents are one JSON 6902 operation list rather than strategic-merge
/// patches, as kustomize decides from content.
pub(crate) fn is_json6902(docs: &[Node]) -> bool {
    matches!(docs, [only] if only.as_seq().is_some())
}

/// Apply a strategic-merge patch the way kustomize's `Resource.ApplySmPatch` does. `Ok(true)`
/// means the object was deleted by the patch.
pub(crate) fn apply_strategic_merge(
    target: &mut Node,
    patch: &Node,
    allow_name_change: bool,
    allow_kind_change: bool,
    schemas: SchemaSource,
) -> Result<bool, (String, Span)> {
    let options = SmpOptions { allow_name_change, allow_kind_change, schemas };
    match apply_smp_to_resource(target, patch, options) {
        Ok(SmpOutcome::Deleted) => Ok(true),
        Ok(SmpOutcome::Merged) => Ok(false),
        Err(e) => Err((e.message, e.span)),
    }
}

/// Apply a JSON 6902 operation list.
pub(crate) fn apply_json6902(target: &mut Node, ops: &Node) -> Result<(), (String, Span)> {
    crate::patch::json6902::apply_json6902(target, ops).map_err(|e| (e.message, e.span))
}
