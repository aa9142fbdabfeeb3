//! Lists merged by key (kyaml's `walkAssociativeSequence` and `setAssociativeSequenceElements`,
//! prepend direction): the patch's items first, in patch order, merged with the target's item of
//! the same key, then the target's remaining items; a list of primitives is merged as a set.

use std::collections::HashSet;

use fleetlint_yaml::{Entry, Node, NodeKind};

use super::directive::{Directive, seq_directive};
use super::node::{field, is_empty_map, is_nil_or_empty, items, items_mut, set_field, text};
use super::walk::{Out, walk};
use crate::patch::PatchError;
use crate::patch::custom::SchemaSource;
use crate::patch::schema::TypeSchema;

/// kyaml's walkAssociativeSequence.
pub(super) fn walk_assoc(
    dest: Option<&mut Node>,
    origin: Option<&mut Node>,
    aliased: bool,
    schema: Option<&'static TypeSchema>,
    path: &str,
    src: SchemaSource,
) -> Result<Out, PatchError> {
    let field_schema = schema.and_then(|s| s.field(path));
    let mut owned: Node;
    let (dest, origin, aliased): (&mut Node, Option<&mut Node>, bool) = match dest {
        // VisitList: add
        Some(d) if !d.is_null() => {
            if aliased {
                match seq_directive(d)? {
                    Directive::Delete => return Ok(Out::Clear),
                    Directive::Replace | Directive::Merge => (d, None, true),
                }
            } else {
                match origin {
                    None => (d, None, false),
                    Some(o) if o.is_null() => return Ok(Out::Clear),
                    Some(o) => match seq_directive(o)? {
                        Directive::Delete => return Ok(Out::Clear),
                        Directive::Replace => {
                            owned = o.clone();
                            (&mut owned, None, true)
                        }
                        Directive::Merge => (d, Some(o), false),
                    },
                }
            }
        }
        _ => {
            if aliased {
                return Ok(Out::Clear);
            }
            let Some(o) = origin else { return Ok(Out::Clear) };
            owned = o.clone();
            (&mut owned, None, true)
        }
    };

    let keys: Vec<String> = field_schema.map(|f| f.keys.iter().map(|k| (*k).to_string()).collect()).unwrap_or_default();
    let elem_path = format!("{path}[]");

    // elementValues: the patch's items first (prepend), then the target's.
    let sources: Vec<&Node> =
        if aliased { vec![&*dest, &*dest] } else { [origin.as_deref(), Some(&*dest)].into_iter().flatten().collect() };
    let (values, keys) = if keys.is_empty() {
        let mut seen = HashSet::new();
        let mut values = Vec::new();
        for src in &sources {
            for item in items(src) {
                if seen.insert(text(item).to_string()) {
                    values.push(vec![text(item).to_string()]);
                }
            }
        }
        (values, vec![String::new()])
    } else {
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut values = Vec::new();
        for src in &sources {
            for item in items(src) {
                let v: Vec<String> = keys
                    .iter()
                    .map(|k| match field(item, k) {
                        Some(f) if !is_nil_or_empty(f) => text(f).to_string(),
                        _ => String::new(),
                    })
                    .collect();
                if !v.is_empty() && seen.insert(v.clone()) {
                    values.push(v);
                }
            }
        }
        (values, keys)
    };
    drop(sources);

    let list = set_assoc_elements((values, keys), dest, origin, aliased, schema, elem_path, src)?;
    Ok(Out::Node(list))
}

/// kyaml's setAssociativeSequenceElements (prepend direction).
fn set_assoc_elements(
    (mut values_list, keys): (Vec<Vec<String>>, Vec<String>),
    dest: &mut Node,
    mut origin: Option<&mut Node>,
    aliased: bool,
    schema: Option<&'static TypeSchema>,
    elem_path: String,
    src: SchemaSource,
) -> Result<Node, PatchError> {
    let mut to_add: Vec<Node> = Vec::new();
    if keys.len() > 1 {
        merge_values(&mut values_list);
    }
    let mut valid_keys: Vec<String> = Vec::new();
    for values in values_list.clone() {
        if values.is_empty() {
            continue;
        }
        let (vk, vv) = validate_keys(&values_list, &values, &keys);
        valid_keys.clone_from(&vk);
        // elementValueList validates again against this item's values only.
        let (ek, ev) = validate_keys(std::slice::from_ref(&vv), &vv, &vk);
        let di = element_list(items(dest), &ek, &ev);
        let oi = if aliased { None } else { origin.as_deref().and_then(|o| element_list(items(o), &ek, &ev)) };
        let out = {
            let d = di.and_then(|i| items_mut(dest).map(|l| &mut l[i]));
            let o = match (origin.as_deref_mut(), oi) {
                (Some(o), Some(i)) => items_mut(o).map(|l| &mut l[i]),
                _ => None,
            };
            if aliased {
                walk(d, None, true, schema, elem_path.clone(), src)?
            } else {
                walk(d, o, false, schema, elem_path.clone(), src)?
            }
        };
        let val = match out {
            Out::Dest => di.map(|i| items(dest)[i].clone()),
            Out::Node(n) => Some(n),
            Out::Clear => None,
        };
        let Some(mut val) = val.filter(|v| !v.is_null() && !is_empty_map(v)) else {
            if let Some(list) = items_mut(dest) {
                element_setter(list, None, &vk, &vv);
            }
            continue;
        };
        for (i, key) in vk.iter().enumerate() {
            if !key.is_empty() && val.as_map().is_some() && field(&val, key).is_none() && !vv[i].is_empty() {
                let span = val.span;
                set_field(
                    &mut val,
                    Entry { key: Node::string(key.as_str(), span), value: Node::string(vv[i].as_str(), span) },
                );
            }
        }
        element_setter(&mut to_add, Some(val), &vk, &vv);
    }
    if !values_list.is_empty() {
        let current: Vec<Node> = items(dest).to_vec();
        append_list_node(&mut to_add, current, &valid_keys);
    }
    Ok(Node { span: dest.span, kind: NodeKind::Seq(to_add) })
}

/// kyaml's validateKeys: drop the keys no item has a value for.
fn validate_keys(values_list: &[Vec<String>], values: &[String], keys: &[String]) -> (Vec<String>, Vec<String>) {
    let mut valid: HashSet<&str> = HashSet::new();
    for vs in values_list {
        for (i, v) in vs.iter().enumerate() {
            if !v.is_empty()
                && let Some(k) = keys.get(i)
            {
                valid.insert(k);
            }
        }
    }
    if valid.is_empty() {
        return (keys.to_vec(), values.to_vec());
    }
    let vk = keys.iter().filter(|k| valid.contains(k.as_str())).cloned().collect();
    let vv = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || keys.get(*i).is_some_and(|k| valid.contains(k.as_str())))
        .map(|(_, v)| v.clone())
        .collect();
    (vk, vv)
}

/// kyaml's mergeValues: items whose key values differ only by empty values are the same item.
fn merge_values(values_list: &mut [Vec<String>]) {
    for i in 0..values_list.len() {
        let v1 = values_list[i].clone();
        for j in 0..values_list.len() {
            if let Some(res) = match_values(&v1, &values_list[j]) {
                values_list[i].clone_from(&res);
                values_list[j] = res;
            }
        }
    }
}

fn match_values(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut res = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            res.push(x.clone());
            continue;
        }
        if !x.is_empty() && !y.is_empty() {
            return None;
        }
        res.push(if x.is_empty() { y.clone() } else { x.clone() });
    }
    common.then_some(res)
}

/// kyaml's ElementList / ElementMatcher: the first item matching every key/value pair.
fn element_list(list: &[Node], keys: &[String], values: &[String]) -> Option<usize> {
    let empty = [String::new()];
    let keys = if keys.is_empty() { &empty[..] } else { keys };
    let values = if values.is_empty() { &empty[..] } else { values };
    if keys[0].is_empty() {
        return list.iter().position(|i| text(i) == values[0]);
    }
    if keys.len() != values.len() {
        return None;
    }
    list.iter().position(|item| {
        item.as_map().is_some_and(|entries| {
            keys.iter().zip(values).all(|(k, v)| entries.iter().any(|e| text(&e.key) == k && text(&e.value) == v))
        })
    })
}

/// kyaml's FieldMatcher{Name, StringValue} on one list item.
fn field_matches(item: &Node, name: &str, value: &str) -> bool {
    if item.is_null() {
        return false;
    }
    if name.is_empty() {
        return item.as_scalar().is_some() && text(item) == value;
    }
    item.as_map().is_some_and(|entries| {
        entries.iter().any(|e| text(&e.key) == name && (value.is_empty() || text(&e.value) == value))
    })
}

/// kyaml's ElementSetter: replace (or with `None` delete) the items matching the key/value pairs,
/// append when none matches; drops null and empty-map items on the way.
pub(super) fn element_setter(list: &mut Vec<Node>, element: Option<Node>, keys: &[String], values: &[String]) {
    let empty = [String::new()];
    let keys = if keys.is_empty() { &empty[..] } else { keys };
    let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut found = false;
    let old = std::mem::take(list);
    for item in old {
        if item.is_null() || is_empty_map(&item) {
            continue;
        }
        if item.as_map().is_none() && mapping_setter {
            list.push(item);
            continue;
        }
        let mut matched = false;
        for (j, k) in keys.iter().enumerate() {
            if let Some(v) = values.get(j) {
                matched = field_matches(&item, k, v);
            }
            if !matched {
                break;
            }
        }
        if !matched {
            if !values.is_empty() {
                list.push(item);
            }
            continue;
        }
        found = true;
        if let Some(e) = &element {
            list.push(e.clone());
        }
    }
    match element {
        Some(e) if !e.is_null() && !found => list.push(e),
        _ => {}
    }
}

/// kyaml's appendListNode: set each of `src` into `dst` by its key values.
fn append_list_node(dst: &mut Vec<Node>, src: Vec<Node>, keys: &[String]) {
    let empty = [String::new()];
    let keys = if keys.is_empty() { &empty[..] } else { keys };
    for elem in src {
        if keys[0].is_empty() {
            let v = [text(&elem).to_string()];
            element_setter(dst, Some(elem), &empty, &v);
            continue;
        }
        let mut v: Vec<String> = Vec::new();
        for key in keys {
            match field(&elem, key) {
                None => dst.push(elem.clone()),
                Some(value) => v.push(text(value).to_string()),
            }
        }
        if keys.len() > 1 {
            element_setter(dst, None, keys, &v);
        }
        element_setter(dst, Some(elem), keys, &v);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{DEPLOY, containers, smp};

    #[test]
    fn containers_merge_by_name_patch_items_first() {
        let out = smp(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: main:2\n        env: [{name: C, value: '3'}, {name: A, value: '9'}]\n      - name: new\n        image: new:1\n",
        );
        let c = containers(&out);
        let names: Vec<_> = c.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["main", "new", "side"]);
        assert_eq!(c[0]["image"], "main:2");
        assert_eq!(c[0]["args"], json!(["a", "b"]));
        assert_eq!(
            c[0]["env"],
            json!([{"name": "C", "value": "3"}, {"name": "A", "value": "9"}, {"name": "B", "value": "2"}])
        );
    }

    #[test]
    fn ports_merge_by_container_port_and_protocol() {
        // observed with kubectl kustomize v5.5: [83, 80, 81] (kyaml's multi-key ordering)
        let out = smp(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        ports: [{containerPort: 83, protocol: TCP}, {containerPort: 81, protocol: UDP, name: udp}]\n",
        );
        assert_eq!(
            containers(&out)[0]["ports"],
            json!([{"containerPort": 83, "protocol": "TCP"}, {"containerPort": 80, "name": "http"}, {"containerPort": 81, "protocol": "UDP", "name": "udp"}])
        );
        let out = smp(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        ports: [{containerPort: 82}, {containerPort: 80, name: web}]\n",
        );
        assert_eq!(
            containers(&out)[0]["ports"],
            json!([{"containerPort": 82}, {"containerPort": 80, "name": "web"}, {"containerPort": 81, "protocol": "UDP"}])
        );
    }
}
