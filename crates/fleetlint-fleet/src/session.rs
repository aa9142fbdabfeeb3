//! One run's inputs, loaded the same way by every command and by the tests: the configuration,
//! the checked tree, the tree of every source mapping, the fleet built from them, and what the
//! builds reached and reported per tree. The rule engine only reads a session.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fleetlint_yaml::{FileDb, Limits, LoadedTree, load_tree};

use crate::builds::{TreeBuilds, skipped_files, with_flux_builds};
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
    pub db: FileDb,
    /// The checked tree first, then one per mapping.
    pub trees: Vec<LoadedTree>,
    /// Source mappings in effect (command line first, then the config file).
    pub mappings: Vec<SourceMapping>,
    /// The configuration.
    pub config: LoadedConfig,
    /// The fleet.
    pub fleet: Fleet,
    /// Per tree (in tree order): its kustomize builds, with the files the Flux builds reached and
    /// the Flux build issues located in it (each issue once).
    pub builds: Vec<TreeBuilds>,
    /// Files that could not be used (invalid YAML, unreadable) and that no build reaches.
    pub skipped_files: usize,
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
    let mut db = FileDb::new();
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
    let mut fleet = build_fleet(&db, &trees, &mappings, &fleet_opts)?;
    fleet.preexisting_objects.clone_from(&c.preexisting.objects);
    let tree_builds = std::mem::take(&mut fleet.tree_builds);
    let builds = with_flux_builds(&db, &trees, &fleet, tree_builds);
    let skipped_files = skipped_files(&trees, &builds);
    let timings_ms = [("load", load_ms), ("graph", ms(fleet_started))];
    Ok(Session { db, trees, mappings, config, fleet, builds, skipped_files, timings_ms })
}

impl Session {
    /// YAML files read.
    #[must_use]
    pub fn files(&self) -> usize {
        self.trees.iter().map(|t| t.files.len()).sum()
    }

    /// YAML documents read.
    #[must_use]
    pub fn documents(&self) -> usize {
        self.trees.iter().map(LoadedTree::document_count).sum()
    }

    /// Objects rendered: those Flux applies to the clusters, or, without clusters, those the
    /// kustomize builds of the trees produce.
    #[must_use]
    pub fn objects(&self) -> usize {
        if self.fleet.clusters.is_empty() {
            self.builds.iter().map(|b| b.objects).sum()
        } else {
            self.fleet.clusters.iter().map(|c| c.objects.len()).sum()
        }
    }
}
