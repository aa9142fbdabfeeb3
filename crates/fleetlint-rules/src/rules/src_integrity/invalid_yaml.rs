use fleetlint_yaml::LoadIssueKind;

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a file that is not valid YAML: a syntax error, bytes that are not UTF-8, or a
    /// file that cannot be read.
    ///
    /// ## Why is this bad?
    /// kustomize (and so kustomize-controller) refuses the whole file, and with it the whole
    /// Flux Kustomization that includes it: nothing in that path is applied until it is fixed.
    /// A file that no build reaches is harmless but usually a leftover, so it is only an `info`
    /// there; it becomes an `error` where a Flux build includes it.
    /// Helm and Go templates that happen to parse are not reported here, and files below a Helm
    /// chart's `templates/` directory (a `Chart.yaml` beside it) are not reported at all unless
    /// a build includes them: Helm renders them as Go templates. Anywhere in a chart's tree (at
    /// or below the directory holding `Chart.yaml`), only a Flux build counts: a kustomization
    /// inside the chart that lists a template does not make it YAML input of anything Flux
    /// applies.
    ///
    /// ## Severity
    /// `info` for a file no build reaches (harmless, usually a leftover); `error` where a Flux
    /// build of a cluster includes it, or, when no cluster is found (a repository checked on its
    /// own), where any kustomization includes it; `warning` where only kustomizations that no
    /// cluster's Flux build reaches include it (issue 14 item 1: a template tree that a
    /// bootstrap task renders, an overlay no cluster uses).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   values:
    ///     replicas: 2
    ///    image: nginx   # indentation breaks the mapping
    /// ```
    ///
    /// ## Fix
    /// Correct the syntax at the reported position (an editor with a YAML language server shows
    /// it too), re-save the file as UTF-8, or delete the file when nothing uses it.
    pub(crate) struct InvalidYaml {
        code: "SRC010",
        name: "invalid-yaml",
        category: Category::SourceIntegrity,
        severity: Severity::Info,
    }
}

impl Rule for InvalidYaml {
    // The YAML text is judged, not what the object is: an encrypted file's text can be broken too.
    fn judges_ciphertext_objects(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        // A Helm chart's templates are Go templates: `{{ ... }}` need not be YAML until Helm
        // renders them. Only a build that includes one as a resource makes it kustomize's input.
        if cx.helm_template && !cx.reached_by_build {
            return;
        }
        // Issue 14 item 1: with clusters, only what a Flux build reaches is an error; a file that
        // only kustomizations no cluster builds include is a warning saying so (a template tree
        // a bootstrap task renders, a parked overlay). Without clusters every kustomization is
        // judged on its own.
        let unbuilt = cx.reached_by_build && cx.fleet_has_clusters && !cx.reached_by_flux;
        let severity = match (cx.reached_by_build, unbuilt) {
            (false, _) => Severity::Info,
            (true, true) => Severity::Warning,
            (true, false) => Severity::Error,
        };
        for issue in &cx.file.yaml.issues {
            let (message, help) = match &issue.kind {
                LoadIssueKind::Syntax(msg) => (
                    format!("invalid YAML: {msg}"),
                    "fix the YAML syntax at this position; kustomize rejects the whole file",
                ),
                LoadIssueKind::InvalidUtf8 => (
                    "file is not valid UTF-8".to_string(),
                    "re-encode the file as UTF-8; kustomize rejects other encodings",
                ),
                LoadIssueKind::Unreadable(msg) => {
                    (format!("cannot read file: {msg}"), "make the file readable or remove it from the repository")
                }
                _ => continue,
            };
            let message = if unbuilt {
                format!("{message}; a kustomization includes the file, but no cluster's Flux build reaches it")
            } else {
                message
            };
            let mut f = Self::finding(issue.span, message).with_help(help);
            f.severity = severity;
            // The parser message can carry positions; the fingerprint must not.
            f.field = match &issue.kind {
                LoadIssueKind::Syntax(_) => "syntax".into(),
                LoadIssueKind::InvalidUtf8 => "encoding".into(),
                _ => "read".into(),
            };
            out.push(f);
        }
    }
}
