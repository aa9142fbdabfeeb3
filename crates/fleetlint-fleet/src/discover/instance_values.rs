//! FluxInstances that are not plain files (issue 11 layout 3): a HelmRelease of the
//! `flux-instance` chart, directly or among a ResourceSet's `resources`, whose values come (also)
//! through `valuesFrom` ConfigMaps or Secrets the same kustomization generates. The values are
//! merged as helm-controller merges them (fluxcd/helm-controller `internal/action/values.go`
//! `ChartValuesFromReferences` via fluxcd/pkg `chartutil`: each `valuesFrom` in order, `valuesKey`
//! default `values.yaml`, `MergeMaps` where maps merge recursively and anything else replaces,
//! then the inline `values` on top), and `instance` is the FluxInstance spec.

use fleetlint_yaml::{Entry, Limits, Node, NodeKind, ObjectView, parse_yaml};

use crate::artifact::TreeView;
use crate::flux::{FluxObject, is_flux_instance_release};
use crate::fluxbuild;
use crate::walk::Trees;

/// A FluxInstance spec assembled from a HelmRelease's values.
pub(crate) struct ValuesInstance {
    /// The `instance` values, merged.
    pub spec: Node,
    /// `Kind/namespace/name` of the object carrying it (the ResourceSet or the HelmRelease).
    pub carrier: String,
    /// Where the carrier is written.
    pub span: fleetlint_yaml::Span,
}

/// The flux-instance HelmReleases of a document: itself, or among a ResourceSet's resources.
fn releases(root: &Node) -> Vec<&Node> {
    if is_flux_instance_release(root) {
        return vec![root];
    }
    if ObjectView::new(root).is_some_and(|v| v.kind() == "ResourceSet") {
        return root
            .get_path(&["spec", "resources"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|r| is_flux_instance_release(r))
            .collect();
    }
    Vec::new()
}

/// helm-controller's `MergeMaps(base, over)`: `over` wins; maps merge recursively; lists and
/// scalars replace.
pub(crate) fn merge_values(base: &mut Node, over: &Node) {
    match (&mut base.kind, &over.kind) {
        (NodeKind::Map(entries), NodeKind::Map(over_entries)) => {
            for oe in over_entries {
                let Some(k) = oe.key.as_str() else { continue };
                match entries.iter_mut().find(|e| e.key.as_str() == Some(k)) {
                    Some(e) if e.value.as_map().is_some() && oe.value.as_map().is_some() => {
                        merge_values(&mut e.value, &oe.value);
                    }
                    Some(e) => e.value = oe.value.clone(),
                    None => entries.push(Entry { key: oe.key.clone(), value: oe.value.clone() }),
                }
            }
        }
        _ => *base = over.clone(),
    }
}

/// The values a `valuesFrom` entry reads from `objects` (the build that renders the release).
fn referenced_values(objects: &[&Node], namespace: &str, r: &Node) -> Option<Node> {
    let kind = r.get("kind").and_then(Node::as_str)?;
    let name = r.get("name").and_then(Node::as_str)?;
    let key = r.get("valuesKey").and_then(Node::as_str).unwrap_or("values.yaml");
    if r.get("targetPath").is_some() {
        // A single value set at a path: not an `instance` document.
        return None;
    }
    let obj = objects.iter().find(|o| {
        ObjectView::new(o)
            .is_some_and(|v| v.kind() == kind && v.name() == Some(name) && v.namespace().is_none_or(|n| n == namespace))
    })?;
    let field = if kind == "Secret" { "stringData" } else { "data" };
    let value = obj.get(field).and_then(|d| d.get(key))?;
    let text = value.as_str()?;
    // Generated from a file (`files: [values.yaml=...]`): the value is that file's text and its
    // span is the file's, so parsing it under the file's id gives positions in that file. A
    // literal or inline value keeps the file it is written in (positions approximate).
    let parsed = parse_yaml(value.span.file, text, &Limits::default());
    parsed.documents.into_iter().next().map(|d| d.root)
}

/// Every FluxInstance spec carried by a flux-instance HelmRelease with `valuesFrom`, in the
/// files `paths` (only directories holding such a release are built), or by a values file of
/// the flux-instance chart.
pub(crate) fn instances(trees: &Trees<'_>, view: &TreeView<'_>, paths: &[&str]) -> Vec<ValuesInstance> {
    let mut out = Vec::new();
    let mut built: Vec<String> = Vec::new();
    for path in paths {
        let Some(file) = view.file(path) else { continue };
        // A values file of the flux-instance chart on its own (no `kind`): what an installer
        // outside Git (Terraform's `helm_release`, `helm install -f`) passes to the chart
        // (heldout11, jonpulsifer/infra: `clusters/<c>/bootstrap/flux-values.yaml`, read by
        // `bootstrap.tf`). The chart's `instance` value is the FluxInstance spec
        // (controlplaneio-fluxcd/charts `flux-instance` values.yaml); one that names a
        // distribution and a sync path says where the cluster's root is.
        for d in &file.yaml.documents {
            if d.root.get("kind").is_some() || d.root.get("apiVersion").is_some() {
                continue;
            }
            let Some(spec) = d.root.get("instance") else { continue };
            if spec.get("distribution").is_some() && spec.get_path(&["sync", "path"]).is_some() {
                out.push(ValuesInstance {
                    spec: spec.clone(),
                    carrier: format!("values file {path}"),
                    span: d.root.span,
                });
            }
        }
        let wanted = file.yaml.documents.iter().any(|d| {
            releases(&d.root).iter().any(|hr| FluxObject::new(hr).is_some_and(|h| !h.values_from().is_empty()))
        });
        if !wanted {
            continue;
        }
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        if built.contains(&dir) || view.kustomization_file(&dir).is_none() {
            continue;
        }
        built.push(dir.clone());
        let build = fluxbuild::build(&trees.resolvers[0], view, &dir, &Node::map(file.yaml.documents[0].root.span));
        let objects: Vec<&Node> = build.resources.iter().map(|r| &r.root).collect();
        for carrier in &objects {
            for hr in releases(carrier) {
                let Some(h) = FluxObject::new(hr) else { continue };
                let ns = ObjectView::new(hr).and_then(|v| v.namespace()).unwrap_or(h.namespace()).to_string();
                let mut values = Node::map(hr.span);
                for r in h.values_from() {
                    if let Some(v) = referenced_values(&objects, &ns, r) {
                        merge_values(&mut values, &v);
                    }
                }
                if let Some(inline) = hr.get_path(&["spec", "values"]) {
                    merge_values(&mut values, inline);
                }
                let Some(spec) = values.get("instance").filter(|i| i.get("sync").is_some()).cloned() else { continue };
                let v = ObjectView::new(carrier);
                let carrier_id = v
                    .map(|v| format!("{}/{}/{}", v.kind(), v.namespace().unwrap_or(""), v.name().unwrap_or("")))
                    .unwrap_or_default();
                out.push(ValuesInstance { spec, carrier: carrier_id, span: carrier.span });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::FileId;

    fn yaml(text: &str) -> Node {
        parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root
    }

    #[test]
    fn values_merge_as_helm_controller_merges_them() {
        let mut base = yaml("instance:\n  sync: {path: a, kind: GitRepository}\n  components: [x, y]\n");
        merge_values(&mut base, &yaml("instance:\n  sync: {path: b}\n  components: [z]\n"));
        assert_eq!(base.get_path(&["instance", "sync", "path"]).and_then(Node::as_str), Some("b"));
        assert_eq!(base.get_path(&["instance", "sync", "kind"]).and_then(Node::as_str), Some("GitRepository"));
        let comps = base.get_path(&["instance", "components"]).and_then(Node::as_seq).unwrap();
        assert_eq!(comps.len(), 1, "lists replace, never merge");
    }
}
