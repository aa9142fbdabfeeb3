//! fleetlint-dev: the project's generator tool.
//!
//! ```text
//! cargo run -p fleetlint-dev -- gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check]
//! cargo run -p fleetlint-dev -- gen-schemas [--check]
//! ```
//!
//! `gen-merge-keys`: `SCHEMA_DIR` defaults to `../shared/k8s-schemas/v1.32.0-local-strict` and
//! `FILE` to `crates/fleetlint-kustomize/src/generated/merge_keys.rs`, both relative to the
//! repository root. `gen-schemas` writes `schemas/flux/` and `schemas/kubernetes/` from
//! `../shared/flux-crds` and `../shared/k8s-schemas`. `--check` compares instead of writing and
//! fails when a committed file is stale.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use fleetlint_dev::schemas::{gen_schemas, stale_files, write_schemas};
use fleetlint_dev::{DEFAULT_SCHEMAS, MERGE_KEYS_OUT, gen_merge_keys, repo_root};

const USAGE: &str = "usage: fleetlint-dev gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check] | gen-schemas [--check]";

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
    let Some(cmd) = args.next() else { bail!(USAGE) };
    match cmd.as_str() {
        "gen-merge-keys" => merge_keys(args),
        "gen-schemas" => schemas(args),
        _ => bail!("unknown command `{cmd}` (known: gen-merge-keys, gen-schemas)"),
    }
}

fn schemas(args: impl Iterator<Item = String>) -> Result<()> {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            _ => bail!("unexpected argument `{a}`\n{USAGE}"),
        }
    }
    let root = repo_root();
    let generated = gen_schemas(&root)?;
    if check {
        let stale = stale_files(&root, &generated);
        if !stale.is_empty() {
            bail!("stale: {}; run `cargo run -p fleetlint-dev -- gen-schemas`", stale.join(", "));
        }
        return Ok(());
    }
    write_schemas(&root, &generated)
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
