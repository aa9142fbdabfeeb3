//! fleetlint: the command line. Thin: parses flags, calls the library crates, picks the
//! reporter and the exit code (0 clean, 1 findings at or above `--fail-on`, 2 usage,
//! configuration, I/O or internal errors).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use fleetlint_fleet::Cluster;
use fleetlint_fleet::{LoadOptions, Session, load};
use fleetlint_report::{ClusterSummary, FluxVersion, FoundBy, Lockdown};
use fleetlint_rules::{catalog, rule_by_code};
use fleetlint_yaml::Limits;

mod build;
mod check;
mod discovery;
mod graph;
mod init;
mod new_since;
mod progress;

use build::{BuildArgs, build};
use check::{CheckArgs, check};
use graph::{GraphArgs, graph};
use init::{InitArgs, init};

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
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// List every rule (`docs/rules.md` has their documentation), with the repository's own
    /// policies when its `.fleetlint.yaml` names them.
    Rules {
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Write a commented `.fleetlint.yaml` for the repository: its clusters, tenants and the
    /// sources to map.
    Init(InitArgs),
}

/// Where the repository's own policies are found: `rules` and `explain` list and explain them.
#[derive(clap::Args)]
pub(crate) struct PolicyArgs {
    /// Repository whose `.fleetlint.yaml` (in it or a parent) names policy directories.
    #[arg(long, value_name = "PATH", default_value = ".")]
    root: PathBuf,
    /// Configuration file (default: `.fleetlint.yaml` in the root or a parent).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl PolicyArgs {
    /// The built-in rules and the policies the configuration names, sorted by code.
    fn rules(&self) -> Result<Vec<fleetlint_rules::RuleId>, String> {
        let config = fleetlint_fleet::load_config(&self.root, self.config.as_deref()).map_err(|e| e.to_string())?;
        let mut ids = catalog();
        if !config.config.policies.is_empty() {
            let base = config.base_dir();
            let dirs: Vec<PathBuf> = config.config.policies.iter().map(|d| base.join(d)).collect();
            let mut db = fleetlint_yaml::FileDb::new();
            let loaded = fleetlint_rules::load_user_policies(&mut db, &self.root, &dirs).map_err(|errors| {
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nfleetlint: error: ")
            })?;
            ids.extend(loaded.iter().map(|r| r.id()));
            ids.sort();
        }
        Ok(ids)
    }
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
        self.load_at(&self.path)
    }

    /// Load with these options, the repository read from `root` instead of `path`
    /// (`--new-since` checks a copy of the repository at REF).
    pub(crate) fn load_at(&self, root: &std::path::Path) -> Result<Session, String> {
        load(&LoadOptions {
            root: root.to_path_buf(),
            sources: self.sources.clone(),
            config: self.config.clone(),
            clusters: self.clusters.clone(),
            cluster: self.cluster.clone(),
            limits: Limits::default(),
        })
        .map_err(|e| e.to_string())
    }
}

/// mimalloc instead of the system allocator: builds allocate and free millions of small nodes
/// from several threads, and glibc's malloc and free were a quarter of a large check's
/// instructions (callgrind, issue 13). `fleetlint-dev load-tree`, the parse-only baseline of the
/// scale benchmark, uses the same allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Explain { code, policies } => explain(&code, &policies),
        Command::Rules { policies } => list_rules(&policies),
        Command::Init(args) => init(&args),
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

pub(crate) fn summary(session: &Session, c: &Cluster) -> ClusterSummary {
    let lockdown = c.controllers.lockdown();
    let span = c.found_by.span;
    let found_by =
        (span.file != fleetlint_yaml::FileId::SYNTHETIC && (span.file.0 as usize) < session.db.len()).then(|| {
            let file = session.db.get(span.file);
            let line = (span.start > 0 || span.end > 0).then(|| file.line_col(span.start).line);
            FoundBy { file: file.path.clone(), line, reason: discovery::found_by(&c.found_by.reason) }
        });
    ClusterSummary {
        name: c.name.clone(),
        path: c.path.clone(),
        entry: c.entry.as_str(),
        found_by,
        source_root: c.source_root.clone(),
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

fn explain(code: &str, policies: &PolicyArgs) -> Result<u8, String> {
    let rule = match rule_by_code(code) {
        Some(rule) => rule,
        None => policies
            .rules()?
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| format!("no rule with code `{code}` (see `fleetlint rules`)"))?,
    };
    write_stdout(&rule.meta().markdown(1))?;
    Ok(0)
}

fn list_rules(policies: &PolicyArgs) -> Result<u8, String> {
    let mut out = String::new();
    for r in policies.rules()? {
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

pub(crate) fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use fleetlint_rules::context::FileContext;
    use fleetlint_rules::finding::Finding;
    use fleetlint_rules::{Rule, check_with, declare_rule};

    use super::*;
    use crate::check::{FailOn, exit_code};
    use fleetlint_report::{ReportInput, json};
    use fleetlint_rules::{Category, Severity};

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
        let rules: Vec<&dyn Rule> =
            fleetlint_rules::builtin_checks().into_iter().chain([&Panicking as &dyn Rule]).collect();
        let outcome = check_with(&session, &rules);
        assert_eq!(exit_code(&outcome, FailOn::None), 2);
        assert_eq!(exit_code(&fleetlint_rules::check(&session), FailOn::None), 0);
        let input = ReportInput {
            root: "clean",
            db: &session.db,
            outcome: &outcome,
            sources: &[],
            clusters: &[],
            rejected: &[],
            objects: 0,
            elapsed_ms: 0.0,
            timings_ms: &[],
            rules: &[],
            repo_paths: &fleetlint_report::RepoPaths::default(),
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
