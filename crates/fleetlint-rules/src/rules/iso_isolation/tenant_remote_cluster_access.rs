use fleetlint_fleet::Scope;
use fleetlint_yaml::Node;

use super::helpers::applier;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown;

declare_rule! {
    /// ## What it does
    /// Reports a tenant-scope Kustomization or HelmRelease with `spec.kubeConfig` (`secretRef`
    /// or `configMapRef`): a warning. It is an error when `configMapRef` names a ConfigMap of the
    /// repository without `data.serviceAccountName` and the controller has no
    /// `--default-kubeconfig-service-account` (when the repository does not show the controller
    /// flags, that counts as absent and the message says the lockdown is unknown).
    ///
    /// ## Why is this bad?
    /// The object applies to another cluster, where impersonation happens with a ServiceAccount
    /// of a same-named namespace — outside the platform's control of this cluster. A
    /// `configMapRef` without a ServiceAccount and without the workload-identity default
    /// authenticates with the **controller's** cloud identity: the tenant borrows the
    /// platform's access to the remote cluster.
    ///
    /// ## Severity
    /// `warning`; `error` where the kubeconfig ConfigMap names no service account and the
    /// controller has no `--default-kubeconfig-service-account`, so the remote apply runs with the
    /// controller's own identity.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   serviceAccountName: team-a
    ///   kubeConfig:
    ///     configMapRef: {name: prod-eks}   # ConfigMap has provider/cluster, no serviceAccountName
    /// ```
    ///
    /// ## Fix
    /// Let the platform own remote-cluster delivery. If a tenant must deploy remotely, set
    /// `serviceAccountName` in the kubeConfig ConfigMap and run the controller with
    /// `--default-kubeconfig-service-account`.
    pub(crate) struct TenantRemoteClusterAccess {
        code: "ISO008",
        name: "tenant-remote-cluster-access",
        category: Category::TenantIsolation,
        severity: Severity::Warning,
    }
}

impl Rule for TenantRemoteClusterAccess {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        for (i, o) in c.objects.iter().enumerate() {
            if o.synthesized || o.scope != Scope::Tenant {
                continue;
            }
            let Some(ctrl) = applier(o) else { continue };
            let Some(kc) = o.flux().and_then(|f| f.kube_config()).map(|k| k.0.value) else { continue };
            let name_of = |r: &str| kc.get_path(&[r, "name"]).and_then(Node::as_str).unwrap_or("");
            let span = ["secretRef", "configMapRef"]
                .iter()
                .find_map(|r| kc.get_path(&[r, "name"]).or_else(|| kc.get(r)))
                .map_or(kc.span, |n| n.span);
            let mut severity = Severity::Warning;
            let mut related = Vec::new();
            let message = if kc.get("configMapRef").is_some() {
                let cm_name = name_of("configMapRef");
                let cm = c.objects.iter().find(|x| {
                    x.kind() == "ConfigMap"
                        && x.api_version() == "v1"
                        && x.namespace() == o.namespace()
                        && x.name() == cm_name
                });
                let flag = lockdown::controller_flag(c, ctrl, "default-kubeconfig-service-account");
                match (cm, &flag) {
                    (Some(cm), _) if cm.root.get_path(&["data", "serviceAccountName"]).is_some() => format!(
                        "spec.kubeConfig applies this tenant object to a remote cluster (ConfigMap {cm_name} sets its serviceAccountName)"
                    ),
                    (Some(cm), None) => {
                        severity = Severity::Error;
                        related
                            .push((cm.root.get("data").map_or(cm.root.span, |d| d.span), "the kubeConfig ConfigMap"));
                        let note = lockdown::unknown_suffix(c, ctrl);
                        format!(
                            "spec.kubeConfig.configMapRef {cm_name} sets no serviceAccountName and {ctrl} has no --default-kubeconfig-service-account: the tenant reaches the remote cluster with the controller's cloud identity{note}"
                        )
                    }
                    (_, Some((sa, s))) => {
                        if let Some(s) = s {
                            related.push((*s, "the controller flag --default-kubeconfig-service-account"));
                        }
                        format!(
                            "spec.kubeConfig applies this tenant object to a remote cluster (as {}/{sa} unless ConfigMap {cm_name} names another ServiceAccount)",
                            o.namespace()
                        )
                    }
                    (None, None) => format!(
                        "spec.kubeConfig applies this tenant object to a remote cluster; ConfigMap {cm_name} is not in the repository, and without serviceAccountName in it the controller's cloud identity is used"
                    ),
                }
            } else {
                format!(
                    "spec.kubeConfig.secretRef {} applies this tenant object to a remote cluster, with whatever credentials that Secret holds",
                    name_of("secretRef")
                )
            };
            let mut f = Finding::new(Self::ID, span, message)
                .with_severity(severity)
                .with_help(
                    "let the platform own remote-cluster delivery, or pin the remote identity with serviceAccountName",
                )
                .with_field("spec.kubeConfig");
            for (s, m) in related {
                f = f.with_related(s, m);
            }
            out.push(cx.about(f, i));
        }
    }
}
