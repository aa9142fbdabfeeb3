use fleetlint_kustomize::BuildIssueKind;

use crate::context::BuildContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an input of a kustomize build that kustomize rejects or that fleetlint cannot
    /// resolve: a missing file or directory, an empty or invalid kustomization, an invalid
    /// patch, a resource cycle (a includes b includes a), a path that leaves the repository, or a
    /// generator/transformer plugin or `helmCharts` entry that is not executed.
    ///
    /// ## Why is this bad?
    /// kustomize-controller builds every Flux Kustomization path with kustomize; one bad entry
    /// fails the whole build, so nothing under that Flux Kustomization is applied and the
    /// failure only shows up in the cluster as `BuildFailed`. Entries fleetlint does not execute
    /// (plugins, Helm charts inflated by kustomize) leave the build incomplete, which is said
    /// instead of silently dropping objects.
    ///
    /// ## Severity
    /// `error` where kustomize fails on the input; `warning` where fleetlint only does not execute
    /// it (the build result is incomplete).
    ///
    /// ## Example
    /// ```yaml
    /// # apps/production/kustomization.yaml
    /// resources:
    ///   - ../base
    ///   - podinfo-values.yaml   # no such file
    /// ```
    ///
    /// ## Fix
    /// Point the entry at a file or directory that exists inside the repository, fix the patch,
    /// or break the include cycle. `kubectl kustomize --load-restrictor=LoadRestrictionsNone DIR`
    /// shows the same error kustomize-controller will report.
    pub(crate) struct KustomizeBuildInputInvalid {
        code: "SRC003",
        name: "kustomize-build-input-invalid",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for KustomizeBuildInputInvalid {
    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        for issue in cx.issues.iter().filter(|i| i.kind == BuildIssueKind::InputInvalid) {
            let mut f = Self::finding(issue.span, issue.message.clone())
                .with_help("kustomize rejects this input; `kubectl kustomize --load-restrictor=LoadRestrictionsNone DIR` reproduces it")
                .with_field(format!("build:{}", issue.message));
            if !issue.fatal {
                f.severity = Severity::Warning;
                f.help = Some("fleetlint does not execute this input, so the build result is incomplete".into());
            }
            out.push(f);
        }
    }
}
