//! What a Flux distribution installs that fleetlint does not render, and the FluxInstance
//! patches aimed at it.
//!
//! The Flux Operator builds the distribution from a generated kustomization whose resources are
//! the Namespace, the NetworkPolicies, the RBAC (`roles`) and one manifest per component (its
//! CRDs, Deployment, Service and ServiceAccount), and whose `patches` end with the FluxInstance's
//! `spec.kustomize.patches` (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/templates.go
//! `kustomizationTmpl`, `{{ .Patches }}`; `internal/builder/build.go` `generate`). The component
//! manifests carry the CRDs of fluxcd/flux2@da2d22d3:manifests/crds/kustomization.yaml. fleetlint
//! renders only the controller Deployments and the sync objects of a FluxInstance
//! (`fleetlint_fleet`'s bootstrap seeds), so a patch aimed at a CRD or at another object of the
//! distribution meets nothing fleetlint can see.

use std::sync::OnceLock;

use fleetlint_fleet::flux::InstanceSpec;
use fleetlint_kustomize::patch::target::Target;
use fleetlint_yaml::{FileId, Limits, Node, Span, parse_yaml};

/// The CRDs of the Flux distribution, `(group, kind, plural)`: the `config/crd/bases` files of
/// source-controller, kustomize-controller, helm-controller, notification-controller,
/// image-reflector-controller, image-automation-controller and source-watcher that
/// fluxcd/flux2@da2d22d3:manifests/crds/kustomization.yaml lists.
pub(crate) const FLUX_CRDS: &[(&str, &str, &str)] = &[
    ("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories"),
    ("source.toolkit.fluxcd.io", "HelmRepository", "helmrepositories"),
    ("source.toolkit.fluxcd.io", "HelmChart", "helmcharts"),
    ("source.toolkit.fluxcd.io", "Bucket", "buckets"),
    ("source.toolkit.fluxcd.io", "OCIRepository", "ocirepositories"),
    ("source.toolkit.fluxcd.io", "ExternalArtifact", "externalartifacts"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations"),
    ("helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases"),
    ("notification.toolkit.fluxcd.io", "Alert", "alerts"),
    ("notification.toolkit.fluxcd.io", "Provider", "providers"),
    ("notification.toolkit.fluxcd.io", "Receiver", "receivers"),
    ("image.toolkit.fluxcd.io", "ImageRepository", "imagerepositories"),
    ("image.toolkit.fluxcd.io", "ImagePolicy", "imagepolicies"),
    ("image.toolkit.fluxcd.io", "ImageUpdateAutomation", "imageupdateautomations"),
    ("source.extensions.fluxcd.io", "ArtifactGenerator", "artifactgenerators"),
];

/// Kinds of the distribution's objects that fleetlint does not render (besides the CRDs): the
/// Namespace, ResourceQuota and RBAC of fluxcd/flux2@da2d22d3:manifests/rbac, the NetworkPolicies
/// of `manifests/policies`, each component's ServiceAccount (`manifests/bases/*/account.yaml`)
/// and Service, and the operator's optional PersistentVolumeClaim (`internal/builder/build.go`
/// `pvcTmpl`).
const UNRENDERED_KINDS: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "ClusterRole",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "ServiceAccount",
    "Service",
    "PersistentVolumeClaim",
];

/// The plural of a Flux kind of `group`, as its CRD is named.
pub(crate) fn flux_plural(group: &str, kind: &str) -> Option<&'static str> {
    FLUX_CRDS.iter().find(|(g, k, _)| *g == group && *k == kind).map(|(_, _, p)| *p)
}

/// The distribution's CRDs as objects a patch target can be matched against.
fn flux_crd_objects() -> &'static [Node] {
    static OBJECTS: OnceLock<Vec<Node>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let text: String = FLUX_CRDS
            .iter()
            .map(|(g, _, p)| {
                format!("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: {p}.{g}}}\n---\n")
            })
            .collect();
        parse_yaml(FileId::SYNTHETIC, &text, &Limits::default()).documents.into_iter().map(|d| d.root).collect()
    })
}

/// One entry of a FluxInstance's `spec.kustomize.patches`.
#[derive(Debug)]
pub(crate) struct InstancePatch<'a> {
    /// The patch entry.
    pub(crate) entry: &'a Node,
    /// Its `target`, when it parses.
    pub(crate) target: Option<Target>,
}

impl InstancePatch<'_> {
    /// `target.kind` as written.
    fn kind(&self) -> Option<&str> {
        self.entry.get_path(&["target", "kind"]).and_then(Node::as_str)
    }

    /// The distribution CRDs `(group, plural)` the patch selects.
    pub(crate) fn flux_crds(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let target = self.target.as_ref().filter(|_| self.kind() == Some("CustomResourceDefinition"));
        FLUX_CRDS
            .iter()
            .zip(flux_crd_objects())
            .filter(move |(_, o)| target.is_some_and(|t| t.matches(o)))
            .map(|((g, _, p), _)| (*g, *p))
    }

    /// Whether the patch may change what a CRD it selects defines: it deletes the object
    /// (`$patch: delete`) or touches its `spec` (a JSON6902 path under `/spec`, a strategic-merge
    /// patch with a `spec`). A patch of labels or annotations leaves the schema as it is.
    pub(crate) fn may_change_schema(&self) -> bool {
        let Some(text) = self.entry.get("patch").and_then(Node::as_str) else { return true };
        text.contains("$patch: delete")
            || text.contains("/spec")
            || text.lines().any(|l| l.trim_start().starts_with("spec:"))
    }

    /// Whether the patch may be aimed at an object of the distribution that fleetlint does not
    /// render: a Flux CRD, or an object of a kind the distribution holds but fleetlint does not
    /// model.
    pub(crate) fn aims_at_unrendered(&self) -> bool {
        self.flux_crds().next().is_some() || self.kind().is_some_and(|k| UNRENDERED_KINDS.contains(&k))
    }
}

/// The `spec.kustomize.patches` entries of the FluxInstance (or `flux-instance` HelmRelease)
/// `root`.
pub(crate) fn instance_patches(root: &Node) -> Vec<InstancePatch<'_>> {
    let Some(spec) = InstanceSpec::of(root) else { return Vec::new() };
    let Some(patches) = spec.kustomize_patches().and_then(Node::as_seq) else { return Vec::new() };
    patches
        .iter()
        .map(|entry| InstancePatch { entry, target: entry.get("target").and_then(|t| Target::from_node(t).ok()) })
        .collect()
}

/// The patch of `root`'s `spec.kustomize.patches` that holds `span`.
pub(crate) fn instance_patch_at(root: &Node, span: Span) -> Option<InstancePatch<'_>> {
    instance_patches(root).into_iter().find(|p| p.entry.span.start <= span.start && span.start < p.entry.span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_yaml(FileId::SYNTHETIC, text, &Limits::default()).documents.remove(0).root
    }

    #[test]
    fn crd_targets_select_distribution_crds() {
        let root = parse(
            "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  kustomize:\n    patches:\n      - target: {kind: CustomResourceDefinition, name: ocirepositories.source.toolkit.fluxcd.io}\n        patch: x\n      - target: {kind: CustomResourceDefinition, name: certificates.cert-manager.io}\n        patch: x\n      - target: {kind: Service, name: webhook-receiver}\n        patch: x\n      - target: {kind: Deployment, name: source-controller}\n        patch: x\n",
        );
        let patches = instance_patches(&root);
        assert_eq!(patches.len(), 4);
        assert_eq!(patches[0].flux_crds().collect::<Vec<_>>(), [("source.toolkit.fluxcd.io", "ocirepositories")]);
        assert!(patches[0].aims_at_unrendered());
        assert!(!patches[1].aims_at_unrendered(), "not a Flux CRD");
        assert!(patches[2].aims_at_unrendered());
        assert!(!patches[3].aims_at_unrendered(), "Deployments are rendered");
        let patch = |text: &str| {
            let root = parse(&format!(
                "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {{name: flux}}\nspec:\n  kustomize:\n    patches:\n      - target: {{kind: CustomResourceDefinition}}\n        patch: {text:?}\n"
            ));
            instance_patches(&root)[0].may_change_schema()
        };
        assert!(patch("$patch: delete"));
        assert!(patch("- op: add\n  path: /spec/versions/0/schema\n  value: {}"));
        assert!(!patch("- op: add\n  path: /metadata/annotations\n  value: {a: b}"));
        assert_eq!(flux_plural("source.toolkit.fluxcd.io", "OCIRepository"), Some("ocirepositories"));
    }
}
