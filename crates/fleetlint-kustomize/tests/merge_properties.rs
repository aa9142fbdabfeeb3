//! Properties of the strategic merge and JSON 6902 patch code, with kustomize as the oracle:
//! each property is what kyaml's merge walker does (`kyaml/yaml/merge2/merge2.go` `Merger`,
//! `kyaml/yaml/walk`, kubernetes-sigs/kustomize@12f9e6391), or what kustomize's JSON patch
//! filter does, on generated objects: a built-in kind with merge keys (Deployment: containers
//! by name, env by name, ports by containerPort; tolerations and args replaced) and a custom kind
//! whose lists all replace.

use fleetlint_kustomize::patch::{apply_json6902, apply_strategic_merge};
use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn node(v: &Value) -> Node {
    let text = serde_json::to_string(v).unwrap();
    let parsed = parse_yaml(FileId(0), &text, &Limits::default());
    assert!(!parsed.is_broken(), "{text}: {:?}", parsed.issues);
    parsed.documents.into_iter().next().unwrap().root
}

/// The merge result, or `None` where kustomize fails too (a map patched onto a scalar, ...:
/// "wrong node kind").
fn try_merged(target: &Value, patch: &Value) -> Option<Value> {
    let mut t = node(target);
    apply_strategic_merge(&mut t, &node(patch), None).ok()?;
    Some(t.to_json())
}

fn merged(target: &Value, patch: &Value) -> Value {
    try_merged(target, patch).unwrap_or_else(|| panic!("{target} patched with {patch} fails"))
}

fn key() -> impl Strategy<Value = String> {
    "[a-z]{1,5}"
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z0-9 ]{0,6}".prop_map(Value::String),
        any::<i32>().prop_map(|i| json!(i)),
        any::<bool>().prop_map(Value::Bool),
    ]
}

/// Free-form content: maps, lists and scalars, no nulls and no `$patch` keys.
fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A list of maps with a unique `key` field (a merged list in the schema).
fn keyed_list(key_field: &'static str, key_values: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key_values.prop_map(|v| v.to_string()), scalar(), 0..4).prop_map(move |m| {
        Value::Array(
            m.into_iter()
                .map(|(k, v)| {
                    let k: Value = serde_json::from_str(&k).unwrap();
                    json!({ key_field: k, "value": v })
                })
                .collect(),
        )
    })
}

/// A container without its name (the name is the key of the list it goes in, so unique).
fn container() -> impl Strategy<Value = Value> {
    (
        "[a-z]{1,6}:[0-9]",
        prop::collection::vec("[a-z-]{1,5}", 0..3),
        keyed_list("name", "[a-d]{1,2}".prop_map(Value::String).boxed()),
        keyed_list("containerPort", (1..5i32).prop_map(|p| json!(p)).boxed()),
    )
        .prop_map(|(image, args, env, ports)| json!({ "image": image, "args": args, "env": env, "ports": ports }))
}

/// A Deployment (built-in schema: merge keys apply), all of whose optional parts vary.
fn deployment() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(key(), "[a-z]{0,4}", 0..3),
        0..5i32,
        prop::collection::btree_map("[a-c]{1,2}", container(), 0..3),
        prop::collection::vec(tree(), 0..3),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(labels, replicas, containers, tolerations, paused)| {
            let mut spec = Map::new();
            spec.insert("replicas".into(), json!(replicas));
            let containers: Vec<Value> = containers
                .into_iter()
                .map(|(name, mut c)| {
                    c.as_object_mut().unwrap().insert("name".into(), json!(name));
                    c
                })
                .collect();
            spec.insert("template".into(), json!({ "spec": { "containers": containers, "tolerations": tolerations } }));
            if let Some(paused) = paused {
                spec.insert("paused".into(), json!(paused));
            }
            json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": { "name": "web", "labels": labels },
                "spec": spec,
            })
        })
}

/// An object of a kind without a schema: every list replaces.
fn widget() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), tree(), 0..5).prop_map(|spec| {
        json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": { "name": "w" },
            "spec": Value::Object(spec.into_iter().collect()),
        })
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop_oneof![deployment(), widget()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// merge2: where the destination exists a map keeps the destination (`VisitMap` default),
    /// a scalar takes the origin (`VisitScalar`), an associative list merges item by key: so an
    /// object merged with itself is the object.
    #[test]
    fn a_strategic_merge_of_an_object_with_itself_is_the_object(obj in object()) {
        prop_assert_eq!(merged(&obj, &obj), obj);
    }

    /// Without `$patch` directives, a patch applied twice equals it applied once: every rule of
    /// the walker (override a scalar or replaced list, merge a map, merge a keyed list with the
    /// patch's items first) is idempotent.
    #[test]
    fn a_patch_applied_twice_equals_it_applied_once((target, patch) in (deployment(), deployment()).prop_union_widgets()) {
        let once = try_merged(&target, &patch);
        prop_assume!(once.is_some());
        let once = once.unwrap();
        let twice = merged(&once, &patch);
        prop_assert_eq!(twice, once);
    }

    /// A field of the target the patch does not name is kept as it is (`VisitMap` returns the
    /// destination and walks only the fields of both).
    #[test]
    fn fields_the_patch_does_not_name_are_kept(target in widget(), patch in widget()) {
        let out = try_merged(&target, &patch);
        prop_assume!(out.is_some());
        let out = out.unwrap();
        for (k, v) in target["spec"].as_object().unwrap() {
            if patch["spec"].get(k).is_none() {
                prop_assert_eq!(&out["spec"][k], v);
            }
        }
    }

    /// A scalar or a list of a kind without schema in the patch replaces the target's
    /// (`VisitScalar`, `VisitList` with `NonAssociateList`: "Override value").
    #[test]
    fn scalars_and_unkeyed_lists_of_the_patch_win(target in widget(), patch in widget()) {
        let out = try_merged(&target, &patch);
        prop_assume!(out.is_some());
        let out = out.unwrap();
        for (k, v) in patch["spec"].as_object().unwrap() {
            if !v.is_object() {
                prop_assert_eq!(&out["spec"][k], v, "spec.{}", k);
            }
        }
    }

    /// `null` in the patch clears the field (`IsTaggedNull` -> `ClearNode`).
    #[test]
    fn null_clears_a_field(target in widget()) {
        let spec = target["spec"].as_object().unwrap();
        prop_assume!(!spec.is_empty());
        let k = spec.keys().next().unwrap().clone();
        let patch = json!({ "apiVersion": "example.com/v1", "kind": "Widget", "metadata": { "name": "w" }, "spec": { &k: null } });
        let out = merged(&target, &patch);
        let mut expected = target.clone();
        expected["spec"].as_object_mut().unwrap().remove(&k);
        prop_assert_eq!(out, expected);
    }

    /// Containers merge by name: the result holds every name of both, the patch's first in
    /// patch order, then the target's others in target order (kustomize merges with
    /// `ListIncreaseDirection: Prepend`).
    #[test]
    fn containers_merge_by_name_patch_first(target in deployment(), patch in deployment()) {
        let out = merged(&target, &patch);
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["template"]["spec"]["containers"].as_array().map(|a| a.iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
        };
        let (t, p) = (names(&target), names(&patch));
        let mut expected = p.clone();
        expected.extend(t.iter().filter(|n| !p.contains(n)).cloned());
        prop_assert_eq!(names(&out), expected);
    }

    /// JSON 6902: adding a member and removing it again gives the object back; `copy` makes the
    /// destination equal to the source; `test` with the current value passes.
    #[test]
    fn json_patch_round_trips(obj in widget(), value in tree(), fresh in "[x-z]{6}") {
        let mut t = node(&obj);
        let ops = json!([
            { "op": "add", "path": format!("/spec/{fresh}"), "value": value },
            { "op": "test", "path": format!("/spec/{fresh}"), "value": value },
            { "op": "remove", "path": format!("/spec/{fresh}") },
        ]);
        apply_json6902(&mut t, &node(&ops)).unwrap();
        prop_assert_eq!(t.to_json(), obj.clone());
        let mut c = node(&obj);
        apply_json6902(&mut c, &node(&json!([{ "op": "copy", "from": "/spec", "path": "/metadata/copied" }]))).unwrap();
        let c = c.to_json();
        prop_assert_eq!(&c["metadata"]["copied"], &obj["spec"]);
    }
}

/// Pairs of Deployments or of Widgets (a patch of one kind on an object of the same kind).
trait UnionWidgets {
    fn prop_union_widgets(self) -> BoxedStrategy<(Value, Value)>;
}

impl<S: Strategy<Value = (Value, Value)> + 'static> UnionWidgets for S {
    fn prop_union_widgets(self) -> BoxedStrategy<(Value, Value)> {
        prop_oneof![self, (widget(), widget())].boxed()
    }
}
