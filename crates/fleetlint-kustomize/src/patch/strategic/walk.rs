//! kyaml's walker for one slot (`walk.Walker` with `merge2`'s visitor): schema lookup, node-kind
//! checks, scalars and replaced lists (the patch wins), and maps merged field by field.

use std::collections::HashSet;

use fleetlint_yaml::{Entry, Node, NodeKind};

use super::directive::{Directive, map_directive};
use super::list::walk_assoc;
use super::node::{Kind, field, field_index, kind_name, kind_of, missing_or_null, remove_field};
use crate::patch::PatchError;
use crate::patch::custom::SchemaSource;
use crate::patch::schema::{TypeSchema, child_path};

/// What a visit produced for the destination slot.
pub(super) enum Out {
    /// The destination node itself (possibly modified in place).
    Dest,
    /// Another node (the patch's, or a new list).
    Node(Node),
    /// Remove the destination.
    Clear,
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
pub(super) fn walk(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::smp;

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
}
