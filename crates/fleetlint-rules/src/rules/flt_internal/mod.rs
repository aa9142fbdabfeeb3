//! FLT: fleetlint itself. Not checks: findings the engine makes when a rule fails.

pub(crate) mod internal_error;
