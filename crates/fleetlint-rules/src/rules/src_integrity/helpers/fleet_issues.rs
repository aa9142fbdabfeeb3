//! The fleet builder's issues as findings: each SRC rule that reports one words it (code,
//! message, severity, help); this module only walks the issues and dispatches.

use fleetlint_fleet::{Cluster, FleetIssue};

use super::super::{
    flux_path_cycle::FluxPathCycle, kustomization_path_missing::KustomizationPathMissing,
    postbuild_substitution_unresolved::PostbuildSubstitutionUnresolved, source_not_mapped::SourceNotMapped,
};
use crate::context::ClusterContext;
use crate::finding::{Finding, Severity};
use crate::rule::RuleId;

/// How a rule words the issues it reports: `None` for issues that are not its own.
pub(crate) type Describe = fn(&FleetIssue, &Cluster) -> Option<(Severity, String)>;

/// Findings of `rule` for the cluster's fleet issues `describe` words.
pub(crate) fn findings(cx: &ClusterContext<'_>, rule: RuleId, help: &str, describe: Describe, out: &mut Vec<Finding>) {
    findings_of(cx, &cx.cluster.issues, rule, help, describe, out);
}

/// [`findings`] for some of the cluster's fleet issues (a rule that groups the others itself).
pub(crate) fn findings_of<'i>(
    cx: &ClusterContext<'_>,
    issues: impl IntoIterator<Item = &'i FleetIssue>,
    rule: RuleId,
    help: &str,
    describe: Describe,
    out: &mut Vec<Finding>,
) {
    for issue in issues {
        let Some((severity, message)) = describe(issue, cx.cluster) else { continue };
        let mut f = Finding::new(rule, issue.span, message)
            .with_severity(severity)
            .with_help(help)
            .with_field(issue.field.clone());
        if let Some(i) = issue.object {
            f = cx.about(f, i);
        }
        out.push(f);
    }
}

/// The rule, severity and message of a fleet issue, as `check` reports it (for commands that
/// print the issues of one object).
#[must_use]
pub fn describe(issue: &FleetIssue, cluster: &Cluster) -> Option<(&'static str, Severity, String)> {
    let rules: [(RuleId, Describe); 4] = [
        (KustomizationPathMissing::ID, KustomizationPathMissing::describe),
        (FluxPathCycle::ID, FluxPathCycle::describe),
        (SourceNotMapped::ID, SourceNotMapped::describe),
        (PostbuildSubstitutionUnresolved::ID, PostbuildSubstitutionUnresolved::describe),
    ];
    rules.iter().find_map(|(rule, d)| d(issue, cluster).map(|(s, m)| (rule.code(), s, m)))
}
