//! Whether a rule selects an object: `match` and `exclude` with `any`/`all` or the legacy single
//! block, kinds (with group/version forms and wildcards), names, namespaces, annotations, label
//! and namespace selectors, operations, and the requesting user (`subjects`, `roles`,
//! `clusterRoles`).
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/utils/match.go (`MatchesResourceDescription`,
//! `doesResourceMatchConditionBlock`, the match and exclude helpers), pkg/utils/match/ (kind.go
//! `CheckKind`, labels.go `CheckSelector`, annotations.go, subjects.go, name.go),
//! pkg/utils/kube/kind.go (`ParseKindSelector`) and pkg/engine/wildcards/wildcards.go
//! (`ReplaceInSelector`). What fleetlint cannot know (the namespace's labels, the user) makes
//! the answer [`Tri::Unknown`] only where the result depends on it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::wildcard;

/// A three-valued answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    Yes,
    No,
    Unknown(String),
}

impl Tri {
    fn and(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::No => Tri::No,
            Tri::Yes => other(),
            Tri::Unknown(r) => match other() {
                Tri::No => Tri::No,
                _ => Tri::Unknown(r),
            },
        }
    }

    fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }
}

fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
    let mut unknown = None;
    for t in items {
        match t {
            Tri::No => return Tri::No,
            Tri::Unknown(r) => unknown = unknown.or(Some(r)),
            Tri::Yes => {}
        }
    }
    unknown.map_or(Tri::Yes, Tri::Unknown)
}

fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
    let mut unknown = None;
    for t in items {
        match t {
            Tri::Yes => return Tri::Yes,
            Tri::Unknown(r) => unknown = unknown.or(Some(r)),
            Tri::No => {}
        }
    }
    unknown.map_or(Tri::No, Tri::Unknown)
}

/// The requesting user, when the caller knows it (for Flux: the controller's service account or
/// the one a Kustomization impersonates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// `system:serviceaccount:<namespace>:<name>` for a service account.
    pub username: String,
    /// Groups (`system:serviceaccounts`, `system:serviceaccounts:<namespace>`, ...).
    pub groups: Vec<String>,
    /// `namespace:role` names of the Roles bound to the user, when known.
    pub roles: Option<Vec<String>>,
    /// Names of the ClusterRoles bound to the user, when known.
    pub cluster_roles: Option<Vec<String>>,
}

/// What the matcher reads besides the object.
pub(crate) struct Target<'a> {
    pub(crate) object: &'a Value,
    pub(crate) group: &'a str,
    pub(crate) version: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) namespace: Option<&'a str>,
    /// Labels of the object's namespace; `None` when unknown. Cluster-scoped objects have `{}`.
    pub(crate) namespace_labels: Option<&'a BTreeMap<String, String>>,
    pub(crate) operation: &'a str,
    pub(crate) user: Option<&'a UserInfo>,
}

impl Target<'_> {
    fn name(&self) -> &str {
        let meta = &self.object["metadata"];
        meta["name"].as_str().filter(|n| !n.is_empty()).or_else(|| meta["generateName"].as_str()).unwrap_or_default()
    }

    fn labels(&self) -> BTreeMap<String, String> {
        string_map(&self.object["metadata"]["labels"])
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

/// `ParseKindSelector`: `Kind`, `Kind/subresource`, `version/Kind`, `group/version/Kind[/sub]`.
pub(crate) fn parse_kind_selector(input: &str) -> (String, String, String, String) {
    let version_like = |s: &str| {
        s == "*" || {
            let rest = s.strip_prefix('v').unwrap_or("");
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && {
                let tail = &rest[digits..];
                tail.is_empty()
                    || ["alpha", "beta"].iter().any(|p| {
                        tail.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    })
            }
        }
    };
    let mut parts: Vec<&str> = input.split('/').collect();
    if let Some(last) = parts.pop() {
        parts.extend(last.split('.'));
    }
    let s = |x: &str| x.to_owned();
    match parts.as_slice() {
        [k] => (s("*"), s("*"), s(k), String::new()),
        ["*", "*"] => (s("*"), s("*"), s("*"), s("*")),
        ["*", sub] if sub.to_ascii_lowercase() == *sub => (s("*"), s("*"), s("*"), s(sub)),
        [v, k] if version_like(v) => (s("*"), s(v), s(k), String::new()),
        [k, sub] => (s("*"), s("*"), s(k), s(sub)),
        [v, k, sub] if version_like(v) => (s("*"), s(v), s(k), s(sub)),
        [g, v, k] => (s(g), s(v), s(k), String::new()),
        [g, v, k, sub] => (s(g), s(v), s(k), s(sub)),
        _ => (String::new(), String::new(), String::new(), String::new()),
    }
}

/// `CheckKind` for a request without a subresource.
pub(crate) fn check_kind(kinds: &[&str], group: &str, version: &str, kind: &str) -> bool {
    kinds.iter().any(|k| {
        let (g, v, kk, sub) = parse_kind_selector(k);
        wildcard::matches(&g, group)
            && wildcard::matches(&v, version)
            && wildcard::matches(&kk, kind)
            && wildcard::matches(&sub, "")
    })
}

/// `CheckSelector` with `ReplaceInSelector`: `matchLabels` entries with wildcards match any label
/// whose key and value match them; `matchExpressions` with `In`, `NotIn`, `Exists`,
/// `DoesNotExist`. A malformed selector matches nothing (Kyverno reports "failed to parse").
pub(crate) fn check_selector(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let Some(sel) = selector.as_object() else { return false };
    for (k, v) in sel.get("matchLabels").and_then(Value::as_object).into_iter().flatten() {
        let Some(v) = v.as_str() else { return false };
        let ok = if wildcard::contains_wildcard(k) || wildcard::contains_wildcard(v) {
            labels.iter().any(|(lk, lv)| wildcard::matches(k, lk) && wildcard::matches(v, lv))
        } else {
            labels.get(k).is_some_and(|lv| lv == v)
        };
        if !ok {
            return false;
        }
    }
    for expr in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = expr["key"].as_str().unwrap_or_default();
        let values = strings(&expr["values"]);
        let have = labels.get(key);
        let ok = match expr["operator"].as_str() {
            Some("In") => have.is_some_and(|h| values.contains(&h.as_str())),
            Some("NotIn") => have.is_none_or(|h| !values.contains(&h.as_str())),
            Some("Exists") => have.is_some(),
            Some("DoesNotExist") => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `CheckSubjects`.
fn check_subjects(subjects: &Value, user: &UserInfo) -> bool {
    subjects.as_array().into_iter().flatten().any(|s| {
        let name = s["name"].as_str().unwrap_or_default();
        match s["kind"].as_str() {
            Some("ServiceAccount") => {
                let ns = s["namespace"].as_str().unwrap_or_default();
                wildcard::matches(&format!("system:serviceaccount:{ns}:{name}"), &user.username)
            }
            Some("Group") => user.groups.iter().any(|g| wildcard::matches(name, g)),
            Some("User") => wildcard::matches(name, &user.username),
            _ => false,
        }
    })
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.values().all(|x| is_empty(Some(x))),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// A filter block: `{resources: {...}, subjects, roles, clusterRoles}`.
fn block_is_empty(filter: &Value) -> bool {
    ["resources", "subjects", "roles", "clusterRoles"].iter().all(|k| is_empty(filter.get(*k)))
}

/// `doesResourceMatchConditionBlock`: every condition of the block holds.
fn block_matches(filter: &Value, t: &Target<'_>) -> Tri {
    let rd = &filter["resources"];
    let ops = strings(&rd["operations"]);
    if !ops.is_empty() && !ops.contains(&t.operation) {
        return Tri::No;
    }
    let mut checks = Vec::new();
    let kinds = strings(&rd["kinds"]);
    if !kinds.is_empty() {
        checks.push(Tri::from_bool(check_kind(&kinds, t.group, t.version, t.kind)));
    }
    let name = t.name();
    if let Some(n) = rd["name"].as_str().filter(|n| !n.is_empty()) {
        checks.push(Tri::from_bool(wildcard::matches(n, name)));
    }
    let names = strings(&rd["names"]);
    if !names.is_empty() {
        checks.push(Tri::from_bool(names.iter().any(|n| wildcard::matches(n, name))));
    }
    let namespaces = strings(&rd["namespaces"]);
    if !namespaces.is_empty() {
        let ns = if t.kind == "Namespace" { name } else { t.namespace.unwrap_or_default() };
        checks.push(Tri::from_bool(namespaces.iter().any(|p| wildcard::matches(p, ns))));
    }
    if let Some(ann) = rd["annotations"].as_object().filter(|a| !a.is_empty()) {
        let have = string_map(&t.object["metadata"]["annotations"]);
        let ok = ann.iter().all(|(k, v)| {
            let v = v.as_str().unwrap_or_default();
            have.iter().any(|(hk, hv)| wildcard::matches(k, hk) && wildcard::matches(v, hv))
        });
        checks.push(Tri::from_bool(ok));
    }
    if !rd["selector"].is_null() && rd.get("selector").is_some() {
        checks.push(Tri::from_bool(check_selector(&rd["selector"], &t.labels())));
    }
    if rd.get("namespaceSelector").is_some_and(|s| !s.is_null()) {
        checks.push(if t.kind == "Namespace" {
            Tri::No
        } else {
            match t.namespace_labels {
                Some(labels) => Tri::from_bool(check_selector(&rd["namespaceSelector"], labels)),
                None => Tri::Unknown(format!("the labels of namespace {} are not known", t.namespace.unwrap_or("?"))),
            }
        });
    }
    for (key, what) in [("roles", "roles"), ("clusterRoles", "cluster roles")] {
        let wanted = strings(&filter[key]);
        if wanted.is_empty() {
            continue;
        }
        let have = t.user.and_then(|u| if key == "roles" { u.roles.as_ref() } else { u.cluster_roles.as_ref() });
        checks.push(match have {
            Some(have) => Tri::from_bool(have.iter().any(|h| wanted.contains(&h.as_str()))),
            None => Tri::Unknown(format!("the {what} bound to the requesting user are not known")),
        });
    }
    if filter.get("subjects").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty())) {
        checks.push(match t.user {
            Some(u) => Tri::from_bool(check_subjects(&filter["subjects"], u)),
            None => Tri::Unknown("the requesting user is not known".to_owned()),
        });
    }
    all(checks)
}

/// The legacy form of a `match`/`exclude`: `resources` and the user fields at its top level.
fn legacy_block(m: &Value) -> &Value {
    m
}

fn blocks(m: &Value, key: &str) -> Vec<Value> {
    m.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// `MatchesResourceDescription`: the rule's `match` selects the object and its `exclude` does
/// not. `policy_namespace` is set for a namespaced `Policy`.
pub(crate) fn rule_matches(rule: &Value, t: &Target<'_>, policy_namespace: Option<&str>) -> Tri {
    if let Some(pns) = policy_namespace
        && Some(pns) != t.namespace
    {
        return Tri::No;
    }
    let m = &rule["match"];
    let any_blocks = blocks(m, "any");
    let all_blocks = blocks(m, "all");
    let matched = if !any_blocks.is_empty() {
        any(any_blocks.iter().map(|b| if block_is_empty(b) { Tri::No } else { block_matches(b, t) }))
    } else if !all_blocks.is_empty() {
        all(all_blocks.iter().map(|b| if block_is_empty(b) { Tri::No } else { block_matches(b, t) }))
    } else {
        let b = legacy_block(m);
        if block_is_empty(b) { Tri::No } else { block_matches(b, t) }
    };
    matched.and(|| {
        let e = &rule["exclude"];
        if e.is_null() || is_empty(Some(e)) {
            return Tri::Yes;
        }
        let excl_any = blocks(e, "any");
        let excl_all = blocks(e, "all");
        let excluded = if !excl_any.is_empty() {
            any(excl_any.iter().map(|b| if block_is_empty(b) { Tri::No } else { block_matches(b, t) }))
        } else if !excl_all.is_empty() {
            all(excl_all.iter().map(|b| if block_is_empty(b) { Tri::No } else { block_matches(b, t) }))
        } else {
            let b = legacy_block(e);
            if block_is_empty(b) { Tri::No } else { block_matches(b, t) }
        };
        match excluded {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            u @ Tri::Unknown(_) => u,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target<'a>(object: &'a Value, labels: Option<&'a BTreeMap<String, String>>) -> Target<'a> {
        let api = object["apiVersion"].as_str().unwrap();
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        Target {
            object,
            group,
            version,
            kind: object["kind"].as_str().unwrap(),
            namespace: object["metadata"]["namespace"].as_str(),
            namespace_labels: labels,
            operation: "CREATE",
            user: None,
        }
    }

    fn ks() -> Value {
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "team-a", "labels": {"tier": "apps"}}})
    }

    #[test]
    fn kind_selectors() {
        assert_eq!(parse_kind_selector("Pod"), ("*".into(), "*".into(), "Pod".into(), String::new()));
        assert_eq!(parse_kind_selector("v1/Pod"), ("*".into(), "v1".into(), "Pod".into(), String::new()));
        assert_eq!(parse_kind_selector("apps/v1/Deployment").0, "apps");
        assert_eq!(parse_kind_selector("Deployment/scale").3, "scale");
        assert!(check_kind(&["Kustomization"], "kustomize.toolkit.fluxcd.io", "v1", "Kustomization"));
        assert!(check_kind(
            &["kustomize.toolkit.fluxcd.io/*/Kustomization"],
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization"
        ));
        assert!(!check_kind(
            &["helm.toolkit.fluxcd.io/v2/HelmRelease"],
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization"
        ));
        assert!(!check_kind(&["Deployment/scale"], "apps", "v1", "Deployment"));
        assert!(check_kind(&["*"], "apps", "v1", "Deployment"));
    }

    #[test]
    fn legacy_match_and_exclude() {
        let o = ks();
        let rule = json!({"match": {"resources": {"kinds": ["Kustomization"]}},
            "exclude": {"resources": {"namespaces": ["flux-system"]}}});
        assert_eq!(rule_matches(&rule, &target(&o, None), None), Tri::Yes);
        let mut o2 = o.clone();
        o2["metadata"]["namespace"] = json!("flux-system");
        assert_eq!(rule_matches(&rule, &target(&o2, None), None), Tri::No);
        assert_eq!(rule_matches(&rule, &target(&o, None), Some("other")), Tri::No);
    }

    #[test]
    fn any_all_selectors_and_unknowns() {
        let o = ks();
        let rule = json!({"match": {"any": [
            {"resources": {"kinds": ["Pod"]}},
            {"resources": {"kinds": ["Kustomization"], "selector": {"matchLabels": {"tier": "ap*"}}}}]}});
        assert_eq!(rule_matches(&rule, &target(&o, None), None), Tri::Yes);
        let rule = json!({"match": {"all": [
            {"resources": {"kinds": ["Kustomization"]}},
            {"resources": {"namespaceSelector": {"matchExpressions": [{"key": "tenant", "operator": "Exists"}]}}}]}});
        assert!(matches!(rule_matches(&rule, &target(&o, None), None), Tri::Unknown(_)));
        let labels = BTreeMap::from([("tenant".to_owned(), "a".to_owned())]);
        assert_eq!(rule_matches(&rule, &target(&o, Some(&labels)), None), Tri::Yes);
        let rule = json!({"match": {"any": [{"resources": {"kinds": ["Kustomization"]}}]},
            "exclude": {"any": [{"clusterRoles": ["cluster-admin"]}]}});
        assert!(matches!(rule_matches(&rule, &target(&o, None), None), Tri::Unknown(_)));
        let user = UserInfo { cluster_roles: Some(vec!["view".into()]), ..UserInfo::default() };
        let mut t = target(&o, None);
        t.user = Some(&user);
        assert_eq!(rule_matches(&rule, &t, None), Tri::Yes);
        let rule = json!({"match": {"any": [{"resources": {"kinds": ["Kustomization"], "operations": ["UPDATE"]}}]}});
        assert_eq!(rule_matches(&rule, &target(&o, None), None), Tri::No);
    }

    #[test]
    fn subjects_and_empty_blocks() {
        let o = ks();
        let rule = json!({"match": {"any": [{"resources": {"kinds": ["Kustomization"]},
            "subjects": [{"kind": "ServiceAccount", "name": "kustomize-controller", "namespace": "flux-system"}]}]}});
        let user = UserInfo {
            username: "system:serviceaccount:flux-system:kustomize-controller".into(),
            ..UserInfo::default()
        };
        let mut t = target(&o, None);
        t.user = Some(&user);
        assert_eq!(rule_matches(&rule, &t, None), Tri::Yes);
        assert_eq!(rule_matches(&json!({"match": {}}), &target(&o, None), None), Tri::No);
    }
}
