//! kustomize-controller's per-object markers (docs/flux-semantics.md, "Per-object markers"): labels or annotations
//! under `kustomize.toolkit.fluxcd.io/` that change whether and how an object is applied.

use fleetlint_yaml::Node;

/// Whether the object carries `kustomize.toolkit.fluxcd.io/<key>: <value>` (value compared
/// case-insensitively) as a label or an annotation.
pub(crate) fn has_marker(root: &Node, key: &str, value: &str) -> bool {
    let key = format!("kustomize.toolkit.fluxcd.io/{key}");
    ["labels", "annotations"].iter().any(|m| {
        root.get_path(&["metadata", m, &key]).and_then(Node::as_str).is_some_and(|v| v.eq_ignore_ascii_case(value))
    })
}

/// Excluded from apply: `ssa: Ignore` or `reconcile: disabled`.
pub(crate) fn not_applied(root: &Node) -> bool {
    has_marker(root, "ssa", "ignore") || has_marker(root, "reconcile", "disabled")
}
