//! fleetlint-dev: the project's generator tool (library part, so tests can regenerate in memory).
//!
//! `gen-merge-keys` derives the strategic-merge tables of `fleetlint-kustomize`
//! (`crates/fleetlint-kustomize/src/generated/merge_keys.rs`) from the Kubernetes JSON Schemas in
//! `../shared/k8s-schemas/<version>`. `new-rule` scaffolds a rule ([`scaffold`]); `gen-docs`
//! writes `docs/rules.md` and the README's rule table from the rule declarations ([`docs`]).
//! `gen-schemas` writes the JSON Schemas objects are validated against ([`schemas`]).

pub mod docs;
pub mod scaffold;
pub mod schemas;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// The schema set the committed tables are generated from, relative to the repository root.
///
/// kubectl v1.32 (kustomize v5.5) is the oracle on the build machines. The v1.37 set adds, among
/// others, merge keys for fields and kinds that do not exist in 1.32 (e.g. `resource.k8s.io/v1`
/// kinds, new pod-level fields); regenerating from it would make fleetlint merge lists that
/// kubectl kustomize 1.32 replaces.
pub const DEFAULT_SCHEMAS: &str = "../shared/k8s-schemas/v1.32.0-local-strict";

/// Where the generated tables are committed, relative to the repository root.
pub const MERGE_KEYS_OUT: &str = "crates/fleetlint-kustomize/src/generated/merge_keys.rs";

/// Fields with a patch strategy in the 1.32 schemas that kustomize v5.5 does not know.
///
/// kustomize does not read the cluster's schema: it embeds the Kubernetes v1.21.2 OpenAPI
/// document (`kyaml/openapi/kubernetesapi`), and a field missing from it has no schema, so a list
/// there is replaced, not merged. Each entry is `definition.field`; each was checked against
/// `kubectl kustomize` (v1.32.4, kustomize v5.5.0) on this machine.
pub const ABSENT_IN_KUSTOMIZE_SCHEMA: &[&str] = &[
    // added in Kubernetes 1.26 (PodSchedulingReadiness, DynamicResourceAllocation)
    "io.k8s.api.core.v1.PodSpec.schedulingGates",
    "io.k8s.api.core.v1.PodSpec.resourceClaims",
    // added in 1.28 (pod status), 1.27-1.30 (admission match conditions, policy variables)
    "io.k8s.api.core.v1.PodStatus.hostIPs",
    "io.k8s.api.core.v1.PodStatus.resourceClaimStatuses",
    "io.k8s.api.admissionregistration.v1.ValidatingWebhook.matchConditions",
    "io.k8s.api.admissionregistration.v1.MutatingWebhook.matchConditions",
];

/// Kinds of the 1.32 schemas that kustomize's embedded v1.21.2 OpenAPI does not have: kustomize
/// merges no list of theirs (not even `metadata.finalizers`). `(group, version)` pairs, any kind,
/// or `(group, version, kind)` when only some kinds of a version are new. Checked with
/// `kubectl kustomize`: autoscaling/v2, admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy,
/// storage.k8s.io/v1 CSIStorageCapacity, flowcontrol.apiserver.k8s.io/v1; the rest by the version
/// that introduced them (all after 1.21).
pub const GVKS_ABSENT_IN_KUSTOMIZE_SCHEMA: &[(&str, &str, &str)] = &[
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "v1alpha1", "*"),
    ("admissionregistration.k8s.io", "v1beta1", "*"),
    ("authentication.k8s.io", "v1", "SelfSubjectReview"),
    ("authentication.k8s.io", "v1beta1", "*"),
    ("autoscaling", "v2", "*"),
    ("certificates.k8s.io", "v1alpha1", "*"),
    ("coordination.k8s.io", "v1alpha2", "*"),
    ("flowcontrol.apiserver.k8s.io", "v1", "*"),
    ("networking.k8s.io", "v1beta1", "*"),
    ("resource.k8s.io", "*", "*"),
    ("storage.k8s.io", "v1", "CSIStorageCapacity"),
    ("storage.k8s.io", "v1alpha1", "*"),
    ("storage.k8s.io", "v1beta1", "*"),
    ("storagemigration.k8s.io", "*", "*"),
];

/// Older versions kustomize's v1.21.2 OpenAPI still has but the 1.32 schemas no longer carry:
/// `(group, old version, kind, current version)`. They get the current version's table (their
/// merge keys did not change between the versions; fleet repos still carry some of them).
pub const OLD_VERSIONS_IN_KUSTOMIZE_SCHEMA: &[(&str, &str, &str, &str)] = &[
    ("autoscaling", "v2beta1", "HorizontalPodAutoscaler", "v1"),
    ("autoscaling", "v2beta2", "HorizontalPodAutoscaler", "v1"),
    ("batch", "v1beta1", "CronJob", "v1"),
    ("policy", "v1beta1", "PodDisruptionBudget", "v1"),
    ("networking.k8s.io", "v1beta1", "Ingress", "v1"),
    ("networking.k8s.io", "v1beta1", "IngressClass", "v1"),
    ("extensions", "v1beta1", "Ingress", "v1"),
    ("discovery.k8s.io", "v1beta1", "EndpointSlice", "v1"),
    ("events.k8s.io", "v1beta1", "Event", "v1"),
    ("flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema", "v1"),
    ("flowcontrol.apiserver.k8s.io", "v1beta1", "PriorityLevelConfiguration", "v1"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRole", "v1"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding", "v1"),
    ("rbac.authorization.k8s.io", "v1beta1", "Role", "v1"),
    ("rbac.authorization.k8s.io", "v1beta1", "RoleBinding", "v1"),
    ("scheduling.k8s.io", "v1beta1", "PriorityClass", "v1"),
    ("storage.k8s.io", "v1beta1", "StorageClass", "v1"),
    ("storage.k8s.io", "v1beta1", "CSIDriver", "v1"),
    ("storage.k8s.io", "v1beta1", "CSINode", "v1"),
    ("storage.k8s.io", "v1beta1", "VolumeAttachment", "v1"),
    ("node.k8s.io", "v1beta1", "RuntimeClass", "v1"),
    ("coordination.k8s.io", "v1beta1", "Lease", "v1"),
    ("admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration", "v1"),
    ("admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration", "v1"),
    ("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition", "v1"),
    ("apiregistration.k8s.io", "v1beta1", "APIService", "v1"),
    ("certificates.k8s.io", "v1beta1", "CertificateSigningRequest", "v1"),
];

fn absent_gvk(g: &str, v: &str, k: &str) -> bool {
    GVKS_ABSENT_IN_KUSTOMIZE_SCHEMA
        .iter()
        .any(|(ag, av, ak)| *ag == g && (*av == "*" || *av == v) && (*ak == "*" || *ak == k))
}

/// The repository root (two levels above this crate's manifest).
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One strategic-merge relevant field found under a kind's root.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FieldRow {
    path: String,
    list: bool,
    strategy: String,
    keys: Vec<String>,
}

struct Defs<'a> {
    defs: &'a Map<String, Value>,
}

fn ref_name(schema: &Value) -> Option<&str> {
    let r = schema.get("$ref")?.as_str()?;
    r.rsplit_once("$defs/").map(|(_, n)| n)
}

impl Defs<'_> {
    fn resolve<'v>(&'v self, schema: &'v Value) -> (&'v Value, Option<&'v str>) {
        match ref_name(schema) {
            Some(name) => (self.defs.get(name).unwrap_or(schema), Some(name)),
            None => (schema, None),
        }
    }

    /// Collect the fields under `schema` (a resolved object schema named `def`) into `out`.
    fn collect(
        &self,
        schema: &Value,
        def: Option<&str>,
        prefix: &str,
        stack: &mut Vec<String>,
        out: &mut Vec<FieldRow>,
    ) {
        if let Some(d) = def {
            if stack.iter().any(|s| s == d) || stack.len() > 24 {
                return;
            }
            stack.push(d.to_string());
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            let mut names: Vec<&String> = props.keys().collect();
            names.sort();
            for name in names {
                let prop = &props[name];
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                if def.is_some_and(|d| ABSENT_IN_KUSTOMIZE_SCHEMA.contains(&format!("{d}.{name}").as_str())) {
                    continue;
                }
                self.collect_value(prop, &path, stack, out);
            }
        }
        if let Some(ap) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let path = if prefix.is_empty() { "*".to_string() } else { format!("{prefix}.*") };
            let before = out.len();
            self.collect_value(ap, &path, stack, out);
            if out.len() > before {
                out.push(FieldRow { path, list: false, strategy: String::new(), keys: Vec::new() });
            }
        }
        if def.is_some() {
            stack.pop();
        }
    }

    fn collect_value(&self, prop: &Value, path: &str, stack: &mut Vec<String>, out: &mut Vec<FieldRow>) {
        let strategy = prop.get("x-kubernetes-patch-strategy").and_then(Value::as_str).unwrap_or("");
        if let Some(items) = prop.get("items") {
            let mut keys: Vec<String> = Vec::new();
            if !strategy.is_empty() {
                // kyaml's PatchStrategyAndKeyList: list-map-keys win over the single merge key.
                if let Some(list) = prop.get("x-kubernetes-list-map-keys").and_then(Value::as_array) {
                    keys = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
                } else if let Some(k) = prop.get("x-kubernetes-patch-merge-key").and_then(Value::as_str) {
                    keys.push(k.to_string());
                }
                out.push(FieldRow { path: path.to_string(), list: true, strategy: strategy.to_string(), keys });
            }
            // kyaml only descends into the elements of lists it merges.
            if strategy.split(',').any(|s| s == "merge") {
                let (elem, name) = self.resolve(items);
                self.collect(elem, name, &format!("{path}[]"), stack, out);
            }
            return;
        }
        let (resolved, name) = self.resolve(prop);
        let before = out.len();
        self.collect(resolved, name, path, stack, out);
        if !strategy.is_empty() && out.len() == before {
            out.push(FieldRow {
                path: path.to_string(),
                list: false,
                strategy: strategy.to_string(),
                keys: Vec::new(),
            });
        } else if !strategy.is_empty() {
            out.insert(
                before,
                FieldRow { path: path.to_string(), list: false, strategy: strategy.to_string(), keys: Vec::new() },
            );
        }
    }
}

fn rust_ident(def: &str) -> String {
    let short = def.strip_prefix("io.k8s.").unwrap_or(def);
    let short = short.strip_prefix("api.").unwrap_or(short);
    short.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// Generate the Rust source of `merge_keys.rs` from the schema directory `schemas` (the directory
/// holding `_definitions.json`). `label` names the source set in the header comment.
///
/// # Errors
/// When the definitions cannot be read or parsed.
pub fn gen_merge_keys(schemas: &Path, label: &str) -> Result<String> {
    let path = schemas.join("_definitions.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let Some(defs) = doc.get("$defs").and_then(Value::as_object) else {
        bail!("{}: no $defs", path.display());
    };
    let d = Defs { defs };

    // (group, version, kind) -> table index; tables deduplicated by content.
    let mut tables: Vec<(String, Vec<FieldRow>)> = Vec::new();
    let mut by_content: BTreeMap<Vec<FieldRow>, usize> = BTreeMap::new();
    let mut gvks: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut all_gvks: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut def_names: Vec<&String> = defs.keys().collect();
    def_names.sort();
    for def in def_names {
        let schema = &defs[def];
        let Some(list) = schema.get("x-kubernetes-group-version-kind").and_then(Value::as_array) else { continue };
        // List kinds (`DeploymentList`) are never patch targets.
        if def.ends_with("List") || schema.get("properties").and_then(|p| p.get("metadata")).is_none() {
            continue;
        }
        let mut rows = Vec::new();
        d.collect(schema, Some(def), "", &mut Vec::new(), &mut rows);
        rows.sort();
        rows.dedup();
        let idx = *by_content.entry(rows.clone()).or_insert_with(|| {
            let metadata_only = rows.iter().all(|r| r.path.starts_with("metadata."));
            let mut name = if rows.is_empty() {
                "NO_STRATEGIES".to_string()
            } else if metadata_only {
                "METADATA_ONLY".to_string()
            } else {
                rust_ident(def)
            };
            while !names.insert(name.clone()) {
                name.push('_');
            }
            tables.push((name, rows));
            tables.len() - 1
        });
        for gvk in list {
            let g = gvk.get("group").and_then(Value::as_str).unwrap_or("").to_string();
            let v = gvk.get("version").and_then(Value::as_str).unwrap_or("").to_string();
            let k = gvk.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
            all_gvks.insert((g.clone(), v.clone(), k.clone()), idx);
            if !absent_gvk(&g, &v, &k) {
                gvks.insert((g, v, k), idx);
            }
        }
    }
    for (g, old, k, current) in OLD_VERSIONS_IN_KUSTOMIZE_SCHEMA {
        let key = ((*g).to_string(), (*current).to_string(), (*k).to_string());
        // the current version may itself be filtered out above: look it up unfiltered
        if let Some(&idx) = all_gvks.get(&key) {
            gvks.insert(((*g).to_string(), (*old).to_string(), (*k).to_string()), idx);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "// @generated by `cargo run -p fleetlint-dev -- gen-merge-keys` from the Kubernetes JSON");
    let _ = writeln!(out, "// Schemas `{label}`. Do not edit: regenerate (a test fails when this file is stale).");
    let _ = writeln!(out, "//");
    let _ = writeln!(out, "// Per built-in kind: the field paths (`.`-separated, `[]` = list element, `*` = any map");
    let _ = writeln!(out, "// key) that carry an `x-kubernetes-patch-strategy`, with kyaml's merge keys");
    let _ = writeln!(out, "// (`x-kubernetes-list-map-keys`, else `x-kubernetes-patch-merge-key`), and the map paths");
    let _ =
        writeln!(out, "// (`*`) leading to them. Fields kustomize's embedded v1.21.2 OpenAPI lacks are left out (see");
    let _ = writeln!(out, "// `fleetlint_dev::ABSENT_IN_KUSTOMIZE_SCHEMA`).");
    let _ = writeln!(out);
    let _ = writeln!(out, "use crate::patch::schema::{{FieldSchema, Gvk, TypeSchema}};");
    let used: BTreeSet<usize> = gvks.values().copied().collect();
    for (i, (name, rows)) in tables.iter().enumerate() {
        if !used.contains(&i) {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "static {name}: TypeSchema = TypeSchema {{");
        let _ = writeln!(out, "    fields: &[");
        for r in rows {
            let keys: Vec<String> = r.keys.iter().map(|k| quote(k)).collect();
            let _ = writeln!(
                out,
                "        FieldSchema {{ path: {}, list: {}, strategy: {}, keys: &[{}] }},",
                quote(&r.path),
                r.list,
                quote(&r.strategy),
                keys.join(", ")
            );
        }
        let _ = writeln!(out, "    ],");
        let _ = writeln!(out, "}};");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "/// Built-in kinds, sorted by (group, version, kind).");
    let _ = writeln!(out, "pub(crate) static GVKS: &[Gvk] = &[");
    for ((g, v, k), idx) in &gvks {
        let _ = writeln!(
            out,
            "    Gvk {{ group: {}, version: {}, kind: {}, schema: &{} }},",
            quote(g),
            quote(v),
            quote(k),
            tables[*idx].0
        );
    }
    let _ = writeln!(out, "];");
    Ok(out)
}
