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
    /// source or patch), and an object SOPS encrypted whole (its `apiVersion`, `kind` and name are
    /// ciphertext). Secrets annotated `kustomize.toolkit.fluxcd.io/decrypt: disabled`, and
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
    // Whether an object encrypted whole can be decrypted is this rule's question.
    fn judges_ciphertext_objects(&self) -> bool {
        true
    }

    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            let whole = o.has_ciphertext_identity() && o.root.get_path(&["sops", "mac"]).is_some();
            if o.synthesized || !(whole || o.kind() == "Secret" && o.api_version() == "v1") || opted_out(&o.root) {
                continue;
            }
            let Some(k) = o.owner.filter(|&k| cx.object(k).flux_kind() == Some(FluxKind::Kustomization)) else {
                continue;
            };
            let ks = cx.object(k);
            if ks.flux().and_then(|f| f.decryption()).is_some_and(|d| !d.0.value.is_null()) {
                continue;
            }
            let (span, field, what, outcome) = if whole {
                // Without spec.decryption kustomize-controller neither decrypts it
                // (`Decryptor.DecryptResource` returns early) nor refuses it (its check,
                // `IsEncryptedSecret`, looks for kind Secret): the ciphertext kind is sent to the
                // API server, which cannot map it.
                let e = o.root.entry("sops").map_or(o.root.span, |e| e.key.span);
                (e, "sops", "is SOPS-encrypted whole (its kind and name are ciphertext)", WHOLE_OUTCOME)
            } else if let Some(e) = o.root.entry("sops") {
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
            let subject = if whole {
                format!("The object in {}", cx.db.get(o.root.span.file).path)
            } else {
                format!("Secret {}/{}", o.namespace(), o.name())
            };
            let message = format!("{subject} {what} but {} has no spec.decryption: {outcome}", ks.id());
            let spec = ks.root.nearest_key(&["spec", "decryption"]).map_or(ks.root.span, |n| n.span);
            let f = Self::finding(span, message)
                .with_related(spec, format!("{} is declared here without spec.decryption", ks.id()))
                .with_help(
                    "add spec.decryption (provider: sops, secretRef) to the Kustomization that renders this Secret",
                )
                .with_field(field);
            let mut f = cx.about(f, i);
            if whole {
                // Its identity is ciphertext: naming it would print the ciphertext.
                f.object = None;
            }
            out.push(f);
        }
    }
}

/// What happens to an object encrypted whole that is not decrypted (fluxcd/kustomize-controller@186fb3b
/// `internal/controller/kustomization_controller.go`, `apply`: only `IsEncryptedSecret` objects
/// are refused with a message).
const WHOLE_OUTCOME: &str =
    "kustomize-controller applies it undecrypted and the API server rejects its ciphertext apiVersion and kind";

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
