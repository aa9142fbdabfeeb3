//! The values a template computes with: the JSON-like data Go's `text/template` sees.
//!
//! The Flux Operator decodes input sets with `k8s.io/apimachinery/pkg/util/json`, so the data a
//! ResourceSet template reads is `map[string]any`, `[]any`, `string`, `bool`, `int64`, `float64`
//! and `nil` (controlplaneio-fluxcd/flux-operator@17c6aea:api/v1/resourceset_types.go
//! `GetInputs`). Go distinguishes `int` (template constants, `len`, `int`, `until`) from `int64`
//! (decoded JSON, sprig arithmetic): a function with an `int` parameter rejects an `int64`
//! argument, and `reflect.DeepEqual` (sprig `has`, `uniq`, `without`) treats them as different.
//! [`IntKind`] keeps that distinction.
//!
//! Maps have reference semantics as Go maps do: sprig's `set` and `unset` mutate the map they
//! are given, and the change is visible through every name for it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Which Go integer type an integer value has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntKind {
    /// Go `int` (template constants, `len`, sprig `int`, `until`, `atoi`).
    Int,
    /// Go `int64` (decoded JSON numbers, sprig `int64`, `add`, `sub`, `max`...).
    Int64,
}

/// A map with Go reference semantics. Keys iterate in byte order, as Go's `fmtsort` orders
/// string keys for `range` and printing.
pub type MapRef = Rc<RefCell<BTreeMap<String, Value>>>;

/// A value computed by a template.
#[derive(Clone)]
pub enum Value {
    /// Go `nil` (an absent value, JSON `null`).
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer and its Go type.
    Int(i64, IntKind),
    /// A `float64`.
    Float(f64),
    /// A string.
    Str(Rc<str>),
    /// A slice (`[]any`, or the `[]string` / `[]int` some functions return: elements keep their
    /// own types).
    List(Rc<Vec<Value>>),
    /// A `map[string]any`.
    Map(MapRef),
    /// A value fleetlint cannot know offline (see [`Unknown`]).
    Unknown(Rc<Unknown>),
}

/// A value that is not knowable offline, with the stand-in rendered in its place.
///
/// Example: a `Static` ResourceSetInputProvider's `id` is the adler32 of the object's UID, which
/// the API server assigns (flux-operator@17c6aea:internal/controller/
/// resourcesetinputprovider_controller.go, `inputs.ID(string(obj.GetUID()))`). Printing an unknown
/// value writes `shown` and records the output range; a function applied to it yields another
/// unknown value; a decision (`if`, `range`, `eq` feeding `if`) that depends on it is an
/// [`crate::ErrorKind::Opaque`] error.
#[derive(Clone, Debug)]
pub struct Unknown {
    /// Why the value is not known, e.g. "the id of Static provider team1 depends on its UID".
    pub reason: Rc<str>,
    /// What is rendered in its place.
    pub shown: Value,
}

impl Value {
    /// A string value.
    #[must_use]
    pub fn str(s: impl Into<Rc<str>>) -> Self {
        Value::Str(s.into())
    }

    /// A Go `int`.
    #[must_use]
    pub fn int(i: i64) -> Self {
        Value::Int(i, IntKind::Int)
    }

    /// A Go `int64`.
    #[must_use]
    pub fn int64(i: i64) -> Self {
        Value::Int(i, IntKind::Int64)
    }

    /// A list value.
    #[must_use]
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Rc::new(items))
    }

    /// A map value.
    #[must_use]
    pub fn map(entries: BTreeMap<String, Value>) -> Self {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    /// An unknown value rendered as `shown`.
    #[must_use]
    pub fn unknown(reason: impl Into<Rc<str>>, shown: Value) -> Self {
        Value::Unknown(Rc::new(Unknown { reason: reason.into(), shown }))
    }

    /// Convert JSON as the Flux Operator's decoder (`k8s.io/apimachinery/pkg/util/json`) does:
    /// integers become `int64`, other numbers `float64`.
    ///
    /// The objects fleetlint reads come from YAML, and the API server stores them as JSON, which
    /// Go's `encoding/json` writes with integral floats as integers (`1.0` -> `1`, up to `1e21`):
    /// such floats come back as `int64` too.
    #[must_use]
    pub fn from_api_json(json: &serde_json::Value) -> Self {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::int64(i)
                } else {
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    integral_i64(f).map_or(Value::Float(f), Value::int64)
                }
            }
            J::String(s) => Value::str(s.as_str()),
            J::Array(items) => Value::list(items.iter().map(Value::from_api_json).collect()),
            J::Object(map) => Value::map(map.iter().map(|(k, v)| (k.clone(), Value::from_api_json(v))).collect()),
        }
    }

    /// Convert JSON as Go's `encoding/json` decodes into `any` (sprig `fromJson`): every number
    /// is a `float64`.
    #[must_use]
    pub fn from_go_json(json: &serde_json::Value) -> Self {
        use serde_json::Value as J;
        match json {
            J::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            J::Array(items) => Value::list(items.iter().map(Value::from_go_json).collect()),
            J::Object(map) => Value::map(map.iter().map(|(k, v)| (k.clone(), Value::from_go_json(v))).collect()),
            other => Value::from_api_json(other),
        }
    }

    /// The Go type name, as `text/template` error messages spell it.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_, IntKind::Int) => "int",
            Value::Int(_, IntKind::Int64) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Unknown(u) => u.shown.type_name(),
        }
    }

    /// Whether this value (or anything inside it) is unknown.
    #[must_use]
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::List(items) => items.iter().any(Value::has_unknown),
            Value::Map(m) => m.borrow().values().any(Value::has_unknown),
            _ => false,
        }
    }

    /// The first unknown reason found inside this value.
    #[must_use]
    pub fn unknown_reason(&self) -> Option<Rc<str>> {
        match self {
            Value::Unknown(u) => Some(u.reason.clone()),
            Value::List(items) => items.iter().find_map(Value::unknown_reason),
            Value::Map(m) => m.borrow().values().find_map(Value::unknown_reason),
            _ => None,
        }
    }

    /// This value with every unknown replaced by what is shown for it.
    #[must_use]
    pub fn shown(&self) -> Value {
        match self {
            Value::Unknown(u) => u.shown.shown(),
            Value::List(items) if items.iter().any(Value::has_unknown) => {
                Value::list(items.iter().map(Value::shown).collect())
            }
            Value::Map(m) if self.has_unknown() => {
                Value::map(m.borrow().iter().map(|(k, v)| (k.clone(), v.shown())).collect())
            }
            other => other.clone(),
        }
    }

    /// Go's `text/template` truth (`isTrue` in text/template/exec.go): the zero value of its
    /// type is false. `None` for an unknown value.
    #[must_use]
    pub fn truth(&self) -> Option<bool> {
        Some(match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i, _) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Unknown(_) => return None,
        })
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Convert to JSON (unknowns by what is shown for them). Non-finite floats become `null`.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Nil => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i, _) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.borrow().iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Unknown(u) => u.shown.to_json(),
        }
    }

    /// A copy in which maps are new maps (Go values copied through JSON).
    #[must_use]
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::List(items) => Value::list(items.iter().map(Value::deep_copy).collect()),
            Value::Map(m) => Value::map(m.borrow().iter().map(|(k, v)| (k.clone(), v.deep_copy())).collect()),
            other => other.clone(),
        }
    }
}

/// Deepest nesting of lists and maps a template may build (hostile templates can nest values in
/// loops, or make a map hold itself with sprig's `set`).
pub(crate) const MAX_VALUE_DEPTH: usize = 200;

/// Check that `v` nests no deeper than `max_depth` and does not contain the map `target`.
/// Returns the number of nodes visited, or `None` when the check fails.
pub(crate) fn check_nesting(v: &Value, target: Option<&MapRef>, max_depth: usize) -> Option<u64> {
    fn walk(v: &Value, target: Option<&MapRef>, depth: usize, max: usize, visited: &mut u64) -> bool {
        *visited += 1;
        match v {
            Value::List(items) => depth < max && items.iter().all(|i| walk(i, target, depth + 1, max, visited)),
            Value::Map(m) => {
                if target.is_some_and(|t| Rc::ptr_eq(t, m)) || depth >= max {
                    return false;
                }
                // A map that is being borrowed mutably cannot be inspected; treat it as a cycle.
                let Ok(m) = m.try_borrow() else { return false };
                m.values().all(|i| walk(i, target, depth + 1, max, visited))
            }
            Value::Unknown(u) => walk(&u.shown, target, depth, max, visited),
            _ => true,
        }
    }
    let mut visited = 0;
    walk(v, target, 0, max_depth, &mut visited).then_some(visited)
}

/// `f` as an `int64` when Go's `encoding/json` would write it without a fraction or exponent.
fn integral_i64(f: f64) -> Option<i64> {
    // encoding/json uses 'f' format below 1e21 (floatEncoder.encode), so an integral float is
    // written as digits only and decodes back as an integer.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 { Some(f as i64) } else { None }
}

/// `reflect.DeepEqual` over template values (sprig `deepEqual`, `has`, `uniq`, `without`).
#[must_use]
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, kx), Value::Int(y, ky)) => kx == ky && x == y,
        // DeepEqual compares floats with ==, so NaN is never equal.
        #[allow(clippy::float_cmp)]
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q)),
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Unknown(u), other) | (other, Value::Unknown(u)) => deep_equal(&u.shown, other),
        _ => false,
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i, IntKind::Int) => write!(f, "{i}"),
            Value::Int(i, IntKind::Int64) => write!(f, "int64({i})"),
            Value::Float(x) => write!(f, "float64({x})"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => f.debug_list().entries(items.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Unknown(u) => write!(f, "unknown({:?}: {})", u.shown, u.reason),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        deep_equal(self, other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_json_integers_are_int64_and_integral_floats_too() {
        let v = Value::from_api_json(&serde_json::json!({"a": 3, "b": 1.5, "c": 2.0, "d": [null, "x", true]}));
        let Value::Map(m) = v else { panic!("map") };
        let m = m.borrow();
        assert!(matches!(m["a"], Value::Int(3, IntKind::Int64)));
        assert!(matches!(m["b"], Value::Float(f) if (f - 1.5).abs() < f64::EPSILON));
        assert!(matches!(m["c"], Value::Int(2, IntKind::Int64)));
        assert_eq!(m["d"], Value::list(vec![Value::Nil, Value::str("x"), Value::Bool(true)]));
    }

    #[test]
    fn deep_equal_tells_int_from_int64() {
        assert!(!deep_equal(&Value::int(1), &Value::int64(1)));
        assert!(deep_equal(&Value::int64(1), &Value::int64(1)));
        assert!(Value::Nil.truth() == Some(false));
        assert!(Value::unknown("r", Value::str("x")).truth().is_none());
    }
}
