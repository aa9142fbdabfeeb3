//! Kinds whose CRD the cluster may replace with a definition fleetlint cannot read: the schema
//! fleetlint has for them (the bundled Flux CRD, or a CRD rendered from Git) is then not known
//! to be the one the API server validates against (issue 14: an error must be certain).
//!
//! A kind's CRD "could be replaced" when, in the same cluster,
//! - a build leaves out a remote resource (SRC005) whose URL could hold that CRD: a file named
//!   `<group>_<plural>.yaml` (controller-gen's name for one CRD,
//!   kubernetes-sigs/controller-tools `pkg/crd/gen.go` `Generator.Generate`: `fmt.Sprintf("%s_%s.yaml",
//!   crdRaw.Spec.Group, crdRaw.Spec.Names.Plural)`) holds exactly that CRD; any other URL could hold
//!   it when it names the API group, the kind's plural, or the group's organisation label
//!   (`fluxcd` for `source.toolkit.fluxcd.io`, `cert-manager` for `cert-manager.io`). A remote whose
//!   URL names none of them (a cert-manager release for a Flux kind, a `<other-group>_<plural>.yaml`
//!   CRD file) does not make the schema uncertain;
//! - or, for a Flux kind, a FluxInstance's `spec.kustomize.patches` selects the kind's CRD in
//!   the distribution to delete it (as a fleet that re-adds a newer CRD from a feature branch
//!   does) or to change its `spec`: `crate::rules::helpers::distribution`. A patch of its labels
//!   or annotations does not.

use fleetlint_fleet::Cluster;
use fleetlint_kustomize::BuildIssueKind;
use fleetlint_schema::SchemaSource;
use fleetlint_yaml::Span;

use crate::rules::helpers::distribution::{flux_plural, instance_patches};
use crate::rules::src_integrity::remote_kustomize_resource::remote_url;

/// Why the schema of a kind is not known: what may replace its CRD, and where that is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Replacement {
    /// What may replace the CRD, for the message.
    pub(crate) what: String,
    /// Where it is written: the FluxInstance patch, the remote entry, or both.
    pub(crate) spans: Vec<Span>,
}

/// What in a cluster may replace CRDs: left-out remote resources and FluxInstance patches of
/// distribution CRDs.
#[derive(Debug, Default)]
pub(crate) struct Replacements {
    /// Left-out remote resources: (URL, entry).
    remotes: Vec<(String, Span)>,
    /// Distribution CRDs `(group, plural)` a FluxInstance patch selects, with the patch.
    patched: Vec<(&'static str, &'static str, Span)>,
}

impl Replacements {
    /// Collect them for `cluster`.
    pub(crate) fn of(cluster: &Cluster) -> Self {
        let mut remotes: Vec<(String, Span)> = cluster
            .build_issues
            .iter()
            .filter(|i| i.kind == BuildIssueKind::RemoteResource)
            .map(|i| (remote_url(&i.message).to_string(), i.span))
            .collect();
        remotes.sort_by_key(|(_, s)| (s.file.0, s.start));
        remotes.dedup();
        let mut patched = Vec::new();
        for o in &cluster.objects {
            for p in instance_patches(&o.root).into_iter().filter(|p| p.may_change_schema()) {
                patched.extend(p.flux_crds().map(|(g, plural)| (g, plural, p.entry.span)));
            }
        }
        Self { remotes, patched }
    }

    /// Whether nothing may replace a CRD (the common case: no work per object).
    pub(crate) fn is_empty(&self) -> bool {
        self.remotes.is_empty() && self.patched.is_empty()
    }

    /// Why the schema `source` that validated an object of `group`/`kind` may not be the
    /// cluster's; `None` when it is certain (built-in kinds always are).
    pub(crate) fn of_kind(&self, source: &SchemaSource, group: &str, kind: &str) -> Option<Replacement> {
        let plural = match source {
            SchemaSource::Kubernetes { .. } => return None,
            SchemaSource::Flux { .. } => flux_plural(group, kind)?.to_string(),
            SchemaSource::Crd { name } => name.strip_suffix(group)?.strip_suffix('.')?.to_string(),
        };
        let mut what = Vec::new();
        let mut spans = Vec::new();
        if matches!(source, SchemaSource::Flux { .. })
            && let Some((_, _, at)) = self.patched.iter().find(|(g, p, _)| *g == group && *p == plural)
        {
            what.push(format!("a FluxInstance patch selects the CRD {plural}.{group} of the Flux distribution"));
            spans.push(*at);
        }
        if let Some((url, at)) = self.remotes.iter().find(|(url, _)| could_define(url, group, &plural)) {
            what.push(format!("the remote resource {url}, which fleetlint does not fetch, may define it"));
            spans.push(*at);
        }
        (!spans.is_empty()).then(|| Replacement { what: what.join(", and "), spans })
    }
}

/// Labels of API group domains that name no project (public suffixes and generic words).
const GENERIC_LABELS: &[&str] = &["io", "com", "org", "net", "dev", "sh", "cloud", "app", "k8s", "x-k8s", "co"];

/// The label of `group` that names its owner: the one before the public suffix
/// (`fluxcd` in `source.toolkit.fluxcd.io`, `cert-manager` in `cert-manager.io`, `networking`
/// in `gateway.networking.k8s.io`).
fn organisation(group: &str) -> Option<&str> {
    group.split('.').rev().find(|l| !GENERIC_LABELS.contains(l))
}

/// Whether the remote resource `url` could hold the CRD `<plural>.<group>` (module docs).
fn could_define(url: &str, group: &str, plural: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or(&lower);
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = [".yaml", ".yml", ".json"].iter().find_map(|e| file.strip_suffix(e));
    if let Some((g, p)) = stem.and_then(|s| s.split_once('_')).filter(|(g, _)| g.contains('.')) {
        return g == group && p == plural;
    }
    let words = || lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
    lower.contains(group)
        || words().any(|w| w == plural)
        || organisation(group).is_some_and(|org| words().any(|w| w == org))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_could_define_a_crd_only_when_its_url_says_so() {
        let oci = ("source.toolkit.fluxcd.io", "ocirepositories");
        let could = |url: &str| could_define(url, oci.0, oci.1);
        // The CRD file itself, named as controller-gen names it.
        assert!(could(
            "https://raw.githubusercontent.com/fluxcd/source-controller/316edc33/config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml"
        ));
        // Another CRD file of the same project: it holds one CRD, not this one.
        assert!(!could(
            "https://raw.githubusercontent.com/fluxcd/source-controller/main/config/crd/bases/source.toolkit.fluxcd.io_buckets.yaml"
        ));
        // A Flux release manifest or base: it installs every Flux CRD, of its own version.
        assert!(could("https://github.com/fluxcd/flux2/releases/download/v2.3.0/install.yaml"));
        assert!(could("github.com/fluxcd/flux2/manifests/install?ref=v2.5.1"));
        assert!(could("https://example.com/crds/ocirepositories.yaml"));
        // Other projects' manifests say nothing of Flux.
        assert!(!could(
            "https://github.com/cert-manager/cert-manager/releases/download/v1.14.0/cert-manager.crds.yaml"
        ));
        assert!(!could(
            "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.70.0/bundle.yaml"
        ));
        assert!(could_define(
            "https://github.com/cert-manager/cert-manager/releases/download/v1.14.0/cert-manager.crds.yaml",
            "cert-manager.io",
            "certificates"
        ));
        assert_eq!(organisation("gateway.networking.k8s.io"), Some("networking"));
    }
}
