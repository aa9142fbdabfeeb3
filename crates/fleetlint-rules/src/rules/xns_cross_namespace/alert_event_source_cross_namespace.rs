use fleetlint_yaml::FluxKind;

use super::helpers::{Reference, finding, objects_of, severity};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::controllers::Controller;

declare_rule! {
    /// ## What it does
    /// Reports an Alert whose `spec.eventSources[].namespace` names a namespace other than the
    /// Alert's. Error when notification-controller runs with `--no-cross-namespace-refs=true`;
    /// otherwise a warning in tenant scope and an info in platform scope (infos only in clusters
    /// with tenants: in a single-team cluster this is the usual layout) (an unknown controller
    /// configuration counts as "off" and is said so).
    ///
    /// ## Why is this bad?
    /// Under lockdown notification-controller discards every such event at dispatch (*discarding
    /// event, access denied to cross-namespace sources*). Alerts have no status, so the only
    /// trace is a Warning event on the Alert: the alert silently never fires. Without lockdown a
    /// tenant can subscribe to another tenant's events.
    ///
    /// ## Severity
    /// lockdown-dependent: `error` where notification-controller runs with `--no-cross-namespace-
    /// refs=true`; otherwise `warning` in tenant scope and `info` in platform scope (infos only in
    /// clusters with tenants).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: notification.toolkit.fluxcd.io/v1beta3
    /// kind: Alert
    /// metadata: {name: slack, namespace: team-a}
    /// spec:
    ///   providerRef: {name: slack}
    ///   eventSources: [{kind: HelmRelease, name: '*', namespace: team-b}]
    /// ```
    ///
    /// ## Fix
    /// Drop the namespace (or set the Alert's own); alert on another namespace's objects with an
    /// Alert in that namespace.
    pub(crate) struct AlertEventSourceCrossNamespace {
        code: "XNS003",
        name: "alert-event-source-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

impl Rule for AlertEventSourceCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, o, alert) in objects_of(cx, FluxKind::Alert) {
            for (n, src) in alert.event_sources().iter().enumerate() {
                let Some((node, _)) = src.cross_namespace() else { continue };
                let id = src.id("");
                let r = Reference {
                    object: i,
                    node,
                    field: format!("spec.eventSources[{n}].namespace"),
                    controller: Controller::Notification,
                    what: format!("spec.eventSources[{n}] names {id}"),
                    blocked: format!(
                        "discarding event, access denied to cross-namespace sources: alert '{}/{}' can't process event from '{id}', cross-namespace references have been blocked",
                        o.namespace(),
                        o.name()
                    ),
                    open: "this Alert receives another namespace's events".into(),
                    help: "alert on a namespace's objects with an Alert in that namespace",
                };
                out.extend(finding(cx, Self::ID, &r, severity));
            }
        }
    }
}
