//! `fleetlint init`: a commented `.fleetlint.yaml` for the repository it finds, so a new user
//! starts from their own fleet: the clusters and tenants found, the sources whose contents
//! fleetlint cannot see (with the `sources:` lines to fill in), and the rule controls.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use fleetlint_fleet::CONFIG_FILE;
use fleetlint_fleet::Session;
use fleetlint_fleet::{Cluster, RenderedObject, SourceResolution};

use crate::{FleetArgs, write_stdout};

/// Where editors find the schema of the file.
pub(crate) const SCHEMA_URL: &str = "https://github.com/fleetlint/fleetlint/raw/main/schemas/config.schema.json";

#[derive(clap::Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// Replace an existing `.fleetlint.yaml`.
    #[arg(long)]
    force: bool,
    /// Print the file instead of writing it.
    #[arg(long)]
    stdout: bool,
}

/// A YAML scalar that reads back as the same string.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !s.starts_with(['-', '.'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
        );
    if plain { s.to_string() } else { format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")) }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| scalar(s)).collect::<Vec<_>>().join(", "))
}

/// Sources a Kustomization of `c` reads that are not mapped: key -> what the source object says.
fn unmapped(c: &Cluster, out: &mut BTreeMap<String, String>) {
    for k in c.kustomizations.iter().filter(|k| k.source == SourceResolution::Unmapped) {
        let ks = &c.objects[k.object];
        let sref = ks.flux().and_then(|f| f.source_ref());
        let kind = sref.map_or("GitRepository", |r| r.kind_or("GitRepository"));
        let name = sref.map_or("", |r| r.name());
        let ns = sref.map_or(ks.namespace(), |r| r.namespace);
        let key = format!("{kind}/{ns}/{name}");
        let source = c
            .objects
            .iter()
            .find(|o| o.kind() == kind && o.namespace() == ns && o.name() == name)
            .and_then(RenderedObject::flux);
        let mut about = source.and_then(|s| s.url()).unwrap_or_default().to_string();
        let reference = source.and_then(|s| s.reference());
        for r in ["branch", "tag", "semver", "commit", "name"] {
            if let Some(v) = reference.and_then(|f| f.str_at(&[r])) {
                about.push_str(&format!(" ({r} {v})"));
            }
        }
        let about =
            if about.is_empty() { format!("read by Kustomization {}/{}", ks.namespace(), ks.name()) } else { about };
        out.entry(key).or_insert(about);
    }
}

/// The file's text for `session`.
pub(crate) fn render(session: &Session) -> String {
    let mut s = String::new();
    s.push_str(&format!("# yaml-language-server: $schema={SCHEMA_URL}\n"));
    s.push_str("# fleetlint configuration, written by `fleetlint init` from what it found in this repository.\n");
    s.push_str("# Every key is optional; README.md and the schema above describe them.\n\n");
    let clusters = &session.fleet.clusters;
    if clusters.is_empty() {
        s.push_str("# No cluster was found. List the directories of your clusters' Flux entry points:\n");
        s.push_str("# clusters: [clusters/*]\n\n");
    } else {
        s.push_str("# Clusters found (discovered again on every run; `clusters:` globs replace discovery):\n");
        let width = clusters.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in clusters {
            s.push_str(&format!("#   {:<width$}  {} ({})\n", c.name, c.path, c.entry.as_str()));
        }
        s.push_str(&format!("# clusters: {}\n\n", list(&clusters.iter().map(|c| c.path.clone()).collect::<Vec<_>>())));
    }
    s.push_str("# Namespaces managed by the platform team.\n");
    s.push_str(&format!("platformNamespaces: {}\n\n", list(&session.config.platform_namespaces())));
    let mut tenants: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in clusters {
        for (name, t) in &c.tenants {
            let e = tenants.entry(name).or_default();
            for n in &t.namespaces {
                if !e.contains(n) {
                    e.push(n.clone());
                }
            }
        }
    }
    if tenants.is_empty() {
        s.push_str("# No tenant was found (namespaces labelled `toolkit.fluxcd.io/tenant`). Declare them:\n");
        s.push_str("# tenants:\n#   team-a: [team-a]\n\n");
    } else {
        s.push_str("# Tenants found, with their namespaces. Found again on every run; entries here add namespaces.\n");
        s.push_str("# tenants:\n");
        for (name, ns) in &tenants {
            s.push_str(&format!("#   {}: {}\n", scalar(name), list(ns)));
        }
        s.push('\n');
    }
    let mut missing = BTreeMap::new();
    for c in clusters {
        unmapped(c, &mut missing);
    }
    if missing.is_empty() {
        s.push_str("# Sources mapped to local checkouts (every source read here is this repository).\n");
        s.push_str("sources: {}\n\n");
    } else {
        s.push_str("# Sources fleetlint cannot see: what Flux builds from them is not checked (SRC012).\n");
        s.push_str("# Map each to a local checkout (path relative to this file) and uncomment it:\n");
        s.push_str("sources: {}\n");
        for (key, about) in &missing {
            s.push_str(&format!("#   {}: ../CHECKOUT    # {about}\n", scalar(key)));
        }
        s.push('\n');
    }
    s.push_str(
        "# Rules: by code (ISO001), prefix (ISO), name, group (tenant-isolation) or ALL; see `fleetlint rules`.\n",
    );
    s.push_str("# select: [ALL]\n# extendSelect: []\n# ignore: []\n# severity:\n#   HYG002: warning\n");
    s.push_str("# perFileIgnores:\n#   \"legacy/**\": [ISO]\n");
    s.push_str("# Exit 1 when a finding at or above this severity remains.\nfailOn: error\n");
    s
}

pub(crate) fn init(args: &InitArgs) -> Result<u8, String> {
    let target: PathBuf = args.fleet.path.join(CONFIG_FILE);
    if !args.stdout && target.exists() && !args.force {
        return Err(format!("{} exists; use --force to replace it or --stdout to print", target.display()));
    }
    let session = args.fleet.load()?;
    let text = render(&session);
    if args.stdout {
        write_stdout(&text)?;
    } else {
        std::fs::write(&target, &text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        let _ = writeln!(std::io::stderr(), "fleetlint: wrote {}", target.display());
    }
    Ok(0)
}
