//! SCH: schema.

pub(crate) mod helpers;
pub(crate) mod replaced;
pub(crate) mod schema_unknown_kind;
pub(crate) mod schema_violation;
pub(crate) mod unknown_field;
