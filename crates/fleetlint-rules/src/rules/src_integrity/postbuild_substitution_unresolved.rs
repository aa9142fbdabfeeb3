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
        cx.fleet_issues(
            Self::ID,
            Severity::Warning,
            "define the variable (postBuild.substitute or substituteFrom), give it a default, or escape it as $${VAR}",
            out,
        );
    }
}
