//! Whether objects of a kind live in a namespace: the CustomResourceDefinitions rendered in the
//! cluster first (`spec.scope`), then kustomize's built-in knowledge, then the built-in namespaced
//! kinds, Flux's kinds, and a few add-on kinds whose CRDs usually come from a chart fleetlint does
//! not render.

use std::collections::HashMap;

use fleetlint_kustomize::is_builtin_cluster_scoped;
use fleetlint_yaml::Node;

use crate::model::{Cluster, RenderedObject};

/// A kind's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindScope {
    /// Objects live in a namespace.
    Namespaced,
    /// Objects are cluster-wide.
    Cluster,
    /// A custom kind with no CRD in the graph and not among the well-known add-ons.
    Unknown,
}

/// Cluster-scoped kinds of common add-ons, installed by charts (CRDs not in the repository).
const ADDON_CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("cert-manager.io", "ClusterIssuer"),
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "ClusterCleanupPolicy"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotContent"),
];

/// Built-in namespaced kinds by API group.
const BUILTIN_NAMESPACED: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "Pod",
            "Service",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolumeClaim",
            "Endpoints",
            "Event",
            "LimitRange",
            "ResourceQuota",
            "PodTemplate",
            "ReplicationController",
            "Binding",
        ],
    ),
    ("apps", &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"]),
    ("batch", &["Job", "CronJob"]),
    ("autoscaling", &["HorizontalPodAutoscaler"]),
    ("policy", &["PodDisruptionBudget"]),
    ("networking.k8s.io", &["Ingress", "NetworkPolicy"]),
    ("rbac.authorization.k8s.io", &["Role", "RoleBinding"]),
    ("coordination.k8s.io", &["Lease"]),
    ("discovery.k8s.io", &["EndpointSlice"]),
    ("events.k8s.io", &["Event"]),
    ("storage.k8s.io", &["CSIStorageCapacity"]),
    ("authorization.k8s.io", &["LocalSubjectAccessReview"]),
    ("resource.k8s.io", &["ResourceClaim", "ResourceClaimTemplate"]),
];

/// The API group of an `apiVersion`.
fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The kind scopes of one cluster.
#[derive(Clone, Debug, Default)]
pub struct KindScopes {
    /// `(group, kind)` -> cluster-scoped, from the cluster's CRDs.
    crds: HashMap<(String, String), bool>,
}

impl KindScopes {
    /// Read the CRDs `cluster` renders.
    #[must_use]
    pub fn new(cluster: &Cluster) -> Self {
        let mut crds = HashMap::new();
        for o in &cluster.objects {
            if o.kind() != "CustomResourceDefinition" || group_of(o.api_version()) != "apiextensions.k8s.io" {
                continue;
            }
            let s = |p: &[&str]| o.root.get_path(p).and_then(Node::as_str).unwrap_or("").to_string();
            let (group, kind) = (s(&["spec", "group"]), s(&["spec", "names", "kind"]));
            if !kind.is_empty() {
                crds.insert((group, kind), s(&["spec", "scope"]) == "Cluster");
            }
        }
        Self { crds }
    }

    /// The scope of objects of `api_version`/`kind`.
    #[must_use]
    pub fn of(&self, api_version: &str, kind: &str) -> KindScope {
        let group = group_of(api_version);
        if let Some(&cluster) = self.crds.get(&(group.to_string(), kind.to_string())) {
            return if cluster { KindScope::Cluster } else { KindScope::Namespaced };
        }
        if is_builtin_cluster_scoped(api_version, kind) || ADDON_CLUSTER_SCOPED.contains(&(group, kind)) {
            return KindScope::Cluster;
        }
        let flux = fleetlint_yaml::FluxKind::from_type(api_version, kind).is_some();
        if flux || BUILTIN_NAMESPACED.iter().any(|(g, kinds)| *g == group && kinds.contains(&kind)) {
            return KindScope::Namespaced;
        }
        KindScope::Unknown
    }

    /// Whether `o`'s kind is known to be cluster-scoped (unknown kinds count as namespaced, as
    /// kustomize counts them).
    #[must_use]
    pub fn cluster_scoped(&self, o: &RenderedObject) -> bool {
        self.of(o.api_version(), o.kind()) == KindScope::Cluster
    }
}
