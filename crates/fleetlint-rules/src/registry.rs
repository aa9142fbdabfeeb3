//! Every rule, in one list. A test fails when a rule file is not listed here or has no fixtures.

use crate::rule::Rule;
use crate::rules::api;
use crate::rules::crossns;
use crate::rules::isolation;
use crate::rules::ordering;
use crate::rules::{hygiene, integrity};

static RULES: &[&dyn Rule] = &[
    &isolation::tenant_reconciler_without_service_account::TenantReconcilerWithoutServiceAccount,
    &isolation::lockdown_flags_missing::LockdownFlagsMissing,
    &isolation::platform_reconciler_without_service_account::PlatformReconcilerWithoutServiceAccount,
    &isolation::tenant_cluster_scoped_object::TenantClusterScopedObject,
    &isolation::tenant_foreign_namespace::TenantForeignNamespace,
    &isolation::tenant_service_account_over_privileged::TenantServiceAccountOverPrivileged,
    &isolation::default_service_account_privileged::DefaultServiceAccountPrivileged,
    &isolation::tenant_remote_cluster_access::TenantRemoteClusterAccess,
    &isolation::tenant_uses_controller_global_credentials::TenantUsesControllerGlobalCredentials,
    &isolation::tenant_can_modify_own_namespace::TenantCanModifyOwnNamespace,
    &crossns::kustomization_source_cross_namespace::KustomizationSourceCrossNamespace,
    &crossns::helmrelease_chart_cross_namespace::HelmreleaseChartCrossNamespace,
    &crossns::alert_event_source_cross_namespace::AlertEventSourceCrossNamespace,
    &crossns::receiver_resource_cross_namespace::ReceiverResourceCrossNamespace,
    &crossns::imagepolicy_repository_cross_namespace::ImagepolicyRepositoryCrossNamespace,
    &crossns::image_automation_source_cross_namespace::ImageAutomationSourceCrossNamespace,
    &crossns::dependson_cross_namespace::DependsonCrossNamespace,
    &ordering::dependson_unresolved::DependsonUnresolved,
    &ordering::dependson_cycle::DependsonCycle,
    &ordering::crd_before_cr::CrdBeforeCr,
    &ordering::namespace_before_namespaced_object::NamespaceBeforeNamespacedObject,
    &ordering::dependency_readiness_not_meaningful::DependencyReadinessNotMeaningful,
    &ordering::policies_before_tenants::PoliciesBeforeTenants,
    &ordering::cross_cluster_leakage::CrossClusterLeakage,
    &integrity::kustomization_path_missing::KustomizationPathMissing,
    &integrity::unresolved_reference::UnresolvedReference,
    &integrity::kustomize_build_input_invalid::KustomizeBuildInputInvalid,
    &integrity::duplicate_object_identity::DuplicateObjectIdentity,
    &integrity::remote_kustomize_resource::RemoteKustomizeResource,
    &integrity::sops_secret_without_decryption::SopsSecretWithoutDecryption,
    &integrity::namespace_not_specified::NamespaceNotSpecified,
    &integrity::helm_chart_path_missing::HelmChartPathMissing,
    &integrity::invalid_yaml::InvalidYaml,
    &integrity::postbuild_substitution_unresolved::PostbuildSubstitutionUnresolved,
    &integrity::flux_path_cycle::FluxPathCycle,
    &integrity::source_not_mapped::SourceNotMapped,
    &integrity::patch_target_unmatched::PatchTargetUnmatched,
    &api::unsupported_api_version::UnsupportedApiVersion,
    &api::removed_or_deprecated_field::RemovedOrDeprecatedField,
    &hygiene::gitrepository_implicit_branch::GitrepositoryImplicitBranch,
    &hygiene::prune_unprotected_critical_object::PruneUnprotectedCriticalObject,
    &hygiene::plaintext_secret::PlaintextSecret,
    &hygiene::healthcheck_reference_invalid::HealthcheckReferenceInvalid,
    &hygiene::duplicate_key::DuplicateKey,
    &hygiene::yaml_resource_limit::YamlResourceLimit,
    &hygiene::yaml_ambiguous_scalar::YamlAmbiguousScalar,
];

/// All rules, in code order.
#[must_use]
pub fn all_rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// The rule with `code` (case-insensitive).
#[must_use]
pub fn rule_by_code(code: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().code.eq_ignore_ascii_case(code))
}
