//! `fleetlint build`: the objects kustomize (or, with `--flux`, kustomize-controller) would
//! produce for a directory, optionally with the file:line that wrote each line.

use std::io::Write;
use std::path::PathBuf;

use fleetlint_yaml::{FileDb, Limits, load_tree};

use crate::write_stdout;

#[derive(clap::Args)]
pub(crate) struct BuildArgs {
    /// The directory with a kustomization file (with `--kustomization`: the repository root,
    /// default `.`).
    #[arg(required_unless_present = "kustomization")]
    dir: Option<PathBuf>,
    /// The repository root: paths may reach anywhere below it, never above; a resource above it
    /// fails the build (default: the enclosing git work tree, else the current directory when DIR
    /// is below it, else DIR itself).
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
    /// Print what the Flux Kustomization `NAMESPACE/NAME` of the fleet applies: its path built
    /// from its source with its build options, then post-build substitution (implies `--flux`).
    #[arg(long, value_name = "NAMESPACE/NAME")]
    kustomization: Option<String>,
    /// With `--kustomization`: map a Flux source to a local checkout (repeatable).
    #[arg(long = "source", value_name = "KEY=PATH", requires = "kustomization")]
    sources: Vec<String>,
    /// With `--kustomization`: the cluster to take it from (default: the first that has it).
    #[arg(long, requires = "kustomization")]
    cluster: Option<String>,
}

pub(crate) fn build(args: &BuildArgs) -> Result<u8, String> {
    if let Some(id) = &args.kustomization {
        return build_flux_kustomization(args, id);
    }
    let arg_dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = arg_dir.canonicalize().map_err(|e| format!("cannot read {}: {e}", arg_dir.display()))?;
    let root = match &args.root {
        Some(r) => r.canonicalize().map_err(|e| format!("cannot read {}: {e}", r.display()))?,
        None => default_root(&dir),
    };
    let rel = dir.strip_prefix(&root).map_err(|_| format!("{} is not inside {}", dir.display(), root.display()))?;
    let rel = fleetlint_yaml::relpath::relative_slash_path(std::path::Path::new(""), rel);
    let mut db = FileDb::new();
    let tree = load_tree(&mut db, &root, None, &Limits::default())
        .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
    let resolver = fleetlint_kustomize::Resolver::new(&tree, &db);
    if args.flux {
        let view = fleetlint_fleet::TreeView::new(&tree, &db);
        // Problems of the generated kustomization point at the first file of DIR.
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        let first = tree.files.iter().find(|f| db.get(f.id).path.starts_with(&prefix));
        let Some(first) = first else {
            let _ = writeln!(std::io::stderr(), "error: {}: kustomization path not found", arg_dir.display());
            return Ok(1);
        };
        let spec = fleetlint_yaml::Node::map(fleetlint_yaml::Span::empty(first.id, 0));
        let output = fleetlint_fleet::build_flux_path(&resolver, &view, &rel, &spec);
        return print_build(&db, &output, args.origin);
    }
    if resolver.kustomization_file(&rel).is_none() {
        // kustomize fails the build here too, so this is exit 1, not a usage error.
        let _ = writeln!(
            std::io::stderr(),
            "error: {}: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization'",
            arg_dir.display()
        );
        return Ok(1);
    }
    let output = resolver.build(&rel);
    print_build(&db, &output, args.origin)
}

/// The root of a build of `dir` (canonical) without `--root`: the enclosing git work tree, else
/// the current directory when `dir` is below it, else `dir`.
fn default_root(dir: &std::path::Path) -> PathBuf {
    if let Some(git) = dir.ancestors().find(|d| d.join(".git").exists()) {
        return git.to_path_buf();
    }
    match std::env::current_dir().and_then(|c| c.canonicalize()) {
        Ok(cwd) if dir.starts_with(&cwd) => cwd,
        _ => dir.to_path_buf(),
    }
}

/// Findings on stderr, objects on stdout unless the build fails (exit 1, as kustomize).
fn print_build(db: &FileDb, output: &fleetlint_kustomize::BuildOutput, origin: bool) -> Result<u8, String> {
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

/// What a Flux Kustomization of the fleet applies, as the fleet model resolved it.
fn build_flux_kustomization(args: &BuildArgs, id: &str) -> Result<u8, String> {
    let (namespace, name) =
        id.split_once('/').ok_or_else(|| format!("--kustomization {id}: expected NAMESPACE/NAME"))?;
    let session = fleetlint_fleet::load(&fleetlint_fleet::LoadOptions {
        root: args.dir.clone().or_else(|| args.root.clone()).unwrap_or_else(|| PathBuf::from(".")),
        sources: args.sources.clone(),
        cluster: args.cluster.clone(),
        ..fleetlint_fleet::LoadOptions::default()
    })
    .map_err(|e| e.to_string())?;
    let wanted = format!("Kustomization/{namespace}/{name}");
    let found = session.fleet.clusters.iter().find_map(|c| {
        let i = c
            .objects
            .iter()
            .position(|o| o.flux_kind() == Some(fleetlint_yaml::FluxKind::Kustomization) && o.id() == wanted)?;
        Some((c, c.kustomization_of(i)?))
    });
    let Some((cluster, node)) = found else {
        return Err(format!("no Flux Kustomization {namespace}/{name} in any cluster of the repository"));
    };
    let db = &session.db;
    let mut stderr = String::new();
    let say = |level: &str, span: fleetlint_yaml::Span, message: &str, out: &mut String| {
        let file = db.get(span.file);
        let at = file.line_col(span.start);
        let path = file.mapping.as_deref().map_or_else(|| file.path.clone(), |s| format!("{s}:{}", file.path));
        out.push_str(&format!("{level}: {path}:{}:{}: {message}\n", at.line, at.column));
    };
    for issue in cluster.issues.iter().filter(|i| i.object == Some(node.object)) {
        let Some((_, severity, message)) = fleetlint_rules::describe_fleet_issue(issue, cluster) else { continue };
        let level = if severity == fleetlint_rules::Severity::Error { "error" } else { "info" };
        say(level, issue.span, &message, &mut stderr);
    }
    let _ = std::io::stderr().write_all(stderr.as_bytes());
    if !node.built {
        let _ = writeln!(std::io::stderr(), "error: {wanted} in cluster {} was not built", cluster.name);
        return Ok(1);
    }
    let roots = node.rendered.iter().map(|&i| &cluster.objects[i].root);
    write_stdout(&fleetlint_kustomize::nodes_to_yaml(roots, args.origin.then_some(db)))?;
    Ok(0)
}
