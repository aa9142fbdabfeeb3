use std::collections::BTreeMap;

use fleetlint_yaml::{FluxKind, Node, NodeKind, Span};

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
    /// One finding per Kustomization, at its `spec`: the missing `spec.decryption` is one
    /// problem however many encrypted objects it renders. The message names the first few
    /// (then a count), and every one is a related location; the clusters where the
    /// Kustomization is rendered are listed.
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
        // Kustomization (object index) -> its encrypted objects, in render order.
        let mut by_kustomization: BTreeMap<usize, Vec<Encrypted>> = BTreeMap::new();
        for o in &cx.cluster.objects {
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
            let (span, what, outcome) = if whole {
                // Without spec.decryption kustomize-controller neither decrypts it
                // (`Decryptor.DecryptResource` returns early) nor refuses it (its check,
                // `IsEncryptedSecret`, looks for kind Secret): the ciphertext kind is sent to the
                // API server, which cannot map it.
                let e = o.root.entry("sops").map_or(o.root.span, |e| e.key.span);
                (e, "is SOPS-encrypted whole (its kind and name are ciphertext)", WHOLE_OUTCOME)
            } else if let Some(e) = o.root.entry("sops") {
                (e.key.span, "has SOPS metadata", REFUSED_OUTCOME)
            } else if let Some(n) = ciphertext(&o.root) {
                (n.span, "holds SOPS ciphertext", "it is applied encrypted and the application reads ciphertext")
            } else {
                continue;
            };
            // An object encrypted whole is named by its file: its identity would print ciphertext.
            let subject = if whole {
                format!("the object in {}", cx.db.get(o.root.span.file).path)
            } else {
                format!("Secret {}/{}", o.namespace(), o.name())
            };
            by_kustomization.entry(k).or_default().push(Encrypted { span, subject, what, outcome });
        }
        // One finding per Kustomization: the one missing `spec.decryption` is the problem, however
        // many encrypted objects it renders (the engine merges the clusters where it holds).
        for (k, encrypted) in by_kustomization {
            let ks = cx.object(k);
            let listed: Vec<String> = encrypted.iter().take(LISTED).map(|e| e.subject.clone()).collect();
            let more = match encrypted.len().saturating_sub(LISTED) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            // The gravest outcome: a refused Secret fails the whole Kustomization.
            let outcome = [REFUSED_OUTCOME, WHOLE_OUTCOME]
                .into_iter()
                .find(|o| encrypted.iter().any(|e| e.outcome == *o))
                .unwrap_or(encrypted[0].outcome);
            let message = format!(
                "{} has no spec.decryption but renders {} SOPS-encrypted object(s): {}{more}: {outcome}",
                ks.id(),
                encrypted.len(),
                listed.join(", ")
            );
            let span = ks.root.nearest_key(&["spec", "decryption"]).map_or(ks.root.span, |n| n.span);
            let mut f = Self::finding(span, message)
                .with_help("add spec.decryption (provider: sops, secretRef) to this Kustomization, or move the encrypted objects under a Kustomization that decrypts")
                .with_field("spec.decryption");
            for e in &encrypted {
                f = f.with_related(e.span, format!("{} {}", e.subject, e.what));
            }
            out.push(cx.about(f, k));
        }
    }
}

/// How many encrypted objects the message names before "and N more" (all are related locations).
const LISTED: usize = 3;

/// One encrypted object a Kustomization without `spec.decryption` renders.
struct Encrypted {
    /// Where its encryption shows: the `sops` key, or the first ciphertext value.
    span: Span,
    /// `Secret ns/name`, or the file of an object encrypted whole.
    subject: String,
    /// How it is encrypted.
    what: &'static str,
    /// What kustomize-controller does with it.
    outcome: &'static str,
}

/// kustomize-controller refuses a Secret with SOPS metadata when the Kustomization does not
/// decrypt (fluxcd/kustomize-controller@186fb3b `internal/controller/kustomization_controller.go`,
/// `apply`, `IsEncryptedSecret`).
const REFUSED_OUTCOME: &str =
    "kustomize-controller fails with \"is SOPS encrypted, configuring decryption is required\"";

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
