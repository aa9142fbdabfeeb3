//! SRC: source and path integrity.

pub(crate) mod invalid_yaml;
