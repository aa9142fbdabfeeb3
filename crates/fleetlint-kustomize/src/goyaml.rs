//! How `sigs.k8s.io/yaml.YAMLToJSON` types a plain scalar (go-yaml v2, YAML 1.1), for the values
//! of a JSON 6902 patch written in YAML and the kustomization fields read that way; the
//! resolution itself is [`fleetlint_goyaml::resolve`].

use fleetlint_goyaml::resolve::{Resolved, resolve};
use fleetlint_yaml::ScalarValue;

/// The value a plain scalar reaches JSON with when `sigs.k8s.io/yaml.YAMLToJSON` reads it
/// (go-yaml v2, YAML 1.1): timestamps stay strings (`decode.go` keeps them as text when decoding
/// into `interface{}`), integers beyond `int64` become floats here.
#[must_use]
pub(crate) fn yaml11_value(text: &str) -> ScalarValue {
    match resolve(text) {
        Resolved::Null => ScalarValue::Null,
        Resolved::Bool(b) => ScalarValue::Bool(b),
        Resolved::Int(i) => ScalarValue::Int(i),
        Resolved::Float(f) => ScalarValue::Float(f),
        Resolved::Timestamp | Resolved::Merge | Resolved::Str => ScalarValue::Str,
    }
}
