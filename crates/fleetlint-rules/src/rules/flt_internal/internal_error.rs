use crate::declare_rule;
use crate::finding::{Category, Severity};

declare_rule! {
    /// ## What it does
    /// Reports that a rule failed with an internal error (a bug in fleetlint) while checking one
    /// file, one tree's kustomize builds or one cluster. The finding names the rule and what it
    /// was checking; the other rules, and the same rule on other inputs, still run.
    ///
    /// ## Why is this bad?
    /// The failed rule's findings for that input are missing, so the report is incomplete: a
    /// clean result there proves nothing. `fleetlint check` exits with status 2 whenever this
    /// finding is present, whatever `--fail-on` says.
    ///
    /// ## Example
    /// ```text
    /// error[FLT001]: internal error in rule ISO001 (tenant-reconciler-without-service-account) while checking cluster production: index out of bounds
    /// ```
    ///
    /// ## Fix
    /// Report it with the input that caused it (the file or cluster named in the message).
    /// Until it is fixed, `# fleetlint: ignore[FLT001] <reason>` on the reported line silences it.
    pub(crate) struct InternalError {
        code: "FLT001",
        name: "internal-error",
        category: Category::Internal,
        severity: Severity::Error,
    }
}
