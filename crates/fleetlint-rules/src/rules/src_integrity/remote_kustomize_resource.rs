use fleetlint_fleet::Cluster;
use fleetlint_fleet::controllers::{Controller, NO_REMOTE_BASES};
use fleetlint_kustomize::BuildIssueKind;

use crate::context::BuildContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::UNKNOWN_NOTE;

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
    /// Severity: an error where a cluster whose Flux Kustomizations build the entry runs
    /// kustomize-controller with `--no-remote-bases` (from its bootstrap patches, FluxInstance or
    /// `clusterOverrides`), a warning otherwise (also when no cluster builds it, or lockdown is
    /// unknown, which the message says). One finding per entry, listing the clusters that build it.
    ///
    /// ## Severity
    /// `warning`; `error` in the clusters whose kustomize-controller runs with `--no-remote-bases`,
    /// where the build fails.
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
    /// One finding per remote entry, however many clusters build it: the tree's issues already
    /// hold each entry once; the clusters whose Flux builds reach it decide the severity.
    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        for issue in cx.issues.iter().filter(|i| i.kind == BuildIssueKind::RemoteResource) {
            let building: Vec<&Cluster> = cx
                .fleet
                .clusters
                .iter()
                .filter(|c| c.build_issues.iter().any(|b| b.kind == issue.kind && b.span == issue.span))
                .collect();
            let blocked: Vec<&Cluster> =
                building.iter().copied().filter(|c| c.controllers.lockdown().no_remote_bases).collect();
            let mut f =
                Self::finding(issue.span, issue.message.clone()).with_field(format!("remote:{}", issue.message));
            f.clusters = building.iter().map(|c| c.name.clone()).collect();
            if blocked.is_empty() {
                // An unknown controller configuration gets the "off" severity, said so
                // (docs/flux-semantics.md, "Unknown controller configuration").
                if building.iter().any(|c| !c.controllers.stated()) {
                    f.message = format!("{} ({UNKNOWN_NOTE}; with --no-remote-bases the build fails)", issue.message);
                }
                f.help = Some(HELP.to_string());
            } else {
                f.severity = Severity::Error;
                let names: Vec<&str> = blocked.iter().map(|c| c.name.as_str()).collect();
                f.message = format!("{} (blocked by --no-remote-bases in {})", issue.message, names.join(", "));
                f.help = Some(format!("kustomize-controller runs with --no-remote-bases: the build fails; {HELP}"));
                // The flag that blocks it, once per distinct place that set it.
                let mut seen = Vec::new();
                for c in &blocked {
                    let flag =
                        c.controllers.of(Controller::Kustomize).arg(NO_REMOTE_BASES).and_then(|s| s.origin.span());
                    if let Some(span) = flag.filter(|s| !seen.contains(s)) {
                        seen.push(span);
                        f = f.with_related(span, format!("--no-remote-bases is set for cluster {}", c.name));
                    }
                }
            }
            out.push(f);
        }
    }
}

const HELP: &str = "use a Flux source (GitRepository/OCIRepository) instead of a remote base, or vendor the manifests";
