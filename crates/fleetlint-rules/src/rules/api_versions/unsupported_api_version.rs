use fleetlint_fleet::{FluxVersion, VersionFrom};
use fleetlint_yaml::Node;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::api_versions::helpers::versions::{NEWEST_MINOR, Status, knows_kind, lookup, replacement};

declare_rule! {
    /// ## What it does
    /// Reports a Flux object rendered in a cluster whose `apiVersion` that cluster's Flux
    /// release does not serve — removed (`kustomize.toolkit.fluxcd.io/v1beta1`,
    /// `helm.toolkit.fluxcd.io/v2beta1`, `source.toolkit.fluxcd.io/v1beta1` since Flux 2.7;
    /// `source`/`kustomize` `v1beta2` and `helm` `v2beta2` since 2.8; `image`/`notification`
    /// `v1beta2` since 2.9), not served yet (`image.toolkit.fluxcd.io/v1` before 2.7), or never
    /// served — as an error, and a served but deprecated version as a warning. The message names
    /// the release that removed it and the version to use.
    ///
    /// The Flux version is the cluster's (the `# Flux Version:` header of `gotk-components.yaml`,
    /// a FluxInstance's `spec.distribution.version`, or `clusterOverrides.<cluster>.fluxVersion`).
    /// When nothing states it, fleetlint cannot know whether the cluster still serves a version
    /// (an error must be certain): a version some release removed is a warning (Flux deprecates
    /// an API version in the releases before it removes it, so whatever the cluster runs, the
    /// version is deprecated or gone), a version only deprecated in the newest release an info;
    /// both say the version was assumed (the newest release, Flux 2.9) and how to state it
    /// (`clusterOverrides.<cluster>.fluxVersion`); a version no Flux 2 release serves stays an
    /// error. Clusters on Flux 0.x are not judged. Only rendered objects are checked:
    /// a file no cluster applies can be stale without breaking anything.
    ///
    /// ## Why is this bad?
    /// kustomize-controller fails the whole Kustomization with `no matches for kind "HelmRelease"
    /// in version "helm.toolkit.fluxcd.io/v2beta1"`. Upgrading Flux past the removal also needs
    /// the objects stored in the cluster migrated (`flux migrate`), or the CRD update fails with
    /// `status.storedVersions[0]: Invalid value: "v2beta1": missing from spec.versions`. A
    /// deprecated version works, but the next removal breaks it.
    ///
    /// ## Severity
    /// `error` where the cluster's Flux release does not serve the version (removed, never served,
    /// or newer than that release); `warning` where it is still served but deprecated. When the
    /// cluster's Flux version is unknown: `warning` for a removed version, `info` for a deprecated
    /// one (issue 14: the catalog's severity is overridden for an assumed version).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: source.toolkit.fluxcd.io/v1beta2   # removed in Flux 2.8 -> v1
    /// kind: OCIRepository
    /// ```
    ///
    /// ## Fix
    /// Change `apiVersion` to the version the message names (check the kind's changelog for
    /// renamed fields), and run `flux migrate` before upgrading a cluster past the removal. If the
    /// cluster runs an older Flux than fleetlint assumed, state it:
    /// `clusterOverrides: {<cluster>: {fluxVersion: v2.6.0}}` in `.fleetlint.yaml`.
    pub(crate) struct UnsupportedApiVersion {
        code: "API001",
        name: "unsupported-api-version",
        category: Category::ApiVersion,
        severity: Severity::Error,
    }
}

impl Rule for UnsupportedApiVersion {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let Some(judge) = Judge::of(&cx.cluster.flux_version) else { return };
        // One finding per manifest: a base rendered twice (two overlays, two target
        // namespaces) has one apiVersion line to fix.
        let mut seen = std::collections::HashSet::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized {
                continue;
            }
            let Some(view) = o.view() else { continue };
            let (group, kind) = (view.group(), view.kind());
            let Some((_, version)) = view.api_version().rsplit_once('/') else { continue };
            if !knows_kind(group, kind) {
                continue;
            }
            let Some(span) = o.root.get("apiVersion").map(|n: &Node| n.span) else { continue };
            if !seen.insert(span) {
                continue;
            }
            let Some((severity, message)) = judge.verdict(group, version, kind) else { continue };
            let to = replacement(group, kind, judge.minor).unwrap_or("");
            // The removal help also for an info (a removal judged against an assumed release).
            let removal = severity == Severity::Error || !message.contains("is deprecated");
            let help = if removal {
                format!(
                    "change apiVersion to `{group}/{to}` (check the kind's changelog for renamed fields) and run \
                     `flux migrate` before upgrading a cluster past the removal"
                )
            } else {
                format!("change apiVersion to `{group}/{to}` before the release that removes `{version}`")
            };
            let f =
                Finding::new(Self::ID, span, message).with_severity(severity).with_help(help).with_field("apiVersion");
            out.push(cx.about(f, i));
        }
    }
}

/// What a finding judged against an assumed Flux release says about it.
pub(crate) fn assumed_version_note(minor: u32) -> String {
    format!(
        "(the cluster's Flux version is unknown: judged against the newest release, Flux 2.{minor}; state it with \
         `clusterOverrides.<cluster>.fluxVersion` in .fleetlint.yaml)"
    )
}

/// The Flux minor a cluster is judged against, and what the messages say about it.
struct Judge {
    minor: u32,
    /// The release as written (`v2.7.x`), when the repository states it.
    stated: Option<String>,
}

impl Judge {
    fn of(v: &FluxVersion) -> Option<Self> {
        let stated = (v.from != VersionFrom::Assumed).then(|| v.value.clone());
        match v.minor() {
            Some((2, minor)) => Some(Self { minor, stated }),
            // Flux 0.x served other versions than the table's; nothing to say reliably.
            Some(_) => None,
            // An unparsable version (`latest`): judge as the newest, like an assumed one.
            None => Some(Self { minor: NEWEST_MINOR, stated: None }),
        }
    }

    /// `(severity, message)` for `group/version` `kind`, or `None` when it is served as is.
    fn verdict(&self, group: &str, version: &str, kind: &str) -> Option<(Severity, String)> {
        let to = replacement(group, kind, self.minor).unwrap_or("?");
        let what = format!("`{group}/{version}` {kind}");
        let (severity, text) = match lookup(group, version, kind).map(|a| (a, a.status(self.minor))) {
            None => (Severity::Error, format!("{what} is not served by any Flux 2 release; use `{group}/{to}`")),
            Some((_, Status::Served)) => return None,
            Some((_, Status::Removed(r))) => {
                (Severity::Error, format!("{what} was removed in Flux 2.{r}; use `{group}/{to}`"))
            }
            Some((_, Status::NotYet(s))) => (
                Severity::Error,
                format!(
                    "{what} is first served by Flux 2.{s}, but the cluster runs Flux {}; use `{group}/{to}` or \
                     upgrade Flux",
                    self.stated.as_deref().unwrap_or("?")
                ),
            ),
            Some((a, Status::Deprecated(_))) => {
                let when = a.removed.map_or_else(String::new, |r| format!(" (removed in Flux 2.{r})"));
                (Severity::Warning, format!("{what} is deprecated{when}; use `{group}/{to}`"))
            }
        };
        // A version no Flux 2 release serves fails on any cluster; anything else depends on a
        // release the repository does not state.
        let certain = self.stated.is_some() || lookup(group, version, kind).is_none();
        if certain {
            return Some((severity, text));
        }
        // Removed in some release: deprecated before it, so deprecated or gone on any cluster
        // that still runs Flux 2 (a warning); only deprecated in the newest: maybe not yet on
        // this cluster (an info).
        let severity = if severity == Severity::Error { Severity::Warning } else { Severity::Info };
        Some((severity, format!("{text} {}", assumed_version_note(NEWEST_MINOR))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(value: &str, from: VersionFrom) -> Judge {
        Judge::of(&FluxVersion { value: value.to_string(), from }).unwrap()
    }

    #[test]
    fn removed_versions_name_the_release_and_the_replacement() {
        let j = judge("v2.8.1", VersionFrom::GotkComponents);
        let (sev, msg) = j.verdict("source.toolkit.fluxcd.io", "v1beta2", "OCIRepository").unwrap();
        assert_eq!(sev, Severity::Error);
        assert_eq!(
            msg,
            "`source.toolkit.fluxcd.io/v1beta2` OCIRepository was removed in Flux 2.8; use `source.toolkit.fluxcd.io/v1`"
        );
        assert!(j.verdict("source.toolkit.fluxcd.io", "v1", "OCIRepository").is_none());
    }

    #[test]
    fn deprecated_is_a_warning_and_unknown_versions_are_errors() {
        let j = judge("2.7.x", VersionFrom::FluxInstance);
        let (sev, msg) = j.verdict("notification.toolkit.fluxcd.io", "v1beta2", "Alert").unwrap();
        assert_eq!((sev, msg.contains("removed in Flux 2.9")), (Severity::Warning, true));
        let (sev, msg) = j.verdict("kustomize.toolkit.fluxcd.io", "v2", "Kustomization").unwrap();
        assert_eq!((sev, msg.contains("not served by any Flux 2 release")), (Severity::Error, true));
    }

    #[test]
    fn versions_newer_than_the_cluster_are_errors_and_assumed_versions_are_said() {
        let j = judge("v2.6.0", VersionFrom::Config);
        let (sev, msg) = j.verdict("image.toolkit.fluxcd.io", "v1", "ImagePolicy").unwrap();
        assert_eq!(sev, Severity::Error);
        assert!(msg.contains("first served by Flux 2.7") && msg.contains("`image.toolkit.fluxcd.io/v1beta2`"), "{msg}");
        let j = judge("2.9.0", VersionFrom::Assumed);
        let (sev, msg) = j.verdict("helm.toolkit.fluxcd.io", "v2beta1", "HelmRelease").unwrap();
        assert_eq!(sev, Severity::Warning, "a removal under an assumed version is not certain, the deprecation is");
        assert!(msg.ends_with("state it with `clusterOverrides.<cluster>.fluxVersion` in .fleetlint.yaml)"), "{msg}");
        let (sev, _) = j.verdict("kustomize.toolkit.fluxcd.io", "v2", "Kustomization").unwrap();
        assert_eq!(sev, Severity::Error, "a version no release serves fails on every cluster");
        assert!(Judge::of(&FluxVersion { value: "v0.41.2".into(), from: VersionFrom::GotkComponents }).is_none());
    }
}
