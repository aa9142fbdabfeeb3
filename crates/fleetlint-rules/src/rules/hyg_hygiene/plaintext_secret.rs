use fleetlint_yaml::{Node, ObjectView};

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a core `v1` Secret anywhere in the repository (whether or not a cluster applies
    /// it: Git history keeps it either way) with a non-empty `data` or `stringData` value and no
    /// SOPS metadata (a top-level `sops:` key, or `ENC[...]` values).
    ///
    /// Values that are placeholders filled in later are not plaintext and are not reported:
    /// values containing a post-build or envsubst variable (`${VAR}`), a template (`{{ ... }}`),
    /// or a secret-manager reference (`op://…`, `vault:…`, `<path:…>`, `ref+…`). Where such a
    /// variable's value comes from is not followed (a variable taken from a ConfigMap is that
    /// ConfigMap's problem), which on real fleets only removes false alarms from templated
    /// bootstrap Secrets.
    ///
    /// ## Why is this bad?
    /// Base64 is an encoding, not encryption: anyone who can read the repository — and every
    /// clone, fork and CI log of it — has the credential, forever.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db, namespace: team-a}
    /// stringData:
    ///   password: hunter2
    /// ```
    ///
    /// ## Fix
    /// Encrypt the file with SOPS (`sops --encrypt --encrypted-regex '^(data|stringData)$'`) and
    /// set `spec.decryption` on the Kustomization, or keep the value out of Git (External
    /// Secrets, Sealed Secrets, a `${VAR}` substituted from an encrypted Secret). Rotate the
    /// credential: it is in the history.
    pub(crate) struct PlaintextSecret {
        code: "HYG003",
        name: "plaintext-secret",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

impl Rule for PlaintextSecret {
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for doc in &cx.file.yaml.documents {
            let Some(view) = ObjectView::new(&doc.root) else { continue };
            if view.api_version() != "v1" || view.kind() != "Secret" || doc.root.get("sops").is_some() {
                continue;
            }
            let mut plain = Vec::new();
            for field in ["data", "stringData"] {
                for e in doc.root.get(field).and_then(Node::as_map).unwrap_or(&[]) {
                    let key = e.key.as_str().unwrap_or("");
                    if e.value.as_str().is_some_and(is_plaintext) {
                        plain.push((field, key, e.key.span));
                    }
                }
            }
            let Some(&(field, first, span)) = plain.first() else { continue };
            let keys = plain.iter().map(|(_, k, _)| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            let name = view.name().unwrap_or("");
            out.push(
                Self::finding(
                    span,
                    format!("Secret `{name}` holds {} unencrypted value(s) in Git: {keys}", plain.len()),
                )
                .with_help(
                    "encrypt the file with SOPS and set spec.decryption on the Kustomization, or keep the value out \
                     of Git (External Secrets, Sealed Secrets); rotate the credential, it is in the history",
                )
                .with_object(cx.object_at(doc.root.span))
                .with_field(format!("{field}.{first}")),
            );
        }
    }
}

/// Whether a Secret value is a literal credential rather than empty, encrypted or a placeholder.
fn is_plaintext(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.contains("ENC[") || v.contains("${") || v.contains("{{") {
        return false;
    }
    // References resolved by a secret manager when the manifest is rendered or applied.
    !["op://", "vault:", "<path:", "ref+"].iter().any(|p| v.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::is_plaintext;

    #[test]
    fn placeholders_and_encrypted_values_are_not_plaintext() {
        assert!(is_plaintext("hunter2"));
        assert!(is_plaintext("cGFzc3dvcmQ="));
        for v in ["", "  ", "ENC[AES256_GCM,data:x]", "${DB_PASSWORD}", "ipv4.${DOMAIN}", "{{ .Values.pw }}"] {
            assert!(!is_plaintext(v), "{v}");
        }
        assert!(!is_plaintext("op://kubernetes/cloudflare/CLOUDFLARE_TUNNEL_ID"));
        assert!(!is_plaintext("ref+vault://secret/db#password"));
    }
}
