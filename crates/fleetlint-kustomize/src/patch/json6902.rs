//! JSON 6902 patches on positioned trees, as kustomize applies them: kustomize 5.5 and 5.8 link
//! gopkg.in/evanphx/json-patch.v4 (kubernetes-sigs/kustomize@afe7793676 `api/go.mod`,
//! `api/filters/patchjson6902`), whose behaviour differs from RFC 6902 in ways real patches rely
//! on (evanphx/json-patch@50fdc0b4c9, v4.12.0, `patch.go`):
//! - `replace` of a missing key in an existing map adds it (`partialDoc.get` never fails); only
//!   a missing parent fails (`findObject`);
//! - array indices are read with `strconv.Atoi` (`+1`, `01`) and may be negative, counting from
//!   the end (`SupportNegativeIndices`); `-` appends only for `add`;
//! - the first segment of a path is dropped without being checked (`findObject` splits at `/`
//!   and walks `split[1:len-1]`), so `spec/replicas` addresses `/replicas`; a path without `/`
//!   (also `""` for `add`, `remove`, `move`, `copy`) is missing;
//! - a missing `value` writes `null`; `copy` from a missing map key writes `null`; there is no
//!   check against moving a value into itself (the destination is then missing);
//! - a `null` on the way is a missing path.
//!
//! Values written are the patch's nodes (`value`), or for `move`/`copy` the moved or copied
//! nodes, so every value keeps the span of the text that wrote it.

use fleetlint_yaml::{Entry, Node, NodeKind, Scalar, ScalarStyle, ScalarValue, Span};

use super::PatchError;
use crate::resource::MAX_OBJECT_NODES;

/// A JSON 6902 patch written in YAML as `sigs.k8s.io/yaml.YAMLToJSON` hands it to json-patch
/// (kustomize `PatchTransformer` `jsonPatchFromBytes` and `PatchJson6902Transformer`, for a patch
/// whose text does not start with `[`): go-yaml v2 types the plain scalars (YAML 1.1: `yes`, `on`,
/// `y` are booleans), and mapping keys that are not strings become their text (`on:` is the key
/// `"true"`, `1:` the key `"1"`).
pub(crate) fn as_yaml_to_json(node: &Node) -> Node {
    let mut node = node.clone();
    retype_yaml11(&mut node);
    node
}

fn retype_yaml11(node: &mut Node) {
    match &mut node.kind {
        NodeKind::Scalar(s) if s.style == ScalarStyle::Plain && s.tag.is_none() => {
            s.value = crate::goyaml::yaml11_value(&s.text);
        }
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter_mut().for_each(retype_yaml11),
        NodeKind::Map(entries) => {
            for e in entries {
                if let NodeKind::Scalar(k) = &mut e.key.kind
                    && k.style == ScalarStyle::Plain
                    && k.tag.is_none()
                {
                    match crate::goyaml::yaml11_value(&k.text) {
                        ScalarValue::Bool(b) => k.text = b.to_string().into(),
                        ScalarValue::Int(i) => k.text = i.to_string().into(),
                        _ => {}
                    }
                    k.value = ScalarValue::Str;
                }
                retype_yaml11(&mut e.value);
            }
        }
    }
}

/// One parsed operation.
#[derive(Clone, Debug)]
struct Op<'a> {
    op: &'a str,
    path: Pointer,
    from: Option<Pointer>,
    value: Option<&'a Node>,
    node: &'a Node,
}

/// A path as json-patch v4 reads it: the text, and the tokens after the first `/` (`None` when
/// there is no `/`).
#[derive(Clone, Debug)]
struct Pointer {
    text: String,
    tokens: Option<Vec<String>>,
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
        if op.path.text.is_empty() && matches!(op.op, "add" | "replace" | "copy" | "move") {
            let new_root = match &op.from {
                Some(from) if matches!(op.op, "copy" | "move") => get_at(target, from),
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
            "copy" => op.from.as_ref().and_then(|from| get_at(target, from)),
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

/// The value `path` names, read-only (for the node budget and the whole-document check).
fn get_at<'a>(root: &'a Node, path: &Pointer) -> Option<&'a Node> {
    let Some(tokens) = &path.tokens else { return path.text.is_empty().then_some(root) };
    let mut node = root;
    for tok in tokens {
        node = get_in(node, tok).ok().flatten()?;
    }
    Some(node)
}

fn parse_op(node: &Node) -> Result<Op<'_>, PatchError> {
    if node.as_map().is_none() {
        return Err(PatchError::new("a JSON 6902 operation must be a map", node.span));
    }
    let op = node.get("op").and_then(Node::as_str).unwrap_or("unknown");
    let path_node = node.get("path").ok_or_else(|| PatchError::new("operation missing path field", node.span))?;
    let path = parse_pointer(path_node)?;
    let from = match node.get("from") {
        Some(f) => Some(parse_pointer(f)?),
        None => None,
    };
    match op {
        "move" | "copy" if from.is_none() => {
            return Err(PatchError::new("operation, missing from field", node.span));
        }
        "add" | "remove" | "replace" | "move" | "copy" | "test" => {}
        other => return Err(PatchError::new(format!("Unexpected kind: {other}"), node.span)),
    }
    Ok(Op { op, path, from, value: node.get("value"), node })
}

/// Split a path at `/`, dropping the first segment, and unescape the tokens (`~1` is `/`, `~0`
/// is `~`), as json-patch v4's `findObject` and `decodePatchKey` do.
fn parse_pointer(n: &Node) -> Result<Pointer, PatchError> {
    let Some(s) = n.as_scalar().map(|s| s.text.to_string()) else {
        return Err(PatchError::new("a JSON pointer must be a string", n.span));
    };
    let split: Vec<&str> = s.split('/').collect();
    let tokens =
        (split.len() >= 2).then(|| split[1..].iter().map(|t| t.replace("~1", "/").replace("~0", "~")).collect());
    Ok(Pointer { text: s, tokens })
}

fn map_index(entries: &[Entry], key: &str) -> Option<usize> {
    entries.iter().rposition(|e| e.key.as_scalar().is_some_and(|k| &*k.text == key))
}

/// Go's `strconv.Atoi`: optional sign, decimal digits (leading zeros allowed), 64 bits.
fn atoi(tok: &str) -> Option<i64> {
    let digits = tok.strip_prefix(['+', '-']).unwrap_or(tok);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tok.strip_prefix('+').unwrap_or(tok).parse().ok()
}

/// An index into an array of `len` items, negative ones counting from the end (`partialArray`
/// `get`, `set`, `remove`).
fn existing_index(tok: &str, len: usize) -> Option<usize> {
    let i = atoi(tok)?;
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { i + len } else { i };
    (0..len).contains(&i).then(|| usize::try_from(i).ok()).flatten()
}

fn is_null(n: &Node) -> bool {
    n.as_scalar().is_some_and(|s| s.value == ScalarValue::Null)
}

/// `findObject`: the container of the last token (every token before it must exist and not be
/// null), and that token.
fn find_object<'a, 'p>(root: &'a mut Node, path: &'p Pointer) -> Option<(&'a mut Node, &'p str)> {
    let tokens = path.tokens.as_ref()?;
    let (last, parents) = tokens.split_last()?;
    let mut node = root;
    for tok in parents {
        node = match &mut node.kind {
            NodeKind::Map(entries) => {
                let i = map_index(entries, tok)?;
                &mut entries[i].value
            }
            NodeKind::Seq(items) => {
                let i = existing_index(tok, items.len())?;
                &mut items[i]
            }
            NodeKind::Scalar(_) => return None,
        };
        if is_null(node) || node.as_scalar().is_some() {
            return None;
        }
    }
    (!matches!(node.kind, NodeKind::Scalar(_))).then_some((node, last.as_str()))
}

/// `container.get`: `Ok(None)` for a missing map key (not an error in v4), `Err` for a bad array
/// index.
fn get_in<'a>(con: &'a Node, key: &str) -> Result<Option<&'a Node>, ()> {
    match &con.kind {
        NodeKind::Map(entries) => Ok(map_index(entries, key).map(|i| &entries[i].value)),
        NodeKind::Seq(items) => existing_index(key, items.len()).map(|i| Some(&items[i])).ok_or(()),
        NodeKind::Scalar(_) => Err(()),
    }
}

/// `container.add` (and `set` for a map): `Err` with v4's reason.
fn add_in(con: &mut Node, key: &str, value: Node, key_span: Span) -> Result<(), String> {
    match &mut con.kind {
        NodeKind::Map(entries) => {
            match map_index(entries, key) {
                Some(i) => entries[i].value = value,
                None => entries.push(Entry { key: Node::string(key, key_span), value }),
            }
            Ok(())
        }
        NodeKind::Seq(items) => {
            if key == "-" {
                items.push(value);
                return Ok(());
            }
            let i = atoi(key).ok_or_else(|| format!("value was not a proper array index: '{key}'"))?;
            let size = i64::try_from(items.len() + 1).unwrap_or(i64::MAX);
            let i = if i < 0 && i >= -size { i + size } else { i };
            if !(0..size).contains(&i) {
                return Err(format!("Unable to access invalid index: {i}"));
            }
            items.insert(usize::try_from(i).unwrap_or(0), value);
            Ok(())
        }
        NodeKind::Scalar(_) => Err("missing value".into()),
    }
}

/// `container.remove`.
fn remove_in(con: &mut Node, key: &str) -> Result<Node, String> {
    match &mut con.kind {
        NodeKind::Map(entries) => match map_index(entries, key) {
            Some(i) => Ok(entries.remove(i).value),
            None => Err(format!("Unable to remove nonexistent key: {key}: missing value")),
        },
        NodeKind::Seq(items) => match existing_index(key, items.len()) {
            Some(i) => Ok(items.remove(i)),
            None => Err(format!("Unable to access invalid index: {key}: invalid index referenced")),
        },
        NodeKind::Scalar(_) => Err("missing value".into()),
    }
}

/// A JSON `null` written by the operation (a missing `value`, a `copy` of a missing key).
fn null_node(span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Scalar(Scalar {
            text: "null".into(),
            style: ScalarStyle::Plain,
            value: ScalarValue::Null,
            tag: None,
        }),
    }
}

impl Op<'_> {
    /// The span a key created by this operation points at: the `path` value.
    fn path_key_span(&self) -> Span {
        self.node.get("path").map_or(self.node.span, |p| p.span)
    }

    fn value(&self) -> Node {
        self.value.cloned().unwrap_or_else(|| null_node(self.node.span))
    }

    fn error(&self, message: String) -> PatchError {
        PatchError::new(message, self.node.span)
    }
}

fn apply_op(root: &mut Node, op: &Op<'_>) -> Result<(), PatchError> {
    let path = &op.path.text;
    let key_span = op.path_key_span();
    match op.op {
        "add" => {
            let (con, key) = find_object(root, &op.path)
                .ok_or_else(|| op.error(format!("add operation does not apply: doc is missing path: \"{path}\"")))?;
            add_in(con, key, op.value(), key_span)
                .map_err(|e| op.error(format!("error in add for path: '{path}': {e}")))
        }
        "remove" => {
            let (con, key) = find_object(root, &op.path)
                .ok_or_else(|| op.error(format!("remove operation does not apply: doc is missing path: \"{path}\"")))?;
            remove_in(con, key).map(|_| ()).map_err(|e| op.error(format!("error in remove for path: '{path}': {e}")))
        }
        "replace" => {
            if path.is_empty() {
                let value = op.value();
                if value.as_scalar().is_some() {
                    return Err(op.error("replace operation value must be object or array".into()));
                }
                *root = value;
                return Ok(());
            }
            let (con, key) = find_object(root, &op.path)
                .ok_or_else(|| op.error(format!("replace operation does not apply: doc is missing path: {path}")))?;
            if get_in(con, key).is_err() {
                return Err(op.error(format!("replace operation does not apply: doc is missing key: {path}")));
            }
            match &mut con.kind {
                NodeKind::Seq(items) => {
                    let i = existing_index(key, items.len()).unwrap_or(0);
                    items[i] = op.value();
                    Ok(())
                }
                _ => add_in(con, key, op.value(), key_span).map_err(|e| op.error(e)),
            }
        }
        "move" => {
            let from = op.from.as_ref().expect("checked when parsed");
            let (con, key) = find_object(root, from).ok_or_else(|| {
                op.error(format!("move operation does not apply: doc is missing from path: {}", from.text))
            })?;
            get_in(con, key).map_err(|()| op.error(format!("error in move for path: '{key}'")))?;
            let value = remove_in(con, key).map_err(|e| op.error(format!("error in move for path: '{key}': {e}")))?;
            let (con, key) = find_object(root, &op.path).ok_or_else(|| {
                op.error(format!("move operation does not apply: doc is missing destination path: {path}"))
            })?;
            add_in(con, key, value, key_span).map_err(|e| op.error(format!("error in move for path: '{path}': {e}")))
        }
        "copy" => {
            let from = op.from.as_ref().expect("checked when parsed");
            let (con, key) = find_object(root, from).ok_or_else(|| {
                op.error(format!("copy operation does not apply: doc is missing from path: {}", from.text))
            })?;
            let value = get_in(con, key)
                .map_err(|()| op.error(format!("error in copy for from: '{}'", from.text)))?
                .cloned()
                .unwrap_or_else(|| null_node(op.node.span));
            let (con, key) = find_object(root, &op.path).ok_or_else(|| {
                op.error(format!("copy operation does not apply: doc is missing destination path: {path}"))
            })?;
            add_in(con, key, value, key_span)
                .map_err(|e| op.error(format!("error while adding value during copy: {e}")))
        }
        "test" => {
            let failed = || op.error(format!("testing value {path} failed: test failed"));
            let expected = op.value.map(Node::to_json);
            if path.is_empty() {
                return if expected.as_ref() == Some(&root.to_json()) { Ok(()) } else { Err(failed()) };
            }
            let (con, key) = find_object(root, &op.path)
                .ok_or_else(|| op.error(format!("test operation does not apply: is missing path: {path}")))?;
            let actual = get_in(con, key).map_err(|()| op.error(format!("error in test for path: '{path}'")))?;
            match (actual, expected) {
                (None, None | Some(serde_json::Value::Null)) => Ok(()),
                (Some(a), Some(e)) if a.to_json() == e => Ok(()),
                _ => Err(failed()),
            }
        }
        _ => Err(op.error(format!("Unexpected kind: {}", op.op))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};
    use serde_json::json;

    fn doc(file: u32, text: &str) -> Node {
        parse_yaml(FileId(file), text, &Limits::default()).documents.remove(0).root
    }

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels: {a: b, x/y: z, t~n: m}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: main\n        image: main:1\n        args: [a, b, c]\n      - name: side\n        image: side:1\n";

    /// json-patch v4.12.0 behaviours (evanphx/json-patch@50fdc0b4c9 `patch.go`), each as a
    /// pointer into the result and the JSON expected there, or an error. The behaviours that
    /// kubectl shows end to end are also in the `patch-json6902-v4` golden.
    #[test]
    fn follows_json_patch_v4() {
        let ok = |ops: &str, at: &str, want: serde_json::Value| {
            let mut base = doc(0, BASE);
            apply_json6902(&mut base, &doc(1, ops)).unwrap_or_else(|e| panic!("{ops}: {e}"));
            assert_eq!(base.to_json().pointer(at), Some(&want), "{ops}");
        };
        let err = |ops: &str| {
            let mut base = doc(0, BASE);
            assert!(apply_json6902(&mut base, &doc(1, ops)).is_err(), "{ops} should fail");
        };
        let args = "/spec/template/spec/containers/0/args";
        ok("- {op: add, path: /metadata/labels/new, value: v}", "/metadata/labels/new", "v".into());
        ok("- {op: add, path: /metadata/labels/a, value: r}", "/metadata/labels/a", "r".into());
        ok("- {op: add, path: /spec/template/spec/containers/0/args/-, value: d}", args, json!(["a", "b", "c", "d"]));
        ok("- {op: add, path: /spec/template/spec/containers/0/args/3, value: e}", args, json!(["a", "b", "c", "e"]));
        ok("- {op: add, path: /spec/template/spec/containers/0/args/01, value: x}", args, json!(["a", "x", "b", "c"]));
        ok("- {op: add, path: /spec/template/spec/containers/0/args/-1, value: x}", args, json!(["a", "b", "c", "x"]));
        ok("- {op: add, path: /metadata/labels/x~1y, value: e}", "/metadata/labels/x~1y", "e".into());
        ok("- {op: add, path: /metadata/labels/t~0n, value: t}", "/metadata/labels/t~0n", "t".into());
        ok("- {op: add, path: /spec/novalue}", "/spec/novalue", json!(null));
        ok("- {op: add, path: x/spec/replicas, value: 9}", "/spec/replicas", json!(9));
        ok("- {op: replace, path: /spec/nothere, value: 3}", "/spec/nothere", json!(3));
        ok("- {op: replace, path: /spec/template/spec/containers/0/args/-1, value: z}", args, json!(["a", "b", "z"]));
        ok("- {op: replace, path: '', value: {a: 1}}", "/a", json!(1));
        ok("- {op: remove, path: /spec/template/spec/containers/0/args/-1}", args, json!(["a", "b"]));
        ok(
            "- {op: move, from: /metadata/labels/a, path: /metadata/labels/moved}",
            "/metadata/labels/moved",
            "b".into(),
        );
        ok("- {op: copy, from: /spec/missing, path: /spec/copied}", "/spec/copied", json!(null));
        ok(
            "- {op: test, path: /spec/replicas, value: 1}\n- {op: replace, path: /spec/replicas, value: 5}",
            "/spec/replicas",
            json!(5),
        );
        ok("- {op: test, path: /spec/missing, value: null}", "/spec/replicas", json!(1));
        err("- {op: add, path: /spec/missing/x, value: 1}");
        err("- {op: add, path: /spec/template/spec/containers/0/args/5, value: oob}");
        err("- {op: add, path: '', value: {a: 1}}");
        err("- {op: add, path: noslash, value: 1}");
        err("- {op: replace, path: /spec/missing/x, value: 3}");
        err("- {op: replace, path: /spec/template/spec/containers/2/image, value: x}");
        err("- {op: replace, path: /spec/template/spec/containers/-/image, value: x}");
        err("- {op: remove, path: /spec/missing}");
        err("- {op: remove, path: /spec/template/spec/containers/-}");
        err("- {op: move, from: /metadata, path: /metadata/labels/inside}");
        err("- {op: test, path: /spec/replicas, value: 2}");
        err("- {op: frobnicate, path: /a}");
        err("- {op: copy, path: /a}");
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
