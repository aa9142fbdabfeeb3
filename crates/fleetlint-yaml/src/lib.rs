//! fleetlint-yaml: walks a repository and parses its YAML into positioned trees.
//!
//! It owns files and spans ([`FileDb`], [`Span`]), the walk ([`load_tree`], [`SourceIgnore`]),
//! the YAML parser adapter ([`parse_yaml`]), tree-relative paths ([`relpath`]), field paths into
//! objects ([`FieldPath`]), Go durations ([`parse_go_duration`]), kyaml scalar typing
//! ([`resolve_kyaml`]), suppression comments ([`Suppression`]) and a light object view
//! ([`ObjectView`]). Nothing here knows about kustomize, Flux graphs or rules.

mod folded;
pub mod relpath;

mod duration;
mod files;
mod gitindex;
mod load;
mod object;
mod parse;
mod path;
mod scalar;
mod sourceignore;
mod suppress;
mod tree;
mod walk;

pub use duration::parse_go_duration;
pub use files::{FileDb, FileId, LineCol, LineIndex, Span, TextFile};
pub use load::{LoadedFile, LoadedTree, load_tree};
pub use object::{FluxKind, ObjectView, is_sops_ciphertext};
pub use parse::{Document, Limits, LoadIssue, LoadIssueKind, ParsedYaml, parse_yaml};
pub use path::{FieldPath, Located, PathSegment};
pub use scalar::{ScalarStyle, ScalarValue, is_ambiguous, resolve_kyaml, resolve_number, resolve_yaml11};
pub use sourceignore::{IgnoreCause, SourceIgnore};
pub use suppress::Suppression;
pub use tree::{Entry, Node, NodeKind, Scalar};
pub use walk::{FileKind, FileWalk, SkippedEntry, WalkedFile, walk as walk_files};
