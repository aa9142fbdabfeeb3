//! RBAC facts of a cluster: its RoleBindings and ClusterRoleBindings, whom their subjects name (in
//! the namespace Kubernetes resolves them in), which bindings grant a service account a role, and
//! whether a role lets its holder write a Namespace object.

use std::collections::{BTreeSet, HashMap};

use fleetlint_yaml::{FluxKind, Node, Span};

use crate::model::{Cluster, RenderedObject};

/// A RoleBinding or ClusterRoleBinding written in the repository.
#[derive(Debug)]
pub struct Binding<'a> {
    /// Index in the cluster's objects.
    pub index: usize,
    /// The binding.
    pub object: &'a RenderedObject,
    /// A ClusterRoleBinding.
    pub cluster_wide: bool,
    /// `roleRef.kind`.
    pub role_kind: &'a str,
    /// `roleRef.name`.
    pub role_name: &'a str,
    /// The `roleRef.name` value (or `roleRef`, or the object).
    pub role_span: Span,
}

/// One subject of a binding, with the namespace Kubernetes resolves it in.
#[derive(Debug)]
pub struct Subject<'a> {
    /// Position in `subjects`.
    pub index: usize,
    /// The subject node.
    pub node: &'a Node,
    /// `ServiceAccount`, `User` or `Group`.
    pub kind: &'a str,
    /// `name`.
    pub name: &'a str,
    /// For a ServiceAccount: its namespace (a RoleBinding's own when the subject names none; a
    /// ClusterRoleBinding's subject without one is rejected by the API server, so `None`).
    pub namespace: Option<&'a str>,
}

impl Subject<'_> {
    /// Where a finding about the subject points: its namespace value when written, else its name.
    pub fn span(&self) -> Span {
        self.node.get("namespace").or_else(|| self.node.get("name")).map_or(self.node.span, |n| n.span)
    }

    /// For a Group subject that contains ServiceAccounts: `Some(Some(ns))` for
    /// `system:serviceaccounts:<ns>`, `Some(None)` for every ServiceAccount
    /// (`system:serviceaccounts`, `system:authenticated`).
    pub fn service_account_group(&self) -> Option<Option<&str>> {
        if self.kind != "Group" {
            return None;
        }
        match self.name {
            "system:serviceaccounts" | "system:authenticated" => Some(None),
            n => n.strip_prefix("system:serviceaccounts:").map(Some),
        }
    }
}

fn str_at<'a>(n: &'a Node, path: &[&str]) -> &'a str {
    n.get_path(path).and_then(Node::as_str).unwrap_or("")
}

impl<'a> Binding<'a> {
    /// The binding's subjects.
    pub fn subjects(&self) -> Vec<Subject<'a>> {
        let own = self.object.namespace();
        let items = self.object.root.get("subjects").and_then(Node::as_seq).unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let kind = str_at(node, &["kind"]);
                let written = node.get("namespace").and_then(Node::as_str).filter(|s| !s.is_empty());
                let namespace = match (kind, written) {
                    ("ServiceAccount", Some(ns)) => Some(ns),
                    ("ServiceAccount", None) if !self.cluster_wide && !own.is_empty() => Some(own),
                    _ => None,
                };
                Subject { index, node, kind, name: str_at(node, &["name"]), namespace }
            })
            .collect()
    }
}

/// Every RoleBinding and ClusterRoleBinding of the cluster written in the repository.
pub fn bindings(cluster: &Cluster) -> Vec<Binding<'_>> {
    cluster
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.synthesized && o.api_version().starts_with("rbac.authorization.k8s.io/"))
        .filter(|(_, o)| matches!(o.kind(), "RoleBinding" | "ClusterRoleBinding"))
        .map(|(index, object)| {
            let role_span = object
                .root
                .get_path(&["roleRef", "name"])
                .or_else(|| object.root.get("roleRef"))
                .map_or(object.root.span, |n| n.span);
            Binding {
                index,
                object,
                cluster_wide: object.kind() == "ClusterRoleBinding",
                role_kind: str_at(&object.root, &["roleRef", "kind"]),
                role_name: str_at(&object.root, &["roleRef", "name"]),
                role_span,
            }
        })
        .collect()
}

/// The roles of a cluster by kind, name and (for a Role) namespace, so resolving the role of
/// each of thousands of bindings is a lookup, not a scan of every object.
#[derive(Debug)]
pub struct Roles<'a> {
    by_key: HashMap<(&'a str, &'a str, &'a str), &'a RenderedObject>,
}

impl<'a> Roles<'a> {
    /// Index the RBAC objects of `cluster` (the first of duplicates wins).
    #[must_use]
    pub fn new(cluster: &'a Cluster) -> Self {
        let mut by_key = HashMap::new();
        for o in cluster.objects.iter().filter(|o| o.api_version().starts_with("rbac.authorization.k8s.io/")) {
            by_key.entry(Self::key(o.kind(), o.name(), o.namespace())).or_insert(o);
        }
        Self { by_key }
    }

    /// A ClusterRole is found whatever namespace it was written with; a Role in its namespace.
    fn key<'k>(kind: &'k str, name: &'k str, namespace: &'k str) -> (&'k str, &'k str, &'k str) {
        (kind, name, if kind == "ClusterRole" { "" } else { namespace })
    }

    /// The role `binding` refers to, when it is in the graph.
    #[must_use]
    pub fn of(&self, binding: &Binding<'_>) -> Option<&'a RenderedObject> {
        self.by_key.get(&Self::key(binding.role_kind, binding.role_name, binding.object.namespace())).copied()
    }
}

/// Verbs that modify or remove a Namespace object.
const WRITE_VERBS: &[&str] = &["patch", "update", "delete"];

/// How a role lets its holder write Namespace `target`.
#[derive(Debug)]
pub struct NamespaceWrite {
    /// The verbs granted (`*` expanded).
    pub verbs: Vec<&'static str>,
    /// The rule that grants them, when the role is in the graph.
    pub rule: Option<Span>,
}

/// Whether the role `binding` refers to grants patch/update/delete on core `namespaces`
/// (wildcards count) for Namespace `target`. The built-in `cluster-admin` grants everything;
/// the built-in `admin` and `edit` do not touch the Namespace object (Kubernetes "User-facing
/// roles"), and other roles count only when their rules are in the graph.
pub fn namespace_write(roles: &Roles<'_>, binding: &Binding<'_>, target: &str) -> Option<NamespaceWrite> {
    let Some(role) = roles.of(binding) else {
        let builtin_admin = binding.role_kind == "ClusterRole" && binding.role_name == "cluster-admin";
        return builtin_admin.then(|| NamespaceWrite { verbs: WRITE_VERBS.to_vec(), rule: None });
    };
    let has = |rule: &Node, key: &str, wanted: &[&str]| {
        rule.get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .any(|v| wanted.contains(&v))
    };
    for rule in role.root.get("rules").and_then(Node::as_seq).unwrap_or_default() {
        if !has(rule, "apiGroups", &["", "*"]) || !has(rule, "resources", &["namespaces", "*"]) {
            continue;
        }
        let names: Vec<&str> = rule
            .get("resourceNames")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if !names.is_empty() && !names.contains(&target) {
            continue;
        }
        let verbs: Vec<&'static str> = WRITE_VERBS.iter().copied().filter(|v| has(rule, "verbs", &[v, "*"])).collect();
        if !verbs.is_empty() {
            return Some(NamespaceWrite { verbs, rule: Some(rule.span) });
        }
    }
    None
}

/// Tenants that deliver their own content: a Flux Kustomization in one of their namespaces reads
/// a source in one of their namespaces (a tenant repository). Only such a tenant can write the
/// Flux objects that impersonate a ServiceAccount of its namespaces; namespaces the platform
/// merely labels with a tenant (add-on namespaces of the D1 fleet's `platform-team`, the spoke
/// namespaces of flux2-hub-spoke-example) and fills from its own repository are not reported.
pub fn self_served(cluster: &Cluster) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for o in cluster.objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::Kustomization)) {
        let Some(tenant) = cluster.tenant_of_namespace(o.namespace()) else { continue };
        let src_ns = o.flux().and_then(|k| k.source_ref()).map_or(o.namespace(), |r| r.namespace);
        if cluster.tenant_of_namespace(src_ns) == Some(tenant) {
            out.insert(tenant);
        }
    }
    out
}

/// A RoleBinding or ClusterRoleBinding that names service account `ns:sa` (directly or through
/// the `system:serviceaccounts[:ns]` groups), with the subject that does.
#[derive(Debug)]
pub struct Grant<'c> {
    /// The binding.
    pub binding: &'c RenderedObject,
    /// The subject naming the service account.
    pub subject: Span,
}

impl Grant<'_> {
    /// Whether the binding is cluster-wide.
    pub fn cluster_wide(&self) -> bool {
        self.binding.kind() == "ClusterRoleBinding"
    }
}

/// The bindings in the cluster that grant service account `ns:sa` a role.
pub fn grants<'c>(cluster: &'c Cluster, ns: &str, sa: &str) -> Vec<Grant<'c>> {
    let mut out = Vec::new();
    for b in &cluster.objects {
        let cluster_wide = b.kind() == "ClusterRoleBinding";
        if !(cluster_wide || b.kind() == "RoleBinding") || !b.api_version().starts_with("rbac.authorization.k8s.io/") {
            continue;
        }
        // A RoleBinding only grants inside its own namespace.
        if !cluster_wide && b.namespace() != ns {
            continue;
        }
        for s in b.root.get("subjects").and_then(Node::as_seq).unwrap_or_default() {
            let field = |k| s.get(k).and_then(Node::as_str).unwrap_or("");
            let names_it = match field("kind") {
                "ServiceAccount" => {
                    let sns = if field("namespace").is_empty() { b.namespace() } else { field("namespace") };
                    field("name") == sa && sns == ns
                }
                "Group" => {
                    field("name") == "system:serviceaccounts" || field("name") == format!("system:serviceaccounts:{ns}")
                }
                _ => false,
            };
            if names_it {
                out.push(Grant { binding: b, subject: s.span });
            }
        }
    }
    out
}
