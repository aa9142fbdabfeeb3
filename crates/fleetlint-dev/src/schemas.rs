//! `gen-schemas`: the JSON Schemas fleetlint validates objects against, derived from
//! `../shared/flux-crds` and `../shared/k8s-schemas`.
//!
//! Output (committed, embedded in the binary by `fleetlint-schema`'s build script):
//!
//! - `schemas/flux/<group>/<version>/<kind>.json`: one self-contained strict JSON Schema per Flux
//!   kind and served version, converted from the CRD's `openAPIV3Schema` by the same code that
//!   converts the CRDs found in a fleet (`fleetlint_schema::crd`). Each version comes from the
//!   newest CRD set that still serves it: `current/`, else `v2.6/`. `schemas/flux/index.json`
//!   lists them with the set they come from.
//! - `schemas/kubernetes/definitions.json`: the built-in kinds of every Kubernetes version in
//!   [`KUBERNETES_VERSIONS`], compacted: descriptions, formats and `x-kubernetes-*` annotations
//!   dropped, `oneOf` read as `anyOf` (see [`strip`]), only definitions reachable from a kind
//!   kept, and a definition identical in several versions stored once with a bit mask of the
//!   versions it belongs to. One entry per line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use fleetlint_schema::crd::{Crd, OBJECT_META, to_json_schema};
use fleetlint_schema::defs_refs;
use fleetlint_yaml::{FileId, Limits, parse_yaml};
use serde_json::{Map, Value, json};

/// Flux CRD sets, newest first, relative to the repository root, with the name they get in the
/// index.
pub const FLUX_CRD_SETS: &[(&str, &str)] =
    &[("current", "../shared/flux-crds/current"), ("v2.6", "../shared/flux-crds/v2.6")];

/// Kubernetes schema sets, oldest first: `(label, directory)`.
pub const KUBERNETES_VERSIONS: &[(&str, &str)] =
    &[("1.32", "../shared/k8s-schemas/v1.32.0-local-strict"), ("1.37", "../shared/k8s-schemas/v1.37.0-local-strict")];

/// Where the output goes, relative to the repository root.
pub const SCHEMAS_OUT: &str = "schemas";

/// One generated file: path relative to the repository root and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// Path relative to the repository root.
    pub path: String,
    /// File content.
    pub text: String,
}

/// Generate every schema file from the inputs under `root` (the repository root).
///
/// # Errors
/// When an input is missing or malformed.
pub fn gen_schemas(root: &Path) -> Result<Vec<Generated>> {
    let mut out = Vec::new();
    let (kubernetes, object_meta) = kubernetes_definitions(root)?;
    out.push(Generated { path: format!("{SCHEMAS_OUT}/kubernetes/definitions.json"), text: kubernetes });
    out.extend(flux_schemas(root, &object_meta)?);
    Ok(out)
}

/// Compare generated files with the committed ones: the stale or missing paths, and committed
/// files under `schemas/flux` or `schemas/kubernetes` that are no longer generated.
#[must_use]
pub fn stale_files(root: &Path, generated: &[Generated]) -> Vec<String> {
    let mut stale: Vec<String> = generated
        .iter()
        .filter(|g| std::fs::read_to_string(root.join(&g.path)).ok().as_deref() != Some(g.text.as_str()))
        .map(|g| g.path.clone())
        .collect();
    let wanted: BTreeSet<&str> = generated.iter().map(|g| g.path.as_str()).collect();
    for dir in ["flux", "kubernetes"] {
        for file in walk_files(&root.join(SCHEMAS_OUT).join(dir)) {
            let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            if !wanted.contains(rel.as_str()) {
                stale.push(rel);
            }
        }
    }
    stale
}

/// Write the generated files and delete committed ones that are no longer generated.
///
/// # Errors
/// On I/O errors.
pub fn write_schemas(root: &Path, generated: &[Generated]) -> Result<()> {
    for rel in stale_files(root, generated) {
        let path = root.join(&rel);
        if !generated.iter().any(|g| g.path == rel) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    for g in generated {
        let path = root.join(&g.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, &g.text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Keywords of the Kubernetes schemas that validation does not use.
fn dropped_keyword(key: &str) -> bool {
    key == "description" || key == "format" || key == "$schema" || key == "$id" || key.starts_with("x-kubernetes-")
}

/// Drop the keywords validation does not use; property names are kept whatever they are.
fn strip(schema: &Value) -> Value {
    match schema {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                if dropped_keyword(k) {
                    continue;
                }
                // The two `oneOf`s (IntOrString, Quantity) list `["string", "null"]` and
                // `["integer", "null"]`: a `null` matches both, which `oneOf` rejects although
                // the API server accepts it (an omitted value). Their branches are disjoint
                // otherwise, so `anyOf` says the same without that false alarm.
                let k = if k == "oneOf" { "anyOf" } else { k.as_str() };
                let v = match (k, v) {
                    ("properties" | "patternProperties" | "$defs", Value::Object(props)) => {
                        Value::Object(props.iter().map(|(name, s)| (name.clone(), strip(s))).collect())
                    }
                    ("enum" | "required" | "const", _) => v.clone(),
                    _ => strip(v),
                };
                out.insert(k.to_owned(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
        other => other.clone(),
    }
}

/// Names reachable from `roots` through `$ref`.
fn closure(defs: &Map<String, Value>, roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(s) = defs.get(&name) {
            stack.extend(defs_refs(s).into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// `definitions.json` and the `ObjectMeta` definitions (of the newest version) the Flux schemas
/// embed.
fn kubernetes_definitions(root: &Path) -> Result<(String, Map<String, Value>)> {
    // name -> [(mask, schema)]
    let mut defs: BTreeMap<String, Vec<(u32, Value)>> = BTreeMap::new();
    // "apps/v1/Deployment" -> (mask, def name)
    let mut kinds: BTreeMap<String, (u32, String)> = BTreeMap::new();
    let mut object_meta = Map::new();
    for (bit, (label, dir)) in KUBERNETES_VERSIONS.iter().enumerate() {
        let mask = 1u32 << bit;
        let doc = read_json(&root.join(dir).join("_definitions.json"))?;
        let Some(all) = doc.get("$defs").and_then(Value::as_object) else {
            bail!("{dir}/_definitions.json has no $defs")
        };
        let stripped: Map<String, Value> = all.iter().map(|(n, s)| (n.clone(), strip(s))).collect();
        let mut roots = Vec::new();
        for (name, schema) in all {
            for gvk in schema.get("x-kubernetes-group-version-kind").and_then(Value::as_array).into_iter().flatten() {
                let g = gvk.get("group").and_then(Value::as_str).unwrap_or_default();
                let v = gvk.get("version").and_then(Value::as_str).unwrap_or_default();
                let k = gvk.get("kind").and_then(Value::as_str).unwrap_or_default();
                let api_version = if g.is_empty() { v.to_owned() } else { format!("{g}/{v}") };
                let entry = kinds.entry(format!("{api_version}/{k}")).or_insert((0, name.clone()));
                if entry.1 != *name {
                    bail!("{label}: {api_version}/{k} is defined by {} and {name}", entry.1);
                }
                entry.0 |= mask;
                roots.push(name.clone());
            }
        }
        for name in closure(&stripped, roots) {
            let Some(schema) = stripped.get(&name) else { bail!("{label}: dangling $ref to {name}") };
            let variants = defs.entry(name).or_default();
            match variants.iter_mut().find(|(_, s)| s == schema) {
                Some((m, _)) => *m |= mask,
                None => variants.push((mask, schema.clone())),
            }
        }
        object_meta = closure(&stripped, [OBJECT_META.to_owned()])
            .into_iter()
            .map(|n| (n.clone(), stripped[&n].clone()))
            .collect();
    }
    let mut text = String::from("{\"versions\":");
    text.push_str(&serde_json::to_string(&KUBERNETES_VERSIONS.iter().map(|(l, _)| *l).collect::<Vec<_>>())?);
    text.push_str(",\n\"kinds\":{");
    for (i, (key, (mask, name))) in kinds.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(text, "{sep}\n{}:[{mask},{}]", json!(key), json!(name));
    }
    text.push_str("},\n\"defs\":{");
    for (i, (name, variants)) in defs.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let list: Vec<Value> = variants.iter().map(|(m, s)| json!([m, s])).collect();
        let _ = write!(text, "{sep}\n{}:{}", json!(name), serde_json::to_string(&list)?);
    }
    text.push_str("}}\n");
    Ok((text, object_meta))
}

/// The Flux schema files and their index.
fn flux_schemas(root: &Path, object_meta: &Map<String, Value>) -> Result<Vec<Generated>> {
    // (apiVersion, kind) -> (set, path, schema)
    let mut chosen: BTreeMap<(String, String), (String, String, Value)> = BTreeMap::new();
    for (set, dir) in FLUX_CRD_SETS {
        let mut files: Vec<PathBuf> = walk_files(&root.join(dir));
        files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
        if files.is_empty() {
            bail!("no CRDs in {dir}");
        }
        for file in files {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let parsed = parse_yaml(FileId(0), &text, &Limits::default());
            if parsed.is_broken() {
                bail!("{} does not parse", file.display());
            }
            for doc in &parsed.documents {
                let crd = Crd::from_node(&doc.root).with_context(|| format!("reading {}", file.display()))?;
                for version in crd.versions.iter().filter(|v| v.served) {
                    let key = (format!("{}/{}", crd.group, version.name), crd.kind.clone());
                    if chosen.contains_key(&key) {
                        continue; // a newer set serves it
                    }
                    let Some(openapi) = &version.schema else { bail!("{}: {} has no schema", file.display(), key.0) };
                    let path = format!(
                        "{SCHEMAS_OUT}/flux/{}/{}/{}.json",
                        crd.group,
                        version.name,
                        crd.kind.to_ascii_lowercase()
                    );
                    chosen.insert(key, ((*set).to_owned(), path, to_json_schema(openapi, object_meta)));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut index = Map::new();
    for ((api_version, kind), (set, path, schema)) in chosen {
        let file = path.strip_prefix(&format!("{SCHEMAS_OUT}/flux/")).unwrap_or(&path).to_owned();
        index.insert(format!("{api_version}/{kind}"), json!({ "set": set, "file": file }));
        out.push(Generated { path, text: serde_json::to_string_pretty(&schema)? + "\n" });
    }
    out.push(Generated {
        path: format!("{SCHEMAS_OUT}/flux/index.json"),
        text: serde_json::to_string_pretty(&Value::Object(index))? + "\n",
    });
    Ok(out)
}
