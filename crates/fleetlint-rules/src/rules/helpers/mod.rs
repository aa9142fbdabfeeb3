//! What rules of several groups share: the controllers' lockdown flags.

pub(crate) mod lockdown;
