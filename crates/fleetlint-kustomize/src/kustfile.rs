//! The kustomization file: found by name, checked the way kustomize's strict decoder checks it,
//! and read field by field with the spans findings point at.

use fleetlint_yaml::{FileId, Node, Span};

use crate::issue::BuildIssue;

/// File names kustomize recognises, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Top-level fields of kustomize v5's `Kustomization` type (its decoder is strict).
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// A kustomization (or component) to build: its content and the directory it applies to.
#[derive(Clone, Debug)]
pub struct Kustomization {
    /// Tree-relative directory the kustomization's paths are relative to (`""` for the root).
    pub dir: String,
    /// The kustomization document.
    pub root: Node,
    /// The file it was read from, if any (an in-memory kustomization has none).
    pub file: Option<FileId>,
}

impl Kustomization {
    /// Whether this is a `kind: Component`.
    #[must_use]
    pub fn is_component(&self) -> bool {
        self.root.get("kind").and_then(Node::as_str) == Some("Component")
    }

    pub(crate) fn str_field(&self, key: &str) -> Option<(&str, Span)> {
        let n = self.root.get(key)?;
        n.as_str().map(|s| (s, n.span))
    }

    /// A list of strings (`resources`, `components`, ...), with each entry's span.
    pub(crate) fn str_list(&self, key: &str) -> Vec<(String, Span)> {
        self.root
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(|s| (s.to_string(), n.span)))
            .collect()
    }

    pub(crate) fn seq(&self, key: &str) -> &[Node] {
        self.root.get(key).and_then(Node::as_seq).unwrap_or_default()
    }

    /// Check the document the way kustomize's loader does; fatal problems are returned.
    pub(crate) fn validate(&self, file_span: Span) -> Vec<BuildIssue> {
        let mut issues = Vec::new();
        let Some(entries) = self.root.as_map() else {
            if self.root.is_null() {
                issues.push(BuildIssue::invalid(file_span, true, "kustomization file is empty"));
            } else {
                issues.push(BuildIssue::invalid(self.root.span, true, "kustomization is not a mapping"));
            }
            return issues;
        };
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            if !KNOWN_FIELDS.contains(&key) {
                issues.push(BuildIssue::invalid(
                    e.key.span,
                    true,
                    format!("invalid Kustomization: unknown field \"{key}\""),
                ));
            }
        }
        let substantive = entries.iter().any(|e| {
            let key = e.key.as_str().unwrap_or("");
            !matches!(key, "apiVersion" | "kind") && !e.value.is_null()
        });
        if issues.is_empty() && !substantive {
            issues.push(BuildIssue::invalid(file_span, true, "kustomization file is empty"));
        }
        if let Some(kind) = self.root.get("kind") {
            let k = kind.as_str().unwrap_or("");
            if !matches!(k, "Kustomization" | "Component" | "") {
                issues.push(BuildIssue::invalid(
                    kind.span,
                    true,
                    format!("kind {k:?} is not Kustomization or Component"),
                ));
            }
        }
        issues
    }
}
