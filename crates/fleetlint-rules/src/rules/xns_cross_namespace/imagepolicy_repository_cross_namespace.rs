use fleetlint_fleet::RenderedObject;
use fleetlint_fleet::controllers::Controller;
use fleetlint_yaml::{FluxKind, Node};

use super::helpers::{Reference, finding, objects_of, severity};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an ImagePolicy whose `spec.imageRepositoryRef.namespace` names another namespace.
    /// Error when image-reflector-controller runs with `--no-cross-namespace-refs=true`;
    /// otherwise a warning in tenant scope and an info in platform scope (infos only in clusters
    /// with tenants: in a single-team cluster this is the usual layout) (an unknown controller
    /// configuration counts as "off" and is said so). Whatever the lockdown, when the target
    /// ImageRepository is in the graph: no `spec.accessFrom`, or no `namespaceSelectors[]` whose
    /// `matchLabels` match the labels of the policy's Namespace object (when that object is in
    /// the graph), is an error. An `accessFrom` selector with empty `matchLabels` is a warning on
    /// the ImageRepository: it admits every namespace.
    ///
    /// ## Why is this bad?
    /// Under lockdown the controller refuses the repository (*cannot access
    /// 'ImageRepository/<ns>/<name>', cross-namespace references have been blocked*). It always
    /// enforces the ImageRepository's `accessFrom` ACL for a cross-namespace reference too
    /// (*missing ACL labels on 'accessFrom'* / *ACL labels mismatch*): the policy never resolves.
    ///
    /// ## Severity
    /// lockdown-dependent: `error` where image-reflector-controller runs with `--no-cross-
    /// namespace-refs=true`; otherwise `warning` in tenant scope and `info` in platform scope
    /// (infos only in clusters with tenants). A denial by the ImageRepository's `accessFrom` ACL is
    /// an `error` whatever the lockdown; an empty `matchLabels` selector that admits every
    /// namespace is a `warning`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: image.toolkit.fluxcd.io/v1
    /// kind: ImagePolicy
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   imageRepositoryRef: {name: app, namespace: shared}   # shared/app has no accessFrom
    ///   policy: {semver: {range: 1.x}}
    /// ```
    ///
    /// ## Fix
    /// Scan the image with an ImageRepository in the policy's namespace; if sharing is intended
    /// (no lockdown), give the shared ImageRepository an `accessFrom.namespaceSelectors` entry
    /// that matches the labels of exactly the namespaces that may use it.
    pub(crate) struct ImagepolicyRepositoryCrossNamespace {
        code: "XNS005",
        name: "imagepolicy-repository-cross-namespace",
        category: Category::CrossNamespace,
        severity: Severity::Error,
    }
}

const HELP: &str = "scan the image with an ImageRepository in the policy's namespace";

impl Rule for ImagepolicyRepositoryCrossNamespace {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, o, policy) in objects_of(cx, FluxKind::ImagePolicy) {
            let Some(rref) = policy.image_repository_ref() else { continue };
            let Some((node, ns)) = rref.cross_namespace() else { continue };
            let name = rref.name();
            let id = format!("ImageRepository/{ns}/{name}");
            let r = Reference {
                object: i,
                node,
                field: "spec.imageRepositoryRef.namespace".into(),
                controller: Controller::ImageReflector,
                what: format!("spec.imageRepositoryRef names {id}"),
                blocked: format!("cannot access '{id}', cross-namespace references have been blocked"),
                open: format!("the policy reads {id} if its accessFrom admits namespace {}", o.namespace()),
                help: HELP,
            };
            out.extend(finding(cx, Self::ID, &r, severity));
            let target =
                cx.cluster.objects.iter().find(|t| {
                    t.flux_kind() == Some(FluxKind::ImageRepository) && t.namespace() == ns && t.name() == name
                });
            if let Some(target) = target
                && let Some(f) = acl_finding(cx, o, target, &id, node.span)
            {
                out.push(cx.about(f.with_help(HELP).with_field("spec.imageRepositoryRef"), i));
            }
        }
        // A selector that admits every namespace, wherever it is.
        for (i, o, repository) in objects_of(cx, FluxKind::ImageRepository) {
            let selectors = repository
                .access_from()
                .and_then(|a| a.get(&["namespaceSelectors"]))
                .map(|f| f.items())
                .unwrap_or_default();
            for (n, sel) in selectors.iter().enumerate() {
                if sel.get("matchLabels").and_then(Node::as_map).is_some_and(|m| !m.is_empty()) {
                    continue;
                }
                let span = sel.get("matchLabels").map_or(sel.span, |m| m.span);
                let f = Finding::new(
                    Self::ID,
                    span,
                    format!(
                        "spec.accessFrom.namespaceSelectors[{n}] has empty matchLabels: every namespace may use {}",
                        o.id()
                    ),
                )
                .with_severity(Severity::Warning)
                .with_help("list the labels of the namespaces that may use this ImageRepository")
                .with_field(format!("spec.accessFrom.namespaceSelectors[{n}].matchLabels"));
                out.push(cx.about(f, i));
            }
        }
    }
}

/// The ACL verdict image-reflector-controller reaches for `policy` reading `target` (enforced
/// regardless of the lockdown flag), when it is a denial.
fn acl_finding(
    cx: &ClusterContext<'_>,
    policy: &RenderedObject,
    target: &RenderedObject,
    id: &str,
    span: fleetlint_yaml::Span,
) -> Option<Finding> {
    let rule = ImagepolicyRepositoryCrossNamespace::ID;
    let pns = policy.namespace();
    let Some(access) = target.flux().and_then(|t| t.access_from()).map(|f| f.value) else {
        let msg = format!(
            "{id} has no spec.accessFrom: image-reflector-controller denies the policy (\"{id} can't be accessed due to missing ACL labels on 'accessFrom'\")"
        );
        return Some(Finding::new(rule, span, msg).with_related(name_span(target), "the ImageRepository"));
    };
    // The labels of the policy's namespace, when its Namespace object is in the graph.
    let ns_obj =
        cx.cluster.objects.iter().find(|o| o.kind() == "Namespace" && o.api_version() == "v1" && o.name() == pns)?;
    let labels = ns_obj.root.get_path(&["metadata", "labels"]).and_then(Node::as_map).unwrap_or_default();
    let selectors = access.get("namespaceSelectors").and_then(Node::as_seq).unwrap_or_default();
    let matches = selectors.iter().any(|sel| {
        sel.get("matchLabels").and_then(Node::as_map).unwrap_or_default().iter().all(|want| {
            labels.iter().any(|have| {
                have.key.as_str() == want.key.as_str()
                    && have.value.as_str().unwrap_or("") == want.value.as_str().unwrap_or("")
            })
        })
    });
    if matches {
        return None;
    }
    let msg = format!(
        "{id} admits no namespace labelled like {pns}: image-reflector-controller denies the policy (\"{id} can't be accessed due to ACL labels mismatch on namespace '{pns}'\")"
    );
    Some(
        Finding::new(rule, span, msg)
            .with_related(access.span, "the ImageRepository's accessFrom")
            .with_related(name_span(ns_obj), format!("Namespace {pns}")),
    )
}

fn name_span(o: &RenderedObject) -> fleetlint_yaml::Span {
    o.root.get_path(&["metadata", "name"]).map_or(o.root.span, |n| n.span)
}
