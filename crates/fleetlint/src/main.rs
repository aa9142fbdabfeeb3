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
use fleetlint_rules::{Category, CheckOutcome, Severity, catalog, rule_by_code};
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
    /// List every rule (`docs/rules.md` has their documentation).
    Rules,
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
    // A bug must still end with exit 2 and one line on stderr, never a raw backtrace dump;
    // RUST_BACKTRACE asks for the standard report (with the backtrace) instead.
    if std::env::var_os("RUST_BACKTRACE").is_none_or(|v| v.is_empty() || v == "0") {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            let reason = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let reason = reason.lines().next().unwrap_or("");
            let _ = writeln!(std::io::stderr(), "fleetlint: internal error (FLT001){at}: {reason}");
        }));
    }
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => check(&args),
        Command::Build(args) => build(&args),
        Command::Graph(args) => graph(&args),
        Command::Explain { code } => explain(&code),
        Command::Rules => list_rules(),
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
    let outcome = fleetlint_rules::check(&session);
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
    let code = exit_code(&outcome, args.fail_on);
    if code == 2 {
        let _ = writeln!(
            std::io::stderr(),
            "fleetlint: error: a rule failed with an internal error; the report lists it as FLT001 and is incomplete"
        );
    }
    Ok(code)
}

/// 2 when a rule failed (FLT001: the report is incomplete), else 1 when a finding is at or above
/// `--fail-on`, else 0.
fn exit_code(outcome: &CheckOutcome, fail_on: FailOn) -> u8 {
    if outcome.findings.iter().any(|f| f.rule.meta().category == Category::Internal) {
        return 2;
    }
    let failing = fail_on.threshold().is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    u8::from(failing)
}

fn summary(c: &Cluster) -> ClusterSummary {
    ClusterSummary {
        name: c.name.clone(),
        path: c.path.clone(),
        entry: c.entry.as_str(),
        flux_version: Some(FluxVersion { value: c.flux_version.value.clone(), from: c.flux_version.from.as_str() })
            .filter(|v| !v.value.is_empty()),
        lockdown: Lockdown {
            known: c.lockdown.known,
            no_cross_namespace_refs: c.lockdown.no_cross_namespace_refs,
            default_service_account: c.lockdown.default_service_account.clone(),
            no_remote_bases: c.lockdown.no_remote_bases,
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
    write_stdout(&rule.meta().markdown(1))?;
    Ok(0)
}

fn list_rules() -> Result<u8, String> {
    let mut out = String::new();
    for r in catalog() {
        let m = r.meta();
        out.push_str(&format!("{}  {:<40} {:<8} {}\n", m.code, m.name, m.default_severity.as_str(), m.summary()));
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

#[cfg(test)]
mod tests {
    use fleetlint_rules::context::FileContext;
    use fleetlint_rules::finding::Finding;
    use fleetlint_rules::{Rule, all_rules, check_with, declare_rule};

    use super::*;

    declare_rule! {
        /// ## What it does
        /// Panics on every file.
        struct Panicking {
            code: "TST001",
            name: "panicking",
            category: Category::Hygiene,
            severity: Severity::Info,
        }
    }

    impl Rule for Panicking {
        fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {
            panic!("injected");
        }
    }

    /// A rule's panic is an FLT001 finding in the report and exit status 2, whatever `--fail-on`
    /// says; without it the same fleet exits as `--fail-on` decides.
    #[test]
    fn a_panicking_rule_exits_2_with_flt001_in_the_report() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fleets/clean");
        let session = load(&LoadOptions { root: root.clone(), ..LoadOptions::default() }).unwrap();
        let rules: Vec<&dyn Rule> = all_rules().iter().copied().chain([&Panicking as &dyn Rule]).collect();
        let outcome = check_with(&session, &rules);
        assert_eq!(exit_code(&outcome, FailOn::None), 2);
        assert_eq!(exit_code(&fleetlint_rules::check(&session), FailOn::None), 0);
        let input = ReportInput {
            root: "clean",
            db: &session.db,
            outcome: &outcome,
            sources: &[],
            clusters: &[],
            objects: 0,
            elapsed_ms: 0.0,
            timings_ms: &[],
        };
        let report: serde_json::Value = serde_json::from_str(&json::render(&input)).unwrap();
        let internal: Vec<&serde_json::Value> =
            report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "FLT001").collect();
        assert!(!internal.is_empty());
        for f in internal {
            assert_eq!((f["name"].as_str(), f["category"].as_str()), (Some("internal-error"), Some("internal")));
            let message = f["message"].as_str().unwrap();
            assert!(message.starts_with("internal error in rule TST001 (panicking) while checking file "), "{message}");
            assert!(message.ends_with(": injected"), "{message}");
        }
    }
}
