use std::collections::BTreeMap;

use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind, SubstitutionContext};
use fleetlint_yaml::Span;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::src_integrity::helpers::fleet_issues;

declare_rule! {
    /// ## What it does
    /// Reports a `${var}` in an object rendered by a Flux Kustomization with `spec.postBuild`
    /// that has no value (from `substitute` or a readable `substituteFrom` object) and no
    /// default, and expressions Flux cannot parse (`${my-var}`). An unset variable is one
    /// problem per Kustomization whose postBuild lacks it: one finding at that `postBuild`, with
    /// the number of uses and the first five as related locations (one finding per problem);
    /// a reference in an embedded template is reported where it is written (escape it there).
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
        // One problem, one finding: a variable that the substituting Kustomization's postBuild
        // (its `substitute` and `substituteFrom` objects) does not define is one fix there,
        // however many manifests use it. kustomize-controller reads one variable set per
        // Kustomization and substitutes every object of its build with it
        // (fluxcd/pkg@e2cfd1a2:kustomize/kustomize_varsub.go `LoadVariables`,
        // `SubstituteVariables`). An embedded
        // template is fixed where it is written (escape it), so it stays per occurrence.
        let mut groups: BTreeMap<(usize, &str, bool), Vec<Span>> = BTreeMap::new();
        let mut rest = Vec::new();
        for issue in &cx.cluster.issues {
            // The issue's object is the substituting Kustomization.
            let owner = issue.object;
            match (&issue.kind, owner) {
                (
                    FleetIssueKind::UnsetVariable { variable, strict, context: SubstitutionContext::Field },
                    Some(owner),
                ) => {
                    let spans = groups.entry((owner, variable.as_str(), *strict)).or_default();
                    if !spans.contains(&issue.span) {
                        spans.push(issue.span);
                    }
                }
                _ => rest.push(issue),
            }
        }
        let help =
            "define the variable (postBuild.substitute or substituteFrom), give it a default, or escape it as $${VAR}";
        fleet_issues::findings_of(cx, rest, Self::ID, help, Self::describe, out);
        for ((owner, variable, strict), mut spans) in groups {
            spans.sort();
            let ks = &cx.cluster.objects[owner];
            let at = ks.root.nearest_key(&["spec", "postBuild"]).map_or(ks.root.span, |k| k.span);
            let (severity, consequence) = if strict {
                (Severity::Error, "kustomize-controller fails with \"variable not set (strict mode)\"")
            } else {
                (Severity::Warning, "it becomes an empty string")
            };
            let uses = if spans.len() == 1 { "1 use".to_string() } else { format!("{} uses", spans.len()) };
            let message = format!(
                "variable `{variable}` is not set and has no default in what {}/{}/{} substitutes ({uses}): {consequence}",
                ks.kind(),
                ks.namespace(),
                ks.name()
            );
            let mut f = Self::finding(at, message)
                .with_severity(severity)
                .with_help(format!(
                    "define `{variable}` in this Kustomization's postBuild.substitute or in a substituteFrom object \
                     (or give each use a default `${{{variable}:=...}}`)"
                ))
                .with_field(format!("spec.postBuild[{variable}]"));
            const SHOWN: usize = 5;
            for s in spans.iter().take(SHOWN) {
                f = f.with_related(*s, format!("`{variable}` is used here"));
            }
            if spans.len() > SHOWN {
                f.message.push_str(&format!(" (the first {SHOWN} uses are shown)"));
            }
            out.push(cx.about(f, owner));
        }
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
