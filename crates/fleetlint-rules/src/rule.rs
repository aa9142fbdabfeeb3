//! How a rule is declared: metadata once, with a doc comment that becomes `fleetlint explain`.

use crate::context::{BuildContext, ClusterContext, FileContext};
use crate::finding::{Category, Finding, Severity};

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, e.g. `SRC010`.
    pub code: &'static str,
    /// kebab-case name naming the pattern, e.g. `invalid-yaml`.
    pub name: &'static str,
    /// The group.
    pub category: Category,
    /// Severity unless the rule or configuration decides otherwise per finding.
    pub default_severity: Severity,
    /// Markdown documentation with the sections What it does / Why is this bad? / Example / Fix.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown: doc comments keep the space after `///`, removed here.
    #[must_use]
    pub fn doc_markdown(&self) -> String {
        self.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
    }

    /// The rule as a Markdown section: a heading of `level` (`# CODE name` at 1), its category
    /// and default severity, and its documentation with the doc's sections one level below.
    /// `fleetlint explain` prints it at level 1, `docs/rules.md` holds every rule at level 2.
    #[must_use]
    pub fn markdown(&self, level: usize) -> String {
        let sub = "#".repeat(level + 1);
        let doc: Vec<String> = self
            .doc_markdown()
            .lines()
            .map(|l| l.strip_prefix("## ").map_or_else(|| l.to_string(), |rest| format!("{sub} {rest}")))
            .collect();
        format!(
            "{} {} {}\n\ncategory: {}, default severity: {}\n\n{}\n",
            "#".repeat(level),
            self.code,
            self.name,
            self.category.as_str(),
            self.default_severity.as_str(),
            doc.join("\n").trim_end()
        )
    }

    /// The first sentence of the "What it does" section, on one line.
    #[must_use]
    pub fn summary(&self) -> String {
        let paragraph: Vec<&str> = self
            .doc
            .lines()
            .map(str::trim)
            .skip_while(|l| l.is_empty() || l.starts_with('#'))
            .take_while(|l| !l.is_empty())
            .collect();
        let text = paragraph.join(" ");
        // A sentence ends at ". " or ": " followed by a list; keep the colon's lead-in whole.
        match text.find(". ") {
            Some(end) => text[..=end].to_string(),
            None => text,
        }
    }
}

/// A rule's identity: its metadata in the registry, compared by code.
///
/// Built-in rules get theirs from [`declare_rule!`]; rules loaded at run time (user policies,
/// the repository's Kyverno rules) get one from [`RuleId::loaded`]. Reporters read code, name,
/// category, default severity and documentation from it, never by looking a code string up.
#[derive(Clone, Copy)]
pub struct RuleId(&'static RuleMeta);

impl RuleId {
    /// The identity of the rule described by `meta`.
    #[must_use]
    pub const fn new(meta: &'static RuleMeta) -> Self {
        Self(meta)
    }

    /// The identity of a rule loaded at run time. Its metadata lives as long as the process:
    /// rules are loaded once per run, and findings and reports refer to it until the end.
    #[must_use]
    pub fn loaded(meta: RuleMeta) -> Self {
        Self(Box::leak(Box::new(meta)))
    }

    /// The rule's metadata.
    #[must_use]
    pub fn meta(self) -> &'static RuleMeta {
        self.0
    }

    /// The rule's code, e.g. `SRC010`.
    #[must_use]
    pub fn code(self) -> &'static str {
        self.0.code
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}

impl Eq for RuleId {}

impl std::hash::Hash for RuleId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.code.hash(state);
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.code.cmp(other.0.code)
    }
}

impl std::fmt::Debug for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.code)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.code)
    }
}

/// What [`declare_rule!`] implements for a rule: its metadata. A rule loaded at run time
/// implements it by hand.
pub trait Declared {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;

    /// The rule's identity.
    fn id(&self) -> RuleId {
        RuleId::new(self.meta())
    }
}

/// A check. Each method is one stage of the pipeline; a rule implements the stages it needs.
pub trait Rule: Declared + Send + Sync {
    /// Per parsed file: loader problems, comments, raw documents.
    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}

    /// Per tree: the issues of its kustomize builds.
    fn check_build(&self, _cx: &BuildContext<'_>, _out: &mut Vec<Finding>) {}

    /// Per cluster of the fleet model: the objects Flux would apply there, who rendered them,
    /// scopes, tenants and controller configuration. The engine records the cluster on each
    /// finding and merges the same problem found in several clusters into one finding.
    fn check_cluster(&self, _cx: &ClusterContext<'_>, _out: &mut Vec<Finding>) {}

    /// Whether the rule judges objects SOPS encrypted whole (whether they can be decrypted, or
    /// their YAML text), whose identity is ciphertext until kustomize-controller decrypts them
    /// right before applying ([`fleetlint_yaml::ObjectView::has_ciphertext_identity`]). Every
    /// other rule's findings about such an object are dropped by the engine: what the object is,
    /// its kind, name and namespace, is unknown, so no verdict about it can be certain.
    fn judges_ciphertext_objects(&self) -> bool {
        false
    }
}

/// Declare a rule: a unit struct, its [`RuleMeta`] built from the doc comment, its [`RuleId`],
/// `finding()` (a finding at the default severity) and the [`Declared`] impl (`meta()`), so
/// `impl Rule` holds only the checks.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub(crate) struct InvalidYaml {
///         code: "SRC010",
///         name: "invalid-yaml",
///         category: Category::SourceIntegrity,
///         severity: Severity::Info,
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:expr])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rname:literal,
            category: $cat:expr,
            severity: $sev:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $name {
            /// This rule's metadata.
            $vis const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                code: $code,
                name: $rname,
                category: $cat,
                default_severity: $sev,
                doc: concat!($($doc, "\n"),*),
            };

            /// This rule's identity.
            #[allow(dead_code)]
            $vis const ID: $crate::rule::RuleId = $crate::rule::RuleId::new(&Self::META);

            /// A finding of this rule with its default severity.
            #[allow(dead_code)]
            $vis fn finding(span: fleetlint_yaml::Span, message: impl Into<String>) -> $crate::finding::Finding {
                $crate::finding::Finding::new(Self::ID, span, message)
            }
        }

        impl $crate::rule::Declared for $name {
            fn meta(&self) -> &'static $crate::rule::RuleMeta {
                &Self::META
            }
        }
    };
}
