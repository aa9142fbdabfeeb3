//! Evaluating a policy's rules against one object, as Kyverno's admission webhook would for a
//! request that creates it.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/validation.go (`validate`: the rules of the policy after
//! auto-generation, `applyRules: One`), pkg/engine/engine.go (`matches`, `invokeRuleHandler`),
//! pkg/engine/handlers/validation/validate_resource.go (`validate`: context, preconditions,
//! deny, pattern, anyPattern, messages), pkg/engine/internal/match.go (`checkNamespacedPolicy`)
//! and pkg/engine/api/engineresponse.go (`ruleAction`, `matchOverride`: the failure action).

use std::collections::BTreeMap;
use std::fmt;

use fleetlint_yaml::{FieldPath, Node, Span};
use serde_json::{Value, json};

use crate::autogen::compute_rules;
use crate::conditions::{self, Operator};
use crate::jmes::{QueryError, Scope};
use crate::matching::{Target, Tri, UserInfo, check_selector, rule_matches};
use crate::policy::{Policy, RuleType};
use crate::vars::{Missing, VarError, substitute_all};
use crate::wildcard;

/// An object prepared for evaluation (its JSON form is computed once for every policy).
#[derive(Clone, Debug)]
pub struct Object<'a> {
    pub(crate) node: &'a Node,
    pub(crate) json: Value,
}

impl<'a> Object<'a> {
    /// Prepare `node`, an object whose `metadata.namespace` is its effective namespace.
    #[must_use]
    pub fn new(node: &'a Node) -> Self {
        Self { node, json: node.to_json() }
    }
}

/// The admission operation evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Operation {
    /// The object is created (the default: what applying it for the first time does).
    #[default]
    Create,
    /// The object is updated (its previous state is unknown to fleetlint).
    Update,
}

impl Operation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
        }
    }
}

/// What the admission request carries besides the object.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    /// Labels of the object's namespace; `None` when unknown (a namespaced object's namespace
    /// created outside Git). Cluster-scoped objects are matched against no labels.
    pub namespace_labels: Option<&'a BTreeMap<String, String>>,
    /// The operation (default `CREATE`).
    pub operation: Operation,
    /// The requesting user, when known.
    pub user: Option<&'a UserInfo>,
}

/// How Kyverno behaves, where versions differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The Kyverno version of the cluster, when known: `(major, minor, patch)`.
    ///
    /// An unresolved variable in `preconditions` is the empty string in Kyverno 1.4.2 to 1.7.x
    /// (kyverno/kyverno@v1.5.1:pkg/engine/variables/vars.go, `newPreconditionsVariableResolver`)
    /// and a rule error from 1.8.0 (@111e07bbec, same function, since #4217). Unknown versions get
    /// the empty string, the reading that reports no violation the other would not.
    pub kyverno_version: Option<(u32, u32, u32)>,
}

impl Options {
    pub(crate) fn precondition_missing(self) -> Missing {
        match self.kyverno_version {
            Some(v) if v >= (1, 8, 0) => Missing::Error,
            _ => Missing::EmptyString,
        }
    }
}

/// Enforce (the request is denied) or Audit (a policy report entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `Enforce` (older policies write `enforce`).
    Enforce,
    /// `Audit`, the default.
    Audit,
}

/// Why a rule cannot be evaluated statically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotEvaluable {
    /// Whether the rule selects the object depends on what fleetlint does not know.
    Match(String),
    /// `spec.webhookConfiguration.matchConditions` (CEL over the admission request).
    MatchConditions,
    /// `celPreconditions`.
    CelPreconditions,
    /// A `context` entry loaded from the cluster or a registry, used by the rule.
    Context {
        /// The entry's name.
        entry: String,
        /// `configMap`, `apiCall`, `imageRegistry` or `globalReference`.
        source: &'static str,
    },
    /// A variable fleetlint has no value for (`request.userInfo`, `images`, ...).
    Variable(String),
    /// A JMESPath function fleetlint does not implement.
    Function(String),
    /// A validation fleetlint does not evaluate: `cel`, `podSecurity`, `manifests`, `assert`.
    Validation(&'static str),
    /// A rule that is not a validate rule: `mutate`, `generate`, `verifyImages`.
    RuleType(RuleType),
}

impl fmt::Display for NotEvaluable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Match(why) => write!(f, "whether the rule applies is unknown: {why}"),
            Self::MatchConditions => f.write_str("the policy's webhook matchConditions are CEL over the live request"),
            Self::CelPreconditions => f.write_str("celPreconditions are CEL over the live request"),
            Self::Context { entry, source } => {
                write!(f, "context entry `{entry}` is loaded from the cluster ({source})")
            }
            Self::Variable(v) => write!(f, "variable `{v}` is only known at admission time"),
            Self::Function(name) => write!(f, "JMESPath function `{name}` is not evaluated statically"),
            Self::Validation(kind) => write!(f, "`validate.{kind}` is not evaluated statically"),
            Self::RuleType(t) => write!(
                f,
                "{} rules change or create objects at admission; they are not evaluated",
                match t {
                    RuleType::Mutate => "mutate",
                    RuleType::Generate => "generate",
                    RuleType::VerifyImages => "verifyImages",
                    RuleType::Validate | RuleType::Empty => "such",
                }
            ),
        }
    }
}

/// The object violates a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The rule's message, variables substituted (Kyverno's wording when it has none).
    pub message: String,
    /// The offending value in the object (possibly absent; the root for a deny rule whose
    /// conditions name no single field).
    pub path: FieldPath,
    /// Where `path` is in the text (the nearest existing ancestor key for an absent value).
    pub span: Span,
}

/// What a rule says about an object it selects.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The object satisfies the rule.
    Pass,
    /// Preconditions or conditional anchors exclude the object.
    Skip(String),
    /// The object violates the rule.
    Fail(Violation),
    /// Kyverno itself reports a rule error (an unresolved variable, a malformed rule); with
    /// `failurePolicy: Fail` (the default) the request is denied.
    Error(String),
    /// The rule cannot be evaluated statically.
    NotEvaluable(NotEvaluable),
}

/// One rule's result for one object.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleResult {
    /// The rule's name as Kyverno reports it (`autogen-<name>` for a generated rule).
    pub rule: String,
    /// The rule as written in the policy.
    pub policy_rule: String,
    /// Enforce or Audit for this object (Audit when it depends on unknown namespace labels).
    pub action: Action,
    /// The result.
    pub outcome: Outcome,
}

/// `ValidationFailureAction.Enforce()`; any letter case.
fn action_of(v: &Value) -> Option<Action> {
    let s = v.as_str()?;
    if s.eq_ignore_ascii_case("enforce") {
        Some(Action::Enforce)
    } else if s.eq_ignore_ascii_case("audit") {
        Some(Action::Audit)
    } else {
        None
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) object: &'a Object<'a>,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) labels: Option<&'a BTreeMap<String, String>>,
    pub(crate) request: &'a Request<'a>,
    pub(crate) options: &'a Options,
}

impl Ctx<'_> {
    /// `matchOverride`: the first override whose namespaces and selector hold; `Err` when one
    /// depends on unknown namespace labels before any definitely holds.
    fn overrides(&self, overrides: &Value) -> Result<Option<Action>, ()> {
        for o in overrides.as_array().into_iter().flatten() {
            let Some(action) = o["action"].as_str().filter(|a| matches!(*a, "audit" | "enforce" | "Audit" | "Enforce"))
            else {
                continue;
            };
            let action = action_of(&json!(action)).unwrap_or(Action::Audit);
            let ns_ok = match o["namespaces"].as_array() {
                None => true,
                Some(list) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|p| wildcard::matches(p, self.namespace.unwrap_or_default())),
            };
            if !ns_ok {
                continue;
            }
            if o["namespaceSelector"].is_null() {
                return Ok(Some(action));
            }
            match self.labels {
                Some(labels) if check_selector(&o["namespaceSelector"], labels) => return Ok(Some(action)),
                Some(_) => {}
                None => return Err(()),
            }
        }
        Ok(None)
    }

    /// `ruleAction`, then the policy-wide override and action.
    fn action(&self, spec: &Value, rule: &Value) -> Action {
        if spec["admission"].as_bool() == Some(false) {
            return Action::Audit; // background scans only report
        }
        let v = &rule["validate"];
        let resolved =
            self.overrides(&v["failureActionOverrides"]).map(|o| o.or_else(|| action_of(&v["failureAction"])));
        let resolved = resolved.and_then(|a| match a {
            Some(a) => Ok(Some(a)),
            None => self.overrides(&spec["validationFailureActionOverrides"]),
        });
        match resolved {
            Ok(Some(a)) => a,
            Ok(None) => action_of(&spec["validationFailureAction"]).unwrap_or(Action::Audit),
            Err(()) => Action::Audit,
        }
    }
}

pub(crate) fn var_outcome(e: VarError) -> Outcome {
    match e {
        VarError::NotFound { variable } => {
            Outcome::Error(format!("variable `{{{{{variable}}}}}` cannot be resolved: the object has no such field"))
        }
        VarError::NotEvaluable { variable, reason } => Outcome::NotEvaluable(match reason {
            QueryError::Unsupported(f) => NotEvaluable::Function(f),
            _ => NotEvaluable::Variable(variable),
        }),
        VarError::Invalid(m) => Outcome::Error(m),
    }
}

/// A condition block: `{any, all}` or the legacy list. `Ok((holds, deciding condition))`.
pub(crate) fn conditions_hold(
    conds: &Value,
    scope: &Scope<'_>,
    missing: Missing,
) -> Result<(bool, Option<Value>), Outcome> {
    let one = |c: &Value| -> Result<bool, Outcome> {
        let key = substitute_all(&c["key"], scope, missing).map_err(var_outcome)?;
        let value = substitute_all(c.get("value").unwrap_or(&Value::Null), scope, missing).map_err(var_outcome)?;
        let op = c["operator"].as_str().and_then(Operator::parse).ok_or_else(|| {
            Outcome::Error(format!("failed to create handler for condition operator {}", c["operator"]))
        })?;
        conditions::evaluate(op, &key, &value).map_err(Outcome::Error)
    };
    match conds {
        Value::Null => Ok((true, None)),
        Value::Array(list) => {
            for c in list {
                if !one(c)? {
                    return Ok((false, None));
                }
            }
            Ok((true, list.first().cloned()))
        }
        Value::Object(m) => {
            let mut decided = None;
            if let Some(list) = m.get("any").and_then(Value::as_array) {
                let mut hit = None;
                for c in list {
                    if one(c)? {
                        hit = Some(c.clone());
                        break;
                    }
                }
                match hit {
                    Some(c) => decided = Some(c),
                    None => return Ok((false, None)),
                }
            }
            if let Some(list) = m.get("all").and_then(Value::as_array) {
                for c in list {
                    if !one(c)? {
                        return Ok((false, None));
                    }
                }
                decided = decided.or_else(|| list.first().cloned());
            }
            Ok((true, decided))
        }
        _ => Err(Outcome::Error("invalid condition".to_owned())),
    }
}

impl Policy {
    /// Evaluate every rule that selects `object`. Rules that do not select it are left out.
    #[must_use]
    pub fn evaluate(&self, object: &Object<'_>, request: &Request<'_>, options: &Options) -> Vec<RuleResult> {
        let o = &object.json;
        let api_version = o["apiVersion"].as_str().unwrap_or_default();
        let kind = o["kind"].as_str().unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let namespace = o["metadata"]["namespace"].as_str().filter(|n| !n.is_empty());
        let empty = BTreeMap::new();
        let labels = if namespace.is_none() { Some(&empty) } else { request.namespace_labels };
        let ctx = Ctx { object, namespace, labels, request, options };
        let target = Target {
            object: o,
            group,
            version,
            kind,
            namespace,
            namespace_labels: labels,
            operation: request.operation.as_str(),
            user: request.user,
        };
        let match_conditions =
            self.spec["webhookConfiguration"]["matchConditions"].as_array().is_some_and(|a| !a.is_empty());
        let apply_one = self.spec["applyRules"].as_str() == Some("One");
        let written: Vec<String> = self.rules.iter().map(|r| r.name.clone()).collect();
        let mut out = Vec::new();
        for rule in compute_rules(&self.rule_values(), &self.annotations, kind) {
            let name = rule["name"].as_str().unwrap_or_default().to_owned();
            let policy_rule = written
                .iter()
                .find(|w| **w == name || name.starts_with("autogen-") && name.ends_with(w.as_str()))
                .cloned()
                .unwrap_or_else(|| name.clone());
            let outcome = match rule_matches(&rule, &target, self.namespace.as_deref()) {
                Tri::No => continue,
                Tri::Unknown(why) => Some(Outcome::NotEvaluable(NotEvaluable::Match(why))),
                Tri::Yes if match_conditions => Some(Outcome::NotEvaluable(NotEvaluable::MatchConditions)),
                Tri::Yes => ctx.evaluate_rule(&rule, &name),
            };
            let Some(outcome) = outcome else { continue };
            let applied = matches!(outcome, Outcome::Pass | Outcome::Fail(_));
            out.push(RuleResult { rule: name, policy_rule, action: ctx.action(&self.spec, &rule), outcome });
            if apply_one && applied {
                break;
            }
        }
        out
    }
}
