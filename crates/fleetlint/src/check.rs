//! `fleetlint check`: load, select rules, check, leave out what a baseline or `--new-since REF`
//! already had, write the main report and every `--report`, and decide the exit status.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::ValueEnum;

use fleetlint_fleet::Session;
use fleetlint_fleet::{FailOnName, SeverityName};
use fleetlint_report::github::GithubOptions;
use fleetlint_report::{
    ClusterSummary, RejectedRoot, RepoPaths, ReportInput, baseline, github, gitlab, human, json, junit, sarif,
};
use fleetlint_rules::{
    Category, CheckOutcome, Rule, RuleId, Selection, SelectionSettings, Severity, builtin_checks, catalog,
};

use crate::progress::Progress;
use crate::{FleetArgs, ms, summary, write_stdout};

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) fleet: FleetArgs,
    /// Output format of the main report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// More reports from the same run, `FORMAT=FILE` (repeatable), e.g. `--report sarif=fleetlint.sarif`.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    reports: Vec<(Format, PathBuf)>,
    /// Exit 1 when a finding at or above this severity remains (default: the configuration's
    /// `failOn`, else error).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Run only these rules (code, code prefix, name, group or ALL; comma-separated, repeatable);
    /// replaces the configuration's `select` and `extendSelect`.
    #[arg(long, value_name = "SELECTOR", value_delimiter = ',')]
    select: Vec<String>,
    /// Do not run these rules (comma-separated, repeatable); added to the configuration's `ignore`.
    #[arg(long, value_name = "SELECTOR", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Leave out findings recorded in this baseline file (matched by fingerprint).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the findings of this run as a baseline file, then exit 0 (2 on an internal error).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report only findings that are new since git REF (a commit, branch or tag), and HYG004
    /// for destructive changes; REF is read from the repository's objects, the working tree is
    /// not touched.
    #[arg(long, value_name = "REF")]
    new_since: Option<String>,
    /// Write the main report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only findings: no summary, no progress.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Stage timings and skipped entries on standard error.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    Gitlab,
}

fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s.split_once('=').ok_or_else(|| format!("`{s}` is not FORMAT=FILE"))?;
    let format = Format::from_str(format, true)
        .map_err(|_| format!("unknown report format `{format}` (human, json, sarif, github, junit, gitlab)"))?;
    if file.is_empty() {
        return Err(format!("`{s}` names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
    Info,
    None,
}

impl FailOn {
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

fn severity(s: SeverityName) -> Severity {
    match s {
        SeverityName::Error => Severity::Error,
        SeverityName::Warning => Severity::Warning,
        SeverityName::Info => Severity::Info,
    }
}

/// The selection in force: the configuration's, with `--select` replacing `select` and
/// `extendSelect`, and `--ignore` added to `ignore`.
fn selection(args: &CheckArgs, session: &Session, user_rules: &[&dyn Rule]) -> Result<Selection, String> {
    let c = &session.config.config;
    let settings = SelectionSettings {
        select: if args.select.is_empty() { c.select.clone() } else { Some(args.select.clone()) },
        extend_select: if args.select.is_empty() { c.extend_select.clone() } else { Vec::new() },
        ignore: c.ignore.iter().chain(&args.ignore).cloned().collect(),
        severity: c.severity.iter().map(|(k, v)| (k.clone(), severity(*v))).collect(),
        per_file_ignores: c.per_file_ignores.clone(),
    };
    let from = |e: String| match (&session.config.path, args.select.is_empty() && args.ignore.is_empty()) {
        (Some(p), true) => format!("{}: {e}", p.display()),
        _ => e,
    };
    let mut known = catalog();
    known.extend(user_rules.iter().map(|r| r.id()));
    Selection::new(&settings, &known).map_err(from)
}

/// The policies of the directories the configuration names (`policies:`), as rules; their
/// files join the session's file database so findings and errors point into them.
pub(crate) fn user_policies(session: &mut Session) -> Result<Vec<&'static dyn Rule>, String> {
    if session.config.config.policies.is_empty() {
        return Ok(Vec::new());
    }
    let base = session.config.base_dir();
    let dirs: Vec<PathBuf> = session.config.config.policies.iter().map(|d| base.join(d)).collect();
    let root = session.trees.first().map(|t| t.root.clone()).unwrap_or_default();
    fleetlint_rules::load_user_policies(&mut session.db, &root, &dirs)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nfleetlint: error: "))
}

/// SCH003's code: its infos are shown with `--verbose` or when selected by code.
const SCHEMA_UNKNOWN_KIND: &str = "SCH003";

fn explicitly_selected(args: &CheckArgs, session: &Session, code: &str) -> bool {
    let c = &session.config.config;
    let named = |list: &[String]| list.iter().any(|s| s.eq_ignore_ascii_case(code));
    named(&args.select) || c.select.as_deref().is_some_and(named) || named(&c.extend_select)
}

fn fail_on(args: &CheckArgs, session: &Session) -> FailOn {
    args.fail_on.unwrap_or(match session.config.config.fail_on {
        Some(FailOnName::Error) | None => FailOn::Error,
        Some(FailOnName::Warning) => FailOn::Warning,
        Some(FailOnName::Info) => FailOn::Info,
        Some(FailOnName::None) => FailOn::None,
    })
}

/// Everything the reporters read besides the outcome.
struct Rendering<'a> {
    root: String,
    sources: Vec<(String, String)>,
    clusters: Vec<ClusterSummary>,
    rejected: Vec<RejectedRoot>,
    rules: Vec<RuleId>,
    repo_paths: RepoPaths,
    session: &'a Session,
}

impl Rendering<'_> {
    fn input<'a>(
        &'a self,
        outcome: &'a CheckOutcome,
        elapsed_ms: f64,
        timings: &'a [(&'static str, f64)],
    ) -> ReportInput<'a> {
        ReportInput {
            root: &self.root,
            db: &self.session.db,
            outcome,
            sources: &self.sources,
            clusters: &self.clusters,
            rejected: &self.rejected,
            objects: outcome.objects,
            elapsed_ms,
            timings_ms: timings,
            rules: &self.rules,
            repo_paths: &self.repo_paths,
        }
    }
}

fn render(format: Format, input: &ReportInput<'_>, color: bool, quiet: bool, full_report: Option<&str>) -> String {
    render_with(format, input, HumanFlags { color, quiet, verbose: false }, full_report)
}

/// What the human report shows besides findings.
#[derive(Clone, Copy)]
struct HumanFlags {
    color: bool,
    quiet: bool,
    verbose: bool,
}

fn render_with(format: Format, input: &ReportInput<'_>, flags: HumanFlags, full_report: Option<&str>) -> String {
    let HumanFlags { color, quiet, verbose } = flags;
    match format {
        Format::Json => json::render(input),
        Format::Human => human::render(input, human::HumanOptions { color, quiet, verbose }),
        Format::Sarif => sarif::render(input),
        Format::Github => github::render(input, GithubOptions { full_report }),
        Format::Junit => junit::render(input),
        Format::Gitlab => gitlab::render(input),
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn check(args: &CheckArgs) -> Result<u8, String> {
    let started = Instant::now();
    // The rule catalog loads the built-in policy pack (parsing its YAML and compiling a JSON
    // Schema, which builds the meta-schema validator): about a sixth of a small repository's
    // instructions, which ran on the main thread after the fleet had loaded. Loading it on
    // another thread meanwhile takes it off the critical path (issue 13); `selection` waits for
    // it if it is not done. Nothing is printed from there, so the output does not change.
    std::thread::spawn(|| drop(catalog()));
    let progress = Progress::new(args.quiet);
    progress.stage("loading and resolving the fleet");
    let mut session = args.fleet.load()?;
    let user_rules = user_policies(&mut session)?;
    let session = session;
    if args.verbose {
        for tree in &session.trees {
            for s in &tree.skipped {
                let _ = writeln!(std::io::stderr(), "fleetlint: skipped {}: {}", s.rel, s.reason);
            }
        }
    }
    let selection = selection(args, &session, &user_rules)?;
    let fail_on = fail_on(args, &session);
    let known_baseline = match &args.baseline {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
            Some(baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    progress.stage("checking");
    let rules_started = Instant::now();
    let rules: Vec<&dyn Rule> = builtin_checks().into_iter().chain(user_rules.iter().copied()).collect();
    let mut outcome = fleetlint_rules::check_selected(&session, &rules, &selection);
    if !args.verbose && !explicitly_selected(args, &session, SCHEMA_UNKNOWN_KIND) {
        // Kinds without a schema are counted in the summary; listed only when asked for.
        outcome.findings.retain(|f| f.rule.code() != SCHEMA_UNKNOWN_KIND);
    }
    let rules_ms = ms(rules_started);
    let [(_, load_ms), (_, graph_ms)] = session.timings_ms;
    let mut timings = vec![("load", load_ms), ("graph", graph_ms), ("rules", rules_ms)];
    let rendering = Rendering {
        root: args.fleet.path.to_string_lossy().into_owned(),
        sources: session.mappings.iter().map(|m| (m.key_string(), m.path.to_string_lossy().into_owned())).collect(),
        clusters: session.fleet.clusters.iter().map(|c| summary(&session, c)).collect(),
        rejected: session
            .fleet
            .rejected
            .iter()
            .map(|r| RejectedRoot { path: r.path.clone(), reason: crate::discovery::rejected(&r.reason) })
            .collect(),
        rules: selection.rules().to_vec(),
        repo_paths: RepoPaths::new(
            &RepoPaths::find_repo_root(&args.fleet.path),
            session.trees.iter().map(|t| (t.mapping.as_deref(), t.root.as_path())),
        ),
        session: &session,
    };
    if let Some(path) = &args.write_baseline {
        write_file(path, &baseline::render(&rendering.input(&outcome, ms(started), &timings)))?;
        progress.finish();
        let _ = writeln!(
            std::io::stderr(),
            "fleetlint: wrote {} findings to the baseline {}",
            outcome.findings.len(),
            path.display()
        );
        return Ok(if internal_error(&outcome) { 2 } else { 0 });
    }
    if let Some(known) = &known_baseline {
        outcome.drop_known(known);
    }
    if let Some(reference) = &args.new_since {
        progress.stage(&format!("checking the repository as it was at {reference}"));
        let diff_started = Instant::now();
        crate::new_since::apply(&args.fleet, reference, &selection, &rules, &session, &mut outcome)?;
        timings.push(("new_since", ms(diff_started)));
    }
    progress.finish();
    let input = rendering.input(&outcome, ms(started), &timings);
    // The full report a GitHub annotation summary points at: the first other report written.
    let full_report =
        args.reports.iter().find(|(f, _)| *f != Format::Github).map(|(_, p)| p.display().to_string()).or_else(|| {
            args.output.as_ref().filter(|_| args.format != Format::Github).map(|p| p.display().to_string())
        });
    let to_file = args.output.is_some();
    let color =
        !to_file && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let flags = HumanFlags { color, quiet: args.quiet, verbose: args.verbose };
    let main = render_with(args.format, &input, flags, full_report.as_deref());
    for (format, path) in &args.reports {
        write_file(path, &render(*format, &input, false, args.quiet, full_report.as_deref()))?;
    }
    match &args.output {
        Some(path) => write_file(path, &main)?,
        None => write_stdout(&main)?,
    }
    if args.verbose {
        let _ = writeln!(
            std::io::stderr(),
            "fleetlint: load {load_ms:.1} ms, graph {graph_ms:.1} ms, rules {rules_ms:.1} ms"
        );
    }
    let code = exit_code(&outcome, fail_on);
    if code == 2 {
        let _ = writeln!(
            std::io::stderr(),
            "fleetlint: error: a rule failed with an internal error; the report lists it as FLT001 and is incomplete"
        );
    }
    // The process exits next; freeing every parsed and rendered node one by one would add a
    // twentieth to a large check (a 2,000-tenant fleet: ~0.2 s of frees on one thread).
    drop(rendering);
    std::mem::forget(session);
    Ok(code)
}

fn internal_error(outcome: &CheckOutcome) -> bool {
    outcome.findings.iter().any(|f| f.rule.meta().category == Category::Internal)
}

/// 2 when a rule failed (FLT001: the report is incomplete), else 1 when a finding is at or above
/// `--fail-on`, else 0.
pub(crate) fn exit_code(outcome: &CheckOutcome, fail_on: FailOn) -> u8 {
    if internal_error(outcome) {
        return 2;
    }
    let failing = fail_on.threshold().is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    u8::from(failing)
}
