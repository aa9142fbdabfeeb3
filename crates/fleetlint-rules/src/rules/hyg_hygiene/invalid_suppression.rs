use crate::declare_rule;
use crate::finding::{Category, Severity};

declare_rule! {
    /// ## What it does
    /// Reports a suppression that does not do what it says: a `# fleetlint: ignore[...]` comment
    /// or a `fleetlint.io/ignore` annotation without a reason, that is malformed, that names a code
    /// that is not a fleetlint rule, or that silences no finding. The engine reports it after
    /// every rule has run, since only then is it known what a suppression silences. A code whose
    /// rule is not selected (`select`, `ignore`) is not reported as silencing nothing.
    ///
    /// ## Why is this bad?
    /// A suppression is a reviewed exception. Without a reason nobody can tell later whether it
    /// still holds; one with a typo in the code silences nothing while looking as if it did; one
    /// left behind after the problem was fixed will hide the next problem of that kind at that
    /// place.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     fleetlint.io/ignore: "XNS001"          # no reason
    ///   namespace: flux-system # fleetlint: ignore[XNS01] shared   # not a rule code
    /// ```
    ///
    /// ## Fix
    /// Write the reason after the codes (`# fleetlint: ignore[XNS001] shared source, PLAT-123`,
    /// `fleetlint.io/ignore: "XNS001: shared source, PLAT-123"`), correct the code, or remove the
    /// suppression when it silences nothing.
    pub(crate) struct InvalidSuppression {
        code: "HYG008",
        name: "invalid-suppression",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}
