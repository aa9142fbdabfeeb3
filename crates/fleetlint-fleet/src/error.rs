//! The errors of the fleet crate's entry points: loading the configuration, parsing a source
//! mapping, loading a run's inputs. Each displays as the one-line reason the command line prints
//! before exiting with status 2.

use std::path::PathBuf;

/// `.fleetlint.yaml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file found upward from the root is a symbolic link or a special file.
    #[error(
        "{}: not a regular file (fleetlint does not follow symbolic links or read special files)",
        path.display()
    )]
    NotRegularFile {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid YAML, has an unknown key or a wrongly typed value.
    #[error("{}{}: {message}", path.display(), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line and column, when known.
        location: Option<(usize, usize)>,
        /// The parser's first line.
        message: String,
    },
}

/// A source mapping (`KEY=PATH`) that cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// No `=`.
    #[error("`{0}`: expected KEY=PATH")]
    NoPath(String),
    /// `KEY=` with nothing after it.
    #[error("`{0}`: empty PATH")]
    EmptyPath(String),
    /// The key is neither `Kind/namespace/name` nor a URL.
    #[error("`{0}`: expected Kind/namespace/name or a URL")]
    BadKey(String),
}

/// A run's inputs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A `--source` argument.
    #[error("--source {0}")]
    SourceArg(MappingError),
    /// A `sources:` entry of the configuration.
    #[error("{}: sources: {error}", file.display())]
    ConfigSource {
        /// The configuration file.
        file: PathBuf,
        /// What is wrong with the entry.
        error: MappingError,
    },
    /// A mapped path is not a directory.
    #[error("source {key}: {} is not a directory", path.display())]
    NotADirectory {
        /// The mapping key.
        key: String,
        /// The path.
        path: PathBuf,
    },
    /// The root or a mapped tree cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Building the fleet failed.
    #[error(transparent)]
    Fleet(#[from] FleetError),
}

/// The fleet could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// `--cluster NAME` names no cluster.
    #[error("--cluster {name}: no such cluster (found: {})", known.join(", "))]
    UnknownCluster {
        /// The name asked for.
        name: String,
        /// The clusters found.
        known: Vec<String>,
    },
}
