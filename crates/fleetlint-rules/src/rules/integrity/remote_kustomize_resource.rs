use fleetlint_kustomize::BuildIssueKind;

use crate::context::BuildContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a kustomization entry that points at a remote resource, base or component: an
    /// `https://` or `http://` URL, `git@host:org/repo`, `ssh://`, `git::`, `gh:` or
    /// `github.com/...` (the prefixes kustomize-controller checks).
    ///
    /// ## Why is this bad?
    /// Remote bases bypass source-controller: they are fetched on every build without caching or
    /// verification, and they let a tenant pull any repository into the cluster. With
    /// `--no-remote-bases` (the multi-tenancy lockdown) kustomize-controller refuses them and the
    /// build fails. fleetlint never fetches them, so what they would render is unknown.
    /// Severity: an error where the cluster sets `--no-remote-bases`, a warning otherwise.
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   - https://github.com/kyverno/kyverno/releases/download/v1.13.0/install.yaml
    /// ```
    ///
    /// ## Fix
    /// Add the remote repository as a Flux source (GitRepository or OCIRepository) and reference
    /// it from a Flux Kustomization, or vendor the manifests into the repository.
    pub(crate) struct RemoteKustomizeResource {
        code: "SRC005",
        name: "remote-kustomize-resource",
        category: Category::SourceIntegrity,
        severity: Severity::Warning,
    }
}

impl Rule for RemoteKustomizeResource {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        for issue in cx.issues.iter().filter(|i| i.kind == BuildIssueKind::RemoteResource) {
            out.push(
                Self::finding(issue.span, issue.message.clone())
                    .with_help("use a Flux source (GitRepository/OCIRepository) instead of a remote base, or vendor the manifests")
                    .with_field(format!("remote:{}", issue.message)),
            );
        }
    }
}
