//! What rules of several groups share: the controllers' lockdown flags and the scope of a kind.

pub(crate) mod lockdown;
pub(crate) mod scopes;
