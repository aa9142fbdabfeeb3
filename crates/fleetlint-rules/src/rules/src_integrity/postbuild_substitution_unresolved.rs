use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind, SubstitutionContext};

use super::helpers::fleet_issues;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a `${var}` in an object rendered by a Flux Kustomization with `spec.postBuild`
    /// that has no value (from `substitute` or a readable `substituteFrom` object) and no
    /// default, and expressions Flux cannot parse (`${my-var}`).
    ///
    /// ## Why is this bad?
    /// Since Flux 2.9 substitution is strict: kustomize-controller fails the whole build with
    /// `variable not set (strict mode)`. On older versions the variable silently becomes an empty
    /// string. A malformed expression always fails the build. Variables whose `substituteFrom`
    /// object is not in the repository (or is encrypted) are not reported.
    ///
    /// Also reported, as warnings: a `postBuild` under which no variable resolves while
    /// `substituteStrategy` is not `Always` (Flux then substitutes nothing, so even
    /// `${VAR:=default}` is applied verbatim), once per Kustomization; and the message names an
    /// unresolved reference inside a multi-line ConfigMap value or a container's
    /// `command`/`args` as the embedded shell or app template it usually is.
    ///
    /// ## Severity
    /// `error` where kustomize-controller fails (strict substitution, a syntax error); `warning`
    /// where the reference becomes an empty string or is applied verbatim.
    ///
    /// ## Example
    /// ```yaml
    /// # rendered by a Kustomization with postBuild.substitute: {CLUSTER: prod}
    /// data:
    ///   domain: ${CLUSTER_DOMAIN}   # not defined anywhere
    /// ```
    ///
    /// ## Fix
    /// Define the variable in `postBuild.substitute` or a `substituteFrom` object, give it a
    /// default (`${CLUSTER_DOMAIN:=example.com}`), escape it as `$${VAR}`, or mark the object
    /// `kustomize.toolkit.fluxcd.io/substitute: disabled`.
    pub(crate) struct PostbuildSubstitutionUnresolved {
        code: "SRC007",
        name: "postbuild-substitution-unresolved",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for PostbuildSubstitutionUnresolved {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        fleet_issues::findings(
            cx,
            Self::ID,
            "define the variable (postBuild.substitute or substituteFrom), give it a default, or escape it as $${VAR}",
            Self::describe,
            out,
        );
    }
}

impl PostbuildSubstitutionUnresolved {
    /// The wording of an unresolved substitution: an error when kustomize-controller fails the
    /// build (strict mode, an expression it cannot parse), a warning otherwise.
    pub(crate) fn describe(issue: &FleetIssue, _: &Cluster) -> Option<(Severity, String)> {
        let (severity, message, context) = match &issue.kind {
            FleetIssueKind::SubstitutionVerbatim => {
                return Some((
                    Severity::Warning,
                    "postBuild defines no variable that resolves and substituteStrategy is not Always: every `${...}` in what this Kustomization renders, defaults included, is applied verbatim".to_string(),
                ));
            }
            FleetIssueKind::UnsetVariable { variable, strict: true, context } => (
                Severity::Error,
                format!(
                    "variable `{variable}` is not set and has no default: kustomize-controller fails with \"variable not set (strict mode)\""
                ),
                context,
            ),
            FleetIssueKind::UnsetVariable { variable, strict: false, context } => (
                Severity::Warning,
                format!("variable `{variable}` is not set and has no default: it becomes an empty string"),
                context,
            ),
            FleetIssueKind::SubstitutionFails { reason, context } => {
                (Severity::Error, format!("post-build substitution fails: {reason}"), context)
            }
            FleetIssueKind::SubstitutionUndecided { limit, context } => (
                Severity::Warning,
                format!("post-build substitution {limit}: fleetlint cannot tell what this value becomes"),
                context,
            ),
            _ => return None,
        };
        let message = match context {
            SubstitutionContext::EmbeddedTemplate => format!(
                "{message}; this looks like a template for the container: escape it as `$${{...}}` or mark the object kustomize.toolkit.fluxcd.io/substitute: disabled"
            ),
            SubstitutionContext::Field => message,
        };
        Some((severity, message))
    }
}
