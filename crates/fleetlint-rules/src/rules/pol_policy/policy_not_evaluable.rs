use std::collections::BTreeMap;

use fleetlint_kyverno::Outcome;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a rule of a Kyverno policy rendered in the cluster that fleetlint cannot evaluate
    /// statically, or that Kyverno itself would answer with a rule error, naming the policy rule
    /// and the reason, once per rule and reason in each cluster.
    ///
    /// Not evaluable: context loaded from the cluster or a registry (`configMap`, `apiCall`,
    /// `imageRegistry`, `globalReference`), variables only known at admission time
    /// (`request.userInfo`, `images`), JMESPath functions fleetlint does not implement, CEL
    /// (`validate.cel`, `celPreconditions`, webhook `matchConditions`), `podSecurity`,
    /// `manifests`, and mutate, generate and verifyImages rules. A rule error is what Kyverno
    /// reports for, e.g., a variable that does not resolve outside `preconditions`; the message
    /// says whether the policy's `failurePolicy` then denies the object.
    ///
    /// ## Why is this bad?
    /// It is not bad in itself: fleetlint never takes a rule it cannot evaluate as passed, and
    /// says so instead. A rule error under `failurePolicy: Fail` (the default) denies the object.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: add-labels}
    /// spec:
    ///   rules:
    ///     - name: add-team # a mutate rule: not evaluated
    ///       match: {any: [{resources: {kinds: [Deployment]}}]}
    ///       mutate: {patchStrategicMerge: {metadata: {labels: {team: a}}}}
    /// ```
    ///
    /// ## Fix
    /// Nothing is required. Check such rules with Kyverno's own tooling against a cluster.
    pub(crate) struct PolicyNotEvaluable {
        code: "POL002",
        name: "policy-not-evaluable",
        category: Category::Policy,
        severity: Severity::Info,
    }
}

/// What is known of one (policy, rule, reason): the first object, how many objects, whether it
/// is a rule error, and the rule as written in the policy.
struct Seen<'a> {
    first: usize,
    count: usize,
    error: bool,
    written: &'a str,
}

impl Rule for PolicyNotEvaluable {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let check = cx.kyverno();
        let mut seen: BTreeMap<(usize, &str, String), Seen<'_>> = BTreeMap::new();
        for e in &check.results {
            let (reason, error) = match &e.result.outcome {
                Outcome::NotEvaluable(why) => (why.to_string(), false),
                Outcome::Error(why) => (why.clone(), true),
                _ => continue,
            };
            seen.entry((e.policy, e.result.rule.as_str(), reason))
                .or_insert(Seen { first: e.object, count: 0, error, written: e.result.policy_rule.as_str() })
                .count += 1;
        }
        for ((p, rule, reason), Seen { first, count, error, written }) in seen {
            let rp = &check.policies[p];
            let object = cx.object(first);
            let message = if error {
                let denies = if rp.policy.fails_closed() {
                    "its failurePolicy is Fail, so Kyverno denies the object"
                } else {
                    "its failurePolicy is Ignore, so Kyverno admits the object"
                };
                format!("{} rule `{rule}` fails with a rule error on {}: {reason}; {denies}", rp.display(), object.id())
            } else {
                format!("{} rule `{rule}` cannot be evaluated statically: {reason}", rp.display())
            };
            let help = format!("{count} object(s) of the cluster are concerned, the first {}", object.id());
            let f = Self::finding(rp.rule_span(written), message)
                .with_help(help)
                .with_field(format!("spec.rules.{rule}"))
                .with_policy(rp.reference(rule, None));
            out.push(cx.about(f, rp.object));
        }
    }
}
