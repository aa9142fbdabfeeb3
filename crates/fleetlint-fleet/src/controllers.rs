//! What the Flux controllers of a cluster run with: per controller, whether the cluster deploys
//! it, every flag of its container args with where the value came from (the arg, the
//! configuration's `clusterOverrides`, or the controller's default), and its feature gates. The
//! configuration is applied here, once; the report's lockdown summary derives from the result.
//!
//! Flags are parsed as the controllers' `spf13/pflag` flag sets parse them: the last occurrence
//! of a flag wins, a bare boolean flag is `true`, boolean values are read like Go's
//! `strconv.ParseBool`. `--feature-gates` is a `MapStringBool` (`fluxcd/pkg@e2cfd1a2:
//! runtime/features/features.go`, `FeatureGates.BindFlags`): `A=true,B=false`, and repeated
//! `--feature-gates` args add to the same map. The lockdown flags and their defaults are those of
//! `fluxcd/kustomize-controller@186fb3b:main.go` (`--no-remote-bases`, false;
//! `--default-service-account`, empty) and `fluxcd/pkg@e2cfd1a2:runtime/acl/flags.go`
//! (`--no-cross-namespace-refs`, false), bound by every controller that resolves references.

use std::collections::BTreeMap;

use fleetlint_yaml::{FluxKind, Node, Span};

use crate::config::ClusterOverride;
use crate::model::{Lockdown, RenderedObject};

/// A Flux controller, named like its Deployment in the flux2 manifests
/// (`fluxcd/flux2@da2d22d3:manifests/bases/<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Controller {
    /// source-controller.
    Source,
    /// kustomize-controller.
    Kustomize,
    /// helm-controller.
    Helm,
    /// notification-controller.
    Notification,
    /// image-reflector-controller.
    ImageReflector,
    /// image-automation-controller.
    ImageAutomation,
    /// source-watcher (ArtifactGenerator, Flux 2.7+).
    SourceWatcher,
}

impl Controller {
    /// Every controller.
    pub const ALL: [Controller; 7] = [
        Controller::Source,
        Controller::Kustomize,
        Controller::Helm,
        Controller::Notification,
        Controller::ImageReflector,
        Controller::ImageAutomation,
        Controller::SourceWatcher,
    ];

    /// The Deployment's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Controller::Source => "source-controller",
            Controller::Kustomize => "kustomize-controller",
            Controller::Helm => "helm-controller",
            Controller::Notification => "notification-controller",
            Controller::ImageReflector => "image-reflector-controller",
            Controller::ImageAutomation => "image-automation-controller",
            Controller::SourceWatcher => "source-watcher",
        }
    }

    /// The controller a Deployment name stands for.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The controller that reconciles objects of `kind` (and so resolves their references and
    /// impersonates for them); `None` for the Flux Operator's kinds.
    #[must_use]
    pub fn of_kind(kind: FluxKind) -> Option<Self> {
        Some(match kind {
            FluxKind::Kustomization => Controller::Kustomize,
            FluxKind::HelmRelease => Controller::Helm,
            FluxKind::GitRepository
            | FluxKind::OciRepository
            | FluxKind::HelmRepository
            | FluxKind::HelmChart
            | FluxKind::Bucket
            | FluxKind::ExternalArtifact => Controller::Source,
            FluxKind::Alert | FluxKind::Provider | FluxKind::Receiver => Controller::Notification,
            FluxKind::ImageRepository | FluxKind::ImagePolicy => Controller::ImageReflector,
            FluxKind::ImageUpdateAutomation => Controller::ImageAutomation,
            FluxKind::FluxInstance | FluxKind::ResourceSet | FluxKind::ResourceSetInputProvider => return None,
        })
    }
}

impl std::fmt::Display for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `--no-cross-namespace-refs`.
pub const NO_CROSS_NAMESPACE_REFS: &str = "no-cross-namespace-refs";
/// `--default-service-account`.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default-service-account";
/// `--no-remote-bases`.
pub const NO_REMOTE_BASES: &str = "no-remote-bases";

/// Where a flag's or gate's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A container arg of the controller's Deployment: a patch line when a patch added it, the
    /// text that stands in for the Deployment when fleetlint synthesized it.
    Arg(Span),
    /// `.fleetlint.yaml` `clusterOverrides.<cluster>`.
    Config,
    /// Not set: the controller's default.
    Default,
}

impl Origin {
    /// The text that set the value, when there is one.
    #[must_use]
    pub fn span(self) -> Option<Span> {
        match self {
            Origin::Arg(span) => Some(span),
            _ => None,
        }
    }
}

/// A value with its origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
struct Arg {
    name: String,
    value: String,
    span: Span,
}

/// What one controller runs with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ControllerFacts {
    /// Whether the cluster's objects include its Deployment in a platform namespace.
    pub deployed: bool,
    /// Whether that Deployment is written in the repository (not synthesized by fleetlint).
    pub written: bool,
    /// Its namespace (the first Deployment's).
    pub namespace: Option<String>,
    args: Vec<Arg>,
    overrides: BTreeMap<&'static str, String>,
    gates: BTreeMap<String, Setting<bool>>,
}

/// Go's `strconv.ParseBool`.
#[must_use]
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The gates of one `--feature-gates` value: `A=true,B=false` (malformed pairs are skipped; the
/// controller would refuse to start on them).
#[must_use]
pub(crate) fn parse_feature_gates(value: &str) -> Vec<(String, bool)> {
    value
        .split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_string(), parse_bool(v.trim())?))
        })
        .collect()
}

impl ControllerFacts {
    /// The value of `--name` and its origin: the configuration's override, else the last arg,
    /// else `None` (the controller's default).
    #[must_use]
    pub fn flag(&self, name: &str) -> Option<Setting<&str>> {
        if let Some(v) = self.overrides.get(name) {
            return Some(Setting { value: v.as_str(), origin: Origin::Config });
        }
        self.arg(name)
    }

    /// A boolean flag (`false`, [`Origin::Default`], when absent).
    #[must_use]
    pub fn bool_flag(&self, name: &str) -> Setting<bool> {
        self.flag(name).map_or(Setting { value: false, origin: Origin::Default }, |s| Setting {
            value: parse_bool(s.value).unwrap_or(false),
            origin: s.origin,
        })
    }

    /// A string flag, when set to something (an empty value is the default: unset).
    #[must_use]
    pub fn string_flag(&self, name: &str) -> Option<Setting<&str>> {
        self.flag(name).filter(|s| !s.value.is_empty())
    }

    /// The last arg that sets `--name`, even when the configuration overrides it.
    #[must_use]
    pub fn arg(&self, name: &str) -> Option<Setting<&str>> {
        self.args
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| Setting { value: a.value.as_str(), origin: Origin::Arg(a.span) })
    }

    /// A feature gate, when the args or the configuration set it.
    #[must_use]
    pub fn gate(&self, name: &str) -> Option<Setting<bool>> {
        self.gates.get(name).copied()
    }

    fn read_args(&mut self, root: &Node) {
        let containers =
            root.get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).unwrap_or_default();
        for arg in containers.iter().flat_map(|c| c.get("args").and_then(Node::as_seq).unwrap_or_default()) {
            let Some(flag) = arg.as_str().and_then(|t| t.strip_prefix("--")) else { continue };
            let (name, value) = flag.split_once('=').unwrap_or((flag, "true"));
            if name == "feature-gates" {
                for (gate, on) in parse_feature_gates(value) {
                    self.gates.insert(gate, Setting { value: on, origin: Origin::Arg(arg.span) });
                }
            }
            self.args.push(Arg { name: name.to_string(), value: value.to_string(), span: arg.span });
        }
    }
}

/// What the controllers of one cluster run with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Controllers {
    /// Whether the repository shows what the controllers run with: committed bootstrap files, a
    /// `flux-system` kustomization, or a FluxInstance.
    pub known: bool,
    /// Whether `.fleetlint.yaml` states the lockdown (`clusterOverrides.<cluster>.lockdown`).
    pub configured: bool,
    facts: BTreeMap<Controller, ControllerFacts>,
}

/// Whether `o` is the Deployment of a Flux controller, and which.
fn controller_deployment(o: &RenderedObject) -> Option<Controller> {
    if o.kind() != "Deployment" || !o.api_version().starts_with("apps/") {
        return None;
    }
    Controller::from_name(o.name())
}

impl Controllers {
    /// Read the controller Deployments among `objects` (those in one of `platform_namespaces`),
    /// then apply the configuration's overrides for the cluster.
    #[must_use]
    pub fn read(
        objects: &[RenderedObject],
        platform_namespaces: &[String],
        known: bool,
        overrides: Option<&ClusterOverride>,
    ) -> Self {
        let mut me = Self { known, configured: false, facts: BTreeMap::new() };
        for o in objects {
            let Some(c) = controller_deployment(o) else { continue };
            if !platform_namespaces.iter().any(|p| p == o.namespace()) {
                continue;
            }
            let facts = me.facts.entry(c).or_default();
            facts.deployed = true;
            facts.written |= !o.synthesized;
            facts.namespace.get_or_insert_with(|| o.namespace().to_string());
            facts.read_args(&o.root);
        }
        if let Some(o) = overrides {
            me.apply(o);
        }
        me
    }

    /// The configuration's lockdown and feature gates. A lockdown flag the configuration states
    /// holds for every controller that has it; when the repository shows nothing, the flags it
    /// does not state take their defaults (the configuration is then all there is).
    fn apply(&mut self, o: &ClusterOverride) {
        if let Some(l) = &o.lockdown {
            self.configured = true;
            let bool_text = |b: bool| if b { "true" } else { "false" }.to_string();
            let stated: [(&'static str, &[Controller], Option<String>); 3] = [
                (NO_CROSS_NAMESPACE_REFS, &Controller::ALL, l.no_cross_namespace_refs.map(bool_text)),
                (
                    DEFAULT_SERVICE_ACCOUNT,
                    &[Controller::Kustomize, Controller::Helm],
                    l.default_service_account.clone(),
                ),
                (NO_REMOTE_BASES, &[Controller::Kustomize], l.no_remote_bases.map(bool_text)),
            ];
            for (flag, controllers, value) in stated {
                let value = match value {
                    Some(v) => v,
                    None if !self.known => String::new(),
                    None => continue,
                };
                for c in controllers {
                    self.facts.entry(*c).or_default().overrides.insert(flag, value.clone());
                }
            }
        }
        for (gate, on) in &o.feature_gates {
            for c in Controller::ALL {
                self.facts
                    .entry(c)
                    .or_default()
                    .gates
                    .insert(gate.clone(), Setting { value: *on, origin: Origin::Config });
            }
        }
    }

    /// One controller.
    #[must_use]
    pub fn of(&self, c: Controller) -> &ControllerFacts {
        static NONE: std::sync::OnceLock<ControllerFacts> = std::sync::OnceLock::new();
        self.facts.get(&c).unwrap_or_else(|| NONE.get_or_init(ControllerFacts::default))
    }

    /// Whether the repository or the configuration says what the controllers run with.
    #[must_use]
    pub fn stated(&self) -> bool {
        self.known || self.configured
    }

    /// The controllers the cluster deploys.
    #[must_use]
    pub fn deployed(&self) -> Vec<Controller> {
        Controller::ALL.into_iter().filter(|c| self.of(*c).deployed).collect()
    }

    /// The lockdown summary of the report: kustomize-controller's flags.
    #[must_use]
    pub fn lockdown(&self) -> Lockdown {
        let kc = self.of(Controller::Kustomize);
        Lockdown {
            known: self.stated(),
            no_cross_namespace_refs: kc.bool_flag(NO_CROSS_NAMESPACE_REFS).value,
            default_service_account: kc.string_flag(DEFAULT_SERVICE_ACCOUNT).map(|s| s.value.to_string()),
            no_remote_bases: kc.bool_flag(NO_REMOTE_BASES).value,
        }
    }
}

/// The Flux version from a `gotk-components.yaml` header: `# Flux Version: v2.9.0`.
#[must_use]
pub(crate) fn flux_version_from_header(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty() || l.starts_with("---"))
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("Flux Version:").map(|v| v.trim().to_string()))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LockdownOverride;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    const TEXT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args:\n        - --events-addr=http://x\n        - --no-cross-namespace-refs=true\n        - --default-service-account=default\n        - --no-remote-bases=true\n        - --feature-gates=ExternalArtifact=true,StrictPostBuildSubstitutions=false\n        - --feature-gates=StrictPostBuildSubstitutions=true\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: helm-controller\n  namespace: flux-system\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args: [--no-cross-namespace-refs=false]\n";

    fn objects() -> Vec<RenderedObject> {
        parse_yaml(FileId(0), TEXT, &Limits::default())
            .documents
            .into_iter()
            .map(|d| RenderedObject::new(d.root))
            .collect()
    }

    fn platform() -> Vec<String> {
        vec!["flux-system".to_string()]
    }

    #[test]
    fn reads_flags_and_gates_with_the_args_that_set_them() {
        let c = Controllers::read(&objects(), &platform(), true, None);
        let kc = c.of(Controller::Kustomize);
        assert!(kc.deployed && kc.written);
        let ncnr = kc.bool_flag(NO_CROSS_NAMESPACE_REFS);
        assert!(ncnr.value);
        assert_eq!(&TEXT[ncnr.origin.span().unwrap().range()], "--no-cross-namespace-refs=true");
        assert!(!c.of(Controller::Helm).bool_flag(NO_CROSS_NAMESPACE_REFS).value);
        assert_eq!(kc.string_flag(DEFAULT_SERVICE_ACCOUNT).map(|s| s.value), Some("default"));
        // Repeated --feature-gates add to one map; the later value of a gate wins.
        assert_eq!(kc.gate("ExternalArtifact").map(|g| g.value), Some(true));
        assert_eq!(kc.gate("StrictPostBuildSubstitutions").map(|g| g.value), Some(true));
        assert!(!c.of(Controller::Notification).deployed);
        assert_eq!(
            c.lockdown(),
            Lockdown {
                known: true,
                no_cross_namespace_refs: true,
                default_service_account: Some("default".into()),
                no_remote_bases: true
            }
        );
        // Not in a platform namespace: not the Flux installation.
        assert!(!Controllers::read(&objects(), &["infra".to_string()], true, None).of(Controller::Kustomize).deployed);
    }

    #[test]
    fn configuration_overrides_hold_for_every_controller() {
        let o = ClusterOverride {
            flux_version: None,
            kubernetes_version: None,
            lockdown: Some(LockdownOverride { no_cross_namespace_refs: Some(true), ..LockdownOverride::default() }),
            feature_gates: [("ExternalArtifact".to_string(), false)].into(),
        };
        let c = Controllers::read(&objects(), &platform(), true, Some(&o));
        let helm = c.of(Controller::Helm).bool_flag(NO_CROSS_NAMESPACE_REFS);
        assert_eq!(helm, Setting { value: true, origin: Origin::Config });
        // Not stated, and the repository says: the arg stands.
        assert!(c.of(Controller::Kustomize).bool_flag(NO_REMOTE_BASES).origin.span().is_some());
        let gate = c.of(Controller::Kustomize).gate("ExternalArtifact");
        assert_eq!(gate, Some(Setting { value: false, origin: Origin::Config }));
        // Nothing in the repository: the configuration is all there is.
        let c = Controllers::read(&[], &platform(), false, Some(&o));
        assert!(c.stated());
        let nrb = c.of(Controller::Kustomize).bool_flag(NO_REMOTE_BASES);
        assert_eq!(nrb, Setting { value: false, origin: Origin::Config });
    }

    #[test]
    fn kinds_map_to_their_controllers() {
        assert_eq!(Controller::of_kind(FluxKind::HelmRelease), Some(Controller::Helm));
        assert_eq!(Controller::of_kind(FluxKind::Bucket), Some(Controller::Source));
        assert_eq!(Controller::of_kind(FluxKind::ImagePolicy), Some(Controller::ImageReflector));
        assert_eq!(Controller::of_kind(FluxKind::ResourceSet), None);
        assert_eq!(Controller::from_name("source-watcher"), Some(Controller::SourceWatcher));
        assert_eq!(parse_feature_gates("A=true, B=0,bad"), vec![("A".into(), true), ("B".into(), false)]);
    }

    #[test]
    fn reads_the_flux_version_header() {
        assert_eq!(
            flux_version_from_header("---\n# Flux Version: v2.9.0\n# Components: x\napiVersion: v1\n"),
            Some("v2.9.0".into())
        );
        assert_eq!(flux_version_from_header("# This manifest was generated by flux. DO NOT EDIT.\n"), None);
    }
}
