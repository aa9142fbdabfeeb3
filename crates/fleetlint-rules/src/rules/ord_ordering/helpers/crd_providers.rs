//! Which widely used charts install which API groups' CRDs (issue 14 item 9), so a custom
//! resource whose CRD is not in Git but comes from a well-known chart is an ordering check
//! instead of "CRD provider unknown". Charts can be installed with their CRDs turned off
//! (`installCRDs: false`, `crds.enabled: false`, a separate CRD chart), so a provider known only
//! from this table gives a warning, never an error; `crdProviders` in `.fleetlint.yaml` or the
//! CRD manifest in Git is needed for an error. The groups are those each project's chart ships
//! in its `crds/` directory or templates (cert-manager `deploy/charts/cert-manager/templates/crds`,
//! external-secrets `deploy/crds`, kyverno `charts/kyverno/charts/crds`, prometheus-community
//! `charts/kube-prometheus-stack/charts/crds`, ...).

use fleetlint_yaml::FluxKind;

use fleetlint_fleet::crd_charts::{CNI, TABLE};
use fleetlint_fleet::graph::FluxGraph;

/// Whether `group`'s CRDs belong to a CNI and so exist before Flux runs (see [`CNI`]).
pub(crate) fn predates_flux(group: &str) -> bool {
    CNI.iter().any(|(_, groups)| groups.contains(&group))
}

/// The chart names of the table that install `group`'s CRDs.
fn charts_for(group: &str) -> impl Iterator<Item = &'static str> + '_ {
    TABLE.iter().filter(move |(_, groups)| groups.contains(&group)).flat_map(|(charts, _)| charts.iter().copied())
}

/// A HelmRelease of the cluster whose chart the table says installs `group`'s CRDs. The
/// generic chart name `base` counts only for a release whose name says istio.
pub(crate) fn builtin_provider(g: &FluxGraph<'_>, group: &str) -> Option<usize> {
    let charts: Vec<&str> = charts_for(group).collect();
    if charts.is_empty() {
        return None;
    }
    (0..g.cluster.objects.len()).find(|&i| {
        let o = g.object(i);
        let Some(release) = o.flux().filter(|f| f.kind() == FluxKind::HelmRelease && f.kube_config().is_none()) else {
            return false;
        };
        let chart = release.chart_name().and_then(|f| f.as_str()).unwrap_or("");
        // An OCI chartRef names no chart: the release name stands for it.
        let chart = if chart.is_empty() { o.name() } else { chart };
        charts.iter().any(|c| *c == chart && (*c != "base" || o.name().contains("istio")))
    })
}

#[cfg(test)]
mod tests {
    use super::charts_for;

    #[test]
    fn groups_map_to_their_charts() {
        assert!(charts_for("cert-manager.io").any(|c| c == "cert-manager"));
        assert!(charts_for("monitoring.coreos.com").any(|c| c == "kube-prometheus-stack"));
        assert_eq!(charts_for("example.com").count(), 0);
        assert!(super::predates_flux("cilium.io") && super::predates_flux("crd.projectcalico.org"));
        assert!(!super::predates_flux("cert-manager.io"));
        assert!(fleetlint_fleet::crd_charts::CNI.iter().all(|(charts, _)| !charts.is_empty()));
    }
}
