use std::sync::OnceLock;

use fleetlint_kustomize::patch::target::Target;
use fleetlint_kustomize::{BuildIssueKind, KUSTOMIZATION_FILE_NAMES};
use fleetlint_yaml::{FileId, Limits, Node, ObjectView, Span, parse_yaml};

use crate::context::BuildContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::distribution::instance_patch_at;
use crate::rules::src_integrity::helpers::reach::{Reach, Reaches};

declare_rule! {
    /// ## What it does
    /// Reports a patch whose `target` (or, for a strategic-merge patch without target, whose own
    /// kind and name) selects no object of the build.
    ///
    /// ## Why is this bad?
    /// kustomize accepts such a patch silently, so a renamed Deployment or a typo in the target
    /// leaves the change the patch was meant to make (a resource limit, a lockdown flag, a
    /// replica count) out of the cluster without any error.
    ///
    /// ## Example
    /// ```yaml
    /// patches:
    ///   - path: replicas.yaml
    ///     target:
    ///       kind: Deployment
    ///       name: podinfo-frontend   # the Deployment is called `podinfo`
    /// ```
    ///
    /// Patches in a cluster's `flux-system/kustomization.yaml` that target the bootstrap objects
    /// (the controller Deployments, the `flux-system` GitRepository and Kustomization) are not
    /// reported when `gotk-components.yaml` is a placeholder: those objects exist on the cluster,
    /// and the lockdown patches of the multi-tenancy reference layout are written this way.
    /// Nor are a FluxInstance's `spec.kustomize.patches` aimed at objects of the Flux
    /// distribution that fleetlint does not render: the CRDs of the Flux groups, the Namespace,
    /// RBAC, NetworkPolicies, ServiceAccounts and Services of the controllers (the operator
    /// appends these patches to the kustomization that builds the distribution,
    /// controlplaneio-fluxcd/flux-operator `internal/builder/templates.go`). A FluxInstance
    /// patch aimed at a controller Deployment that none of its `components` deploys is reported.
    ///
    /// Only builds Flux runs are judged: a patch in a directory no cluster's Flux build reaches
    /// (a bootstrap directory applied with kubectl, an archived tree) or in a `kind: Component`
    /// built on its own, or inside a consumer that lacks the target (its patches target what
    /// whichever consumer has it renders), is not reported.
    ///
    /// ## Severity
    /// `warning`; `info` when the build leaves a remote resource or a plugin out, where the
    /// target may be (issue 14 overrides the catalog here: a patch of an object that a remote
    /// `install.yaml` defines is common and not a mistake).
    ///
    /// ## Fix
    /// Correct the target (kind, name, namespace, label or annotation selector), or remove the
    /// patch if the object is gone.
    pub(crate) struct PatchTargetUnmatched {
        code: "SRC013",
        name: "patch-target-unmatched",
        category: Category::SourceIntegrity,
        severity: Severity::Warning,
    }
}

impl Rule for PatchTargetUnmatched {
    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        let reaches = Reaches::new(cx);
        for (i, issue) in cx.issues.iter().enumerate() {
            let unknown = issue.kind == BuildIssueKind::PatchTargetUnknown;
            if !(unknown || issue.kind == BuildIssueKind::PatchTargetUnmatched)
                || aimed_at_bootstrap_objects(cx, issue.span)
                || aimed_at_distribution(cx, issue.span)
            {
                continue;
            }
            let mut f = Self::finding(issue.span, issue.message.clone())
                .with_help("fix the patch target so it selects the object it is meant to change, or remove the patch")
                .with_field(format!("patch:{}", issue.message));
            // A Component's patch is written for whichever consumer has the target (a `postgres`
            // component patching the Cluster of the apps that render one): matching nothing in one
            // consumer is how components are used, not a stale patch.
            if in_component(cx, issue.span) {
                continue;
            }
            match reaches.of(cx, i) {
                Reach::Flux(clusters) => f.clusters = clusters,
                Reach::Alone => {}
                // Builds Flux never runs (kubectl-only bootstrap directories, archived trees) or
                // runs differently: what their patches match is not what a cluster gets.
                Reach::Ignored | Reach::Unreached(_) | Reach::BehindFailure(_) => continue,
            }
            if unknown {
                // The target may be in a remote resource fleetlint did not fetch (issue 14
                // item 2): an info, never a warning or error.
                f.severity = Severity::Info;
                f.help = Some("fleetlint cannot see the left-out inputs; check the target against them".into());
            }
            out.push(f);
        }
    }
}

/// Whether `span` is in the kustomization file of a `kind: Component` directory.
fn in_component(cx: &BuildContext<'_>, span: Span) -> bool {
    let path = &cx.db.get(span.file).path;
    match path.rsplit_once('/') {
        Some((dir, name)) => KUSTOMIZATION_FILE_NAMES.contains(&name) && cx.builds.components.contains(dir),
        None => KUSTOMIZATION_FILE_NAMES.contains(&path.as_str()) && cx.builds.components.contains(""),
    }
}

/// The objects bootstrap creates outside the repository when `gotk-components.yaml` is a
/// placeholder: the controller Deployments and the `flux-system` source and Kustomization.
const BOOTSTRAP_OBJECTS: &str = "\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: source-controller, namespace: flux-system}\n---
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kustomize-controller, namespace: flux-system}\n---
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: helm-controller, namespace: flux-system}\n---
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: notification-controller, namespace: flux-system}\n---
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: image-reflector-controller, namespace: flux-system}\n---
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: image-automation-controller, namespace: flux-system}\n---
apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-system, namespace: flux-system}\n---
apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system, namespace: flux-system}\n";

/// Whether `span` is in a FluxInstance patch aimed at an object of the Flux distribution that
/// fleetlint does not render (a Flux CRD, the RBAC, the NetworkPolicies...): the operator applies
/// the patch to the distribution it builds (`crate::rules::helpers::distribution`), so "matches
/// no resource" only says what fleetlint does not model.
fn aimed_at_distribution(cx: &BuildContext<'_>, span: Span) -> bool {
    let Some(file) = cx.tree.files.iter().find(|f| f.id == span.file) else { return false };
    file.yaml
        .documents
        .iter()
        .filter(|d| d.root.span.start <= span.start && span.start < d.root.span.end)
        .any(|d| instance_patch_at(&d.root, span).is_some_and(|p| p.aims_at_unrendered()))
}

fn aimed_at_bootstrap_objects(cx: &BuildContext<'_>, span: Span) -> bool {
    let path = &cx.db.get(span.file).path;
    let dir = match path.rsplit_once('/') {
        Some((dir, name)) if KUSTOMIZATION_FILE_NAMES.contains(&name) => dir,
        _ => return false,
    };
    if !(dir == "flux-system" || dir.ends_with("/flux-system")) {
        return false;
    }
    let components = format!("{dir}/gotk-components.yaml");
    let placeholder = cx.tree.files.iter().find(|f| cx.db.get(f.id).path == components).is_none_or(|f| {
        f.yaml.documents.iter().filter_map(|d| ObjectView::new(&d.root)).all(|o| o.kind() != "Deployment")
    });
    if !placeholder {
        return false;
    }
    let Some(file) = cx.tree.files.iter().find(|f| f.id == span.file) else { return false };
    let Some(patches) = file.yaml.documents.first().and_then(|d| d.root.get("patches")).and_then(Node::as_seq) else {
        return false;
    };
    let Some(entry) = patches.iter().find(|p| p.span.start <= span.start && span.start < p.span.end) else {
        return false;
    };
    let Some(target) = entry.get("target").and_then(|t| Target::from_node(t).ok()) else { return false };
    static OBJECTS: OnceLock<Vec<Node>> = OnceLock::new();
    let objects = OBJECTS.get_or_init(|| {
        parse_yaml(FileId::SYNTHETIC, BOOTSTRAP_OBJECTS, &Limits::default())
            .documents
            .into_iter()
            .map(|d| d.root)
            .collect()
    });
    objects.iter().any(|o| target.matches(o))
}
