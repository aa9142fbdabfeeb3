use fleetlint_yaml::FluxKind;

use super::helpers::markers::not_applied;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::kinds::KindScope;

declare_rule! {
    /// ## What it does
    /// Reports an object that a Flux Kustomization applies without `metadata.namespace`
    /// although its kind is namespaced, when neither the Kustomization's `spec.targetNamespace`
    /// nor a kustomize `namespace:` gave it one. Whether a kind is namespaced comes from the
    /// built-in Kubernetes kinds, the Flux kinds and the CustomResourceDefinitions rendered in
    /// the cluster. A kind fleetlint does not know is an `info`; to keep that quiet, unknown
    /// kinds named `Cluster...` (ClusterIssuer, ClusterSecretStore, ClusterPolicy, ...), which
    /// by convention are cluster-scoped, are not reported.
    ///
    /// ## Why is this bad?
    /// kustomize-controller applies with server-side apply, which needs a namespace for
    /// namespaced objects: the dry-run fails with *namespace not specified* and the whole
    /// Kustomization with it (there has been no implicit `default` namespace since
    /// kustomize-controller 0.15). On a cluster whose Flux is older than 0.18 (the first release
    /// with kustomize-controller 0.15) such objects land in `default`: not reported there.
    ///
    /// ## Severity
    /// `error` for a kind known to be namespaced; `info` for a custom kind whose scope is unknown
    /// (no CRD in the graph).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}       # no namespace, and the Kustomization sets no targetNamespace
    /// ```
    ///
    /// ## Fix
    /// Set `metadata.namespace`, a `namespace:` in the kustomization.yaml, or `spec.targetNamespace`
    /// on the Flux Kustomization.
    pub(crate) struct NamespaceNotSpecified {
        code: "SRC008",
        name: "namespace-not-specified",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for NamespaceNotSpecified {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // kustomize-controller before 0.15 (Flux before 0.18, whose manifests install
        // kustomize-controller v0.15.1) put namespaced objects without a namespace in `default`
        // (fluxcd/kustomize-controller CHANGELOG.md, 0.15.0 "Breaking changes": "defaulting to the
        // `default` namespace is no longer supported").
        if cx.cluster.flux_version.minor().is_some_and(|v| v < (0, 18)) {
            return;
        }
        let scopes = cx.scopes();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || !o.namespace().is_empty() || o.kind().is_empty() || not_applied(&o.root) {
                continue;
            }
            let Some(k) = o.owner.filter(|&k| cx.object(k).flux_kind() == Some(FluxKind::Kustomization)) else {
                continue;
            };
            let severity = match scopes.of(o.api_version(), o.kind()) {
                KindScope::Namespaced => Severity::Error,
                KindScope::Unknown if !o.kind().starts_with("Cluster") => Severity::Info,
                _ => continue,
            };
            let ks = cx.object(k);
            let what = format!("{} {}", o.kind(), o.name());
            let message = if severity == Severity::Error {
                format!(
                    "{what} has no namespace and {} sets no targetNamespace: kustomize-controller fails with \"namespace not specified\"",
                    ks.id()
                )
            } else {
                format!(
                    "{what} has no namespace and {} sets no targetNamespace; {} is not a known kind, so whether it needs one is unknown",
                    ks.id(),
                    o.kind()
                )
            };
            let span = o.root.nearest_key(&["metadata", "namespace"]).map_or(o.root.span, |n| n.span);
            let spec = ks.root.nearest_key(&["spec", "targetNamespace"]).map_or(ks.root.span, |n| n.span);
            let mut f = Self::finding(span, message)
                .with_related(spec, format!("{} applies it", ks.id()))
                .with_help("set metadata.namespace, a `namespace:` in the kustomization.yaml, or spec.targetNamespace on the Kustomization")
                .with_field("metadata.namespace");
            f.severity = severity;
            out.push(cx.about(f, i));
        }
    }
}
