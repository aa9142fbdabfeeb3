//! Which widely used charts install which API groups' CRDs (issue 14 item 9): the built-in table
//! the ordering rules use for a HelmRelease of such a chart (ORD003) and the fleet uses for what a
//! repository's bootstrap installs before Flux ([`crate::bootstrap_crds`]). Charts can be installed
//! with their CRDs turned off (`installCRDs: false`, `crds.enabled: false`, a separate CRD chart),
//! so a provider known only from this table gives a warning, never an error. The groups are those
//! each project's chart ships in its `crds/` directory or templates (cert-manager
//! `deploy/charts/cert-manager/templates/crds`, external-secrets `deploy/crds`, kyverno
//! `charts/kyverno/charts/crds`, prometheus-community `charts/kube-prometheus-stack/charts/crds`, ...).

/// `(chart names, API groups)`: a HelmRelease of one of these charts installs those groups.
pub const TABLE: &[(&[&str], &[&str])] = &[
    (&["cert-manager"], &["cert-manager.io", "acme.cert-manager.io"]),
    (&["trust-manager"], &["trust.cert-manager.io"]),
    (&["external-secrets"], &["external-secrets.io", "generators.external-secrets.io"]),
    (&["kyverno"], &["kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"]),
    (
        &["kube-prometheus-stack", "prometheus-operator-crds", "prometheus-operator", "victoria-metrics-k8s-stack"],
        &["monitoring.coreos.com"],
    ),
    (&["victoria-metrics-operator", "victoria-metrics-k8s-stack"], &["operator.victoriametrics.com"]),
    (&["longhorn"], &["longhorn.io"]),
    (&["traefik", "traefik-crds"], &["traefik.io", "traefik.containo.us", "hub.traefik.io"]),
    (
        &["base", "istio-base"],
        &["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io", "install.istio.io"],
    ),
    (&["gateway-api", "gateway-api-crds"], &["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"]),
    (&["volsync"], &["volsync.backube"]),
    (&["cloudnative-pg"], &["postgresql.cnpg.io"]),
    (&["snapshot-controller"], &["snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"]),
    (&["metallb"], &["metallb.io"]),
    (&["rook-ceph"], &["ceph.rook.io"]),
    (&["velero"], &["velero.io"]),
    (&["keda"], &["keda.sh", "eventing.keda.sh"]),
    (&["external-dns"], &["externaldns.k8s.io"]),
    (&["grafana-operator"], &["grafana.integreatly.org"]),
    (&["sealed-secrets"], &["bitnami.com"]),
    (&["crossplane"], &["pkg.crossplane.io", "apiextensions.crossplane.io"]),
    (&["connect", "onepassword-connect"], &["onepassword.com"]),
    (&["dragonfly-operator"], &["dragonflydb.io"]),
    (&["node-feature-discovery"], &["nfd.k8s-sigs.io"]),
    (&["opentelemetry-operator"], &["opentelemetry.io"]),
    (&["mariadb-operator", "mariadb-operator-crds"], &["k8s.mariadb.com"]),
    (&["vpa", "vertical-pod-autoscaler"], &["autoscaling.k8s.io"]),
    (&["kubevirt"], &["kubevirt.io"]),
    (&["flagger"], &["flagger.app"]),
];

/// CNI plugins, `(charts, API groups)`: their CRDs exist before Flux runs. Flux's controllers are
/// pods that need the pod network, so on any cluster where Flux reconciles, the CNI is already
/// installed (by the cluster's provisioning; a HelmRelease of it in Git only adopts the release),
/// and CNIs register their own CRDs when they start: cilium's agent and operator create every
/// `cilium.io` CRD (cilium/cilium@0520fcda:pkg/k8s/apis/cilium.io/client/register.go
/// `CreateCustomResourceDefinitions`, "called on agent startup"), the tigera-operator installs
/// calico's. An object of these groups is never "applied before its CRD exists".
pub const CNI: &[(&[&str], &[&str])] = &[
    (&["cilium"], &["cilium.io"]),
    (&["tigera-operator", "calico"], &["crd.projectcalico.org", "operator.tigera.io", "projectcalico.org"]),
    (&["antrea"], &["crd.antrea.io"]),
    (&["kube-ovn"], &["kubeovn.io"]),
    (&["multus", "multus-cni"], &["k8s.cni.cncf.io"]),
];

/// Charts that only a bootstrap installs in the fleets seen (never taken as the provider of a
/// HelmRelease in the graph): envoy-gateway's chart `gateway-helm` ships the Gateway API CRDs and
/// its own in `crds/` (envoyproxy/gateway@399f3aba:charts/gateway-helm/crds/gatewayapi-crds.yaml,
/// `crds/generated/gateway.envoyproxy.io_*.yaml`).
const BOOTSTRAP_ONLY: &[(&[&str], &[&str])] = &[(
    &["envoy-gateway", "gateway-helm", "gateway-crds-helm"],
    &["gateway.envoyproxy.io", "gateway.networking.k8s.io", "gateway.networking.x-k8s.io"],
)];

/// Chart names too generic to stand for a project anywhere but in a HelmRelease's `chart`.
const GENERIC: &[&str] = &["base", "connect", "vpa"];

/// The API groups whose CRDs a chart (or project) named `chart` installs, by the tables above;
/// empty when unknown. Generic names (`base`, `connect`) are left out.
#[must_use]
pub fn chart_groups(chart: &str) -> Vec<&'static str> {
    if GENERIC.contains(&chart) {
        return Vec::new();
    }
    TABLE
        .iter()
        .chain(CNI)
        .chain(BOOTSTRAP_ONLY)
        .filter(|(charts, _)| charts.contains(&chart))
        .flat_map(|(_, groups)| groups.iter().copied())
        .collect()
}
