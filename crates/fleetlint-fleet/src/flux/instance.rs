//! The spec of a FluxInstance, wherever it is written.

use fleetlint_yaml::{Node, ObjectView};

use super::FluxObject;

/// Whether `root` is a HelmRelease of the `flux-instance` chart (by `chart.spec.chart` or the
/// name of its `chartRef`): the chart renders a FluxInstance from its `instance` values
/// (controlplaneio-fluxcd/charts `charts/flux-instance/templates/instance.yaml`).
#[must_use]
pub fn is_flux_instance_release(root: &Node) -> bool {
    if ObjectView::new(root).is_none_or(|v| v.kind() != "HelmRelease") {
        return false;
    }
    let Some(hr) = FluxObject::new(root) else { return false };
    let chart_ref = hr.chart_ref().map(|r| r.name());
    let chart = hr.chart_name().and_then(|f| f.as_str());
    [chart_ref, chart].iter().flatten().any(|c| c.contains("flux-instance"))
}

/// The spec of a FluxInstance (also the `instance` values of a `flux-instance` HelmRelease).
#[derive(Clone, Copy, Debug)]
pub struct InstanceSpec<'a>(pub &'a Node);

impl<'a> InstanceSpec<'a> {
    /// The FluxInstance spec carried by a document: a FluxInstance itself, or a HelmRelease of
    /// the `flux-instance` chart whose values hold `instance.sync`.
    #[must_use]
    pub fn of(root: &'a Node) -> Option<Self> {
        let v = ObjectView::new(root)?;
        match v.kind() {
            "FluxInstance" if v.group() == "fluxcd.controlplane.io" => root.get("spec").map(Self),
            "HelmRelease" => {
                let instance = root.get_path(&["spec", "values", "instance"])?;
                (is_flux_instance_release(root) && instance.get("sync").is_some()).then_some(Self(instance))
            }
            _ => None,
        }
    }

    fn str_at(&self, path: &[&str]) -> Option<&'a str> {
        self.0.get_path(path).and_then(Node::as_str)
    }

    /// `sync.kind`: the kind of the source the operator generates.
    #[must_use]
    pub fn sync_kind(&self) -> Option<&'a str> {
        self.str_at(&["sync", "kind"])
    }

    /// `sync.name` (flux-operator's default is the FluxInstance's namespace).
    #[must_use]
    pub fn sync_name(&self) -> Option<&'a str> {
        self.str_at(&["sync", "name"])
    }

    /// `sync.url`.
    #[must_use]
    pub fn sync_url(&self) -> Option<&'a str> {
        self.str_at(&["sync", "url"])
    }

    /// `sync.ref`.
    #[must_use]
    pub fn sync_ref(&self) -> Option<&'a str> {
        self.str_at(&["sync", "ref"])
    }

    /// `sync.path`.
    #[must_use]
    pub fn sync_path(&self) -> Option<&'a str> {
        self.str_at(&["sync", "path"])
    }

    /// `components`, when listed.
    #[must_use]
    pub fn components(&self) -> Option<Vec<&'a str>> {
        Some(self.0.get("components")?.as_seq()?.iter().filter_map(Node::as_str).collect())
    }

    /// `cluster.multitenant`.
    #[must_use]
    pub fn multitenant(&self) -> Option<&'a Node> {
        self.0.get_path(&["cluster", "multitenant"])
    }

    /// `cluster.tenantDefaultServiceAccount`.
    #[must_use]
    pub fn tenant_default_service_account(&self) -> Option<&'a str> {
        self.str_at(&["cluster", "tenantDefaultServiceAccount"])
    }

    /// `cluster.multitenantWorkloadIdentity`.
    #[must_use]
    pub fn multitenant_workload_identity(&self) -> Option<bool> {
        self.0.get_path(&["cluster", "multitenantWorkloadIdentity"]).and_then(Node::as_bool)
    }

    /// `distribution.version`.
    #[must_use]
    pub fn version(&self) -> Option<&'a str> {
        self.str_at(&["distribution", "version"])
    }

    /// `kustomize.patches`.
    #[must_use]
    pub fn kustomize_patches(&self) -> Option<&'a Node> {
        self.0.get_path(&["kustomize", "patches"])
    }
}
