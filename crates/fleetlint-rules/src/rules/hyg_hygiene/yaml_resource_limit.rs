use fleetlint_yaml::LoadIssueKind;

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a file that exceeds one of the loader's safety limits: alias expansion (an
    /// "alias bomb"), nesting depth, or file size.
    ///
    /// ## Why is this bad?
    /// Such input is either an attack on the tools that read the repository (a few lines of
    /// anchors and aliases can expand to billions of nodes) or a generated file that does not
    /// belong in a GitOps repository. fleetlint stops reading the document instead of
    /// exhausting memory, so nothing in it is checked.
    ///
    /// ## Example
    /// ```yaml
    /// a: &a [x, x, x, x, x, x, x, x, x]
    /// b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    /// c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]   # ... and so on
    /// ```
    ///
    /// ## Fix
    /// Remove the recursive aliases or the deep nesting, or keep large generated files out of
    /// the repository (or out of the paths Flux reads, with `.sourceignore`).
    pub(crate) struct YamlResourceLimit {
        code: "HYG007",
        name: "yaml-resource-limit",
        category: Category::Hygiene,
        severity: Severity::Error,
    }
}

impl Rule for YamlResourceLimit {
    // The YAML text is judged, not what the object is.
    fn judges_ciphertext_objects(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for issue in &cx.file.yaml.issues {
            let (message, field) = match &issue.kind {
                LoadIssueKind::AliasBudget { limit } => {
                    (format!("alias expansion exceeds {limit} nodes; the rest of the document is not read"), "aliases")
                }
                LoadIssueKind::TooDeep { limit } => {
                    (format!("nesting deeper than {limit} levels; the rest of the document is not read"), "depth")
                }
                LoadIssueKind::TooLarge { size, limit } => {
                    (format!("file is {size} bytes, over the {limit}-byte limit; it is not read"), "size")
                }
                _ => continue,
            };
            out.push(
                Self::finding(issue.span, message)
                    .with_help("remove the expansion or nesting, or keep the file out of the repository")
                    .with_field(field),
            );
        }
    }
}
