//! What the ORD rules share: the dependsOn/owner graph of a cluster's Flux objects and what each
//! object needs applied before it.

pub(crate) mod graph;
pub(crate) mod needs;
