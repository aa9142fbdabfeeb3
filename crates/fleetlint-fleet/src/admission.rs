//! Admission webhooks that add post-build variables to Flux Kustomizations: what Git says about
//! a Kustomization's `spec.postBuild` is then not all kustomize-controller reads.
//!
//! The known one is xunholy's kustomize-mutating-webhook. Its `createPatch`
//! (`xunholy/fluxcd-kustomize-mutating-webhook@1bb18abc:kustomize-mutating-webhook/internal/
//! handlers/mutate.go`) answers every CREATE/UPDATE of a `Kustomization` with a JSON patch that
//! creates `/spec/postBuild` and `/spec/postBuild/substitute` when absent and adds every key of
//! the ConfigMaps and Secrets it is configured to watch (chart values `configMaps`, `secrets`) to
//! `/spec/postBuild/substitute`. Its chart registers the webhook for
//! `kustomize.toolkit.fluxcd.io` `kustomizations`, with a `namespaceSelector` that by default
//! leaves out `flux-system` (`…@38c1b8c1:deploy/chart/kustomize-mutating-webhook/values.yaml`
//! `webhook.namespaceSelector`; `templates/mutatingwebhookconfiguration.yaml`).
//!
//! The variables come from objects usually created outside Git, so fleetlint cannot tell which
//! ones are set: a variable Git does not set *may* be set in a namespace such a webhook reaches.

use std::collections::HashMap;

use fleetlint_yaml::{FluxKind, Node};

use crate::model::RenderedObject;

/// The chart name of xunholy's webhook (`deploy/chart/kustomize-mutating-webhook/Chart.yaml`
/// `name`, the same for the older `deploy/chart/fluxcd-mutating-webhook`).
const WEBHOOK_CHART: &str = "kustomize-mutating-webhook";

/// The namespace label every namespace carries (Kubernetes 1.21+), the one selectors name.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespaces a webhook's `namespaceSelector` selects, as far as fleetlint can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceScope {
    /// Any namespace may be selected (no selector, or one fleetlint cannot evaluate).
    Any,
    /// Every namespace except these (`kubernetes.io/metadata.name NotIn`).
    Except(Vec<String>),
    /// Only these namespaces (`kubernetes.io/metadata.name In`).
    Only(Vec<String>),
}

impl NamespaceScope {
    /// Whether a Kustomization in namespace `ns` may be mutated.
    #[must_use]
    pub fn may_select(&self, ns: &str) -> bool {
        match self {
            NamespaceScope::Any => true,
            NamespaceScope::Except(out) => !out.iter().any(|n| n == ns),
            NamespaceScope::Only(only) => only.iter().any(|n| n == ns),
        }
    }
}

/// An object of the cluster that adds post-build variables to Flux Kustomizations at admission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubstitutionWebhook {
    /// The HelmRelease that installs the webhook, or its MutatingWebhookConfiguration (index in
    /// [`Cluster::objects`](crate::Cluster::objects)).
    pub object: usize,
    /// The namespaces whose Kustomizations it may mutate.
    pub namespaces: NamespaceScope,
}

/// The substitution webhooks among a cluster's objects: a HelmRelease installing the
/// kustomize-mutating-webhook chart (by `spec.chart.spec.chart`, or the chart a `chartRef`
/// names: an OCIRepository's last URL segment, a HelmChart's `spec.chart`), and a
/// MutatingWebhookConfiguration with a webhook whose rules match CREATE or UPDATE of
/// `kustomize.toolkit.fluxcd.io` `kustomizations`. A HelmRelease deploying to another cluster
/// (`spec.kubeConfig`) does not count.
#[must_use]
pub fn substitution_webhooks(objects: &[RenderedObject]) -> Vec<SubstitutionWebhook> {
    let mut by_id: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if matches!(o.flux_kind(), Some(FluxKind::OciRepository | FluxKind::HelmChart)) {
            by_id.entry((o.kind(), o.namespace(), o.name())).or_insert(i);
        }
    }
    let mut out = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if o.synthesized {
            continue;
        }
        if o.flux_kind() == Some(FluxKind::HelmRelease) {
            if let Some(namespaces) = release_scope(o, objects, &by_id) {
                out.push(SubstitutionWebhook { object: i, namespaces });
            }
        } else if o.kind() == "MutatingWebhookConfiguration"
            && o.api_version().starts_with("admissionregistration.k8s.io/")
            && let Some(namespaces) = configuration_scope(&o.root)
        {
            out.push(SubstitutionWebhook { object: i, namespaces });
        }
    }
    out
}

/// The namespaces the webhook a HelmRelease installs reaches, when its chart is the webhook's.
fn release_scope(
    o: &RenderedObject,
    objects: &[RenderedObject],
    by_id: &HashMap<(&str, &str, &str), usize>,
) -> Option<NamespaceScope> {
    let release = o.flux()?;
    if release.kube_config().is_some() {
        return None;
    }
    let chart = match release.chart_name().and_then(|f| f.as_str()) {
        Some(chart) => chart.rsplit('/').next().unwrap_or(chart).to_string(),
        None => {
            let r = release.chart_ref()?;
            let kind = r.kind()?;
            let target = &objects[*by_id.get(&(kind, r.namespace, r.name()))?];
            match kind {
                "OCIRepository" => target.root.get_path(&["spec", "url"])?.as_str()?.rsplit('/').next()?.to_string(),
                _ => target.root.get_path(&["spec", "chart"])?.as_str()?.to_string(),
            }
        }
    };
    if chart != WEBHOOK_CHART {
        return None;
    }
    // The chart default leaves out flux-system; values from elsewhere (`valuesFrom`) or an
    // inline `webhook.namespaceSelector` may change that, and fleetlint does not evaluate them.
    let inline = o.root.get_path(&["spec", "values", "webhook", "namespaceSelector"]).is_some();
    let from_elsewhere = !release.values_from().is_empty();
    Some(if inline || from_elsewhere {
        NamespaceScope::Any
    } else {
        NamespaceScope::Except(vec!["flux-system".into()])
    })
}

/// The namespaces a MutatingWebhookConfiguration's webhooks for Kustomizations reach: `None` when
/// none of its webhooks matches Kustomizations.
fn configuration_scope(root: &Node) -> Option<NamespaceScope> {
    let webhooks = root.get("webhooks")?.as_seq()?;
    let mut scopes =
        webhooks.iter().filter(|w| matches_kustomizations(w)).map(|w| selector_scope(w.get("namespaceSelector")));
    let first = scopes.next()?;
    // Several webhooks for Kustomizations: any of them may add variables.
    Some(scopes.fold(first, |a, b| if a == b { a } else { NamespaceScope::Any }))
}

/// Whether one webhook's `rules` match CREATE or UPDATE of Flux Kustomizations (the API group
/// named explicitly; a rule for every group and resource is a policy engine's, not this).
fn matches_kustomizations(webhook: &Node) -> bool {
    let strings = |rule: &Node, key: &str| -> Vec<String> {
        rule.get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect()
    };
    webhook.get("rules").and_then(Node::as_seq).unwrap_or_default().iter().any(|rule| {
        let groups = strings(rule, "apiGroups");
        let resources = strings(rule, "resources");
        let operations = strings(rule, "operations");
        groups.iter().any(|g| g == "kustomize.toolkit.fluxcd.io")
            && resources.iter().any(|r| r == "kustomizations" || r == "*")
            && operations.iter().any(|o| matches!(o.as_str(), "CREATE" | "UPDATE" | "*"))
    })
}

/// What a `namespaceSelector` selects: only `kubernetes.io/metadata.name` `In`/`NotIn` expressions
/// are evaluated; anything else may select any namespace.
fn selector_scope(selector: Option<&Node>) -> NamespaceScope {
    let Some(selector) = selector.filter(|s| !s.is_null()) else { return NamespaceScope::Any };
    if selector.get("matchLabels").is_some_and(|m| m.as_map().is_some_and(|m| !m.is_empty())) {
        return NamespaceScope::Any;
    }
    let expressions = selector.get("matchExpressions").and_then(Node::as_seq).unwrap_or_default();
    let [expression] = expressions else { return NamespaceScope::Any };
    if expression.get("key").and_then(Node::as_str) != Some(NAME_LABEL) {
        return NamespaceScope::Any;
    }
    let values: Vec<String> = expression
        .get("values")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    match expression.get("operator").and_then(Node::as_str) {
        Some("NotIn") => NamespaceScope::Except(values),
        Some("In") => NamespaceScope::Only(values),
        _ => NamespaceScope::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    fn objects(text: &str) -> Vec<RenderedObject> {
        parse_yaml(FileId(0), text, &Limits::default())
            .documents
            .into_iter()
            .map(|d| RenderedObject::new(d.root))
            .collect()
    }

    const SOURCE: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: kmw, namespace: flux-system}\nspec: {url: oci://ghcr.io/xunholy/charts/kustomize-mutating-webhook}\n";

    #[test]
    fn a_release_of_the_chart_reaches_all_but_flux_system_unless_values_may_say_otherwise() {
        let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: w, namespace: flux-system}\nspec:\n  chartRef: {kind: OCIRepository, name: kmw}\n";
        let found = substitution_webhooks(&objects(&format!("{SOURCE}---\n{release}")));
        assert_eq!(
            found,
            vec![SubstitutionWebhook { object: 1, namespaces: NamespaceScope::Except(vec!["flux-system".into()]) }]
        );
        assert!(!found[0].namespaces.may_select("flux-system") && found[0].namespaces.may_select("apps"));
        let from = format!("{SOURCE}---\n{release}  valuesFrom: [{{kind: ConfigMap, name: v}}]\n");
        assert_eq!(substitution_webhooks(&objects(&from))[0].namespaces, NamespaceScope::Any);
        let template = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: w, namespace: flux-system}\nspec:\n  chart: {spec: {chart: kustomize-mutating-webhook, sourceRef: {kind: HelmRepository, name: x}}}\n";
        assert_eq!(substitution_webhooks(&objects(template)).len(), 1);
        let other = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: kmw, namespace: flux-system}\nspec: {url: oci://ghcr.io/x/charts/podinfo}\n";
        assert!(substitution_webhooks(&objects(&format!("{other}---\n{release}"))).is_empty());
    }

    #[test]
    fn a_webhook_configuration_counts_when_its_rules_name_kustomizations() {
        let config = |group: &str, selector: &str| {
            format!(
                "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {{name: m}}\nwebhooks:\n  - name: m.example.com\n{selector}    rules:\n      - {{apiGroups: [\"{group}\"], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [kustomizations]}}\n"
            )
        };
        let only = "    namespaceSelector:\n      matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [apps]}]\n";
        let found = substitution_webhooks(&objects(&config("kustomize.toolkit.fluxcd.io", only)));
        assert_eq!(found[0].namespaces, NamespaceScope::Only(vec!["apps".into()]));
        let labels = "    namespaceSelector:\n      matchLabels: {team: a}\n";
        assert_eq!(
            substitution_webhooks(&objects(&config("kustomize.toolkit.fluxcd.io", labels)))[0].namespaces,
            NamespaceScope::Any
        );
        assert!(substitution_webhooks(&objects(&config("apps", ""))).is_empty());
    }
}
