use fleetlint_fleet::Scope;
use fleetlint_yaml::FluxKind;

use super::helpers::{objects_of, worth_an_info};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a Kustomization or HelmRelease whose `spec.dependsOn[].namespace` names another
    /// namespace. Warning when the object is in tenant scope and the namespace is not its
    /// tenant's (another tenant's, the platform's, or nobody's); info otherwise, in clusters
    /// with tenants only (in a single-team cluster ordering across namespaces is ordinary).
    /// Lockdown does not change this: `--no-cross-namespace-refs` does not cover `dependsOn`.
    ///
    /// ## Why is this bad?
    /// It works even under lockdown, which surprises admins who assume the flag confines it. It
    /// couples a tenant's rollout to another namespace's object (which that namespace's owner
    /// can stall, rename or delete — a dangling dependency waits forever), and a `readyExpr` can
    /// read fields of that foreign object through `dep`.
    ///
    /// ## Severity
    /// `warning` for a dependency in another namespace; `info` for one that names its own namespace
    /// explicitly (only in clusters with tenants).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   dependsOn: [{name: database, namespace: team-b}]
    /// ```
    ///
    /// ## Fix
    /// Depend on objects in the same namespace; if the ordering across teams is real, let the
    /// platform express it (a platform Kustomization that depends on both).
    pub(crate) struct DependsonCrossNamespace {
        code: "XNS007",
        name: "dependson-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Warning,
    }
}

impl Rule for DependsonCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for kind in [FluxKind::Kustomization, FluxKind::HelmRelease] {
            for (i, o, flux) in objects_of(cx, kind) {
                for (n, dep) in flux.depends_on().iter().enumerate() {
                    let Some((node, ns)) = dep.cross_namespace() else { continue };
                    let name = dep.name();
                    let owner = cx.cluster.tenant_of_namespace(ns);
                    let foreign = o.scope == Scope::Tenant && (owner.is_none() || owner != o.tenant.as_deref());
                    let whose = match owner {
                        _ if cx.cluster.is_platform_namespace(ns) => "the platform's namespace".to_string(),
                        Some(t) if Some(t) == o.tenant.as_deref() => "a namespace of the same tenant".to_string(),
                        Some(t) => format!("tenant {t}'s namespace"),
                        None => "a namespace no tenant owns".to_string(),
                    };
                    let mut message = format!(
                        "spec.dependsOn[{n}] waits for {}/{ns}/{name} in {whose}: not blocked by lockdown (--no-cross-namespace-refs does not cover dependsOn)",
                        o.kind()
                    );
                    if dep.get("readyExpr").is_some() {
                        message.push_str(", and its readyExpr reads that object's fields");
                    }
                    let severity = if foreign { Severity::Warning } else { Severity::Info };
                    if severity == Severity::Info && !worth_an_info(cx) {
                        continue;
                    }
                    let f = Finding::new(Self::ID, node.span, message)
                        .with_severity(severity)
                        .with_help(
                            "depend on objects in the same namespace, or let a platform Kustomization order the two",
                        )
                        .with_field(format!("spec.dependsOn[{n}].namespace"));
                    out.push(cx.about(f, i));
                }
            }
        }
    }
}
