//! The parts of a Flux object's spec that are objects of their own: a kubeConfig, a postBuild,
//! a decryption, a GitRepository include.

use fleetlint_yaml::{Entry, Node};

use super::Field;

/// `spec.kubeConfig`: the cluster a Kustomization or HelmRelease applies to.
#[derive(Clone, Copy, Debug)]
pub struct KubeConfig<'a>(pub Field<'a>);

impl<'a> KubeConfig<'a> {
    /// `secretRef.name`.
    #[must_use]
    pub fn secret_name(&self) -> Option<&'a str> {
        self.0.str_at(&["secretRef", "name"])
    }

    /// `configMapRef` (workload identity).
    #[must_use]
    pub fn config_map_ref(&self) -> Option<Field<'a>> {
        self.0.get(&["configMapRef"])
    }

    /// `configMapRef.name`.
    #[must_use]
    pub fn config_map_name(&self) -> Option<&'a str> {
        self.0.str_at(&["configMapRef", "name"])
    }

    /// `serviceAccountName`.
    #[must_use]
    pub fn service_account(&self) -> Option<Field<'a>> {
        self.0.get(&["serviceAccountName"])
    }

    /// The kubeconfig's name: the Secret's, else the ConfigMap's (empty when neither).
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.secret_name().or_else(|| self.config_map_name()).unwrap_or("")
    }
}

/// `spec.postBuild` of a Kustomization.
#[derive(Clone, Copy, Debug)]
pub struct PostBuild<'a> {
    /// The field.
    pub field: Field<'a>,
    pub(super) namespace: &'a str,
}

/// One `substituteFrom` entry.
#[derive(Clone, Copy, Debug)]
pub struct SubstituteFrom<'a> {
    /// `kind` (`ConfigMap` or `Secret`; empty when absent).
    pub kind: &'a str,
    /// `name` (empty when absent).
    pub name: &'a str,
    /// The object is always read in the Kustomization's namespace.
    pub namespace: &'a str,
    /// `optional: true`.
    pub optional: bool,
    /// The entry.
    pub node: &'a Node,
}

impl<'a> PostBuild<'a> {
    /// `substitute` entries.
    #[must_use]
    pub fn substitute(&self) -> &'a [Entry] {
        self.field.value.get("substitute").and_then(Node::as_map).unwrap_or_default()
    }

    /// `substituteFrom` entries.
    #[must_use]
    pub fn substitute_from(&self) -> Vec<SubstituteFrom<'a>> {
        let items = self.field.value.get("substituteFrom").and_then(Node::as_seq).unwrap_or_default();
        items
            .iter()
            .map(|node| SubstituteFrom {
                kind: node.get("kind").and_then(Node::as_str).unwrap_or(""),
                name: node.get("name").and_then(Node::as_str).unwrap_or(""),
                namespace: self.namespace,
                optional: node.get("optional").and_then(Node::as_bool).unwrap_or(false),
                node,
            })
            .collect()
    }

    /// `substituteFrom`.
    #[must_use]
    pub fn substitute_from_field(&self) -> Option<Field<'a>> {
        self.field.get(&["substituteFrom"])
    }

    /// `substituteStrategy: Always` (substitute even when no variable resolves).
    #[must_use]
    pub fn always(&self) -> bool {
        self.field.str_at(&["substituteStrategy"]) == Some("Always")
    }
}

/// `spec.decryption` of a Kustomization.
#[derive(Clone, Copy, Debug)]
pub struct Decryption<'a>(pub Field<'a>);

impl<'a> Decryption<'a> {
    /// `provider`.
    #[must_use]
    pub fn provider(&self) -> Option<Field<'a>> {
        self.0.get(&["provider"])
    }

    /// `secretRef` (in the Kustomization's namespace).
    #[must_use]
    pub fn secret_ref(&self) -> Option<Field<'a>> {
        self.0.get(&["secretRef"])
    }

    /// `serviceAccountName`.
    #[must_use]
    pub fn service_account(&self) -> Option<Field<'a>> {
        self.0.get(&["serviceAccountName"])
    }
}

/// One `spec.include` entry of a GitRepository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Include<'a> {
    /// `repository.name`: a GitRepository in the same namespace.
    pub repository: &'a str,
    /// `fromPath` (empty: the repository's root).
    pub from_path: &'a str,
    /// `toPath` (default: the repository's name).
    pub to_path: &'a str,
}
