//! fleetlint: the command line. Thin: parses flags, calls the library crates, picks the
//! reporter and the exit code (0 clean, 1 findings at or above `--fail-on`, 2 usage,
//! configuration, I/O or internal errors).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use fleetlint_fleet::session::{LoadOptions, Session, load};
use fleetlint_fleet::{Cluster, SourceResolution};
use fleetlint_report::{
    ClusterSummary, EdgeReason, FluxVersion, GraphCluster, GraphEdge, GraphInput, GraphNode, GraphScope, Lockdown,
    ReportInput, graph_dot, graph_json, graph_mermaid, human, json,
};
use fleetlint_rules::{Severity, all_rules, rule_by_code};
use fleetlint_yaml::{Limits, SourceDb, load_tree};

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
    Rules,
}

/// What to load: shared by `check` and `graph`.
#[derive(clap::Args)]
struct FleetArgs {
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
    fn load(&self) -> Result<Session, String> {
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
struct GraphArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
    Json,
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

#[derive(clap::Args)]
struct BuildArgs {
    /// The directory with a kustomization file.
    dir: PathBuf,
    /// The repository root: paths may reach anywhere below it, never above (default: the
    /// enclosing git work tree, else DIR itself).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Append `# file:line` after each line, naming the text that wrote the value.
    #[arg(long)]
    origin: bool,
    /// Build DIR as kustomize-controller builds a Flux Kustomization path: a kustomization is
    /// generated when DIR has none (every `.yaml`/`.yml` below it, stopping at directories with
    /// their own kustomization; files excluded by `.sourceignore` left out).
    #[arg(long)]
    flux: bool,
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

fn build(args: &BuildArgs) -> Result<u8, String> {
    let dir = args.dir.canonicalize().map_err(|e| format!("cannot read {}: {e}", args.dir.display()))?;
    let root = match &args.root {
        Some(r) => r.canonicalize().map_err(|e| format!("cannot read {}: {e}", r.display()))?,
        None => dir.ancestors().find(|d| d.join(".git").exists()).unwrap_or(&dir).to_path_buf(),
    };
    let rel = dir.strip_prefix(&root).map_err(|_| format!("{} is not inside {}", dir.display(), root.display()))?;
    let rel = fleetlint_yaml::source::relative_slash_path(std::path::Path::new(""), rel);
    let mut db = SourceDb::new();
    let tree = load_tree(&mut db, &root, None, &Limits::default())
        .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
    let resolver = fleetlint_kustomize::Resolver::new(&tree, &db);
    if args.flux {
        let view = fleetlint_fleet::artifact::TreeView::new(&tree, &db);
        // Problems of the generated kustomization point at the first file of DIR.
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        let first = tree.files.iter().find(|f| db.get(f.id).path.starts_with(&prefix));
        let Some(first) = first else {
            let _ = writeln!(std::io::stderr(), "error: {}: kustomization path not found", args.dir.display());
            return Ok(1);
        };
        let spec = fleetlint_yaml::Node::map(fleetlint_yaml::Span::empty(first.id, 0));
        let output = fleetlint_fleet::fluxbuild::build(&resolver, &view, &rel, &spec);
        return print_build(&db, &output, args.origin);
    }
    if resolver.kustomization_file(&rel).is_none() {
        // kustomize fails the build here too, so this is exit 1, not a usage error.
        let _ = writeln!(
            std::io::stderr(),
            "error: {}: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization'",
            args.dir.display()
        );
        return Ok(1);
    }
    let output = resolver.build(&rel);
    print_build(&db, &output, args.origin)
}

/// Findings on stderr, objects on stdout unless the build fails (exit 1, as kustomize).
fn print_build(db: &SourceDb, output: &fleetlint_kustomize::BuildOutput, origin: bool) -> Result<u8, String> {
    let mut stderr = String::new();
    for issue in &output.issues {
        let file = db.get(issue.span.file);
        let at = file.line_col(issue.span.start);
        let level = if issue.fatal { "error" } else { "warning" };
        stderr.push_str(&format!("{level}: {}:{}:{}: {}\n", file.path, at.line, at.column, issue.message));
    }
    let _ = std::io::stderr().write_all(stderr.as_bytes());
    if output.fails() {
        return Ok(1);
    }
    write_stdout(&fleetlint_kustomize::to_yaml(&output.resources, origin.then_some(db)))?;
    Ok(0)
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

fn graph(args: &GraphArgs) -> Result<u8, String> {
    let session = args.fleet.load()?;
    let input = GraphInput { clusters: session.fleet.clusters.iter().map(|c| graph_cluster(&session, c)).collect() };
    let text = match args.format {
        GraphFormat::Mermaid => graph_mermaid(&input),
        GraphFormat::Dot => graph_dot(&input),
        GraphFormat::Json => graph_json(&input),
    };
    write_stdout(&text)?;
    Ok(0)
}

/// The Flux objects of a cluster and their edges: `renders` from a Kustomization to the Flux
/// objects it rendered, `dependsOn` to same-kind dependencies, `source` from a consumer to its
/// source.
fn graph_cluster(session: &Session, c: &Cluster) -> GraphCluster {
    let flux: Vec<usize> = (0..c.objects.len()).filter(|&i| c.objects[i].flux_kind().is_some()).collect();
    let mut nodes = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for &i in &flux {
        let o = &c.objects[i];
        let id = o.id();
        if !ids.insert(id.clone()) {
            continue;
        }
        let (file, line) = if o.synthesized {
            (None, None)
        } else {
            let f = session.db.get(o.root.span.file);
            (Some(f.path.clone()), Some(f.line_col(o.root.span.start).line))
        };
        let opaque = c.kustomization_of(i).is_some_and(|k| k.source == SourceResolution::Unmapped);
        nodes.push(GraphNode {
            id,
            kind: o.kind().to_string(),
            api_version: Some(o.api_version().to_string()),
            namespace: o.namespace().to_string(),
            name: o.name().to_string(),
            tenant: o.tenant.clone(),
            scope: Some(match o.scope {
                fleetlint_fleet::Scope::Tenant => GraphScope::Tenant,
                fleetlint_fleet::Scope::Platform => GraphScope::Platform,
            }),
            opaque,
            file,
            line,
        });
    }
    let mut edges = Vec::new();
    let mut push = |from: String, to: String, reason: EdgeReason| {
        if ids.contains(&to) && !edges.iter().any(|e: &GraphEdge| e.from == from && e.to == to && e.reason == reason) {
            edges.push(GraphEdge { from, to, reason });
        }
    };
    for &i in &flux {
        let o = &c.objects[i];
        let id = o.id();
        if let Some(owner) = o.owner.map(|p| c.objects[p].id()).filter(|p| *p != id) {
            push(owner, id.clone(), EdgeReason::Renders);
        }
        let ns = o.namespace();
        for dep in o.root.get_path(&["spec", "dependsOn"]).and_then(fleetlint_yaml::Node::as_seq).unwrap_or_default() {
            let name = dep.get("name").and_then(fleetlint_yaml::Node::as_str).unwrap_or("");
            let dns = dep.get("namespace").and_then(fleetlint_yaml::Node::as_str).unwrap_or(ns);
            push(id.clone(), format!("{}/{dns}/{name}", o.kind()), EdgeReason::DependsOn);
        }
        let refs = [&["spec", "sourceRef"][..], &["spec", "chart", "spec", "sourceRef"][..], &["spec", "chartRef"][..]];
        for path in refs {
            let Some(r) = o.root.get_path(path) else { continue };
            let kind = r.get("kind").and_then(fleetlint_yaml::Node::as_str).unwrap_or("");
            let name = r.get("name").and_then(fleetlint_yaml::Node::as_str).unwrap_or("");
            let rns = r.get("namespace").and_then(fleetlint_yaml::Node::as_str).unwrap_or(ns);
            push(id.clone(), format!("{kind}/{rns}/{name}"), EdgeReason::Source);
        }
    }
    GraphCluster { name: c.name.clone(), path: c.path.clone(), nodes, edges }
}

fn explain(code: &str) -> Result<u8, String> {
    let rule = rule_by_code(code).ok_or_else(|| format!("no rule with code `{code}` (see `fleetlint rules`)"))?;
    let m = rule.meta();
    write_stdout(&format!(
        "# {} {}\n\ncategory: {}, default severity: {}\n\n{}",
        m.code,
        m.name,
        m.category.as_str(),
        m.default_severity.as_str(),
        m.doc
    ))?;
    Ok(0)
}

fn list_rules() -> Result<u8, String> {
    let mut out = String::new();
    let mut rules: Vec<_> = all_rules().to_vec();
    rules.sort_by_key(|r| r.meta().code);
    for r in rules {
        let m = r.meta();
        out.push_str(&format!("{}  {:<40} {:<8} {}\n", m.code, m.name, m.default_severity.as_str(), m.summary()));
    }
    write_stdout(&out)?;
    Ok(0)
}

fn write_stdout(text: &str) -> Result<(), String> {
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
