//! What the API rules share: the API versions of the Flux kinds and the fields removed or
//! deprecated in them.

pub(crate) mod fields;
pub(crate) mod versions;
