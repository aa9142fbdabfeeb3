//! What the XNS rules share: which reference names another namespace, and the common severity
//! and message of a cross-namespace finding.

use fleetlint_fleet::controllers::Controller;
use fleetlint_fleet::flux::FluxObject;
use fleetlint_fleet::{RenderedObject, Scope};
use fleetlint_yaml::{FluxKind, Node};

use crate::context::ClusterContext;
use crate::finding::{Finding, Severity};
use crate::rule::RuleId;
use crate::rules::helpers::lockdown::{self, CrossNs};

/// Objects of `kind` written in the repository (never the synthesized bootstrap objects), with
/// their typed view.
pub(super) fn objects_of<'c>(
    cx: &'c ClusterContext<'_>,
    kind: FluxKind,
) -> impl Iterator<Item = (usize, &'c RenderedObject, FluxObject<'c>)> + 'c {
    cx.cluster
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.synthesized)
        .filter_map(move |(i, o)| o.flux().filter(|f| f.kind() == kind).map(|f| (i, o, f)))
}

/// What one cross-namespace reference does under each lockdown state.
pub(super) struct Reference<'a> {
    /// The object index.
    pub(super) object: usize,
    /// The `namespace` value node.
    pub(super) node: &'a Node,
    /// Field path for the fingerprint.
    pub(super) field: String,
    /// The controller that resolves the reference.
    pub(super) controller: Controller,
    /// "spec.sourceRef names GitRepository flux-system/flux-system".
    pub(super) what: String,
    /// The controller's error text under lockdown.
    pub(super) blocked: String,
    /// What happens without lockdown.
    pub(super) open: String,
    /// How to fix it.
    pub(super) help: &'static str,
}

/// The common severity of XNS001..XNS005.
pub(super) fn severity(state: CrossNs, scope: Scope) -> Severity {
    match (state, scope) {
        (CrossNs::On, _) => Severity::Error,
        (_, Scope::Tenant) => Severity::Warning,
        (_, Scope::Platform) => Severity::Info,
    }
}

/// Whether an info-level finding is worth showing in this cluster. In a cluster without tenants
/// and without lockdown, references to `flux-system` sources are the usual single-team layout
/// (78 Kustomizations in onedr0p/home-ops, the HelmReleases of flux-local's test clusters):
/// an info for each would bury the findings that matter, so infos need a multi-tenant cluster.
pub(super) fn worth_an_info(cx: &ClusterContext<'_>) -> bool {
    !cx.cluster.tenants.is_empty()
}

/// The finding for `r`, with the severity `decide` gives for the controller's lockdown state and
/// the object's scope, and the flag's text as a related location; `None` for an info in a
/// cluster without tenants.
pub(super) fn finding(
    cx: &ClusterContext<'_>,
    rule: RuleId,
    r: &Reference<'_>,
    decide: fn(CrossNs, Scope) -> Severity,
) -> Option<Finding> {
    let lock = lockdown::no_cross_namespace_refs(cx.cluster, r.controller);
    let o = cx.object(r.object);
    let severity = decide(lock.state, o.scope);
    if severity == Severity::Info && !worth_an_info(cx) {
        return None;
    }
    let (c, what) = (r.controller.name(), &r.what);
    let message = match lock.state {
        CrossNs::On => format!(
            "{what} in another namespace: {c} runs with --no-cross-namespace-refs=true and fails with \"{}\"",
            r.blocked
        ),
        CrossNs::Off => {
            format!("{what} in another namespace: {c} runs without --no-cross-namespace-refs, so {}", r.open)
        }
        CrossNs::Unknown => format!(
            "{what} in another namespace: unless {c} runs with --no-cross-namespace-refs=true, {} ({})",
            r.open,
            lockdown::unknown_note(cx.cluster, r.controller)
        ),
    };
    let mut f =
        Finding::new(rule, r.node.span, message).with_severity(severity).with_help(r.help).with_field(r.field.clone());
    if let Some((span, msg)) = lock.related(r.controller) {
        f = f.with_related(span, msg);
    }
    Some(cx.about(f, r.object))
}
