//! ORD: dependency ordering (docs/flux-semantics.md, "Rule groups").

pub(crate) mod helpers;

pub(crate) mod crd_before_cr;
pub(crate) mod cross_cluster_leakage;
pub(crate) mod dependency_readiness_not_meaningful;
pub(crate) mod dependson_cycle;
pub(crate) mod dependson_unresolved;
pub(crate) mod namespace_before_namespaced_object;
pub(crate) mod policies_before_tenants;

#[cfg(test)]
mod tests;
