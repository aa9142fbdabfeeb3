//! The ArtifactGenerator spec as a typed, positioned view
//! (fluxcd/source-watcher@825fa15:api/v1beta1/artifactgenerator_types.go). Fields the CRD
//! requires or constrains (required lists, the `@alias/...` and `@artifact/...` patterns, the
//! strategy enum) are checked here: the API server rejects such objects.

use fleetlint_yaml::{Node, Span};

use super::{GeneratorError, GeneratorErrorKind};

/// An `ArtifactGenerator` object.
#[derive(Clone, Debug)]
pub struct ArtifactGenerator {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`""` when absent).
    pub namespace: String,
    /// `spec.sources`.
    pub sources: Vec<SourceRef>,
    /// `spec.pathPattern` (`@alias/pattern`) and its span.
    pub path_pattern: Option<(String, Span)>,
    /// `spec.artifacts`.
    pub artifacts: Vec<OutputArtifact>,
    /// `spec.commonMetadata.labels`.
    pub common_labels: Vec<(String, String)>,
    /// `spec.commonMetadata.annotations`.
    pub common_annotations: Vec<(String, String)>,
    /// The object.
    pub span: Span,
}

/// A source of the generator.
#[derive(Clone, Debug)]
pub struct SourceRef {
    /// `alias`.
    pub alias: String,
    /// `kind` (Bucket, GitRepository, OCIRepository, HelmChart, ExternalArtifact).
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `namespace`, defaulting to the generator's (`observeSources`).
    pub namespace: String,
    /// Whether `namespace` was written.
    pub explicit_namespace: bool,
    /// The source entry.
    pub span: Span,
}

/// An output artifact of the generator.
#[derive(Clone, Debug)]
pub struct OutputArtifact {
    /// `name` (may hold `{capture}` placeholders with `pathPattern`).
    pub name: String,
    /// `revision` alias without `@`.
    pub revision: Option<String>,
    /// `originRevision` alias without `@`.
    pub origin_revision: Option<String>,
    /// `copy`.
    pub copy: Vec<CopyOp>,
    /// The `name` scalar.
    pub span: Span,
}

/// A copy operation.
#[derive(Clone, Debug)]
pub struct CopyOp {
    /// `from` (`@alias/pattern`).
    pub from: String,
    /// `to` (`@artifact/path`).
    pub to: String,
    /// `exclude` patterns.
    pub exclude: Vec<String>,
    /// `strategy`.
    pub strategy: Strategy,
    /// The copy entry.
    pub span: Span,
}

/// How a copy writes its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Replace existing files (the default).
    Overwrite,
    /// Deep-merge YAML files onto existing ones.
    Merge,
    /// Unpack `.tar.gz`/`.tgz` archives.
    Extract,
}

fn invalid(message: impl Into<String>, span: Span) -> GeneratorError {
    GeneratorError { kind: GeneratorErrorKind::Invalid, message: message.into(), span }
}

fn str_field<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

fn required<'a>(node: &'a Node, key: &str, what: &str) -> Result<&'a str, GeneratorError> {
    str_field(node, key).filter(|s| !s.is_empty()).ok_or_else(|| {
        invalid(format!("{what}.{key}: Required value"), node.nearest_key(&[key]).map_or(node.span, |k| k.span))
    })
}

fn is_alias(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
        && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// `^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)/(.*)$`
fn is_alias_path(s: &str) -> bool {
    s.strip_prefix('@').and_then(|r| r.split_once('/')).is_some_and(|(a, _)| is_alias(a))
}

fn string_map(node: Option<&Node>) -> Vec<(String, String)> {
    node.and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str().unwrap_or("").to_string())))
        .collect()
}

impl ArtifactGenerator {
    /// Read an `ArtifactGenerator` object.
    ///
    /// # Errors
    /// [`GeneratorErrorKind::Invalid`] for what the CRD schema rejects.
    pub fn from_node(node: &Node) -> Result<Self, GeneratorError> {
        let name = node.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("").to_string();
        let namespace = node.get_path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("").to_string();
        let Some(spec) = node.get("spec") else {
            return Err(invalid("spec: Required value", node.span));
        };
        let mut sources = Vec::new();
        let source_nodes = spec.get("sources").and_then(Node::as_seq).filter(|s| !s.is_empty());
        let Some(source_nodes) = source_nodes else {
            return Err(invalid(
                "spec.sources: Required value",
                spec.nearest_key(&["sources"]).map_or(spec.span, |k| k.span),
            ));
        };
        for (i, s) in source_nodes.iter().enumerate() {
            let what = format!("spec.sources[{i}]");
            let alias = required(s, "alias", &what)?;
            if !is_alias(alias) {
                return Err(invalid(
                    format!("{what}.alias {alias:?} must match ^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$"),
                    s.span,
                ));
            }
            let kind = required(s, "kind", &what)?;
            if !matches!(kind, "Bucket" | "GitRepository" | "OCIRepository" | "HelmChart" | "ExternalArtifact") {
                return Err(invalid(format!("{what}.kind: Unsupported value: {kind:?}"), s.span));
            }
            let explicit = str_field(s, "namespace").filter(|n| !n.is_empty());
            sources.push(SourceRef {
                alias: alias.into(),
                kind: kind.into(),
                name: required(s, "name", &what)?.into(),
                namespace: explicit.unwrap_or(&namespace).to_string(),
                explicit_namespace: explicit.is_some(),
                span: s.span,
            });
        }
        let path_pattern = match spec.get("pathPattern") {
            Some(p) if p.as_str().is_some_and(|s| !s.is_empty()) => {
                let text = p.as_str().unwrap_or("");
                if !is_alias_path(text) {
                    return Err(invalid(format!("spec.pathPattern {text:?} must match ^@alias/pattern"), p.span));
                }
                Some((text.to_string(), p.span))
            }
            _ => None,
        };
        let Some(artifact_nodes) = spec.get("artifacts").and_then(Node::as_seq).filter(|a| !a.is_empty()) else {
            return Err(invalid(
                "spec.artifacts: Required value",
                spec.nearest_key(&["artifacts"]).map_or(spec.span, |k| k.span),
            ));
        };
        let mut artifacts = Vec::new();
        for (i, a) in artifact_nodes.iter().enumerate() {
            let what = format!("spec.artifacts[{i}]");
            let name = required(a, "name", &what)?.to_string();
            let span = a.get("name").map_or(a.span, |n| n.span);
            let alias_ref =
                |key: &str| str_field(a, key).filter(|s| !s.is_empty()).map(|s| s.trim_start_matches('@').to_string());
            let Some(copy_nodes) = a.get("copy").and_then(Node::as_seq).filter(|c| !c.is_empty()) else {
                return Err(invalid(format!("{what}.copy: Required value"), a.span));
            };
            let mut copy = Vec::new();
            for (j, c) in copy_nodes.iter().enumerate() {
                let what = format!("{what}.copy[{j}]");
                let from = required(c, "from", &what)?;
                if !is_alias_path(from) {
                    return Err(invalid(format!("{what}.from {from:?} must match ^@alias/path"), c.span));
                }
                let to = required(c, "to", &what)?;
                if !to.starts_with("@artifact/") {
                    return Err(invalid(format!("{what}.to {to:?} must match ^@artifact/path"), c.span));
                }
                let strategy = match str_field(c, "strategy").unwrap_or("") {
                    "" | "Overwrite" => Strategy::Overwrite,
                    "Merge" => Strategy::Merge,
                    "Extract" => Strategy::Extract,
                    other => return Err(invalid(format!("{what}.strategy: Unsupported value: {other:?}"), c.span)),
                };
                let exclude = c
                    .get("exclude")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string)
                    .collect();
                copy.push(CopyOp { from: from.into(), to: to.into(), exclude, strategy, span: c.span });
            }
            artifacts.push(OutputArtifact {
                name,
                revision: alias_ref("revision"),
                origin_revision: alias_ref("originRevision"),
                copy,
                span,
            });
        }
        Ok(Self {
            name,
            namespace,
            sources,
            path_pattern,
            artifacts,
            common_labels: string_map(spec.get_path(&["commonMetadata", "labels"])),
            common_annotations: string_map(spec.get_path(&["commonMetadata", "annotations"])),
            span: node.span,
        })
    }
}
