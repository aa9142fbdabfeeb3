//! What the ORD rules share: how messages name objects, and what each
//! object needs applied before it.

pub(crate) mod charts;
pub(crate) mod crd_capable;
pub(crate) mod crd_providers;
pub(crate) mod naming;
pub(crate) mod needs;
