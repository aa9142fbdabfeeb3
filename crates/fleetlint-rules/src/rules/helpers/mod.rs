//! What rules of several groups share: the controllers' lockdown flags, the Flux distribution.

pub(crate) mod distribution;
pub(crate) mod lockdown;
