//! API: API versions and deprecations.

pub(crate) mod helpers;

pub(crate) mod removed_or_deprecated_field;
pub(crate) mod unsupported_api_version;
