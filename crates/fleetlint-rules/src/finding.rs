//! Findings: what a rule detected, as data. Reporters render them; rules never format output.

use fleetlint_yaml::Span;

use crate::rule::RuleId;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely a problem.
    Warning,
    /// Breaks reconciliation or isolation.
    Error,
}

impl Severity {
    /// The lowercase name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The rule groups of the catalog, as the report schema names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// ISO: tenant isolation.
    TenantIsolation,
    /// XNS: cross-namespace references.
    CrossNamespace,
    /// ORD: dependency ordering.
    DependencyOrder,
    /// SRC: source and path integrity.
    SourceIntegrity,
    /// API: API versions.
    ApiVersion,
    /// HYG: hygiene.
    Hygiene,
    /// SCH: schemas.
    Schema,
    /// POL: policies.
    Policy,
    /// FLT: fleetlint itself.
    Internal,
}

impl Category {
    /// The report schema's name for the category.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::TenantIsolation => "tenant-isolation",
            Category::CrossNamespace => "cross-namespace",
            Category::DependencyOrder => "dependency-order",
            Category::SourceIntegrity => "source-integrity",
            Category::ApiVersion => "api-version",
            Category::Hygiene => "hygiene",
            Category::Schema => "schema",
            Category::Policy => "policy",
            Category::Internal => "internal",
        }
    }
}

/// Whether an object is managed by the platform team or by a tenant: the fleet's fact, one type.
pub use fleetlint_fleet::Scope;

/// The identity of the object a finding is about, after overlay resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, if any.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// Whether any part of the identity is SOPS ciphertext (an object encrypted whole, see
    /// [`fleetlint_yaml::ObjectView::has_ciphertext_identity`]).
    #[must_use]
    pub fn has_ciphertext_identity(&self) -> bool {
        [Some(self.api_version.as_str()), Some(self.kind.as_str()), Some(self.name.as_str()), self.namespace.as_deref()]
            .into_iter()
            .flatten()
            .any(fleetlint_yaml::is_sops_ciphertext)
    }

    /// `Kind/namespace/name` (empty namespace for cluster-scoped objects).
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace.as_deref().unwrap_or(""), self.name)
    }
}

/// Which policy said so, for findings of policies (the report's `policy` object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRef {
    /// `kyverno` or `fleetlint`.
    pub engine: &'static str,
    /// The policy's kind (`ClusterPolicy`, `Policy`; `FleetlintPolicy` for fleetlint's).
    pub kind: String,
    /// The policy's namespace, for a namespaced policy.
    pub namespace: Option<String>,
    /// The policy's name.
    pub name: String,
    /// The rule of the policy.
    pub rule: Option<String>,
    /// `Enforce` or `Audit` (Kyverno).
    pub action: Option<String>,
}

/// Another place that explains a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// Where.
    pub span: Span,
    /// What it is.
    pub message: String,
}

/// One problem found.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule that found it.
    pub rule: RuleId,
    /// Severity: the rule's default unless the rule's documentation says when it differs.
    pub severity: Severity,
    /// One line saying what is wrong (lowercase start, no trailing period).
    pub message: String,
    /// The text that wrote the offending value (for an absent field, the nearest existing
    /// ancestor key).
    pub span: Span,
    /// The object concerned.
    pub object: Option<ObjectRef>,
    /// Clusters where the finding holds.
    pub clusters: Vec<String>,
    /// The Flux object rendering the object, `Kind/namespace/name`.
    pub owner: Option<String>,
    /// The chain of rendering Flux objects, root first.
    pub owners: Vec<String>,
    /// Tenant or platform.
    pub scope: Option<Scope>,
    /// The tenant.
    pub tenant: Option<String>,
    /// Places that explain it.
    pub related: Vec<Related>,
    /// How to fix it.
    pub help: Option<String>,
    /// The offending field path (e.g. `spec.sourceRef.namespace`), part of the fingerprint.
    pub field: String,
    /// Stable identity across runs and unrelated edits (set by the engine).
    pub fingerprint: String,
    /// For policy findings: the policy and rule that said so.
    pub policy: Option<PolicyRef>,
}

impl Finding {
    /// A finding of `rule` at `span`, at the rule's default severity.
    #[must_use]
    pub fn new(rule: RuleId, span: Span, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.meta().default_severity,
            message: message.into(),
            span,
            object: None,
            clusters: Vec::new(),
            owner: None,
            owners: Vec::new(),
            scope: None,
            tenant: None,
            related: Vec::new(),
            help: None,
            field: String::new(),
            fingerprint: String::new(),
            policy: None,
        }
    }

    /// The rule's code, e.g. `SRC010`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }

    /// Set a severity other than the rule's default, where the rule's documentation (its
    /// `## Severity` section) says when.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Set the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Add a related location.
    #[must_use]
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related { span, message: message.into() });
        self
    }

    /// Set the object.
    #[must_use]
    pub fn with_object(mut self, object: Option<ObjectRef>) -> Self {
        self.object = object;
        self
    }

    /// Name the policy that said so.
    #[must_use]
    pub fn with_policy(mut self, policy: PolicyRef) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Set the offending field path.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}
