use std::collections::HashMap;

use fleetlint_fleet::Cluster;
use fleetlint_fleet::FleetIssueKind;
use fleetlint_yaml::{FluxKind, Node};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports `spec.healthChecks[]` entries of a Flux Kustomization that can never pass:
    /// (a) no `apiVersion` for a kind that is not in `apps/v1` (the default), a warning;
    /// (b) no `namespace` for a namespaced kind, a warning; (c) naming a Flux object (a
    /// HelmRelease, Kustomization, source …) that the cluster does not render, an error;
    /// (d) `healthChecks` together with `wait: true`, which ignores them, a warning (and then
    /// nothing about the entries: kustomize-controller never reads them).
    ///
    /// To keep false alarms out: (b) only judges kinds known to be namespaced (built-in kinds,
    /// Flux kinds, and custom kinds whose CRD the cluster renders); (c) only judges Flux kinds,
    /// because other objects are often created by Helm charts fleetlint does not render, and
    /// only in clusters where every Kustomization was built (no unmapped source, no templated
    /// ResourceSet); the HelmChart helm-controller creates at run time for a HelmRelease
    /// (`<release namespace>-<release name>`, next to the chart's source) exists. The CEL expressions of `healthCheckExprs` are not compiled: there is no
    /// pure-Rust CEL implementation faithful enough to cel-go to report errors without false
    /// alarms, so they are not checked.
    ///
    /// ## Why is this bad?
    /// kustomize-controller waits for an object that never becomes ready (the wrong kind, a
    /// cluster-scoped lookup of a namespaced object, an object nothing creates): the
    /// Kustomization turns `Ready=False` after every timeout and everything that `dependsOn` it is
    /// blocked. With `wait: true` the list is ignored, so it documents checks that do not run.
    ///
    /// ## Severity
    /// `error` for a check of a Flux object that nothing in the cluster renders (`info` when a
    /// HelmRelease of a chart that creates Flux objects, such as `flux-instance`, installs into
    /// that namespace: fleetlint does not render charts); `warning` for a
    /// check that is ignored (`wait: true`) or looks in the wrong place (no apiVersion, no
    /// namespace).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   healthChecks:
    ///     - kind: HelmRelease            # no apiVersion -> looked up as apps/v1 HelmRelease
    ///       name: ingress-nginx          # no namespace -> looked up as cluster-scoped
    /// ```
    ///
    /// ## Fix
    /// Give each entry `apiVersion`, `kind`, `name` and (for namespaced kinds) `namespace` of an
    /// object the Kustomization's build or another Flux object creates; drop `healthChecks` when
    /// `wait: true` already checks everything applied.
    pub(crate) struct HealthcheckReferenceInvalid {
        code: "HYG005",
        name: "healthcheck-reference-invalid",
        category: Category::Hygiene,
        severity: Severity::Error,
    }
}

/// Kinds of `apps/v1`, what an entry without `apiVersion` is looked up as.
const APPS_V1: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"];

impl Rule for HealthcheckReferenceInvalid {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let complete = graph_complete(cx.cluster);
        // HelmReleases of charts that create Flux objects (flux-instance creates a FluxInstance:
        // controlplaneio-fluxcd/charts charts/flux-instance/templates/instance.yaml; flux2-sync a
        // GitRepository and a Kustomization: fluxcd-community/helm-charts charts/flux2-sync), by
        // the namespace they install into (`targetNamespace`, else their own).
        let mut releases: HashMap<&str, usize> = HashMap::new();
        for (h, o) in cx.cluster.objects.iter().enumerate() {
            let Some(hr) = o.flux().filter(|f| f.kind() == FluxKind::HelmRelease) else { continue };
            let chart_ref = hr.chart_ref().map(|r| r.name());
            let chart = hr.chart_name().and_then(|f| f.as_str());
            if [chart_ref, chart].iter().flatten().any(|c| c.contains("flux")) {
                releases.entry(hr.target_namespace_name().unwrap_or(o.namespace())).or_insert(h);
            }
        }
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || o.flux_kind() != Some(FluxKind::Kustomization) {
                continue;
            }
            let Some(ks) = o.flux() else { continue };
            let Some(entry) = ks.health_checks_field() else { continue };
            let checks = entry.items();
            if let Some(wait) = ks.wait().filter(|w| w.as_bool() == Some(true))
                && !checks.is_empty()
            {
                let f = warning(
                    entry.key_span(),
                    "`healthChecks` are ignored because `wait: true` checks every applied object",
                )
                .with_related(wait.span(), "wait is enabled here")
                .with_help("remove `healthChecks`, or remove `wait: true` to check only the listed objects")
                .with_field("spec.healthChecks");
                out.push(cx.about(f, i));
                // With `wait: true` kustomize-controller never reads `healthChecks`: it checks the
                // objects of the apply's change set instead (fluxcd/kustomize-controller@186fb3b
                // internal/controller/kustomization_controller.go, `checkHealth`: `if
                // !obj.Spec.Wait { objects, err = inventory.ReferenceToObjMetadataSet(...) }`),
                // so what an entry names cannot fail the reconciliation.
                continue;
            }
            for (n, hc) in checks.iter().enumerate() {
                let s = |k: &str| hc.get(k).and_then(Node::as_str).filter(|v| !v.is_empty());
                let (Some(kind), Some(name)) = (s("kind"), s("name")) else { continue };
                let kind_span = hc.get("kind").map_or(hc.span, |n| n.span);
                let name_span = hc.get("name").map_or(hc.span, |n| n.span);
                let field = |k: &str| format!("spec.healthChecks[{n}].{k}");
                let api_version = s("apiVersion");
                if api_version.is_none() && !APPS_V1.contains(&kind) {
                    let f = warning(
                        kind_span,
                        format!("health check of {kind} `{name}` has no apiVersion: kustomize-controller looks for an apps/v1 {kind}, which never exists"),
                    )
                    .with_help(format!("add the apiVersion of {kind}"))
                    .with_field(field("apiVersion"));
                    out.push(cx.about(f, i));
                    continue;
                }
                let group = api_version.unwrap_or("apps/v1").rsplit_once('/').map_or("", |(g, _)| g);
                let namespace = s("namespace");
                if namespace.is_none() {
                    if namespaced(cx.cluster, group, kind) {
                        let f = warning(
                            name_span,
                            format!("health check of {kind} `{name}` has no namespace: {kind} is namespaced, so the cluster-scoped lookup never finds it"),
                        )
                        .with_help(format!("add the namespace of the {kind}"))
                        .with_field(field("namespace"));
                        out.push(cx.about(f, i));
                    }
                    continue;
                }
                let is_flux = api_version.and_then(|av| FluxKind::from_type(av, kind)).is_some();
                let ns = namespace.unwrap_or("");
                if complete
                    && is_flux
                    && !rendered(cx.cluster, group, kind, ns, name)
                    && !helm_chart_of_a_release(cx.cluster, kind, ns, name)
                {
                    let mut f = Self::finding(
                        name_span,
                        format!(
                            "health check names {kind} `{ns}/{name}`, which this cluster does not render: the check never passes"
                        ),
                    )
                    .with_help("point the health check at an object a Kustomization in this cluster renders, or remove it")
                    .with_field(field("name"));
                    if let Some(&h) = releases.get(ns) {
                        // fleetlint does not render charts: that chart may create it.
                        let hr = cx.object(h);
                        f.severity = Severity::Info;
                        f.message = format!(
                            "health check names {kind} `{ns}/{name}`, which no Kustomization of this cluster renders; HelmRelease {}/{} installs a chart of Flux objects into `{ns}` that may create it (fleetlint does not render charts): if it does not, the check never passes",
                            hr.namespace(),
                            hr.name()
                        );
                    }
                    out.push(cx.about(f, i));
                }
            }
        }
    }
}

fn warning(span: fleetlint_yaml::Span, message: impl Into<String>) -> Finding {
    let mut f = HealthcheckReferenceInvalid::finding(span, message);
    f.severity = Severity::Warning;
    f
}

/// Whether every Flux object the cluster would create is known: every Kustomization built and
/// nothing opaque (unmapped sources, templated ResourceSets are SRC012 issues).
fn graph_complete(cluster: &Cluster) -> bool {
    cluster.kustomizations.iter().all(|k| k.built)
        && !cluster.issues.iter().any(|i| {
            matches!(
                i.kind,
                FleetIssueKind::SourceNotMapped { .. }
                    | FleetIssueKind::ResourceSetNotRendered { .. }
                    | FleetIssueKind::ArtifactUnknown { .. }
            )
        })
}

/// Whether `namespace/name` is the HelmChart helm-controller creates at run time for a
/// HelmRelease of the cluster with `chart.spec`: named `<release namespace>-<release name>`, in
/// the namespace of the chart's source (fluxcd/helm-controller api/v2 helmrelease_types.go
/// `GetHelmChartName`: `strings.Join([]string{in.Namespace, in.Name}, "-")`, and
/// `HelmChartTemplate.GetNamespace`: the sourceRef's namespace, else the release's). Issue 14
/// item 6: objects controllers create at run time exist (heldout8).
fn helm_chart_of_a_release(cluster: &Cluster, kind: &str, namespace: &str, name: &str) -> bool {
    kind == "HelmChart"
        && cluster.objects.iter().any(|o| {
            if o.flux_kind() != Some(FluxKind::HelmRelease) {
                return false;
            }
            let source_ns = o
                .root
                .get_path(&["spec", "chart", "spec", "sourceRef", "namespace"])
                .and_then(fleetlint_yaml::Node::as_str)
                .unwrap_or(o.namespace());
            o.root.get_path(&["spec", "chart", "spec"]).is_some()
                && source_ns == namespace
                && format!("{}-{}", o.namespace(), o.name()) == name
        })
}

fn rendered(cluster: &Cluster, group: &str, kind: &str, namespace: &str, name: &str) -> bool {
    cluster.objects.iter().any(|o| {
        o.kind() == kind
            && o.name() == name
            && o.namespace() == namespace
            && o.api_version().rsplit_once('/').map_or("", |(g, _)| g) == group
    })
}

/// Whether `group` `kind` is known to be namespaced: Flux kinds, common built-in namespaced
/// kinds, and custom kinds whose CRD the cluster renders with `scope: Namespaced`. Unknown kinds
/// are not judged.
fn namespaced(cluster: &Cluster, group: &str, kind: &str) -> bool {
    if FluxKind::from_type(&format!("{group}/v1"), kind).is_some() {
        return true;
    }
    let builtin = match group {
        "" => matches!(kind, "Service" | "ConfigMap" | "Secret" | "ServiceAccount" | "PersistentVolumeClaim" | "Pod"),
        "apps" => APPS_V1.contains(&kind),
        "batch" => matches!(kind, "Job" | "CronJob"),
        "networking.k8s.io" => matches!(kind, "Ingress" | "NetworkPolicy"),
        "policy" => kind == "PodDisruptionBudget",
        "autoscaling" => kind == "HorizontalPodAutoscaler",
        _ => false,
    };
    builtin
        || cluster.objects.iter().any(|o| {
            o.kind() == "CustomResourceDefinition"
                && o.root.get_path(&["spec", "group"]).and_then(Node::as_str) == Some(group)
                && o.root.get_path(&["spec", "names", "kind"]).and_then(Node::as_str) == Some(kind)
                && o.root.get_path(&["spec", "scope"]).and_then(Node::as_str) == Some("Namespaced")
        })
}
