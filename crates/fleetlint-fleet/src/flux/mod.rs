//! Typed views of Flux objects: the fields the fleet builder and the rules read, each with the
//! node that wrote it (for spans), and the defaulting the controllers apply (a reference without
//! `namespace` names the referrer's own namespace). Generic Kubernetes access (`metadata.name`)
//! stays with [`ObjectView`]; what is read here is Flux's `spec`.
//!
//! Every accessor returns `None` for an absent field; [`FluxObject::span_of`] gives the span a
//! finding about an absent field points at (the nearest existing ancestor key).

use fleetlint_yaml::{Entry, FluxKind, Node, ObjectView, Span};

mod instance;
mod parts;
mod references;
#[cfg(test)]
mod tests;

pub use instance::{InstanceSpec, is_flux_instance_release};
pub use parts::{Decryption, Include, KubeConfig, PostBuild, SubstituteFrom};
pub use references::{FieldRef, KUSTOMIZATION_SOURCES, RefTarget, references};

/// A field as written: its value and, when it is a mapping entry, its key.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    /// The key node (`None` for a list item).
    pub key: Option<&'a Node>,
    /// The value node.
    pub value: &'a Node,
}

impl<'a> Field<'a> {
    fn entry(e: &'a Entry) -> Self {
        Self { key: Some(&e.key), value: &e.value }
    }

    fn item(value: &'a Node) -> Self {
        Self { key: None, value }
    }

    /// The value as a string, when it is a scalar.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        self.value.as_str()
    }

    /// The value as a boolean.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        self.value.as_bool()
    }

    /// The value's items (empty when it is not a sequence).
    #[must_use]
    pub fn items(&self) -> &'a [Node] {
        self.value.as_seq().unwrap_or_default()
    }

    /// Where the value is written.
    #[must_use]
    pub fn span(&self) -> Span {
        self.value.span
    }

    /// Where the key is written (the value's span for a list item).
    #[must_use]
    pub fn key_span(&self) -> Span {
        self.key.map_or(self.value.span, |k| k.span)
    }

    /// A field of this (mapping) value.
    #[must_use]
    pub fn get(&self, path: &[&str]) -> Option<Field<'a>> {
        self.value.entry_at(path).map(Field::entry)
    }

    /// The string at `path` below this value.
    #[must_use]
    pub fn str_at(&self, path: &[&str]) -> Option<&'a str> {
        self.value.get_path(path).and_then(Node::as_str)
    }
}

/// A reference to another object by kind, name and namespace: a `sourceRef`, a `chartRef`, a
/// `dependsOn` entry, a `substituteFrom` entry.
#[derive(Clone, Copy, Debug)]
pub struct NamedRef<'a> {
    /// The reference as written.
    pub field: Field<'a>,
    /// `namespace` when written and not empty, else the referrer's namespace (Flux's defaulting).
    pub namespace: &'a str,
    /// The referrer's namespace.
    pub referrer_namespace: &'a str,
}

impl<'a> NamedRef<'a> {
    fn new(field: Field<'a>, referrer_namespace: &'a str) -> Self {
        let written = field.value.get("namespace").and_then(Node::as_str).filter(|s| !s.is_empty());
        Self { field, namespace: written.unwrap_or(referrer_namespace), referrer_namespace }
    }

    /// The reference mapping.
    #[must_use]
    pub fn node(&self) -> &'a Node {
        self.field.value
    }

    /// A key of the reference.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.field.value.get(key)
    }

    /// `kind` as written.
    #[must_use]
    pub fn kind(&self) -> Option<&'a str> {
        self.get("kind").and_then(Node::as_str)
    }

    /// `kind`, or `default` when absent.
    #[must_use]
    pub fn kind_or(&self, default: &'a str) -> &'a str {
        self.kind().unwrap_or(default)
    }

    /// `name` (empty when absent).
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// `apiVersion` as written.
    #[must_use]
    pub fn api_version(&self) -> Option<&'a str> {
        self.get("apiVersion").and_then(Node::as_str)
    }

    /// The `namespace` node and value when the reference names a namespace (not empty).
    #[must_use]
    pub fn written_namespace(&self) -> Option<(&'a Node, &'a str)> {
        let node = self.get("namespace")?;
        Some((node, node.as_str().filter(|s| !s.is_empty())?))
    }

    /// The `namespace` node and value when it names a namespace other than the referrer's (which
    /// must have one: objects without a namespace are SRC008's business).
    #[must_use]
    pub fn cross_namespace(&self) -> Option<(&'a Node, &'a str)> {
        let (node, ns) = self.written_namespace()?;
        (!self.referrer_namespace.is_empty() && ns != self.referrer_namespace).then_some((node, ns))
    }

    /// `Kind/namespace/name`, with `default_kind` when the reference names no kind.
    #[must_use]
    pub fn id(&self, default_kind: &str) -> String {
        format!("{}/{}/{}", self.kind().unwrap_or(default_kind), self.namespace, self.name())
    }
}

/// A Flux object (any kind [`FluxKind`] recognises), viewed through its spec.
#[derive(Clone, Copy, Debug)]
pub struct FluxObject<'a> {
    /// The document root.
    pub root: &'a Node,
    kind: FluxKind,
    namespace: &'a str,
}

impl<'a> FluxObject<'a> {
    /// View `root` when it is a Flux object.
    #[must_use]
    pub fn new(root: &'a Node) -> Option<Self> {
        let view = ObjectView::new(root)?;
        let kind = view.flux_kind()?;
        Some(Self { root, kind, namespace: view.namespace().unwrap_or("") })
    }

    /// The Flux kind.
    #[must_use]
    pub fn kind(&self) -> FluxKind {
        self.kind
    }

    /// `metadata.namespace` (empty when unset).
    #[must_use]
    pub fn namespace(&self) -> &'a str {
        self.namespace
    }

    /// `spec`.
    #[must_use]
    pub fn spec(&self) -> Option<&'a Node> {
        self.root.get("spec")
    }

    /// The field at `spec.<path>`.
    fn field(&self, path: &[&str]) -> Option<Field<'a>> {
        self.spec()?.entry_at(path).map(Field::entry)
    }

    /// The non-null field at `spec.<path>`.
    fn set(&self, path: &[&str]) -> Option<Field<'a>> {
        self.field(path).filter(|f| !f.value.is_null())
    }

    fn named(&self, path: &[&str]) -> Option<NamedRef<'a>> {
        self.field(path).map(|f| NamedRef::new(f, self.namespace))
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.field(&[key]).and_then(|f| f.as_bool())
    }

    /// Where a finding about `spec.<path>` points: the field, else the nearest existing
    /// ancestor key, else the object.
    #[must_use]
    pub fn span_of(&self, path: &[&str]) -> Span {
        let full: Vec<&str> = std::iter::once("spec").chain(path.iter().copied()).collect();
        self.root.span_at(&full)
    }

    // Shared by several kinds.

    /// `spec.sourceRef` (Kustomization, ImageUpdateAutomation), namespace defaulted.
    #[must_use]
    pub fn source_ref(&self) -> Option<NamedRef<'a>> {
        self.named(&["sourceRef"])
    }

    /// `spec.dependsOn` entries (Kustomization, HelmRelease, ResourceSet), each with its
    /// namespace defaulted; entries that are not mappings have no name.
    #[must_use]
    pub fn depends_on(&self) -> Vec<NamedRef<'a>> {
        let items = self.field(&["dependsOn"]).map(|f| f.items()).unwrap_or_default();
        items.iter().map(|n| NamedRef::new(Field::item(n), self.namespace)).collect()
    }

    /// `spec.serviceAccountName`.
    #[must_use]
    pub fn service_account(&self) -> Option<Field<'a>> {
        self.field(&["serviceAccountName"])
    }

    /// `spec.serviceAccountName` when set and not empty; otherwise the span a finding about its
    /// absence points at (an empty value, else the nearest existing key).
    ///
    /// # Errors
    /// The span to report at when no service account is named.
    pub fn service_account_name(&self) -> Result<&'a str, Span> {
        match self.service_account() {
            Some(f) => f.as_str().filter(|s| !s.is_empty()).ok_or(f.span()),
            None => Err(self.root.nearest_key(&["spec", "serviceAccountName"]).map_or(self.root.span, |k| k.span)),
        }
    }

    /// `spec.kubeConfig` (Kustomization, HelmRelease).
    #[must_use]
    pub fn kube_config(&self) -> Option<KubeConfig<'a>> {
        self.field(&["kubeConfig"]).map(KubeConfig)
    }

    /// `spec.targetNamespace` (Kustomization, HelmRelease).
    #[must_use]
    pub fn target_namespace(&self) -> Option<Field<'a>> {
        self.field(&["targetNamespace"])
    }

    /// `spec.targetNamespace` when it names a namespace.
    #[must_use]
    pub fn target_namespace_name(&self) -> Option<&'a str> {
        self.target_namespace().and_then(|f| f.as_str()).filter(|s| !s.is_empty())
    }

    /// `spec.suspend: true`.
    #[must_use]
    pub fn suspended(&self) -> bool {
        self.flag("suspend") == Some(true)
    }

    /// `spec.suspend`.
    #[must_use]
    pub fn suspend(&self) -> Option<Field<'a>> {
        self.field(&["suspend"])
    }

    /// `spec.provider` (sources, ImageRepository, decryption's own is [`Decryption::provider`]).
    #[must_use]
    pub fn provider(&self) -> Option<Field<'a>> {
        self.field(&["provider"])
    }

    /// `spec.type` of a notification Provider.
    #[must_use]
    pub fn provider_type(&self) -> Option<Field<'a>> {
        self.field(&["type"])
    }

    /// The cloud provider a source or ImageRepository authenticates with for workload identity
    /// (`spec.provider` `aws`, `azure` or `gcp`).
    #[must_use]
    pub fn cloud_provider(&self) -> Option<Field<'a>> {
        self.provider().filter(|p| matches!(p.as_str(), Some("aws" | "azure" | "gcp")))
    }

    /// `spec.secretRef` (sources, Provider).
    #[must_use]
    pub fn secret_ref(&self) -> Option<NamedRef<'a>> {
        self.named(&["secretRef"])
    }

    /// `spec.interval`.
    #[must_use]
    pub fn interval(&self) -> Option<Field<'a>> {
        self.field(&["interval"])
    }

    // Kustomization.

    /// `spec.path`.
    #[must_use]
    pub fn path(&self) -> Option<Field<'a>> {
        self.field(&["path"])
    }

    /// `spec.path` as written (empty when absent: the source root).
    #[must_use]
    pub fn path_str(&self) -> &'a str {
        self.path().and_then(|f| f.as_str()).unwrap_or("")
    }

    /// `spec.namePrefix` (empty when absent).
    #[must_use]
    pub fn name_prefix(&self) -> &'a str {
        self.field(&["namePrefix"]).and_then(|f| f.as_str()).unwrap_or("")
    }

    /// `spec.nameSuffix` (empty when absent).
    #[must_use]
    pub fn name_suffix(&self) -> &'a str {
        self.field(&["nameSuffix"]).and_then(|f| f.as_str()).unwrap_or("")
    }

    /// `spec.postBuild`.
    #[must_use]
    pub fn post_build(&self) -> Option<PostBuild<'a>> {
        self.field(&["postBuild"]).map(|f| PostBuild { field: f, namespace: self.namespace })
    }

    /// `spec.decryption`.
    #[must_use]
    pub fn decryption(&self) -> Option<Decryption<'a>> {
        self.field(&["decryption"]).map(Decryption)
    }

    /// `spec.prune`.
    #[must_use]
    pub fn prune(&self) -> Option<Field<'a>> {
        self.field(&["prune"])
    }

    /// `spec.deletionPolicy` of a Kustomization.
    #[must_use]
    pub fn deletion_policy(&self) -> Option<&'a str> {
        self.field(&["deletionPolicy"]).and_then(|f| f.as_str())
    }

    /// `spec.wait`.
    #[must_use]
    pub fn wait(&self) -> Option<Field<'a>> {
        self.field(&["wait"])
    }

    /// `spec.wait: true`.
    #[must_use]
    pub fn waits_for_all(&self) -> bool {
        self.flag("wait") == Some(true)
    }

    /// `spec.healthChecks` entries, namespace defaulted.
    #[must_use]
    pub fn health_checks(&self) -> Vec<NamedRef<'a>> {
        let items = self.field(&["healthChecks"]).map(|f| f.items()).unwrap_or_default();
        items.iter().map(|n| NamedRef::new(Field::item(n), self.namespace)).collect()
    }

    /// `spec.healthChecks`.
    #[must_use]
    pub fn health_checks_field(&self) -> Option<Field<'a>> {
        self.field(&["healthChecks"])
    }

    /// `spec.patches`.
    #[must_use]
    pub fn patches(&self) -> &'a [Node] {
        self.field(&["patches"]).map(|f| f.items()).unwrap_or_default()
    }

    // HelmRelease.

    /// `spec.chart` when set (not null).
    #[must_use]
    pub fn chart_template(&self) -> Option<Field<'a>> {
        self.set(&["chart"])
    }

    /// `spec.chart.spec`: the chart template of a HelmRelease.
    #[must_use]
    pub fn chart_template_spec(&self) -> Option<Field<'a>> {
        self.field(&["chart", "spec"])
    }

    /// `spec.chart.spec.chart`: the chart's name in its source.
    #[must_use]
    pub fn chart_name(&self) -> Option<Field<'a>> {
        self.field(&["chart", "spec", "chart"])
    }

    /// `spec.chart.spec.sourceRef`, namespace defaulted.
    #[must_use]
    pub fn chart_source_ref(&self) -> Option<NamedRef<'a>> {
        self.named(&["chart", "spec", "sourceRef"])
    }

    /// `spec.chart.spec.verify`.
    #[must_use]
    pub fn chart_verify(&self) -> Option<Field<'a>> {
        self.field(&["chart", "spec", "verify"])
    }

    /// `spec.chartRef` when set (not null), namespace defaulted.
    #[must_use]
    pub fn chart_ref(&self) -> Option<NamedRef<'a>> {
        self.set(&["chartRef"]).map(|f| NamedRef::new(f, self.namespace))
    }

    /// The chart's sources: `spec.chart.spec.sourceRef` and `spec.chartRef`, as written.
    #[must_use]
    pub fn chart_sources(&self) -> Vec<NamedRef<'a>> {
        [self.chart_source_ref(), self.named(&["chartRef"])].into_iter().flatten().collect()
    }

    /// `spec.storageNamespace`.
    #[must_use]
    pub fn storage_namespace(&self) -> Option<Field<'a>> {
        self.field(&["storageNamespace"])
    }

    /// `spec.install.createNamespace`.
    #[must_use]
    pub fn install_create_namespace(&self) -> Option<Field<'a>> {
        self.field(&["install", "createNamespace"])
    }

    /// `spec.values`.
    #[must_use]
    pub fn values(&self) -> Option<Field<'a>> {
        self.field(&["values"])
    }

    /// `spec.valuesFrom` entries (always in the HelmRelease's namespace).
    #[must_use]
    pub fn values_from(&self) -> &'a [Node] {
        self.field(&["valuesFrom"]).map(|f| f.items()).unwrap_or_default()
    }

    // Sources.

    /// `spec.url`.
    #[must_use]
    pub fn url(&self) -> Option<&'a str> {
        self.field(&["url"]).and_then(|f| f.as_str())
    }

    /// `spec.ref` (GitRepository, OCIRepository).
    #[must_use]
    pub fn reference(&self) -> Option<Field<'a>> {
        self.field(&["ref"])
    }

    /// The ref a source follows, as the value of the first of `branch`, `tag`, `semver`, `name`,
    /// `commit` written in `spec.ref` (source mappings match it).
    #[must_use]
    pub fn ref_value(&self) -> Option<&'a str> {
        let r = self.reference()?.value.as_map()?;
        r.iter().find_map(|e| {
            matches!(e.key.as_str()?, "branch" | "tag" | "semver" | "name" | "commit").then(|| e.value.as_str())?
        })
    }

    /// `spec.ignore`: `.sourceignore` patterns added by the source.
    #[must_use]
    pub fn ignore(&self) -> Option<&'a str> {
        self.field(&["ignore"]).and_then(|f| f.as_str())
    }

    /// `spec.sparseCheckout` of a GitRepository: the directories checked out.
    #[must_use]
    pub fn sparse_checkout(&self) -> Option<Vec<&'a str>> {
        if self.kind != FluxKind::GitRepository {
            return None;
        }
        let dirs = self.field(&["sparseCheckout"])?.value.as_seq()?;
        Some(dirs.iter().filter_map(Node::as_str).collect())
    }

    /// `spec.include` of a GitRepository: other repositories copied into its artifact.
    #[must_use]
    pub fn includes(&self) -> Vec<Include<'a>> {
        let items = self.field(&["include"]).map(|f| f.items()).unwrap_or_default();
        items
            .iter()
            .filter_map(|inc| {
                let repository = inc.get_path(&["repository", "name"]).and_then(Node::as_str)?;
                Some(Include {
                    repository,
                    from_path: inc.get("fromPath").and_then(Node::as_str).unwrap_or(""),
                    to_path: inc.get("toPath").and_then(Node::as_str).unwrap_or(repository),
                })
            })
            .collect()
    }

    // Notification and image automation.

    /// `spec.eventSources` of an Alert, namespace defaulted.
    #[must_use]
    pub fn event_sources(&self) -> Vec<NamedRef<'a>> {
        let items = self.field(&["eventSources"]).map(|f| f.items()).unwrap_or_default();
        items.iter().map(|n| NamedRef::new(Field::item(n), self.namespace)).collect()
    }

    /// `spec.providerRef` of an Alert (always in the Alert's namespace).
    #[must_use]
    pub fn provider_ref(&self) -> Option<NamedRef<'a>> {
        self.named(&["providerRef"])
    }

    /// `spec.resources` of a Receiver (namespace defaulted) or the literal resources of a
    /// ResourceSet (see [`FluxObject::resource_set_resources`]).
    #[must_use]
    pub fn receiver_resources(&self) -> Vec<NamedRef<'a>> {
        let items = self.field(&["resources"]).map(|f| f.items()).unwrap_or_default();
        items.iter().map(|n| NamedRef::new(Field::item(n), self.namespace)).collect()
    }

    /// `spec.imageRepositoryRef` of an ImagePolicy, namespace defaulted.
    #[must_use]
    pub fn image_repository_ref(&self) -> Option<NamedRef<'a>> {
        self.named(&["imageRepositoryRef"])
    }

    /// `spec.accessFrom` of an ImageRepository.
    #[must_use]
    pub fn access_from(&self) -> Option<Field<'a>> {
        self.field(&["accessFrom"])
    }

    // ResourceSet.

    /// Whether a ResourceSet's resources are templated from inputs (what it creates is unknown).
    #[must_use]
    pub fn templated(&self) -> bool {
        ["inputs", "inputsFrom", "resourcesTemplate"].iter().any(|k| self.field(&[k]).is_some())
    }

    /// The literal `spec.resources` of a ResourceSet.
    #[must_use]
    pub fn resource_set_resources(&self) -> &'a [Node] {
        self.field(&["resources"]).map(|f| f.items()).unwrap_or_default()
    }
}
