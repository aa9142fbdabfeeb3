//! POL: policy.

pub(crate) mod helpers;
pub(crate) mod kyverno_policy_violation;
pub(crate) mod loaded;
pub(crate) mod policy_not_evaluable;
