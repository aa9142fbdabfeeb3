//! fleetlint policies (`policies/README.md`) as rules loaded at run time: the built-in pack
//! (POL100-POL899, embedded in the binary) and the directories a repository names in
//! `.fleetlint.yaml` (`policies:`). Each policy becomes a rule of its own, with a [`RuleId`]
//! made by [`RuleId::loaded`], so it is selected, listed, explained and described in SARIF like
//! a built-in one. Not a rule file: the policies declare themselves.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use fleetlint_policy::{Context, LoadOptions, Origin, Policy, builtin_pack, duplicate_codes, load_file};
use fleetlint_yaml::{FileDb, FileId, FluxKind, Node, TextFile};

use crate::context::ClusterContext;
use crate::finding::{Category, Finding, PolicyRef, Scope, Severity};
use crate::rule::{Declared, Rule, RuleId, RuleMeta};

/// Code prefixes of fleetlint's own rules: a user's policy may not take them.
const RESERVED_PREFIXES: &[&str] = &["API", "HYG", "ISO", "ORD", "SRC", "XNS", "SCH", "POL", "FLT"];

/// The built-in policy whose findings ISO008 already makes for Secrets a tenant's remote-cluster
/// `kubeConfig.secretRef` names.
const KUBECONFIG_SECRET_POLICY: &str = "POL105";

/// One fleetlint policy as a rule.
#[derive(Debug)]
pub struct PolicyRule {
    id: RuleId,
    policy: Policy,
}

fn severity(s: fleetlint_policy::Severity) -> Severity {
    match s {
        fleetlint_policy::Severity::Error => Severity::Error,
        fleetlint_policy::Severity::Warning => Severity::Warning,
        fleetlint_policy::Severity::Info => Severity::Info,
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The rule documentation of a policy: its description's `### ` sections one level up under
/// `## What it does`, and its `help` as the fix.
fn doc(policy: &Policy) -> String {
    let body: Vec<String> = policy
        .description
        .lines()
        .map(|l| l.strip_prefix("### ").map_or_else(|| l.to_string(), |rest| format!("## {rest}")))
        .collect();
    let mut doc = format!("## What it does\n{}\n", body.join("\n").trim_end());
    if !doc.contains("## Example") {
        doc.push_str("\n## Example\nSee the policy file.\n");
    }
    let fix = policy.help.clone().unwrap_or_else(|| "Change the object to satisfy the policy.".to_string());
    doc.push_str(&format!("\n## Fix\n{fix}\n"));
    let origin = match policy.origin {
        Origin::BuiltIn => "a fleetlint policy of the built-in pack (`policies/`)".to_string(),
        Origin::User => "a fleetlint policy of this repository".to_string(),
    };
    doc.push_str(&format!("\n## Source\nThis rule is {origin}; `policies/README.md` documents the format.\n"));
    doc
}

impl PolicyRule {
    fn new(policy: Policy) -> Self {
        let meta = RuleMeta {
            code: leak(policy.code.clone()),
            name: leak(policy.name.clone()),
            category: Category::Policy,
            default_severity: severity(policy.severity),
            doc: leak(doc(&policy)),
        };
        Self { id: RuleId::loaded(meta), policy }
    }
}

impl Declared for PolicyRule {
    fn meta(&self) -> &'static RuleMeta {
        self.id.meta()
    }
}

/// Secrets (`namespace/name`) that a tenant Kustomization or HelmRelease names in
/// `spec.kubeConfig.secretRef`: ISO008 reports that setup.
fn tenant_kubeconfig_secrets(cx: &ClusterContext<'_>) -> Vec<String> {
    cx.cluster
        .objects
        .iter()
        .filter(|o| o.scope == Scope::Tenant)
        .filter(|o| matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::HelmRelease)))
        .filter_map(|o| {
            let name = o.root.get_path(&["spec", "kubeConfig", "secretRef", "name"]).and_then(Node::as_str)?;
            Some(format!("{}/{name}", o.namespace()))
        })
        .collect()
}

impl Rule for PolicyRule {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let skipped =
            if self.policy.code == KUBECONFIG_SECRET_POLICY { tenant_kubeconfig_secrets(cx) } else { Vec::new() };
        let mut seen = std::collections::HashSet::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || (o.kind() == "Secret" && skipped.contains(&format!("{}/{}", o.namespace(), o.name()))) {
                continue;
            }
            let ctx = Context {
                cluster: &cx.cluster.name,
                scope: match o.scope {
                    Scope::Tenant => fleetlint_policy::Scope::Tenant,
                    Scope::Platform => fleetlint_policy::Scope::Platform,
                },
                tenant: o.tenant.as_deref(),
                owner: o.owner_id(),
            };
            for v in self.policy.check(&o.root, &ctx) {
                if !seen.insert((v.span, v.message.clone())) {
                    continue;
                }
                let mut f =
                    Finding::new(self.id, v.span, v.message).with_field(v.path.to_string()).with_policy(PolicyRef {
                        engine: "fleetlint",
                        kind: "FleetlintPolicy".to_string(),
                        namespace: None,
                        name: self.policy.name.clone(),
                        rule: Some(self.policy.code.clone()),
                        action: None,
                    });
                if let Some(h) = &self.policy.help {
                    f = f.with_help(h.clone());
                }
                out.push(cx.about(f, i));
            }
        }
    }
}

/// The built-in pack, loaded once per process.
#[must_use]
pub fn builtin_policies() -> &'static [&'static dyn Rule] {
    static RULES: OnceLock<Vec<&'static dyn Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        // The pack's files are not in any file database: the spans of its own text are never
        // reported (findings point into the fleet), and its tests prove it loads.
        let policies = builtin_pack(FileId::SYNTHETIC.0 - 64).unwrap_or_else(|errors| {
            let first = errors.first().map_or_else(String::new, |e| e.message.clone());
            panic!("the built-in policy pack does not load: {first}")
        });
        policies.into_iter().map(|p| &*Box::leak(Box::new(PolicyRule::new(p))) as &'static dyn Rule).collect()
    })
}

/// A problem of a user's policy file, at its position.
#[derive(Clone, Debug)]
pub struct PolicyLoadError {
    /// `path:line:column: message`.
    pub message: String,
}

impl std::fmt::Display for PolicyLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Load the policies of the user's directories (`*.yaml`/`*.yml` files, not recursive), their
/// texts added to `db` so findings and errors can point into them. A code used twice, by a
/// built-in rule or by another policy, and every format problem are errors.
///
/// # Errors
/// Every problem found, each with `path:line:column`.
pub fn load_user_policies(
    db: &mut FileDb,
    root: &Path,
    dirs: &[std::path::PathBuf],
) -> Result<Vec<&'static dyn Rule>, Vec<PolicyLoadError>> {
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    let mut files: Vec<FileId> = Vec::new();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(PolicyLoadError { message: format!("policies: cannot read {}: {e}", dir.display()) });
                continue;
            }
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(PolicyLoadError { message: format!("policies: cannot read {}: {e}", path.display()) });
                    continue;
                }
            };
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = fleetlint_yaml::relpath::relative_slash_path(Path::new(""), rel);
            let id = db.add(TextFile::new(rel, None, path.clone(), Arc::from(text.as_str())));
            files.push(id);
            let (p, e) = load_file(id, &text, Origin::User, &LoadOptions { reserved_prefixes: RESERVED_PREFIXES });
            policies.extend(p);
            errors.extend(e.into_iter().map(|e| positioned(db, &e)));
        }
    }
    errors.extend(duplicate_codes(&policies).iter().map(|e| positioned(db, e)));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(policies.into_iter().map(|p| &*Box::leak(Box::new(PolicyRule::new(p))) as &'static dyn Rule).collect())
}

fn positioned(db: &FileDb, e: &fleetlint_policy::LoadError) -> PolicyLoadError {
    let file = db.get(e.span.file);
    let at = file.line_col(e.span.start);
    PolicyLoadError { message: format!("{}:{}:{}: {}", file.disk_path.display(), at.line, at.column, e.message) }
}
