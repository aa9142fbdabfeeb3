//! `new-rule CODE name group`: everything adding a rule needs besides its logic. Writes the rule
//! file (a `declare_rule!` with the documentation skeleton and an empty check), declares it in
//! its group's `mod.rs`, lists it in the registry, and creates the fixture skeletons
//! `testdata/rules/<CODE>/{fail,pass}/`. The fixture test then fails until the rule reports what
//! the failing fixture's `# expect:` comment says, which is the author's next step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

/// What to scaffold.
#[derive(Clone, Debug)]
pub struct NewRule {
    /// `ABC123`: three capitals (the group's prefix) and three digits.
    pub code: String,
    /// kebab-case, naming the pattern (`tenant-foreign-namespace`).
    pub name: String,
    /// The rule folder under `crates/fleetlint-rules/src/rules/`, named `<prefix>_<subject>`
    /// (`iso_isolation`); created when the prefix is new.
    pub group: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
}

/// The files written or edited, relative to the root.
#[derive(Debug, Default)]
pub struct Scaffolded {
    /// New files.
    pub created: Vec<String>,
    /// Existing files edited.
    pub edited: Vec<String>,
}

const RULES_DIR: &str = "crates/fleetlint-rules/src/rules";
const REGISTRY: &str = "crates/fleetlint-rules/src/registry.rs";

/// The `Category` variant for a code prefix.
fn category(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "ISO" => "TenantIsolation",
        "XNS" => "CrossNamespace",
        "ORD" => "DependencyOrder",
        "SRC" => "SourceIntegrity",
        "API" => "ApiVersion",
        "HYG" => "Hygiene",
        "SCH" => "Schema",
        "POL" => "Policy",
        _ => return None,
    })
}

/// `tenant-foreign-namespace` -> `TenantForeignNamespace`.
fn struct_name(name: &str) -> String {
    name.split('-').map(|p| p[..1].to_ascii_uppercase() + &p[1..]).collect()
}

/// Scaffold `rule` in the repository at `root`.
///
/// # Errors
/// A malformed code, name, group or severity; a code or name already in use; a group whose
/// prefix is not the code's; unreadable or unwritable files.
pub fn new_rule(root: &Path, rule: &NewRule) -> Result<Scaffolded> {
    let code = rule.code.as_str();
    ensure!(
        code.len() == 6
            && code[..3].bytes().all(|b| b.is_ascii_uppercase())
            && code[3..].bytes().all(|b| b.is_ascii_digit()),
        "code `{code}` is not three capitals and three digits (e.g. HYG010)"
    );
    let prefix = &code[..3];
    let category =
        category(prefix).with_context(|| format!("no category for the prefix {prefix} (FLT is internal)"))?;
    let name = rule.name.as_str();
    ensure!(
        !name.is_empty()
            && name.split('-').all(|p| !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && p.as_bytes()[0].is_ascii_lowercase()),
        "name `{name}` is not kebab-case (e.g. tenant-foreign-namespace)"
    );
    let severity = match rule.severity.as_str() {
        "error" => "Error",
        "warning" => "Warning",
        "info" => "Info",
        s => bail!("severity `{s}` is not error, warning or info"),
    };
    let group = rule.group.as_str();
    let lower = prefix.to_ascii_lowercase();
    ensure!(
        group
            .strip_prefix(&lower)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')),
        "group `{group}` must be the rule folder `{lower}_<subject>` of {prefix} rules (e.g. {lower}_...)"
    );
    let rules_dir = root.join(RULES_DIR);
    if let Some(existing) = folder_of_prefix(&rules_dir, &lower)? {
        ensure!(existing == group, "{prefix} rules live in rules/{existing}, not rules/{group}");
    }
    let module = name.replace('-', "_");
    let ty = struct_name(name);
    for file in rust_files(&rules_dir)? {
        let text = std::fs::read_to_string(&file)?;
        ensure!(!text.contains(&format!("code: \"{code}\"")), "{code} is already declared in {}", file.display());
        ensure!(!text.contains(&format!("name: \"{name}\"")), "`{name}` is already a rule name ({})", file.display());
    }
    let fixtures = root.join("testdata/rules").join(code);
    ensure!(!fixtures.exists(), "{} already exists", fixtures.display());

    let mut done = Scaffolded::default();
    let group_dir = rules_dir.join(group);
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/");
    if !group_dir.is_dir() {
        std::fs::create_dir_all(&group_dir)?;
        let subject = group[4..].replace('_', " ");
        write_new(&group_dir.join("mod.rs"), &format!("//! {prefix}: {subject}.\n"), &mut done, &rel)?;
        edit(&rules_dir.join("mod.rs"), &mut done, &rel, |t| Ok(insert_mod(t, group)))?;
        edit(&root.join(REGISTRY), &mut done, &rel, |t| add_registry_import(t, group))?;
    }
    let file = group_dir.join(format!("{module}.rs"));
    write_new(&file, &rule_file(code, name, category, severity, &ty), &mut done, &rel)?;
    edit(&group_dir.join("mod.rs"), &mut done, &rel, |t| Ok(insert_mod(t, &module)))?;
    edit(&root.join(REGISTRY), &mut done, &rel, |t| add_registry_entry(t, group, &module, &ty))?;
    write_new(&fixtures.join("fail/fleet.yaml"), &fail_fixture(code), &mut done, &rel)?;
    write_new(&fixtures.join("pass/fleet.yaml"), &pass_fixture(code), &mut done, &rel)?;
    Ok(done)
}

/// Run rustfmt (with the repository's `rustfmt.toml`) over the Rust files `done` wrote or edited.
///
/// # Errors
/// When rustfmt cannot run or fails.
pub fn rustfmt(root: &Path, done: &Scaffolded) -> Result<()> {
    let files: Vec<PathBuf> =
        done.created.iter().chain(&done.edited).filter(|f| f.ends_with(".rs")).map(|f| root.join(f)).collect();
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&files)
        .current_dir(root)
        .status()
        .context("running rustfmt")?;
    ensure!(status.success(), "rustfmt failed on {files:?}");
    Ok(())
}

/// The existing rule folder of a prefix (`iso` -> `iso_isolation`).
fn folder_of_prefix(rules_dir: &Path, lower: &str) -> Result<Option<String>> {
    for entry in std::fs::read_dir(rules_dir).with_context(|| format!("reading {}", rules_dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.strip_prefix(lower).is_some_and(|r| r.starts_with('_')) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(out)
}

fn write_new(path: &Path, text: &str, done: &mut Scaffolded, rel: &dyn Fn(&Path) -> String) -> Result<()> {
    ensure!(!path.exists(), "{} already exists", path.display());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    done.created.push(rel(path));
    Ok(())
}

fn edit(
    path: &Path,
    done: &mut Scaffolded,
    rel: &dyn Fn(&Path) -> String,
    change: impl FnOnce(&str) -> Result<String>,
) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    std::fs::write(path, change(&text)?).with_context(|| format!("writing {}", path.display()))?;
    let r = rel(path);
    if !done.edited.contains(&r) {
        done.edited.push(r);
    }
    Ok(())
}

/// `pub(crate) mod <module>;` among the module declarations of a `mod.rs`, in name order
/// (`helpers` stays first).
fn insert_mod(text: &str, module: &str) -> String {
    let decl = format!("pub(crate) mod {module};");
    let lines: Vec<&str> = text.lines().collect();
    let mods: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("pub(crate) mod ") && lines[i] != "pub(crate) mod helpers;")
        .collect();
    let at = mods
        .iter()
        .copied()
        .find(|&i| lines[i] > decl.as_str())
        .or_else(|| mods.last().map(|&i| i + 1))
        .unwrap_or(lines.len());
    let mut out: Vec<&str> = lines[..at].to_vec();
    if mods.is_empty() && out.last().is_some_and(|l| !l.is_empty()) {
        out.push("");
    }
    out.push(&decl);
    out.extend_from_slice(&lines[at..]);
    out.join("\n") + "\n"
}

/// Add `group` to the registry's `use crate::rules::{...};`.
fn add_registry_import(text: &str, group: &str) -> Result<String> {
    let start = text.find("use crate::rules::{").context("the registry has no `use crate::rules::{...};`")?;
    let end = start + text[start..].find("};").context("unterminated `use crate::rules::{`")?;
    let inner = &text[start + "use crate::rules::{".len()..end];
    let mut groups: Vec<&str> = inner.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    groups.push(group);
    groups.sort_unstable();
    Ok(format!("{}use crate::rules::{{{}}};{}", &text[..start], groups.join(", "), &text[end + 2..]))
}

/// List the rule in `RULES`, after the last rule of its group (at the end for a new group).
fn add_registry_entry(text: &str, group: &str, module: &str, ty: &str) -> Result<String> {
    let entry = format!("    &{group}::{module}::{ty},");
    let start = text.find("static RULES").context("the registry has no `static RULES`")?;
    let end = start + text[start..].find("\n];").context("unterminated `static RULES`")?;
    let body = &text[start..end];
    let at = match body.rfind(&format!("    &{group}::")) {
        Some(i) => start + i + body[i..].find('\n').unwrap_or(body.len() - i),
        None => end,
    };
    Ok(format!("{}\n{entry}{}", &text[..at], &text[at..]))
}

fn rule_file(code: &str, name: &str, category: &str, severity: &str, ty: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{{Category, Finding, Severity}};
use crate::rule::Rule;

declare_rule! {{
    /// ## What it does
    /// Reports ... (one sentence: the first one is the summary `fleetlint rules` prints).
    ///
    /// ## Why is this bad?
    /// What Flux does with it, citing the upstream source (`owner/repo@sha:path` + function) or
    /// docs/flux-semantics.md.
    ///
    /// ## Example
    /// ```yaml
    /// # the smallest manifest that shows the problem
    /// ```
    ///
    /// ## Fix
    /// What to change.
    pub(crate) struct {ty} {{
        code: "{code}",
        name: "{name}",
        category: Category::{category},
        severity: Severity::{severity},
    }}
}}

impl Rule for {ty} {{
    // The stage the rule needs: check_file (a parsed file), check_build (a tree's kustomize
    // builds) or check_cluster (what Flux applies to one cluster).
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {{
        // Push `cx.about(Self::finding(span, message).with_help(..).with_field(..), object)`:
        // the span of the text that wrote the offending value (for an absent field, the nearest
        // existing ancestor key). A severity other than the default needs a `## Severity`
        // section in the doc above.
        let _ = (cx, out);
    }}
}}
"#
    );
    s
}

fn fail_fixture(code: &str) -> String {
    format!(
        "# The smallest repository where {code} reports: each line it must report carries an\n# `# expect: {code}` comment. Add clusters/, .fleetlint.yaml and more files as the rule needs.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example # expect: {code}\n  namespace: default\n"
    )
}

fn pass_fixture(code: &str) -> String {
    format!(
        "# The same repository with the problem fixed: {code} must report nothing here.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example\n  namespace: default\n"
    )
}
