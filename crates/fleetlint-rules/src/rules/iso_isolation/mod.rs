//! ISO: tenant isolation (docs/flux-semantics.md, "Rule groups" and "Lockdown flags").

pub(crate) mod default_service_account_privileged;
mod helpers;
pub(crate) mod lockdown_flags_missing;
pub(crate) mod platform_reconciler_without_service_account;
pub(crate) mod tenant_can_modify_own_namespace;
pub(crate) mod tenant_cluster_scoped_object;
pub(crate) mod tenant_foreign_namespace;
pub(crate) mod tenant_reconciler_without_service_account;
pub(crate) mod tenant_remote_cluster_access;
pub(crate) mod tenant_service_account_over_privileged;
pub(crate) mod tenant_uses_controller_global_credentials;
