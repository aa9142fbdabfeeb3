//! What the Flux controllers of a cluster run with, as the lockdown-dependent rules (XNS, ISO006
//! to ISO010) need it: one flag of one controller, the text that set it (shown as a `related`
//! location) and whether the repository says anything at all. The facts (which controller is
//! deployed, each flag with its origin, the configuration's overrides) are the fleet's
//! [`Controllers`](fleetlint_fleet::controllers::Controllers); the verdicts are here. As
//! docs/flux-semantics.md ("Unknown controller configuration") decides, an unknown configuration
//! gets the "lockdown off" severity and a message that says it is unknown.

use fleetlint_fleet::Cluster;
use fleetlint_fleet::controllers::{
    Controller, DEFAULT_SERVICE_ACCOUNT, NO_CROSS_NAMESPACE_REFS, NO_REMOTE_BASES, Origin, Setting,
};
use fleetlint_yaml::Span;

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
    pub(crate) fn related(&self, controller: Controller) -> Option<(Span, String)> {
        let span = self.span?;
        let c = controller.name();
        let msg = match self.state {
            CrossNs::On => format!("{c} runs with --no-cross-namespace-refs=true"),
            _ => format!("{c} runs with --no-cross-namespace-refs disabled"),
        };
        Some((span, msg))
    }
}

/// The text that set a value, when the repository wrote it.
fn written<T>(s: &Setting<T>) -> Option<Span> {
    s.origin.span().filter(|span| *span != Span::default())
}

/// `--no-cross-namespace-refs` of `controller`: as the configuration states it, else unknown
/// when the repository does not show the controller (a placeholder `gotk-components.yaml` stands
/// for the default components only: another may still run with the flag), else its arg.
pub(crate) fn no_cross_namespace_refs(cluster: &Cluster, controller: Controller) -> FlagState {
    let facts = cluster.controllers.of(controller);
    let flag = facts.bool_flag(NO_CROSS_NAMESPACE_REFS);
    let state = if flag.value { CrossNs::On } else { CrossNs::Off };
    if flag.origin == Origin::Config {
        return FlagState { state, span: None };
    }
    if !cluster.controllers.known || !facts.deployed {
        return FlagState { state: CrossNs::Unknown, span: None };
    }
    FlagState { state, span: written(&flag) }
}

/// `--default-service-account` of kustomize- or helm-controller, with where it was set.
pub(crate) fn default_service_account(cluster: &Cluster, controller: Controller) -> Option<(String, Option<Span>)> {
    let flag = cluster.controllers.of(controller).string_flag(DEFAULT_SERVICE_ACCOUNT)?;
    Some((flag.value.to_string(), written(&flag)))
}

/// `--no-remote-bases` of `controller` (kustomize-controller), with where it was set.
pub(crate) fn no_remote_bases(cluster: &Cluster, controller: Controller) -> (bool, Option<Span>) {
    let flag = cluster.controllers.of(controller).bool_flag(NO_REMOTE_BASES);
    (flag.value, written(&flag))
}

/// Whether the repository (or the configuration) says how the controllers run.
pub(crate) fn known(cluster: &Cluster) -> bool {
    cluster.controllers.stated()
}

/// The note for a controller whose flags are unknown: nothing said at all, or no Deployment
/// of that controller in what the repository installs.
pub(crate) fn unknown_note(cluster: &Cluster, controller: Controller) -> String {
    if known(cluster) {
        format!("lockdown unknown: the repository installs no {} Deployment to read its flags from", controller.name())
    } else {
        UNKNOWN_NOTE.to_string()
    }
}

/// `""` when the flags of `controller` are known, else ` (lockdown unknown: ...)` for a message.
pub(crate) fn unknown_suffix(cluster: &Cluster, controller: Controller) -> String {
    if cluster.controllers.known && deployed(cluster, controller) {
        String::new()
    } else {
        format!(" ({})", unknown_note(cluster, controller))
    }
}

/// Whether the cluster's bootstrap installs `controller`.
pub(crate) fn deployed(cluster: &Cluster, controller: Controller) -> bool {
    cluster.controllers.of(controller).deployed
}

/// Any other flag of `controller` (`--sops-age-secret`, workload-identity defaults), as its
/// Deployment's args set it. `None` when the flag is absent or empty.
pub(crate) fn controller_flag(cluster: &Cluster, controller: Controller, flag: &str) -> Option<(String, Option<Span>)> {
    let arg = cluster.controllers.of(controller).arg(flag).filter(|s| !s.value.is_empty())?;
    Some((arg.value.to_string(), written(&arg)))
}
