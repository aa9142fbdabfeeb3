use fleetlint_kyverno::{Action, Outcome};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an object that a Kyverno ClusterPolicy or Policy rendered in the same cluster
    /// would reject (`Enforce`) or report (`Audit`), at the offending value, quoting the policy
    /// rule's message.
    ///
    /// Every `kyverno.io` policy a cluster renders is evaluated against every object the cluster
    /// admits: `match`/`exclude`, `preconditions`, `validate.pattern`, `anyPattern`, `deny`
    /// conditions and `foreach`, with Kyverno's variable rules. The admission request is built
    /// from the fleet: the labels of the object's Namespace when the cluster renders it, the
    /// identity that applies the object (the rendering Kustomization's service account, else
    /// kustomize-controller's), and the Kyverno version installed in the cluster when the
    /// repository shows it. What cannot be evaluated statically is POL002, never a pass.
    ///
    /// When a built-in rule reports the same problem on the same object and field (ISO001 and a
    /// policy requiring `spec.serviceAccountName`), only this finding is reported, at the higher
    /// of the two severities, naming the built-in rule in its help.
    ///
    /// ## Severity
    /// Error for a rule whose action is `Enforce` for the object's namespace
    /// (`failureAction`, `validationFailureAction` and their namespace overrides, any letter
    /// case), warning for `Audit`.
    ///
    /// ## Why is this bad?
    /// Kyverno's admission webhook denies the object when Flux applies it: the Kustomization that
    /// carries it fails its dry-run and stops reconciling. With `Audit` the object is admitted
    /// and a policy report records the violation.
    ///
    /// ## Example
    /// ```yaml
    /// # a ClusterPolicy requiring spec.serviceAccountName on Kustomizations outside flux-system
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: dev-team, namespace: apps}
    /// spec: # no serviceAccountName
    ///   interval: 5m
    ///   sourceRef: {kind: GitRepository, name: dev-team}
    /// ```
    ///
    /// ## Fix
    /// Change the object as the policy's message asks, or exclude it from the policy.
    pub(crate) struct KyvernoPolicyViolation {
        code: "POL001",
        name: "kyverno-policy-violation",
        category: Category::Policy,
        severity: Severity::Error,
    }
}

impl Rule for KyvernoPolicyViolation {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let check = cx.kyverno();
        for e in &check.results {
            let Outcome::Fail(v) = &e.result.outcome else { continue };
            let p = &check.policies[e.policy];
            let (severity, action, consequence) = match e.result.action {
                Action::Enforce => (Severity::Error, "Enforce", "Kyverno denies the object when Flux applies it"),
                Action::Audit => (Severity::Warning, "Audit", "Kyverno admits it and records the violation"),
            };
            let message = format!("{} rule `{}`: {}", p.display(), e.result.rule, v.message);
            let help = format!(
                "{consequence} ({action}); change the object to satisfy rule `{}` of {}",
                e.result.rule,
                p.display()
            );
            let f = Self::finding(v.span, message)
                .with_severity(severity)
                .with_help(help)
                .with_field(v.path.to_string())
                .with_related(p.rule_span(&e.result.policy_rule), format!("rule `{}` of the policy", e.result.rule))
                .with_policy(p.reference(&e.result.rule, Some(action)));
            out.push(cx.about(f, e.object));
        }
    }
}
