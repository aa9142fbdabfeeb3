//! Building one Flux Kustomization the way kustomize-controller does
//! (`fluxcd/pkg@e2cfd1a2:kustomize/kustomize_generator.go`, `GenerateManifest`;
//! docs/flux-semantics.md#building-a-flux-kustomization): the
//! kustomization at `spec.path` (or the one generated for a path without), with the Flux fields
//! merged in (`targetNamespace`, `namePrefix`, `nameSuffix`, `patches`, `images`,
//! `components`), built by the resolver; then `commonMetadata` on top-level metadata.

use std::sync::Arc;

use fleetlint_kustomize::{BuildIssue, BuildIssueKind, BuildOutput, Kustomization, Resolver};
use fleetlint_yaml::relpath::clamp_flux_path;
use fleetlint_yaml::{Entry, Node, NodeKind, Span};

use crate::artifact::{TreeView, resources_node};

/// The Flux fields that change a build.
const FLUX_BUILD_FIELDS: &[&str] = &["targetNamespace", "namePrefix", "nameSuffix", "patches", "images", "components"];

/// Build `dir` of the tree behind `resolver` as the Flux Kustomization with spec `spec`.
#[must_use]
pub fn build(resolver: &Resolver<'_>, view: &TreeView<'_>, dir: &str, spec: &Node) -> BuildOutput {
    if let Some(shared) = cached(resolver, view, dir, spec) {
        return (*shared).clone();
    }
    build_new(resolver, view, dir, spec)
}

/// [`build`] for a caller that only reads the output (discovery looking for roots): the
/// resolver's cached build itself when the spec changes nothing, without the deep copy of every
/// object that [`build`] makes for a caller that goes on to change them. That copy and its drop
/// were 8% of a 2,000-tenant check (issue 13).
pub(crate) fn build_shared(resolver: &Resolver<'_>, view: &TreeView<'_>, dir: &str, spec: &Node) -> Arc<BuildOutput> {
    cached(resolver, view, dir, spec).unwrap_or_else(|| Arc::new(build_new(resolver, view, dir, spec)))
}

/// The common case: a directory with a kustomization file, built with no Flux field that changes
/// the build and no `commonMetadata`, is the resolver's cached Flux build of the directory.
fn cached(resolver: &Resolver<'_>, view: &TreeView<'_>, dir: &str, spec: &Node) -> Option<Arc<BuildOutput>> {
    let has_flux_fields = FLUX_BUILD_FIELDS.iter().any(|f| spec.get(f).is_some_and(|n| !n.is_null()));
    let plain = !has_flux_fields && spec.get("commonMetadata").is_none();
    (plain && view.kustomization_file(dir).is_some()).then(|| resolver.build_flux(dir))
}

fn build_new(resolver: &Resolver<'_>, view: &TreeView<'_>, dir: &str, spec: &Node) -> BuildOutput {
    let has_flux_fields = FLUX_BUILD_FIELDS.iter().any(|f| spec.get(f).is_some_and(|n| !n.is_null()));
    let existing = view.kustomization_file(dir);
    let mut out = if existing.is_some() && !has_flux_fields {
        (*resolver.build_flux(dir)).clone()
    } else {
        let base = match existing {
            Some(id) => view
                .file_by_id(id)
                .and_then(|f| f.yaml.documents.first())
                .map(|d| d.root.clone())
                .filter(|r| r.as_map().is_some())
                .unwrap_or_else(|| Node::map(spec.span)),
            None => {
                let mut root = Node::map(spec.span);
                let span = spec.get("path").map_or(spec.span, |n| n.span);
                set(&mut root, "resources", resources_node(&view.implicit_resources(dir), span), span);
                root
            }
        };
        let (spec, mut issues) = checked_components(view, dir, spec);
        let root = merge_flux_fields(base, &spec);
        let mut out = resolver.build_kustomization(&Kustomization { dir: dir.to_string(), root, file: existing });
        out.issues.append(&mut issues);
        out
    };
    if let Some(meta) = spec.get("commonMetadata") {
        for r in &mut out.resources {
            apply_common_metadata(&mut r.root, meta);
        }
    }
    out
}

/// kustomize-controller's checks of `spec.components`: each must be a local relative path
/// ("component path '<p>' must be local and relative", the build fails), and one that does not
/// exist is dropped only with `spec.ignoreMissingComponents` (otherwise kustomize fails on it).
fn checked_components(view: &TreeView<'_>, dir: &str, spec: &Node) -> (Node, Vec<BuildIssue>) {
    let mut spec = spec.clone();
    let mut issues = Vec::new();
    let ignore_missing = spec.get("ignoreMissingComponents").and_then(Node::as_bool) == Some(true);
    if let Some(NodeKind::Seq(items)) = spec.get_mut("components").map(|n| &mut n.kind) {
        items.retain(|c| {
            let Some(p) = c.as_str() else { return true };
            if p.starts_with('/') || p.contains("://") || p.starts_with("git@") {
                issues.push(BuildIssue {
                    kind: BuildIssueKind::InputInvalid,
                    message: format!("component path '{p}' must be local and relative"),
                    span: c.span,
                    fatal: true,
                });
                return false;
            }
            let exists = clamp_flux_path(&format!("{dir}/{p}")).0;
            !ignore_missing || view.is_dir(&exists)
        });
    }
    (spec, issues)
}

fn key_is(e: &Entry, key: &str) -> bool {
    e.key.as_str() == Some(key)
}

fn set(map: &mut Node, key: &str, value: Node, key_span: Span) {
    if let NodeKind::Map(entries) = &mut map.kind {
        if let Some(e) = entries.iter_mut().find(|e| key_is(e, key)) {
            e.value = value;
        } else {
            entries.push(Entry { key: Node::string(key, key_span), value });
        }
    }
}

fn seq_items(n: Option<&Node>) -> Vec<Node> {
    n.and_then(Node::as_seq).map(<[Node]>::to_vec).unwrap_or_default()
}

/// kustomize-controller's merge of the Flux spec into the kustomization (fluxcd/pkg
/// `kustomize_generator.go`): scalars override, `patches`/`components` append, `images` are
/// merged field by field into same-named entries.
fn merge_flux_fields(mut root: Node, spec: &Node) -> Node {
    for (flux, kustomize) in
        [("targetNamespace", "namespace"), ("namePrefix", "namePrefix"), ("nameSuffix", "nameSuffix")]
    {
        if let Some(e) = spec.entry(flux).filter(|e| e.value.as_str().is_some_and(|s| !s.is_empty())) {
            set(&mut root, kustomize, e.value.clone(), e.key.span);
        }
    }
    for key in ["patches", "components"] {
        if let Some(e) = spec.entry(key).filter(|e| e.value.as_seq().is_some()) {
            let mut items = seq_items(root.get(key));
            items.extend(seq_items(Some(&e.value)));
            set(&mut root, key, Node { span: e.value.span, kind: NodeKind::Seq(items) }, e.key.span);
        }
    }
    if let Some(e) = spec.entry("images").filter(|e| e.value.as_seq().is_some()) {
        let mut items = seq_items(root.get("images"));
        for img in seq_items(Some(&e.value)) {
            let name = img.get("name").and_then(Node::as_str).map(str::to_string);
            let same =
                items.iter_mut().find(|i| name.is_some() && i.get("name").and_then(Node::as_str) == name.as_deref());
            match (same, &img.kind) {
                (Some(existing), NodeKind::Map(fields)) => {
                    for f in fields {
                        if let Some(k) = f.key.as_str() {
                            set(existing, k, f.value.clone(), f.key.span);
                        }
                    }
                }
                _ => items.push(img),
            }
        }
        set(&mut root, "images", Node { span: e.value.span, kind: NodeKind::Seq(items) }, e.key.span);
    }
    root
}

/// `spec.commonMetadata`: labels and annotations on top-level metadata only.
fn apply_common_metadata(root: &mut Node, meta: &Node) {
    for key in ["labels", "annotations"] {
        let Some(add) = meta.get(key).and_then(Node::as_map) else { continue };
        let span = meta.get(key).map_or(meta.span, |n| n.span);
        let Some(md) = root.get_mut("metadata") else { continue };
        if md.get(key).is_none_or(Node::is_null) {
            set(md, key, Node::map(span), span);
        }
        if let Some(target) = md.get_mut(key) {
            for e in add {
                if let Some(k) = e.key.as_str() {
                    set(target, k, e.value.clone(), e.key.span);
                }
            }
        }
    }
}
