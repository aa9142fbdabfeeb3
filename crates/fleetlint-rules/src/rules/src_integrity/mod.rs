//! SRC: source and path integrity.

pub(crate) mod helpers;

pub(crate) mod duplicate_object_identity;
pub(crate) mod flux_path_cycle;
pub(crate) mod helm_chart_path_missing;
pub(crate) mod invalid_yaml;
pub(crate) mod kustomization_path_missing;
pub(crate) mod kustomize_build_input_invalid;
pub(crate) mod namespace_not_specified;
pub(crate) mod namespace_object_renamed;
pub(crate) mod patch_target_unmatched;
pub(crate) mod postbuild_substitution_unresolved;
pub(crate) mod remote_kustomize_resource;
pub(crate) mod sops_secret_without_decryption;
pub(crate) mod source_not_mapped;
pub(crate) mod unresolved_reference;
