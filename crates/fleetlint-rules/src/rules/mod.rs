//! The rules, one file each, grouped as the catalog groups them.

pub(crate) mod hygiene;
pub(crate) mod integrity;
