//! fleetlint-yaml: walks a repository and parses its YAML into positioned trees.
//!
//! It owns files and spans ([`files`]), the walk ([`walk`], [`sourceignore`]), the YAML parser
//! adapter ([`parse`]), tree-relative paths ([`relpath`]), kyaml scalar typing ([`scalar`]), suppression comments ([`suppress`]) and
//! a light object view ([`object`]). Nothing here knows about kustomize, Flux graphs or rules.

pub mod files;
pub mod load;
pub mod object;
pub mod parse;
pub mod relpath;
pub mod scalar;
pub mod sourceignore;
pub mod suppress;
pub mod tree;
pub mod walk;

pub use files::{FileDb, FileId, LineCol, Span, TextFile};
pub use load::{LoadedFile, LoadedTree, load_tree};
pub use object::{FluxKind, ObjectView};
pub use parse::{Document, Limits, LoadIssue, LoadIssueKind, ParsedYaml, parse_yaml};
pub use scalar::{ScalarStyle, ScalarValue};
pub use tree::{Entry, Node, NodeKind, Scalar};
