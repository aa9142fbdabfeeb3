use std::collections::BTreeMap;

use super::helpers::naming::{describe, name_span, short_id};
use super::helpers::needs::{Item, crd_needs, evaluate, namespace_needs};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::{Avail, FluxGraph};

declare_rule! {
    /// ## What it does
    /// Reports a dependency whose readiness does not mean what the dependent needs:
    ///
    /// - something a Kustomization needs (the CRD of a kind it applies, per ORD003, or a
    ///   namespace, per ORD004) comes from a Kustomization it depends on only through a child
    ///   that this dependency applies without waiting for it: neither `wait: true` nor a
    ///   `healthChecks` entry naming the child. The finding points at the `wait` field (or
    ///   `spec`) of the Kustomization that does not wait;
    /// - a Kustomization or HelmRelease depends on one with `spec.suspend: true` (unless it is
    ///   suspended itself: then it is not reconciled and waits for nothing).
    ///
    /// ## Why is this bad?
    /// Without `wait` or health checks a Kustomization is Ready as soon as its objects are
    /// *applied*; a child Kustomization or HelmRelease it applies has not done anything yet, so
    /// the dependent starts before the CRDs or namespaces exist and fails its dry-run
    /// (fluxcd/flux2#1928, fluxcd/kustomize-controller#601). A suspended dependency never
    /// becomes Ready on a fresh cluster, and editing it while suspended blocks its dependents.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: infra-controllers, namespace: flux-system}
    /// spec:
    ///   path: ./infrastructure/controllers   # applies child Kustomizations that render CRDs
    ///   wait: false                          # dependents start before the CRDs exist
    /// ```
    ///
    /// ## Fix
    /// Set `wait: true` on the dependency (or list the child under `healthChecks`); resume or
    /// stop depending on a suspended object.
    pub(crate) struct DependencyReadinessNotMeaningful {
        code: "ORD005",
        name: "dependency-readiness-not-meaningful",
        category: Category::DependencyOrder,
        severity: Severity::Warning,
    }
}

impl Rule for DependencyReadinessNotMeaningful {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let g = cx.graph();
        not_waiting(cx, g, out);
        suspended(cx, g, out);
    }
}

/// A need broken by a step that does not wait: the dependency it goes through, a line for the
/// message, and where the need is.
type Use = (usize, String, fleetlint_yaml::Span);

fn not_waiting(cx: &ClusterContext<'_>, g: &FluxGraph<'_>, out: &mut Vec<Finding>) {
    let mut needs = crd_needs(g);
    needs.extend(namespace_needs(g, cx.scopes()));
    // One finding per step that does not wait, with every need it breaks.
    let mut by_step: BTreeMap<(usize, usize), Vec<Use>> = BTreeMap::new();
    for o in evaluate(g, needs) {
        let Avail::Indirect { via, parent, child } = o.avail else { continue };
        // A provider known only from ORD003's built-in table of charts is a guess (CRDs may be
        // installed before Flux, or the chart's CRDs turned off): not a readiness finding.
        if o.from_table {
            continue;
        }
        let what = match o.need.item {
            Item::Namespace(ns) => format!("namespace `{ns}`"),
            Item::Crd { group, kind } => format!("the CRD of `{kind}` ({group})"),
        };
        let line = format!("{} needs {what} from {}", short_id(g.object(o.need.consumer)), short_id(g.object(via)));
        by_step.entry((parent, child)).or_default().push((via, line, o.need.span));
    }
    for ((parent, child), uses) in by_step {
        let p = g.object(parent);
        if p.synthesized {
            continue;
        }
        let (via, first, _) = &uses[0];
        let more = if uses.len() > 1 { format!(" (and {} more)", uses.len() - 1) } else { String::new() };
        let through = if *via == parent { String::new() } else { format!(" (through {})", describe(g.object(*via))) };
        let message = format!(
            "{} is Ready before {} it applies has done its work, yet dependents rely on it{through}: {first}{more}; set `wait: true` or health-check it",
            describe(p),
            describe(g.object(child)),
        );
        let mut f = Finding::new(
            DependencyReadinessNotMeaningful::ID,
            p.flux().map_or(p.root.span, |f| f.span_of(&["wait"])),
            message,
        )
        .with_help(format!(
            "set `spec.wait: true` on {}, or add {} to its `spec.healthChecks`",
            describe(p),
            describe(g.object(child))
        ))
        .with_related(name_span(g.object(child)), "applied without waiting for it")
        .with_field(format!("spec.wait[{}]", g.object(child).id()));
        for (_, line, span) in &uses {
            f = f.with_related(*span, line.clone());
        }
        out.push(cx.about(f, parent));
    }
}

fn suspended(cx: &ClusterContext<'_>, g: &FluxGraph<'_>, out: &mut Vec<Finding>) {
    let mut by_target: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (d, dep) in g.deps.iter().enumerate() {
        let Some(t) = dep.target else { continue };
        // A suspended dependent is not reconciled at all, so it waits for nothing: the dependency
        // check runs inside reconcile, after the suspend check returns
        // (fluxcd/kustomize-controller@186fb3b:internal/controller/kustomization_controller.go
        // `Reconcile`: `if obj.Spec.Suspend { return }` before `checkDependencies`;
        // fluxcd/helm-controller@0f61a86:internal/controller/helmrelease_controller.go
        // `HelmReleaseReconciler.Reconcile`, the same order).
        if g.object(dep.from).flux().is_some_and(|f| f.suspended()) {
            continue;
        }
        let target = g.object(t);
        if !target.synthesized && target.flux().is_some_and(|f| f.suspended()) {
            by_target.entry(t).or_default().push(d);
        }
    }
    for (t, deps) in by_target {
        let target = g.object(t);
        let dependents: Vec<String> = deps.iter().map(|&d| short_id(g.object(g.deps[d].from))).collect();
        let message = format!(
            "{} is suspended, but {} depend{} on it: on a fresh cluster it never becomes Ready, and its dependents wait forever",
            describe(target),
            dependents.join(", "),
            if dependents.len() == 1 { "s" } else { "" },
        );
        let mut f = Finding::new(
            DependencyReadinessNotMeaningful::ID,
            target.flux().map_or(target.root.span, |f| f.span_of(&["suspend"])),
            message,
        )
        .with_help("resume it, or remove the dependsOn entries naming it")
        .with_field("spec.suspend");
        for &d in &deps {
            f = f.with_related(g.deps[d].entry.span, format!("{} depends on it", short_id(g.object(g.deps[d].from))));
        }
        out.push(cx.about(f, t));
    }
}
