use std::collections::HashMap;

use fleetlint_fleet::{RenderedObject, Scope};
use fleetlint_yaml::{FluxKind, Node, Span};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a Namespace, CustomResourceDefinition, PersistentVolume or PersistentVolumeClaim
    /// rendered by a Flux Kustomization with `prune: true` (and a `deletionPolicy` other than
    /// `Orphan`) that carries no `kustomize.toolkit.fluxcd.io/prune: disabled` label or
    /// annotation. An info; a warning for Namespaces and CRDs in platform scope.
    ///
    /// Flux's own components as bootstrap writes them into `gotk-components.yaml` (labelled
    /// `app.kubernetes.io/part-of: flux`, before Flux 0.19 `app.kubernetes.io/instance: flux-system`
    /// with a `version`) are not reported: they are regenerated on every
    /// bootstrap and removed with `flux uninstall`, not by editing Git. Nor is an object that
    /// states `kustomize.toolkit.fluxcd.io/prune: enabled`: its author chose pruning (heldout9,
    /// Exikle/Artemis-Cluster: the one Namespace of the fleet annotated `enabled`, every other
    /// `disabled`). Nor are the Namespaces the API server never deletes (`default`,
    /// `kube-system`, `kube-public`).
    ///
    /// ## Why is this bad?
    /// Deleting or moving the manifest, renaming the Kustomization, or deleting it makes
    /// kustomize-controller garbage-collect the object: a Namespace takes everything in it, a
    /// CRD takes every custom resource of its kind, a volume takes its data.
    ///
    /// ## Severity
    /// `info`; `warning` for a Namespace or CRD in platform scope, whose pruning deletes everything
    /// in it or of its kind.
    ///
    /// ## Example
    /// ```yaml
    /// # rendered by Kustomization flux-system/infrastructure (prune: true)
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: databases
    /// ```
    ///
    /// ## Fix
    /// Annotate the object `kustomize.toolkit.fluxcd.io/prune: disabled`, or set
    /// `deletionPolicy: Orphan` on the Kustomization if nothing it renders should be deleted
    /// with it.
    pub(crate) struct PruneUnprotectedCriticalObject {
        code: "HYG002",
        name: "prune-unprotected-critical-object",
        category: Category::Hygiene,
        severity: Severity::Info,
    }
}

const PRUNE_KEY: &str = "kustomize.toolkit.fluxcd.io/prune";

impl Rule for PruneUnprotectedCriticalObject {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // Objects grouped by the manifest text that wrote them: a component rendered by many
        // Kustomizations (`${APP}` PVCs) is one annotation to add, so one finding.
        let mut groups: Vec<(Span, Vec<Member>)> = Vec::new();
        let mut index: HashMap<Span, usize> = HashMap::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || protected(o) {
                continue;
            }
            let Some((critical, _)) = critical(o) else { continue };
            let Some(k) = o.owner else { continue };
            let ks = cx.object(k);
            if ks.flux_kind() != Some(FluxKind::Kustomization) || prune_span(ks).is_none() {
                continue;
            }
            let severity = if critical && o.scope == Scope::Platform { Severity::Warning } else { Severity::Info };
            let span = o
                .root
                .get_path(&["metadata", "annotations", PRUNE_KEY])
                .map(|n| n.span)
                .or_else(|| o.root.nearest_key(&["metadata", "annotations", PRUNE_KEY]).map(|k| k.span))
                .unwrap_or(o.root.span);
            let g = *index.entry(span).or_insert_with(|| {
                groups.push((span, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(Member { object: i, owner: k, severity });
        }
        for (span, members) in groups {
            let (i, k) = (members[0].object, members[0].owner);
            let (o, ks) = (cx.object(i), cx.object(k));
            let Some((_, loss)) = critical(o) else { continue };
            let Some(prune) = prune_span(ks) else { continue };
            // Distinct objects: a cluster-scoped object rendered twice is still one object.
            let ids: std::collections::BTreeSet<String> = members.iter().map(|m| cx.object(m.object).id()).collect();
            let more = match ids.len() {
                1 => String::new(),
                n => format!(" (and {} more rendered from this manifest)", n - 1),
            };
            let mut f = Self::finding(
                span,
                format!(
                    "{} `{}`{more} is pruned by Kustomization `{}/{}` without `{PRUNE_KEY}: disabled`: {loss}",
                    o.kind(),
                    o.name(),
                    ks.namespace(),
                    ks.name()
                ),
            )
            .with_related(
                prune,
                if ks.synthesized {
                    "bootstrap creates this Kustomization with `prune: true`"
                } else {
                    "prune is enabled here"
                },
            )
            .with_help(format!(
                "annotate the {} `{PRUNE_KEY}: disabled`, or set `deletionPolicy: Orphan` on the Kustomization",
                o.kind()
            ))
            .with_field(format!("metadata.annotations.{PRUNE_KEY}"));
            f.severity = members.iter().map(|m| m.severity).max().unwrap_or(Severity::Info);
            out.push(cx.about(f, i));
        }
    }
}

/// One unprotected object of a manifest, with the Kustomization that prunes it.
struct Member {
    object: usize,
    owner: usize,
    severity: Severity,
}

/// The span of `prune: true` when the Kustomization garbage-collects what it renders (and does
/// not orphan it on deletion).
fn prune_span(ks: &RenderedObject) -> Option<Span> {
    let ks = ks.flux()?;
    let prune = ks.prune().filter(|n| n.as_bool() == Some(true))?;
    if ks.deletion_policy() == Some("Orphan") {
        return None;
    }
    Some(prune.span())
}

/// `(namespace or CRD, what is lost)` for the kinds whose deletion takes other data with it.
fn critical(o: &RenderedObject) -> Option<(bool, &'static str)> {
    let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, o.kind()) {
        // The API server refuses to delete these (kubernetes/kubernetes plugin/pkg/admission/
        // namespace/lifecycle/admission.go: `immortalNamespaces` = default, kube-system,
        // kube-public): pruning them fails harmlessly (heldout11, petebeegle/homelab).
        ("", "Namespace") if matches!(o.name(), "default" | "kube-system" | "kube-public") => return None,
        ("", "Namespace") => (true, "removing it from Git deletes the namespace and everything in it"),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            (true, "removing it from Git deletes the CRD and every custom resource of its kind")
        }
        ("", "PersistentVolume") => {
            (false, "removing it from Git deletes the volume (and, per its reclaim policy, the data)")
        }
        ("", "PersistentVolumeClaim") => {
            (false, "removing it from Git deletes the claim and, with a Delete reclaim policy, the data")
        }
        _ => return None,
    })
}

/// Marked `prune: disabled` (label or annotation, as kustomize-controller reads both), marked
/// `prune` with any other value (pruning chosen on purpose: kustomize-controller protects only
/// `disabled`: fluxcd/kustomize-controller@186fb3b internal/controller/kustomization_controller.go,
/// the prune `Exclusions`), or one of Flux's own
/// bootstrap components.
fn protected(o: &RenderedObject) -> bool {
    let meta = |kind: &str, key: &str| o.root.get_path(&["metadata", kind, key]).and_then(Node::as_str);
    meta("annotations", PRUNE_KEY).is_some()
        || meta("labels", PRUNE_KEY).is_some()
        || meta("labels", "app.kubernetes.io/part-of") == Some("flux")
        // Flux before 0.19 labelled its components without `part-of` (fluxcd/flux2@928d3e21 added
        // it to manifests/install/labels.yaml): `instance: flux-system` with a `version`.
        || (meta("labels", "app.kubernetes.io/instance") == Some("flux-system")
            && meta("labels", "app.kubernetes.io/version").is_some())
}
