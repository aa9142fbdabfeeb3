//! XNS: cross-namespace references (docs/flux-semantics.md, "Lockdown flags"). Shared: which reference names another
//! namespace, and the common severity rule — error when the responsible controller runs with
//! `--no-cross-namespace-refs=true`, otherwise warning in tenant scope and info in platform
//! scope (only in clusters with tenants: see [`worth_an_info`](helpers::worth_an_info)); an unknown controller
//! configuration counts as "off" and the message says so (docs/flux-semantics.md, "Unknown
//! controller configuration").

pub(crate) mod alert_event_source_cross_namespace;
pub(crate) mod dependson_cross_namespace;
pub(crate) mod helmrelease_chart_cross_namespace;
pub(crate) mod image_automation_source_cross_namespace;
pub(crate) mod imagepolicy_repository_cross_namespace;
pub(crate) mod kustomization_source_cross_namespace;
pub(crate) mod receiver_resource_cross_namespace;

mod helpers;
