//! What the Flux controllers of a cluster run with, as the lockdown-dependent rules (XNS, ISO006
//! to ISO010) need it: one flag of one controller, the text that set it (shown as a `related`
//! location) and whether the repository says anything at all. As docs/flux-semantics.md
//! ("Unknown controller configuration") decides, an unknown
//! configuration gets the "lockdown off" severity and a message that says it is unknown.

use fleetlint_fleet::Cluster;
use fleetlint_fleet::controllers::{ControllerConfig, FlagSetting};
use fleetlint_yaml::{Node, Span};

/// Appended to "lockdown off" messages when the repository does not say how the controllers run.
pub(crate) const UNKNOWN_NOTE: &str = "lockdown unknown: the repository does not show the controller flags (state them in .fleetlint.yaml clusterOverrides)";

/// `--no-cross-namespace-refs` of one controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrossNs {
    /// Set to `true`: cross-namespace references fail.
    On,
    /// Absent or `false`: they are allowed.
    Off,
    /// The repository does not say.
    Unknown,
}

/// A flag's state with the text that set it (none when absent or set by configuration).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlagState {
    pub(crate) state: CrossNs,
    pub(crate) span: Option<Span>,
}

impl FlagState {
    /// A `related` location for a finding: the arg (or patch line) that set the flag.
    pub(crate) fn related(&self, controller: &str) -> Option<(Span, String)> {
        let span = self.span?;
        let msg = match self.state {
            CrossNs::On => format!("{controller} runs with --no-cross-namespace-refs=true"),
            _ => format!("{controller} runs with --no-cross-namespace-refs disabled"),
        };
        Some((span, msg))
    }
}

fn real(span: Span) -> Option<Span> {
    (span != Span::default()).then_some(span)
}

fn last<'a>(settings: &'a [FlagSetting], controller: &str) -> Option<&'a FlagSetting> {
    settings.iter().rev().find(|s| s.controller == controller)
}

/// `--no-cross-namespace-refs` of `controller`. The configuration's `clusterOverrides` lockdown
/// lands in the cluster's summary (kustomize-controller's value); when it disagrees with the
/// Deployments, or there are none, the override stands for every controller.
pub(crate) fn no_cross_namespace_refs(cluster: &Cluster, controller: &str) -> FlagState {
    let cfg = &cluster.controllers;
    let kc = ControllerConfig::enabled(&cfg.no_cross_namespace_refs, "kustomize-controller");
    let overridden = cluster.lockdown.known && (!cfg.known || cluster.lockdown.no_cross_namespace_refs != kc);
    if overridden {
        let state = if cluster.lockdown.no_cross_namespace_refs { CrossNs::On } else { CrossNs::Off };
        return FlagState { state, span: None };
    }
    // A controller the repository does not deploy (a placeholder `gotk-components.yaml` stands
    // for the default components only) may still run with the flag: unknown, not off.
    if !cfg.known || !deployed(cluster, controller) {
        return FlagState { state: CrossNs::Unknown, span: None };
    }
    let setting = last(&cfg.no_cross_namespace_refs, controller);
    let on = setting.is_some_and(|s| s.value == "true");
    FlagState { state: if on { CrossNs::On } else { CrossNs::Off }, span: setting.and_then(|s| real(s.span)) }
}

/// `--default-service-account` of kustomize- or helm-controller, with where it was set.
pub(crate) fn default_service_account(cluster: &Cluster, controller: &str) -> Option<(String, Option<Span>)> {
    let cfg = &cluster.controllers;
    let kc = ControllerConfig::value(&cfg.default_service_account, "kustomize-controller");
    if cluster.lockdown.known && (!cfg.known || cluster.lockdown.default_service_account.as_deref() != kc) {
        return cluster.lockdown.default_service_account.clone().map(|sa| (sa, None));
    }
    let setting = last(&cfg.default_service_account, controller).filter(|s| !s.value.is_empty())?;
    Some((setting.value.clone(), real(setting.span)))
}

/// Whether the repository says how the controllers run.
pub(crate) fn known(cluster: &Cluster) -> bool {
    cluster.controllers.known || cluster.lockdown.known
}

/// The note for a controller whose flags are unknown: nothing said at all, or no Deployment
/// of that controller in what the repository installs.
pub(crate) fn unknown_note(cluster: &Cluster, controller: &str) -> String {
    if known(cluster) {
        format!("lockdown unknown: the repository installs no {controller} Deployment to read its flags from")
    } else {
        UNKNOWN_NOTE.to_string()
    }
}

/// The Flux installation's Deployments of `controller` (in a platform namespace).
fn deployments<'c>(
    cluster: &'c Cluster,
    controller: &'c str,
) -> impl Iterator<Item = &'c fleetlint_fleet::RenderedObject> {
    cluster.objects.iter().filter(move |o| {
        o.kind() == "Deployment"
            && o.api_version().starts_with("apps/")
            && o.name() == controller
            && cluster.is_platform_namespace(o.namespace())
    })
}

/// `""` when the flags of `controller` are known, else ` (lockdown unknown: ...)` for a message.
pub(crate) fn unknown_suffix(cluster: &Cluster, controller: &str) -> String {
    if cluster.controllers.known && deployed(cluster, controller) {
        String::new()
    } else {
        format!(" ({})", unknown_note(cluster, controller))
    }
}

/// Whether the cluster's bootstrap installs `controller`.
pub(crate) fn deployed(cluster: &Cluster, controller: &str) -> bool {
    deployments(cluster, controller).next().is_some()
}

/// Any other flag of `controller` (`--sops-age-secret`, workload-identity defaults), read from
/// the controller Deployments the cluster's bootstrap renders: the last occurrence wins, as
/// with Go's flag package. `None` when the flag is absent.
pub(crate) fn controller_flag(cluster: &Cluster, controller: &str, flag: &str) -> Option<(String, Option<Span>)> {
    let mut found = None;
    for o in deployments(cluster, controller) {
        let containers =
            o.root.get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).unwrap_or_default();
        for arg in containers.iter().flat_map(|c| c.get("args").and_then(Node::as_seq).unwrap_or_default()) {
            let Some(text) = arg.as_str().and_then(|t| t.strip_prefix("--")) else { continue };
            let (name, value) = text.split_once('=').unwrap_or((text, "true"));
            if name == flag {
                found = Some((value.to_string(), real(arg.span)));
            }
        }
    }
    found.filter(|(v, _)| !v.is_empty())
}
