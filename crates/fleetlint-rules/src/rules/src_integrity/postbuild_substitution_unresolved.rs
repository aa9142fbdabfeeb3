use std::collections::BTreeMap;

use fleetlint_fleet::admission::SubstitutionWebhook;
use fleetlint_fleet::{Cluster, FleetIssue, FleetIssueKind, RenderedObject, SubstitutionContext};
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
    /// object is not in the repository (an ExternalSecret's or SealedSecret's Secret, one created
    /// out of band; `optional` or not) or is encrypted are not reported, and neither is the
    /// verbatim case below: that object may hold any variable.
    ///
    /// Also reported, as warnings: a `postBuild` under which no variable resolves while
    /// `substituteStrategy` is not `Always` (Flux then substitutes nothing, so even
    /// `${VAR:=default}` is applied verbatim), once per Kustomization; and the message names an
    /// unresolved reference inside a multi-line ConfigMap value or a container's
    /// `command`/`args` as the embedded shell or app template it usually is.
    ///
    /// Variables may also come from outside Git: an admission webhook such as xunholy's
    /// kustomize-mutating-webhook adds the keys of the ConfigMaps and Secrets it watches to
    /// `postBuild.substitute` of every Kustomization it reaches. When the cluster runs one (a
    /// HelmRelease of the `kustomize-mutating-webhook` chart, or a MutatingWebhookConfiguration
    /// whose rules name `kustomize.toolkit.fluxcd.io` `kustomizations`) and its
    /// `namespaceSelector` may select the Kustomization's namespace (the chart's default leaves
    /// out `flux-system`), an unset variable and the verbatim case are reported as info naming
    /// the webhook: fleetlint cannot tell which variables it sets.
    ///
    /// ## Severity
    /// `error` where kustomize-controller fails (strict substitution, a syntax error); `warning`
    /// where the reference becomes an empty string or is applied verbatim; `info` where an
    /// admission webhook may set the variable (or add variables) outside Git.
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
        for issue in rest {
            let mut found = Vec::new();
            fleet_issues::findings_of(cx, [issue], Self::ID, help, Self::describe, &mut found);
            if let Some(w) = admission_webhook(cx.cluster, issue) {
                found = found.into_iter().map(|f| with_webhook(f, cx.cluster, w)).collect();
            }
            out.extend(found);
        }
        for ((owner, variable, strict), mut spans) in groups {
            spans.sort();
            let ks = &cx.cluster.objects[owner];
            let at = ks.root.nearest_key(&["spec", "postBuild"]).map_or(ks.root.span, |k| k.span);
            let webhook = cx.cluster.substitution_webhook_for(Some(ks.namespace()));
            let (severity, consequence) = match (strict, webhook) {
                (_, Some(w)) => (
                    Severity::Info,
                    format!(
                        "{} may set it at admission (it adds the keys of objects fleetlint cannot read to postBuild.substitute); if it does not, {}",
                        object_id(&cx.cluster.objects[w.object]),
                        if strict {
                            "kustomize-controller fails with \"variable not set (strict mode)\""
                        } else {
                            "it becomes an empty string"
                        }
                    ),
                ),
                (true, None) => {
                    (Severity::Error, "kustomize-controller fails with \"variable not set (strict mode)\"".to_string())
                }
                (false, None) => (Severity::Warning, "it becomes an empty string".to_string()),
            };
            let in_git = if webhook.is_some() { " in Git" } else { "" };
            let uses = if spans.len() == 1 { "1 use".to_string() } else { format!("{} uses", spans.len()) };
            let message = format!(
                "variable `{variable}` is not set{in_git} and has no default in what {}/{}/{} substitutes ({uses}): {consequence}",
                ks.kind(),
                ks.namespace(),
                ks.name()
            );
            let watched = if webhook.is_some() {
                format!("check that a ConfigMap or Secret the webhook watches has the key `{variable}`, or ")
            } else {
                String::new()
            };
            let mut f = Self::finding(at, message)
                .with_severity(severity)
                .with_help(format!(
                    "{watched}define `{variable}` in this Kustomization's postBuild.substitute or in a substituteFrom \
                     object (or give each use a default `${{{variable}:=...}}`)"
                ))
                .with_field(format!("spec.postBuild[{variable}]"));
            const SHOWN: usize = 5;
            for s in spans.iter().take(SHOWN) {
                f = f.with_related(*s, format!("`{variable}` is used here"));
            }
            if spans.len() > SHOWN {
                f.message.push_str(&format!(" (the first {SHOWN} uses are shown)"));
            }
            if let Some(w) = webhook {
                f = with_webhook(f, cx.cluster, w);
            }
            out.push(cx.about(f, owner));
        }
    }
}

impl PostbuildSubstitutionUnresolved {
    /// The wording of an unresolved substitution: an error when kustomize-controller fails the
    /// build (strict mode, an expression it cannot parse), a warning otherwise.
    pub(crate) fn describe(issue: &FleetIssue, cluster: &Cluster) -> Option<(Severity, String)> {
        let webhook = admission_webhook(cluster, issue).map(|w| object_id(&cluster.objects[w.object]));
        let (severity, message, context) = match (&issue.kind, webhook) {
            (FleetIssueKind::SubstitutionVerbatim, None) => {
                return Some((
                    Severity::Warning,
                    "postBuild defines no variable that resolves and substituteStrategy is not Always: every `${...}` in what this Kustomization renders, defaults included, is applied verbatim".to_string(),
                ));
            }
            (FleetIssueKind::SubstitutionVerbatim, Some(webhook)) => {
                return Some((
                    Severity::Info,
                    format!(
                        "postBuild defines no variable that resolves in Git and substituteStrategy is not Always, but {webhook} adds variables to postBuild.substitute at admission: if it adds any, Flux substitutes what this Kustomization renders; if not, every `${{...}}`, defaults included, is applied verbatim"
                    ),
                ));
            }
            (FleetIssueKind::UnsetVariable { variable, strict, context }, Some(webhook)) => (
                Severity::Info,
                format!(
                    "variable `{variable}` is not set in Git and has no default: {webhook} may set it at admission (it adds the keys of objects fleetlint cannot read to postBuild.substitute); if it does not, {}",
                    if *strict {
                        "kustomize-controller fails with \"variable not set (strict mode)\""
                    } else {
                        "it becomes an empty string"
                    }
                ),
                context,
            ),
            (FleetIssueKind::UnsetVariable { variable, strict: true, context }, None) => (
                Severity::Error,
                format!(
                    "variable `{variable}` is not set and has no default: kustomize-controller fails with \"variable not set (strict mode)\""
                ),
                context,
            ),
            (FleetIssueKind::UnsetVariable { variable, strict: false, context }, None) => (
                Severity::Warning,
                format!("variable `{variable}` is not set and has no default: it becomes an empty string"),
                context,
            ),
            (FleetIssueKind::SubstitutionFails { reason, context }, _) => {
                (Severity::Error, format!("post-build substitution fails: {reason}"), context)
            }
            (FleetIssueKind::SubstitutionUndecided { limit, context }, _) => (
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

/// The admission webhook that may add variables to the Kustomization an unset-variable or
/// verbatim issue is about (its object), if the cluster runs one reaching its namespace.
fn admission_webhook<'c>(cluster: &'c Cluster, issue: &FleetIssue) -> Option<&'c SubstitutionWebhook> {
    if !matches!(issue.kind, FleetIssueKind::UnsetVariable { .. } | FleetIssueKind::SubstitutionVerbatim) {
        return None;
    }
    cluster.substitution_webhook_for(issue.object.map(|o| cluster.objects[o].namespace()))
}

/// `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object.
fn object_id(o: &RenderedObject) -> String {
    if o.namespace().is_empty() {
        format!("{}/{}", o.kind(), o.name())
    } else {
        format!("{}/{}/{}", o.kind(), o.namespace(), o.name())
    }
}

/// `f` pointing also at the webhook that may set its variables.
fn with_webhook(f: Finding, cluster: &Cluster, w: &SubstitutionWebhook) -> Finding {
    let o = &cluster.objects[w.object];
    let at = o.root.nearest_key(&["metadata", "name"]).map_or(o.root.span, |k| k.span);
    f.with_related(at, "adds post-build variables to Kustomizations at admission")
}
