//! Reading a `kyverno.io` ClusterPolicy or Policy.

use fleetlint_yaml::{Node, Span};
use serde_json::{Map, Value};

/// `ClusterPolicy` (cluster-wide) or `Policy` (applies to its own namespace only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// `kyverno.io/*` ClusterPolicy.
    ClusterPolicy,
    /// `kyverno.io/*` Policy.
    Policy,
}

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleType {
    /// `validate`.
    Validate,
    /// `mutate`.
    Mutate,
    /// `generate`.
    Generate,
    /// `verifyImages`.
    VerifyImages,
    /// None of them (Kyverno rejects such a rule).
    Empty,
}

/// One rule of a policy, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    /// `name`.
    pub name: String,
    /// Where the rule's `name` value is.
    pub span: Span,
    /// What it does.
    pub rule_type: RuleType,
}

/// A parsed Kyverno policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// ClusterPolicy or Policy.
    pub kind: PolicyKind,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` of a Policy (Kyverno reads an empty one as `default`).
    pub namespace: Option<String>,
    /// Where `metadata.name` is.
    pub span: Span,
    /// The rules in order.
    pub rules: Vec<RuleInfo>,
    pub(crate) spec: Value,
    pub(crate) annotations: Map<String, Value>,
}

/// Why a document is not a Kyverno policy fleetlint can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a `kyverno.io` ClusterPolicy or Policy.
    NotAPolicy,
    /// `spec.rules` is not a list.
    NoRules,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAPolicy => f.write_str("not a kyverno.io ClusterPolicy or Policy"),
            Self::NoRules => f.write_str("the policy has no spec.rules list"),
        }
    }
}

impl std::error::Error for PolicyError {}

impl RuleType {
    pub(crate) fn of(rule: &Value) -> Self {
        let has = |k: &str| rule.get(k).is_some_and(|v| !v.is_null());
        if has("validate") {
            Self::Validate
        } else if has("mutate") {
            Self::Mutate
        } else if has("generate") {
            Self::Generate
        } else if rule.get("verifyImages").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
            Self::VerifyImages
        } else {
            Self::Empty
        }
    }
}

impl Policy {
    /// Whether `api_version`/`kind` name a Kyverno policy this crate evaluates.
    #[must_use]
    pub fn is_policy(api_version: &str, kind: &str) -> bool {
        api_version.starts_with("kyverno.io/") && matches!(kind, "ClusterPolicy" | "Policy")
    }

    /// Read a policy document.
    ///
    /// # Errors
    /// [`PolicyError`] when the document is not a Kyverno policy or has no rules list.
    pub fn from_node(node: &Node) -> Result<Self, PolicyError> {
        let api_version = node.get("apiVersion").and_then(Node::as_str).unwrap_or_default();
        let kind = node.get("kind").and_then(Node::as_str).unwrap_or_default();
        if !Self::is_policy(api_version, kind) {
            return Err(PolicyError::NotAPolicy);
        }
        let kind = if kind == "Policy" { PolicyKind::Policy } else { PolicyKind::ClusterPolicy };
        let name_node = node.get_path(&["metadata", "name"]);
        let name = name_node.and_then(Node::as_str).unwrap_or_default().to_owned();
        let span = name_node.map_or(node.span, |n| n.span);
        let namespace = (kind == PolicyKind::Policy).then(|| {
            node.get_path(&["metadata", "namespace"])
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .to_owned()
        });
        let rules_node = node.get_path(&["spec", "rules"]).and_then(Node::as_seq).ok_or(PolicyError::NoRules)?;
        let spec = node.get("spec").map(Node::to_json).unwrap_or(Value::Null);
        let rules = rules_node
            .iter()
            .map(|r| {
                let name_node = r.get("name");
                RuleInfo {
                    name: name_node.and_then(Node::as_str).unwrap_or_default().to_owned(),
                    span: name_node.map_or(r.span, |n| n.span),
                    rule_type: RuleType::of(&r.to_json()),
                }
            })
            .collect();
        let annotations = node.get_path(&["metadata", "annotations"]).map(Node::to_json);
        let annotations = match annotations {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        Ok(Self { kind, name, namespace, span, rules, spec, annotations })
    }

    /// Whether a rule error denies the request: `failurePolicy: Fail`, the default
    /// (`spec.webhookConfiguration.failurePolicy`, else the deprecated `spec.failurePolicy`;
    /// kyverno/kyverno@111e07bbec:api/kyverno/v1/spec_types.go, `GetFailurePolicy`, and
    /// pkg/utils/engine/response.go, `BlockRequest`).
    #[must_use]
    pub fn fails_closed(&self) -> bool {
        let policy =
            self.spec["webhookConfiguration"]["failurePolicy"].as_str().or_else(|| self.spec["failurePolicy"].as_str());
        policy != Some("Ignore")
    }

    /// The rules as JSON.
    pub(crate) fn rule_values(&self) -> Vec<Value> {
        self.spec["rules"].as_array().cloned().unwrap_or_default()
    }
}
