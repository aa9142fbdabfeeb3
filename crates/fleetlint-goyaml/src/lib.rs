//! fleetlint-goyaml: go-yaml v2 as `sigs.k8s.io/yaml` uses it, for the two places fleetlint
//! must write YAML byte for byte as a Go program does:
//! - kubectl prints each built object with `sigs.k8s.io/yaml.JSONToYAML` (kustomize
//!   `api/resource/resource.go` `AsYAML`), the `fleetlint build` output and the differential;
//! - the Flux Operator's `toYaml` template function and its `JSONToYAML` of each ResourceSet
//!   item before templating (flux-operator@17c6aea `internal/builder/resourceset.go`).
//!
//! [`resolve`] is what a plain scalar means in YAML 1.1 (and so whether a string must be quoted),
//! how a float is spelled and the order of map keys; [`marshal`] is the block emitter over any
//! JSON-shaped tree implementing [`Emit`], reporting where each marked node landed;
//! [`write_json_string`] is a string as Go's `encoding/json` writes it (the template
//! functions' `toJson` and kustomize's generated JSON both need it).
//!
//! ```
//! use fleetlint_goyaml::{Emit, Entry, Scalar, Shape, marshal};
//!
//! enum J { S(&'static str), M(Vec<(&'static str, J)>) }
//! impl Emit for &J {
//!     type Mark = ();
//!     fn mark(&self) -> Option<()> { None }
//!     fn shape(&self) -> Shape<'_, Self> {
//!         match self {
//!             J::S(s) => Shape::Scalar(Scalar::string(*s)),
//!             J::M(m) => Shape::Map(m.iter().map(|(k, v)| Entry { key: (*k).into(), key_mark: None, value: v }).collect()),
//!         }
//!     }
//! }
//! let doc = J::M(vec![("b", J::S("yes")), ("a10", J::S("x: y")), ("a9", J::S("plain"))]);
//! assert_eq!(marshal(&doc).text, "a9: plain\na10: 'x: y'\nb: \"yes\"\n");
//! ```

mod emitter;
mod json;
pub mod resolve;
mod scalar;

pub use emitter::{Emit, Emitted, Entry, Marked, Shape, marshal, scalar_text};
pub use json::write_json_string;
pub use scalar::{Scalar, Style};
