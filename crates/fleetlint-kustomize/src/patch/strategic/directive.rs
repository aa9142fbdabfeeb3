//! The `$patch` directive (`merge`, `replace`, `delete`) of a map or a merged list, as kyaml's
//! walker reads it; an unknown value is an error. `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>` are not directives for kustomize v5: they stay as data.

use fleetlint_yaml::{Entry, Node, NodeKind};

use super::list::element_setter;
use super::node::{field, field_index, items, items_mut, text};
use crate::patch::PatchError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Directive {
    Merge,
    Replace,
    Delete,
}

/// The `$patch` directive of a map, removed from it when known.
pub(super) fn map_directive(patch: &mut Node) -> Result<Directive, PatchError> {
    let Some(i) = field_index(patch, "$patch") else { return Ok(Directive::Merge) };
    let entries = match &mut patch.kind {
        NodeKind::Map(e) => e,
        _ => return Ok(Directive::Merge),
    };
    let value = &entries[i].value;
    let d = match text(value) {
        "delete" => Directive::Delete,
        "replace" => Directive::Replace,
        "merge" => Directive::Merge,
        other => return Err(PatchError::new(format!("unknown patch strategy '{other}'"), value.span)),
    };
    entries.remove(i);
    Ok(d)
}

/// The `$patch` directive of a list (an item `{$patch: ...}` with no other field), removed from
/// it when known.
pub(super) fn seq_directive(patch: &mut Node) -> Result<Directive, PatchError> {
    let Some(item) = items(patch).iter().find(|i| i.as_map().is_some() && field(i, "$patch").is_some()) else {
        return Ok(Directive::Merge);
    };
    if item.as_map().map_or(0, <[Entry]>::len) > 1 {
        return Ok(Directive::Merge);
    }
    let value = field(item, "$patch").map(|v| (text(v).to_string(), v.span));
    let Some((v, span)) = value else { return Ok(Directive::Merge) };
    let d = match v.as_str() {
        "delete" => Directive::Delete,
        "replace" => Directive::Replace,
        "merge" => Directive::Merge,
        other => return Err(PatchError::new(format!("unknown patch strategy '{other}'"), span)),
    };
    if let Some(list) = items_mut(patch) {
        element_setter(list, None, &["$patch".to_string()], std::slice::from_ref(&v));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{DEPLOY, containers, smp};

    #[test]
    fn directives_nulls_and_unmerged_lists() {
        let out = smp(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  finalizers: [z]\n  $deleteFromPrimitiveList/finalizers: [x]\nspec:\n  template:\n    spec:\n      tolerations: [{key: b}]\n      containers:\n      - name: side\n        $patch: delete\n      - name: main\n        args: null\n        env:\n        - name: A\n          $patch: delete\n",
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["z", "x", "y"]));
        assert_eq!(out["metadata"]["$deleteFromPrimitiveList/finalizers"], json!(["x"]));
        assert_eq!(out["spec"]["template"]["spec"]["tolerations"], json!([{"key": "b"}]));
        let c = containers(&out);
        assert_eq!(c.as_array().unwrap().len(), 1);
        assert!(c[0].get("args").is_none());
        assert_eq!(c[0]["env"], json!([{"name": "B", "value": "2"}]));
    }

    #[test]
    fn patch_replace_on_map_and_list() {
        let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n  template:\n    spec:\n      volumes: [{name: v1, emptyDir: {}}, {name: v2, emptyDir: {}}]\n";
        let out = smp(
            base,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  strategy:\n    $patch: replace\n    type: Recreate\n  template:\n    spec:\n      volumes:\n      - $patch: replace\n      - {name: v9, emptyDir: {}}\n",
        );
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(out["spec"]["template"]["spec"]["volumes"], json!([{"name": "v9", "emptyDir": {}}]));
    }

    #[test]
    fn retain_keys_is_kept_as_data_like_kustomize() {
        let out = smp(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  strategy:\n    $retainKeys: [type]\n    type: Recreate\n",
        );
        assert_eq!(
            out["spec"]["strategy"],
            json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}, "$retainKeys": ["type"]})
        );
    }

    #[test]
    fn added_list_keeps_replace_item_like_kustomize() {
        // kubectl kustomize v5.5 output: `volumes: [{$patch: replace}]`
        let out = smp(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: a}]}}}\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      volumes:\n      - $patch: replace\n      - {name: v1, emptyDir: {}}\n      containers:\n      - name: a\n        args: [{$patch: replace}, c]\n",
        );
        assert_eq!(out["spec"]["template"]["spec"]["volumes"], json!([{"$patch": "replace"}]));
        assert_eq!(containers(&out)[0]["args"], json!([{"$patch": "replace"}, "c"]));
    }
}
