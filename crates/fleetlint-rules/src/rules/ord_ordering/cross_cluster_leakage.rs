use std::collections::BTreeMap;

use fleetlint_fleet::{Cluster, EntryKind, SourceResolution};
use fleetlint_kustomize::KUSTOMIZATION_FILE_NAMES;
use fleetlint_yaml::{Node, Span};

use super::helpers::naming::describe;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// In one cluster's graph, reports (a) a Flux Kustomization reading this repository whose
    /// `spec.path` lies under another cluster's entry directory, and (b) an object that a
    /// Kustomization of this cluster renders from a file under another cluster's entry
    /// directory, reached through kustomize `resources`, `components` or patches; (b) points at
    /// the kustomization entry that reaches into the other cluster when it can be found, else
    /// at the Kustomization's `spec.path`.
    ///
    /// Other clusters are the entry directories fleetlint discovered (e.g. `clusters/<name>`),
    /// except remote clusters (those a hub applies to through `spec.kubeConfig`: the hub
    /// renders their directories by design; a Kustomization with `spec.kubeConfig` applies on
    /// its remote cluster, never here, whichever directory it builds) and entry directories that contain this cluster's
    /// own (a directory above a cluster is not another cluster's root).
    ///
    /// ## Severity
    /// `error` for (a): the other cluster's objects are applied here unmodified. (b) is a
    /// `warning`: kustomize-controller builds it (it loads files from anywhere in the source)
    /// and nothing fails, but a change reviewed for the other cluster lands here too. When the
    /// kustomization reaching out overlays the other cluster's directory with its own patches
    /// or transformers (a dev cluster built on production's apps on purpose), an `info`.
    ///
    /// ## Why is this bad?
    /// Production objects get reconciled on staging (or the reverse): duplicate controllers,
    /// identity clashes, and a change reviewed for one cluster silently lands on another.
    ///
    /// ## Example
    /// ```yaml
    /// # clusters/staging/apps.yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   path: ./clusters/production/apps
    /// ```
    ///
    /// ## Fix
    /// Move what both clusters share out of the cluster directories (e.g. `apps/base`) and
    /// point both at it, with per-cluster overlays under each cluster's own directory.
    pub(crate) struct CrossClusterLeakage {
        code: "ORD007",
        name: "cross-cluster-leakage",
        category: Category::DependencyOrder,
        severity: Severity::Error,
    }
}

fn under(path: &str, root: &str) -> bool {
    path == root || path.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'))
}

/// The entry directories of the other clusters that count (see the rule's doc).
fn other_roots<'f>(cx: &'f ClusterContext<'_>) -> Vec<&'f Cluster> {
    let me = cx.cluster;
    cx.fleet
        .clusters
        .iter()
        .filter(|c| c.name != me.name && c.entry != EntryKind::Remote && !c.territory().is_empty())
        .filter(|c| !under(&me.path, c.territory()))
        .collect()
}

impl Rule for CrossClusterLeakage {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        if c.entry == EntryKind::Remote {
            return;
        }
        let others = other_roots(cx);
        if others.is_empty() {
            return;
        }
        // (k, other cluster) -> first leaked object, for (b).
        let mut leaks: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut path_leaks = std::collections::HashSet::new();
        for kn in &c.kustomizations {
            let k = &c.objects[kn.object];
            // A Kustomization with `spec.kubeConfig` applies what it builds on the remote cluster
            // (fluxcd/kustomize-controller@186fb3b api/v1 `KubeConfig`: "The KubeConfig for
            // reconciling the Kustomization on a remote cluster"), not here: a hub building a
            // spoke's own root directory (heldout12, adavarski/flux-multicluster-gitops) leaks
            // nothing into the hub.
            if kn.source != SourceResolution::Tree(0)
                || k.synthesized
                || k.flux().and_then(|f| f.kube_config()).is_some()
            {
                continue;
            }
            if let Some((oi, other)) = others.iter().enumerate().find(|(_, o)| under(&kn.path, o.territory())) {
                path_leaks.insert((kn.object, oi));
                let span = k.flux().map_or(k.root.span, |f| f.span_of(&["path"]));
                let message = format!(
                    "{} reads `./{}`, inside the directory of cluster `{}` ({}): that cluster's objects are applied on `{}` too",
                    describe(k),
                    kn.path,
                    other.name,
                    other.territory(),
                    c.name
                );
                let f = Self::finding(span, message)
                    .with_help("point it at a directory shared by both clusters, or at this cluster's own directory")
                    .with_field("spec.path");
                out.push(cx.about(f, kn.object));
            }
        }
        for (i, o) in c.objects.iter().enumerate() {
            let Some(k) = o.owner.filter(|&k| k != i) else { continue };
            if o.synthesized || o.tree != 0 || cx.db.get(o.root.span.file).mapping.is_some() {
                continue;
            }
            let file = &cx.db.get(o.root.span.file).path;
            let other = others.iter().position(|other| under(file, other.territory()));
            if let Some(oi) = other.filter(|oi| !path_leaks.contains(&(k, *oi))) {
                leaks.entry((k, oi)).or_insert(i);
            }
        }
        for ((k, oi), i) in leaks {
            let other = others[oi];
            let Some(kn) = c.kustomization_of(k) else { continue };
            let file = &cx.db.get(c.objects[i].root.span.file).path;
            let (span, how, overlay) = match reaching_entry(cx, &kn.path, other.territory()) {
                Some((span, overlay)) => (span, "this kustomization entry reaches".to_string(), overlay),
                None => {
                    let o = &c.objects[k];
                    (o.flux().map_or(o.root.span, |f| f.span_of(&["path"])), format!("{} reaches", describe(o)), false)
                }
            };
            let mut message = format!(
                "{how} into the directory of cluster `{}` ({}): {} from `{file}` is applied on `{}`",
                other.name,
                other.territory(),
                describe(&c.objects[i]),
                c.name
            );
            // (b) is a kustomize reference: kustomize-controller builds it (fluxcd/pkg
            // kustomize/kustomize_generator.go `Build`, `krusty.MakeDefaultOptions()` with
            // `LoadRestrictions = LoadRestrictionsNone`)
            // and nothing fails; what it costs is that the other cluster's changes reach this one.
            // A kustomization that overlays the directory with its own patches or transformers
            // (a dev cluster built on production's apps) does that on purpose (session 7, A8).
            let severity = if overlay {
                message.push_str(&format!(
                    "; the kustomization overlays it with its own patches or transformers, so `{}` is built on `{}`'s directory on purpose: a change there reaches `{}` too",
                    c.name, other.name, c.name
                ));
                Severity::Info
            } else {
                Severity::Warning
            };
            let f = Self::finding(span, message)
                .with_severity(severity)
                .with_help("move what both clusters share out of the cluster directories and reference it from both")
                .with_related(c.objects[i].root.span, "the object from the other cluster's directory")
                .with_field(format!("resources[{}]", other.territory()));
            out.push(cx.about(f, i));
        }
    }
}

/// Kustomization fields that change what the resources hold: with one of them, a kustomization
/// reaching into another cluster's directory overlays it rather than copies it.
const OVERLAY_FIELDS: &[&str] = &[
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "images",
    "replicas",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "configMapGenerator",
    "secretGenerator",
    "transformers",
    "components",
];

/// The first entry of a kustomization file at or under `dir` (checked repository only) whose
/// `resources`, `components`, `bases`, `patchesStrategicMerge` item or `patches[].path`
/// resolves under `root`.
/// Also whether that kustomization overlays what it reaches (its own patches or transformers).
fn reaching_entry(cx: &ClusterContext<'_>, dir: &str, root: &str) -> Option<(Span, bool)> {
    let tree = cx.trees.first()?;
    // The tree's files are sorted by path: the first match is stable.
    for file in &tree.files {
        let path = &cx.db.get(file.id).path;
        let (base, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if !KUSTOMIZATION_FILE_NAMES.contains(&name) || !(dir.is_empty() || under(base, dir)) || under(base, root) {
            continue;
        }
        let Some(doc) = file.yaml.documents.first() else { continue };
        let mut entries: Vec<&Node> = Vec::new();
        for key in ["resources", "components", "bases", "patchesStrategicMerge"] {
            entries.extend(doc.root.get(key).and_then(Node::as_seq).unwrap_or_default());
        }
        entries.extend(
            doc.root.get("patches").and_then(Node::as_seq).unwrap_or_default().iter().filter_map(|p| p.get("path")),
        );
        for e in entries {
            let Some(text) = e.as_str() else { continue };
            let joined = if base.is_empty() { text.to_string() } else { format!("{base}/{text}") };
            let (resolved, clamped) = fleetlint_yaml::relpath::clamp_flux_path(&joined);
            if !clamped && under(&resolved, root) {
                let overlay = OVERLAY_FIELDS.iter().any(|k| {
                    doc.root.get(k).is_some_and(|v| v.as_seq().is_none_or(|items| !items.is_empty()) && !v.is_null())
                });
                return Some((e.span, overlay));
            }
        }
    }
    None
}
