//! How the ORD rules name objects and places in their messages.

use fleetlint_fleet::RenderedObject;
use fleetlint_fleet::graph::Opacity;
use fleetlint_yaml::{Node, Span};

/// The span of `path` under `root`, else of the nearest existing ancestor key, else the root.
pub(crate) fn field_span(root: &Node, path: &[&str]) -> Span {
    root.span_at(path)
}

/// `namespace/name` of an object.
pub(crate) fn short_id(o: &RenderedObject) -> String {
    format!("{}/{}", o.namespace(), o.name())
}

/// `Kind namespace/name` of an object (`Kind name` when cluster-scoped).
pub(crate) fn describe(o: &RenderedObject) -> String {
    if o.namespace().is_empty() {
        format!("{} {}", o.kind(), o.name())
    } else {
        format!("{} {}/{}", o.kind(), o.namespace(), o.name())
    }
}

/// Where an object's name is written (for related spans).
pub(crate) fn name_span(o: &RenderedObject) -> Span {
    field_span(&o.root, &["metadata", "name"])
}

/// Why what an object renders is unknown, for messages.
pub(crate) fn opacity_reason(opacity: Option<Opacity>) -> &'static str {
    match opacity {
        Some(Opacity::SourceNotMapped) => "its source is not mapped to a local checkout",
        Some(Opacity::BuildFails) => "its build fails",
        Some(Opacity::NotExpanded) => "what it renders is not expanded in this cluster",
        Some(Opacity::Templated) => "its objects are not rendered (SRC012)",
        None => "its output is unknown",
    }
}
