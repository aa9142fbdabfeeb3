//! Resources as kustomize tracks them: the object tree plus the identity history (previous
//! names and namespaces), the name prefixes/suffixes applied, and generator bookkeeping.

use std::sync::Arc;

use fleetlint_yaml::relpath::join_lexical;
use fleetlint_yaml::{Entry, Node, NodeKind, Span};

/// Group, version and kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Gvk {
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) kind: String,
}

impl Gvk {
    pub(crate) fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Self { group, version, kind: kind.to_string() }
    }

    /// kustomize's `Gvk.IsSelected`: empty selector fields match anything.
    pub(crate) fn is_selected_by(&self, sel: &Gvk) -> bool {
        (sel.group.is_empty() || sel.group == self.group)
            && (sel.version.is_empty() || sel.version == self.version)
            && (sel.kind.is_empty() || sel.kind == self.kind)
    }

    /// Whether kustomize treats objects of this kind as namespaced: every kind but the
    /// cluster-scoped ones its built-in OpenAPI schema knows, by exact apiVersion and kind
    /// ([`KUSTOMIZE_CLUSTER_SCOPED`]); unknown kinds, CRDs and newer API versions included.
    pub(crate) fn is_namespaceable(&self) -> bool {
        // Compared part by part: this runs for every object of every build, and formatting the
        // apiVersion each time was most of its cost.
        !KUSTOMIZE_CLUSTER_SCOPED.iter().any(|&(api_version, kind)| {
            kind == self.kind
                && match api_version.rsplit_once('/') {
                    Some((g, v)) => g == self.group && v == self.version,
                    None => self.group.is_empty() && api_version == self.version,
                }
        })
    }
}

/// The cluster-scoped kinds of kustomize's built-in OpenAPI schema (Kubernetes 1.21.2), by
/// exact apiVersion and kind: kyaml's `precomputedIsNamespaceScoped` entries that are false
/// (kubernetes-sigs/kustomize@afe7793676 `kyaml/openapi/openapi.go`, the same in 5.8.1).
/// `resid.Gvk.IsClusterScoped` answers from it, so for kustomize a `FlowSchema` of
/// `flowcontrol.apiserver.k8s.io/v1` or a `ValidatingAdmissionPolicy` is namespaced (the
/// namespace transformer gives it a namespace), although Kubernetes serves it cluster-scoped.
const KUSTOMIZE_CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// Whether kustomize treats `kind` of `api_version` as cluster-scoped ([`KUSTOMIZE_CLUSTER_SCOPED`]).
pub(crate) fn is_kustomize_cluster_scoped(api_version: &str, kind: &str) -> bool {
    KUSTOMIZE_CLUSTER_SCOPED.contains(&(api_version, kind))
}

/// Whether Kubernetes serves `kind` (of `api_version`, any version of its group) as a built-in
/// cluster-scoped kind; every other kind, custom resources included, is namespaced. This is the
/// cluster's view, which rules need; kustomize's own (older, version-exact) view decides builds.
#[must_use]
pub fn is_builtin_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    is_cluster_scoped(group, kind)
}

/// Built-in cluster-scoped kinds by API group.
fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    match group {
        "" => matches!(kind, "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus"),
        "rbac.authorization.k8s.io" => matches!(kind, "ClusterRole" | "ClusterRoleBinding"),
        "apiextensions.k8s.io" => kind == "CustomResourceDefinition",
        "storage.k8s.io" => {
            matches!(kind, "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment" | "VolumeAttributesClass")
        }
        "scheduling.k8s.io" => kind == "PriorityClass",
        "apiregistration.k8s.io" => kind == "APIService",
        "admissionregistration.k8s.io" => matches!(
            kind,
            "MutatingWebhookConfiguration"
                | "ValidatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        ),
        "node.k8s.io" => kind == "RuntimeClass",
        "networking.k8s.io" => matches!(kind, "IngressClass" | "IPAddress" | "ServiceCIDR"),
        "policy" => kind == "PodSecurityPolicy",
        "extensions" => kind == "PodSecurityPolicy",
        "certificates.k8s.io" => matches!(kind, "CertificateSigningRequest" | "ClusterTrustBundle"),
        "flowcontrol.apiserver.k8s.io" => matches!(kind, "FlowSchema" | "PriorityLevelConfiguration"),
        "authentication.k8s.io" => matches!(kind, "TokenReview" | "SelfSubjectReview"),
        "authorization.k8s.io" => {
            matches!(kind, "SelfSubjectAccessReview" | "SelfSubjectRulesReview" | "SubjectAccessReview")
        }
        "resource.k8s.io" => matches!(kind, "DeviceClass" | "ResourceSlice"),
        "internal.apiserver.k8s.io" => kind == "StorageVersion",
        "storagemigration.k8s.io" => kind == "StorageVersionMigration",
        _ => false,
    }
}

/// kustomize's `ResId.EffectiveNamespace` (kyaml `resid/resid.go`) of an object of `group` and
/// `kind` in `namespace`: `_non_namespaceable_` for a cluster-scoped kind, `default` for an
/// unset namespace.
pub(crate) fn effective_namespace<'a>(group: &str, kind: &str, namespace: &'a str) -> &'a str {
    if is_cluster_scoped(group, kind) {
        "_non_namespaceable_"
    } else if namespace.is_empty() || namespace == "default" {
        "default"
    } else {
        namespace
    }
}

/// A resource id: gvk, name and namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct ResId {
    pub(crate) gvk: Gvk,
    pub(crate) name: String,
    pub(crate) namespace: String,
}

impl ResId {
    /// kustomize's `EffectiveNamespace`.
    pub(crate) fn effective_namespace(&self) -> &str {
        effective_namespace(&self.gvk.group, &self.gvk.kind, &self.namespace)
    }

    pub(crate) fn ns_equals(&self, other: &ResId) -> bool {
        self.effective_namespace() == other.effective_namespace()
    }

    /// kustomize's `ResId.Equals`.
    pub(crate) fn equals(&self, other: &ResId) -> bool {
        self.ns_equals(other) && self.name == other.name && self.gvk == other.gvk
    }

    pub(crate) fn is_cluster_scoped(&self) -> bool {
        !self.gvk.is_namespaceable()
    }

    pub(crate) fn describe(&self) -> String {
        let ns = if self.namespace.is_empty() { String::new() } else { format!("{}/", self.namespace) };
        format!("{} {}{}", self.gvk.kind, ns, self.name)
    }
}

/// How a generated resource joins what is already accumulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// Where an object (or a transformation of it) came from, as kustomize's `resource.Origin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The resource file, relative to the build directory (empty for generated objects).
    pub(crate) path: String,
    /// The kustomization file that configured the generator or transformer.
    pub(crate) configured_in: String,
    /// The builtin generator or transformer kind (`ConfigMapGenerator`, `PatchTransformer`, ...).
    pub(crate) configured_by: &'static str,
}

impl Origin {
    /// An object read from `entry` (a `resources` entry as written) of the kustomization at
    /// `prefix`.
    pub(crate) fn file(prefix: &str, entry: &str) -> Self {
        Self { path: join_lexical(prefix, entry), configured_in: String::new(), configured_by: "" }
    }

    /// A builtin generator or transformer `kind` configured in `kust_file` at `prefix`.
    pub(crate) fn builtin(prefix: &str, kust_file: &str, kind: &'static str) -> Self {
        Self { path: String::new(), configured_in: join_lexical(prefix, kust_file), configured_by: kind }
    }

    /// Re-root at `prefix` (the entry through which a base or component was reached).
    pub(crate) fn rebase(&mut self, prefix: &str) {
        if prefix.is_empty() {
            return;
        }
        for p in [&mut self.path, &mut self.configured_in] {
            if !p.is_empty() {
                *p = join_lexical(prefix, p);
            }
        }
    }
}

/// The builtin transformers run over an object (`buildMetadata: [transformerAnnotations]`), in
/// the order they ran.
///
/// Every object a kustomization's transformers ran over shares that kustomization's list: one
/// allocation per kustomization rather than per object (a tenants overlay with a patch per
/// tenant, N patches over 5N objects, would otherwise hold 5N² origins). Re-rooting at the entry
/// a base was reached through is recorded per list and applied when the annotation is written.
#[derive(Clone, Debug, Default)]
pub(crate) struct Transformations {
    runs: Vec<TransformerRun>,
}

/// The transformers one kustomization ran, and the prefixes to re-root them at (innermost first).
#[derive(Clone, Debug)]
struct TransformerRun {
    origins: Arc<[Origin]>,
    prefixes: Vec<Arc<str>>,
}

impl Transformations {
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// How many shared lists the object refers to (one per kustomization that ran transformers).
    #[cfg(test)]
    pub(crate) fn list_count(&self) -> usize {
        self.runs.len()
    }

    /// The transformers of one kustomization ran over the object.
    pub(crate) fn record(&mut self, origins: &Arc<[Origin]>) {
        if !origins.is_empty() {
            self.runs.push(TransformerRun { origins: origins.clone(), prefixes: Vec::new() });
        }
    }

    /// Re-root every origin at `prefix` (see [`Origin::rebase`]).
    pub(crate) fn rebase(&mut self, prefix: &Arc<str>) {
        if prefix.is_empty() {
            return;
        }
        for run in &mut self.runs {
            run.prefixes.push(prefix.clone());
        }
    }

    /// The origins, re-rooted.
    pub(crate) fn origins(&self) -> impl Iterator<Item = Origin> + '_ {
        self.runs.iter().flat_map(|run| {
            run.origins.iter().map(move |o| {
                let mut o = o.clone();
                for p in &run.prefixes {
                    o.rebase(p);
                }
                o
            })
        })
    }
}

/// A resolved object.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The object. Every node carries the span of the text that wrote it.
    pub root: Node,
    pub(crate) prev_ids: Vec<ResId>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) suffixes: Vec<String>,
    pub(crate) behavior: Behavior,
    pub(crate) needs_hash: bool,
    pub(crate) ref_var_names: Vec<String>,
    /// Where kustomize says the object came from (`buildMetadata: [originAnnotations]`);
    /// `None` when a generator wrote its own origin annotation.
    pub(crate) origin: Option<Origin>,
    /// The builtin transformers run over it (`buildMetadata: [transformerAnnotations]`).
    pub(crate) transformations: Transformations,
}

impl Resource {
    pub(crate) fn new(root: Node) -> Self {
        Self {
            root,
            prev_ids: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            behavior: Behavior::Create,
            needs_hash: false,
            ref_var_names: Vec::new(),
            origin: None,
            transformations: Transformations::default(),
        }
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        self.root.get("apiVersion").and_then(Node::as_str).unwrap_or("")
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.root.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.root.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.namespace` (empty when unset).
    #[must_use]
    pub fn namespace(&self) -> &str {
        self.root.get_path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("")
    }

    pub(crate) fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    pub(crate) fn cur_id(&self) -> ResId {
        ResId { gvk: self.gvk(), name: self.name().to_string(), namespace: self.namespace().to_string() }
    }

    pub(crate) fn org_id(&self) -> ResId {
        self.prev_ids.first().cloned().unwrap_or_else(|| self.cur_id())
    }

    /// Apply a JSON 6902 patch of a `patches` entry the way kustomize's PatchTransformer does:
    /// it stores the resource's previous id as build annotations first
    /// (kubernetes-sigs/kustomize api/internal/builtins/PatchTransformer.go `transformJson6902`:
    /// `res.StorePreviousId()`, which writes `internal.config.kubernetes.io/previousKinds`,
    /// `previousNames` and `previousNamespaces`, then applies the patch to the JSON that carries
    /// them), so `metadata.annotations` exists for the patch: `add
    /// /metadata/annotations/<key>` on an object without annotations succeeds. The internal
    /// annotations are removed at the end of the build; a map that stays empty is dropped.
    /// (`patchesJson6902` does not store the id: there the parent must exist.)
    pub(crate) fn apply_json6902_patch(&mut self, ops: &Node) -> Result<(), crate::patch::PatchError> {
        self.store_previous_id();
        let span = self.root.span;
        let absent = self.root.get_path(&["metadata", "annotations"]).is_none();
        if absent && self.root.get("metadata").is_some_and(|m| m.as_map().is_some()) {
            let meta = ensure_map_entry(&mut self.root, "metadata", span);
            set_entry(meta, "annotations", Node::map(span), span);
        }
        let result = crate::patch::apply_json6902(&mut self.root, ops);
        if absent
            && let Some(meta) = self.root.get_mut("metadata")
            && meta.get("annotations").is_some_and(|a| a.as_map().is_some_and(<[Entry]>::is_empty))
        {
            remove_entry(meta, "annotations");
        }
        result
    }

    pub(crate) fn store_previous_id(&mut self) {
        let id = self.cur_id();
        self.prev_ids.push(id);
    }

    /// Ids this resource has had, the current one last.
    pub(crate) fn any_ids(&self) -> impl Iterator<Item = ResId> + '_ {
        self.prev_ids.iter().cloned().chain(std::iter::once(self.cur_id()))
    }

    pub(crate) fn set_name(&mut self, name: &str, span: Span) {
        let meta = ensure_map_entry(&mut self.root, "metadata", span);
        set_entry(meta, "name", Node::string(name, span), span);
    }

    pub(crate) fn set_namespace(&mut self, ns: &str, span: Span) {
        let meta = ensure_map_entry(&mut self.root, "metadata", span);
        set_entry(meta, "namespace", Node::string(ns, span), span);
    }

    /// The object's `config.kubernetes.io/local-config` annotation says it is not deployed.
    pub(crate) fn is_local_config(&self) -> bool {
        self.root
            .get_path(&["metadata", "annotations", "config.kubernetes.io/local-config"])
            .and_then(Node::as_str)
            .is_some_and(|v| v == "true")
    }
}

/// Why kustomize rejects a document as a resource or a strategic merge patch, if it does: kyaml's
/// `RNode.GetValidatedMetadata` (kubernetes-sigs/kustomize@afe7793676 `kyaml/yaml/rnode.go`,
/// called by `api/resource/factory.go` `dropBadNodes` for every document it reads) wants a kind,
/// and a `metadata.name` unless the kind ends with `List`.
pub(crate) fn metadata_problem(doc: &Node) -> Option<&'static str> {
    let text = |path: &[&str]| {
        doc.get_path(path).and_then(Node::as_scalar).filter(|s| !s.text.is_empty()).map(|s| s.text.clone())
    };
    let kind = text(&["kind"]);
    match kind {
        None => Some("missing kind in object"),
        Some(k) if k.ends_with("List") => None,
        Some(_) if text(&["metadata", "name"]).is_none() => Some("missing metadata.name in object"),
        Some(_) => None,
    }
}

/// Write the string map `key` of `metadata` back the way kyaml's `SetLabels`/`SetAnnotations`
/// do (kubernetes-sigs/kustomize@afe7793676 `kyaml/yaml/rnode.go` `setMapInMetadata`): the
/// field is cleared and the map kyaml read (`getMapFromMeta`: each value's text, `""` for a
/// collection) written back as strings, or no field when it is empty (or not a map).
pub(crate) fn set_string_map(meta: &mut Node, key: &str) {
    let emptied = match meta.get_mut(key).map(|m| &mut m.kind) {
        Some(NodeKind::Map(entries)) => {
            for e in entries.iter_mut() {
                let text = e.value.as_scalar().map_or_else(String::new, |s| s.text.to_string());
                e.value = Node::string(text, e.value.span);
            }
            entries.is_empty()
        }
        Some(_) => true,
        None => false,
    };
    if emptied {
        remove_entry(meta, key);
    }
}

/// The most nodes one object may grow to through patches and replacements. A few JSON 6902
/// `copy` operations (or replacements copying a field into a sibling) double an object each
/// time: 40 of them exhausted memory. kustomize has no limit and runs out of memory too; no
/// real object comes near this, since etcd refuses objects over 1.5 MiB.
pub(crate) const MAX_OBJECT_NODES: usize = 250_000;

/// Set `key` in mapping `map` to `value`, keeping the existing key node when there is one.
/// A null `map` becomes a mapping first. Non-mappings are left alone.
pub(crate) fn set_entry(map: &mut Node, key: &str, value: Node, key_span: Span) {
    if map.is_null() {
        *map = Node::map(key_span);
    }
    if let NodeKind::Map(entries) = &mut map.kind {
        if let Some(e) = entries.iter_mut().rev().find(|e| e.key.as_scalar().is_some_and(|k| &*k.text == key)) {
            e.value = value;
        } else {
            entries.push(Entry { key: Node::string(key, key_span), value });
        }
    }
}

/// The mapping under `key`, created (with `span`) when missing or null.
///
/// A `map` that is a scalar or a sequence is returned as it is: writes into it are lost, as
/// kustomize would fail such a build ("wrong node kind: expected MappingNode"), which the
/// resolver reports where the node was made so (a JSON patch replacing `metadata`, a crash the
/// fuzzer found: goldens `testdata/kustomize/json-patch-breaks-metadata*`).
pub(crate) fn ensure_map_entry<'n>(map: &'n mut Node, key: &str, span: Span) -> &'n mut Node {
    if map.is_null() {
        *map = Node::map(span);
    }
    if !matches!(map.kind, NodeKind::Map(_)) {
        return map;
    }
    let needs = match map.get(key) {
        None => true,
        Some(v) => v.is_null(),
    };
    if needs {
        set_entry(map, key, Node::map(span), span);
    }
    map.get_mut(key).expect("entry just ensured")
}

/// Remove `key` from a mapping.
pub(crate) fn remove_entry(map: &mut Node, key: &str) {
    if let NodeKind::Map(entries) = &mut map.kind {
        entries.retain(|e| e.key.as_scalar().is_none_or(|k| &*k.text != key));
    }
}
