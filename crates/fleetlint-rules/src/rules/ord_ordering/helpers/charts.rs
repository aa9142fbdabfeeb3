//! HelmReleases as producers of objects fleetlint does not see. helm-controller renders a
//! release's chart and applies whatever its templates hold, Flux Kustomizations and Namespaces
//! included; with `spec.chart.spec.sourceRef` a GitRepository or Bucket it builds the chart from
//! that path of the artifact (fluxcd/helm-controller@0f61a86:internal/controller/helmrelease_controller.go
//! `reconcileChartTemplate` creates the HelmChart, source-controller packages that directory, and
//! `reconcileRelease` installs what it renders).
//! fleetlint does not render charts, so an object such a chart declares may exist at run time.

use fleetlint_yaml::FluxKind;
use fleetlint_yaml::relpath::clamp_flux_path;

use crate::context::ClusterContext;

/// The HelmReleases of the cluster (indexes into its objects) whose chart is a directory of a
/// Git or Bucket source and has a template declaring `kind: <kind>`.
pub(crate) fn releases_rendering(cx: &ClusterContext<'_>, kind: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, o) in cx.cluster.objects.iter().enumerate() {
        if o.flux_kind() != Some(FluxKind::HelmRelease) {
            continue;
        }
        let spec = |path: &[&str]| o.root.get_path(path).and_then(fleetlint_yaml::Node::as_str);
        let source_kind = spec(&["spec", "chart", "spec", "sourceRef", "kind"]).unwrap_or("");
        let Some(chart) = spec(&["spec", "chart", "spec", "chart"]) else { continue };
        if !matches!(source_kind, "GitRepository" | "Bucket") {
            continue;
        }
        let templates = format!("{}/templates/", clamp_flux_path(chart).0);
        let declares = cx.db.iter().any(|(_, f)| {
            f.path.starts_with(&templates)
                && f.text.lines().any(|l| {
                    l.trim_end().strip_prefix("kind:").is_some_and(|k| k.trim().trim_matches(['"', '\'']) == kind)
                })
        });
        if declares {
            out.push(i);
        }
    }
    out
}
