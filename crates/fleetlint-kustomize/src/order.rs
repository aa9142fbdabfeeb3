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

fn rank(kind: &str, first: &[String], last: &[String]) -> i64 {
    if let Some(i) = first.iter().position(|k| k == kind) {
        return i as i64 - first.len() as i64;
    }
    if let Some(i) = last.iter().position(|k| k == kind) {
        return i as i64 + 1;
    }
    0
}

/// Sort in kustomize's legacy order, with optional custom first/last kind lists.
pub(crate) fn sort_legacy(resources: &mut [Resource], first: Option<&[String]>, last: Option<&[String]>) {
    let default_first: Vec<String> = ORDER_FIRST.iter().map(|s| (*s).to_string()).collect();
    let default_last: Vec<String> = ORDER_LAST.iter().map(|s| (*s).to_string()).collect();
    let first = first.unwrap_or(&default_first);
    let last = last.unwrap_or(&default_last);
    resources.sort_by_cached_key(|r| {
        let id = r.cur_id();
        let ns = if id.gvk.is_namespaceable() { id.namespace.clone() } else { String::new() };
        (rank(&id.gvk.kind, first, last), id.gvk.sort_string(), ns, id.name)
    });
}
