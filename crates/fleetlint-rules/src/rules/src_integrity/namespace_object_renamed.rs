use std::collections::{HashMap, HashSet};

use fleetlint_yaml::{FileId, LoadedFile};

use super::helpers::markers::has_marker;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a Namespace object whose name a namespace transformer changed: a Flux
    /// Kustomization's `spec.targetNamespace`, or a kustomization's `namespace:`, over a Namespace
    /// declared with another name (`${AGENT_NS}`, `build`). kustomize's namespace transformer sets
    /// `metadata.name` of every `v1` Namespace it transforms
    /// (kubernetes-sigs/kustomize@kustomize/v5.8.1 `api/internal/konfig/builtinpluginconsts/namespace.go`
    /// `namespaceFieldSpecs`: `path: metadata/name, kind: Namespace`), and kustomize-controller
    /// sets the kustomization's `namespace` from `spec.targetNamespace` (fluxcd/pkg@e2cfd1a2
    /// `kustomize/kustomize_generator.go` `GenerateManifest`).
    ///
    /// It fires only on a real rename: Flux documents `targetNamespace: X` together with a
    /// Namespace named X, which is applied as written. A Namespace of a kustomize `Component`
    /// (the placeholder each consumer renames with its `namespace:`) and a Namespace whose name
    /// says it is one (`name: _`, `to-be-replaced`, `name-overriden-by-kustomize`), in any kustomization, are renamed on purpose
    /// and not reported (HYG002 reports what pruning them costs); neither is a Namespace marked `kustomize.toolkit.fluxcd.io/prune: disabled`,
    /// which pruning its owner keeps.
    ///
    /// ## Why is this bad?
    /// The object Git declares is not the one applied: a Namespace `build` becomes Namespace
    /// `ci`, the namespace everything else is moved into. The Kustomization then owns that
    /// namespace, so pruning it (deleting the Kustomization, or dropping the Namespace from Git)
    /// deletes the target namespace with everything in it, including what other Kustomizations
    /// applied there. Two such Kustomizations over one target namespace also apply it twice.
    ///
    /// ## Example
    /// ```yaml
    /// # Kustomization ci-agents: targetNamespace: ci, path: ./agents
    /// # agents/namespace.yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: ${AGENT_NS}   # applied as Namespace ci
    /// ```
    ///
    /// ## Fix
    /// Drop the Namespace from the directory (let the Kustomization that owns the namespace
    /// create it), or name it as the target namespace so what Git says is what is applied.
    pub(crate) struct NamespaceObjectRenamed {
        code: "SRC014",
        name: "namespace-object-renamed",
        category: Category::SourceIntegrity,
        severity: Severity::Warning,
    }
}

impl Rule for NamespaceObjectRenamed {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let mut files: Option<HashMap<FileId, (usize, &LoadedFile)>> = None;
        let mut components: Option<HashSet<(usize, String)>> = None;
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            // `kustomize.toolkit.fluxcd.io/prune: disabled` keeps the namespace when its owner is
            // pruned: the placeholder-Namespace component (`name: _`, renamed by each consumer's
            // `namespace:`) is written that way on purpose.
            if o.synthesized
                || o.kind() != "Namespace"
                || o.api_version() != "v1"
                || has_marker(&o.root, "prune", "disabled")
            {
                continue;
            }
            let Some(name) = o.root.get_path(&["metadata", "name"]) else { continue };
            // The name was written by the document itself: not renamed.
            if name.span.file == o.root.span.file
                && o.root.span.start <= name.span.start
                && name.span.end <= o.root.span.end
            {
                continue;
            }
            let files = files.get_or_insert_with(|| {
                cx.trees
                    .iter()
                    .enumerate()
                    .flat_map(|(t, tree)| tree.files.iter().map(move |f| (f.id, (t, f))))
                    .collect()
            });
            let components = components.get_or_insert_with(|| component_dirs(cx));
            let Some(&(tree, file)) = files.get(&o.root.span.file) else { continue };
            // A Component's Namespace is renamed by each consumer's `namespace:` by design
            // ("make sure the kustomization that calls the component sets `namespace`"): what
            // pruning it costs is HYG002's finding, not a rename to fix.
            let dir = cx.db.get(file.id).path.rsplit_once('/').map_or("", |(d, _)| d);
            if components.contains(&(tree, dir.to_string())) {
                continue;
            }
            let declared = Some(file)
                .and_then(|f| f.yaml.documents.iter().find(|d| d.root.span == o.root.span))
                .and_then(|d| d.root.get_path(&["metadata", "name"]));
            let (Some(declared), Some(applied)) = (declared, name.as_str()) else { continue };
            let Some(written) = declared.as_str() else { continue };
            // A name written to be replaced (`_`, `to-be-replaced`) says the rename is the design,
            // in a Component or a plain kustomization alike: what pruning it costs is HYG002's.
            if written == applied || is_placeholder_name(written) {
                continue;
            }
            let owner = o.owner_id().unwrap_or("its Kustomization");
            let message = format!(
                "Namespace `{written}` is applied as Namespace `{applied}`: the namespace transformer renames it, so {owner} owns namespace `{applied}` and pruning it deletes that namespace with everything in it"
            );
            let f = Self::finding(declared.span, message)
                .with_help(format!(
                    "drop this Namespace and let the owner of namespace `{applied}` create it, or name it `{applied}`"
                ))
                .with_related(name.span, format!("renamed to `{applied}` here"))
                .with_field("metadata.name");
            out.push(cx.about(f, i));
        }
    }
}

/// A Namespace name that only stands in for the one each consumer sets.
fn is_placeholder_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.chars().all(|c| c == '_' || c == '-')
        || ["placeholder", "to-be-replaced", "replace-me", "replaceme", "changeme", "overrid", "overwrit"]
            .iter()
            .any(|w| n.contains(w))
}

/// `(tree, directory)` of every kustomization file of kind `Component`.
fn component_dirs(cx: &ClusterContext<'_>) -> HashSet<(usize, String)> {
    let mut out = HashSet::new();
    for (t, tree) in cx.trees.iter().enumerate() {
        for f in &tree.files {
            let path = &cx.db.get(f.id).path;
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            if !matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization") {
                continue;
            }
            let kind = f.yaml.documents.first().and_then(|d| d.root.get("kind")).and_then(fleetlint_yaml::Node::as_str);
            if kind == Some("Component") {
                out.insert((t, dir.to_string()));
            }
        }
    }
    out
}
