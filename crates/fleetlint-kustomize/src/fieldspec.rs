//! Field specs: kustomize's `{group, version, kind, path, create}` records that say where a
//! transformer reads or writes, and the built-in tables of kustomize v5.5.

use std::sync::OnceLock;

use fleetlint_yaml::{Node, NodeKind, Span};

use crate::resource::Gvk;

/// One element of a field-spec path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seg {
    pub(crate) name: String,
    /// Written `name[]`: the field is a sequence.
    pub(crate) seq: bool,
}

/// A field spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub(crate) gvk: Gvk,
    pub(crate) path: Vec<Seg>,
    pub(crate) path_text: String,
    pub(crate) create: bool,
}

impl FieldSpec {
    /// The field specs listed under `key` of `node` (a configuration's `namespace`, a
    /// `nameReference`'s or a plugin's `fieldSpecs`, a `labels` entry's `fields`); entries that
    /// are not field specs are skipped.
    pub(crate) fn list_at(node: &Node, key: &str) -> Vec<Self> {
        node.get(key).and_then(Node::as_seq).unwrap_or_default().iter().filter_map(Self::from_node).collect()
    }

    pub(crate) fn from_node(node: &Node) -> Option<Self> {
        let s = |k: &str| node.get(k).and_then(Node::as_str).unwrap_or("").to_string();
        let path_text = s("path");
        Some(Self {
            gvk: Gvk { group: s("group"), version: s("version"), kind: s("kind") },
            path: split_path(&path_text),
            path_text,
            create: node.get("create").and_then(Node::as_bool).unwrap_or(false),
        })
    }
}

/// Split a slash path; `\/` escapes a slash inside a key.
pub(crate) fn split_path(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => segs.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    segs.push(cur);
    segs.into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| match s.strip_suffix("[]") {
            Some(n) => Seg { name: n.to_string(), seq: true },
            None => Seg { name: s, seq: false },
        })
        .collect()
}

/// What to create at the end of a path when `create` is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CreateKind {
    Scalar,
    Map,
}

/// Walk `path` in `node` as kustomize's fieldspec filter does (sequences met on the way are
/// entered element by element), creating missing fields when `create` is `Some`, and call `f` on
/// every node found at the end of the path.
pub(crate) fn visit(
    node: &mut Node,
    path: &[Seg],
    create: Option<CreateKind>,
    span: Span,
    f: &mut dyn FnMut(&mut Node),
) {
    if path.is_empty() {
        f(node);
        return;
    }
    match &mut node.kind {
        NodeKind::Seq(items) => {
            for item in items {
                visit(item, path, create, span, f);
            }
        }
        NodeKind::Map(_) => {
            let seg = &path[0];
            let last = path.len() == 1;
            let want = if seg.seq {
                None
            } else {
                match create {
                    None => None,
                    Some(k) if last => Some(k),
                    Some(_) => Some(CreateKind::Map),
                }
            };
            let missing = node.get(&seg.name).is_none();
            if missing {
                match want {
                    None => return,
                    Some(CreateKind::Map) => crate::resource::set_entry(node, &seg.name, Node::map(span), span),
                    Some(CreateKind::Scalar) => {
                        crate::resource::set_entry(node, &seg.name, null_node(span), span);
                    }
                }
            }
            let Some(child) = node.get_mut(&seg.name) else { return };
            if child.is_null() {
                if seg.seq {
                    if create.is_some() {
                        *child = Node { span, kind: NodeKind::Seq(Vec::new()) };
                    }
                } else if want == Some(CreateKind::Map) {
                    *child = Node::map(span);
                } else if !last {
                    return;
                }
            }
            visit(child, &path[1..], create, span, f);
        }
        NodeKind::Scalar(_) => {}
    }
}

pub(crate) fn null_node(span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Scalar(fleetlint_yaml::Scalar {
            text: "".into(),
            style: fleetlint_yaml::ScalarStyle::Plain,
            value: fleetlint_yaml::ScalarValue::Null,
            tag: None,
        }),
    }
}

/// A name-reference entry: objects of `gvk` are referred to by name from `referrers`.
#[derive(Clone, Debug)]
pub(crate) struct NameBackRef {
    pub(crate) gvk: Gvk,
    pub(crate) referrers: Vec<FieldSpec>,
}

/// kustomize's transformer configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct TransformerConfig {
    pub(crate) namespace: Vec<FieldSpec>,
    pub(crate) name_prefix: Vec<FieldSpec>,
    pub(crate) name_suffix: Vec<FieldSpec>,
    pub(crate) common_labels: Vec<FieldSpec>,
    pub(crate) template_labels: Vec<FieldSpec>,
    pub(crate) common_annotations: Vec<FieldSpec>,
    pub(crate) replicas: Vec<FieldSpec>,
    pub(crate) images: Vec<FieldSpec>,
    pub(crate) var_reference: Vec<FieldSpec>,
    pub(crate) name_reference: Vec<NameBackRef>,
}

fn push_unique(into: &mut Vec<FieldSpec>, fs: FieldSpec) {
    if !into.contains(&fs) {
        into.push(fs);
    }
}

impl TransformerConfig {
    /// Parse a configuration document (the built-in one or a `configurations:` file).
    pub(crate) fn from_node(root: &Node) -> Self {
        let mut tc = Self::default();
        let list = |key: &str| FieldSpec::list_at(root, key);
        tc.namespace = list("namespace");
        tc.name_prefix = list("namePrefix");
        tc.name_suffix = list("nameSuffix");
        tc.common_labels = list("commonLabels");
        tc.template_labels = list("templateLabels");
        tc.common_annotations = list("commonAnnotations");
        tc.replicas = list("replicas");
        tc.images = list("images");
        tc.var_reference = list("varReference");
        for e in root.get("nameReference").and_then(Node::as_seq).unwrap_or_default() {
            let s = |k: &str| e.get(k).and_then(Node::as_str).unwrap_or("").to_string();
            let gvk = Gvk { group: s("group"), version: s("version"), kind: s("kind") };
            let referrers = FieldSpec::list_at(e, "fieldSpecs");
            tc.name_reference.push(NameBackRef { gvk, referrers });
        }
        tc
    }

    /// Merge `other` into `self` (kustomize's `TransformerConfig.Merge`).
    pub(crate) fn merge(&mut self, other: &TransformerConfig) {
        for (a, b) in [
            (&mut self.namespace, &other.namespace),
            (&mut self.name_prefix, &other.name_prefix),
            (&mut self.name_suffix, &other.name_suffix),
            (&mut self.common_labels, &other.common_labels),
            (&mut self.template_labels, &other.template_labels),
            (&mut self.common_annotations, &other.common_annotations),
            (&mut self.replicas, &other.replicas),
            (&mut self.images, &other.images),
            (&mut self.var_reference, &other.var_reference),
        ] {
            for fs in b {
                push_unique(a, fs.clone());
            }
        }
        for br in &other.name_reference {
            if let Some(mine) = self.name_reference.iter_mut().find(|m| m.gvk == br.gvk) {
                for fs in &br.referrers {
                    push_unique(&mut mine.referrers, fs.clone());
                }
            } else {
                self.name_reference.push(br.clone());
            }
        }
    }
}

/// `(group, version, kind, path, create)`.
type Spec = (&'static str, &'static str, &'static str, &'static str, bool);

// NAMESPACE, NAME_PREFIX, ..., VAR_REFERENCE and NAME_REFERENCE: `builtin/fieldspecs.yaml`,
// read at build time (see build.rs).
include!(concat!(env!("OUT_DIR"), "/fieldspecs.rs"));

fn specs(rows: &[Spec]) -> Vec<FieldSpec> {
    rows.iter()
        .map(|&(group, version, kind, path, create)| FieldSpec {
            gvk: Gvk { group: group.to_owned(), version: version.to_owned(), kind: kind.to_owned() },
            path: split_path(path),
            path_text: path.to_owned(),
            create,
        })
        .collect()
}

/// kustomize v5.5's built-in field specs (`builtin/fieldspecs.yaml`).
pub(crate) fn builtin() -> &'static TransformerConfig {
    static CONFIG: OnceLock<TransformerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| TransformerConfig {
        namespace: specs(NAMESPACE),
        name_prefix: specs(NAME_PREFIX),
        name_suffix: specs(NAME_SUFFIX),
        common_labels: specs(COMMON_LABELS),
        template_labels: specs(TEMPLATE_LABELS),
        common_annotations: specs(COMMON_ANNOTATIONS),
        replicas: specs(REPLICAS),
        images: specs(IMAGES),
        var_reference: specs(VAR_REFERENCE),
        name_reference: NAME_REFERENCE
            .iter()
            .map(|&(group, version, kind, referrers)| NameBackRef {
                gvk: Gvk { group: group.to_owned(), version: version.to_owned(), kind: kind.to_owned() },
                referrers: specs(referrers),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    use super::*;

    /// The tables build.rs writes are the file as `from_node` reads it.
    #[test]
    fn builtin_tables_are_the_yaml_file() {
        let text = include_str!("builtin/fieldspecs.yaml");
        let parsed = parse_yaml(FileId::SYNTHETIC, text, &Limits::default());
        let from_yaml = TransformerConfig::from_node(&parsed.documents[0].root);
        assert_eq!(format!("{from_yaml:?}"), format!("{:?}", builtin()));
        assert!(!builtin().namespace.is_empty() && !builtin().name_reference.is_empty());
    }

    #[test]
    fn builtin_tables_load() {
        let b = builtin();
        assert_eq!(b.replicas.len(), 4);
        assert!(b.common_labels.len() > 30);
        assert!(b.name_reference.iter().any(|r| r.gvk.kind == "ConfigMap" && r.referrers.len() > 40));
        assert_eq!(
            split_path(r"metadata/annotations/a.b\/c"),
            vec![
                Seg { name: "metadata".into(), seq: false },
                Seg { name: "annotations".into(), seq: false },
                Seg { name: "a.b/c".into(), seq: false },
            ]
        );
    }
}
