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

use std::collections::HashSet;

use fleetlint_yaml::{Entry, Node, NodeKind};

use super::PatchError;
use super::custom::SchemaSource;
use super::schema::{TypeSchema, child_path};

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

// ---------------------------------------------------------------------------------------------
// The walker.

/// What a visit produced for the destination slot.
enum Out {
    /// The destination node itself (possibly modified in place).
    Dest,
    /// Another node (the patch's, or a new list).
    Node(Node),
    /// Remove the destination.
    Clear,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
    Scalar,
}

fn kind_of(n: &Node) -> Kind {
    match n.kind {
        NodeKind::Map(_) => Kind::Map,
        NodeKind::Seq(_) => Kind::Seq,
        NodeKind::Scalar(_) => Kind::Scalar,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Map => "MappingNode",
        Kind::Seq => "SequenceNode",
        Kind::Scalar => "ScalarNode",
    }
}

fn missing_or_null(n: Option<&Node>) -> bool {
    n.is_none_or(Node::is_null)
}

/// The text kyaml compares (`yaml.Node.Value`): a scalar's text, empty for collections.
fn text(n: &Node) -> &str {
    n.as_scalar().map_or("", |s| &s.text)
}

fn is_empty_map(n: &Node) -> bool {
    matches!(&n.kind, NodeKind::Map(e) if e.is_empty())
}

fn is_nil_or_empty(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Map(e) => e.is_empty(),
        NodeKind::Seq(i) => i.is_empty(),
        NodeKind::Scalar(_) => n.is_null(),
    }
}

/// kyaml's `RNode.Field`: the first entry named `name` of a map.
fn field<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
    n.as_map()?.iter().find(|e| text(&e.key) == name).map(|e| &e.value)
}

fn field_index(n: &Node, name: &str) -> Option<usize> {
    n.as_map()?.iter().position(|e| text(&e.key) == name)
}

fn remove_field(n: &mut Node, name: &str) {
    if let NodeKind::Map(entries) = &mut n.kind
        && let Some(i) = entries.iter().position(|e| text(&e.key) == name)
    {
        entries.remove(i);
    }
}

fn set_field(n: &mut Node, entry: Entry) {
    if let NodeKind::Map(entries) = &mut n.kind {
        let name = text(&entry.key).to_string();
        match entries.iter_mut().find(|e| text(&e.key) == name) {
            Some(e) => e.value = entry.value,
            None => entries.push(entry),
        }
    }
}

fn items(n: &Node) -> &[Node] {
    n.as_seq().unwrap_or_default()
}

fn items_mut(n: &mut Node) -> Option<&mut Vec<Node>> {
    match &mut n.kind {
        NodeKind::Seq(items) => Some(items),
        _ => None,
    }
}

/// kyaml's `GetSchema`: keep the current schema; without one, take the schema of a source that
/// is an object of a built-in kind (its paths start again at its root).
fn get_schema(
    schema: Option<&'static TypeSchema>,
    path: String,
    sources: [Option<&Node>; 2],
    src: SchemaSource,
) -> (Option<&'static TypeSchema>, String) {
    if schema.is_some() {
        return (schema, path);
    }
    for s in sources.into_iter().flatten() {
        if s.as_map().is_none() {
            continue;
        }
        let (Some(av), Some(k)) =
            (field(s, "apiVersion").and_then(Node::as_str), field(s, "kind").and_then(Node::as_str))
        else {
            continue;
        };
        if let Some(found) = src.schema_for(av, k) {
            return (Some(found), String::new());
        }
    }
    (None, path)
}

/// Walk one slot: `dest` is the target's node, `origin` the patch's. `aliased` means the origin
/// *is* the destination (kyaml walks content the patch adds against itself), and `origin` is
/// then `None`.
fn walk(
    mut dest: Option<&mut Node>,
    mut origin: Option<&mut Node>,
    aliased: bool,
    schema: Option<&'static TypeSchema>,
    path: String,
    src: SchemaSource,
) -> Result<Out, PatchError> {
    let (schema, path) = {
        let o: Option<&Node> = if aliased { dest.as_deref() } else { origin.as_deref() };
        get_schema(schema, path, [dest.as_deref(), o], src)
    };
    let o: Option<&Node> = if aliased { dest.as_deref() } else { origin.as_deref() };
    let kind = [dest.as_deref(), o].into_iter().flatten().find(|n| !n.is_null()).map(kind_of);
    let Some(kind) = kind else {
        return walk_map(dest, origin, aliased, schema, &path, src);
    };
    // kyaml's ErrorIfAnyInvalidAndNonNull.
    for n in [dest.as_deref(), o].into_iter().flatten() {
        if !n.is_null() && kind_of(n) != kind {
            let at = o.filter(|o| !o.is_null()).unwrap_or(n);
            return Err(PatchError::new(
                format!(
                    "wrong node kind: expected {} but got {} at `{}`",
                    kind_name(kind),
                    kind_name(kind_of(at)),
                    if path.is_empty() { "." } else { &path }
                ),
                at.span,
            ));
        }
    }
    match kind {
        Kind::Map => walk_map(dest, origin, aliased, schema, &path, src),
        Kind::Scalar => Ok(visit_override(dest.as_deref_mut(), origin.as_deref_mut(), aliased)),
        Kind::Seq => {
            let merged = schema.and_then(|s| s.field(&path)).is_some_and(|f| f.is_merged_list());
            if merged {
                walk_assoc(dest, origin, aliased, schema, &path, src)
            } else {
                Ok(visit_override(dest, origin, aliased))
            }
        }
    }
}

/// kyaml's VisitScalar and VisitList for a replaced list: the origin when present.
fn visit_override(dest: Option<&mut Node>, origin: Option<&mut Node>, aliased: bool) -> Out {
    if aliased {
        return if dest.is_some() { Out::Dest } else { Out::Clear };
    }
    match (origin, dest) {
        (Some(o), _) => Out::Node(o.clone()),
        (None, Some(_)) => Out::Dest,
        (None, None) => Out::Clear,
    }
}

/// The `$patch` directive of a map, removed from it when known.
fn map_directive(patch: &mut Node) -> Result<Directive, PatchError> {
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
fn seq_directive(patch: &mut Node) -> Result<Directive, PatchError> {
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

fn walk_map(
    dest: Option<&mut Node>,
    origin: Option<&mut Node>,
    aliased: bool,
    schema: Option<&'static TypeSchema>,
    path: &str,
    src: SchemaSource,
) -> Result<Out, PatchError> {
    // VisitMap
    if missing_or_null(dest.as_deref()) {
        if aliased {
            return Ok(Out::Clear);
        }
        let Some(origin) = origin else { return Ok(Out::Clear) };
        if origin.as_map().is_some() && map_directive(origin).unwrap_or(Directive::Merge) == Directive::Delete {
            return Ok(Out::Clear);
        }
        if origin.is_null() {
            return Ok(Out::Clear);
        }
        let mut added = origin.clone();
        walk_fields(&mut added, None, true, schema, path, src)?;
        return Ok(Out::Node(added));
    }
    let Some(dest) = dest else { return Ok(Out::Clear) };
    if aliased {
        match map_directive(dest)? {
            Directive::Delete => return Ok(Out::Clear),
            Directive::Replace | Directive::Merge => {
                walk_fields(dest, None, true, schema, path, src)?;
                return Ok(Out::Dest);
            }
        }
    }
    let Some(origin) = origin else {
        walk_fields(dest, None, false, schema, path, src)?;
        return Ok(Out::Dest);
    };
    if origin.is_null() {
        return Ok(Out::Clear);
    }
    match map_directive(origin)? {
        Directive::Delete => Ok(Out::Clear),
        Directive::Replace => {
            let mut replaced = origin.clone();
            walk_fields(&mut replaced, None, true, schema, path, src)?;
            Ok(Out::Node(replaced))
        }
        Directive::Merge => {
            walk_fields(dest, Some(origin), false, schema, path, src)?;
            Ok(Out::Dest)
        }
    }
}

/// Walk every field of `dest` and `origin` and set the result on `dest` (kyaml's FieldSetter).
fn walk_fields(
    dest: &mut Node,
    mut origin: Option<&mut Node>,
    aliased: bool,
    schema: Option<&'static TypeSchema>,
    path: &str,
    src: SchemaSource,
) -> Result<(), PatchError> {
    // The union of both maps' keys, in order. Every map of the object is walked, so the keys are
    // shared (`Arc` text), not copied, and the map's schema path is looked up once.
    let mut names: Vec<std::sync::Arc<str>> = Vec::new();
    let mut seen: HashSet<std::sync::Arc<str>> = HashSet::new();
    for n in [Some(&*dest), origin.as_deref()].into_iter().flatten() {
        for e in n.as_map().unwrap_or_default() {
            let k = e.key.as_scalar().map_or_else(|| std::sync::Arc::from(""), |s| s.text.clone());
            if seen.insert(k.clone()) {
                names.push(k);
            }
        }
    }
    let free_map = schema.is_some_and(|s| s.is_free_map(path));
    for name in names {
        let name: &str = &name;
        let child = match schema {
            Some(_) => child_path(path, if free_map { "*" } else { name }),
            None => String::new(),
        };
        let di = field_index(dest, name);
        let oi = origin.as_deref().and_then(|o| field_index(o, name));
        let out = {
            let d = match (&mut dest.kind, di) {
                (NodeKind::Map(entries), Some(i)) => Some(&mut entries[i].value),
                _ => None,
            };
            let o = match (origin.as_deref_mut().map(|o| &mut o.kind), oi) {
                (Some(NodeKind::Map(entries)), Some(i)) => Some(&mut entries[i].value),
                _ => None,
            };
            walk(d, o, aliased, schema, child, src)?
        };
        match out {
            Out::Clear => remove_field(dest, name),
            Out::Dest => {
                if di.is_some_and(|i| dest.as_map().is_some_and(|e| e[i].value.is_null())) {
                    remove_field(dest, name);
                }
            }
            Out::Node(value) => {
                if value.is_null() {
                    remove_field(dest, name);
                } else if let (NodeKind::Map(entries), Some(i)) = (&mut dest.kind, di) {
                    entries[i].value = value;
                } else {
                    let key = origin
                        .as_deref()
                        .and_then(|o| o.as_map())
                        .and_then(|e| oi.map(|i| e[i].key.clone()))
                        .unwrap_or_else(|| Node::string(name, value.span));
                    if let NodeKind::Map(entries) = &mut dest.kind {
                        entries.push(Entry { key, value });
                    }
                }
            }
        }
    }
    Ok(())
}

/// kyaml's walkAssociativeSequence.
fn walk_assoc(
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
fn element_setter(list: &mut Vec<Node>, element: Option<Node>, keys: &[String], values: &[String]) {
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
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};
    use serde_json::json;

    fn doc(file: u32, text: &str) -> Node {
        let p = parse_yaml(FileId(file), text, &Limits::default());
        assert!(!p.is_broken(), "{:?}", p.issues);
        p.documents.into_iter().next().unwrap().root
    }

    fn smp(base: &str, patch: &str) -> serde_json::Value {
        let mut b = doc(0, base);
        let p = doc(1, patch);
        match apply_strategic_merge(&mut b, &p, None).unwrap() {
            SmpOutcome::Merged => b.to_json(),
            SmpOutcome::Deleted => serde_json::Value::Null,
        }
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, finalizers: [x, y]}\nspec:\n  template:\n    spec:\n      tolerations: [{key: a}]\n      containers:\n      - name: main\n        image: main:1\n        args: [a, b]\n        ports: [{containerPort: 80, name: http}, {containerPort: 81, protocol: UDP}]\n        env: [{name: A, value: '1'}, {name: B, value: '2'}]\n      - name: side\n        image: side:1\n";

    fn containers(v: &serde_json::Value) -> &serde_json::Value {
        &v["spec"]["template"]["spec"]["containers"]
    }

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
    fn unknown_kinds_merge_maps_and_replace_lists() {
        let out = smp(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: hr, finalizers: [a]}\nspec:\n  interval: 5m\n  values: {a: {b: 1, c: 2}, list: [1, 2]}\n  dependsOn: [{name: a}, {name: b}]\n",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: hr, finalizers: [b]}\nspec:\n  values: {a: {b: null, d: 3}, list: [3], gone: null, new: {x: null, y: 1}}\n  dependsOn: [{name: c}]\n",
        );
        assert_eq!(
            out["spec"],
            json!({"interval": "5m", "values": {"a": {"c": 2, "d": 3}, "list": [3], "new": {"y": 1}}, "dependsOn": [{"name": "c"}]})
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
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
