//! fleetlint: the command line. Thin: parses flags, calls the library crates, picks the
//! reporter and the exit code (0 clean, 1 findings at or above `--fail-on`, 2 usage,
//! configuration, I/O or internal errors).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use fleetlint_fleet::Cluster;
use fleetlint_fleet::session::{LoadOptions, Session, load};
use fleetlint_report::{ClusterSummary, FluxVersion, Lockdown, ReportInput, human, json};
use fleetlint_rules::{Severity, all_rules, rule_by_code};
use fleetlint_yaml::Limits;

mod build;
mod graph;

use build::{BuildArgs, build};
use graph::{GraphArgs, graph};

#[derive(Parser)]
#[command(name = "fleetlint", version, about = "Policy-as-code linter for Flux GitOps fleet repositories")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a fleet repository and report findings.
    Check(CheckArgs),
    /// Print the resolved objects of a kustomize directory, as `kubectl kustomize` would.
    Build(BuildArgs),
    /// Print each cluster's Flux graph: Kustomizations, HelmReleases, sources and how they relate.
    Graph(GraphArgs),
    /// Print the documentation of a rule.
    Explain {
        /// The rule code, e.g. SRC010.
        code: String,
    },
    /// List every rule.
    Rules {
        /// `markdown` prints every rule's full documentation (the source of `docs/rules.md`).
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

/// What to load: shared by `check` and `graph`.
#[derive(clap::Args)]
pub(crate) struct FleetArgs {
    /// Repository root to walk.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Map a Flux source to a local checkout: `Kind/namespace/name=PATH` or `URL[@REF]=PATH`
    /// (repeatable; PATH relative to the current directory).
    #[arg(long = "source", value_name = "KEY=PATH")]
    sources: Vec<String>,
    /// Configuration file (default: `.fleetlint.yaml` in the root or a parent).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Cluster entry directories (glob, repeatable), instead of discovering them.
    #[arg(long = "clusters", value_name = "GLOB")]
    clusters: Vec<String>,
    /// Only this cluster.
    #[arg(long)]
    cluster: Option<String>,
}

impl FleetArgs {
    pub(crate) fn load(&self) -> Result<Session, String> {
        load(&LoadOptions {
            root: self.path.clone(),
            sources: self.sources.clone(),
            config: self.config.clone(),
            clusters: self.clusters.clone(),
            cluster: self.cluster.clone(),
            limits: Limits::default(),
        })
        .map_err(|e| e.to_string())
    }
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only findings: no summary, no progress.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Stage timings and skipped entries on standard error.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    None,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A bug must still end with exit 2 and one line on stderr, never a raw backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "fleetlint: internal error (FLT001): {info}");
    }));
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => check(&args),
        Command::Build(args) => build(&args),
        Command::Graph(args) => graph(&args),
        Command::Explain { code } => explain(&code),
        Command::Rules { format } => list_rules(format),
    })
    .unwrap_or_else(|_| Err("internal error; please report it with the input that caused it".into()));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "fleetlint: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &CheckArgs) -> Result<u8, String> {
    let started = Instant::now();
    let session = args.fleet.load()?;
    if args.verbose {
        for tree in &session.trees {
            for s in &tree.skipped {
                let _ = writeln!(std::io::stderr(), "fleetlint: skipped {}: {}", s.rel, s.reason);
            }
        }
    }
    let rules_started = Instant::now();
    let outcome = fleetlint_rules::check(&session.db, &session.trees, &session.fleet);
    let rules_ms = ms(rules_started);
    let [(_, load_ms), (_, graph_ms)] = session.timings_ms;
    let timings = [("load", load_ms), ("graph", graph_ms), ("rules", rules_ms)];
    let root = args.fleet.path.to_string_lossy();
    let sources: Vec<(String, String)> =
        session.mappings.iter().map(|m| (m.key_string(), m.path.to_string_lossy().into_owned())).collect();
    let clusters: Vec<ClusterSummary> = session.fleet.clusters.iter().map(summary).collect();
    let db = &session.db;
    let input = ReportInput {
        root: &root,
        db,
        outcome: &outcome,
        sources: &sources,
        clusters: &clusters,
        objects: outcome.objects,
        elapsed_ms: ms(started),
        timings_ms: &timings,
    };
    let to_file = args.output.is_some();
    let rendered = match args.format {
        Format::Json => json::render(&input),
        Format::Human => {
            let color = !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            human::render(&input, human::HumanOptions { color, quiet: args.quiet })
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered).map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => write_stdout(&rendered)?,
    }
    if args.verbose {
        let _ = writeln!(
            std::io::stderr(),
            "fleetlint: load {load_ms:.1} ms, graph {graph_ms:.1} ms, rules {rules_ms:.1} ms"
        );
    }
    let failing = args.fail_on.threshold().is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failing))
}

fn summary(c: &Cluster) -> ClusterSummary {
    let lockdown = c.controllers.lockdown();
    ClusterSummary {
        name: c.name.clone(),
        path: c.path.clone(),
        entry: c.entry.as_str(),
        flux_version: Some(FluxVersion { value: c.flux_version.value.clone(), from: c.flux_version.from.as_str() })
            .filter(|v| !v.value.is_empty()),
        lockdown: Lockdown {
            known: lockdown.known,
            no_cross_namespace_refs: lockdown.no_cross_namespace_refs,
            default_service_account: lockdown.default_service_account,
            no_remote_bases: lockdown.no_remote_bases,
        },
        tenants: c.tenants.keys().cloned().collect(),
        kustomizations: c.kustomization_count(),
        helmreleases: c.helmrelease_count(),
        objects: c.objects.len(),
        opaque: c.opaque_count(),
    }
}

fn explain(code: &str) -> Result<u8, String> {
    let rule = rule_by_code(code).ok_or_else(|| format!("no rule with code `{code}` (see `fleetlint rules`)"))?;
    let m = rule.meta();
    write_stdout(&format!(
        "# {} {}\n\ncategory: {}, default severity: {}\n\n{}\n",
        m.code,
        m.name,
        m.category.as_str(),
        m.default_severity.as_str(),
        m.doc_markdown()
    ))?;
    Ok(0)
}

fn list_rules(format: RulesFormat) -> Result<u8, String> {
    let mut out = String::new();
    let mut rules: Vec<_> = all_rules().to_vec();
    rules.sort_by_key(|r| r.meta().code);
    match format {
        RulesFormat::Text => {
            for r in rules {
                let m = r.meta();
                out.push_str(&format!(
                    "{}  {:<40} {:<8} {}\n",
                    m.code,
                    m.name,
                    m.default_severity.as_str(),
                    m.summary()
                ));
            }
        }
        RulesFormat::Markdown => {
            out.push_str("# fleetlint rules\n\nGenerated by `fleetlint rules --format markdown`; the same text as `fleetlint explain CODE`.\n");
            for r in rules {
                let m = r.meta();
                // Rule sections become level-3 headings under the rule's own level-2 heading.
                let doc = m.doc_markdown().replace("\n## ", "\n### ");
                let doc = doc.strip_prefix("## ").map_or(doc.clone(), |d| format!("### {d}"));
                out.push_str(&format!(
                    "\n## {} {}\n\ncategory: {}, default severity: {}\n\n{}\n",
                    m.code,
                    m.name,
                    m.category.as_str(),
                    m.default_severity.as_str(),
                    doc.trim_end()
                ));
            }
        }
    }
    write_stdout(&out)?;
    Ok(0)
}

pub(crate) fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`fleetlint check | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| format!("cannot write to standard output: {e}")),
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
