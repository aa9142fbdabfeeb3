//! Every rule, in one list. A test fails when a rule file is not listed here or has no fixtures.

use crate::rule::Rule;
use crate::rules::{hygiene, integrity};

static RULES: &[&dyn Rule] = &[
    &integrity::kustomize_build_input_invalid::KustomizeBuildInputInvalid,
    &integrity::remote_kustomize_resource::RemoteKustomizeResource,
    &integrity::invalid_yaml::InvalidYaml,
    &integrity::patch_target_unmatched::PatchTargetUnmatched,
    &hygiene::duplicate_key::DuplicateKey,
    &hygiene::yaml_resource_limit::YamlResourceLimit,
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
