//! Helpers shared by the integration tests.

use std::collections::BTreeMap;

use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};

/// Objects keyed by `apiVersion kind namespace/name`, as JSON.
pub(crate) type Objects = BTreeMap<String, serde_json::Value>;

/// Parse multi-document YAML (our build output or kubectl's) into objects by identity.
pub(crate) fn parse_objects(text: &str) -> Result<Objects, String> {
    let parsed = parse_yaml(FileId(0), text, &Limits::default());
    if parsed.is_broken() {
        return Err(format!("unparsable YAML: {:?}", parsed.issues));
    }
    Ok(parsed
        .documents
        .into_iter()
        .filter(|d| !d.root.is_null())
        .map(|d| {
            let s = |p: &[&str]| d.root.get_path(p).and_then(Node::as_str).unwrap_or("").to_string();
            let id = format!(
                "{} {} {}/{}",
                s(&["apiVersion"]),
                s(&["kind"]),
                s(&["metadata", "namespace"]),
                s(&["metadata", "name"])
            );
            (id, d.root.to_json())
        })
        .collect())
}
