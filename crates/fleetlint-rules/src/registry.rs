//! Every rule, in one list. A test fails when a rule file is not listed here or has no fixtures.

use crate::rule::{Rule, RuleId};
use crate::rules::pol_policy::loaded::builtin_policies;
use crate::rules::{
    api_versions, flt_internal, hyg_hygiene, iso_isolation, ord_ordering, pol_policy, sch_schema, src_integrity,
    xns_cross_namespace,
};

static RULES: &[&dyn Rule] = &[
    &iso_isolation::tenant_reconciler_without_service_account::TenantReconcilerWithoutServiceAccount,
    &iso_isolation::lockdown_flags_missing::LockdownFlagsMissing,
    &iso_isolation::platform_reconciler_without_service_account::PlatformReconcilerWithoutServiceAccount,
    &iso_isolation::tenant_cluster_scoped_object::TenantClusterScopedObject,
    &iso_isolation::tenant_foreign_namespace::TenantForeignNamespace,
    &iso_isolation::tenant_service_account_over_privileged::TenantServiceAccountOverPrivileged,
    &iso_isolation::default_service_account_privileged::DefaultServiceAccountPrivileged,
    &iso_isolation::tenant_remote_cluster_access::TenantRemoteClusterAccess,
    &iso_isolation::tenant_uses_controller_global_credentials::TenantUsesControllerGlobalCredentials,
    &iso_isolation::tenant_can_modify_own_namespace::TenantCanModifyOwnNamespace,
    &xns_cross_namespace::kustomization_source_cross_namespace::KustomizationSourceCrossNamespace,
    &xns_cross_namespace::helmrelease_chart_cross_namespace::HelmreleaseChartCrossNamespace,
    &xns_cross_namespace::alert_event_source_cross_namespace::AlertEventSourceCrossNamespace,
    &xns_cross_namespace::receiver_resource_cross_namespace::ReceiverResourceCrossNamespace,
    &xns_cross_namespace::imagepolicy_repository_cross_namespace::ImagepolicyRepositoryCrossNamespace,
    &xns_cross_namespace::image_automation_source_cross_namespace::ImageAutomationSourceCrossNamespace,
    &xns_cross_namespace::dependson_cross_namespace::DependsonCrossNamespace,
    &ord_ordering::dependson_unresolved::DependsonUnresolved,
    &ord_ordering::dependson_cycle::DependsonCycle,
    &ord_ordering::crd_before_cr::CrdBeforeCr,
    &ord_ordering::namespace_before_namespaced_object::NamespaceBeforeNamespacedObject,
    &ord_ordering::dependency_readiness_not_meaningful::DependencyReadinessNotMeaningful,
    &ord_ordering::policies_before_tenants::PoliciesBeforeTenants,
    &ord_ordering::cross_cluster_leakage::CrossClusterLeakage,
    &src_integrity::kustomization_path_missing::KustomizationPathMissing,
    &src_integrity::unresolved_reference::UnresolvedReference,
    &src_integrity::kustomize_build_input_invalid::KustomizeBuildInputInvalid,
    &src_integrity::duplicate_object_identity::DuplicateObjectIdentity,
    &src_integrity::remote_kustomize_resource::RemoteKustomizeResource,
    &src_integrity::sops_secret_without_decryption::SopsSecretWithoutDecryption,
    &src_integrity::namespace_not_specified::NamespaceNotSpecified,
    &src_integrity::helm_chart_path_missing::HelmChartPathMissing,
    &src_integrity::invalid_yaml::InvalidYaml,
    &src_integrity::postbuild_substitution_unresolved::PostbuildSubstitutionUnresolved,
    &src_integrity::flux_path_cycle::FluxPathCycle,
    &src_integrity::source_not_mapped::SourceNotMapped,
    &src_integrity::patch_target_unmatched::PatchTargetUnmatched,
    &src_integrity::namespace_object_renamed::NamespaceObjectRenamed,
    &api_versions::unsupported_api_version::UnsupportedApiVersion,
    &api_versions::removed_or_deprecated_field::RemovedOrDeprecatedField,
    &hyg_hygiene::gitrepository_implicit_branch::GitrepositoryImplicitBranch,
    &hyg_hygiene::prune_unprotected_critical_object::PruneUnprotectedCriticalObject,
    &hyg_hygiene::plaintext_secret::PlaintextSecret,
    &hyg_hygiene::healthcheck_reference_invalid::HealthcheckReferenceInvalid,
    &hyg_hygiene::duplicate_key::DuplicateKey,
    &hyg_hygiene::yaml_resource_limit::YamlResourceLimit,
    &hyg_hygiene::yaml_ambiguous_scalar::YamlAmbiguousScalar,
    &sch_schema::schema_violation::SchemaViolation,
    &sch_schema::unknown_field::UnknownField,
    &sch_schema::schema_unknown_kind::SchemaUnknownKind,
    &pol_policy::kyverno_policy_violation::KyvernoPolicyViolation,
    &pol_policy::policy_not_evaluable::PolicyNotEvaluable,
];

/// The identity of the findings the engine makes when a rule panics (FLT001).
pub const INTERNAL_ERROR: RuleId = flt_internal::internal_error::InternalError::ID;

/// The identity of the findings the engine makes about suppressions (HYG008): reported after
/// every rule ran, when it is known what each suppression silenced.
pub const INVALID_SUPPRESSION: RuleId = hyg_hygiene::invalid_suppression::InvalidSuppression::ID;

/// The identity of the diff-aware rule (HYG004), run on two fleets by `--new-since`.
pub const DESTRUCTIVE_CHANGE: RuleId = hyg_hygiene::destructive_change::DestructiveChange::ID;

/// The identity of the repository's Kyverno policy findings (POL001), which absorb a built-in
/// rule's finding about the same object and field.
pub(crate) const KYVERNO_POLICY_VIOLATION: RuleId = pol_policy::kyverno_policy_violation::KyvernoPolicyViolation::ID;

/// Rules reported by the engine or across two checks rather than by a check of their own.
const ENGINE_RULES: [RuleId; 3] = [INTERNAL_ERROR, INVALID_SUPPRESSION, DESTRUCTIVE_CHANGE];

/// Every check written in Rust, in catalog order.
#[must_use]
pub fn all_rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// Every built-in check: the Rust rules and the policies of the built-in pack (`policies/`).
#[must_use]
pub fn builtin_checks() -> Vec<&'static dyn Rule> {
    RULES.iter().copied().chain(builtin_policies().iter().copied()).collect()
}

/// Every built-in rule a finding can name, sorted by code: the checks, and FLT001, HYG004 and
/// HYG008, which the engine and `--new-since` report.
#[must_use]
pub fn catalog() -> Vec<RuleId> {
    let mut ids: Vec<RuleId> = RULES.iter().chain(builtin_policies()).map(|r| r.id()).chain(ENGINE_RULES).collect();
    ids.sort();
    ids
}

/// The built-in rule with `code` (case-insensitive).
#[must_use]
pub fn rule_by_code(code: &str) -> Option<RuleId> {
    catalog().into_iter().find(|r| r.code().eq_ignore_ascii_case(code))
}
