//! A light view of a Kubernetes object: apiVersion, kind and metadata, with positions, and the
//! Flux kinds recognised by API group across all their versions.

use crate::tree::Node;

/// The Flux (and Flux Operator) kinds fleetlint models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FluxKind {
    /// `kustomize.toolkit.fluxcd.io` Kustomization.
    Kustomization,
    /// `helm.toolkit.fluxcd.io` HelmRelease.
    HelmRelease,
    /// `source.toolkit.fluxcd.io` GitRepository.
    GitRepository,
    /// `source.toolkit.fluxcd.io` OCIRepository.
    OciRepository,
    /// `source.toolkit.fluxcd.io` HelmRepository.
    HelmRepository,
    /// `source.toolkit.fluxcd.io` HelmChart.
    HelmChart,
    /// `source.toolkit.fluxcd.io` Bucket.
    Bucket,
    /// `source.toolkit.fluxcd.io` ExternalArtifact.
    ExternalArtifact,
    /// `notification.toolkit.fluxcd.io` Alert.
    Alert,
    /// `notification.toolkit.fluxcd.io` Provider.
    Provider,
    /// `notification.toolkit.fluxcd.io` Receiver.
    Receiver,
    /// `image.toolkit.fluxcd.io` ImageRepository.
    ImageRepository,
    /// `image.toolkit.fluxcd.io` ImagePolicy.
    ImagePolicy,
    /// `image.toolkit.fluxcd.io` ImageUpdateAutomation.
    ImageUpdateAutomation,
    /// `fluxcd.controlplane.io` FluxInstance.
    FluxInstance,
    /// `fluxcd.controlplane.io` ResourceSet.
    ResourceSet,
    /// `fluxcd.controlplane.io` ResourceSetInputProvider.
    ResourceSetInputProvider,
}

impl FluxKind {
    /// Recognise a Flux kind from `apiVersion` (any version of the group) and `kind`.
    #[must_use]
    pub fn from_type(api_version: &str, kind: &str) -> Option<Self> {
        let (flux, group) = Self::from_kind(kind)?;
        (api_version.rsplit_once('/').map_or("", |(g, _)| g) == group).then_some(flux)
    }

    /// The Flux kind named `kind` and the API group it must come from. Looking at the kind first
    /// rejects most objects without reading their `apiVersion` (rules ask every object).
    fn from_kind(kind: &str) -> Option<(Self, &'static str)> {
        const SOURCE: &str = "source.toolkit.fluxcd.io";
        const NOTIFICATION: &str = "notification.toolkit.fluxcd.io";
        const IMAGE: &str = "image.toolkit.fluxcd.io";
        const OPERATOR: &str = "fluxcd.controlplane.io";
        Some(match kind {
            "Kustomization" => (Self::Kustomization, "kustomize.toolkit.fluxcd.io"),
            "HelmRelease" => (Self::HelmRelease, "helm.toolkit.fluxcd.io"),
            "GitRepository" => (Self::GitRepository, SOURCE),
            "OCIRepository" => (Self::OciRepository, SOURCE),
            "HelmRepository" => (Self::HelmRepository, SOURCE),
            "HelmChart" => (Self::HelmChart, SOURCE),
            "Bucket" => (Self::Bucket, SOURCE),
            "ExternalArtifact" => (Self::ExternalArtifact, SOURCE),
            "Alert" => (Self::Alert, NOTIFICATION),
            "Provider" => (Self::Provider, NOTIFICATION),
            "Receiver" => (Self::Receiver, NOTIFICATION),
            "ImageRepository" => (Self::ImageRepository, IMAGE),
            "ImagePolicy" => (Self::ImagePolicy, IMAGE),
            "ImageUpdateAutomation" => (Self::ImageUpdateAutomation, IMAGE),
            "FluxInstance" => (Self::FluxInstance, OPERATOR),
            "ResourceSet" => (Self::ResourceSet, OPERATOR),
            "ResourceSetInputProvider" => (Self::ResourceSetInputProvider, OPERATOR),
            _ => return None,
        })
    }

    /// Whether this kind is a source (something a `sourceRef` can name).
    #[must_use]
    pub fn is_source(self) -> bool {
        matches!(
            self,
            Self::GitRepository
                | Self::OciRepository
                | Self::HelmRepository
                | Self::HelmChart
                | Self::Bucket
                | Self::ExternalArtifact
        )
    }
}

/// A value SOPS encrypted: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, the format
/// getsops/sops writes for every encrypted leaf (getsops/sops `aes/cipher.go`, `Cipher.Encrypt`).
/// A file encrypted whole (no `encrypted_regex`) has ciphertext for its `apiVersion`, `kind`
/// and `metadata`: kustomize builds it as it is, and kustomize-controller decrypts it only
/// right before applying (fluxcd/kustomize-controller@186fb3b `internal/decryptor/decryptor.go`,
/// `Decryptor.DecryptResource`, case `isSOPSEncryptedResource`), so its identity is unknown
/// until then.
#[must_use]
pub fn is_sops_ciphertext(value: &str) -> bool {
    value.starts_with("ENC[") && value.ends_with(']')
}

/// A borrowed view of an object's identity and metadata, with the nodes that hold them.
#[derive(Clone, Copy, Debug)]
pub struct ObjectView<'a> {
    /// The document root.
    pub root: &'a Node,
}

impl<'a> ObjectView<'a> {
    /// View `root` as an object when it is a mapping with `apiVersion` and `kind`.
    #[must_use]
    pub fn new(root: &'a Node) -> Option<Self> {
        root.get("apiVersion")?.as_str()?;
        root.get("kind")?.as_str()?;
        Some(Self { root })
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> &'a str {
        self.root.get("apiVersion").and_then(Node::as_str).unwrap_or("")
    }

    /// Whether the object's identity (`apiVersion`, `kind`, `metadata.name` or
    /// `metadata.namespace`) is SOPS ciphertext ([`is_sops_ciphertext`]): what Flux applies is
    /// known only after decryption, so nothing about its identity can be judged. The one place
    /// that decides it; rules and the fleet model ask this.
    #[must_use]
    pub fn has_ciphertext_identity(&self) -> bool {
        [Some(self.api_version()), Some(self.kind()), self.name(), self.namespace()]
            .into_iter()
            .flatten()
            .any(is_sops_ciphertext)
    }

    /// The API group (empty for the core group).
    #[must_use]
    pub fn group(&self) -> &'a str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> &'a str {
        self.root.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata`.
    #[must_use]
    pub fn metadata(&self) -> Option<&'a Node> {
        self.root.get("metadata")
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.root.get_path(&["metadata", "name"]).and_then(Node::as_str)
    }

    /// `metadata.namespace`.
    #[must_use]
    pub fn namespace(&self) -> Option<&'a str> {
        self.root.get_path(&["metadata", "namespace"]).and_then(Node::as_str)
    }

    /// A label's value.
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.root.get_path(&["metadata", "labels", key]).and_then(Node::as_str)
    }

    /// An annotation's value.
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.root.get_path(&["metadata", "annotations", key]).and_then(Node::as_str)
    }

    /// The Flux kind, if this is one (`apiVersion` is read only for a Flux kind's name).
    #[must_use]
    pub fn flux_kind(&self) -> Option<FluxKind> {
        let (flux, group) = FluxKind::from_kind(self.kind())?;
        (self.group() == group).then_some(flux)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flux_kinds_by_group_across_versions() {
        for v in ["v1", "v1beta1", "v1beta2"] {
            let av = format!("kustomize.toolkit.fluxcd.io/{v}");
            assert_eq!(FluxKind::from_type(&av, "Kustomization"), Some(FluxKind::Kustomization));
        }
        assert_eq!(FluxKind::from_type("kustomize.config.k8s.io/v1beta1", "Kustomization"), None);
        assert_eq!(FluxKind::from_type("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease"), Some(FluxKind::HelmRelease));
        assert!(FluxKind::GitRepository.is_source());
        assert_eq!(FluxKind::from_type("v1", "Kustomization"), None);
        assert_eq!(FluxKind::from_type("fluxcd.controlplane.io/v1", "ResourceSet"), Some(FluxKind::ResourceSet));
    }
}
