//! Every reference a Flux object makes to another object, by field (docs/flux-semantics.md,
//! "References between objects"): which kinds a field accepts, and whether it always resolves in
//! the referrer's own namespace (every Secret/ConfigMap/ServiceAccount reference, and the
//! `LocalObjectReference`s) or may name another one.

use fleetlint_yaml::{FluxKind, Node};

use crate::model::RenderedObject;

/// What a reference points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefTarget {
    /// A Flux object (source, Provider, ImageRepository, ...): missing means it waits forever.
    Flux,
    /// A Secret, ConfigMap or ServiceAccount: often created outside Git.
    Local,
}

/// One reference of one object.
#[derive(Clone, Debug)]
pub struct FieldRef<'a> {
    /// Field path, e.g. `spec.sourceRef` or `spec.valuesFrom[1]`.
    pub field: String,
    /// The kind it names (explicit, or implied by the field).
    pub kind: String,
    /// The `kind` node when the kind is written (the place an invalid kind is reported).
    pub kind_node: Option<&'a Node>,
    /// Kinds the field accepts (empty: only `kind`).
    pub allowed: &'static [&'static str],
    /// The node holding the name (the reference's own node when `name` is absent).
    pub name_node: &'a Node,
    /// The name.
    pub name: &'a str,
    /// The namespace it resolves in.
    pub namespace: String,
    /// Whether the field can name another namespace (`namespace:` is honoured).
    pub cross_namespace: bool,
    /// Flux object or Secret/ConfigMap/ServiceAccount.
    pub target: RefTarget,
    /// `optional: true` (valuesFrom, substituteFrom): missing is fine.
    pub optional: bool,
    /// Resolved in the remote cluster of `spec.kubeConfig` (impersonation happens there).
    pub remote: bool,
}

impl FieldRef<'_> {
    /// Whether the reference names a kind its field does not accept (the API server rejects
    /// it: the CRDs declare the accepted kinds as an enum). A name or namespace that post-build
    /// substitution left unresolved is not judged (SRC007 reports it).
    pub fn kind_rejected(&self) -> bool {
        !self.kind.is_empty()
            && !self.name.contains("${")
            && !self.namespace.contains("${")
            && !self.allowed.is_empty()
            && !self.allowed.contains(&self.kind.as_str())
    }
}

/// Kinds a Kustomization's `sourceRef` accepts.
pub const KUSTOMIZATION_SOURCES: &[&str] = &["GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"];
/// Kinds a HelmRelease chart template's (and a HelmChart's) `sourceRef` accepts.
const CHART_SOURCES: &[&str] = &["HelmRepository", "GitRepository", "Bucket"];
/// Kinds a HelmRelease `chartRef` accepts.
const CHART_REFS: &[&str] = &["OCIRepository", "HelmChart", "ExternalArtifact"];
const VALUE_KINDS: &[&str] = &["ConfigMap", "Secret"];

struct Builder<'a> {
    own_ns: &'a str,
    remote_apply: bool,
    out: Vec<FieldRef<'a>>,
}

impl<'a> Builder<'a> {
    /// A `{kind?, name, namespace?}` reference at `path` of `root`.
    #[allow(clippy::too_many_arguments)]
    fn object_ref(
        &mut self,
        root: &'a Node,
        path: &[&str],
        default_kind: &str,
        allowed: &'static [&'static str],
        cross_namespace: bool,
        target: RefTarget,
    ) {
        let Some(node) = root.get_path(path) else { return };
        self.push(node, path.join("."), default_kind, allowed, cross_namespace, target, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        node: &'a Node,
        field: String,
        default_kind: &str,
        allowed: &'static [&'static str],
        cross_namespace: bool,
        target: RefTarget,
        namespace: Option<&str>,
    ) {
        if node.as_map().is_none() {
            return;
        }
        let kind_node = node.get("kind").filter(|k| k.as_str().is_some());
        let kind = kind_node.and_then(Node::as_str).unwrap_or(default_kind).to_string();
        let name_node = node.get("name").unwrap_or(node);
        let Some(name) = node.get("name").and_then(Node::as_str).filter(|n| !n.is_empty()) else { return };
        let ns = namespace
            .map(str::to_string)
            .or_else(|| {
                cross_namespace
                    .then(|| node.get("namespace").and_then(Node::as_str).filter(|s| !s.is_empty()))
                    .flatten()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| self.own_ns.to_string());
        let optional = node.get("optional").and_then(Node::as_bool).unwrap_or(false);
        self.out.push(FieldRef {
            field,
            kind,
            kind_node,
            allowed,
            name_node,
            name,
            namespace: ns,
            cross_namespace,
            target,
            optional,
            remote: false,
        });
    }

    /// A `LocalObjectReference` to a Secret (`{name}`) at `path`.
    fn secret(&mut self, root: &'a Node, path: &[&str]) {
        self.object_ref(root, path, "Secret", &[], false, RefTarget::Local);
    }

    /// The same, in another namespace (a chart template's verify secret lives by the source).
    fn secret_in(&mut self, root: &'a Node, path: &[&str], ns: &str) {
        let Some(node) = root.get_path(path) else { return };
        self.push(node, path.join("."), "Secret", &[], false, RefTarget::Local, Some(ns));
    }

    /// A `serviceAccountName` string at `path`.
    fn service_account(&mut self, root: &'a Node, path: &[&str]) {
        let Some(node) = root.get_path(path) else { return };
        let Some(name) = node.as_str().filter(|n| !n.is_empty()) else { return };
        self.out.push(FieldRef {
            field: path.join("."),
            kind: "ServiceAccount".into(),
            kind_node: None,
            allowed: &[],
            name_node: node,
            name,
            namespace: self.own_ns.to_string(),
            cross_namespace: false,
            target: RefTarget::Local,
            optional: false,
            // With `spec.kubeConfig` the controller impersonates the account on the remote
            // cluster (docs/flux-semantics.md, "Lockdown flags").
            remote: path == ["spec", "serviceAccountName"] && self.remote_apply,
        });
    }

    /// A list of `{kind: ConfigMap|Secret, name, optional}` (valuesFrom, substituteFrom).
    fn value_sources(&mut self, root: &'a Node, path: &[&str]) {
        let items = root.get_path(path).and_then(Node::as_seq).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            self.push(item, format!("{}[{i}]", path.join(".")), "", VALUE_KINDS, false, RefTarget::Local, None);
        }
    }

    /// `secretRef`, `certSecretRef`, `proxySecretRef`, `verify.secretRef` and
    /// `serviceAccountName` under `spec` where present.
    fn credentials(&mut self, root: &'a Node, with_sa: bool) {
        for key in ["secretRef", "certSecretRef", "proxySecretRef"] {
            self.secret(root, &["spec", key]);
        }
        self.secret(root, &["spec", "verify", "secretRef"]);
        if with_sa {
            self.service_account(root, &["spec", "serviceAccountName"]);
        }
    }

    fn kube_config(&mut self, root: &'a Node) {
        self.secret(root, &["spec", "kubeConfig", "secretRef"]);
        self.object_ref(root, &["spec", "kubeConfig", "configMapRef"], "ConfigMap", &[], false, RefTarget::Local);
    }
}

/// Every reference `o` makes, by its Flux kind. Objects without a namespace make none here
/// (SRC008 reports them).
pub fn references(o: &RenderedObject) -> Vec<FieldRef<'_>> {
    let own_ns = o.namespace();
    let flux = o.flux();
    let remote_apply = flux.and_then(|f| f.kube_config()).is_some_and(|k| !k.0.value.is_null());
    let mut b = Builder { own_ns, remote_apply, out: Vec::new() };
    let (Some(kind), false) = (o.flux_kind(), own_ns.is_empty()) else { return Vec::new() };
    let root = &o.root;
    match kind {
        FluxKind::Kustomization => {
            b.object_ref(root, &["spec", "sourceRef"], "GitRepository", KUSTOMIZATION_SOURCES, true, RefTarget::Flux);
            b.secret(root, &["spec", "decryption", "secretRef"]);
            b.service_account(root, &["spec", "decryption", "serviceAccountName"]);
            b.value_sources(root, &["spec", "postBuild", "substituteFrom"]);
            b.kube_config(root);
            b.service_account(root, &["spec", "serviceAccountName"]);
        }
        FluxKind::HelmRelease => {
            let sref = &["spec", "chart", "spec", "sourceRef"];
            b.object_ref(root, sref, "HelmRepository", CHART_SOURCES, true, RefTarget::Flux);
            b.object_ref(root, &["spec", "chartRef"], "OCIRepository", CHART_REFS, true, RefTarget::Flux);
            // helm-controller creates the HelmChart next to the source and verifies there.
            let source_ns = flux.and_then(|f| f.chart_source_ref()).map_or(own_ns, |r| r.namespace).to_string();
            b.secret_in(root, &["spec", "chart", "spec", "verify", "secretRef"], &source_ns);
            b.value_sources(root, &["spec", "valuesFrom"]);
            b.kube_config(root);
            b.service_account(root, &["spec", "serviceAccountName"]);
        }
        FluxKind::HelmChart => {
            b.object_ref(root, &["spec", "sourceRef"], "HelmRepository", CHART_SOURCES, false, RefTarget::Flux);
            b.secret(root, &["spec", "verify", "secretRef"]);
        }
        FluxKind::GitRepository => {
            let includes = root.get_path(&["spec", "include"]).and_then(Node::as_seq).unwrap_or_default();
            for (i, inc) in includes.iter().enumerate() {
                if let Some(r) = inc.get("repository") {
                    let field = format!("spec.include[{i}].repository");
                    b.push(r, field, "GitRepository", &[], false, RefTarget::Flux, None);
                }
            }
            b.credentials(root, true);
        }
        FluxKind::OciRepository | FluxKind::ImageRepository | FluxKind::Provider => b.credentials(root, true),
        FluxKind::HelmRepository => b.credentials(root, false),
        FluxKind::Bucket => {
            b.credentials(root, true);
            b.secret(root, &["spec", "sts", "secretRef"]);
            b.secret(root, &["spec", "sts", "certSecretRef"]);
        }
        FluxKind::ImagePolicy => {
            b.object_ref(root, &["spec", "imageRepositoryRef"], "ImageRepository", &[], true, RefTarget::Flux);
        }
        FluxKind::ImageUpdateAutomation => {
            b.object_ref(root, &["spec", "sourceRef"], "GitRepository", &["GitRepository"], true, RefTarget::Flux);
            b.secret(root, &["spec", "git", "commit", "signingKey", "secretRef"]);
        }
        FluxKind::Alert => b.object_ref(root, &["spec", "providerRef"], "Provider", &[], false, RefTarget::Flux),
        FluxKind::Receiver => {
            b.secret(root, &["spec", "secretRef"]);
            let resources = root.get_path(&["spec", "resources"]).and_then(Node::as_seq).unwrap_or_default();
            for (i, r) in resources.iter().enumerate() {
                // `*` selects by labels; kinds outside Flux need their own apiVersion and are
                // not modelled.
                let kind = r.get("kind").and_then(Node::as_str).unwrap_or("");
                let is_flux = FluxKind::from_type(&format!("{}/v1", flux_group(kind)), kind).is_some();
                let wildcard = r.get("name").and_then(Node::as_str) == Some("*");
                if is_flux && !wildcard && r.get("apiVersion").is_none() {
                    b.push(r, format!("spec.resources[{i}]"), kind, &[], true, RefTarget::Flux, None);
                }
            }
        }
        _ => {}
    }
    b.out
}

/// The API group of a Flux kind named without apiVersion (Receiver resources, Alert sources).
fn flux_group(kind: &str) -> &'static str {
    match kind {
        "Kustomization" => "kustomize.toolkit.fluxcd.io",
        "HelmRelease" => "helm.toolkit.fluxcd.io",
        "ImageRepository" | "ImagePolicy" | "ImageUpdateAutomation" => "image.toolkit.fluxcd.io",
        "Alert" | "Provider" | "Receiver" => "notification.toolkit.fluxcd.io",
        _ => "source.toolkit.fluxcd.io",
    }
}
