//! ResourceSets (Flux Operator): their objects are rendered from their templates and input sets
//! by `fleetlint_fluxgen::resourceset::expand` and join the cluster like any rendered object, so
//! the Kustomizations they render are built and checked.
//!
//! Input sets come from `spec.inputs` and from the ResourceSetInputProviders named or selected by
//! `spec.inputsFrom` (`controlplaneio-fluxcd/flux-operator@17c6aea:internal/controller/
//! resourceset_controller.go getInputs`), including providers that other ResourceSets (or the
//! Kustomizations they render) emit: ResourceSets are expanded once the Kustomizations reached so
//! far are built, and expanded again when a provider appears in their namespace, until nothing
//! new appears (bounded by [`MAX_ROUNDS`]).

use std::collections::{BTreeMap, BTreeSet};

use fleetlint_fluxgen::resourceset::{ExpandErrorKind, expand};
use fleetlint_kustomize::{BuildIssue, BuildIssueKind};
use fleetlint_yaml::{FluxKind, Node};

use super::ClusterWalk;
use crate::model::{FleetIssueKind, RenderedObject};

/// How many times the ResourceSets of a cluster are expanded again because a provider appeared:
/// real fleets need one or two rounds (a ResourceSet emitting providers another one reads).
pub(super) const MAX_ROUNDS: usize = 8;

/// Whether a ResourceSet reads providers (`spec.inputsFrom` non-empty).
fn reads_providers(root: &Node) -> bool {
    root.get_path(&["spec", "inputsFrom"]).and_then(Node::as_seq).is_some_and(|s| !s.is_empty())
}

impl ClusterWalk<'_, '_> {
    /// The ResourceSetInputProviders of each namespace (object indices).
    fn providers_by_namespace(&self) -> BTreeMap<String, BTreeSet<usize>> {
        let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, o) in self.cluster.objects.iter().enumerate() {
            if o.flux_kind() == Some(FluxKind::ResourceSetInputProvider) {
                out.entry(o.namespace().to_string()).or_default().insert(i);
            }
        }
        out
    }

    /// Expand the ResourceSets added since the last call, and again those that read providers
    /// when the providers of their namespace changed. Returns the Flux Kustomizations rendered.
    pub(super) fn expand_resource_sets(&mut self) -> Vec<usize> {
        let mut children = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let mut todo = std::mem::take(&mut self.rset_pending);
            let providers = self.providers_by_namespace();
            for (&rs, seen) in &self.rset_providers {
                let now = providers.get(self.cluster.objects[rs].namespace());
                if now.unwrap_or(&BTreeSet::new()) != seen {
                    todo.push(rs);
                }
            }
            if todo.is_empty() {
                break;
            }
            todo.sort_unstable();
            todo.dedup();
            // Those reading no provider first: they may render the providers the others read.
            let (readers, others): (Vec<usize>, Vec<usize>) =
                todo.into_iter().partition(|&i| reads_providers(&self.cluster.objects[i].root));
            for rs in others {
                children.extend(self.expand_resource_set(rs, &providers));
            }
            let providers = self.providers_by_namespace();
            for rs in readers {
                children.extend(self.expand_resource_set(rs, &providers));
            }
        }
        children
    }

    /// Render ResourceSet `rs` with the providers known now. Returns the Flux Kustomizations
    /// among its objects; ResourceSets among them are queued for expansion.
    /// `providers` are those of each namespace at the start of the round (one expanding later in
    /// the round is seen in the next round).
    fn expand_resource_set(&mut self, rs: usize, providers: &BTreeMap<String, BTreeSet<usize>>) -> Vec<usize> {
        let root = self.cluster.objects[rs].root.clone();
        let namespace = self.cluster.objects[rs].namespace().to_string();
        let seen = providers.get(&namespace).cloned().unwrap_or_default();
        if reads_providers(&root) {
            self.rset_providers.insert(rs, seen.clone());
        }
        // A new expansion replaces what an earlier one said about the ResourceSet.
        self.cluster
            .issues
            .retain(|i| !(i.object == Some(rs) && matches!(i.kind, FleetIssueKind::ResourceSetNotRendered { .. })));
        let owners = &self.cluster.build_issue_owners;
        let keep: Vec<bool> = owners.iter().map(|o| *o != Some(rs)).collect();
        let mut k = keep.iter();
        self.cluster.build_issues.retain(|_| *k.next().unwrap_or(&true));
        self.cluster.build_issue_owners.retain(|o| *o != Some(rs));

        // `expand` uses the providers of the ResourceSet's namespace (`getInputs`).
        let nodes: Vec<Node> = seen.iter().map(|&i| self.cluster.objects[i].root.clone()).collect();
        let refs: Vec<&Node> = nodes.iter().collect();
        let expansion = expand(&root, &refs, self.trees.db);
        let expansion = match expansion {
            Ok(e) => e,
            Err(e) => {
                let reason = match &e.kind {
                    // The operator stalls: `build failed: ...` / `failed to compute inputs: ...`
                    // (`reconcile`, `stallWithTerminalError`), and applies nothing.
                    ExpandErrorKind::Invalid => {
                        let name = self.cluster.objects[rs].name().to_string();
                        self.cluster.build_issues.push(BuildIssue {
                            kind: BuildIssueKind::InputInvalid,
                            message: format!(
                                "ResourceSet {namespace}/{name}: the Flux Operator fails to build it: {}",
                                e.message
                            ),
                            span: e.span,
                            fatal: true,
                        });
                        self.cluster.build_issue_owners.push(Some(rs));
                        return Vec::new();
                    }
                    // The operator stalls when the provider does not exist; it may be created
                    // outside Git, so this is not certain.
                    ExpandErrorKind::ProviderNotFound { namespace, name } => format!(
                        "spec.inputsFrom names ResourceSetInputProvider {namespace}/{name}, which is not in the repository (created outside Git, or the operator stalls)"
                    ),
                    ExpandErrorKind::ProviderInputsUnknown { namespace, name, provider_type } => format!(
                        "its inputs come from ResourceSetInputProvider {namespace}/{name} of type {provider_type}, which fetches them from outside the repository (no status.exportedInputs committed)"
                    ),
                    ExpandErrorKind::Opaque => e.message.clone(),
                };
                let span = root.get_path(&["spec", "inputsFrom"]).map_or(e.span, |n| n.span);
                let span = if matches!(e.kind, ExpandErrorKind::Opaque) { e.span } else { span };
                self.issue(FleetIssueKind::ResourceSetNotRendered { reason }, span, rs, "spec");
                return Vec::new();
            }
        };
        let owners = self.cluster.objects[rs].owners.push(self.cluster.objects[rs].id());
        let tree = self.cluster.objects[rs].tree;
        let mut children = Vec::new();
        for rendered in expansion.objects {
            let obj = RenderedObject {
                owner: Some(rs),
                owners: owners.clone(),
                tree,
                ..RenderedObject::new(rendered.object)
            };
            // Expanded again (a provider appeared): what it rendered before is not a second copy.
            if self.lookup_id(&obj.id()).is_some_and(|i| self.cluster.objects[i].owner == Some(rs)) {
                continue;
            }
            if let Some(i) = self.add(obj) {
                match self.cluster.objects[i].flux_kind() {
                    Some(FluxKind::Kustomization) => children.push(i),
                    Some(FluxKind::ResourceSet) => self.rset_pending.push(i),
                    _ => {}
                }
            }
        }
        children
    }
}
