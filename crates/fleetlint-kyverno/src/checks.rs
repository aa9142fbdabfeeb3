//! One validate rule against one object: context, preconditions, then `deny`, `pattern`,
//! `anyPattern` or `foreach`, each also inside every `foreach` element.
//!
//! kyverno/kyverno@111e07bbec:pkg/engine/handlers/validation/validate_resource.go (`validate`,
//! `validateDeny`, `validatePatterns`, `validateForEach`, `validateElements`, the message
//! builders) and pkg/engine/utils/foreach.go (`EvaluateList`, `AddElementToContext`), with
//! pkg/engine/context/context.go (`AddElement`: `element`, `elementN`, `elementIndex`,
//! `elementIndexN`).

use fleetlint_yaml::FieldPath;
use serde_json::{Value, json};

use crate::context::{context_root, external_source, load_context};
use crate::engine::{Ctx, NotEvaluable, Outcome, Violation, conditions_hold, var_outcome};
use crate::jmes::{QueryError, Scope, query};
use crate::policy::RuleType;
use crate::validate::{PatternResult, match_pattern};
use crate::vars::{Missing, find_variables, substitute_all, substitute_string};

/// What variable prefixes point into the object: `request.object.` at the root and, inside a
/// `foreach` over a plain path of it, `element.`/`elementN.` at the element.
#[derive(Clone, Debug, Default)]
struct Anchors(Vec<(String, FieldPath)>);

impl Anchors {
    /// The object field a condition reads: its key (or value) is exactly one variable that is a
    /// plain path below one of the anchors.
    fn condition_path(&self, cond: &Value) -> Option<FieldPath> {
        ["key", "value"].into_iter().find_map(|side| {
            let s = cond[side].as_str()?;
            let vars = find_variables(s);
            let [(0, end)] = vars.as_slice() else { return None };
            if *end != s.len() {
                return None;
            }
            self.path_of(s[2..s.len() - 2].trim())
        })
    }

    fn path_of(&self, expr: &str) -> Option<FieldPath> {
        let (prefix, base) = self.0.iter().find(|(p, _)| expr.starts_with(p.as_str()))?;
        let mut path = base.clone();
        for part in expr[prefix.len()..].split('.') {
            let (name, index) = match part.split_once('[') {
                Some((n, i)) => (n, Some(i.strip_suffix(']')?.parse::<usize>().ok()?)),
                None => (part, None),
            };
            let name = name.trim_matches('"');
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.')) {
                return None;
            }
            path.push_key(name);
            if let Some(i) = index {
                path.push_index(i);
            }
        }
        Some(path)
    }
}

fn join(base: &FieldPath, rel: &FieldPath) -> FieldPath {
    base.segments().iter().chain(rel.segments()).cloned().collect()
}

/// What one block (`validate` or a `foreach` entry) says about `target`, the object or element
/// at `base`; `None` when the block has no deny, pattern, anyPattern or foreach.
struct Block<'a> {
    rule: &'a Value,
    name: &'a str,
    target: &'a Value,
    base: FieldPath,
    anchors: Anchors,
}

impl Ctx<'_> {
    fn violation(&self, message: String, path: FieldPath) -> Outcome {
        let span = self.object.node.locate(&path).value_span();
        Outcome::Fail(Violation { message, path, span })
    }

    fn message(&self, rule: &Value, scope: &Scope<'_>, extra: Option<&str>) -> Option<String> {
        let raw = rule["validate"]["message"].as_str().unwrap_or_default();
        let joined: Vec<&str> = [raw, extra.unwrap_or_default()].into_iter().filter(|s| !s.is_empty()).collect();
        if joined.is_empty() {
            return None;
        }
        let joined = joined.join("; ");
        Some(match substitute_string(&joined, scope, Missing::Error) {
            Ok(Value::String(s)) => s,
            _ => joined,
        })
    }

    /// A variable that reads a context entry loaded from the cluster names that entry.
    pub(crate) fn evaluate_rule(&self, rule: &Value, name: &str) -> Option<Outcome> {
        self.evaluate_validate(rule, name).map(|o| match o {
            Outcome::NotEvaluable(NotEvaluable::Variable(v)) => {
                let root = v.split(['.', '[', '(', ' ', '|']).next().unwrap_or_default();
                match external_source(rule, root) {
                    Some(source) => Outcome::NotEvaluable(NotEvaluable::Context { entry: root.to_owned(), source }),
                    None => Outcome::NotEvaluable(NotEvaluable::Variable(v)),
                }
            }
            other => other,
        })
    }

    fn evaluate_validate(&self, rule: &Value, name: &str) -> Option<Outcome> {
        let rule_type = RuleType::of(rule);
        if rule_type != RuleType::Validate {
            return Some(Outcome::NotEvaluable(NotEvaluable::RuleType(rule_type)));
        }
        if rule["celPreconditions"].as_array().is_some_and(|a| !a.is_empty()) {
            return Some(Outcome::NotEvaluable(NotEvaluable::CelPreconditions));
        }
        let (mut root, mut unavailable) = context_root(self.object, self.namespace, self.request);
        if let Err(o) = load_context(rule, &mut root, &mut unavailable) {
            return Some(o);
        }
        let scope = Scope { root: &root, unavailable: &unavailable };
        if let Some(pre) = rule.get("preconditions").filter(|p| !p.is_null()) {
            match conditions_hold(pre, &scope, self.options.precondition_missing()) {
                Ok((true, _)) => {}
                Ok((false, _)) => return Some(Outcome::Skip("preconditions not met".to_owned())),
                Err(o) => return Some(o),
            }
        }
        let v = &rule["validate"];
        let anchors = Anchors(vec![("request.object.".to_owned(), FieldPath::root())]);
        let block = Block { rule, name, target: &self.object.json, base: FieldPath::root(), anchors };
        if let Some(o) = self.check(&block, v, &scope) {
            return Some(o);
        }
        if let Some(Value::Array(list)) = v.get("foreach") {
            return self.foreach(&block, list, &root, &unavailable, 0);
        }
        for kind in ["cel", "podSecurity", "manifests", "assert"] {
            if v.get(kind).is_some_and(|x| !x.is_null()) {
                return Some(Outcome::NotEvaluable(NotEvaluable::Validation(kind)));
            }
        }
        // "invalid validation rule: podSecurity, cel, patterns, or deny expected": no response.
        None
    }

    /// `deny`, `pattern` or `anyPattern` of `v` against the block's target.
    fn check(&self, b: &Block<'_>, v: &Value, scope: &Scope<'_>) -> Option<Outcome> {
        let (rule, name) = (b.rule, b.name);
        if let Some(deny) = v.get("deny").filter(|d| !d.is_null()) {
            return Some(match conditions_hold(&deny["conditions"], scope, Missing::Error) {
                Ok((true, decided)) => {
                    let cond_msg = decided.as_ref().and_then(|c| c["message"].as_str()).map(str::to_owned);
                    let message = self
                        .message(rule, scope, cond_msg.as_deref())
                        .unwrap_or_else(|| format!("validation error: rule {name} failed"));
                    let path =
                        decided.as_ref().and_then(|c| b.anchors.condition_path(c)).unwrap_or_else(|| b.base.clone());
                    self.violation(message, path)
                }
                Ok((false, _)) => Outcome::Pass,
                Err(o) => o,
            });
        }
        if let Some(p) = v.get("pattern").filter(|p| !p.is_null()) {
            let pattern = match substitute_all(p, scope, Missing::Error) {
                Ok(p) => p,
                Err(e) => return Some(var_outcome(e)),
            };
            return Some(match match_pattern(b.target, &pattern) {
                PatternResult::Pass => Outcome::Pass,
                PatternResult::Skip(why) => Outcome::Skip(why),
                PatternResult::Error(why) => Outcome::Error(why),
                PatternResult::Fail { path, .. } => {
                    let path = join(&b.base, &path);
                    let message = self.message(rule, scope, None).unwrap_or_else(|| {
                        format!("validation error: rule {name} failed at path {}/", path.json_pointer())
                    });
                    self.violation(message, path)
                }
            });
        }
        let Some(Value::Array(patterns)) = v.get("anyPattern") else { return None };
        let patterns = match substitute_all(&Value::Array(patterns.clone()), scope, Missing::Error) {
            Ok(Value::Array(p)) => p,
            Ok(_) => return Some(Outcome::Error("anyPattern is not a list".to_owned())),
            Err(e) => return Some(var_outcome(e)),
        };
        let mut first_fail: Option<FieldPath> = None;
        let mut skipped = Vec::new();
        for p in &patterns {
            match match_pattern(b.target, p) {
                PatternResult::Pass => return Some(Outcome::Pass),
                PatternResult::Skip(why) => skipped.push(why),
                PatternResult::Fail { path, .. } => {
                    first_fail.get_or_insert(path);
                }
                PatternResult::Error(_) => {
                    first_fail.get_or_insert_with(FieldPath::root);
                }
            }
        }
        Some(match first_fail {
            None if !skipped.is_empty() => Outcome::Skip(skipped.join(" ")),
            None => Outcome::Pass,
            Some(path) => {
                let message = self
                    .message(rule, scope, None)
                    .unwrap_or_else(|| format!("validation error: rule {name} failed: no anyPattern matched"));
                self.violation(message, join(&b.base, &path))
            }
        })
    }

    /// `validateForEach`: every entry's list, each element checked with `element` in the
    /// context; the first element that does not pass decides, and a foreach that applied to no
    /// element gives no result.
    fn foreach(
        &self,
        b: &Block<'_>,
        entries: &[Value],
        root: &Value,
        unavailable: &[String],
        nesting: usize,
    ) -> Option<Outcome> {
        let mut applied = 0;
        let mut list_error = None;
        for fe in entries {
            let Some(list_expr) = fe["list"].as_str() else {
                return Some(Outcome::Error("foreach without a list".to_owned()));
            };
            let scope = Scope { root, unavailable };
            let elements = match query(list_expr, &scope) {
                Ok(Value::Array(items)) => items,
                Ok(other) => vec![other],
                // "optional field not found, skipping"
                Err(QueryError::NotFound(_)) => continue,
                Err(QueryError::Invalid(m)) => {
                    list_error = Some(m);
                    continue;
                }
                Err(QueryError::Unsupported(f)) => return Some(Outcome::NotEvaluable(NotEvaluable::Function(f))),
                Err(QueryError::Unavailable(v)) => return Some(Outcome::NotEvaluable(NotEvaluable::Variable(v))),
            };
            let list_base = b.anchors.path_of(list_expr.trim());
            for (index, element) in elements.iter().enumerate() {
                if element.is_null() {
                    continue;
                }
                let mut ctx_root = root.clone();
                for (k, v) in [
                    ("element".to_owned(), element.clone()),
                    (format!("element{nesting}"), element.clone()),
                    ("elementIndex".to_owned(), json!(index)),
                    (format!("elementIndex{nesting}"), json!(index)),
                ] {
                    ctx_root[k] = v;
                }
                let mut unavailable = unavailable.to_vec();
                unavailable.retain(|u| !u.starts_with("element"));
                if let Err(o) = load_context(fe, &mut ctx_root, &mut unavailable) {
                    return Some(o);
                }
                let scope = Scope { root: &ctx_root, unavailable: &unavailable };
                if let Some(pre) = fe.get("preconditions").filter(|p| !p.is_null()) {
                    match conditions_hold(pre, &scope, self.options.precondition_missing()) {
                        Ok((true, _)) => {}
                        // False preconditions and precondition errors skip the element.
                        Ok((false, _)) | Err(Outcome::Error(_)) => continue,
                        Err(o) => return Some(o),
                    }
                }
                let base = list_base.as_ref().map_or_else(|| b.base.clone(), |p| p.child_index(index));
                let mut anchors = b.anchors.clone();
                if list_base.is_some() {
                    anchors.0.insert(0, ("element.".to_owned(), base.clone()));
                    anchors.0.insert(0, (format!("element{nesting}."), base.clone()));
                }
                let scoped = fe["elementScope"].as_bool().unwrap_or(element.is_object());
                let (target, target_base) = if scoped { (element, base.clone()) } else { (b.target, b.base.clone()) };
                let inner = Block { rule: b.rule, name: b.name, target, base: target_base, anchors };
                let outcome = match self.check(&inner, fe, &scope) {
                    Some(o) => Some(o),
                    None => match fe.get("foreach") {
                        Some(Value::Array(nested)) => {
                            self.foreach(&inner, nested, &ctx_root, &unavailable, nesting + 1)
                        }
                        _ => None,
                    },
                };
                match outcome {
                    None | Some(Outcome::Skip(_)) => {}
                    Some(Outcome::Pass) => applied += 1,
                    Some(other) => return Some(other),
                }
            }
        }
        match (applied, list_error) {
            (0, Some(m)) => Some(Outcome::Error(format!("failed to evaluate list: {m}"))),
            (0, None) => None,
            _ => Some(Outcome::Pass),
        }
    }
}
