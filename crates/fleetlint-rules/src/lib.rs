//! fleetlint-rules: the rule engine and the rule catalog.
//!
//! Rules detect and produce [`Finding`]s (code, span, object, message, related spans); they never
//! render. Each rule lives in its own file under `rules/<prefix>_<group>/` (e.g.
//! `rules/iso_isolation/`), declared once with [`declare_rule!`], and is listed in [`registry`].

pub mod context;
pub mod engine;
pub mod finding;
pub mod registry;
pub mod rule;
mod rules;
pub mod selection;
mod suppression;

pub use engine::{CheckOutcome, check, check_selected, check_with};
pub use finding::{Category, Finding, ObjectRef, PolicyRef, Related, Scope, Severity};
pub use registry::{
    DESTRUCTIVE_CHANGE, INTERNAL_ERROR, INVALID_SUPPRESSION, all_rules, builtin_checks, catalog, rule_by_code,
};
pub use rule::{Declared, Rule, RuleId, RuleMeta};
pub use rules::hyg_hygiene::destructive_change::destructive_changes;
pub use rules::pol_policy::loaded::{PolicyLoadError, PolicyRule, builtin_policies, load_user_policies};
pub use rules::src_integrity::helpers::fleet_issues::describe as describe_fleet_issue;
pub use selection::{Selection, SelectionSettings};
pub use suppression::ANNOTATION as SUPPRESSION_ANNOTATION;
