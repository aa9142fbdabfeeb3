//! fleetlint-dev: the project's generator tool.
//!
//! ```text
//! cargo run -p fleetlint-dev -- gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check]
//! ```
//!
//! `SCHEMA_DIR` defaults to `../shared/k8s-schemas/v1.32.0-local-strict` and `FILE` to
//! `crates/fleetlint-kustomize/src/generated/merge_keys.rs`, both relative to the repository root.
//! `--check` compares instead of writing and fails when the committed file is stale.
//!
//! ```text
//! cargo run -p fleetlint-dev -- gen-fleet [--layout simple|reference] [--tenants N] [--clusters N]
//!                                         [--patches N] [--depth N] OUT
//! ```
//!
//! writes a generated fleet (see `fleetlint_dev::fleetgen`) into `OUT`, which must not exist
//! or be empty: 2,000 tenants, two clusters, the reference layout, one patch per tenant and
//! one overlay above each tenant's apps base by default.
//!
//! ```text
//! cargo run -p fleetlint-dev -- load-tree DIR
//! ```
//!
//! only walks and parses `DIR` (`fleetlint_yaml::load_tree`, what `fleetlint check` does before
//! resolving anything): the parse-only baseline a check is compared with, as a process of its
//! own so `/usr/bin/time -v` gives its wall time and peak memory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use fleetlint_dev::fleetgen::{FleetSpec, Layout, generate};
use fleetlint_dev::{DEFAULT_SCHEMAS, MERGE_KEYS_OUT, gen_merge_keys, repo_root};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("fleetlint-dev: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else {
        bail!("usage: fleetlint-dev gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check] | gen-fleet [OPTIONS] OUT")
    };
    match cmd.as_str() {
        "gen-merge-keys" => merge_keys(args),
        "gen-fleet" => gen_fleet(args),
        "load-tree" => load_tree(args),
        _ => bail!("unknown command `{cmd}` (known: gen-merge-keys, gen-fleet, load-tree)"),
    }
}

fn gen_fleet(mut args: impl Iterator<Item = String>) -> Result<()> {
    let mut spec = FleetSpec::new(Layout::Reference, 2000);
    let mut out: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> Result<usize> {
            let v = args.next().with_context(|| format!("{what} needs a value"))?;
            v.parse().with_context(|| format!("{what}: `{v}` is not a number"))
        };
        match a.as_str() {
            "--layout" => {
                let v = args.next().context("--layout needs a value")?;
                spec.layout = Layout::parse(&v).map_err(anyhow::Error::msg)?;
            }
            "--tenants" => spec.tenants = number("--tenants")?,
            "--clusters" => spec.clusters = number("--clusters")?,
            "--patches" => spec.patches = number("--patches")?,
            "--depth" => spec.depth = number("--depth")?,
            _ if out.is_none() && !a.starts_with("--") => out = Some(PathBuf::from(a)),
            _ => bail!("unexpected argument `{a}`"),
        }
    }
    let out = out.context("gen-fleet needs an output directory")?;
    if out.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!("{} is not empty", out.display());
    }
    generate(&out, &spec).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

fn load_tree(mut args: impl Iterator<Item = String>) -> Result<()> {
    let dir = PathBuf::from(args.next().context("load-tree needs a directory")?);
    let started = std::time::Instant::now();
    let mut db = fleetlint_yaml::SourceDb::new();
    let tree = fleetlint_yaml::load_tree(&mut db, &dir, None, &fleetlint_yaml::Limits::default())
        .with_context(|| format!("reading {}", dir.display()))?;
    let documents: usize = tree.files.iter().map(|f| f.yaml.documents.len()).sum();
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "fleetlint-dev: loaded {} files ({documents} documents) in {:.1} ms",
            tree.files.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

fn merge_keys(mut args: impl Iterator<Item = String>) -> Result<()> {
    let root = repo_root();
    let mut schemas: Option<PathBuf> = None;
    let mut out = root.join(MERGE_KEYS_OUT);
    let mut check = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--out" => out = PathBuf::from(args.next().context("--out needs a file")?),
            _ if schemas.is_none() => schemas = Some(PathBuf::from(a)),
            _ => bail!("unexpected argument `{a}`"),
        }
    }
    let schemas = schemas.unwrap_or_else(|| root.join(DEFAULT_SCHEMAS));
    let label = schemas.file_name().map_or_else(|| schemas.display().to_string(), |n| n.to_string_lossy().into_owned());
    let text = gen_merge_keys(&schemas, &label)?;
    if check {
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        if current != text {
            bail!("{} is stale; run `cargo run -p fleetlint-dev -- gen-merge-keys`", out.display());
        }
        return Ok(());
    }
    std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
