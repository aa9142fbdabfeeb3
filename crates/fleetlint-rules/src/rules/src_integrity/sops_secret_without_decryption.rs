use fleetlint_yaml::{FluxKind, Node, NodeKind};

use super::helpers::markers::{has_marker, not_applied};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a SOPS-encrypted Secret rendered by a Flux Kustomization that has no
    /// `spec.decryption`: a core `v1` Secret with a top-level `sops` key, or a Secret whose values
    /// are still SOPS ciphertext (`ENC[AES256_GCM,...]`, from an encrypted `secretGenerator`
    /// source or patch). Secrets annotated `kustomize.toolkit.fluxcd.io/decrypt: disabled`, and
    /// those not applied (`ssa: Ignore`, `reconcile: disabled`), are left alone.
    ///
    /// ## Why is this bad?
    /// kustomize-controller refuses to apply a Secret with SOPS metadata when the Kustomization
    /// does not decrypt: *Secret/app/db is SOPS encrypted, configuring decryption is required
    /// for this secret to be reconciled*. The whole Kustomization fails, not just the Secret.
    /// A generated Secret with ciphertext values is applied as is: the application reads the
    /// ciphertext instead of the password.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db, namespace: app}
    /// data: {password: ENC[AES256_GCM,data:...]}
    /// sops: {age: [...], mac: ...}          # the Kustomization has no spec.decryption
    /// ```
    ///
    /// ## Fix
    /// Add `spec.decryption: {provider: sops, secretRef: {name: sops-age}}` to the Kustomization
    /// that renders the Secret, or move the Secret under a Kustomization that decrypts.
    pub(crate) struct SopsSecretWithoutDecryption {
        code: "SRC006",
        name: "sops-secret-without-decryption",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for SopsSecretWithoutDecryption {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized || o.kind() != "Secret" || o.api_version() != "v1" || opted_out(&o.root) {
                continue;
            }
            let Some(k) = o.owner.filter(|&k| cx.object(k).flux_kind() == Some(FluxKind::Kustomization)) else {
                continue;
            };
            let ks = cx.object(k);
            if ks.flux().and_then(|f| f.decryption()).is_some_and(|d| !d.0.value.is_null()) {
                continue;
            }
            let (span, field, what, outcome) = if let Some(e) = o.root.entry("sops") {
                let outcome =
                    "kustomize-controller fails with \"is SOPS encrypted, configuring decryption is required\"";
                (e.key.span, "sops", "has SOPS metadata", outcome)
            } else if let Some(n) = ciphertext(&o.root) {
                (
                    n.span,
                    "data",
                    "holds SOPS ciphertext",
                    "it is applied encrypted and the application reads ciphertext",
                )
            } else {
                continue;
            };
            let message = format!(
                "Secret {}/{} {what} but {} has no spec.decryption: {outcome}",
                o.namespace(),
                o.name(),
                ks.id()
            );
            let spec = ks.root.nearest_key(&["spec", "decryption"]).map_or(ks.root.span, |n| n.span);
            let f = Self::finding(span, message)
                .with_related(spec, format!("{} is declared here without spec.decryption", ks.id()))
                .with_help(
                    "add spec.decryption (provider: sops, secretRef) to the Kustomization that renders this Secret",
                )
                .with_field(field);
            out.push(cx.about(f, i));
        }
    }
}

/// `kustomize.toolkit.fluxcd.io/decrypt: disabled`, or not applied at all.
fn opted_out(root: &Node) -> bool {
    has_marker(root, "decrypt", "disabled") || not_applied(root)
}

/// The first `data`/`stringData` value that is SOPS ciphertext (base64 of `ENC[` is `RU5DW`).
fn ciphertext(root: &Node) -> Option<&Node> {
    ["stringData", "data"].iter().find_map(|key| {
        let NodeKind::Map(entries) = &root.get(key)?.kind else { return None };
        entries.iter().map(|e| &e.value).find(|v| {
            v.as_str().is_some_and(|s| s.starts_with("ENC[AES256_GCM,") || s.starts_with("RU5DW0FFUzI1Nl9HQ00s"))
        })
    })
}
