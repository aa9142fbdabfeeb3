//! HYG: hygiene.

pub(crate) mod duplicate_key;
pub(crate) mod yaml_resource_limit;
