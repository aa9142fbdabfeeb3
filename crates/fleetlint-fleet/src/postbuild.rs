//! Post-build substitution on resolved objects (`fluxcd/pkg@e2cfd1a2:
//! kustomize/kustomize_varsub.go`, `SubstituteVariables`; docs/flux-semantics.md#post-build-substitution): the variables a Flux
//! Kustomization defines, the per-object opt-out, and the substitution of every string scalar
//! (keys too) in place, so the result keeps the spans of the text that held the `${...}`.

use std::collections::BTreeMap;

use fleetlint_yaml::resolve_kyaml;
use fleetlint_yaml::{Node, NodeKind, ScalarStyle, Span};

use crate::substitute::{SubstError, has_reference, substitute};

/// The variables of one Kustomization's `postBuild`.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    /// Name -> value (`substituteFrom` in order, then `substitute`, later wins).
    pub values: BTreeMap<String, String>,
    /// False when a `substituteFrom` object could not be read (absent from the graph, or
    /// encrypted): an unset variable may then come from it, so it is not reported.
    pub complete: bool,
    /// `substituteStrategy: Always`.
    pub always: bool,
}

/// The opt-out label or annotation.
#[must_use]
pub fn substitution_disabled(root: &Node) -> bool {
    ["labels", "annotations"].iter().any(|k| {
        root.get_path(&["metadata", k, "kustomize.toolkit.fluxcd.io/substitute"])
            .and_then(Node::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
    })
}

/// A substitution problem at a scalar.
#[derive(Clone, Debug, PartialEq)]
pub struct SubstProblem {
    /// The scalar.
    pub span: Span,
    /// What went wrong.
    pub error: SubstError,
    /// The field path of the scalar (`spec.path`, `data.run.sh`).
    pub field: String,
    /// Whether the scalar spans several lines (an embedded file or script).
    pub multiline: bool,
}

/// Substitute every string scalar of `root`. Returns the problems found.
pub fn apply(root: &mut Node, vars: &Variables, strict: bool) -> Vec<SubstProblem> {
    let mut problems = Vec::new();
    let lookup = |name: &str| vars.values.get(name).cloned();
    walk(root, &lookup, strict, &mut Vec::new(), &mut problems);
    problems
}

fn walk(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
    path: &mut Vec<String>,
    problems: &mut Vec<SubstProblem>,
) {
    match &mut node.kind {
        NodeKind::Scalar(s) => {
            if !has_reference(&s.text) {
                return;
            }
            match substitute(&s.text, lookup, strict) {
                Ok(out) => {
                    if *s.text != *out.text {
                        // Flux substitutes the serialised YAML and parses it again: a plain
                        // scalar is typed afresh.
                        if s.style == ScalarStyle::Plain {
                            s.value = resolve_kyaml(&out.text, s.style, s.tag.as_deref());
                        }
                        s.text = out.text.into();
                    }
                }
                Err(error) => problems.push(SubstProblem {
                    span: node.span,
                    error,
                    field: path.join("."),
                    multiline: s.text.trim_end().contains('\n'),
                }),
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                walk(item, lookup, strict, path, problems);
                path.pop();
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                let key = e.key.as_str().unwrap_or("").to_string();
                walk(&mut e.key, lookup, strict, path, problems);
                path.push(key);
                walk(&mut e.value, lookup, strict, path, problems);
                path.pop();
            }
        }
    }
}

/// Whether any string scalar of `root` holds a `${` reference.
#[must_use]
pub fn has_any_reference(root: &Node) -> bool {
    match &root.kind {
        NodeKind::Scalar(s) => has_reference(&s.text),
        NodeKind::Seq(items) => items.iter().any(has_any_reference),
        NodeKind::Map(entries) => entries.iter().any(|e| has_any_reference(&e.key) || has_any_reference(&e.value)),
    }
}

/// Decode standard base64 (Secret `data`) to UTF-8 text; `None` when malformed.
#[must_use]
pub fn decode_base64(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0u32;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).unwrap_or(0));
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, ScalarValue, parse_yaml};

    #[test]
    fn substitutes_in_place_and_retypes_plain_scalars() {
        let text = "spec:\n  replicas: ${R}\n  path: ./apps/${ENV}\n  other: ${MISSING}\n";
        let mut root = parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root;
        let vars = Variables {
            values: [("R".to_string(), "3".to_string()), ("ENV".to_string(), "prod".to_string())].into(),
            complete: true,
            always: false,
        };
        let problems = apply(&mut root, &vars, true);
        let replicas = root.get_path(&["spec", "replicas"]).unwrap();
        assert_eq!(replicas.as_scalar().unwrap().value, ScalarValue::Int(3));
        assert_eq!(root.get_path(&["spec", "path"]).and_then(Node::as_str), Some("./apps/prod"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "spec.other");
        assert_eq!(&text[problems[0].span.range()], "${MISSING}");
    }

    #[test]
    fn decodes_secret_data() {
        assert_eq!(decode_base64("c3RhZ2luZw==").as_deref(), Some("staging"));
        assert_eq!(decode_base64("!!"), None);
    }
}
