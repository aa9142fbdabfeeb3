use fleetlint_yaml::FluxKind;

use super::helpers::{Reference, finding, objects_of, severity, worth_an_info};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::{self, CrossNs};
use fleetlint_fleet::controllers::Controller;

declare_rule! {
    /// ## What it does
    /// Reports a HelmRelease whose chart comes from another namespace:
    /// `spec.chart.spec.sourceRef.namespace` or `spec.chartRef.namespace` differs from the
    /// HelmRelease's namespace. Error when helm-controller runs with
    /// `--no-cross-namespace-refs=true`; otherwise a warning in tenant scope and an info in
    /// platform scope (infos only in clusters with tenants: in a single-team cluster this is the
    /// usual layout) (an unknown controller configuration counts as "off" and is said so). When
    /// the chart template is cross-namespace and lockdown is not on, a `verify.secretRef` is
    /// noted (info): it is read in the source's namespace.
    ///
    /// Tenant scope follows the fleet model's tenants (docs/flux-semantics.md, "Tenants and
    /// scopes"): a namespace that only carries the `toolkit.fluxcd.io/tenant` label, which the
    /// platform fills from its own repository (no tenant ServiceAccount, RoleBinding or
    /// reconciler, no lockdown flag), is the platform's, and a release there pulling its chart
    /// from `flux-system` is Flux's default single-tenant layout.
    ///
    /// ## Why is this bad?
    /// Under lockdown helm-controller refuses the chart (*cross-namespace references are not
    /// allowed: cannot access HelmChart <source-ns>/<hr-ns>-<hr-name>*) and the release stalls.
    /// Without lockdown the chart template makes helm-controller create a HelmChart named
    /// `<hr-ns>-<hr-name>` inside the source's namespace (often `flux-system`): a tenant causes
    /// objects in the platform namespace.
    ///
    /// ## Severity
    /// lockdown-dependent: `error` where helm-controller runs with `--no-cross-namespace-
    /// refs=true`; otherwise `warning` in tenant scope and `info` in platform scope (infos only in
    /// clusters with tenants). A verification Secret read in the chart's namespace is an `info`
    /// where lockdown is off.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: helm.toolkit.fluxcd.io/v2
    /// kind: HelmRelease
    /// metadata: {name: podinfo, namespace: team-a}
    /// spec:
    ///   chart:
    ///     spec:
    ///       chart: podinfo
    ///       sourceRef: {kind: HelmRepository, name: podinfo, namespace: flux-system}
    /// ```
    ///
    /// ## Fix
    /// Give the tenant its own HelmRepository/OCIRepository in the HelmRelease's namespace and
    /// drop `sourceRef.namespace` / `chartRef.namespace`.
    pub(crate) struct HelmreleaseChartCrossNamespace {
        code: "XNS002",
        name: "helmrelease-chart-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

const HELP: &str = "put the chart source in the HelmRelease's namespace and drop its namespace field";

impl Rule for HelmreleaseChartCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        const C: Controller = Controller::Helm;
        for (i, o, release) in objects_of(cx, FluxKind::HelmRelease) {
            let (own, name) = (o.namespace(), o.name());
            if let Some(sref) = release.chart_source_ref()
                && let Some((node, ns)) = sref.cross_namespace()
            {
                // helm-controller names the generated chart `<hr-ns>-<hr-name>` and creates it
                // next to the source (HelmChartTemplate.GetNamespace).
                let chart = format!("{ns}/{own}-{name}");
                let r = Reference {
                    object: i,
                    node,
                    field: "spec.chart.spec.sourceRef.namespace".into(),
                    controller: C,
                    what: format!("spec.chart.spec.sourceRef names {}", sref.id("HelmRepository")),
                    blocked: format!("cross-namespace references are not allowed: cannot access HelmChart {chart}"),
                    open: format!("helm-controller creates HelmChart {chart} in the source's namespace"),
                    help: HELP,
                };
                out.extend(finding(cx, Self::ID, &r, severity));
                // Moot under lockdown (the HelmChart is never created); an info, so multi-tenant clusters only.
                let open = lockdown::no_cross_namespace_refs(cx.cluster, C).state != CrossNs::On && worth_an_info(cx);
                let verify = release.chart_verify().and_then(|v| v.get(&["secretRef"]));
                if let Some(v) = verify.filter(|_| open) {
                    let secret = v.str_at(&["name"]).unwrap_or("");
                    let f = Finding::new(Self::ID, v.key_span(), format!(
                            "spec.chart.spec.verify.secretRef is read by HelmChart {chart} in namespace {ns}, not in {own}: Secret {ns}/{secret} must exist there"
                        )).with_severity(Severity::Info)
                    .with_help(HELP)
                    .with_field("spec.chart.spec.verify.secretRef");
                    out.push(cx.about(f, i));
                }
            }
            if let Some(cref) = release.chart_ref()
                && let Some((node, ns)) = cref.cross_namespace()
            {
                let id = cref.id("OCIRepository");
                let kind = cref.kind_or("OCIRepository");
                let cname = cref.name();
                let r = Reference {
                    object: i,
                    node,
                    field: "spec.chartRef.namespace".into(),
                    controller: C,
                    what: format!("spec.chartRef names {id}"),
                    blocked: format!("cross-namespace references are not allowed: cannot access {kind} {ns}/{cname}"),
                    open: "this HelmRelease installs a chart from another namespace's source".into(),
                    help: HELP,
                };
                out.extend(finding(cx, Self::ID, &r, severity));
            }
        }
    }
}
