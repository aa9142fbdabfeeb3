//! Which kind of patch a patch document is, as kustomize's PatchTransformer decides: a YAML or
//! JSON list (of operation maps) is a JSON 6902 patch, maps are strategic merge patches, and a
//! file with several documents is several strategic merge patches.

use fleetlint_yaml::{Document, Node, NodeKind, Span};

use super::PatchError;

/// A classified patch document.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchKind {
    /// Strategic merge patches, one per document, in file order.
    Strategic(Vec<Node>),
    /// A JSON 6902 patch: the list of operations.
    Json6902(Node),
}

/// Whether a patch's (non-null) documents are one JSON 6902 operation list rather than
/// strategic-merge patches, as kustomize's PatchTransformer decides from content.
pub(crate) fn is_json6902(docs: &[Node]) -> bool {
    matches!(docs, [only] if only.as_seq().is_some())
}

/// Classify the parsed documents of a patch file (or of an inline `patch:` string); `span` is
/// where the patch was given, for errors about the whole document.
///
/// # Errors
/// An empty patch, a scalar document, or a list mixed with other documents (kustomize: "unable to
/// parse SM or JSON patch").
pub fn detect_patch(documents: &[Document], span: Span) -> Result<PatchKind, PatchError> {
    let docs: Vec<&Node> = documents.iter().map(|d| &d.root).filter(|r| !r.is_null()).collect();
    if docs.is_empty() {
        return Err(PatchError::new("empty patch", span));
    }
    if let [only] = docs.as_slice()
        && matches!(only.kind, NodeKind::Seq(_))
    {
        if let Some(bad) = only.as_seq().unwrap_or_default().iter().find(|i| i.as_map().is_none()) {
            return Err(PatchError::new(
                "unable to parse SM or JSON patch: a JSON patch must be a list of operation maps",
                bad.span,
            ));
        }
        return Ok(PatchKind::Json6902((*only).clone()));
    }
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        match d.kind {
            NodeKind::Map(_) => out.push(d.clone()),
            _ => {
                return Err(PatchError::new(
                    "unable to parse SM or JSON patch: expected a map or a list of operations",
                    d.span,
                ));
            }
        }
    }
    Ok(PatchKind::Strategic(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    fn detect(text: &str) -> Result<PatchKind, PatchError> {
        let p = parse_yaml(FileId(0), text, &Limits::default());
        detect_patch(&p.documents, Span::default())
    }

    #[test]
    fn lists_are_json6902_maps_are_smp() {
        assert!(matches!(detect("- op: add\n  path: /a\n  value: 1\n"), Ok(PatchKind::Json6902(_))));
        assert!(matches!(detect("[{\"op\": \"remove\", \"path\": \"/a\"}]"), Ok(PatchKind::Json6902(_))));
        match detect(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
        ) {
            Ok(PatchKind::Strategic(v)) => assert_eq!(v.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(detect("").is_err());
        assert!(detect("just a string").is_err());
        assert!(detect("- a\n- b\n").is_err());
    }
}
