//! Build issues: everything that goes wrong or is left out while resolving an overlay.

use fleetlint_yaml::Span;

/// What kind of problem a [`BuildIssue`] is; the rules crate maps these to finding codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuildIssueKind {
    /// An input kustomize rejects or that fleetlint cannot read (missing file, empty or invalid
    /// kustomization, invalid patch, cycle, path leaving the root, unsupported feature):
    /// `SRC003 kustomize-build-input-invalid`.
    InputInvalid,
    /// A remote resource, base or component (URL, `git@`, `github.com/...`) that is not fetched:
    /// `SRC005 remote-kustomize-resource`.
    RemoteResource,
    /// A patch whose explicit `target` selects nothing (kustomize accepts it):
    /// `SRC013 patch-target-unmatched`.
    PatchTargetUnmatched,
    /// A patch whose target selects nothing in a build that left inputs out (a remote resource,
    /// a plugin, a Helm chart): the target may be among them, so whether kustomize would match
    /// it is unknown (SRC013 at info level, never an error).
    PatchTargetUnknown,
    /// What a must-match transformer or generator names (a `replicas` entry, a generator with
    /// `behavior: merge`/`replace`, a `replacements` source) is found nowhere in a build that
    /// left inputs out (a remote resource, a plugin): kustomize fails only when nothing matches
    /// in the complete build, so whether it fails is unknown (SRC003 at info level, never an
    /// error).
    InputUnknown,
}

/// A problem found while building a directory.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildIssue {
    /// The kind of problem.
    pub kind: BuildIssueKind,
    /// A human-readable explanation.
    pub message: String,
    /// Where: usually the entry in the kustomization file that caused it.
    pub span: Span,
    /// Whether `kustomize build` itself fails on this input.
    pub fatal: bool,
}

/// How kustomize words a build that needs an external (exec or KRM function) plugin, which it
/// and kustomize-controller refuse to run (`kubernetes-sigs/kustomize@12f9e639:api/krusty/
/// options.go` `MakeDefaultOptions`: `PluginConfig: types.DisabledPluginConfig()`, unless
/// `--enable-alpha-plugins`).
pub(crate) const EXTERNAL_PLUGINS_DISABLED: &str = "external plugins disabled";

impl BuildIssue {
    /// Whether the build needs an external plugin (KSOPS, a KRM function): a directory meant
    /// for `kustomize build --enable-alpha-plugins`, which Flux never runs.
    #[must_use]
    pub fn needs_external_plugin(&self) -> bool {
        self.message.contains(EXTERNAL_PLUGINS_DISABLED)
    }

    pub(crate) fn invalid(span: Span, fatal: bool, message: impl Into<String>) -> Self {
        Self { kind: BuildIssueKind::InputInvalid, message: message.into(), span, fatal }
    }

    /// A patch target found nowhere in a build that left something out: not an error, since
    /// the object may be in what was left out (a patch of an object that a remote
    /// `install.yaml` defines is the common case).
    pub(crate) fn target_unknown(span: Span, what: &str) -> Self {
        Self {
            kind: BuildIssueKind::PatchTargetUnknown,
            message: format!(
                "{what} matches no object fleetlint built, but the build leaves out inputs it does not fetch or execute (remote resources, plugins): the target may be one of them"
            ),
            span,
            fatal: false,
        }
    }

    /// [`BuildIssueKind::InputUnknown`]: `what` (a transformer's or generator's target, said as
    /// kustomize's error says it) is found nowhere in a build that left something out.
    pub(crate) fn input_unknown(span: Span, what: &str) -> Self {
        Self {
            kind: BuildIssueKind::InputUnknown,
            message: format!(
                "{what} in what fleetlint built, but the build leaves out inputs it does not fetch or execute (remote resources, plugins): the object may be one of them, and kustomize fails only if it is not"
            ),
            span,
            fatal: false,
        }
    }
}
