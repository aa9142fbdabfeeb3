//! SRC: source and path integrity.

pub(crate) mod invalid_yaml;
pub(crate) mod kustomize_build_input_invalid;
pub(crate) mod patch_target_unmatched;
pub(crate) mod remote_kustomize_resource;
