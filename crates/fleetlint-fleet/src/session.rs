//! One run's inputs, loaded the same way by every command and by the tests: the configuration,
//! the checked tree, the tree of every source mapping, and the fleet built from them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fleetlint_yaml::{Limits, LoadedTree, SourceDb, load_tree};

use crate::config::{LoadedConfig, load_config};
use crate::error::LoadError;
use crate::fleet::{FleetOptions, build_fleet};
use crate::model::Fleet;
use crate::sources::SourceMapping;

/// What to load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The repository root to check.
    pub root: PathBuf,
    /// `--source KEY=PATH` values (relative paths against the current directory).
    pub sources: Vec<String>,
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--clusters GLOB` values (replace discovery and the config's `clusters`).
    pub clusters: Vec<String>,
    /// `--cluster NAME`.
    pub cluster: Option<String>,
    /// Parser limits.
    pub limits: Limits,
}

/// The loaded inputs of a run.
pub struct Session {
    /// Every file read.
    pub db: SourceDb,
    /// The checked tree first, then one per mapping.
    pub trees: Vec<LoadedTree>,
    /// Source mappings in effect (command line first, then the config file).
    pub mappings: Vec<SourceMapping>,
    /// The configuration.
    pub config: LoadedConfig,
    /// The fleet.
    pub fleet: Fleet,
    /// Milliseconds spent loading files and building the fleet.
    pub timings_ms: [(&'static str, f64); 2],
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Load everything a run needs.
///
/// # Errors
/// An unreadable root or mapped path, an invalid config or `--source`, or an unknown
/// `--cluster`.
pub fn load(opts: &LoadOptions) -> Result<Session, LoadError> {
    let started = Instant::now();
    let config = load_config(&opts.root, opts.config.as_deref())?;
    let mut mappings = Vec::new();
    for s in &opts.sources {
        mappings.push(SourceMapping::parse(s, Path::new(".")).map_err(LoadError::SourceArg)?);
    }
    let base = config.base_dir();
    for (key, path) in &config.config.sources {
        let text = format!("{key}={path}");
        let m = SourceMapping::parse(&text, &base).map_err(|error| LoadError::ConfigSource {
            file: config.path.clone().unwrap_or_else(|| PathBuf::from(".fleetlint.yaml")),
            error,
        })?;
        mappings.push(m);
    }
    let mut db = SourceDb::new();
    let root = load_tree(&mut db, &opts.root, None, &opts.limits)
        .map_err(|source| LoadError::Read { path: opts.root.clone(), source })?;
    let mut trees = vec![root];
    for m in &mappings {
        if !m.path.is_dir() {
            return Err(LoadError::NotADirectory { key: m.key_string(), path: m.path.clone() });
        }
        let tree = load_tree(&mut db, &m.path, Some(m.key_string().into()), &opts.limits)
            .map_err(|source| LoadError::Read { path: m.path.clone(), source })?;
        trees.push(tree);
    }
    let load_ms = ms(started);
    let fleet_started = Instant::now();
    let c = &config.config;
    let fleet_opts = FleetOptions {
        platform_namespaces: config.platform_namespaces(),
        tenants: c.tenants.clone(),
        preexisting_namespaces: c.preexisting.namespaces.clone(),
        cluster_globs: if opts.clusters.is_empty() { c.clusters.clone() } else { opts.clusters.clone() },
        only_cluster: opts.cluster.clone(),
        overrides: c.cluster_overrides.clone(),
        crd_providers: c.crd_providers.clone(),
    };
    let fleet = build_fleet(&db, &trees, &mappings, &fleet_opts)?;
    Ok(Session { db, trees, mappings, config, fleet, timings_ms: [("load", load_ms), ("graph", ms(fleet_started))] })
}
