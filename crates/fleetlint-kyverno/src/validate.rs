//! `validate.pattern`: matching an object against an overlay pattern with anchors.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/validate/validate.go (`MatchPattern`,
//! `validateResourceElement`, `validateMap`, `validateArray`, `validateArrayOfMaps`),
//! pkg/engine/validate/utils.go (key order), pkg/engine/anchor/ (anchor syntax `anchor.go`, the
//! handlers `handlers.go`, the anchor map `anchormap.go`, error kinds `error.go`) and
//! pkg/engine/wildcards/wildcards.go (`ExpandInMetadata`). Anchors: conditional `(key)`,
//! equality `=(key)`, existence `^(key)`, negation `X(key)`, global `<(key)`; `+(key)` is a
//! mutate anchor and reads as a plain key here, as in Kyverno's validate handlers.

use std::collections::{BTreeMap, HashMap, VecDeque};

use fleetlint_yaml::FieldPath;
use serde_json::{Map, Value};

use crate::pattern;
use crate::wildcard;

/// An anchor of a pattern key: `(key)`, `<(key)`, `X(key)`, `+(key)`, `=(key)`, `^(key)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Condition,
    Global,
    Negation,
    AddIfNotPresent,
    Equality,
    Existence,
}

/// `anchor.Parse`: `^(?P<modifier>[+<=X^])?\((?P<key>.+)\)$` after trimming spaces.
pub(crate) fn parse_anchor(key: &str) -> Option<(Anchor, &str)> {
    let k = key.trim();
    let (anchor, rest) = match k.as_bytes().first()? {
        b'+' => (Anchor::AddIfNotPresent, &k[1..]),
        b'<' => (Anchor::Global, &k[1..]),
        b'=' => (Anchor::Equality, &k[1..]),
        b'X' => (Anchor::Negation, &k[1..]),
        b'^' => (Anchor::Existence, &k[1..]),
        _ => (Anchor::Condition, k),
    };
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    (!inner.is_empty()).then_some((anchor, inner))
}

const CONDITIONAL: &str = "conditional anchor mismatch";
const GLOBAL: &str = "global anchor mismatch";
const NEGATION: &str = "negation anchor matched in resource";

/// Kyverno's error kinds while matching: anchor errors are typed, the others are told apart by
/// their text (`anchor/error.go`, `isError`), and skip groups are `*PatternError`s.
#[derive(Clone, Debug)]
enum Err {
    Conditional(String),
    Global(String),
    Negation(String),
    SkipGroup(String),
    Plain(String),
}

impl Err {
    fn message(&self) -> &str {
        match self {
            Self::Conditional(m) | Self::Global(m) | Self::Negation(m) | Self::SkipGroup(m) | Self::Plain(m) => m,
        }
    }

    /// `skip`: a conditional or global anchor did not hold.
    fn is_skip(&self) -> bool {
        match self {
            Self::Conditional(_) | Self::Global(_) => true,
            Self::Negation(_) => false,
            Self::SkipGroup(m) | Self::Plain(m) => m.contains(CONDITIONAL) || m.contains(GLOBAL),
        }
    }

    fn is_negation(&self) -> bool {
        match self {
            Self::Negation(_) => true,
            Self::Conditional(_) | Self::Global(_) => false,
            Self::SkipGroup(m) | Self::Plain(m) => m.contains(NEGATION),
        }
    }
}

fn combine(errs: &[Err]) -> String {
    errs.iter().map(Err::message).collect::<Vec<_>>().join("; ")
}

/// The result of matching a pattern (`validate.PatternError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PatternResult {
    Pass,
    /// A conditional or global anchor did not hold: the rule does not apply.
    Skip(String),
    /// The object violates the pattern at `path` (the offending value, possibly absent).
    Fail {
        path: FieldPath,
        message: String,
    },
    /// Kyverno reports a rule error (no path: anchors whose keys are missing, a malformed
    /// pattern).
    Error(String),
}

#[derive(Default)]
struct AnchorMap {
    seen: HashMap<String, bool>,
}

impl AnchorMap {
    /// `CheckAnchorInResource`.
    fn check(&mut self, pattern: &Map<String, Value>, resource: &Value) {
        for key in pattern.keys() {
            let Some((a, inner)) = parse_anchor(key) else { continue };
            if !matches!(a, Anchor::Condition | Anchor::Existence | Anchor::Negation) {
                continue;
            }
            let entry = self.seen.entry(key.clone()).or_insert(false);
            if !*entry && has_key(resource, inner) {
                *entry = true;
            }
        }
    }

    /// `KeysAreMissing`: an anchored key (other than a negation) never found.
    fn keys_are_missing(&self) -> bool {
        self.seen.iter().any(|(k, v)| !v && !matches!(parse_anchor(k), Some((Anchor::Negation, _))))
    }
}

fn has_key(resource: &Value, key: &str) -> bool {
    match resource {
        Value::Object(m) => m.contains_key(key),
        Value::Array(items) => items.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

/// Match `resource` against `pattern` (`MatchPattern`).
pub(crate) fn match_pattern(resource: &Value, pattern: &Value) -> PatternResult {
    let mut ac = AnchorMap::default();
    match element(resource, pattern, &FieldPath::root(), &mut ac) {
        Ok(()) => PatternResult::Pass,
        Err((_, e)) if e.is_skip() => PatternResult::Skip(e.message().to_owned()),
        Err((path, e)) if e.is_negation() => PatternResult::Fail { path, message: e.message().to_owned() },
        Err((_, e)) if ac.keys_are_missing() => PatternResult::Error(e.message().to_owned()),
        Err((path, e)) => PatternResult::Fail { path, message: e.message().to_owned() },
    }
}

type Res = Result<(), (FieldPath, Err)>;

fn plain(path: &FieldPath, msg: String) -> Res {
    Err((path.clone(), Err::Plain(msg)))
}

/// `validateResourceElement`.
fn element(resource: &Value, pattern: &Value, path: &FieldPath, ac: &mut AnchorMap) -> Res {
    match pattern {
        Value::Object(p) => {
            let Value::Object(r) = resource else {
                return plain(path, format!("pattern and resource have different structures. Path: /{path}"));
            };
            ac.check(p, resource);
            map(r, p, path, ac)
        }
        Value::Array(p) => {
            let Value::Array(r) = resource else {
                return plain(
                    path,
                    format!(
                        "validation rule failed at path /{path}, resource does not satisfy the expected overlay pattern"
                    ),
                );
            };
            array(r, p, path, ac)
        }
        leaf => {
            let ok = match resource {
                Value::Array(items) => items.iter().all(|v| pattern::validate(v, leaf)),
                v => pattern::validate(v, leaf),
            };
            if ok { Ok(()) } else { plain(path, format!("resource value does not match '{leaf}' at path /{path}")) }
        }
    }
}

fn has_nested_anchors(pattern: &Value) -> bool {
    match pattern {
        Value::Object(m) => {
            m.keys().any(|k| parse_anchor(k).is_some_and(|(a, _)| a != Anchor::AddIfNotPresent))
                || m.values().any(has_nested_anchors)
        }
        Value::Array(items) => items.iter().any(has_nested_anchors),
        _ => false,
    }
}

/// `validateMap`.
fn map(resource: &Map<String, Value>, pattern: &Map<String, Value>, path: &FieldPath, ac: &mut AnchorMap) -> Res {
    let pattern = expand_in_metadata(pattern, resource);
    let mut anchors: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut plain_keys: BTreeMap<&str, &Value> = BTreeMap::new();
    for (k, v) in &pattern {
        match parse_anchor(k) {
            Some((Anchor::Condition | Anchor::Existence | Anchor::Equality | Anchor::Negation, _)) => {
                anchors.insert(k, v);
            }
            _ => {
                plain_keys.insert(k, v);
            }
        }
    }
    let mut skips: Vec<Err> = Vec::new();
    let mut applied = 0;
    for (key, p) in &anchors {
        match handle(key, p, resource, path, ac) {
            Ok(()) => applied += 1,
            Err((_, e)) if e.is_skip() => skips.push(e),
            Err(err) => {
                if !skips.iter().any(|s| !matches!(s, Err::SkipGroup(_))) {
                    return Err(err);
                }
            }
        }
    }
    if !skips.is_empty() && (applied == 0 || skips.iter().any(|s| !matches!(s, Err::SkipGroup(_)))) {
        return Err((path.clone(), Err::SkipGroup(combine(&skips))));
    }
    // Global anchors and keys with nested anchors first (`getSortedNestedAnchorResource`).
    let mut order: VecDeque<&str> = VecDeque::new();
    for (key, p) in &plain_keys {
        if matches!(parse_anchor(key), Some((Anchor::Global, _))) || has_nested_anchors(p) {
            order.push_front(key);
        } else {
            order.push_back(key);
        }
    }
    for key in order {
        handle(key, plain_keys[key], resource, path, ac)?;
    }
    Ok(())
}

/// `anchor.CreateElementHandler(...).Handle(...)`.
fn handle(key: &str, pattern: &Value, resource: &Map<String, Value>, path: &FieldPath, ac: &mut AnchorMap) -> Res {
    let anchor = parse_anchor(key);
    let (kind, name) = match anchor {
        Some((Anchor::AddIfNotPresent, _)) | None => (None, key),
        Some((a, inner)) => (Some(a), inner),
    };
    let child = path.child_key(name);
    let value = resource.get(name);
    match kind {
        Some(Anchor::Negation) => match value {
            Some(_) => Err((child.clone(), Err::Negation(format!("{NEGATION}: /{child}/ is not allowed")))),
            None => Ok(()),
        },
        Some(Anchor::Equality) => value.map_or(Ok(()), |v| element(v, pattern, &child, ac)),
        Some(Anchor::Condition) => match value {
            Some(v) => element(v, pattern, &child, ac)
                .map_err(|(p, e)| (p, Err::Conditional(format!("{CONDITIONAL}: {}", e.message())))),
            None => Err((
                child,
                Err::Conditional(format!("{CONDITIONAL}: conditional anchor key doesn't exist in the resource")),
            )),
        },
        Some(Anchor::Global) => match value {
            Some(v) => {
                element(v, pattern, &child, ac).map_err(|(p, e)| (p, Err::Global(format!("{GLOBAL}: {}", e.message()))))
            }
            None => Ok(()),
        },
        Some(Anchor::Existence) => {
            match value {
                None => Ok(()),
                Some(Value::Array(items)) => {
                    let Value::Array(patterns) = pattern else {
                        return plain(
                            &child,
                            "invalid pattern type: Pattern has to be of list to compare against resource".into(),
                        );
                    };
                    for p in patterns {
                        if !p.is_object() {
                            return plain(&child, "invalid pattern type: Pattern has to be of type map to compare against items in resource".into());
                        }
                        let found = items
                            .iter()
                            .enumerate()
                            .any(|(i, item)| element(item, p, &child.child_index(i), ac).is_ok());
                        if !found {
                            return plain(&child, format!("existence anchor validation failed at path /{child}"));
                        }
                    }
                    Ok(())
                }
                Some(_) => plain(
                    &child,
                    "invalid resource type: Existence ^ () anchor can be used only on list/array type resource".into(),
                ),
            }
        }
        _ => {
            if pattern.as_str() == Some("*") {
                return match value {
                    Some(v) if !v.is_null() => Ok(()),
                    _ => plain(&child, format!("/{path}/{name} not found")),
                };
            }
            element(value.unwrap_or(&Value::Null), pattern, &child, ac)
        }
    }
}

/// Items matched one by one: a failure stops, skips are collected, and when every item skipped
/// the array is a skip group (`validateArrayOfMaps` and the positional case of `validateArray`).
fn items<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>, path: &FieldPath, ac: &mut AnchorMap) -> Res {
    let mut applied = 0;
    let mut skips = Vec::new();
    for (i, (item, p)) in pairs.enumerate() {
        match element(item, p, &path.child_index(i), ac) {
            Ok(()) => applied += 1,
            Err((_, e)) if e.is_skip() => skips.push(e),
            Err(err) => return Err(err),
        }
    }
    if applied == 0 && !skips.is_empty() {
        return Err((path.clone(), Err::SkipGroup(combine(&skips))));
    }
    Ok(())
}

/// `validateArray`: a list of maps checks every item against the first pattern item, a scalar
/// pattern checks every item, nested lists match position by position.
fn array(resource: &[Value], pattern: &[Value], path: &FieldPath, ac: &mut AnchorMap) -> Res {
    let Some(first) = pattern.first() else { return plain(path, "pattern Array empty".into()) };
    match first {
        Value::Object(_) => items(resource.iter().map(|r| (r, first)), path, ac),
        Value::Array(_) => {
            if resource.len() < pattern.len() {
                let msg = format!(
                    "validate Array failed, array length mismatch, resource Array len is {} and pattern Array len is {}",
                    resource.len(),
                    pattern.len()
                );
                return Err((FieldPath::root(), Err::Plain(msg)));
            }
            items(resource.iter().zip(pattern), path, ac)
        }
        scalar => element(&Value::Array(resource.to_vec()), scalar, path, ac),
    }
}

/// The pattern's value for `tag` (`getPatternValue`): the key itself or an anchor around it.
fn pattern_value<'a>(tag: &str, pattern: &'a Map<String, Value>) -> Option<(&'a String, &'a Value)> {
    pattern.iter().find(|(k, _)| k.as_str() == tag || parse_anchor(k).is_some_and(|(_, inner)| inner == tag))
}

/// String entries of a map value (`getValueAsStringMap`).
fn string_map<'a>(tag: &str, data: &'a Value) -> Option<(&'a String, BTreeMap<&'a str, &'a str>)> {
    let (key, v) = pattern_value(tag, data.as_object()?)?;
    let m = v.as_object()?;
    Some((key, m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s))).collect()))
}

/// `wildcards.ExpandInMetadata`: wildcard keys of `metadata.labels`/`annotations` in the pattern
/// are replaced by the first resource key they match (Kyverno takes whichever its map iteration
/// yields; here the first in sorted order). Only string values are kept, as in Kyverno.
fn expand_in_metadata(pattern: &Map<String, Value>, resource: &Map<String, Value>) -> Map<String, Value> {
    let mut out = pattern.clone();
    let (Some((meta_key, Value::Object(meta))), Some(resource_meta)) =
        (pattern_value("metadata", pattern), resource.get("metadata"))
    else {
        return out;
    };
    let mut new_meta = meta.clone();
    let pattern_meta = Value::Object(meta.clone());
    for tag in ["labels", "annotations"] {
        let (Some((pkey, pdata)), Some((_, rdata))) = (string_map(tag, &pattern_meta), string_map(tag, resource_meta))
        else {
            continue;
        };
        let mut results = Map::new();
        for (k, v) in pdata {
            let key = if wildcard::contains_wildcard(k) {
                let (anchor, inner) = match parse_anchor(k) {
                    Some((a, inner)) => (Some((a, &k[..k.len() - inner.len() - 2])), inner),
                    None => (None, k),
                };
                let found = rdata.keys().find(|rk| wildcard::matches(inner, rk)).map_or(inner, |rk| *rk);
                match anchor {
                    Some((_, prefix)) => format!("{prefix}({found})"),
                    None => found.to_owned(),
                }
            } else {
                k.to_owned()
            };
            results.insert(key, Value::String(v.to_owned()));
        }
        new_meta.insert(pkey.clone(), Value::Object(results));
    }
    out.insert(meta_key.clone(), Value::Object(new_meta));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(resource: Value, pattern: Value) -> PatternResult {
        match_pattern(&resource, &pattern)
    }

    fn fail_path(r: &PatternResult) -> String {
        match r {
            PatternResult::Fail { path, .. } => path.to_string(),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn anchors_parse() {
        assert_eq!(parse_anchor("(name)"), Some((Anchor::Condition, "name")));
        assert_eq!(parse_anchor("=(labels)"), Some((Anchor::Equality, "labels")));
        assert_eq!(parse_anchor("X(hostPath)"), Some((Anchor::Negation, "hostPath")));
        assert_eq!(parse_anchor("^(containers)"), Some((Anchor::Existence, "containers")));
        assert_eq!(parse_anchor("<(image)"), Some((Anchor::Global, "image")));
        assert_eq!(parse_anchor("name"), None);
        assert_eq!(parse_anchor("()"), None);
    }

    #[test]
    fn plain_keys_and_missing_values() {
        let p = json!({"spec": {"serviceAccountName": "?*"}});
        assert_eq!(run(json!({"spec": {"serviceAccountName": "sa"}}), p.clone()), PatternResult::Pass);
        let r = run(json!({"spec": {"interval": "1m"}}), p);
        assert_eq!(fail_path(&r), "spec.serviceAccountName");
        let r = run(json!({"metadata": {}}), json!({"spec": "*"}));
        assert_eq!(fail_path(&r), "spec");
    }

    #[test]
    fn arrays_of_maps_and_scalars() {
        let p = json!({"spec": {"containers": [{"image": "!*:latest"}]}});
        let ok = json!({"spec": {"containers": [{"image": "a:1"}, {"image": "b:2"}]}});
        assert_eq!(run(ok, p.clone()), PatternResult::Pass);
        let bad = json!({"spec": {"containers": [{"image": "a:1"}, {"image": "b:latest"}]}});
        assert_eq!(fail_path(&run(bad, p)), "spec.containers[1].image");
        let p = json!({"spec": {"args": ["!--privileged"]}});
        assert_eq!(run(json!({"spec": {"args": ["a", "b"]}}), p.clone()), PatternResult::Pass);
        assert!(matches!(run(json!({"spec": {"args": ["a", "--privileged"]}}), p), PatternResult::Fail { .. }));
    }

    #[test]
    fn conditional_anchor_skips_or_checks() {
        let p = json!({"spec": {"containers": [{"(name)": "web", "image": "web:*"}]}});
        let r = json!({"spec": {"containers": [{"name": "side", "image": "x:1"}]}});
        assert!(matches!(run(r, p.clone()), PatternResult::Skip(_)));
        let r = json!({"spec": {"containers": [{"name": "side", "image": "x:1"}, {"name": "web", "image": "web:1"}]}});
        assert_eq!(run(r, p.clone()), PatternResult::Pass);
        let r = json!({"spec": {"containers": [{"name": "web", "image": "other:1"}]}});
        assert_eq!(fail_path(&run(r, p)), "spec.containers[0].image");
    }

    #[test]
    fn equality_negation_existence_and_global() {
        let p = json!({"spec": {"=(hostNetwork)": false}});
        assert_eq!(run(json!({"spec": {}}), p.clone()), PatternResult::Pass);
        assert!(matches!(run(json!({"spec": {"hostNetwork": true}}), p), PatternResult::Fail { .. }));
        let p = json!({"spec": {"volumes": [{"X(hostPath)": "null"}]}});
        assert_eq!(run(json!({"spec": {"volumes": [{"name": "a"}]}}), p.clone()), PatternResult::Pass);
        let r = run(json!({"spec": {"volumes": [{"name": "a", "hostPath": {"path": "/"}}]}}), p);
        assert_eq!(fail_path(&r), "spec.volumes[0].hostPath");
        let p = json!({"spec": {"^(containers)": [{"image": "nginx*"}]}});
        assert_eq!(
            run(json!({"spec": {"containers": [{"image": "a"}, {"image": "nginx:1"}]}}), p.clone()),
            PatternResult::Pass
        );
        assert!(matches!(run(json!({"spec": {"containers": [{"image": "a"}]}}), p), PatternResult::Fail { .. }));
        let p = json!({"spec": {"containers": [{"<(image)": "*.corp.io/*"}], "imagePullSecrets": [{"name": "corp"}]}});
        let r = json!({"spec": {"containers": [{"image": "docker.io/x"}]}});
        assert!(matches!(run(r, p.clone()), PatternResult::Skip(_)));
        let r = json!({"spec": {"containers": [{"image": "r.corp.io/x"}], "imagePullSecrets": [{"name": "other"}]}});
        assert_eq!(fail_path(&run(r, p)), "spec.imagePullSecrets[0].name");
    }

    #[test]
    fn wildcard_label_keys_expand_to_the_resource_key() {
        let p = json!({"metadata": {"labels": {"app.kubernetes.io/*": "?*"}}});
        let r = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}}});
        assert_eq!(run(r, p.clone()), PatternResult::Pass);
        let r = json!({"metadata": {"labels": {"team": "a"}}});
        assert!(matches!(run(r, p), PatternResult::Fail { .. }));
    }

    #[test]
    fn structure_mismatch_fails_at_the_value() {
        let r = run(json!({"spec": "text"}), json!({"spec": {"a": 1}}));
        assert_eq!(fail_path(&r), "spec");
    }
}
