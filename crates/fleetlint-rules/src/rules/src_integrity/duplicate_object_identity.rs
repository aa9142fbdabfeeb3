use std::collections::HashMap;

use fleetlint_fleet::{Cluster, RenderedObject, SourceResolution};
use fleetlint_yaml::Span;

use super::helpers::markers::not_applied;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an object (same API group, kind, namespace and name after every transformation)
    /// that two different Flux Kustomizations of one cluster render. Copies annotated or
    /// labelled `kustomize.toolkit.fluxcd.io/ssa: Ignore` or
    /// `kustomize.toolkit.fluxcd.io/reconcile: disabled` are not applied and do not count. The
    /// finding is on the later copy and points at the other definition; when the two paths
    /// overlap (the same path, or one inside the other), it says so.
    ///
    /// ## Why is this bad?
    /// All Kustomizations apply with the same field manager, so the two silently overwrite each
    /// other on every reconciliation (rollout ping-pong), and when one of them prunes it deletes
    /// an object the other still manages. The usual cause is a parent path without a
    /// `kustomization.yaml`, which kustomize-controller walks recursively, so it also includes
    /// a child Kustomization's directory.
    ///
    /// ## Example
    /// ```yaml
    /// # Kustomization 'infra'        path: ./infrastructure   (no kustomization.yaml there)
    /// # Kustomization 'cert-manager' path: ./infrastructure/cert-manager
    /// # -> both render Namespace/cert-manager
    /// ```
    ///
    /// ## Fix
    /// Let exactly one Kustomization render the object: give the parent path a
    /// `kustomization.yaml` that lists only its own resources, move the shared object to one
    /// place, or mark the extra copy `kustomize.toolkit.fluxcd.io/ssa: Ignore`.
    pub(crate) struct DuplicateObjectIdentity {
        code: "SRC004",
        name: "duplicate-object-identity",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for DuplicateObjectIdentity {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // identity -> (first copy, its renderer)
        let mut first: HashMap<(String, String, String, String), (usize, &str)> = HashMap::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            let Some(renderer) = o.owners.last().map(String::as_str) else { continue };
            if o.synthesized || not_applied(&o.root) || o.kind().is_empty() {
                continue;
            }
            let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g).to_string();
            let key = (group, o.kind().to_string(), o.namespace().to_string(), o.name().to_string());
            match first.get(&key) {
                None => {
                    first.insert(key, (i, renderer));
                }
                Some(&(j, other)) if other != renderer => out.push(duplicate(cx, i, renderer, j, other)),
                Some(_) => {}
            }
        }
    }
}

fn name_span(o: &RenderedObject) -> Span {
    o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span)
}

fn duplicate(cx: &ClusterContext<'_>, i: usize, renderer: &str, j: usize, other: &str) -> Finding {
    let (o, p) = (cx.object(i), cx.object(j));
    let what = if o.namespace().is_empty() {
        format!("{} {}", o.kind(), o.name())
    } else {
        format!("{} {}/{}", o.kind(), o.namespace(), o.name())
    };
    let mut message = format!("{what} is rendered by both {other} and {renderer}: they overwrite each other");
    if let Some(cause) = overlap(cx.cluster, p.owner, o.owner) {
        message = format!("{message} ({cause})");
    }
    let (span, other_span) = (name_span(o), name_span(p));
    let mut f = DuplicateObjectIdentity::finding(span, message)
        .with_help("let exactly one Kustomization render this object, or mark the extra copy kustomize.toolkit.fluxcd.io/ssa: Ignore")
        .with_field("metadata.name");
    if other_span == span {
        // Both read the same file: point at the other renderer's path instead.
        if let Some(path) = p.owner.and_then(|k| cx.object(k).flux()).and_then(|k| k.path()) {
            f = f.with_related(path.span(), format!("{other} renders the same file"));
        }
    } else {
        f = f.with_related(other_span, format!("also defined here, rendered by {other}"));
    }
    cx.about(f, i)
}

/// The usual cause when visible: both Kustomizations read the same tree and one path contains
/// the other (or they are equal).
fn overlap(cluster: &Cluster, a: Option<usize>, b: Option<usize>) -> Option<String> {
    let node = |k: Option<usize>| cluster.kustomization_of(k?);
    let (ka, kb) = (node(a)?, node(b)?);
    let (SourceResolution::Tree(ta), SourceResolution::Tree(tb)) = (&ka.source, &kb.source) else { return None };
    if ta != tb {
        return None;
    }
    let inside = |outer: &str, inner: &str| outer.is_empty() || inner.starts_with(&format!("{outer}/"));
    let show = |p: &str| format!("./{p}");
    if ka.path == kb.path {
        Some(format!("both build {}", show(&ka.path)))
    } else if inside(&ka.path, &kb.path) {
        Some(format!("{} contains {}", show(&ka.path), show(&kb.path)))
    } else if inside(&kb.path, &ka.path) {
        Some(format!("{} contains {}", show(&kb.path), show(&ka.path)))
    } else {
        None
    }
}
