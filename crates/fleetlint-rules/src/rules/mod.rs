//! The rules, one file each, grouped as the catalog groups them.

pub(crate) mod api;
pub(crate) mod crossns;
pub(crate) mod hygiene;
pub(crate) mod integrity;
pub(crate) mod isolation;
pub(crate) mod lockdown;
pub(crate) mod ordering;
pub(crate) mod scopes;
