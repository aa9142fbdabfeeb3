//! HYG004 compares two checks of the same repository (`--new-since REF`): it is not run per
//! file, build or cluster like the other rules, but by [`destructive_changes`] on both fleets.

use std::collections::{BTreeMap, BTreeSet};

use fleetlint_fleet::{Fleet, RenderedObject};
use fleetlint_yaml::{FluxKind, Node, Span};

use crate::declare_rule;
use crate::finding::{Category, Finding, ObjectRef, Severity};

declare_rule! {
    /// ## What it does
    /// With `--new-since REF`: reports a Namespace, CustomResourceDefinition or
    /// PersistentVolumeClaim that a cluster's Flux Kustomization applied at REF with `prune: true`
    /// (and a `deletionPolicy` other than `Orphan`, without a
    /// `kustomize.toolkit.fluxcd.io/prune: disabled` label or annotation) and that no
    /// Kustomization of that cluster applies any more: deleted or moved manifests, a renamed
    /// Kustomization, a changed `path`.
    ///
    /// ## Why is this bad?
    /// kustomize-controller garbage-collects what a Kustomization applied and no longer renders
    /// (or everything, when the Kustomization itself is deleted): the namespace goes with every
    /// object in it, the CRD with every custom resource of its kind, the claim with its data.
    /// Moving an object to another Kustomization in one commit races the old owner's pruning
    /// against the new owner's apply.
    ///
    /// ## Example
    /// ```yaml
    /// # at REF, tenants/base/team-a/namespace.yaml, applied by Kustomization flux-system/tenants
    /// # (prune: true); the file is deleted in the change
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: team-a
    /// ```
    ///
    /// ## Fix
    /// If the deletion is intended, go ahead. Otherwise first annotate the object
    /// `kustomize.toolkit.fluxcd.io/prune: disabled` (or set `deletionPolicy: Orphan`), let Flux
    /// apply that, then remove or move it.
    pub(crate) struct DestructiveChange {
        code: "HYG004",
        name: "destructive-change",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

const PRUNE_KEY: &str = "kustomize.toolkit.fluxcd.io/prune";

/// Whether deleting `o` takes data with it: a Namespace, a CRD or a PersistentVolumeClaim.
fn destructive_kind(o: &RenderedObject) -> bool {
    let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g);
    matches!(
        (group, o.kind()),
        ("", "Namespace") | ("apiextensions.k8s.io", "CustomResourceDefinition") | ("", "PersistentVolumeClaim")
    )
}

fn prune_disabled(o: &RenderedObject) -> bool {
    let meta = |kind: &str| o.root.get_path(&["metadata", kind, PRUNE_KEY]).and_then(Node::as_str);
    meta("annotations") == Some("disabled") || meta("labels") == Some("disabled")
}

/// `prune: true` without `deletionPolicy: Orphan`: kustomize-controller deletes what the
/// Kustomization stops applying (fluxcd/kustomize-controller, `internal/controller`
/// `kustomization_controller.go`, `prune` and `finalize`).
fn prunes(ks: &RenderedObject) -> bool {
    ks.flux()
        .is_some_and(|k| k.prune().and_then(|p| p.as_bool()) == Some(true) && k.deletion_policy() != Some("Orphan"))
}

/// HYG004: objects `base` (the fleet at `base_ref`) applied with prune in a cluster that `head`
/// no longer applies there. A finding points at the Kustomization that pruned it when that one
/// still exists in `head` (its `prune` key), else at the cluster's entry; a cluster that no
/// longer exists is not judged (its removal is a decision about the whole cluster).
#[must_use]
pub fn destructive_changes(base: &Fleet, head: &Fleet, base_ref: &str) -> Vec<Finding> {
    let mut out: BTreeMap<(String, String), Finding> = BTreeMap::new();
    for hc in &head.clusters {
        let Some(bc) = base.clusters.iter().find(|c| c.name == hc.name) else { continue };
        let applied: BTreeSet<String> = hc.objects.iter().map(RenderedObject::id).collect();
        // Head's Flux Kustomizations by id, looked up once per removed object.
        let head_kustomizations: BTreeMap<String, &RenderedObject> =
            hc.objects.iter().filter(|h| h.flux_kind() == Some(FluxKind::Kustomization)).map(|h| (h.id(), h)).collect();
        for o in &bc.objects {
            if o.synthesized || !destructive_kind(o) || prune_disabled(o) || applied.contains(&o.id()) {
                continue;
            }
            let Some(k) = o.owner else { continue };
            let ks = &bc.objects[k];
            if ks.flux_kind() != Some(FluxKind::Kustomization) || !prunes(ks) {
                continue;
            }
            let owner_id = ks.id();
            let still = head_kustomizations.get(&owner_id);
            let (span, whose): (Span, String) = match still {
                Some(h) => (
                    h.flux().and_then(|k| k.prune()).map_or(h.root.span, |p| p.span()),
                    format!("Kustomization `{}/{}` still prunes", ks.namespace(), ks.name()),
                ),
                None => (
                    hc.entry_span,
                    format!(
                        "Kustomization `{}/{}` is gone, and Flux prunes what it applied",
                        ks.namespace(),
                        ks.name()
                    ),
                ),
            };
            let key = (o.id(), owner_id.clone());
            if let Some(f) = out.get_mut(&key) {
                if !f.clusters.contains(&hc.name) {
                    f.clusters.push(hc.name.clone());
                }
                continue;
            }
            let message = format!(
                "{} `{}` was applied with prune by Kustomization `{}/{}` at {base_ref} and is no longer applied: {whose}, so the change deletes it{}",
                o.kind(),
                o.name(),
                ks.namespace(),
                ks.name(),
                match o.kind() {
                    "Namespace" => " and everything in it",
                    "CustomResourceDefinition" => " and every custom resource of its kind",
                    _ => " and, with a Delete reclaim policy, its data",
                }
            );
            let mut f = DestructiveChange::finding(span, message)
                .with_object(Some(ObjectRef {
                    api_version: o.api_version().to_string(),
                    kind: o.kind().to_string(),
                    namespace: Some(o.namespace().to_string()).filter(|n| !n.is_empty()),
                    name: o.name().to_string(),
                }))
                .with_help(format!(
                    "if the deletion is not intended, annotate the {} `{PRUNE_KEY}: disabled` and let Flux apply that before removing or moving it",
                    o.kind()
                ))
                .with_field(format!("removed-by:{owner_id}"));
            f.owner = Some(owner_id);
            f.clusters = vec![hc.name.clone()];
            out.insert(key, f);
        }
    }
    out.into_values().collect()
}
