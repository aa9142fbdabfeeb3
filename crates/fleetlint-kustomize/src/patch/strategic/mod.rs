//! Strategic merge patches, applied the way kustomize v5.5 does (kyaml `merge2.Merge` through
//! `walk.Walker`, with `ListIncreaseDirection: Prepend`, from the `patchstrategicmerge` filter).
//!
//! This is a port of kyaml's walker, quirks included, because its results differ from the
//! apimachinery strategic merge patch that `kubectl patch` uses:
//!
//! - merge keys and strategies come from the built-in kind's schema ([`schema_for`]); a list is
//!   merged only when its strategy includes `merge` (containers by `name`, ports by
//!   `containerPort`+`protocol`, env by `name`, volumeMounts by `mountPath`, volumes,
//!   imagePullSecrets, `finalizers` as a set of primitives, ...); every other list (tolerations,
//!   args, any list of a CRD or Flux object, any field unknown to the schema) is replaced;
//! - in a merged list, the patch's items come first, in patch order (merged with the target's item
//!   of the same key), then the target's remaining items in their order;
//! - `$patch: delete|replace|merge` on maps and list items, and `{$patch: replace|delete}` as an
//!   item of a merged list; an unknown `$patch` value is an error; a `$patch` item in a replaced
//!   list is kept as data (kustomize does);
//! - `null` deletes a field; null fields of content the patch adds are dropped;
//! - `$retainKeys`, `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>` are NOT
//!   interpreted by kustomize v5: they are merged into the output as ordinary fields, and so here;
//! - a map where the target has a list (or a scalar, etc.) is an error ("wrong node kind").
//!
//! Provenance: values taken from the patch are the patch's nodes; merged maps and list items keep
//! the target's nodes (and spans) with the patched fields replaced; a merged list is a new
//! sequence node that keeps the target list's span.
//!
//! The port is split as kyaml's is: `walk` visits one slot (maps field by field, scalars and
//! replaced lists), `list` merges a list by its merge keys, `directive` reads `$patch`, and
//! `node` holds kyaml's accessors (`RNode.Field`, `yaml.Node.Value`, ...) on positioned nodes.

mod directive;
mod list;
mod node;
mod walk;

use fleetlint_yaml::{Entry, Node};

use super::PatchError;
use super::custom::SchemaSource;
use super::schema::TypeSchema;
use node::{remove_field, set_field};
use walk::{Out, walk};

/// What became of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmpOutcome {
    /// The target was patched in place.
    Merged,
    /// The patch deleted the whole object (`$patch: delete` at its root).
    Deleted,
}

/// Options of a `patches[]` entry that affect a strategic merge, and the schemas in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmpOptions {
    /// `options.allowNameChange`.
    pub allow_name_change: bool,
    /// `options.allowKindChange`.
    pub allow_kind_change: bool,
    /// Where kind schemas come from (the build's `openapi`); built-in by default.
    pub schemas: SchemaSource,
}

/// Apply the strategic merge patch `patch` to `target` (both document roots).
///
/// `schema` forces the root schema; with `None` the schema is looked up, as kyaml does, from the
/// `apiVersion` and `kind` of the target (then of the patch), and again in any nested map that has
/// both while no schema applies.
///
/// # Errors
/// An unknown `$patch` value, or a patch value whose node kind (map, list, scalar) differs from
/// the target's; the error carries the patch node's span.
pub fn apply_strategic_merge(
    target: &mut Node,
    patch: &Node,
    schema: Option<&'static TypeSchema>,
) -> Result<SmpOutcome, PatchError> {
    apply_strategic_merge_with(target, patch, schema, SchemaSource::BUILTIN)
}

/// [`apply_strategic_merge`] with kind schemas (found from `apiVersion` and `kind`) taken from
/// `src`.
///
/// # Errors
/// As [`apply_strategic_merge`].
pub fn apply_strategic_merge_with(
    target: &mut Node,
    patch: &Node,
    schema: Option<&'static TypeSchema>,
    src: SchemaSource,
) -> Result<SmpOutcome, PatchError> {
    let mut patch = patch.clone();
    let out = walk(Some(target), Some(&mut patch), false, schema, String::new(), src)?;
    Ok(match out {
        Out::Dest => SmpOutcome::Merged,
        Out::Node(n) => {
            if n.is_null() {
                return Ok(SmpOutcome::Deleted);
            }
            *target = n;
            SmpOutcome::Merged
        }
        Out::Clear => SmpOutcome::Deleted,
    })
}

/// Apply an SMP to a resource as kustomize's `Resource.ApplySmPatch` does: merge, then restore the
/// resource's `metadata.name` (unless `allow_name_change`), `kind` (unless `allow_kind_change`)
/// and `metadata.namespace` (always), keeping the original nodes.
///
/// # Errors
/// As [`apply_strategic_merge`].
pub fn apply_smp_to_resource(target: &mut Node, patch: &Node, options: SmpOptions) -> Result<SmpOutcome, PatchError> {
    let kind = target.entry("kind").cloned();
    let name = target.get("metadata").and_then(|m| m.entry("name")).cloned();
    let namespace = target.get("metadata").and_then(|m| m.entry("namespace")).cloned();
    let outcome = apply_strategic_merge_with(target, patch, None, options.schemas)?;
    if outcome == SmpOutcome::Deleted || target.as_map().is_none_or(<[Entry]>::is_empty) {
        return Ok(SmpOutcome::Deleted);
    }
    if !options.allow_kind_change {
        restore_field(target, "kind", kind);
    }
    let span = target.span;
    if !options.allow_name_change || namespace.is_some() || target.get_path(&["metadata", "namespace"]).is_some() {
        if target.get("metadata").is_none_or(|m| m.as_map().is_none()) {
            set_field(target, Entry { key: Node::string("metadata", span), value: Node::map(span) });
        }
        if let Some(meta) = target.get_mut("metadata") {
            if !options.allow_name_change {
                restore_field(meta, "name", name);
            }
            restore_field(meta, "namespace", namespace);
        }
    }
    Ok(SmpOutcome::Merged)
}

fn restore_field(map: &mut Node, key: &str, original: Option<Entry>) {
    match original {
        Some(e) if !e.value.is_null() && e.value.as_str() != Some("") => set_field(map, e),
        _ => remove_field(map, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};
    use serde_json::json;

    pub(super) fn doc(file: u32, text: &str) -> Node {
        let p = parse_yaml(FileId(file), text, &Limits::default());
        assert!(!p.is_broken(), "{:?}", p.issues);
        p.documents.into_iter().next().unwrap().root
    }

    pub(super) fn smp(base: &str, patch: &str) -> serde_json::Value {
        let mut b = doc(0, base);
        let p = doc(1, patch);
        match apply_strategic_merge(&mut b, &p, None).unwrap() {
            SmpOutcome::Merged => b.to_json(),
            SmpOutcome::Deleted => serde_json::Value::Null,
        }
    }

    pub(super) const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, finalizers: [x, y]}\nspec:\n  template:\n    spec:\n      tolerations: [{key: a}]\n      containers:\n      - name: main\n        image: main:1\n        args: [a, b]\n        ports: [{containerPort: 80, name: http}, {containerPort: 81, protocol: UDP}]\n        env: [{name: A, value: '1'}, {name: B, value: '2'}]\n      - name: side\n        image: side:1\n";

    pub(super) fn containers(v: &serde_json::Value) -> &serde_json::Value {
        &v["spec"]["template"]["spec"]["containers"]
    }

    #[test]
    fn delete_whole_object_and_errors() {
        let out = smp(DEPLOY, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n$patch: delete\n");
        assert_eq!(out, serde_json::Value::Null);
        let mut b = doc(0, DEPLOY);
        let p = doc(
            1,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers: {name: x}\n",
        );
        let err = apply_strategic_merge(&mut b, &p, None).unwrap_err();
        assert!(err.message.contains("wrong node kind"), "{}", err.message);
        assert_eq!(err.span.file, FileId(1));
        let p = doc(1, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  $patch: remove\n");
        let err = apply_strategic_merge(&mut b, &p, None).unwrap_err();
        assert_eq!(err.message, "unknown patch strategy 'remove'");
    }

    #[test]
    fn provenance_patch_nodes_and_kept_spans() {
        let base_text = DEPLOY;
        let patch_text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: main:2\n";
        let mut b = doc(0, base_text);
        let p = doc(1, patch_text);
        apply_strategic_merge(&mut b, &p, None).unwrap();
        let c = &b.get_path(&["spec", "template", "spec", "containers"]).unwrap().as_seq().unwrap()[0];
        let image = c.get("image").unwrap();
        assert_eq!(image.span.file, FileId(1));
        assert_eq!(&patch_text[image.span.range()], "main:2");
        // untouched fields of the merged item keep the base's spans
        let args = c.get("args").unwrap();
        assert_eq!(args.span.file, FileId(0));
        assert_eq!(&base_text[args.span.range()], "[a, b]");
        assert_eq!(c.span.file, FileId(0));
    }

    #[test]
    fn resource_keeps_name_and_namespace() {
        let mut b = doc(0, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {x: '1'}\n");
        let p =
            doc(1, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: elsewhere}\ndata: {y: '2'}\n");
        apply_smp_to_resource(&mut b, &p, SmpOptions::default()).unwrap();
        assert_eq!(
            b.to_json(),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}, "data": {"x": "1", "y": "2"}})
        );
        let mut b = doc(0, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        apply_smp_to_resource(&mut b, &p, SmpOptions { allow_name_change: true, ..SmpOptions::default() }).unwrap();
        assert_eq!(b.to_json()["metadata"], json!({"name": "other"}));
    }
}
