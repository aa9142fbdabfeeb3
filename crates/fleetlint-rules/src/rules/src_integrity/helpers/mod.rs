//! What the SRC rules share: fleetlint's markers on objects that are not applied, and the fleet
//! builder's issues as findings.

pub(crate) mod fleet_issues;
pub(crate) mod markers;
pub(crate) mod reach;
