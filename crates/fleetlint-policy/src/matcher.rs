//! Which objects a policy applies to: kinds, namespaces and names (globs), scope, tenants,
//! clusters and owners.

use fleetlint_yaml::Node;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// Tenant or platform: whose namespaces an object lives in (or, for a cluster-scoped object,
/// who renders it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A tenant's.
    Tenant,
    /// The platform's.
    Platform,
}

/// What the caller knows about an object besides its text.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The cluster the object is rendered in.
    pub cluster: &'a str,
    /// Tenant or platform.
    pub scope: Scope,
    /// The tenant, in tenant scope.
    pub tenant: Option<&'a str>,
    /// The Flux object that renders it, as `Kind/namespace/name`.
    pub owner: Option<&'a str>,
}

/// `match.scope`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ScopeFilter {
    /// Both (the default).
    #[default]
    Any,
    /// Tenant scope only.
    Tenant,
    /// Platform scope only.
    Platform,
}

/// One `match.kinds` entry: `Kind`, `group/Kind`, `v1/Kind` (core group) or
/// `group/version/Kind`, each part a glob.
#[derive(Clone, Debug)]
pub(crate) struct KindSelector {
    group: Group,
    version: Option<Pattern>,
    kind: Pattern,
}

#[derive(Clone, Debug)]
enum Group {
    Any,
    Core,
    Glob(Pattern),
}

/// One part of a kind selector.
#[derive(Clone, Debug)]
enum Pattern {
    /// Text without glob syntax, which matches itself only.
    Literal(String),
    Glob(GlobMatcher),
}

impl Pattern {
    fn is_match(&self, s: &str) -> bool {
        match self {
            Pattern::Literal(l) => l == s,
            Pattern::Glob(g) => g.is_match(s),
        }
    }
}

fn glob(pattern: &str) -> Result<Pattern, String> {
    // globset compiles every glob, plain words too, into a regular expression; the built-in
    // pack's 30 plain kind names cost most of a millisecond on every run (issue 13).
    if !pattern.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return Ok(Pattern::Literal(pattern.to_owned()));
    }
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| Pattern::Glob(g.compile_matcher()))
        .map_err(|e| format!("`{pattern}` is not a glob: {e}"))
}

fn is_version(s: &str) -> bool {
    let rest = s.strip_prefix('v').unwrap_or("");
    rest.bytes().next().is_some_and(|b| b.is_ascii_digit()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl KindSelector {
    fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let (group, version, kind) = match parts.as_slice() {
            [k] => (Group::Any, None, *k),
            [v, k] if is_version(v) => (Group::Core, Some(*v), *k),
            [g, k] => (Group::Glob(glob(g)?), None, *k),
            [g, v, k] => (Group::Glob(glob(g)?), Some(*v), *k),
            _ => return Err(format!("`{s}` is not a kind: Kind, group/Kind, v1/Kind or group/version/Kind")),
        };
        if kind.is_empty() {
            return Err(format!("`{s}` names no kind"));
        }
        Ok(Self { group, version: version.map(glob).transpose()?, kind: glob(kind)? })
    }

    fn matches(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let group_ok = match &self.group {
            Group::Any => true,
            Group::Core => group.is_empty(),
            Group::Glob(g) => g.is_match(group),
        };
        group_ok && self.version.as_ref().is_none_or(|v| v.is_match(version)) && self.kind.is_match(kind)
    }
}

fn set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("`{p}` is not a glob: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// A policy's `match`.
#[derive(Clone, Debug, Default)]
pub struct Match {
    pub(crate) kinds: Vec<KindSelector>,
    namespaces: Option<GlobSet>,
    exclude_namespaces: Option<GlobSet>,
    names: Option<GlobSet>,
    exclude_names: Option<GlobSet>,
    pub(crate) scope: ScopeFilter,
    tenants: Option<GlobSet>,
    clusters: Option<GlobSet>,
    owners: Option<GlobSet>,
}

impl Match {
    /// Set one of the list fields.
    pub(crate) fn set(&mut self, key: &str, values: &[String]) -> Result<(), String> {
        if key == "kinds" {
            self.kinds = values.iter().map(|v| KindSelector::parse(v)).collect::<Result<_, _>>()?;
            return Ok(());
        }
        let globs = Some(set(values)?);
        match key {
            "namespaces" => self.namespaces = globs,
            "excludeNamespaces" => self.exclude_namespaces = globs,
            "names" => self.names = globs,
            "excludeNames" => self.exclude_names = globs,
            "tenants" => self.tenants = globs,
            "clusters" => self.clusters = globs,
            "owners" => self.owners = globs,
            other => return Err(format!("unknown match field `{other}`")),
        }
        Ok(())
    }

    /// Whether the policy applies to `object` in `ctx`. A Namespace's namespace is its own name
    /// (as in Kyverno); a cluster-scoped object has none, so a `namespaces` list excludes it.
    #[must_use]
    pub fn matches(&self, object: &Node, ctx: &Context<'_>) -> bool {
        let api_version = object.get("apiVersion").and_then(Node::as_str).unwrap_or_default();
        let kind = object.get("kind").and_then(Node::as_str).unwrap_or_default();
        if !self.kinds.iter().any(|k| k.matches(api_version, kind)) {
            return false;
        }
        let name = object.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or_default();
        let namespace = if kind == "Namespace" && api_version == "v1" {
            Some(name)
        } else {
            object.get_path(&["metadata", "namespace"]).and_then(Node::as_str)
        };
        let opt = |s: &Option<GlobSet>, v: Option<&str>| s.as_ref().is_none_or(|g| v.is_some_and(|v| g.is_match(v)));
        let not = |s: &Option<GlobSet>, v: Option<&str>| s.as_ref().is_none_or(|g| !v.is_some_and(|v| g.is_match(v)));
        let scope_ok = match self.scope {
            ScopeFilter::Any => true,
            ScopeFilter::Tenant => ctx.scope == Scope::Tenant,
            ScopeFilter::Platform => ctx.scope == Scope::Platform,
        };
        scope_ok
            && opt(&self.namespaces, namespace)
            && not(&self.exclude_namespaces, namespace)
            && opt(&self.names, Some(name))
            && not(&self.exclude_names, Some(name))
            && opt(&self.tenants, ctx.tenant)
            && opt(&self.clusters, Some(ctx.cluster))
            && opt(&self.owners, ctx.owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_selectors() {
        let k = |s| KindSelector::parse(s).unwrap();
        assert!(k("HelmRelease").matches("helm.toolkit.fluxcd.io/v2", "HelmRelease"));
        assert!(k("helm.toolkit.fluxcd.io/HelmRelease").matches("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"));
        assert!(!k("helm.toolkit.fluxcd.io/v2/HelmRelease").matches("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"));
        assert!(k("*.toolkit.fluxcd.io/*").matches("source.toolkit.fluxcd.io/v1", "GitRepository"));
        assert!(k("v1/Namespace").matches("v1", "Namespace"));
        assert!(!k("v1/Namespace").matches("example.com/v1", "Namespace"));
        assert!(k("*").matches("apps/v1", "Deployment"));
        assert!(k("apps/v?/Deploy[m]ent").matches("apps/v1", "Deployment"));
        assert!(!k("apps/Deploymen").matches("apps/v1", "Deployment"));
        assert!(!k("Deployment").matches("apps/v1", "deployment"));
        assert!(KindSelector::parse("a/b/c/d").is_err());
    }
}
