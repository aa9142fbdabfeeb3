//! fleetlint-yaml: walks a repository and parses its YAML into positioned trees.
//!
//! It owns files and spans ([`source`]), the walk ([`walk`], [`sourceignore`]), the YAML parser
//! adapter ([`parse`]), tree-relative paths ([`relpath`]), field paths into objects ([`path`]), Go durations ([`duration`]), kyaml scalar typing ([`scalar`]), suppression comments ([`suppress`]) and
//! a light object view ([`object`]). Nothing here knows about kustomize, Flux graphs or rules.

pub mod duration;
mod folded;
pub mod load;
pub mod object;
pub mod parse;
pub mod path;
pub mod relpath;
pub mod scalar;
pub mod source;
pub mod sourceignore;
pub mod suppress;
pub mod tree;
pub mod walk;

pub use duration::parse_go_duration;
pub use load::{LoadedFile, LoadedTree, load_tree};
pub use object::{FluxKind, ObjectView};
pub use parse::{Document, Limits, LoadIssue, LoadIssueKind, ParsedYaml, parse_yaml};
pub use path::{FieldPath, Located, PathSegment};
pub use scalar::{ScalarStyle, ScalarValue};
pub use source::{FileId, LineCol, SourceDb, SourceFile, Span};
pub use tree::{Entry, Node, NodeKind, Scalar};
