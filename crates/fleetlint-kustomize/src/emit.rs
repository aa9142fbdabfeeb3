//! Printing resources as multi-document YAML the way `kubectl kustomize` does, byte for byte,
//! optionally with a `# file:line` origin comment after each line.
//!
//! kubectl prints each object with `Resource.AsYAML` (kubernetes-sigs/kustomize@afe7793676
//! `api/resource/resource.go`): the object as JSON, then `sigs.k8s.io/yaml.JSONToYAML`, which is
//! go-yaml v2's `Marshal` of the value decoded from that JSON; objects are joined with `---`
//! (`api/resmap/reswrangler.go` `AsYaml`). So keys are in go-yaml v2's order, sequences in a
//! mapping are not indented, empty collections are `{}` and `[]`, and scalars take the style
//! go-yaml v2's emitter chooses, folded at 80 columns: [`fleetlint_goyaml::marshal`], shared with
//! the Flux Operator's `toYaml`.

use std::borrow::Cow;

use fleetlint_goyaml::{Emit, Entry, Scalar, Shape, marshal};
use fleetlint_yaml::{FileDb, Node, NodeKind, ScalarValue, Span};

use crate::resource::Resource;

/// Print `resources` as multi-document YAML. With `origins`, each line that holds a value
/// ends with `# <file>:<line>` naming the text that wrote it.
#[must_use]
pub fn to_yaml(resources: &[Resource], origins: Option<&FileDb>) -> String {
    nodes_to_yaml(resources.iter().map(|r| &r.root), origins)
}

/// [`to_yaml`] for object trees that are not kustomize resources (the objects a Flux
/// Kustomization renders after its build options and post-build substitution).
#[must_use]
pub fn nodes_to_yaml<'n>(roots: impl IntoIterator<Item = &'n Node>, origins: Option<&FileDb>) -> String {
    let mut out = String::new();
    for (i, root) in roots.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let emitted = marshal(Obj(root));
        let Some(db) = origins else {
            out.push_str(&emitted.text);
            continue;
        };
        let mut marks = emitted.marks.iter().peekable();
        let mut line_start = 0;
        for line in emitted.text.split_inclusive('\n') {
            let line_end = line_start + line.len();
            // The span a line is annotated with: the last value that starts on it, else the
            // first key.
            let (mut value, mut key) = (None, None);
            while let Some(m) = marks.next_if(|m| m.range.start < line_end) {
                if m.is_key {
                    key = key.or(Some(m.mark));
                } else {
                    value = Some(m.mark);
                }
            }
            out.push_str(line.strip_suffix('\n').unwrap_or(line));
            if let Some(span) = value.or(key)
                && (span.file.0 as usize) < db.len()
            {
                let f = db.get(span.file);
                // A file of a mapped source is named with its source, as in reports.
                let source = f.mapping.as_deref().map_or_else(String::new, |s| format!("{s}:"));
                out.push_str(&format!(" # {source}{}:{}", f.path, f.line_col(span.start).line));
            }
            out.push('\n');
            line_start = line_end;
        }
    }
    out
}

/// A node as the object kubectl prints: after the trip through JSON, typed scalars are plain
/// and a mapping holds each key once, the last one winning.
#[derive(Clone, Copy)]
struct Obj<'n>(&'n Node);

impl<'n> Emit for Obj<'n> {
    type Mark = Span;

    fn mark(&self) -> Option<Span> {
        Some(self.0.span)
    }

    fn shape(&self) -> Shape<'_, Self> {
        match &self.0.kind {
            NodeKind::Scalar(s) => Shape::Scalar(match &s.value {
                ScalarValue::Null => Scalar::plain("null"),
                ScalarValue::Bool(b) => Scalar::plain(b.to_string()),
                ScalarValue::Int(i) => Scalar::plain(i.to_string()),
                ScalarValue::Float(f) => Scalar::float(*f),
                ScalarValue::Str => Scalar::string(&*s.text),
            }),
            NodeKind::Seq(items) => Shape::Seq(items.iter().map(Obj).collect()),
            NodeKind::Map(entries) => {
                let mut unique: Vec<Entry<'_, Obj<'n>>> = Vec::with_capacity(entries.len());
                for e in entries {
                    let key = match &e.key.kind {
                        NodeKind::Scalar(s) => Cow::Borrowed(&*s.text),
                        _ => Cow::Owned(e.key.to_json().to_string()),
                    };
                    let entry = Entry { key, key_mark: Some(e.key.span), value: Obj(&e.value) };
                    match unique.iter_mut().find(|u| u.key == entry.key) {
                        Some(old) => *old = entry,
                        None => unique.push(entry),
                    }
                }
                Shape::Map(unique)
            }
        }
    }
}

/// A string as go-yaml writes it as a single value; used where kustomize marshals a small
/// structure itself (origin annotations).
pub(crate) fn quote_str(s: &str) -> String {
    fleetlint_goyaml::scalar_text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(quote_str("y"), "\"y\"");
        assert_eq!(quote_str("1"), "\"1\"");
        assert_eq!(quote_str("a: b"), "'a: b'");
        assert_eq!(quote_str("nginx:1.0"), "nginx:1.0");
        assert_eq!(quote_str(""), "\"\"");
        assert_eq!(quote_str("it's"), "it's");
        assert_eq!(quote_str("'it'"), "'''it'''");
        assert_eq!(quote_str("tab\there"), "\"tab\\there\"");
    }
}
