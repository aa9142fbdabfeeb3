//! The repository's Kyverno policies evaluated once per cluster, shared by POL001 and POL002
//! through [`ClusterContext::kyverno`](crate::context::ClusterContext::kyverno).
//!
//! Every `kyverno.io` ClusterPolicy and Policy rendered in a cluster is evaluated against every
//! object the cluster admits, with what the admission request would carry: the labels of the
//! object's namespace (when the cluster renders that Namespace), the identity that applies the
//! object, and the Kyverno version installed in the cluster (when the repository says).

use std::collections::{BTreeMap, HashMap};

use fleetlint_fleet::RenderedObject;
use fleetlint_kyverno::{Object, Options, Outcome, Policy, Request, RuleResult, UserInfo};
use fleetlint_yaml::{FluxKind, Node};
use rayon::prelude::*;

use crate::context::ClusterContext;

/// A policy rendered in the cluster.
#[derive(Debug)]
pub(crate) struct RenderedPolicy {
    /// Index of the policy object in the cluster.
    pub(crate) object: usize,
    /// The policy.
    pub(crate) policy: Policy,
}

/// One rule result worth reporting: a violation, a rule error or a rule not evaluable.
#[derive(Debug)]
pub(crate) struct Evaluation {
    /// The object evaluated.
    pub(crate) object: usize,
    /// Index in [`KyvernoCheck::policies`].
    pub(crate) policy: usize,
    /// What the rule said.
    pub(crate) result: RuleResult,
}

/// What the cluster's Kyverno policies say about its objects.
#[derive(Debug, Default)]
pub(crate) struct KyvernoCheck {
    /// The policies.
    pub(crate) policies: Vec<RenderedPolicy>,
    /// Results other than pass and skip, by object then policy.
    pub(crate) results: Vec<Evaluation>,
}

/// `v1.10.3` -> `(1, 10, 3)`.
fn semver(tag: &str) -> Option<(u32, u32, u32)> {
    let v = tag.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// The Kyverno version installed in the cluster: the tag of a `kyverno/kyverno` container image
/// of a rendered workload, else the version of a `kyverno` HelmRelease chart mapped to the
/// Kyverno release it ships (chart 2.6 ships Kyverno 1.8 and chart 3.0 Kyverno 1.10,
/// kyverno/kyverno@111e07bbec:charts/kyverno/Chart.yaml history; only the bound that matters for
/// variable resolution, 1.8, is told apart).
fn kyverno_version(objects: &[RenderedObject]) -> Option<(u32, u32, u32)> {
    for o in objects {
        let Some(containers) = o.root.get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq)
        else {
            continue;
        };
        for c in containers {
            let image = c.get("image").and_then(Node::as_str).unwrap_or("");
            let Some((repo, tag)) = image.rsplit_once(':') else { continue };
            if let Some(v) = semver(tag).filter(|_| repo.ends_with("kyverno/kyverno")) {
                return Some(v);
            }
        }
    }
    for o in objects.iter().filter(|o| o.flux_kind() == Some(FluxKind::HelmRelease)) {
        let chart = o.root.get_path(&["spec", "chart", "spec"]);
        if chart.and_then(|c| c.get("chart")).and_then(Node::as_str) != Some("kyverno") {
            continue;
        }
        let Some((major, minor, _)) = chart.and_then(|c| c.get("version")).and_then(Node::as_str).and_then(semver)
        else {
            continue;
        };
        return match (major, minor) {
            (3.., _) => Some((1, 10, 0)),
            (2, 6..) => Some((1, 8, 0)),
            (2, _) => Some((1, 7, 0)),
            _ => None,
        };
    }
    None
}

/// The identity that applies object `i`: kustomize-controller impersonating the rendering
/// Kustomization's `serviceAccountName`, else the controller's `--default-service-account` in
/// the Kustomization's namespace, else kustomize-controller's own service account
/// (fluxcd/kustomize-controller@d6bd5b6:internal/controller/kustomization_controller.go,
/// `getClientAndPoller` via runtime's `impersonation.GetClient`). The groups are those the API
/// server gives every service account
/// (kubernetes/kubernetes@v1.32.0:pkg/serviceaccount/util.go, `MakeGroupNames`).
fn applier(cx: &ClusterContext<'_>, default_sa: Option<&str>, i: usize) -> UserInfo {
    let owner = cx.object(i).owner.map(|o| cx.object(o));
    let by_kustomization = owner.filter(|o| o.flux_kind() == Some(FluxKind::Kustomization));
    let default_sa = default_sa.map(str::to_string);
    let (namespace, name) = match by_kustomization {
        Some(k) => {
            let sa = k.root.get_path(&["spec", "serviceAccountName"]).and_then(Node::as_str).map(str::to_string);
            match sa.or(default_sa) {
                Some(sa) => (k.namespace().to_string(), sa),
                None => ("flux-system".to_string(), "kustomize-controller".to_string()),
            }
        }
        None => ("flux-system".to_string(), "kustomize-controller".to_string()),
    };
    UserInfo {
        username: format!("system:serviceaccount:{namespace}:{name}"),
        groups: vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".to_string(),
        ],
        roles: None,
        cluster_roles: None,
    }
}

/// Evaluate the cluster's policies against its objects.
pub(crate) fn evaluate_cluster(cx: &ClusterContext<'_>) -> KyvernoCheck {
    let objects = &cx.cluster.objects;
    let policies: Vec<RenderedPolicy> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| Policy::is_policy(o.api_version(), o.kind()))
        .filter_map(|(i, o)| Policy::from_node(&o.root).ok().map(|policy| RenderedPolicy { object: i, policy }))
        .collect();
    if policies.is_empty() {
        return KyvernoCheck::default();
    }
    let mut labels: HashMap<&str, BTreeMap<String, String>> = HashMap::new();
    for o in objects.iter().filter(|o| o.kind() == "Namespace" && o.api_version() == "v1") {
        let mut map = BTreeMap::new();
        for e in o.root.get_path(&["metadata", "labels"]).and_then(Node::as_map).unwrap_or(&[]) {
            if let (Some(k), Some(v)) = (e.key.as_str(), e.value.as_str()) {
                map.insert(k.to_string(), v.to_string());
            }
        }
        labels.insert(o.name(), map);
    }
    let options = Options { kyverno_version: kyverno_version(objects) };
    let default_sa = cx.cluster.controllers.lockdown().default_service_account;
    let results = (0..objects.len())
        .into_par_iter()
        .filter(|&i| !objects[i].synthesized)
        .flat_map_iter(|i| {
            let o = &objects[i];
            let object = Object::new(&o.root);
            let user = applier(cx, default_sa.as_deref(), i);
            let request =
                Request { namespace_labels: labels.get(o.namespace()), user: Some(&user), ..Request::default() };
            let mut out = Vec::new();
            for (p, rp) in policies.iter().enumerate() {
                for result in rp.policy.evaluate(&object, &request, &options) {
                    if !matches!(result.outcome, Outcome::Pass | Outcome::Skip(_)) {
                        out.push(Evaluation { object: i, policy: p, result });
                    }
                }
            }
            out
        })
        .collect();
    KyvernoCheck { policies, results }
}

impl RenderedPolicy {
    /// `ClusterPolicy flux-multi-tenancy` or `Policy apps/restrict`.
    pub(crate) fn display(&self) -> String {
        match &self.policy.namespace {
            Some(ns) => format!("Policy {ns}/{}", self.policy.name),
            None => format!("ClusterPolicy {}", self.policy.name),
        }
    }

    /// The report's `policy` object for `rule` with `action`.
    pub(crate) fn reference(&self, rule: &str, action: Option<&str>) -> crate::finding::PolicyRef {
        crate::finding::PolicyRef {
            engine: "kyverno",
            kind: if self.policy.namespace.is_some() { "Policy" } else { "ClusterPolicy" }.to_string(),
            namespace: self.policy.namespace.clone(),
            name: self.policy.name.clone(),
            rule: Some(rule.to_string()),
            action: action.map(str::to_string),
        }
    }

    /// Where rule `name` is written (the policy's name when the rule is generated).
    pub(crate) fn rule_span(&self, name: &str) -> fleetlint_yaml::Span {
        self.policy.rules.iter().find(|r| r.name == name).map_or(self.policy.span, |r| r.span)
    }
}
