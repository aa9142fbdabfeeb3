//! What the SRC rules share: fleetlint's markers on objects that are not applied, and every
//! reference a Flux object makes to another object.

pub(crate) mod markers;
pub(crate) mod references;
