//! Post-build substitution during the walk: the variables a Kustomization defines (from the
//! graph), applying them to what it renders, and the SRC007 issues with precise spans.

use std::collections::BTreeMap;

use fleetlint_yaml::{Node, Span};

use super::ClusterWalk;
use crate::controllers::Controller;
use crate::model::{Cluster, FleetIssueKind, SubstitutionContext};
use crate::postbuild::{self, Variables};
use crate::substitute::SubstError;

impl ClusterWalk<'_, '_> {
    pub(super) fn variables(&self, ks: usize) -> Option<(Variables, bool)> {
        self.variables_with(ks, &[])
    }

    /// The variables of Kustomization `ks`, reading a `substituteFrom` object the graph does not
    /// hold yet from `own`, the objects its own build renders. kustomize-controller reads
    /// `substituteFrom` objects from the cluster (`fluxcd/pkg@e2cfd1a2:kustomize/
    /// kustomize_varsub.go`, `LoadVariables`), so one the Kustomization applies itself is there,
    /// with the values in Git, from its first successful apply on; for a root, bootstrap applies
    /// its `flux-system` kustomization (sync objects and whatever else it lists, such as a
    /// `cluster-vars` ConfigMap) before the first reconcile (`fluxcd/flux2@0a5048a:pkg/
    /// bootstrap/bootstrap_plain_git.go`, `ReconcileSyncConfig`: "applying sync manifests",
    /// `utils.Apply` of the generated kustomization). Heldout8, nmarghetti: a child's
    /// `spec.path: ./clusters/${cluster}/infrastructure` filled from such a ConfigMap.
    pub(super) fn variables_with(&self, ks: usize, own: &[&Node]) -> Option<(Variables, bool)> {
        let post = self.cluster.objects[ks].flux()?.post_build()?;
        let mut vars = Variables { complete: true, always: post.always(), ..Variables::default() };
        let mut missing_required = false;
        for r in post.substitute_from() {
            let found = self.lookup(r.kind, r.namespace, r.name).map(|i| &self.cluster.objects[i].root).or_else(|| {
                own.iter().copied().find(|n| {
                    let at = |path: &[&str]| n.get_path(path).and_then(Node::as_str).unwrap_or("");
                    at(&["kind"]) == r.kind
                        && at(&["metadata", "name"]) == r.name
                        && at(&["metadata", "namespace"]) == r.namespace
                })
            });
            match found {
                // A ConfigMap or Secret a ResourceSet renders with `fluxcd.controlplane.io/
                // copyFrom` gets its data from the cluster when applied (controlplaneio-fluxcd/
                // flux-operator@17c6aea:internal/controller/resourceset_controller_configs.go):
                // its values are not known here.
                Some(o) if o.get("sops").is_none() && !copied_from_cluster(o) => {
                    read_data(o, r.kind == "Secret", &mut vars.values);
                }
                Some(_) => vars.complete = false,
                // Not in Git: a Secret an ExternalSecret, SealedSecret or other producer writes,
                // or one created out of band (cluster-wide settings, keys), exists with values
                // fleetlint cannot read; an optional one may exist too. Either way a variable
                // may come from it, so none is reported unset.
                None => {
                    missing_required |= !r.optional;
                    vars.complete = false;
                }
            }
        }
        for e in post.substitute() {
            if let (Some(k), Some(v)) = (e.key.as_str(), e.value.as_str()) {
                vars.values.insert(k.to_string(), v.replace('\n', ""));
            }
        }
        Some((vars, missing_required))
    }

    pub(super) fn substitute(&mut self, root: &mut Node, vars: &Variables, ks: usize) {
        if postbuild::substitution_disabled(root) || !postbuild::has_any_reference(root) {
            return;
        }
        if vars.values.is_empty() && !vars.always {
            // WithVariables (the default) substitutes only when some variable resolves: with
            // none, `${...}` (defaults included) stays verbatim. Said once per Kustomization.
            if vars.complete && self.verbatim_noted.insert(ks) {
                let post = &self.cluster.objects[ks].root;
                let span = post.get("spec").and_then(|s| s.entry("postBuild")).map_or(post.span, |e| e.key.span);
                self.issue(FleetIssueKind::SubstitutionVerbatim, span, ks, "spec.postBuild");
            }
            return;
        }
        let embedded = root.get("kind").and_then(Node::as_str) == Some("ConfigMap");
        for p in postbuild::apply(root, vars, self.strict) {
            // A reference in ConfigMap data or a container's command/args is usually a shell or
            // app template meant for the container, which Flux substitutes anyway.
            let template = (embedded && p.field.starts_with("data.") && p.multiline)
                || p.field.contains(".command.")
                || p.field.contains(".args.");
            let context = if template { SubstitutionContext::EmbeddedTemplate } else { SubstitutionContext::Field };
            let (kind, needle) = match p.error {
                SubstError::Unset { name } if vars.complete => {
                    let needle = format!("${{{name}");
                    (FleetIssueKind::UnsetVariable { variable: name, strict: self.strict, context }, needle)
                }
                SubstError::Unset { .. } => continue,
                SubstError::Syntax(reason) => (FleetIssueKind::SubstitutionFails { reason, context }, "${".to_string()),
                SubstError::Limit(limit) => {
                    (FleetIssueKind::SubstitutionUndecided { limit, context }, "${".to_string())
                }
            };
            let span = self.narrow(p.span, &needle);
            self.issue(kind, span, ks, &p.field);
        }
    }

    /// The part of `span` that holds `needle` (a reference inside a long or block scalar), or
    /// `span` itself when the text does not hold it verbatim.
    pub(super) fn narrow(&self, span: Span, needle: &str) -> Span {
        let text = &self.trees.db.get(span.file).text;
        let Some(slice) = text.get(span.range()) else { return span };
        let Some(at) = slice.find(needle) else { return span };
        let start = span.range().start + at;
        let end = slice[at..].find('}').map_or(start + needle.len(), |e| start + e + 1);
        Span::new(span.file, start, end)
    }
}

/// ConfigMap `data` (and Secret `stringData`/base64 `data`) into `values`.
fn read_data(root: &Node, secret: bool, values: &mut BTreeMap<String, String>) {
    for (key, b64) in [("data", secret), ("stringData", false)] {
        for e in root.get(key).and_then(Node::as_map).unwrap_or_default() {
            let (Some(k), Some(v)) = (e.key.as_str(), e.value.as_str()) else { continue };
            let v = if b64 { postbuild::decode_base64(v) } else { Some(v.to_string()) };
            if let Some(v) = v {
                values.insert(k.to_string(), v.replace('\n', ""));
            }
        }
    }
}

/// Whether kustomize-controller substitutes strictly: on by default since Flux 2.9, or with the
/// `StrictPostBuildSubstitutions` feature gate (`fluxcd/kustomize-controller@186fb3b:
/// internal/features/features.go`).
pub(super) fn strict_substitution(cluster: &Cluster) -> bool {
    let gate = cluster.controllers.of(Controller::Kustomize).gate("StrictPostBuildSubstitutions");
    gate.map_or_else(|| cluster.flux_version.minor().is_none_or(|v| v >= (2, 9)), |g| g.value)
}

/// Whether an object carries the Flux Operator's `fluxcd.controlplane.io/copyFrom` annotation.
fn copied_from_cluster(root: &Node) -> bool {
    root.get_path(&["metadata", "annotations", "fluxcd.controlplane.io/copyFrom"]).is_some()
}
