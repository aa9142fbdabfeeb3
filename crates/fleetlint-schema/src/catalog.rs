//! Which schema validates an object, and the compiled validators.
//!
//! A [`SchemaSet`] is what one cluster knows: the built-in kinds of one bundled Kubernetes
//! version, the bundled Flux kinds, and the CRDs found in the cluster's objects. Validators are
//! compiled on first use, once per process for each distinct schema (a CRD shipped to a hundred
//! clusters is compiled once), behind a lock per schema, so many threads can validate at once.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, PatternCache, PatternOptions, Validator};
use serde_json::Value;

use crate::bundle::bundle;
use crate::crd::{Crd, to_json_schema};

/// Where the schema that validated an object comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaSource {
    /// A built-in kind of the bundled Kubernetes version.
    Kubernetes {
        /// `1.37`.
        version: &'static str,
    },
    /// A Flux kind of the bundled CRDs.
    Flux {
        /// The CRD set: `current` (the newest Flux), or `v2.6` for versions only it serves.
        set: &'static str,
    },
    /// A CRD found among the cluster's objects.
    Crd {
        /// The CRD's `metadata.name`.
        name: String,
    },
}

/// Why an object was not validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unvalidated {
    /// The object has no string `apiVersion` and `kind`.
    NoTypeMeta,
    /// No schema is known for this kind: not built in, not Flux, no CRD in the cluster.
    UnknownKind {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
    },
    /// A built-in Kubernetes group, but this version/kind is not served by the selected
    /// Kubernetes version (e.g. `extensions/v1beta1` Ingress): a removed API, not an unknown kind.
    BuiltinNotServed {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
    },
    /// A Flux group, but no bundled Flux release serves this version.
    FluxNotServed {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
    },
    /// The cluster's CRD declares this version with `served: false`.
    CrdNotServed {
        /// The CRD's `metadata.name`.
        crd: String,
        /// `apiVersion`.
        api_version: String,
    },
    /// The schema could not be compiled (a CRD with an invalid regular expression, say).
    BadSchema {
        /// Where the schema comes from.
        source: SchemaSource,
        /// The compiler's reason.
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CacheKey {
    Kubernetes { bit: usize, def: String },
    Flux { key: String, operator: bool },
    Crd(u64),
}

/// The kinds the Flux Operator adds to the notification CRDs it installs, and where:
/// controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/templates.go
/// (`notificationPatchTmpl`) appends them to the `kind` enum of Alert `spec.eventSources[]` and
/// Receiver `spec.resources[]`, in every served version.
const OPERATOR_KINDS: &[&str] = &["FluxInstance", "ResourceSet", "ResourceSetInputProvider"];

fn with_operator_kinds(kind: &str, mut schema: Value) -> Value {
    let list = match kind {
        "Alert" => "eventSources",
        "Receiver" => "resources",
        _ => return schema,
    };
    let pointer = format!("/properties/spec/properties/{list}/items/properties/kind/enum");
    if let Some(Value::Array(options)) = schema.pointer_mut(&pointer) {
        for k in OPERATOR_KINDS {
            if !options.iter().any(|o| o == k) {
                options.push(Value::String((*k).to_owned()));
            }
        }
    }
    schema
}

type Slot = Arc<OnceLock<Result<Arc<Compiled>, String>>>;

/// A compiled validator and the schema it was compiled from (read for suggestions).
pub(crate) struct Compiled {
    pub(crate) validator: Validator,
    pub(crate) schema: Arc<Value>,
}

fn cache() -> &'static Mutex<HashMap<CacheKey, Slot>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Slot>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn compiled(key: CacheKey, schema: impl FnOnce() -> Arc<Value>) -> Result<Arc<Compiled>, String> {
    let slot = {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let mut map = cache().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(key).or_default())
    };
    slot.get_or_init(|| Compiled::new(schema()).map(Arc::new)).clone()
}

impl Compiled {
    /// Compile a draft 2020-12 schema: formats not checked (fleetlint cannot reproduce every
    /// Kubernetes format check), no remote `$ref` (the crate's network features are off), and
    /// fleetlint's extension keywords.
    pub(crate) fn new(schema: Arc<Value>) -> Result<Self, String> {
        // The same patterns recur across kinds (every Flux kind's durations, names, references):
        // each is compiled once per process.
        static PATTERNS: OnceLock<PatternCache> = OnceLock::new();
        let options = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(false)
            // Kubernetes patterns are Go RE2 expressions; the `regex` crate has the same syntax.
            .with_pattern_options(PatternOptions::regex())
            .with_pattern_cache(PatternCache::clone(PATTERNS.get_or_init(PatternCache::new)));
        crate::keywords::register(options)
            .build(&schema)
            .map(|validator| Self { validator, schema: Arc::clone(&schema) })
            .map_err(|e| e.to_string())
    }
}

#[derive(Clone, Debug)]
struct CrdEntry {
    crd: String,
    served: bool,
    schema: Option<(u64, Arc<Value>)>,
}

/// The schemas one cluster knows. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SchemaSet {
    bit: usize,
    flux_operator: bool,
    crds: HashMap<String, CrdEntry>,
}

impl Default for SchemaSet {
    fn default() -> Self {
        Self::new()
    }
}

/// A Kubernetes version that is not `MAJOR.MINOR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadKubernetesVersion(pub String);

impl std::fmt::Display for BadKubernetesVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a Kubernetes version (expected e.g. 1.32 or v1.32.4)", self.0)
    }
}

impl std::error::Error for BadKubernetesVersion {}

fn major_minor(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((major, minor))
}

impl SchemaSet {
    /// Built-in kinds of the newest bundled Kubernetes version, the bundled Flux kinds, no CRDs.
    #[must_use]
    pub fn new() -> Self {
        Self { bit: bundle().versions.len().saturating_sub(1), flux_operator: false, crds: HashMap::new() }
    }

    /// The cluster's Flux is installed by the Flux Operator (a `FluxInstance`): its notification
    /// CRDs accept `FluxInstance`, `ResourceSet` and `ResourceSetInputProvider` event sources and
    /// receiver resources, which the upstream CRDs reject.
    #[must_use]
    pub fn with_flux_operator(mut self, yes: bool) -> Self {
        self.flux_operator = yes;
        self
    }

    /// The bundled Kubernetes versions, oldest first (`1.32`, `1.37`).
    #[must_use]
    pub fn kubernetes_versions() -> &'static [&'static str] {
        bundle().versions
    }

    /// Validate built-in kinds as Kubernetes `version` does, using the newest bundled version not
    /// newer than it (the oldest bundled one for older clusters).
    ///
    /// # Errors
    /// [`BadKubernetesVersion`] when `version` is not `MAJOR.MINOR[.PATCH]`.
    pub fn with_kubernetes_version(mut self, version: &str) -> Result<Self, BadKubernetesVersion> {
        let wanted = major_minor(version).ok_or_else(|| BadKubernetesVersion(version.to_owned()))?;
        let versions = &bundle().versions;
        self.bit = versions.iter().rposition(|v| major_minor(v).is_some_and(|have| have <= wanted)).unwrap_or(0);
        Ok(self)
    }

    /// The bundled Kubernetes version built-in kinds are validated against.
    #[must_use]
    pub fn kubernetes_version(&self) -> &'static str {
        bundle().versions.get(self.bit).copied().unwrap_or("none")
    }

    /// Add a CRD of the cluster: its kinds are validated against it from now on, before the
    /// bundled Flux schemas (the cluster's own CRD is what its API server serves).
    pub fn add_crd(&mut self, crd: &Crd) {
        let meta = bundle().object_meta_defs();
        for v in &crd.versions {
            let schema = v.schema.as_ref().map(|openapi| {
                let schema = to_json_schema(openapi, &meta);
                let mut h = DefaultHasher::new();
                schema.to_string().hash(&mut h);
                (h.finish(), Arc::new(schema))
            });
            let key = format!("{}/{}/{}", crd.group, v.name, crd.kind);
            self.crds.insert(key, CrdEntry { crd: crd.name.clone(), served: v.served, schema });
        }
    }

    /// The compiled validator for `api_version`/`kind`, or why there is none.
    pub(crate) fn validator(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<(SchemaSource, Arc<Compiled>), Unvalidated> {
        let b = bundle();
        let bad = |source: SchemaSource| move |reason| Unvalidated::BadSchema { source, reason };
        if let Some(entry) = self.crds.get(&format!("{api_version}/{kind}")) {
            if !entry.served {
                return Err(Unvalidated::CrdNotServed { crd: entry.crd.clone(), api_version: api_version.to_owned() });
            }
            if let Some((hash, schema)) = &entry.schema {
                let source = SchemaSource::Crd { name: entry.crd.clone() };
                let c = compiled(CacheKey::Crd(*hash), || Arc::clone(schema)).map_err(bad(source.clone()))?;
                return Ok((source, c));
            }
        }
        if let Some(flux) = b.flux_kind(api_version, kind) {
            let source = SchemaSource::Flux { set: flux.set };
            let operator = self.flux_operator && matches!(kind, "Alert" | "Receiver");
            let key = CacheKey::Flux { key: format!("{api_version}/{kind}"), operator };
            let schema = || {
                let s = flux.schema().clone();
                Arc::new(if operator { with_operator_kinds(kind, s) } else { s })
            };
            let c = compiled(key, schema).map_err(bad(source.clone()))?;
            return Ok((source, c));
        }
        if let Some(def) = b.kubernetes_kind(api_version, kind, self.bit) {
            let source = SchemaSource::Kubernetes { version: self.kubernetes_version() };
            let key = CacheKey::Kubernetes { bit: self.bit, def: def.to_owned() };
            let c = compiled(key, || Arc::new(b.kubernetes_schema(def, self.bit))).map_err(bad(source.clone()))?;
            return Ok((source, c));
        }
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let (api_version, kind) = (api_version.to_owned(), kind.to_owned());
        Err(if b.is_flux_group(group) {
            Unvalidated::FluxNotServed { api_version, kind }
        } else if b.is_builtin_group(group) {
            Unvalidated::BuiltinNotServed { api_version, kind }
        } else {
            Unvalidated::UnknownKind { api_version, kind }
        })
    }
}
