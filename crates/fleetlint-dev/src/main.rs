//! fleetlint-dev: the project's generator tool.
//!
//! ```text
//! cargo run -p fleetlint-dev -- gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check]
//! cargo run -p fleetlint-dev -- new-rule CODE NAME GROUP [--severity error|warning|info]
//! cargo run -p fleetlint-dev -- gen-docs [--check]
//! cargo run -p fleetlint-dev -- gen-fleet [--layout simple|reference] [--tenants N] [--clusters N]
//!                                         [--patches N] [--depth N] OUT
//! cargo run -p fleetlint-dev -- load-tree DIR
//! cargo run -p fleetlint-dev -- gen-config-schema
//! cargo run -p fleetlint-dev -- gen-schemas [--check]
//! ```
//!
//! `gen-merge-keys`: `SCHEMA_DIR` defaults to `../shared/k8s-schemas/v1.32.0-local-strict` and
//! `FILE` to `crates/fleetlint-kustomize/src/generated/merge_keys.rs`, both relative to the
//! repository root. `--check` compares instead of writing and fails when the committed file is
//! stale.
//!
//! `new-rule HYG010 some-pattern hyg_hygiene` writes the rule file, its registration and the
//! fixture skeletons (see [`fleetlint_dev::scaffold`]). `gen-docs` writes `docs/rules.md` and the
//! README's rule table from the rule declarations; run it after adding or documenting a rule.
//!
//! `gen-schemas` writes `schemas/flux/` and `schemas/kubernetes/` from `../shared/flux-crds` and
//! `../shared/k8s-schemas` (see [`fleetlint_dev::schemas`]).
//!
//! `gen-fleet` writes a generated fleet (`fleetlint_testkit::fleetgen`) into `OUT`, which must
//! not exist or be empty: by default 2,000 tenants in the reference multi-tenancy layout, two
//! clusters, one patch per tenant and one overlay above each tenant's apps base. `load-tree`
//! only walks and parses `DIR` (`fleetlint_yaml::load_tree`, what `fleetlint check` does before
//! resolving anything): the parse-only baseline a check is compared with, as a process of its
//! own so `/usr/bin/time -v` gives its wall time and peak memory (`scripts/scale-bench.sh`).

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write as _;

use anyhow::{Context, Result, bail};
use fleetlint_dev::scaffold::{self, NewRule};
use fleetlint_dev::schemas::{gen_schemas, stale_files, write_schemas};
use fleetlint_dev::{DEFAULT_SCHEMAS, MERGE_KEYS_OUT, docs, gen_merge_keys, repo_root};
use fleetlint_testkit::fleetgen::{FleetSpec, Layout, generate};

/// mimalloc instead of the system allocator: builds allocate and free millions of small nodes
/// from several threads, and glibc's malloc and free were a quarter of a large check's
/// instructions (callgrind, issue 13). `fleetlint-dev load-tree`, the parse-only baseline of the
/// scale benchmark, uses the same allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

const USAGE: &str = "usage: fleetlint-dev gen-merge-keys [SCHEMA_DIR] [--out FILE] [--check]
       fleetlint-dev new-rule CODE NAME GROUP [--severity error|warning|info]
       fleetlint-dev gen-docs [--check]
       fleetlint-dev gen-fleet [--layout simple|reference] [--tenants N] [--clusters N] [--patches N] [--depth N] OUT
       fleetlint-dev load-tree DIR
       fleetlint-dev gen-config-schema
       fleetlint-dev gen-schemas [--check]";

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else { bail!("{USAGE}") };
    match cmd.as_str() {
        "gen-merge-keys" => merge_keys(args),
        "new-rule" => new_rule(args),
        "gen-docs" => gen_docs(args),
        "gen-fleet" => gen_fleet(args),
        "load-tree" => load_tree(args),
        "gen-config-schema" => {
            // The JSON Schema of `.fleetlint.yaml`, from the configuration types.
            let path = repo_root().join("schemas/config.schema.json");
            std::fs::write(&path, fleetlint_fleet::config_schema())
                .with_context(|| format!("writing {}", path.display()))
        }
        "gen-schemas" => schemas(args),
        _ => bail!("unknown command `{cmd}`\n{USAGE}"),
    }
}

fn new_rule(args: impl Iterator<Item = String>) -> Result<()> {
    let mut positional = Vec::new();
    let mut severity = "warning".to_string();
    let mut args = args;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--severity" => severity = args.next().context("--severity needs error, warning or info")?,
            _ => positional.push(a),
        }
    }
    let [code, name, group] = <[String; 3]>::try_from(positional).map_err(|_| anyhow::anyhow!("{USAGE}"))?;
    let rule = NewRule { code, name, group, severity };
    let done = scaffold::new_rule(&repo_root(), &rule)?;
    scaffold::rustfmt(&repo_root(), &done)?;
    let mut out = String::new();
    for f in &done.created {
        out.push_str(&format!("created {f}\n"));
    }
    for f in &done.edited {
        out.push_str(&format!("edited  {f}\n"));
    }
    out.push_str(&format!(
        "next: write the check and the doc, make testdata/rules/{0}/fail report what its `# expect: {0}` comments say \
         (cargo test -p fleetlint-rules --test rules), then `cargo run -p fleetlint-dev -- gen-docs` and \
         `INSTA_UPDATE=always cargo test -p fleetlint-report --test fixture_snapshots`\n",
        rule.code
    ));
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

fn gen_docs(args: impl Iterator<Item = String>) -> Result<()> {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            _ => bail!("unexpected argument `{a}`"),
        }
    }
    let root = repo_root();
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).context("reading README.md")?;
    let outputs =
        [(root.join(docs::RULES_MD), docs::rules_md()), (readme_path, docs::readme_with_rule_table(&readme)?)];
    for (path, text) in outputs {
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != text {
                bail!("{} is stale; run `cargo run -p fleetlint-dev -- gen-docs`", path.display());
            }
        } else {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
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
            _ => bail!("unexpected argument `{a}`\n{USAGE}"),
        }
    }
    let out = out.with_context(|| format!("gen-fleet needs an output directory\n{USAGE}"))?;
    if out.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!("{} is not empty", out.display());
    }
    generate(&out, &spec).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

fn load_tree(mut args: impl Iterator<Item = String>) -> Result<()> {
    let dir = PathBuf::from(args.next().with_context(|| format!("load-tree needs a directory\n{USAGE}"))?);
    let started = std::time::Instant::now();
    let mut db = fleetlint_yaml::FileDb::new();
    let tree = fleetlint_yaml::load_tree(&mut db, &dir, None, &fleetlint_yaml::Limits::default())
        .with_context(|| format!("reading {}", dir.display()))?;
    let documents: usize = tree.files.iter().map(|f| f.yaml.documents.len()).sum();
    let line = format!(
        "fleetlint-dev: loaded {} files ({documents} documents) in {:.1} ms\n",
        tree.files.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    std::io::stderr().write_all(line.as_bytes())?;
    Ok(())
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
