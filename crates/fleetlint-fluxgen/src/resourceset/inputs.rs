//! The input sets of a ResourceSet, computed as the Flux Operator computes them
//! (controlplaneio-fluxcd/flux-operator@17c6aea):
//!
//! - `internal/controller/resourceset_controller.go getInputs`: `spec.inputsFrom` entries name a
//!   ResourceSetInputProvider or select them by labels, always in the ResourceSet's namespace;
//!   an entry with neither is an error; providers are deduplicated by kind/namespace/name.
//! - `api/v1/resourcesetinputprovider_types.go GetInputs` + `internal/controller/
//!   resourcesetinputprovider_controller.go`: a provider contributes its exported inputs; for a
//!   `Static` provider those are exactly one set, `spec.defaultValues` plus
//!   `id = adler32(<UID>)`, overriding a default `id`.
//! - `internal/inputs/provider.go getFromProvider`: every set gets
//!   `provider: {apiVersion, kind, name, namespace}` (overwriting a user key); the ResourceSet's
//!   own `spec.inputs` get kind `ResourceSet` and no `id`.
//! - `internal/inputs/combine.go Combine`: the ResourceSet first, then providers sorted by
//!   (GVK, namespace, name); `Flatten` concatenates, `Permute` (`permuter.go`) builds the
//!   Cartesian product of the provider lists scoped under `NormalizeKeyForTemplate(name)`
//!   (`keys.go`), skipping providers with no inputs unless `includeEmptyProviders`, at most
//!   10000 permutations, each with `id = adler32("p1=i1/p2=i2/...")`.
//!
//! The UID of a Static provider is assigned by the API server, so its `id` is not knowable
//! offline: it is an unknown value shown as `adler32(<name>)`, the convention of the operator's
//! own offline renderer (`cmd/cli/build_resourceset.go loadProvidersFromFile`). Other provider
//! types export inputs from remote systems: without a committed `status.exportedInputs` they make
//! the ResourceSet opaque.

use std::collections::BTreeMap;

use fleetlint_gotemplate::{Value, adler32};
use fleetlint_yaml::{Node, Span};

use super::{ExpandError, ExpandErrorKind};

const API_VERSION: &str = "fluxcd.controlplane.io/v1";
const MAX_PERMUTATIONS: u64 = 10_000;

/// The combined input sets and what was assumed to get them.
pub(crate) struct Combined {
    pub(crate) sets: Vec<Value>,
    /// Whether `spec.inputsFrom` is non-empty (an empty result then renders nothing).
    pub(crate) has_inputs_from: bool,
    pub(crate) notes: Vec<String>,
}

fn invalid(message: impl Into<String>, span: Span) -> ExpandError {
    ExpandError { kind: ExpandErrorKind::Invalid, message: message.into(), span }
}

fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    node.get_path(path).and_then(Node::as_str)
}

/// A provider of input sets, in combination order.
struct Provider {
    kind: &'static str,
    name: String,
    namespace: String,
    sets: Vec<Value>,
}

/// The input sets of `rset` (in namespace `namespace`) from `providers` (any namespace).
pub(crate) fn compute(rset: &Node, namespace: &str, providers: &[&Node]) -> Result<Combined, ExpandError> {
    let spec = rset.get("spec");
    let spec_span = spec.map_or(rset.span, |s| s.span);
    let mut notes = Vec::new();

    // The ResourceSet's own inputs (ResourceSet.GetInputs): each item is a map.
    let mut inline = Vec::new();
    if let Some(items) = spec.and_then(|s| s.get("inputs")) {
        let Some(items) = items.as_seq() else {
            return Err(invalid("spec.inputs must be a list of objects", items.span));
        };
        for item in items {
            if item.as_map().is_none() {
                return Err(invalid("spec.inputs items must be objects", item.span));
            }
            inline.push(Value::from_api_json(&item.to_json()));
        }
    }
    let rset_name = str_at(rset, &["metadata", "name"]).unwrap_or("").to_string();
    let mut ordered =
        vec![Provider { kind: "ResourceSet", name: rset_name.clone(), namespace: namespace.into(), sets: inline }];

    // spec.inputsFrom: providers in the ResourceSet's namespace, by name or label selector.
    let refs = spec.and_then(|s| s.get("inputsFrom"));
    let has_inputs_from = refs.and_then(Node::as_seq).is_some_and(|r| !r.is_empty());
    let mut found: BTreeMap<(String, String), &Node> = BTreeMap::new();
    for r in refs.and_then(Node::as_seq).unwrap_or(&[]) {
        if let Some(name) = r.get("name").and_then(Node::as_str).filter(|n| !n.is_empty()) {
            let key = (namespace.to_string(), name.to_string());
            if found.contains_key(&key) {
                continue;
            }
            let provider = providers.iter().copied().find(|p| {
                is_provider(p)
                    && str_at(p, &["metadata", "name"]) == Some(name)
                    && str_at(p, &["metadata", "namespace"]).unwrap_or("") == namespace
            });
            match provider {
                Some(p) => {
                    found.insert(key, p);
                }
                None => {
                    return Err(ExpandError {
                        kind: ExpandErrorKind::ProviderNotFound { namespace: namespace.into(), name: name.into() },
                        message: format!("failed to get provider {namespace}/{name}: not found"),
                        span: r.span,
                    });
                }
            }
        } else if let Some(selector) = r.get("selector") {
            let mut matched = 0;
            for p in providers.iter().copied() {
                if !is_provider(p) || str_at(p, &["metadata", "namespace"]).unwrap_or("") != namespace {
                    continue;
                }
                if selector_matches(selector, p.get_path(&["metadata", "labels"]))? {
                    let name = str_at(p, &["metadata", "name"]).unwrap_or("").to_string();
                    found.insert((namespace.to_string(), name), p);
                    matched += 1;
                }
            }
            notes.push(format!(
                "inputsFrom selector matched {matched} ResourceSetInputProvider(s) defined in the repository; \
                 providers created elsewhere would add input sets"
            ));
        } else {
            return Err(invalid("input provider reference must have either name or selector set", r.span));
        }
    }

    // Sorted by (GVK, namespace, name): all share the GVK (compareProviderKeys).
    for ((ns, name), node) in &found {
        let sets = provider_inputs(node, ns, name, &mut notes)?;
        ordered.push(Provider { kind: "ResourceSetInputProvider", name: name.clone(), namespace: ns.clone(), sets });
    }

    // getFromProvider: annotate every set with its provider.
    for p in &mut ordered {
        for set in &mut p.sets {
            if let Value::Map(m) = set {
                m.borrow_mut().insert(
                    "provider".into(),
                    Value::map(BTreeMap::from([
                        ("apiVersion".to_string(), Value::str(API_VERSION)),
                        ("kind".to_string(), Value::str(p.kind)),
                        ("name".to_string(), Value::str(p.name.as_str())),
                        ("namespace".to_string(), Value::str(p.namespace.as_str())),
                    ])),
                );
            }
        }
    }

    let strategy = spec.and_then(|s| s.get("inputStrategy"));
    let name =
        strategy.and_then(|s| s.get("name")).and_then(Node::as_str).filter(|n| !n.is_empty()).unwrap_or("Flatten");
    let sets = match name {
        "Flatten" => ordered.into_iter().flat_map(|p| p.sets).collect(),
        "Permute" => {
            let include_empty =
                strategy.and_then(|s| s.get("includeEmptyProviders")).and_then(Node::as_bool) == Some(true);
            permute(ordered, include_empty).map_err(|m| invalid(m, strategy.map_or(spec_span, |s| s.span)))?
        }
        other => {
            return Err(invalid(format!("unknown input strategy: '{other}'"), strategy.map_or(spec_span, |s| s.span)));
        }
    };
    Ok(Combined { sets, has_inputs_from, notes })
}

fn is_provider(node: &Node) -> bool {
    str_at(node, &["kind"]) == Some("ResourceSetInputProvider")
        && str_at(node, &["apiVersion"]).is_some_and(|v| v.starts_with("fluxcd.controlplane.io/"))
}

/// The exported inputs of a provider.
fn provider_inputs(node: &Node, ns: &str, name: &str, notes: &mut Vec<String>) -> Result<Vec<Value>, ExpandError> {
    let ty = str_at(node, &["spec", "type"]).unwrap_or("");
    let defaults = node.get_path(&["spec", "defaultValues"]).map(|d| Value::from_api_json(&d.to_json()));
    if ty == "Static" {
        // The controller writes `defaultValues` + `id` (a committed status is never applied:
        // status is a subresource).
        let mut set = match defaults {
            Some(Value::Map(m)) => m.borrow().clone(),
            _ => BTreeMap::new(),
        };
        let shown = adler32(name.as_bytes()).to_string();
        set.insert(
            "id".into(),
            Value::unknown(
                format!("the id of Static ResourceSetInputProvider {ns}/{name} is adler32 of its UID, assigned by the API server"),
                Value::str(shown),
            ),
        );
        return Ok(vec![Value::map(set)]);
    }
    if let Some(exported) = node.get_path(&["status", "exportedInputs"]).and_then(Node::as_seq) {
        notes.push(format!(
            "inputs of {ty} ResourceSetInputProvider {ns}/{name} are taken from its committed status.exportedInputs"
        ));
        return Ok(exported.iter().map(|e| Value::from_api_json(&e.to_json())).collect());
    }
    Err(ExpandError {
        kind: ExpandErrorKind::ProviderInputsUnknown {
            namespace: ns.to_string(),
            name: name.to_string(),
            provider_type: ty.to_string(),
        },
        message: format!(
            "ResourceSetInputProvider {ns}/{name} of type {ty} exports inputs fetched from outside the repository"
        ),
        span: node.get_path(&["spec", "type"]).map_or(node.span, |t| t.span),
    })
}

/// `metav1.LabelSelectorAsSelector` + `Matches`.
fn selector_matches(selector: &Node, labels: Option<&Node>) -> Result<bool, ExpandError> {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::as_str);
    if let Some(ml) = selector.get("matchLabels").and_then(Node::as_map) {
        for e in ml {
            let (Some(k), v) = (e.key.as_str(), e.value.as_str().unwrap_or("")) else { continue };
            if label(k) != Some(v) {
                return Ok(false);
            }
        }
    }
    for expr in selector.get("matchExpressions").and_then(Node::as_seq).unwrap_or(&[]) {
        let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
        let values: Vec<&str> =
            expr.get("values").and_then(Node::as_seq).unwrap_or(&[]).iter().filter_map(Node::as_str).collect();
        let op = expr.get("operator").and_then(Node::as_str).unwrap_or("");
        let ok = match op {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            other => {
                return Err(invalid(
                    format!("failed to parse selector: {other:?} is not a valid label selector operator"),
                    expr.span,
                ));
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Go's `unicode.IsPunct` for ASCII exactly, and for the common non-ASCII punctuation blocks.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation() && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    matches!(c as u32, 0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF | 0x2010..=0x2027 | 0x2030..=0x2043
        | 0x2045..=0x2051 | 0x2053..=0x205E | 0x3001..=0x3003 | 0x3008..=0x3011)
}

/// `NormalizeKeyForTemplate` (internal/inputs/keys.go).
pub(crate) fn normalize_key(key: &str) -> String {
    let mapped: String = key
        .chars()
        .filter_map(|c| {
            let mut lower = c.to_lowercase();
            let r = match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            };
            if r.is_whitespace() || is_punct(r) {
                Some('_')
            } else if r.is_ascii_lowercase() || r.is_ascii_digit() {
                Some(r)
            } else {
                None
            }
        })
        .collect();
    mapped.split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_")
}

/// The `Permute` strategy (internal/inputs/permuter.go).
fn permute(providers: Vec<Provider>, include_empty: bool) -> Result<Vec<Value>, String> {
    let mut scoped: Vec<(String, Vec<Value>)> = Vec::new();
    let mut expected: u64 = 0;
    for p in providers {
        if !include_empty && p.sets.is_empty() {
            continue;
        }
        let n = p.sets.len() as u64;
        expected = if scoped.is_empty() { n } else { expected.saturating_mul(n) };
        // Combine wraps AddProvider's errors with the provider's kind and name.
        let context = format!("failed to compute inputs: failed to get inputs from {}/{}", p.kind, p.name);
        if expected > MAX_PERMUTATIONS {
            return Err(format!(
                "{context}: adding provider '{}' with {n} inputs would exceed the maximum allowed permutations. max: {MAX_PERMUTATIONS}, got: {expected}",
                p.name
            ));
        }
        let key = normalize_key(&p.name);
        if key.is_empty() {
            return Err(format!("{context}: normalized provider name is empty: '{}'", p.name));
        }
        scoped.push((key, p.sets));
    }
    if scoped.is_empty() || scoped.iter().any(|(_, sets)| sets.is_empty()) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut idx = vec![0usize; scoped.len()];
    loop {
        let mut perm = BTreeMap::new();
        let mut id_parts = Vec::with_capacity(scoped.len());
        for (i, (key, sets)) in scoped.iter().enumerate() {
            perm.insert(key.clone(), sets[idx[i]].clone());
            id_parts.push(format!("{key}={}", idx[i]));
        }
        perm.insert("id".into(), Value::str(adler32(id_parts.join("/").as_bytes()).to_string()));
        out.push(Value::map(perm));
        // Advance like an odometer, the last provider fastest.
        let mut k = scoped.len();
        loop {
            if k == 0 {
                return Ok(out);
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < scoped[k].1.len() {
                break;
            }
            idx[k] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalize_as_the_operator_does() {
        assert_eq!(normalize_key("team1-apps"), "team1_apps");
        assert_eq!(normalize_key("Color Environments"), "color_environments");
        assert_eq!(normalize_key("a+b$c"), "abc");
        assert_eq!(normalize_key("--x..y--"), "x_y");
        assert_eq!(normalize_key("é"), "");
    }

    fn sets(n: usize) -> Vec<Value> {
        (0..n).map(|i| Value::map(BTreeMap::from([("i".to_string(), Value::int64(i as i64))]))).collect()
    }

    fn provider(name: &str, n: usize) -> Provider {
        Provider { kind: "ResourceSetInputProvider", name: name.into(), namespace: "ns".into(), sets: sets(n) }
    }

    #[test]
    fn permute_skips_or_includes_empty_providers() {
        let rset = || Provider { kind: "ResourceSet", name: "rs".into(), namespace: "ns".into(), sets: Vec::new() };
        assert_eq!(permute(vec![rset(), provider("a", 2), provider("b", 3)], false).unwrap().len(), 6);
        // includeEmptyProviders counts the ResourceSet's own (empty) inputs too: the product is
        // empty (combine.go adds the ResourceSet as the first provider unconditionally).
        assert!(permute(vec![rset(), provider("a", 2)], true).unwrap().is_empty());
        let err = permute(vec![provider("a", 200), provider("b", 51)], false).unwrap_err();
        assert!(err.ends_with(
            "adding provider 'b' with 51 inputs would exceed the maximum allowed permutations. max: 10000, got: 10200"
        ));
        assert!(err.starts_with("failed to compute inputs: failed to get inputs from ResourceSetInputProvider/b"));
    }

    #[test]
    fn permutation_ids_match_the_operator() {
        // From the operator's golden output (cmd/cli/testdata/build_resourceset/golden-permuted.yaml):
        // the first permutation of color-environments x team1-apps has id 3776973979.
        assert_eq!(adler32(b"color_environments=0/team1_apps=0"), 3_776_973_979);
    }
}
