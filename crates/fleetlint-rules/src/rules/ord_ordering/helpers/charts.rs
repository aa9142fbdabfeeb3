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
/// Git or Bucket source, or of an ExternalArtifact an in-repo ArtifactGenerator copies from
/// one, and has a template declaring `kind: <kind>`.
pub(crate) fn releases_rendering(cx: &ClusterContext<'_>, kind: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, o) in cx.cluster.objects.iter().enumerate() {
        if o.flux_kind() != Some(FluxKind::HelmRelease) {
            continue;
        }
        let spec = |path: &[&str]| o.root.get_path(path).and_then(fleetlint_yaml::Node::as_str);
        let dirs: Vec<String> = match (spec(&["spec", "chart", "spec", "chart"]), spec(&["spec", "chartRef", "kind"])) {
            (Some(chart), _)
                if matches!(
                    spec(&["spec", "chart", "spec", "sourceRef", "kind"]),
                    Some("GitRepository" | "Bucket")
                ) =>
            {
                vec![clamp_flux_path(chart).0]
            }
            (None, Some("ExternalArtifact")) => {
                generated_chart_dirs(cx, o.namespace(), spec(&["spec", "chartRef", "name"]).unwrap_or(""))
            }
            _ => continue,
        };
        let templates: Vec<String> = dirs.iter().map(|d| format!("{d}/templates/")).collect();
        let declares = cx.db.iter().any(|(_, f)| {
            templates.iter().any(|t| f.path.starts_with(t.as_str()))
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

/// The directories an in-repo ArtifactGenerator copies into ExternalArtifact `ns/name`
/// (`spec.artifacts[].copy[].from`, `@alias/path`): the chart a `chartRef` to it installs.
/// (fluxcd/source-watcher@825fa15:api/v1beta1/artifactgenerator_types.go `CopyOperation.From`.)
fn generated_chart_dirs(cx: &ClusterContext<'_>, ns: &str, name: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    let generators = cx.cluster.objects.iter().filter(|g| g.kind() == "ArtifactGenerator" && g.namespace() == ns);
    for g in generators {
        for artifact in
            g.root.get_path(&["spec", "artifacts"]).and_then(fleetlint_yaml::Node::as_seq).unwrap_or_default()
        {
            if artifact.get("name").and_then(fleetlint_yaml::Node::as_str) != Some(name) {
                continue;
            }
            for copy in artifact.get("copy").and_then(fleetlint_yaml::Node::as_seq).unwrap_or_default() {
                let Some(from) = copy.get("from").and_then(fleetlint_yaml::Node::as_str) else { continue };
                let path = from.split_once('/').map_or("", |(_, p)| p);
                let path = path.trim_end_matches("/**").trim_end_matches("/*").trim_end_matches('/');
                dirs.push(clamp_flux_path(path).0);
            }
        }
    }
    dirs
}
