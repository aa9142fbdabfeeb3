//! Controller configuration of a cluster: lockdown flags and feature gates read from the
//! container args of the Flux controller Deployments (after the bootstrap patches), and the Flux
//! version from the `gotk-components.yaml` header (flux-rules A1, A9.3).

use fleetlint_yaml::{Node, ObjectView, Span};

/// The Flux controllers whose Deployments carry lockdown flags.
pub const CONTROLLERS: &[&str] = &[
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
];

/// One flag as set on one controller, with the text that set it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlagSetting {
    /// The controller Deployment's name.
    pub controller: String,
    /// The flag's value (`true` for a bare boolean flag).
    pub value: String,
    /// The arg node that set it (a patch line when a patch added it).
    pub span: Span,
}

/// What the controllers of one cluster run with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ControllerConfig {
    /// Whether any controller Deployment (or FluxInstance, or config) said anything.
    pub known: bool,
    /// `--no-cross-namespace-refs`, per controller.
    pub no_cross_namespace_refs: Vec<FlagSetting>,
    /// `--default-service-account`, per controller.
    pub default_service_account: Vec<FlagSetting>,
    /// `--no-remote-bases` (kustomize-controller).
    pub no_remote_bases: Vec<FlagSetting>,
    /// `--feature-gates`, per controller.
    pub feature_gates: Vec<FlagSetting>,
}

impl ControllerConfig {
    /// Read the flags from the rendered objects of the cluster's `flux-system` build.
    #[must_use]
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Node>) -> Self {
        let mut cfg = Self::default();
        for root in objects {
            let Some(obj) = ObjectView::new(root) else { continue };
            if obj.kind() != "Deployment" || !obj.api_version().starts_with("apps/") {
                continue;
            }
            let Some(name) = obj.name().filter(|n| CONTROLLERS.contains(n)) else { continue };
            cfg.known = true;
            let containers =
                root.get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).unwrap_or_default();
            for container in containers {
                let args = container.get("args").and_then(Node::as_seq).unwrap_or_default();
                for arg in args {
                    let Some(text) = arg.as_str() else { continue };
                    let Some(flag) = text.strip_prefix("--") else { continue };
                    let (flag, value) = flag.split_once('=').unwrap_or((flag, "true"));
                    let setting =
                        FlagSetting { controller: name.to_string(), value: value.to_string(), span: arg.span };
                    match flag {
                        "no-cross-namespace-refs" => cfg.no_cross_namespace_refs.push(setting),
                        "default-service-account" => cfg.default_service_account.push(setting),
                        "no-remote-bases" => cfg.no_remote_bases.push(setting),
                        "feature-gates" => cfg.feature_gates.push(setting),
                        _ => {}
                    }
                }
            }
        }
        cfg
    }

    /// Whether `flag` is on for `controller` (last setting wins, as with Go's flag package).
    #[must_use]
    pub fn enabled(settings: &[FlagSetting], controller: &str) -> bool {
        settings.iter().rev().find(|s| s.controller == controller).is_some_and(|s| s.value == "true")
    }

    /// The value of a string flag for `controller`.
    #[must_use]
    pub fn value<'a>(settings: &'a [FlagSetting], controller: &str) -> Option<&'a str> {
        settings.iter().rev().find(|s| s.controller == controller).map(|s| s.value.as_str()).filter(|v| !v.is_empty())
    }
}

/// The Flux version from a `gotk-components.yaml` header: `# Flux Version: v2.9.0`.
#[must_use]
pub fn flux_version_from_header(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty() || l.starts_with("---"))
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("Flux Version:").map(|v| v.trim().to_string()))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    #[test]
    fn reads_lockdown_flags_from_controller_args() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args:\n        - --events-addr=http://x\n        - --no-cross-namespace-refs=true\n        - --default-service-account=default\n        - --no-remote-bases=true\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: helm-controller\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args: [--no-cross-namespace-refs=false]\n";
        let p = parse_yaml(FileId(0), text, &Limits::default());
        let cfg = ControllerConfig::from_objects(p.documents.iter().map(|d| &d.root));
        assert!(cfg.known);
        assert!(ControllerConfig::enabled(&cfg.no_cross_namespace_refs, "kustomize-controller"));
        assert!(!ControllerConfig::enabled(&cfg.no_cross_namespace_refs, "helm-controller"));
        assert_eq!(ControllerConfig::value(&cfg.default_service_account, "kustomize-controller"), Some("default"));
        assert!(ControllerConfig::enabled(&cfg.no_remote_bases, "kustomize-controller"));
        let span = cfg.no_remote_bases[0].span;
        assert_eq!(&text[span.range()], "--no-remote-bases=true");
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
