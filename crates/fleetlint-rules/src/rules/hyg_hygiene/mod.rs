//! HYG: hygiene.

pub(crate) mod destructive_change;
pub(crate) mod duplicate_key;
pub(crate) mod gitrepository_implicit_branch;
pub(crate) mod healthcheck_reference_invalid;
pub(crate) mod invalid_suppression;
pub(crate) mod plaintext_secret;
pub(crate) mod prune_unprotected_critical_object;
pub(crate) mod yaml_ambiguous_scalar;
pub(crate) mod yaml_resource_limit;
