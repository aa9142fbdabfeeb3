//! kyaml's node accessors (`RNode.Field`, `yaml.Node.Value`, node kinds) on positioned nodes,
//! for the strategic merge walker.

use fleetlint_yaml::{Entry, Node, NodeKind};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Map,
    Seq,
    Scalar,
}

pub(super) fn kind_of(n: &Node) -> Kind {
    match n.kind {
        NodeKind::Map(_) => Kind::Map,
        NodeKind::Seq(_) => Kind::Seq,
        NodeKind::Scalar(_) => Kind::Scalar,
    }
}

pub(super) fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Map => "MappingNode",
        Kind::Seq => "SequenceNode",
        Kind::Scalar => "ScalarNode",
    }
}

pub(super) fn missing_or_null(n: Option<&Node>) -> bool {
    n.is_none_or(Node::is_null)
}

/// The text kyaml compares (`yaml.Node.Value`): a scalar's text, empty for collections.
pub(super) fn text(n: &Node) -> &str {
    n.as_scalar().map_or("", |s| &s.text)
}

pub(super) fn is_empty_map(n: &Node) -> bool {
    matches!(&n.kind, NodeKind::Map(e) if e.is_empty())
}

pub(super) fn is_nil_or_empty(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Map(e) => e.is_empty(),
        NodeKind::Seq(i) => i.is_empty(),
        NodeKind::Scalar(_) => n.is_null(),
    }
}

/// kyaml's `RNode.Field`: the first entry named `name` of a map.
pub(super) fn field<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
    n.as_map()?.iter().find(|e| text(&e.key) == name).map(|e| &e.value)
}

pub(super) fn field_index(n: &Node, name: &str) -> Option<usize> {
    n.as_map()?.iter().position(|e| text(&e.key) == name)
}

pub(super) fn remove_field(n: &mut Node, name: &str) {
    if let NodeKind::Map(entries) = &mut n.kind
        && let Some(i) = entries.iter().position(|e| text(&e.key) == name)
    {
        entries.remove(i);
    }
}

pub(super) fn set_field(n: &mut Node, entry: Entry) {
    if let NodeKind::Map(entries) = &mut n.kind {
        let name = text(&entry.key).to_string();
        match entries.iter_mut().find(|e| text(&e.key) == name) {
            Some(e) => e.value = entry.value,
            None => entries.push(entry),
        }
    }
}

pub(super) fn items(n: &Node) -> &[Node] {
    n.as_seq().unwrap_or_default()
}

pub(super) fn items_mut(n: &mut Node) -> Option<&mut Vec<Node>> {
    match &mut n.kind {
        NodeKind::Seq(items) => Some(items),
        _ => None,
    }
}
