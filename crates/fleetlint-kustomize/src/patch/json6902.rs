//! RFC 6902 JSON patches on positioned trees, as kustomize applies them (evanphx/json-patch v5
//! semantics through kyaml): `add` to an existing map key replaces it, `-` appends, `replace` and
//! `remove` of a missing path are errors, `test` compares values as JSON.
//!
//! Values written are the patch's nodes (`value`), or for `move`/`copy` the moved or copied
//! nodes, so every value keeps the span of the text that wrote it.

use fleetlint_yaml::{Entry, Node, NodeKind};

use super::PatchError;
use crate::resource::MAX_OBJECT_NODES;

/// One parsed operation.
#[derive(Clone, Debug)]
struct Op<'a> {
    op: &'a str,
    path: Vec<String>,
    from: Option<Vec<String>>,
    value: Option<&'a Node>,
    node: &'a Node,
}

/// Apply the operations of `ops` (a list of maps with `op`, `path`, `value`, `from`) to `target`.
///
/// # Errors
/// A malformed operation, or one that does not apply (missing path, failed `test`); the error
/// carries the operation's span. `target` may be partly patched when an error is returned.
pub fn apply_json6902(target: &mut Node, ops: &Node) -> Result<(), PatchError> {
    let Some(list) = ops.as_seq() else {
        return Err(PatchError::new("a JSON 6902 patch must be a list of operations", ops.span));
    };
    let parsed = list.iter().map(parse_op).collect::<Result<Vec<_>, _>>()?;
    for op in &parsed {
        // An operation on the whole document (path "") must leave an object: kustomize cannot
        // read anything else back as a resource and fails the build, and everything after
        // (names, hash suffixes, transformers) needs a mapping. Checked before anything changes.
        if op.path.is_empty() && matches!(op.op, "add" | "replace" | "copy" | "move") {
            let new_root = match &op.from {
                Some(from) if matches!(op.op, "copy" | "move") => get(target, from),
                _ => op.value,
            };
            if new_root.is_some_and(|n| n.as_map().is_none()) {
                return Err(PatchError::new(
                    format!("`{}` of the whole document leaves something that is not an object", op.op),
                    op.node.span,
                ));
            }
        }
        let incoming = match op.op {
            "add" | "replace" => op.value,
            "copy" => op.from.as_deref().and_then(|from| get(target, from)),
            _ => None,
        };
        if let Some(incoming) = incoming
            && target.count_nodes() + incoming.count_nodes() > MAX_OBJECT_NODES
        {
            return Err(PatchError::new(
                format!("`{}` would grow the object past {MAX_OBJECT_NODES} nodes; fleetlint stops here", op.op),
                op.node.span,
            ));
        }
        apply_op(target, op)?;
    }
    Ok(())
}

fn parse_op(node: &Node) -> Result<Op<'_>, PatchError> {
    if node.as_map().is_none() {
        return Err(PatchError::new("a JSON 6902 operation must be a map", node.span));
    }
    let op =
        node.get("op").and_then(Node::as_str).ok_or_else(|| PatchError::new("operation has no `op`", node.span))?;
    let path_node =
        node.get("path").ok_or_else(|| PatchError::new(format!("`{op}` operation has no `path`"), node.span))?;
    let path = parse_pointer(path_node)?;
    let from = match node.get("from") {
        Some(f) => Some(parse_pointer(f)?),
        None => None,
    };
    let value = node.get("value");
    match op {
        "add" | "replace" | "test" if value.is_none() => {
            return Err(PatchError::new(format!("`{op}` operation has no `value`"), node.span));
        }
        "move" | "copy" if from.is_none() => {
            return Err(PatchError::new(format!("`{op}` operation has no `from`"), node.span));
        }
        "add" | "remove" | "replace" | "move" | "copy" | "test" => {}
        other => return Err(PatchError::new(format!("unexpected operation `{other}`"), node.span)),
    }
    Ok(Op { op, path, from, value, node })
}

/// Split a JSON pointer into unescaped tokens (`~1` is `/`, `~0` is `~`).
fn parse_pointer(n: &Node) -> Result<Vec<String>, PatchError> {
    let Some(s) = n.as_scalar().map(|s| s.text.to_string()) else {
        return Err(PatchError::new("a JSON pointer must be a string", n.span));
    };
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = s.strip_prefix('/') else {
        return Err(PatchError::new(format!("invalid JSON pointer `{s}`: must start with `/`"), n.span));
    };
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn map_index(entries: &[Entry], key: &str) -> Option<usize> {
    entries.iter().rposition(|e| e.key.as_scalar().is_some_and(|k| &*k.text == key))
}

/// An array index token: digits without a leading zero.
fn array_index(tok: &str, len: usize, allow_end: bool) -> Option<usize> {
    if tok == "-" {
        return allow_end.then_some(len);
    }
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) || (tok.len() > 1 && tok.starts_with('0')) {
        return None;
    }
    let i: usize = tok.parse().ok()?;
    let max = if allow_end { len } else { len.saturating_sub(1) };
    (i <= max && (allow_end || len > 0)).then_some(i)
}

fn get_mut<'a>(root: &'a mut Node, path: &[String]) -> Option<&'a mut Node> {
    let mut node = root;
    for tok in path {
        node = match &mut node.kind {
            NodeKind::Map(entries) => {
                let i = map_index(entries, tok)?;
                &mut entries[i].value
            }
            NodeKind::Seq(items) => {
                let i = array_index(tok, items.len(), false)?;
                &mut items[i]
            }
            NodeKind::Scalar(_) => return None,
        };
    }
    Some(node)
}

fn get<'a>(root: &'a Node, path: &[String]) -> Option<&'a Node> {
    let mut node = root;
    for tok in path {
        node = match &node.kind {
            NodeKind::Map(entries) => &entries[map_index(entries, tok)?].value,
            NodeKind::Seq(items) => &items[array_index(tok, items.len(), false)?],
            NodeKind::Scalar(_) => return None,
        };
    }
    Some(node)
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1"))).collect()
}

fn add(root: &mut Node, path: &[String], value: Node, op: &Op<'_>) -> Result<(), PatchError> {
    let Some((last, parent_path)) = path.split_last() else {
        *root = value;
        return Ok(());
    };
    let not_found = || {
        PatchError::new(
            format!("add operation does not apply: doc is missing path: \"{}\"", pointer(path)),
            op.node.span,
        )
    };
    let parent = get_mut(root, parent_path).ok_or_else(not_found)?;
    match &mut parent.kind {
        NodeKind::Map(entries) => {
            match map_index(entries, last) {
                Some(i) => entries[i].value = value,
                None => {
                    let key = Node::string(last.as_str(), op.path_key_span());
                    entries.push(Entry { key, value });
                }
            }
            Ok(())
        }
        NodeKind::Seq(items) => {
            let i = array_index(last, items.len(), true).ok_or_else(|| {
                PatchError::new(
                    format!("add operation does not apply: index out of range in \"{}\"", pointer(path)),
                    op.node.span,
                )
            })?;
            items.insert(i, value);
            Ok(())
        }
        NodeKind::Scalar(_) => Err(not_found()),
    }
}

fn remove(root: &mut Node, path: &[String], op: &Op<'_>) -> Result<Node, PatchError> {
    let err = || {
        PatchError::new(
            format!("{} operation does not apply: doc is missing path: \"{}\"", op.op, pointer(path)),
            op.node.span,
        )
    };
    let Some((last, parent_path)) = path.split_last() else { return Err(err()) };
    let parent = get_mut(root, parent_path).ok_or_else(err)?;
    match &mut parent.kind {
        NodeKind::Map(entries) => {
            let i = map_index(entries, last).ok_or_else(err)?;
            Ok(entries.remove(i).value)
        }
        NodeKind::Seq(items) => {
            let i = array_index(last, items.len(), false).ok_or_else(err)?;
            Ok(items.remove(i))
        }
        NodeKind::Scalar(_) => Err(err()),
    }
}

impl Op<'_> {
    /// The span a key created by this operation points at: the `path` value.
    fn path_key_span(&self) -> fleetlint_yaml::Span {
        self.node.get("path").map_or(self.node.span, |p| p.span)
    }
}

fn apply_op(root: &mut Node, op: &Op<'_>) -> Result<(), PatchError> {
    match op.op {
        "add" => add(root, &op.path, op.value.cloned().unwrap_or_else(|| Node::map(op.node.span)), op),
        "remove" => remove(root, &op.path, op).map(|_| ()),
        "replace" => {
            let value = op.value.cloned().unwrap_or_else(|| Node::map(op.node.span));
            if op.path.is_empty() {
                *root = value;
                return Ok(());
            }
            let target = get_mut(root, &op.path).ok_or_else(|| {
                PatchError::new(
                    format!("replace operation does not apply: doc is missing key: {}", pointer(&op.path)),
                    op.node.span,
                )
            })?;
            *target = value;
            Ok(())
        }
        "move" => {
            let from = op.from.as_deref().unwrap_or_default();
            if op.path.len() > from.len() && op.path[..from.len()] == *from {
                return Err(PatchError::new("move operation cannot move a value into itself", op.node.span));
            }
            let value = remove(root, from, op)?;
            add(root, &op.path, value, op)
        }
        "copy" => {
            let from = op.from.as_deref().unwrap_or_default();
            let value = get(root, from).cloned().ok_or_else(|| {
                PatchError::new(
                    format!("copy operation does not apply: doc is missing from path: {}", pointer(from)),
                    op.node.span,
                )
            })?;
            add(root, &op.path, value, op)
        }
        "test" => {
            let expected = op.value.map(Node::to_json).unwrap_or_default();
            let actual = get(root, &op.path).map(Node::to_json);
            if actual.as_ref() == Some(&expected) || (actual.is_none() && expected.is_null()) {
                Ok(())
            } else {
                Err(PatchError::new(format!("testing value {} failed", pointer(&op.path)), op.node.span))
            }
        }
        _ => Err(PatchError::new(format!("unexpected operation `{}`", op.op), op.node.span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    fn doc(file: u32, text: &str) -> Node {
        parse_yaml(FileId(file), text, &Limits::default()).documents.remove(0).root
    }

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels: {a: b, x/y: z, t~n: m}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: main\n        image: main:1\n        args: [a, b, c]\n      - name: side\n        image: side:1\n";

    /// Our implementation against the `json-patch` crate (the evanphx semantics kustomize uses) on
    /// the JSON form of the same input.
    #[test]
    fn agrees_with_json_patch_oracle() {
        let cases = [
            "- {op: add, path: /metadata/labels/new, value: v}",
            "- {op: add, path: /metadata/labels/a, value: replaced}",
            "- {op: add, path: /spec/template/spec/containers/0/args/-, value: d}",
            "- {op: add, path: /spec/template/spec/containers/0/args/0, value: first}",
            "- {op: add, path: /spec/template/spec/containers/0/args/3, value: end}",
            "- {op: add, path: /spec/template/spec/containers/0/args/4, value: oob}",
            "- {op: add, path: /spec/missing/x, value: 1}",
            "- {op: add, path: /metadata/labels/x~1y, value: escaped}",
            "- {op: add, path: /metadata/labels/t~0n, value: tilde}",
            "- {op: add, path: /spec/template/spec/containers/-, value: {name: third, image: t:1}}",
            "- {op: add, path: '', value: {a: 1}}",
            "- {op: remove, path: /spec/replicas}",
            "- {op: remove, path: /spec/missing}",
            "- {op: remove, path: /spec/template/spec/containers/1}",
            "- {op: remove, path: /spec/template/spec/containers/2}",
            "- {op: remove, path: /spec/template/spec/containers/-}",
            "- {op: replace, path: /spec/replicas, value: 3}",
            "- {op: replace, path: /spec/nothere, value: 3}",
            "- {op: replace, path: /spec/template/spec/containers/0/image, value: main:2}",
            "- {op: replace, path: /spec/template/spec/containers/01/image, value: x}",
            "- {op: move, from: /metadata/labels/a, path: /metadata/labels/moved}",
            "- {op: move, from: /spec/template/spec/containers/1, path: /spec/template/spec/containers/0}",
            "- {op: move, from: /metadata, path: /metadata/labels/inside}",
            "- {op: copy, from: /spec/template/spec/containers/0/image, path: /spec/template/spec/containers/1/image}",
            "- {op: copy, from: /spec/missing, path: /spec/x}",
            "- {op: test, path: /spec/replicas, value: 1}",
            "- {op: test, path: /spec/replicas, value: 2}",
            "- {op: test, path: /spec/template/spec/containers/0/args, value: [a, b, c]}",
            "- {op: test, path: /metadata/labels, value: {x/y: z, a: b, t~n: m}}",
            "- {op: test, path: /spec/replicas, value: 1}\n- {op: replace, path: /spec/replicas, value: 5}",
            "- {op: add, path: /spec/strategy, value: {type: Recreate}}\n- {op: remove, path: /spec/strategy/type}",
            "- {op: frobnicate, path: /a}",
            "- {op: add, path: noslash, value: 1}",
        ];
        for case in cases {
            let base = doc(0, BASE);
            let ops = doc(1, case);
            let mut ours = base.clone();
            let our_result = apply_json6902(&mut ours, &ops).map(|()| ours.to_json());
            let mut theirs = base.to_json();
            let their_result = serde_json::from_value::<json_patch::Patch>(ops.to_json())
                .map_err(|e| e.to_string())
                .and_then(|p| json_patch::patch(&mut theirs, &p).map_err(|e| e.to_string()))
                .map(|()| theirs);
            match (&our_result, &their_result) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{case}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{case}: ours {our_result:?} vs json-patch {their_result:?}"),
            }
        }
    }

    /// Found by the `kustomize_resolver` fuzz target: `replace` at the path "" with a scalar
    /// left a generated ConfigMap without a mapping root, and naming it with its hash suffix
    /// panicked.
    #[test]
    fn the_whole_document_must_stay_an_object() {
        for case in ["- {op: replace, path: \"\", value: db}", "- {op: add, path: \"\", value: [1]}"] {
            let mut base = doc(0, BASE);
            let err = apply_json6902(&mut base, &doc(1, case)).unwrap_err();
            assert!(err.message.contains("not an object"), "{case}: {}", err.message);
        }
        let mut base = doc(0, BASE);
        apply_json6902(&mut base, &doc(1, "- {op: replace, path: \"\", value: {kind: X}}")).unwrap();
        assert_eq!(base.to_json(), serde_json::json!({"kind": "X"}));
    }

    /// `copy` of a field into a new sibling doubles the object: 40 of them exhausted memory
    /// (hostile-input suite). Past the node budget the patch fails at the operation that would
    /// cross it.
    #[test]
    fn doubling_copies_stop_at_the_node_budget() {
        let ops: String = (0..40).map(|i| format!("- {{op: copy, from: /spec, path: /spec/x{i}}}\n")).collect();
        let mut base = doc(0, BASE);
        let err = apply_json6902(&mut base, &doc(1, &ops)).unwrap_err();
        assert!(err.message.contains("nodes; fleetlint stops here"), "{}", err.message);
        assert!(base.count_nodes() <= MAX_OBJECT_NODES);
    }

    #[test]
    fn written_values_carry_the_patch_span_and_errors_the_op_span() {
        let text = "- op: replace\n  path: /spec/replicas\n  value: 3\n- op: remove\n  path: /nothere\n";
        let mut base = doc(0, BASE);
        let ops = doc(1, text);
        let err = apply_json6902(&mut base, &ops).unwrap_err();
        assert_eq!(err.span.file, FileId(1));
        assert!(text[err.span.range()].starts_with("op: remove"));
        let v = base.get_path(&["spec", "replicas"]).unwrap();
        assert_eq!(v.span.file, FileId(1));
        assert_eq!(&text[v.span.range()], "3");
        assert_eq!(base.get_path(&["metadata", "name"]).unwrap().span.file, FileId(0));
    }
}
