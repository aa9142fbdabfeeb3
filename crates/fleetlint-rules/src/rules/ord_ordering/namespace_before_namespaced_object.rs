use fleetlint_yaml::FluxKind;

use super::helpers::charts::releases_rendering;
use super::helpers::naming::{describe, name_span, opacity_reason};
use super::helpers::needs::{Item, Outcome, evaluate, namespace_needs};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::{Avail, FluxGraph};

declare_rule! {
    /// ## What it does
    /// Reports a namespaced object applied by a Kustomization, or a HelmRelease
    /// `targetNamespace` (without `install.createNamespace`) or `storageNamespace`, whose
    /// namespace does not exist before it is applied. A namespace is in place when it
    /// pre-exists (`default`, `kube-system`, `kube-public`, `kube-node-lease`, `flux-system`,
    /// `preexisting.namespaces` of the configuration, and the namespaces the repository's
    /// bootstrap creates before Flux starts: a helmfile release's namespace, `kubectl create
    /// namespace` in a Taskfile bootstrap task; read, never run), when the same Kustomization renders
    /// it (Namespaces are applied in an earlier stage), when an ancestor renders it, or when a
    /// Kustomization or HelmRelease (with `install.createNamespace`) it transitively depends on
    /// creates it. One finding per Kustomization and namespace.
    ///
    /// When a Kustomization whose output is unknown (source not mapped, build failing, a remote
    /// resource left out of its build) may create the namespace before, nothing is reported.
    /// When no object in Git creates it, the namespace may still be created outside Git
    /// (Terraform, the tool that installed Flux), so the finding is an info, or a warning when
    /// `.fleetlint.yaml` lists `preexisting.namespaces` and this one is not among them; it names
    /// an opaque Kustomization that might create it. A namespace reached only through a child
    /// that nobody waits for is ORD005's.
    ///
    /// ## Why is this bad?
    /// kustomize-controller never creates namespaces: the dry-run fails with
    /// `namespaces "N" not found` and nothing of the Kustomization is applied. A HelmRelease
    /// fails its install the same way.
    ///
    /// ## Severity
    /// `error` when it deadlocks: the only creator is
    /// rendered by the failing Kustomization itself, which applies nothing while its dry-run
    /// fails. `warning` when a retry heals it: the creator is applied by another Kustomization
    /// that does not wait (siblings without `dependsOn`), so the first apply fails and a later
    /// one succeeds (issue 14 overrides the catalog here). `info` when nothing in Git creates the
    /// namespace (it may be created out of band), `warning` when the configuration declares
    /// `preexisting.namespaces` without it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: podinfo, namespace: flux-system}
    /// spec:
    ///   targetNamespace: podinfo     # no Namespace `podinfo` anywhere before it
    /// ```
    ///
    /// ## Fix
    /// Render the Namespace in the same Kustomization, or depend on the Kustomization that
    /// renders it; for a HelmRelease, set `install.createNamespace: true`. Namespaces created
    /// outside Git go under `preexisting.namespaces` in `.fleetlint.yaml`.
    pub(crate) struct NamespaceBeforeNamespacedObject {
        code: "ORD004",
        name: "namespace-before-namespaced-object",
        category: Category::DependencyOrder,
        severity: Severity::Error,
    }
}

impl Rule for NamespaceBeforeNamespacedObject {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let g = cx.graph();
        let opaque = g.opaque();
        for o in evaluate(g, namespace_needs(g, cx.scopes())) {
            if o.avail != Avail::No || o.maybe {
                continue;
            }
            // An opaque object cannot create the namespace it is itself applied in.
            let other = opaque.iter().copied().find(|&x| x != o.need.object);
            let mut f = finding(g, &o, other);
            if o.providers.is_empty() && other.is_none() {
                // A HelmRelease whose in-repo chart declares a Namespace may create it.
                if let Some(&x) = releases_rendering(cx, "Namespace").first() {
                    f.message.push_str(&format!(
                        " (unless {} creates it: its chart's templates declare a Namespace, and fleetlint does not \
                         render Helm charts)",
                        describe(g.object(x))
                    ));
                }
            }
            out.push(cx.about(f, o.need.object));
        }
    }
}

fn finding(g: &FluxGraph<'_>, o: &Outcome<'_>, opaque: Option<usize>) -> Finding {
    let Item::Namespace(ns) = o.need.item else { unreachable!("namespace needs only") };
    let consumer = g.object(o.need.consumer);
    let obj = g.object(o.need.object);
    let what = if o.need.consumer == o.need.object {
        let verb = if o.need.field == "spec.storageNamespace" { "stores its releases in" } else { "installs into" };
        format!("{} {verb} namespace `{ns}`, which does not exist before it", describe(obj))
    } else {
        format!("namespace `{ns}` does not exist before {} applies {}", describe(consumer), describe(obj))
    };
    let field = format!("{}[{ns}]", o.need.field);
    if let Some(&p) = o.providers.first() {
        let provider = g.object(p);
        let (by, help) = if provider.flux_kind() == Some(FluxKind::HelmRelease) {
            (format!("it is created by {} (install.createNamespace)", describe(provider)), describe(provider))
        } else {
            let renderer = g.parent[p].map_or_else(String::new, |r| describe(g.object(r)));
            (format!("Namespace `{ns}` is rendered by {renderer}"), renderer)
        };
        // Deadlock: the creator is rendered (at any depth) by the failing Kustomization itself,
        // which applies nothing while its dry-run fails (kustomize-controller applies a
        // revision all or nothing), so the namespace never comes. Otherwise the creator is
        // applied by a Kustomization reconciling on its own, and the failing one's next retry
        // (every `retryInterval`) succeeds: a delay, not a broken cluster (issue 14 item 10).
        let deadlock = g.ancestors(p).any(|a| a == o.need.consumer);
        let consequence = if deadlock {
            format!(
                "which is not applied before it, and never will be: {} fails before rendering it",
                describe(consumer)
            )
        } else {
            "which is not applied before it: the first apply fails and a retry succeeds once the namespace exists"
                .to_string()
        };
        let message = format!("{what}: {by}, {consequence} (\"namespaces \\\"{ns}\\\" not found\")");
        return Finding::new(NamespaceBeforeNamespacedObject::ID, o.need.span, message)
            .with_severity(if deadlock { Severity::Error } else { Severity::Warning })
            .with_help(format!("make {} depend on {help}, or render the Namespace in it", describe(consumer)))
            .with_related(name_span(provider), "where the namespace is created")
            .with_field(field);
    }
    let mut message =
        format!("{what}: no object in the cluster's graph creates it (\"namespaces \\\"{ns}\\\" not found\")");
    // Nothing in Git creates it: whether it exists depends on the cluster (Terraform, a cluster
    // API provider or the tool that installed Flux create namespaces out of band), which Git
    // cannot show, so it is never certain: an info, or a warning once the configuration lists the
    // namespaces created outside Git and this one is not among them (issue 14 items 6 and 10:
    // only the deadlock above, whose creator is in Git, is an error). Mapping more sources must
    // not raise it.
    let declared = g.cluster.preexisting_configured;
    let severity = if declared { Severity::Warning } else { Severity::Info };
    match opaque {
        Some(x) => {
            let why = opacity_reason(g.opacity(x));
            message.push_str(&format!(", unless {} does ({why}) or it is created outside Git", describe(g.object(x))));
        }
        None => message.push_str(", unless it is created outside Git"),
    }
    if declared {
        message.push_str("; it is not listed under `preexisting.namespaces`");
    }
    Finding::new(NamespaceBeforeNamespacedObject::ID, o.need.span, message).with_severity(severity)
        .with_help("render the Namespace in this Kustomization or one it depends on; if it is created outside Git, list it under `preexisting.namespaces` in .fleetlint.yaml")
        .with_field(field)
}
