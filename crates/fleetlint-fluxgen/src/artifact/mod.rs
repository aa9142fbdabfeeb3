//! ArtifactGenerator views: the file trees source-watcher assembles into `ExternalArtifact`s
//! (fluxcd/source-watcher@825fa15, shipped with Flux 2.7+), computed over the source trees.
//!
//! - Validation (`internal/controller/artifactgenerator_validation.go validateSpec`): duplicate
//!   aliases and artifact names, artifact names that are not DNS subdomains (without
//!   `pathPattern`), unknown `revision` aliases, and, under `--no-cross-namespace-refs`, sources
//!   in another namespace are terminal errors.
//! - All sources are fetched before anything is built (`reconcile`): a source whose tree is not
//!   available offline makes the whole generator opaque.
//! - `pathPattern` (`artifactgenerator_pathpattern.go buildArtifactRequests`) renders every
//!   artifact once per matching directory; see [`pathpattern`].
//! - Artifacts are built in order (`builder.Build`, copy semantics in [`copy`]); the first
//!   failure stops the reconciliation, so later artifacts are not built.
//! - The staging tree is archived with source-controller's default exclusions and no
//!   `.sourceignore` (`Storage.Archive(..., SourceIgnoreFilter(nil, nil))`), matched against
//!   the path below the staging root, whose last component is the artifact name.
//! - Each artifact becomes an `ExternalArtifact` named after it in the generator's namespace,
//!   labelled with `commonMetadata.labels`, the path-pattern captures, `app.kubernetes.io/
//!   managed-by: source-watcher` and `source.extensions.fluxcd.io/generator: <UID>`
//!   (`reconcileExternalArtifact`).
//!
//! ```
//! use std::collections::BTreeMap;
//! use fleetlint_fluxgen::artifact::{ArtifactGenerator, ArtifactResult, Options, SourceTree, generate};
//! use fleetlint_yaml::{FileId, Limits, parse_yaml};
//!
//! let yaml = r#"
//! apiVersion: source.extensions.fluxcd.io/v1beta1
//! kind: ArtifactGenerator
//! metadata: {name: flux-system, namespace: flux-system}
//! spec:
//!   sources: [{alias: monorepo, kind: GitRepository, name: flux-system}]
//!   artifacts:
//!     - name: apps
//!       copy: [{from: "@monorepo/apps/base/**", to: "@artifact/base/"}]
//! "#;
//! let doc = &parse_yaml(FileId(0), yaml, &Limits::default()).documents[0].root;
//! let generator = ArtifactGenerator::from_node(doc).unwrap();
//! // The checked repository as the alias `monorepo`; the file handle here is just an id.
//! let repo = SourceTree::new([("apps/base/app.yaml".to_string(), 1u32), ("README.md".to_string(), 2)]);
//! let sources = BTreeMap::from([("monorepo".to_string(), repo)]);
//! let views = generate(&generator, &sources, &|_| None, &Options::default()).unwrap();
//! assert_eq!((views[0].name.as_str(), views[0].namespace.as_str()), ("apps", "flux-system"));
//! let ArtifactResult::Built(tree) = &views[0].result else { panic!() };
//! assert_eq!(tree.files.keys().collect::<Vec<_>>(), ["base/app.yaml"]);
//! ```

mod copy;
mod glob;
mod merge;
mod pathpattern;
mod spec;
mod tree;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fleetlint_yaml::SourceIgnore;
use fleetlint_yaml::Span;

pub use spec::{ArtifactGenerator, CopyOp, OutputArtifact, SourceRef, Strategy};
pub use tree::SourceTree;

/// How the controllers are configured, where it matters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// source-watcher runs with `--no-cross-namespace-refs` (`None`: not known).
    pub no_cross_namespace_refs: Option<bool>,
}

/// One file of an artifact and where its content comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VFile<F> {
    /// A copy of a source file.
    Copy(Layer<F>),
    /// YAML files merged (`strategy: Merge`): the first layer is the base, each next one is
    /// merged onto it.
    Merged {
        /// The files merged, in order.
        layers: Vec<Layer<F>>,
        /// The merged document as source-watcher writes it, when every layer could be read.
        text: Option<String>,
    },
}

/// A source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer<F> {
    /// The source alias.
    pub alias: String,
    /// The path in that source.
    pub path: String,
    /// The caller's file handle.
    pub file: F,
}

/// A copy whose result is not known offline (an `Extract` of a tarball).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueCopy {
    /// Index of the copy operation in the artifact.
    pub copy: usize,
    /// What is not known.
    pub reason: String,
    /// The copy entry.
    pub span: Span,
}

/// The file tree of one artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactTree<F> {
    /// Files by path in the artifact.
    pub files: BTreeMap<String, VFile<F>>,
    /// Directories created (some may be empty).
    pub dirs: BTreeSet<String>,
    /// Files dropped by the default exclusions when archived, with the pattern.
    pub ignored: Vec<(String, String)>,
    /// Copies whose content is not known; when non-empty the tree is incomplete.
    pub opaque: Vec<OpaqueCopy>,
}

/// What happened to one artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactResult<F> {
    /// Built.
    Built(ArtifactTree<F>),
    /// Its build fails: source-watcher reports the error and stops.
    Failed(CopyError),
    /// Not built because an earlier artifact failed.
    NotBuilt,
}

/// A failing copy operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyError {
    /// Index of the copy operation in the artifact.
    pub copy: usize,
    /// source-watcher's message.
    pub message: String,
    /// The copy entry.
    pub span: Span,
}

/// One `ExternalArtifact` the generator produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalArtifactView<F> {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (the generator's).
    pub namespace: String,
    /// Labels; `None` for a value not known offline (the generator's UID).
    pub labels: BTreeMap<String, Option<String>>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// The alias whose revision the artifact carries (`revision`), if any.
    pub revision: Option<String>,
    /// The alias whose origin revision the artifact carries (`originRevision`), if any.
    pub origin_revision: Option<String>,
    /// Path-pattern captures as matched (original case).
    pub captures: BTreeMap<String, String>,
    /// The artifact's `name` in the generator.
    pub span: Span,
    /// Its tree, or why there is none.
    pub result: ArtifactResult<F>,
}

/// Why no artifact is generated at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorError {
    /// Whether this is certain.
    pub kind: GeneratorErrorKind,
    /// source-watcher's message, or why fleetlint cannot tell.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// The kinds of [`GeneratorError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeneratorErrorKind {
    /// The generator is rejected (CRD schema) or stalls (terminal validation or path-pattern
    /// error): nothing is generated.
    Invalid,
    /// A source's tree is not available offline (unmapped or unknown source): nothing can be
    /// computed.
    SourceUnavailable {
        /// The alias.
        alias: String,
    },
}

const GENERATOR_LABEL: &str = "source.extensions.fluxcd.io/generator";

/// `IsDNS1123Subdomain`.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Compute the `ExternalArtifact`s of `generator` from the trees of its sources (by alias).
/// `read` returns a file's text, needed only for `Merge` copies.
///
/// # Errors
/// A [`GeneratorError`] when nothing is generated (terminal errors) or nothing can be known.
pub fn generate<F: Clone>(
    generator: &ArtifactGenerator,
    sources: &BTreeMap<String, SourceTree<F>>,
    read: &dyn Fn(&F) -> Option<Arc<str>>,
    options: &Options,
) -> Result<Vec<ExternalArtifactView<F>>, GeneratorError> {
    validate(generator, options)?;
    for s in &generator.sources {
        if !sources.contains_key(&s.alias) {
            return Err(GeneratorError {
                kind: GeneratorErrorKind::SourceUnavailable { alias: s.alias.clone() },
                message: format!("the artifact of {} {}/{} is not available offline", s.kind, s.namespace, s.name),
                span: s.span,
            });
        }
    }
    let requests = pathpattern::requests(generator, sources)?;
    let ignore = SourceIgnore::new(&[], None);
    let mut out = Vec::new();
    let mut failed = false;
    for req in requests {
        let mut labels: BTreeMap<String, Option<String>> =
            generator.common_labels.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        for (k, v) in &req.labels {
            labels.insert(k.clone(), Some(v.clone()));
        }
        labels.insert("app.kubernetes.io/managed-by".into(), Some("source-watcher".into()));
        labels.insert(GENERATOR_LABEL.into(), None);
        let result = if failed {
            ArtifactResult::NotBuilt
        } else {
            match build(&req, sources, read, &ignore) {
                Ok(tree) => ArtifactResult::Built(tree),
                Err(e) => {
                    failed = true;
                    ArtifactResult::Failed(e)
                }
            }
        };
        out.push(ExternalArtifactView {
            name: req.name,
            namespace: generator.namespace.clone(),
            labels,
            annotations: generator.common_annotations.iter().cloned().collect(),
            revision: req.artifact.revision.clone(),
            origin_revision: req.artifact.origin_revision.clone(),
            captures: req.raw,
            span: req.artifact.span,
            result,
        });
    }
    Ok(out)
}

/// `validateSpec`.
fn validate(g: &ArtifactGenerator, options: &Options) -> Result<(), GeneratorError> {
    let invalid = |message: String, span: Span| GeneratorError { kind: GeneratorErrorKind::Invalid, message, span };
    let mut aliases = BTreeSet::new();
    for s in &g.sources {
        if !aliases.insert(s.alias.as_str()) {
            return Err(invalid(format!("duplicate source alias '{}' found", s.alias), s.span));
        }
        if options.no_cross_namespace_refs == Some(true) && s.explicit_namespace && s.namespace != g.namespace {
            return Err(invalid(
                format!("cross-namespace reference to source {}/{}/{} is not allowed", s.kind, s.namespace, s.name),
                s.span,
            ));
        }
    }
    let mut names = BTreeSet::new();
    for a in &g.artifacts {
        if !names.insert(a.name.as_str()) {
            return Err(invalid(format!("duplicate artifact name '{}' found", a.name), a.span));
        }
        if g.path_pattern.is_none() && !is_dns_subdomain(&a.name) {
            return Err(invalid(format!("artifact name {:?} is not a valid Kubernetes object name", a.name), a.span));
        }
        if let Some(rev) = a.revision.as_ref().filter(|r| !aliases.contains(r.as_str())) {
            return Err(invalid(format!("artifact {} revision source alias '{rev}' not found", a.name), a.span));
        }
    }
    Ok(())
}

/// `builder.Build` for one artifact request.
fn build<F: Clone>(
    req: &pathpattern::Request<'_>,
    sources: &BTreeMap<String, SourceTree<F>>,
    read: &dyn Fn(&F) -> Option<Arc<str>>,
    ignore: &SourceIgnore,
) -> Result<ArtifactTree<F>, CopyError> {
    let mut builder = copy::Builder { sources, read, staging: tree::Staging::new(), opaque: Vec::new() };
    for (i, op) in req.copy.iter().enumerate() {
        builder.apply(i, op).map_err(|message| CopyError { copy: i, message, span: op.span })?;
    }
    let mut files = BTreeMap::new();
    let mut ignored = Vec::new();
    for (path, file) in builder.staging.files {
        // The filter sees the staging path, whose last directory is the artifact name.
        match ignore.status(&format!("{}/{path}", req.name)) {
            Some(
                fleetlint_yaml::IgnoreCause::Default { pattern } | fleetlint_yaml::IgnoreCause::Pattern { pattern, .. },
            ) => ignored.push((path, pattern)),
            None => {
                files.insert(path, file);
            }
        }
    }
    Ok(ArtifactTree { files, dirs: builder.staging.dirs, ignored, opaque: builder.opaque })
}
