use fleetlint_fleet::Scope;
use fleetlint_fleet::controllers::Controller;
use fleetlint_yaml::{FluxKind, Span};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown;

declare_rule! {
    /// ## What it does
    /// Reports, in tenant scope: (a) a Kustomization with `spec.decryption` but neither
    /// `decryption.secretRef` nor `decryption.serviceAccountName`, when kustomize-controller has
    /// `--sops-age-secret` or lacks `--default-decryption-service-account`; (b) a GitRepository,
    /// OCIRepository, Bucket or ImageRepository with a cloud `spec.provider` (`aws`, `azure`,
    /// `gcp`), or a Provider of type `azureeventhub`/`googlepubsub`, that names neither
    /// `serviceAccountName` nor `secretRef` while its controller lacks the workload-identity
    /// `--default-service-account`. Warning. When the repository does not show the controller
    /// flags they count as absent and the message says the lockdown is unknown.
    ///
    /// ## Why is this bad?
    /// The tenant borrows platform credentials: it can decrypt any ciphertext encrypted to the
    /// platform's age/KMS/Vault keys (kustomize-controller "Controller global decryption"), or act
    /// with the controller's cloud identity (best-practices "workload identity lockdown").
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   serviceAccountName: team-a
    ///   decryption: {provider: sops}   # no secretRef: the controller's keys decrypt
    /// ```
    ///
    /// ## Fix
    /// Give the tenant its own key: `decryption.secretRef` with a Secret in its namespace (or
    /// `decryption.serviceAccountName` with object-level workload identity), a `serviceAccountName`
    /// on cloud-authenticated sources; and run the controllers with the workload-identity
    /// defaults (`--default-decryption-service-account`, `--default-service-account`).
    pub(crate) struct TenantUsesControllerGlobalCredentials {
        code: "ISO009",
        name: "tenant-uses-controller-global-credentials",
        category: Category::TenantIsolation,
        severity: Severity::Warning,
    }
}

impl Rule for TenantUsesControllerGlobalCredentials {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let c = cx.cluster;
        for (i, o) in c.objects.iter().enumerate() {
            if o.synthesized || o.scope != Scope::Tenant {
                continue;
            }
            let Some(flux) = o.flux() else { continue };
            let kind = flux.kind();
            let mut related: Option<(Span, &str)> = None;
            let (span, field, message) = match kind {
                FluxKind::Kustomization => {
                    let Some(dec) = flux.decryption() else { continue };
                    if dec.secret_ref().is_some() || dec.service_account().is_some() {
                        continue;
                    }
                    const C: Controller = Controller::Kustomize;
                    let age = lockdown::controller_flag(c, C, "sops-age-secret");
                    let wi = lockdown::controller_flag(c, C, "default-decryption-service-account");
                    let why = match (&age, &wi) {
                        (Some((secret, s)), _) => {
                            related = s.map(|s| (s, "the controller flag --sops-age-secret"));
                            format!("the age keys of --sops-age-secret={secret}")
                        }
                        (None, None) => format!(
                            "{}'s own KMS/Vault identity (no --default-decryption-service-account){}",
                            C.name(),
                            lockdown::unknown_suffix(c, C)
                        ),
                        (None, Some(_)) => continue,
                    };
                    let span = dec.provider().map_or(dec.0.span(), |p| p.span());
                    let msg = format!(
                        "spec.decryption names neither secretRef nor serviceAccountName: this tenant decrypts with {why}"
                    );
                    (span, "spec.decryption.secretRef", msg)
                }
                FluxKind::GitRepository | FluxKind::OciRepository | FluxKind::Bucket | FluxKind::ImageRepository => {
                    let Some(provider) = flux.cloud_provider() else { continue };
                    let (provider, span) = (provider.as_str().unwrap_or(""), provider.span());
                    let Some(ctrl) = Controller::of_kind(kind) else { continue };
                    let Some(msg) = borrowed_identity(cx, o, ctrl, &format!("spec.provider {provider}")) else {
                        continue;
                    };
                    (span, "spec.serviceAccountName", msg)
                }
                FluxKind::Provider => {
                    let ty_field = flux.provider_type();
                    let ty = ty_field.and_then(|f| f.as_str()).unwrap_or("");
                    if !matches!(ty, "azureeventhub" | "googlepubsub") {
                        continue;
                    }
                    let what = format!("Provider type {ty}");
                    let Some(msg) = borrowed_identity(cx, o, Controller::Notification, &what) else { continue };
                    let span =
                        ty_field.map(|f| f.span()).or_else(|| flux.spec().map(|s| s.span)).unwrap_or(o.root.span);
                    (span, "spec.serviceAccountName", msg)
                }
                _ => continue,
            };
            let mut f = Finding::new(Self::ID, span, message)
                .with_help("give the tenant its own credentials (a secretRef or serviceAccountName in its namespace)")
                .with_field(field);
            if let Some((s, m)) = related {
                f = f.with_related(s, m);
            }
            out.push(cx.about(f, i));
        }
    }
}

/// The message for a cloud-authenticated object without its own identity, when the controller
/// has no workload-identity default to fall back to.
fn borrowed_identity(
    cx: &ClusterContext<'_>,
    o: &fleetlint_fleet::RenderedObject,
    ctrl: Controller,
    what: &str,
) -> Option<String> {
    let flux = o.flux()?;
    flux.spec()?;
    if flux.service_account().is_some() || flux.secret_ref().is_some() {
        return None;
    }
    if lockdown::controller_flag(cx.cluster, ctrl, "default-service-account").is_some() {
        return None;
    }
    Some(format!(
        "{what} without serviceAccountName or secretRef: this tenant authenticates with {}'s own cloud identity (no workload-identity --default-service-account){}",
        ctrl.name(),
        lockdown::unknown_suffix(cx.cluster, ctrl)
    ))
}
