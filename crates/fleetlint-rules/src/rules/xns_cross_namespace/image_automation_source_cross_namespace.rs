use fleetlint_fleet::Scope;
use fleetlint_fleet::controllers::Controller;
use fleetlint_yaml::FluxKind;

use super::helpers::{Reference, finding, objects_of};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::CrossNs;

declare_rule! {
    /// ## What it does
    /// Reports an ImageUpdateAutomation whose `spec.sourceRef.namespace` names another
    /// namespace. Error when image-automation-controller runs with
    /// `--no-cross-namespace-refs=true`, and error in tenant scope even without lockdown; info in
    /// platform scope without lockdown, in clusters with tenants only (an unknown controller
    /// configuration counts as "off" and is said so).
    ///
    /// ## Why is this bad?
    /// Under lockdown the automation stalls with *can't access 'GitRepository/<ns>/<name>',
    /// cross-namespace references have been blocked*. Without lockdown it clones and **pushes**
    /// with the credentials of the GitRepository in the other namespace: a tenant gains write
    /// access to, for example, the fleet repository.
    ///
    /// ## Severity
    /// `error` where image-automation-controller runs with `--no-cross-namespace-refs=true` and in
    /// tenant scope; `info` in platform scope without lockdown (only in clusters with tenants).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: image.toolkit.fluxcd.io/v1
    /// kind: ImageUpdateAutomation
    /// metadata: {name: bump, namespace: team-a}
    /// spec:
    ///   sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
    ///   git: {commit: {author: {name: bot, email: bot@example.com}}, push: {branch: main}}
    /// ```
    ///
    /// ## Fix
    /// Give the automation a GitRepository in its own namespace, with credentials that can push
    /// only to the repository it should update.
    pub(crate) struct ImageAutomationSourceCrossNamespace {
        code: "XNS006",
        name: "image-automation-source-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

/// Pushing with another namespace's credentials is a tenant escape with or without lockdown.
fn severity(state: CrossNs, scope: Scope) -> Severity {
    match (state, scope) {
        (CrossNs::On, _) | (_, Scope::Tenant) => Severity::Error,
        (_, Scope::Platform) => Severity::Info,
    }
}

impl Rule for ImageAutomationSourceCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, _, automation) in objects_of(cx, FluxKind::ImageUpdateAutomation) {
            let Some(sref) = automation.source_ref() else { continue };
            let Some((node, _)) = sref.cross_namespace() else { continue };
            let id = sref.id("GitRepository");
            let r = Reference {
                object: i,
                node,
                field: "spec.sourceRef.namespace".into(),
                controller: Controller::ImageAutomation,
                what: format!("spec.sourceRef names {id}"),
                blocked: format!("can't access '{id}', cross-namespace references have been blocked"),
                open: format!("the automation clones and pushes with the credentials of {id}"),
                help: "give the automation a GitRepository in its own namespace",
            };
            out.extend(finding(cx, Self::ID, &r, severity));
        }
    }
}
