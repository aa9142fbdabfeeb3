use fleetlint_yaml::FluxKind;

use super::helpers::{Reference, finding, objects_of, severity};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::controllers::Controller;

declare_rule! {
    /// ## What it does
    /// Reports a Receiver whose `spec.resources[].namespace` names a namespace other than the
    /// Receiver's. Error when notification-controller runs with `--no-cross-namespace-refs=true`;
    /// otherwise a warning in tenant scope and an info in platform scope (infos only in clusters
    /// with tenants: in a single-team cluster this is the usual layout) (an unknown controller
    /// configuration counts as "off" and is said so).
    ///
    /// ## Why is this bad?
    /// Under lockdown every webhook call fails with *cross-namespace references are not allowed*
    /// (HTTP 500), so pushes no longer trigger reconciliation. Without lockdown a tenant's
    /// webhook can trigger reconciliation of other tenants' (or the platform's) objects.
    ///
    /// ## Severity
    /// lockdown-dependent: `error` where notification-controller runs with `--no-cross-namespace-
    /// refs=true`; otherwise `warning` in tenant scope and `info` in platform scope (infos only in
    /// clusters with tenants).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: notification.toolkit.fluxcd.io/v1
    /// kind: Receiver
    /// metadata: {name: gh, namespace: team-a}
    /// spec:
    ///   type: github
    ///   resources: [{kind: GitRepository, name: flux-system, namespace: flux-system}]
    /// ```
    ///
    /// ## Fix
    /// Drop the namespace (or set the Receiver's own); reconcile another namespace's objects with
    /// a Receiver in that namespace.
    pub(crate) struct ReceiverResourceCrossNamespace {
        code: "XNS004",
        name: "receiver-resource-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

impl Rule for ReceiverResourceCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, _, receiver) in objects_of(cx, FluxKind::Receiver) {
            for (n, res) in receiver.receiver_resources().iter().enumerate() {
                let Some((node, _)) = res.cross_namespace() else { continue };
                let r = Reference {
                    object: i,
                    node,
                    field: format!("spec.resources[{n}].namespace"),
                    controller: Controller::Notification,
                    what: format!("spec.resources[{n}] names {}", res.id("")),
                    blocked: "cross-namespace references are not allowed".into(),
                    open: "this Receiver's webhook triggers reconciliation in another namespace".into(),
                    help: "trigger a namespace's objects with a Receiver in that namespace",
                };
                out.extend(finding(cx, Self::ID, &r, severity));
            }
        }
    }
}
