//! kustomize's output order: the legacy GVK order (the default), or the input order when a
//! kustomization asks for `sortOptions: {order: fifo}`.

use crate::resource::Resource;

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

const ORDER_LAST: &[&str] = &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/// `s`, or `empty` in its place when it is empty (kustomize's `~G`, `[noKind]`, ...).
fn or<'s>(s: &'s str, empty: &'static str) -> &'s str {
    if s.is_empty() { empty } else { s }
}

fn rank(kind: &str, first: &[String], last: &[String]) -> i64 {
    if let Some(i) = first.iter().position(|k| k == kind) {
        return i as i64 - first.len() as i64;
    }
    if let Some(i) = last.iter().position(|k| k == kind) {
        return i as i64 + 1;
    }
    0
}

/// Sort in kustomize's legacy order, with optional custom first/last kind lists: the
/// `legacyIDSorter` of kubernetes-sigs/kustomize@afe7793676
/// `api/internal/builtins/SortOrderTransformer.go`. Different GVKs compare by kind rank, then by
/// `group_version_kind` (`~G`, `~V`, `~K` for empty parts), except that of two `Namespace` kinds
/// one without a group comes first (`gvkLessThan` reverses the comparison; two core versions of
/// `Namespace` would be reversed too, which no repository has); the same GVK compares by the
/// one string `Gvk.String()|namespace|name` (`~X`, `~N` when empty; the namespace as written).
pub(crate) fn sort_legacy(resources: &mut [Resource], first: Option<&[String]>, last: Option<&[String]>) {
    let default_first: Vec<String> = ORDER_FIRST.iter().map(|s| (*s).to_string()).collect();
    let default_last: Vec<String> = ORDER_LAST.iter().map(|s| (*s).to_string()).collect();
    let first = first.unwrap_or(&default_first);
    let last = last.unwrap_or(&default_last);
    resources.sort_by_cached_key(|r| {
        // Read from the object, not from a `ResId` copy: this runs for every object of every
        // build. The two strings are the ones `legacyIDSorter` compares:
        // `Gvk.String()` (`group_version_kind`, `~G`/`~V`/`~K` for empty parts), then the id's.
        let (api_version, kind) = (r.api_version(), r.kind());
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let core_namespace = kind == "Namespace" && group.is_empty();
        let gvk = [or(group, "~G"), "_", or(version, "~V"), "_", or(kind, "~K")].concat();
        let id_key = [
            or(kind, "[noKind]"),
            ".",
            or(version, "[noVer]"),
            ".",
            or(group, "[noGrp]"),
            "|",
            or(r.namespace(), "~X"),
            "|",
            or(r.name(), "~N"),
        ]
        .concat();
        (rank(kind, first, last), !core_namespace, gvk, id_key)
    });
}
