use fleetlint_fleet::controllers::{Controller, DEFAULT_SERVICE_ACCOUNT, NO_CROSS_NAMESPACE_REFS, NO_REMOTE_BASES};
use fleetlint_fleet::flux::InstanceSpec;
use fleetlint_fleet::{Cluster, EntryKind, RenderedObject, Scope};
use fleetlint_yaml::{FluxKind, Node, Span};

use super::helpers::{
    NO_ISOLATION_NOTE, entry_document, instance_spec, isolation_intended, label, lockdown_anchor, narrow,
};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::{self, CrossNs};

declare_rule! {
    /// ## What it does
    /// Reports each multi-tenancy lockdown flag missing on a controller of a cluster with tenants.
    ///
    /// For a cluster that reconciles tenant Flux objects, each flag a controller runs without
    /// (docs/flux-semantics.md, "Lockdown flags") is a finding: `--default-service-account` on kustomize- and helm-controller
    /// (error), `--no-cross-namespace-refs=true` on every deployed kustomize-, helm-,
    /// notification-, image-reflector- and image-automation-controller (warning), and
    /// `--no-remote-bases=true` on kustomize-controller (warning). An explicit `=false` counts
    /// as missing and is reported where it is set; an absent flag is reported at the
    /// `patches:` of the cluster's `flux-system/kustomization.yaml`. A cluster installed by a
    /// FluxInstance gets one finding instead: `spec.cluster.multitenant` is not true.
    ///
    /// When the repository does not show how the controllers run (no bootstrap files or
    /// kustomization, an opaque installation), there is one info per cluster asking to state the
    /// lockdown in `.fleetlint.yaml` (`clusterOverrides.<cluster>.lockdown`), never an error.
    ///
    /// With the lockdown on, an info reports tenant objects that authenticate with cloud workload
    /// identity (`provider: aws|azure|gcp` on sources and ImageRepositories, `kubeConfig.configMapRef`,
    /// SOPS files encrypted with a cloud KMS) while the controller lacks the matching
    /// workload-identity default (`--default-service-account` on source- or
    /// image-reflector-controller, `--default-kubeconfig-service-account`,
    /// `--default-decryption-service-account`; `multitenantWorkloadIdentity` for a FluxInstance).
    ///
    /// ## Why is this bad?
    /// These flags are the documented multi-tenancy lockdown (fluxcd.io "Multi-tenancy
    /// lockdown"); without them isolation rests on every tenant manifest being right: a tenant
    /// object without `serviceAccountName` is applied as cluster-admin, cross-namespace source
    /// references reach other tenants' sources, and remote bases bypass source-controller.
    ///
    /// ## Severity
    /// `error` for a missing `--default-service-account`, `warning` for a missing `--no-cross-
    /// namespace-refs` or `--no-remote-bases`; `info` where the repository does not show the
    /// controller flags (lockdown unknown), for the workload-identity lockdown flag, and where
    /// nothing but the `toolkit.fluxcd.io/tenant` label sets tenancy up (no lockdown flag at all,
    /// no tenant reconciler service account, no `tenants` in the configuration; issue 14
    /// overrides the catalog here).
    ///
    /// ## Example
    /// ```yaml
    /// # clusters/prod/flux-system/kustomization.yaml
    /// resources: [gotk-components.yaml, gotk-sync.yaml]
    /// # no patches adding --no-cross-namespace-refs / --default-service-account / --no-remote-bases
    /// ```
    ///
    /// ## Fix
    /// Add the lockdown patches of the flux2-multi-tenancy reference to
    /// `flux-system/kustomization.yaml` (or set `spec.cluster.multitenant: true` on the
    /// FluxInstance), and give platform Kustomizations `serviceAccountName: kustomize-controller`.
    pub(crate) struct LockdownFlagsMissing {
        code: "ISO002",
        name: "lockdown-flags-missing",
        category: Category::TenantIsolation,
        severity: Severity::Error,
    }
}

/// The lockdown flags: name, the controllers it belongs on, severity, and what its absence allows.
const FLAGS: &[(&str, &[Controller], Severity, &str)] = &[
    (
        DEFAULT_SERVICE_ACCOUNT,
        &[Controller::Kustomize, Controller::Helm],
        Severity::Error,
        "tenant objects without spec.serviceAccountName are applied with the controller's cluster-admin identity",
    ),
    (
        NO_CROSS_NAMESPACE_REFS,
        &[
            Controller::Kustomize,
            Controller::Helm,
            Controller::Notification,
            Controller::ImageReflector,
            Controller::ImageAutomation,
        ],
        Severity::Warning,
        "tenant objects may reference sources, events and repositories in other namespaces",
    ),
    (
        NO_REMOTE_BASES,
        &[Controller::Kustomize],
        Severity::Warning,
        "tenant kustomizations may pull remote bases that bypass source-controller",
    ),
];

impl Rule for LockdownFlagsMissing {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let cluster = cx.cluster;
        let tenant_objects: Vec<(usize, &RenderedObject)> = cluster
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| !o.synthesized && o.scope == Scope::Tenant && o.flux_kind().is_some())
            .collect();
        let Some(&(_, first)) = tenant_objects.first() else { return };
        let trigger = (
            first.root.get_path(&["metadata", "name"]).map_or(first.root.span, |n| n.span),
            format!(
                "tenant {}'s {} is reconciled in this cluster",
                first.tenant.as_deref().unwrap_or(""),
                label(first)
            ),
        );
        if !lockdown::known(cluster) {
            let mut f = Self::finding(
                cluster.entry_span,
                "this cluster reconciles tenant objects but the repository does not show the controllers' lockdown flags: lockdown unknown, state it in .fleetlint.yaml (clusterOverrides.<cluster>.lockdown)",
            )
            .with_related(trigger.0, trigger.1)
            .with_help("add clusterOverrides.<cluster>.lockdown to .fleetlint.yaml, or commit the flux-system kustomization with its lockdown patches")
            .with_field("lockdown");
            f.severity = Severity::Info;
            out.push(f);
            return;
        }
        let instance = (cluster.entry == EntryKind::FluxInstance).then(|| entry_document(cluster, cx.db)).flatten();
        let mut missing = missing_flags(cluster, cx, &trigger);
        let intended = isolation_intended(cluster, None);
        if !intended {
            // No lockdown flag at all and no tenant reconciler account: a fleet using the tenant
            // label for ownership, whose controllers run unlocked by design.
            for f in &mut missing {
                f.severity = Severity::Info;
                f.message.push_str(NO_ISOLATION_NOTE);
            }
        }
        let Some(doc) = &instance else {
            out.extend(missing);
            workload_identity(cx, None, &tenant_objects, out);
            return;
        };
        // The operator derives every lockdown flag from `spec.cluster.multitenant` (its
        // multitenant profile also sets --no-remote-bases): one finding for the field.
        let prefix: &[&str] = if doc.get("kind").and_then(Node::as_str) == Some("FluxInstance") {
            &["spec"]
        } else {
            &["spec", "values", "instance"]
        };
        let path: Vec<&str> = prefix.iter().copied().chain(["cluster", "multitenant"]).collect();
        let multitenant = doc.get_path(&path);
        if multitenant.and_then(Node::as_bool) != Some(true) && !missing.is_empty() {
            let span = multitenant.or_else(|| doc.nearest_key(&path)).map_or(cluster.entry_span, |n| n.span);
            out.push(
                Self::finding(
                    span,
                    "the FluxInstance does not set spec.cluster.multitenant: true although this cluster reconciles tenant objects: tenant objects without spec.serviceAccountName are applied as cluster-admin and may reference other namespaces' sources",
                )
                .with_related(trigger.0, trigger.1.clone())
                .with_help("set spec.cluster.multitenant: true (and tenantDefaultServiceAccount) on the FluxInstance")
                .with_field("spec.cluster.multitenant")
                .with_severity(if intended { Self::META.default_severity } else { Severity::Info }),
            );
        }
        workload_identity(cx, instance_spec(doc), &tenant_objects, out);
    }
}

/// The controllers the cluster deploys; kustomize- and helm-controller when only the
/// configuration states the lockdown.
fn deployed(cluster: &Cluster) -> Vec<Controller> {
    let names = cluster.controllers.deployed();
    if names.is_empty() { vec![Controller::Kustomize, Controller::Helm] } else { names }
}

/// Whether `flag` is on for `controller`, and the text of an explicit setting that turns it off.
fn state(cluster: &Cluster, flag: &str, controller: Controller) -> (bool, Option<Span>) {
    match flag {
        DEFAULT_SERVICE_ACCOUNT => {
            let on = lockdown::default_service_account(cluster, controller).is_some();
            let arg = cluster.controllers.of(controller).arg(flag);
            (on, arg.and_then(|a| a.origin.span()).filter(|s| *s != Span::default()))
        }
        NO_CROSS_NAMESPACE_REFS => {
            let s = lockdown::no_cross_namespace_refs(cluster, controller);
            (s.state == CrossNs::On, s.span)
        }
        _ => lockdown::no_remote_bases(cluster, controller),
    }
}

/// One finding per controller × missing flag.
fn missing_flags(cluster: &Cluster, cx: &ClusterContext<'_>, trigger: &(Span, String)) -> Vec<Finding> {
    let deployed = deployed(cluster);
    let anchor = lockdown_anchor(cluster, cx.db);
    let mut out = Vec::new();
    for (flag, controllers, severity, consequence) in FLAGS {
        for &controller in controllers.iter().filter(|c| deployed.contains(c)) {
            let (on, explicit) = state(cluster, flag, controller);
            if on {
                continue;
            }
            let (span, how) = match explicit {
                Some(s) => (narrow(cx.db, s, &format!("--{flag}")), format!("{controller} turns --{flag} off")),
                None => (anchor, format!("{controller} runs without --{flag}")),
            };
            let mut f = LockdownFlagsMissing::finding(
                span,
                format!("{how} although this cluster reconciles tenant objects: {consequence}"),
            )
            .with_related(trigger.0, trigger.1.clone())
            .with_help(format!(
                "add a patch to flux-system/kustomization.yaml that appends --{flag}{} to {controller}'s args",
                if *flag == "default-service-account" { "=default" } else { "=true" }
            ))
            .with_field(format!("{controller}.args.--{flag}"));
            f.severity = *severity;
            // Where the same flag is on for another controller: the patch target to widen.
            let on_elsewhere =
                controllers.iter().filter(|c| **c != controller).find_map(|&c| match state(cluster, flag, c) {
                    (true, Some(s)) => {
                        Some((narrow(cx.db, s, &format!("--{flag}")), format!("{c} gets --{flag} here")))
                    }
                    _ => None,
                });
            if let Some((s, m)) = on_elsewhere.filter(|_| explicit.is_none()) {
                f = f.with_related(s, m);
            }
            out.push(f);
        }
    }
    out
}

/// Whether a rendered object is a SOPS file encrypted with a cloud KMS.
fn cloud_kms(o: &RenderedObject) -> bool {
    ["kms", "gcp_kms", "azure_kv"]
        .iter()
        .any(|k| o.root.get_path(&["sops", k]).and_then(Node::as_seq).is_some_and(|s| !s.is_empty()))
}

/// The workload-identity sub-check (info): tenant objects that authenticate with cloud
/// identity without naming a service account, while the controller has no default for them.
fn workload_identity(
    cx: &ClusterContext<'_>,
    instance: Option<InstanceSpec<'_>>,
    tenant_objects: &[(usize, &RenderedObject)],
    out: &mut Vec<Finding>,
) {
    let cluster = cx.cluster;
    if lockdown::default_service_account(cluster, Controller::Kustomize).is_none()
        || instance.and_then(|s| s.multitenant_workload_identity()) == Some(true)
    {
        return;
    }
    let deployed = deployed(cluster);
    let mut needs: Vec<(Controller, &str, Span, String)> = Vec::new();
    for &(i, o) in tenant_objects {
        let Some(flux) = o.flux() else { continue };
        let kind = Some(flux.kind());
        let own_sa = flux.service_account().is_some();
        if let Some(p) = flux.cloud_provider().filter(|_| !own_sa) {
            let controller = kind.and_then(Controller::of_kind).unwrap_or(Controller::Source);
            if kind.is_some_and(FluxKind::is_source) || kind == Some(FluxKind::ImageRepository) {
                needs.push((
                    controller,
                    "default-service-account",
                    p.span(),
                    format!("{} uses {} workload identity", label(o), p.as_str().unwrap_or("")),
                ));
            }
        }
        if matches!(kind, Some(FluxKind::Kustomization | FluxKind::HelmRelease)) {
            let kc = flux.kube_config();
            if let Some(cm) =
                kc.and_then(|k| k.config_map_ref()).filter(|_| kc.and_then(|k| k.service_account()).is_none())
            {
                let controller = super::helpers::controller_of(o);
                needs.push((
                    controller,
                    "default-kubeconfig-service-account",
                    cm.span(),
                    format!("{} reaches a remote cluster with workload identity", label(o)),
                ));
            }
        }
        if kind == Some(FluxKind::Kustomization) {
            let dec = flux.decryption();
            let own = dec.is_some_and(|d| d.service_account().is_some() || d.secret_ref().is_some());
            let kms =
                cluster.kustomization_of(i).is_some_and(|k| k.rendered.iter().any(|&r| cloud_kms(&cluster.objects[r])));
            if let (Some(d), false, true) = (dec, own, kms) {
                needs.push((
                    Controller::Kustomize,
                    "default-decryption-service-account",
                    d.0.span(),
                    format!("{} decrypts SOPS files encrypted with a cloud KMS", label(o)),
                ));
            }
        }
    }
    let anchor = lockdown_anchor(cluster, cx.db);
    let mut seen: Vec<(Controller, &str)> = Vec::new();
    for (controller, flag, span, what) in needs {
        if seen.contains(&(controller, flag))
            || !deployed.contains(&controller)
            || lockdown::controller_flag(cluster, controller, flag).is_some()
        {
            continue;
        }
        seen.push((controller, flag));
        let mut f = LockdownFlagsMissing::finding(
            anchor,
            format!("{controller} runs without --{flag} while tenant objects use cloud workload identity: they authenticate as the controller's own cloud identity"),
        )
        .with_related(span, what)
        .with_help(format!("run {controller} with --{flag} (workload-identity lockdown, Flux 2.6+), or set serviceAccountName on the tenant objects"))
        .with_field(format!("{controller}.args.--{flag}"));
        f.severity = Severity::Info;
        out.push(f);
    }
}
