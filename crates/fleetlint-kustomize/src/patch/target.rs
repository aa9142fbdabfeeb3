//! Target selection: `patches[].target` (regular expressions, label and annotation selectors) and
//! the implicit target of a strategic merge patch without one.

use fleetlint_yaml::{Node, ObjectView};
use regex::Regex;

use super::PatchError;

/// A `patches[].target` selector. Empty fields match anything; `group`, `version`, `kind`,
/// `name` and `namespace` are Go regular expressions matched against the whole value (kustomize
/// anchors them as `^(?:...)$`; see [`crate::go_regex`]).
#[derive(Clone, Debug, Default)]
pub struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    label_selector: Option<Selector>,
    annotation_selector: Option<Selector>,
}

/// The namespace kustomize compares (`ResId.EffectiveNamespace`): `default` for a namespaced
/// object without one, `_non_namespaceable_` for a kind kustomize treats as cluster-scoped
/// ([`crate::resource::is_kustomize_cluster_scoped`]); a `namespace: .*` selector matches both.
fn effective_namespace<'a>(api_version: &str, kind: &str, namespace: Option<&'a str>) -> Option<&'a str> {
    if crate::resource::is_kustomize_cluster_scoped(api_version, kind) {
        return Some("_non_namespaceable_");
    }
    Some(namespace.filter(|n| !n.is_empty()).unwrap_or("default"))
}

fn anchored(field: &Node) -> Result<Option<Regex>, PatchError> {
    let Some(text) = field.as_str() else {
        return if field.is_null() { Ok(None) } else { Err(PatchError::new("expected a string", field.span)) };
    };
    if text.is_empty() {
        return Ok(None);
    }
    crate::go_regex::anchored(text).map_err(|e| PatchError::new(format!("invalid regular expression: {e}"), field.span))
}

impl Target {
    /// Read a `target:` map (`group`, `version`, `kind`, `name`, `namespace`, `labelSelector`,
    /// `annotationSelector`).
    ///
    /// # Errors
    /// A non-map target, an invalid regular expression or selector.
    pub fn from_node(node: &Node) -> Result<Self, PatchError> {
        let Some(entries) = node.as_map() else {
            return Err(PatchError::new("a patch target must be a map", node.span));
        };
        let mut t = Target::default();
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            match key {
                "group" => t.group = anchored(&e.value)?,
                "version" => t.version = anchored(&e.value)?,
                "kind" => t.kind = anchored(&e.value)?,
                "name" => t.name = anchored(&e.value)?,
                "namespace" => t.namespace = anchored(&e.value)?,
                "labelSelector" | "annotationSelector" => {
                    let sel = match e.value.as_str() {
                        Some(s) if !s.is_empty() => {
                            Some(Selector::parse(s).map_err(|m| PatchError::new(m, e.value.span))?)
                        }
                        _ => None,
                    };
                    if key == "labelSelector" {
                        t.label_selector = sel;
                    } else {
                        t.annotation_selector = sel;
                    }
                }
                _ => return Err(PatchError::new(format!("unknown field `{key}` in patch target"), e.key.span)),
            }
        }
        Ok(t)
    }

    /// Whether the object (a document root) is selected.
    #[must_use]
    pub fn matches(&self, object_root: &Node) -> bool {
        self.matches_ids(object_root, &[])
    }

    /// Whether the object is selected, also trying earlier `(name, namespace)` identities of it
    /// (kustomize matches a target against the original and the current id, so a patch still finds
    /// an object after a name prefix or a namespace change).
    #[must_use]
    pub fn matches_ids(&self, object_root: &Node, earlier: &[(&str, Option<&str>)]) -> bool {
        let Some(obj) = ObjectView::new(object_root) else { return false };
        let kind = obj.kind();
        let (group, version) = obj.api_version().rsplit_once('/').unwrap_or(("", obj.api_version()));
        let full = |r: &Option<Regex>, v: &str| r.as_ref().is_none_or(|r| r.is_match(v));
        if !(full(&self.group, group) && full(&self.version, version) && full(&self.kind, kind)) {
            return false;
        }
        let mut ids = vec![(obj.name().unwrap_or(""), obj.namespace())];
        ids.extend_from_slice(earlier);
        if let Some(ns) = &self.namespace
            && !ids
                .iter()
                .any(|(_, n)| effective_namespace(obj.api_version(), kind, *n).is_some_and(|n| ns.is_match(n)))
        {
            return false;
        }
        if !ids.iter().any(|(n, _)| full(&self.name, n)) {
            return false;
        }
        let map = |key: &str| -> Vec<(String, String)> {
            object_root
                .get_path(&["metadata", key])
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .map(|e| (e.key.as_str().unwrap_or("").to_string(), e.value.as_str().unwrap_or("").to_string()))
                .collect()
        };
        self.label_selector.as_ref().is_none_or(|s| s.matches(&map("labels")))
            && self.annotation_selector.as_ref().is_none_or(|s| s.matches(&map("annotations")))
    }
}

/// The target of a strategic merge patch given without `target:` (kustomize `GetById` on the
/// patch's own id): same group, version, kind and name, and the same effective namespace (an
/// absent namespace is `default`). kustomize requires exactly one such object.
#[must_use]
pub fn smp_implicit_target_matches(patch_root: &Node, object_root: &Node) -> bool {
    let (Some(p), Some(o)) = (ObjectView::new(patch_root), ObjectView::new(object_root)) else { return false };
    p.api_version() == o.api_version()
        && p.kind() == o.kind()
        && p.name().unwrap_or("") == o.name().unwrap_or("")
        && effective_namespace(p.api_version(), p.kind(), p.namespace())
            == effective_namespace(o.api_version(), o.kind(), o.namespace())
}

/// A Kubernetes label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Selector {
    /// Parse the selector syntax of `labels.Parse`.
    ///
    /// # Errors
    /// A malformed selector, with a message.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let (req, tail) = parse_requirement(rest)?;
            requirements.push(req);
            rest = tail.trim_start();
            if let Some(t) = rest.strip_prefix(',') {
                rest = t.trim_start();
                if rest.is_empty() {
                    return Err(format!("invalid selector `{text}`: trailing comma"));
                }
            } else if !rest.is_empty() {
                return Err(format!("invalid selector `{text}`: expected `,` at `{rest}`"));
            }
        }
        Ok(Self { requirements })
    }

    /// Whether a label (or annotation) set satisfies every requirement.
    #[must_use]
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| labels.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

fn split_key(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !is_key_char(c)).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn parse_requirement(s: &str) -> Result<(Requirement, &str), String> {
    if let Some(rest) = s.strip_prefix('!') {
        let (key, tail) = split_key(rest.trim_start());
        if key.is_empty() {
            return Err(format!("invalid selector: missing key after `!` in `{s}`"));
        }
        return Ok((Requirement::NotExists(key.to_string()), tail));
    }
    let (key, tail) = split_key(s);
    if key.is_empty() {
        return Err(format!("invalid selector: expected a key at `{s}`"));
    }
    let key = key.to_string();
    let t = tail.trim_start();
    let value = |t: &str| -> (String, usize) {
        let t2 = t.trim_start();
        let skipped = t.len() - t2.len();
        let end = t2.find(|c: char| !is_key_char(c)).unwrap_or(t2.len());
        (t2[..end].to_string(), skipped + end)
    };
    if let Some(r) = t.strip_prefix("!=") {
        let (v, n) = value(r);
        return Ok((Requirement::NotIn(key, vec![v]), &r[n..]));
    }
    if let Some(r) = t.strip_prefix("==").or_else(|| t.strip_prefix('=')) {
        let (v, n) = value(r);
        return Ok((Requirement::In(key, vec![v]), &r[n..]));
    }
    for (word, is_in) in [("notin", false), ("in", true)] {
        if let Some(r) = t.strip_prefix(word)
            && tail.len() > t.len()
            && r.trim_start().starts_with('(')
        {
            let r = r.trim_start();
            let close = r.find(')').ok_or_else(|| format!("invalid selector: missing `)` in `{s}`"))?;
            let values: Vec<String> =
                r[1..close].split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                return Err(format!("invalid selector: empty set in `{s}`"));
            }
            let req = if is_in { Requirement::In(key, values) } else { Requirement::NotIn(key, values) };
            return Ok((req, &r[close + 1..]));
        }
    }
    Ok((Requirement::Exists(key), tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    fn doc(text: &str) -> Node {
        parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root
    }

    const OBJ: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo-canary\n  namespace: apps\n  labels: {app: podinfo, tier: web}\n  annotations: {team: a}\n";

    #[test]
    fn regex_fields_are_anchored() {
        let o = doc(OBJ);
        let t = |s: &str| Target::from_node(&doc(s)).unwrap().matches(&o);
        assert!(t("kind: Deployment"));
        assert!(t("name: podinfo.*"));
        assert!(!t("name: podinfo"));
        assert!(!t("name: info"));
        assert!(t("group: apps\nversion: v1"));
        assert!(!t("group: ''\nkind: Deploy"));
        assert!(t("namespace: app.|apps"));
        assert!(!t("kind: Service"));
        assert!(t("kind: Deployment|StatefulSet"));
        let cm = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        assert!(Target::from_node(&doc("namespace: default")).unwrap().matches(&cm));
        assert!(Target::from_node(&doc("group: ''")).is_ok());
        assert!(Target::from_node(&doc("name: '('")).is_err());
    }

    #[test]
    fn label_and_annotation_selectors() {
        let o = doc(OBJ);
        let sel = |s: &str| Target::from_node(&doc(&format!("labelSelector: \"{s}\""))).unwrap().matches(&o);
        assert!(sel("app=podinfo"));
        assert!(sel("app==podinfo,tier=web"));
        assert!(!sel("app!=podinfo"));
        assert!(sel("missing!=x"));
        assert!(sel("tier in (web, api)"));
        assert!(!sel("tier notin (web)"));
        assert!(sel("missing notin (web)"));
        assert!(sel("app"));
        assert!(!sel("!app"));
        assert!(sel("!missing, app in (podinfo)"));
        assert!(Target::from_node(&doc("annotationSelector: team=a")).unwrap().matches(&o));
        assert!(!Target::from_node(&doc("annotationSelector: team=b")).unwrap().matches(&o));
        assert!(Selector::parse("a in (").is_err());
        assert!(Selector::parse("a=b,").is_err());
    }

    #[test]
    fn implicit_smp_target_is_gvk_name_and_effective_namespace() {
        let o = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        assert!(smp_implicit_target_matches(
            &doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n"),
            &o
        ));
        assert!(!smp_implicit_target_matches(
            &doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n"),
            &o
        ));
        assert!(!smp_implicit_target_matches(&doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"), &o));
        let hr =
            doc("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: hr, namespace: ns1}\n");
        assert!(!smp_implicit_target_matches(
            &doc("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: hr}\n"),
            &hr
        ));
    }
}
