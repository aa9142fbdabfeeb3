//! fleetlint-kyverno: evaluates the `validate` rules of Kyverno ClusterPolicies and Policies
//! statically, against one positioned object and what is known of its admission request
//! (namespace labels, user, operation `CREATE`).
//!
//! Supported, with Kyverno's own semantics (each module cites the Kyverno source it follows):
//! `match`/`exclude` with `any`/`all` or the legacy block (kinds with group/version forms and
//! wildcards, names, namespaces, annotations, label and namespace selectors, operations,
//! subjects/roles/clusterRoles when the user is known); rule auto-generation for Pod
//! controllers; `context` variable entries; `preconditions` and `validate.deny.conditions` with
//! every operator; `validate.pattern` and `anyPattern` with wildcards, `|` and `&`, comparison
//! operators, ranges, quantities, durations and all anchors; `foreach` (nested, with
//! `element`/`elementIndex`, per-element context and preconditions); `{{ }}` variables over
//! `request.object`, `request.namespace`, `request.operation`, ... with Kyverno's JMESPath
//! (missing fields are errors, except inside comparisons and functions) and `$()` references;
//! `validationFailureAction`/`failureAction` and their namespace overrides, any letter case.
//!
//! What cannot be known statically comes back as [`Outcome::NotEvaluable`] with the reason
//! ([`NotEvaluable`]): context loaded from the cluster or a registry, the requesting user when
//! not given, unimplemented JMESPath functions, CEL (`validate.cel`, `celPreconditions`, webhook
//! `matchConditions`), `podSecurity`, `manifests`, and mutate, generate and
//! verifyImages rules. A rule never passes silently for want of data. Violations carry the path
//! of the offending value and its span, and the rule's message. Nothing here knows rule codes.

mod autogen;
mod checks;
mod conditions;
mod context;
mod engine;
mod jmes;
mod matching;
mod pattern;
mod policy;
mod units;
mod validate;
mod vars;
mod wildcard;

pub use engine::{Action, NotEvaluable, Object, Operation, Options, Outcome, Request, RuleResult, Violation};
pub use matching::UserInfo;
pub use policy::{Policy, PolicyError, PolicyKind, RuleInfo, RuleType};
