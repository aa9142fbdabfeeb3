//! The kustomization file as kustomize decodes it (kubernetes-sigs/kustomize@afe7793676
//! `api/types/kustomization.go` `Kustomization.Unmarshal`): `sigs.k8s.io/yaml.YAMLToJSON`
//! (go-yaml v2, so plain scalars are typed the YAML 1.1 way: `yes`, `on`, `y` are booleans), then
//! `encoding/json` into the Go types with `DisallowUnknownFields`. So:
//! - field names match case-insensitively (`apiversion:`, `Resources:`), an exact match first;
//! - an unknown field is an error (`json: unknown field "x"`), at every level;
//! - a value of the wrong type is an error (`json: cannot unmarshal bool into Go struct field
//!   Kustomization.commonLabels of type string`): `commonLabels: {enabled: yes}`,
//!   `newTag: 1.10`, `resources: app.yaml`;
//! - then `FixKustomization`, `CheckEmpty` (`kustomization.yaml is empty` when every field is
//!   its zero value) and `EnforceFields` (`kind` and `apiVersion`).
//!
//! The result is the kustomization with canonical field names and the decoded scalar types, so
//! the resolver reads what kustomize reads. Where kustomize 5.5 (kubectl) and 5.8.1 (Flux)
//! differ in the types, this follows 5.8.1 (`patches[].options` is a struct of two booleans,
//! replacements take `sourceValue`, Helm charts `devel`).
//!
//! kustomize-controller reads the top kustomization of a Flux build with the non-strict
//! `sigs.k8s.io/yaml.Unmarshal` and writes it back before kustomize reads it (fluxcd/pkg@e2cfd1a2
//! `kustomize/kustomize_generator.go` `GenerateManifest`), so there unknown fields are dropped
//! instead ([`Strictness::FluxRewrite`]).

use fleetlint_yaml::{Entry, Node, NodeKind, Scalar, ScalarStyle, ScalarValue, Span};

use crate::goyaml::yaml11_value;
use crate::issue::BuildIssue;

/// What happens to a field the Go types do not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// kustomize's own decoder: an error.
    Kustomize,
    /// kustomize-controller's rewrite of the top kustomization: dropped.
    FluxRewrite,
}

/// A Go type of the kustomization's fields.
#[derive(Debug)]
enum Ty {
    Str,
    Int,
    Bool,
    /// `map[string]string`
    StrMap,
    /// `map[string]interface{}` (Helm values) or anything kustomize does not type
    Any,
    List(&'static Ty),
    /// a struct: its name and its fields, embedded structs as further groups
    Obj(&'static str, &'static [&'static [(&'static str, Ty)]]),
}

const STRS: Ty = Ty::List(&Ty::Str);

const SELECTOR: &[(&str, Ty)] = &[
    ("group", Ty::Str),
    ("version", Ty::Str),
    ("kind", Ty::Str),
    ("name", Ty::Str),
    ("namespace", Ty::Str),
    ("annotationSelector", Ty::Str),
    ("labelSelector", Ty::Str),
];
const FIELD_OPTIONS: &[(&str, Ty)] =
    &[("delimiter", Ty::Str), ("index", Ty::Int), ("encoding", Ty::Str), ("create", Ty::Bool)];
const FIELD_SPEC: &[(&str, Ty)] =
    &[("group", Ty::Str), ("version", Ty::Str), ("kind", Ty::Str), ("path", Ty::Str), ("create", Ty::Bool)];
const PATCH: &[(&str, Ty)] = &[
    ("path", Ty::Str),
    ("patch", Ty::Str),
    ("target", Ty::Obj("Selector", &[SELECTOR])),
    ("options", Ty::Obj("PatchArgs", &[&[("allowNameChange", Ty::Bool), ("allowKindChange", Ty::Bool)]])),
];
const IMAGE: &[(&str, Ty)] =
    &[("name", Ty::Str), ("newName", Ty::Str), ("tagSuffix", Ty::Str), ("newTag", Ty::Str), ("digest", Ty::Str)];
const GENERATOR_OPTIONS: &[(&str, Ty)] = &[
    ("labels", Ty::StrMap),
    ("annotations", Ty::StrMap),
    ("disableNameSuffixHash", Ty::Bool),
    ("immutable", Ty::Bool),
];
/// `types.GeneratorArgs` with `KvPairSources` inline (`ConfigMapArgs`).
const CONFIG_MAP_ARGS: &[(&str, Ty)] = &[
    ("namespace", Ty::Str),
    ("name", Ty::Str),
    ("behavior", Ty::Str),
    ("literals", STRS),
    ("files", STRS),
    ("envs", STRS),
    ("env", Ty::Str),
    ("options", Ty::Obj("GeneratorOptions", &[GENERATOR_OPTIONS])),
];
const SECRET_TYPE: &[(&str, Ty)] = &[("type", Ty::Str)];
const REPLACEMENT_FIELD: &[(&str, Ty)] = &[
    (
        "source",
        Ty::Obj(
            "SourceSelector",
            &[&[
                ("group", Ty::Str),
                ("version", Ty::Str),
                ("kind", Ty::Str),
                ("name", Ty::Str),
                ("namespace", Ty::Str),
                ("fieldPath", Ty::Str),
                ("options", Ty::Obj("FieldOptions", &[FIELD_OPTIONS])),
            ]],
        ),
    ),
    ("sourceValue", Ty::Str),
    (
        "targets",
        Ty::List(&Ty::Obj(
            "TargetSelector",
            &[&[
                ("select", Ty::Obj("Selector", &[SELECTOR])),
                ("reject", Ty::List(&Ty::Obj("Selector", &[SELECTOR]))),
                ("fieldPaths", STRS),
                ("options", Ty::Obj("FieldOptions", &[FIELD_OPTIONS])),
            ]],
        )),
    ),
    ("path", Ty::Str),
];
const VAR: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    (
        "objref",
        Ty::Obj(
            "Target",
            &[&[
                ("apiVersion", Ty::Str),
                ("group", Ty::Str),
                ("version", Ty::Str),
                ("kind", Ty::Str),
                ("name", Ty::Str),
                ("namespace", Ty::Str),
            ]],
        ),
    ),
    ("fieldref", Ty::Obj("FieldSelector", &[&[("fieldPath", Ty::Str)]])),
];
const LABEL: &[(&str, Ty)] = &[
    ("pairs", Ty::StrMap),
    ("includeSelectors", Ty::Bool),
    ("includeTemplates", Ty::Bool),
    ("fields", Ty::List(&Ty::Obj("FieldSpec", &[FIELD_SPEC]))),
];
const HELM_CHART: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("version", Ty::Str),
    ("repo", Ty::Str),
    ("releaseName", Ty::Str),
    ("namespace", Ty::Str),
    ("additionalValuesFiles", STRS),
    ("valuesFile", Ty::Str),
    ("valuesInline", Ty::Any),
    ("valuesMerge", Ty::Str),
    ("includeCRDs", Ty::Bool),
    ("skipHooks", Ty::Bool),
    ("apiVersions", STRS),
    ("kubeVersion", Ty::Str),
    ("nameTemplate", Ty::Str),
    ("skipTests", Ty::Bool),
    ("debug", Ty::Bool),
    ("devel", Ty::Bool),
];
const HELM_CHART_ARGS: &[(&str, Ty)] = &[
    ("chartName", Ty::Str),
    ("chartVersion", Ty::Str),
    ("chartRepoUrl", Ty::Str),
    ("chartHome", Ty::Str),
    ("chartRepoName", Ty::Str),
    ("helmBin", Ty::Str),
    ("helmHome", Ty::Str),
    ("values", Ty::Str),
    ("valuesLocal", Ty::Any),
    ("valuesMerge", Ty::Str),
    ("releaseName", Ty::Str),
    ("releaseNamespace", Ty::Str),
    ("extraArgs", STRS),
];

/// kustomize's `types.Kustomization` (5.8.1, see the module documentation).
static KUSTOMIZATION: Ty = Ty::Obj(
    "Kustomization",
    &[&[
        ("kind", Ty::Str),
        ("apiVersion", Ty::Str),
        (
            "metadata",
            Ty::Obj(
                "ObjectMeta",
                &[&[("name", Ty::Str), ("namespace", Ty::Str), ("labels", Ty::StrMap), ("annotations", Ty::StrMap)]],
            ),
        ),
        ("openapi", Ty::StrMap),
        ("namePrefix", Ty::Str),
        ("nameSuffix", Ty::Str),
        ("namespace", Ty::Str),
        ("commonLabels", Ty::StrMap),
        ("labels", Ty::List(&Ty::Obj("Label", &[LABEL]))),
        ("commonAnnotations", Ty::StrMap),
        ("patchesStrategicMerge", STRS),
        ("patchesJson6902", Ty::List(&Ty::Obj("Patch", &[PATCH]))),
        ("patches", Ty::List(&Ty::Obj("Patch", &[PATCH]))),
        ("images", Ty::List(&Ty::Obj("Image", &[IMAGE]))),
        ("imageTags", Ty::List(&Ty::Obj("Image", &[IMAGE]))),
        ("replacements", Ty::List(&Ty::Obj("ReplacementField", &[REPLACEMENT_FIELD]))),
        ("replicas", Ty::List(&Ty::Obj("Replica", &[&[("name", Ty::Str), ("count", Ty::Int)]]))),
        ("vars", Ty::List(&Ty::Obj("Var", &[VAR]))),
        (
            "sortOptions",
            Ty::Obj(
                "SortOptions",
                &[&[
                    ("order", Ty::Str),
                    (
                        "legacySortOptions",
                        Ty::Obj("LegacySortOptions", &[&[("orderFirst", STRS), ("orderLast", STRS)]]),
                    ),
                ]],
            ),
        ),
        ("resources", STRS),
        ("components", STRS),
        ("crds", STRS),
        ("bases", STRS),
        ("configMapGenerator", Ty::List(&Ty::Obj("ConfigMapArgs", &[CONFIG_MAP_ARGS]))),
        ("secretGenerator", Ty::List(&Ty::Obj("SecretArgs", &[CONFIG_MAP_ARGS, SECRET_TYPE]))),
        ("helmGlobals", Ty::Obj("HelmGlobals", &[&[("chartHome", Ty::Str), ("configHome", Ty::Str)]])),
        ("helmCharts", Ty::List(&Ty::Obj("HelmChart", &[HELM_CHART]))),
        ("helmChartInflationGenerator", Ty::List(&Ty::Obj("HelmChartArgs", &[HELM_CHART_ARGS]))),
        ("generatorOptions", Ty::Obj("GeneratorOptions", &[GENERATOR_OPTIONS])),
        ("configurations", STRS),
        ("generators", STRS),
        ("transformers", STRS),
        ("validators", STRS),
        ("buildMetadata", STRS),
    ]],
);

/// kustomize's `CheckEmpty` error.
pub(crate) const EMPTY: &str = "kustomization.yaml is empty";

/// Decode `root` (the first document of a kustomization file, `file_span` pointing at the file)
/// as kustomize does; `Err` with kustomize's errors.
pub(crate) fn decode(root: &Node, file_span: Span, strictness: Strictness) -> Result<Node, Vec<BuildIssue>> {
    let decoded = decode_fields(root, strictness)?;
    check(&decoded, file_span)?;
    Ok(decoded)
}

/// The decoding of [`decode`] without `CheckEmpty` and `EnforceFields`.
pub(crate) fn decode_fields(root: &Node, strictness: Strictness) -> Result<Node, Vec<BuildIssue>> {
    let mut d = Decoder { strictness, issues: Vec::new() };
    let decoded = d.value(root, &KUSTOMIZATION, "Kustomization", "");
    if d.issues.is_empty() { Ok(decoded) } else { Err(d.issues) }
}

/// `CheckEmpty` and `EnforceFields` of a decoded kustomization.
pub(crate) fn check(decoded: &Node, file_span: Span) -> Result<(), Vec<BuildIssue>> {
    let mut errors = Vec::new();
    if is_empty(decoded) {
        errors.push(BuildIssue::invalid(file_span, true, EMPTY));
    }
    // `EnforceFields`, after `FixKustomization` filled in a missing kind and apiVersion
    let kind = decoded.get("kind").and_then(Node::as_str).filter(|k| !k.is_empty()).unwrap_or("Kustomization");
    if kind != "Kustomization" && kind != "Component" {
        let at = decoded.get("kind").map_or(file_span, |n| n.span);
        errors.push(BuildIssue::invalid(at, true, "kind should be Kustomization or Component"));
    }
    let required =
        if kind == "Component" { "kustomize.config.k8s.io/v1alpha1" } else { "kustomize.config.k8s.io/v1beta1" };
    if let Some(v) = decoded.get("apiVersion").and_then(Node::as_str).filter(|v| !v.is_empty() && *v != required) {
        let _ = v;
        let at = decoded.get("apiVersion").map_or(file_span, |n| n.span);
        errors.push(BuildIssue::invalid(at, true, format!("apiVersion for {kind} should be {required}")));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// `CheckEmpty` after `FixKustomization`: every field but `kind` and `apiVersion` is its zero
/// value (a null, `""`, `0` or `false`; an empty list is not zero, except `bases`, `imageTags`
/// and `helmChartInflationGenerator`, which `FixKustomization` appends elsewhere or wipes).
fn is_empty(k: &Node) -> bool {
    k.as_map().unwrap_or_default().iter().all(|e| {
        let key = e.key.as_str().unwrap_or("");
        let v = &e.value;
        match key {
            "kind" | "apiVersion" => true,
            "bases" | "imageTags" | "helmChartInflationGenerator" => v.as_seq().is_none_or(<[Node]>::is_empty),
            _ => match &v.kind {
                NodeKind::Scalar(s) => match &s.value {
                    ScalarValue::Null => true,
                    ScalarValue::Str => s.text.is_empty(),
                    ScalarValue::Bool(b) => !b,
                    ScalarValue::Int(i) => *i == 0,
                    ScalarValue::Float(f) => *f == 0.0,
                },
                _ => false,
            },
        }
    })
}

struct Decoder {
    strictness: Strictness,
    issues: Vec<BuildIssue>,
}

/// Go's `encoding/json` name of a JSON value's kind in its errors.
fn json_kind(n: &Node) -> &'static str {
    match &n.kind {
        NodeKind::Map(_) => "object",
        NodeKind::Seq(_) => "array",
        NodeKind::Scalar(s) => match s.value {
            ScalarValue::Null => "null",
            ScalarValue::Bool(_) => "bool",
            ScalarValue::Int(_) | ScalarValue::Float(_) => "number",
            ScalarValue::Str => "string",
        },
    }
}

/// `encoding/json`'s field name folding (`foldName`, Unicode simple case folding); `ſ` and the
/// Kelvin sign fold to `s` and `k` as in Go.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ſ' => 's',
            '\u{212A}' => 'k',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

fn scalar(text: &str, value: ScalarValue, span: Span) -> Node {
    Node { span, kind: NodeKind::Scalar(Scalar { text: text.into(), style: ScalarStyle::Plain, value, tag: None }) }
}

/// A scalar as YAML-to-JSON gives it: plain untagged scalars typed the YAML 1.1 way.
fn json_scalar(n: &Node) -> Node {
    match &n.kind {
        NodeKind::Scalar(s) if s.style == ScalarStyle::Plain && s.tag.is_none() => {
            let mut n = n.clone();
            if let NodeKind::Scalar(s) = &mut n.kind {
                s.value = yaml11_value(&s.text);
            }
            n
        }
        _ => n.clone(),
    }
}

/// A map key as `YAMLToJSON` writes it: booleans and integers become their text.
fn json_key(k: &Node) -> String {
    let k = json_scalar(k);
    match k.as_scalar().map(|s| (&s.value, &s.text)) {
        Some((ScalarValue::Bool(b), _)) => b.to_string(),
        Some((ScalarValue::Int(i), _)) => i.to_string(),
        Some((_, text)) => text.to_string(),
        None => k.to_json().to_string(),
    }
}

impl Decoder {
    fn type_error(&mut self, n: &Node, owner: &str, path: &str, go_type: &str) {
        let what = match json_scalar(n).as_scalar().map(|s| &s.value) {
            Some(ScalarValue::Float(f)) if go_type == "int64" || go_type == "int" => format!("number {f}"),
            _ => json_kind(&json_scalar(n)).to_string(),
        };
        self.issues.push(BuildIssue::invalid(
            n.span,
            true,
            format!("invalid Kustomization: json: cannot unmarshal {what} into Go struct field {owner}.{path} of type {go_type}"),
        ));
    }

    fn value(&mut self, n: &Node, ty: &Ty, owner: &str, path: &str) -> Node {
        let v = json_scalar(n);
        if v.as_scalar().is_some_and(|s| s.value == ScalarValue::Null) {
            return v;
        }
        match ty {
            Ty::Any => n.clone(),
            Ty::Str => {
                if v.as_scalar().is_none_or(|s| s.value != ScalarValue::Str) {
                    self.type_error(n, owner, path, "string");
                }
                v
            }
            Ty::Bool => {
                if !matches!(v.as_scalar().map(|s| &s.value), Some(ScalarValue::Bool(_))) {
                    self.type_error(n, owner, path, "bool");
                }
                v
            }
            Ty::Int => match v.as_scalar().map(|s| s.value.clone()) {
                Some(ScalarValue::Int(_)) => v,
                // JSON writes an integral float without a fraction, which decodes as an integer
                #[allow(clippy::cast_possible_truncation)]
                Some(ScalarValue::Float(f)) if f.fract() == 0.0 && f.abs() < 1e18 => {
                    scalar(&(f as i64).to_string(), ScalarValue::Int(f as i64), v.span)
                }
                _ => {
                    self.type_error(n, owner, path, "int64");
                    v
                }
            },
            Ty::StrMap => {
                let Some(entries) = n.as_map() else {
                    self.type_error(n, owner, path, "map[string]string");
                    return v;
                };
                let mut out = Vec::new();
                for e in entries {
                    let key = json_key(&e.key);
                    let value = self.value(&e.value, &Ty::Str, owner, path);
                    out.push(Entry { key: scalar(&key, ScalarValue::Str, e.key.span), value });
                }
                Node { span: n.span, kind: NodeKind::Map(out) }
            }
            Ty::List(item) => {
                let Some(items) = n.as_seq() else {
                    let go = match item {
                        Ty::Str => "[]string".to_string(),
                        Ty::Obj(name, _) => format!("[]types.{name}"),
                        _ => "[]".to_string(),
                    };
                    self.type_error(n, owner, path, &go);
                    return v;
                };
                let out = items.iter().map(|i| self.value(i, item, owner, path)).collect();
                Node { span: n.span, kind: NodeKind::Seq(out) }
            }
            Ty::Obj(name, fields) => {
                let Some(entries) = n.as_map() else {
                    self.type_error(n, owner, path, &format!("types.{name}"));
                    return v;
                };
                // JSON objects come out of YAMLToJSON with sorted keys, and a later duplicate
                // overwrites an earlier one.
                let mut sorted: Vec<&Entry> = entries.iter().collect();
                sorted.sort_by_key(|e| json_key(&e.key));
                let mut out: Vec<Entry> = Vec::new();
                for e in sorted {
                    let key = json_key(&e.key);
                    let all = || fields.iter().flat_map(|group| group.iter());
                    let field = all().find(|(f, _)| *f == key).or_else(|| {
                        let folded = fold(&key);
                        all().find(|(f, _)| fold(f) == folded)
                    });
                    let Some((canonical, fty)) = field else {
                        if self.strictness == Strictness::Kustomize {
                            self.issues.push(BuildIssue::invalid(
                                e.key.span,
                                true,
                                format!("invalid Kustomization: json: unknown field \"{key}\""),
                            ));
                        }
                        continue;
                    };
                    let sub = if path.is_empty() { (*canonical).to_string() } else { format!("{path}.{canonical}") };
                    let value = self.value(&e.value, fty, name, &sub);
                    let key_node = scalar(canonical, ScalarValue::Str, e.key.span);
                    match out.iter_mut().find(|o| o.key.as_str() == Some(canonical)) {
                        Some(existing) => *existing = Entry { key: key_node, value },
                        None => out.push(Entry { key: key_node, value }),
                    }
                }
                Node { span: n.span, kind: NodeKind::Map(out) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    fn run(text: &str, strictness: Strictness) -> Result<Node, Vec<String>> {
        let root = parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root;
        decode(&root, Span::empty(FileId(0), 0), strictness)
            .map_err(|issues| issues.into_iter().map(|i| i.message).collect())
    }

    #[test]
    fn field_names_match_case_insensitively() {
        let k = run(
            "apiversion: kustomize.config.k8s.io/v1beta1\nResources: [a.yaml]\nNAMESPACE: x\n",
            Strictness::Kustomize,
        )
        .unwrap();
        assert_eq!(k.get("apiVersion").and_then(Node::as_str), Some("kustomize.config.k8s.io/v1beta1"));
        assert_eq!(k.get("resources").and_then(Node::as_seq).map(<[Node]>::len), Some(1));
        assert_eq!(k.get("namespace").and_then(Node::as_str), Some("x"));
    }

    #[test]
    fn values_are_typed_the_yaml_1_1_way_and_checked() {
        let e = run("resources: [a.yaml]\ncommonLabels: {x: y}\n", Strictness::Kustomize).unwrap_err();
        assert!(e[0].contains("cannot unmarshal bool into Go struct field Kustomization.commonLabels"), "{e:?}");
        assert!(run("images: [{name: a, newTag: 1.10}]\n", Strictness::Kustomize).is_err());
        assert!(run("resources: a.yaml\n", Strictness::Kustomize).is_err());
        assert!(run("replicas: [{name: a, count: 1.5}]\n", Strictness::Kustomize).is_err());
        let k = run(
            "labels: [{pairs: {a: b}, includeSelectors: yes}]\nreplicas: [{name: a, count: 1e3}]\n",
            Strictness::Kustomize,
        )
        .unwrap();
        let l = &k.get("labels").and_then(Node::as_seq).unwrap()[0];
        assert_eq!(l.get("includeSelectors").and_then(Node::as_bool), Some(true));
        let r = &k.get("replicas").and_then(Node::as_seq).unwrap()[0];
        assert_eq!(r.get("count").map(Node::to_json), Some(serde_json::json!(1000)));
    }

    #[test]
    fn unknown_fields_fail_kustomize_and_are_dropped_by_flux() {
        let text = "resources: [a.yaml]\npatches: [{path: p.yaml, unknown: 1}]\nspec: {}\n";
        let e = run(text, Strictness::Kustomize).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        let k = run(text, Strictness::FluxRewrite).unwrap();
        assert!(k.get("spec").is_none());
        assert!(k.get("patches").and_then(Node::as_seq).unwrap()[0].get("unknown").is_none());
    }

    #[test]
    fn empty_kind_and_api_version() {
        for empty in [
            "{}\n",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            "resources:\n",
            "bases: []\n",
            "namespace: ''\n",
        ] {
            assert!(run(empty, Strictness::Kustomize).is_err(), "{empty}");
        }
        for not_empty in ["resources: []\n", "namespace: x\n", "metadata: {}\n", "commonLabels: {}\n"] {
            assert!(run(not_empty, Strictness::Kustomize).is_ok(), "{not_empty}");
        }
        assert!(
            run("kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: []\n", Strictness::Kustomize)
                .is_err()
        );
        assert!(run("kind: Component\nresources: []\n", Strictness::Kustomize).is_ok());
        assert!(run("apiVersion: kustomize.toolkit.fluxcd.io/v1\nresources: []\n", Strictness::Kustomize).is_err());
    }
}
