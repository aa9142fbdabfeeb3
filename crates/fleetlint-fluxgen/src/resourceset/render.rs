//! Rendering the templates of a ResourceSet into positioned objects
//! (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/resourceset.go).
//!
//! - A `resources` item is stored as JSON; `BuildResource` converts it with `yaml.JSONToYAML`
//!   (go-yaml v2: keys in natural order, strings plain unless quoting is needed), executes that
//!   text as a template and decodes the **first** document (`ssautil.ReadObject`), with YAML 1.1
//!   typing (sigs.k8s.io/yaml on go-yaml v2): a plain `<< inputs.n >>` becomes an integer when it
//!   renders `3`.
//! - `resourcesTemplate` is executed as a whole and split into documents
//!   (`ssautil.ReadObjects`, fluxcd/pkg@e2cfd1a2:ssa/utils/object.go): empty documents and
//!   documents without a string `apiVersion`, `kind` and `metadata.name` are dropped, a document
//!   with an `items` list is replaced by its items, kustomize `Kustomization` configs are dropped.

use std::collections::HashSet;
use std::ops::Range;

use fleetlint_gotemplate::goyaml2::{self, YKind, YNode};
use fleetlint_gotemplate::{ErrorKind, Options, Rendered, Template, TemplateError, Value};
use fleetlint_yaml::LoadIssueKind;
use fleetlint_yaml::resolve_yaml11;
use fleetlint_yaml::{FileDb, FileId, Limits, Node, NodeKind, ScalarStyle, ScalarValue, Span, parse_yaml};

use super::textmap::{self, TextMap};
use super::{ExpandError, ExpandErrorKind, TemplateKind, UnknownField};

/// An object built from one template and one input set.
pub(crate) struct Built {
    pub(crate) object: Node,
    pub(crate) template: TemplateKind,
    pub(crate) input_set: Option<usize>,
    pub(crate) unknown: Vec<UnknownField>,
}

/// A parsed template and where its text is.
struct Prepared {
    template: Template,
    map: TextMap,
    kind: TemplateKind,
}

/// The file id rendered output is parsed under before its spans are mapped back.
const OUTPUT_FILE: FileId = FileId::SYNTHETIC;

/// `BuildResourceSet` for one list of `resources` and one `resourcesTemplate`.
pub(crate) fn build(
    resources: Option<&Node>,
    template: Option<&Node>,
    sets: &[Value],
    db: &FileDb,
) -> Result<Vec<Built>, ExpandError> {
    let mut out = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    let empty = Value::map(Default::default());
    for (i, item) in resources.and_then(Node::as_seq).unwrap_or(&[]).iter().enumerate() {
        let prepared = prepare_resource(item, i, db)?;
        let wrap = |mut e: ExpandError| {
            e.message = format!("failed to build resources[{i}]: {}", e.message);
            e
        };
        if sets.is_empty() {
            let b = render_resource(&prepared, &empty, None).map_err(wrap)?;
            keys.insert(object_key(&b.object));
            out.push(b);
            continue;
        }
        for (k, set) in sets.iter().enumerate() {
            let b = render_resource(&prepared, set, Some(k)).map_err(wrap)?;
            if is_disabled(&b.object) || !keys.insert(object_key(&b.object)) {
                continue;
            }
            out.push(b);
        }
    }
    if let Some(node) = template.filter(|t| t.as_str().is_some_and(|s| !s.is_empty())) {
        let prepared = prepare_template(node, db)?;
        let mut from_template = Vec::new();
        let wrap = |mut e: ExpandError| {
            e.message = format!("failed to build resources: {}", e.message);
            e
        };
        if sets.is_empty() {
            from_template.extend(render_template(&prepared, &empty, None).map_err(wrap)?);
        }
        for (k, set) in sets.iter().enumerate() {
            from_template.extend(render_template(&prepared, set, Some(k)).map_err(wrap)?);
        }
        for b in from_template {
            if is_disabled(&b.object) || !keys.insert(object_key(&b.object)) {
                continue;
            }
            out.push(b);
        }
    }
    Ok(out)
}

fn file_text(db: &FileDb, span: Span) -> Option<&str> {
    ((span.file.0 as usize) < db.len()).then(|| &*db.get(span.file).text)
}

fn template_error(e: &TemplateError, map: &TextMap, what: &str) -> ExpandError {
    let span = map.map(e.span.clone());
    let kind = if e.kind.is_certain() { ExpandErrorKind::Invalid } else { ExpandErrorKind::Opaque };
    let prefix = match e.kind {
        ErrorKind::Parse => format!("failed to parse {what}"),
        ErrorKind::Exec => format!("failed to execute {what}"),
        _ => format!("cannot render {what} offline"),
    };
    ExpandError { kind, message: format!("{prefix}: {e}"), span }
}

/// Convert a `resources` item as `yaml.JSONToYAML` would and parse the result as a template.
fn prepare_resource(item: &Node, index: usize, db: &FileDb) -> Result<Prepared, ExpandError> {
    let mut ids: Vec<&Node> = Vec::new();
    let tree = to_ynode(item, &mut ids);
    let emitted = goyaml2::marshal(&tree);
    let map = textmap::for_emitted(&emitted.marks, &ids, &emitted.text, file_text(db, item.span), item.span);
    let template =
        Template::parse(&emitted.text, Options::flux_operator()).map_err(|e| template_error(&e, &map, "template"))?;
    Ok(Prepared { template, map, kind: TemplateKind::Resource(index) })
}

fn prepare_template(node: &Node, db: &FileDb) -> Result<Prepared, ExpandError> {
    let text = node.as_str().unwrap_or("");
    let map = TextMap::for_scalar(node, text, file_text(db, node.span));
    let template = Template::parse(text, Options::flux_operator())
        .map_err(|e| template_error(&e, &map, "multi-doc YAML template"))?;
    Ok(Prepared { template, map, kind: TemplateKind::ResourcesTemplate })
}

/// The JSON the API server stores for a YAML node, as a go-yaml v2 tree (integral floats are
/// integers once they went through JSON), recording every scalar as an id.
fn to_ynode<'a>(node: &'a Node, ids: &mut Vec<&'a Node>) -> YNode {
    let id = |ids: &mut Vec<&'a Node>, n: &'a Node| {
        ids.push(n);
        Some(u32::try_from(ids.len() - 1).unwrap_or(u32::MAX))
    };
    match &node.kind {
        NodeKind::Scalar(s) => {
            let kind = match &s.value {
                ScalarValue::Null => YKind::Null,
                ScalarValue::Bool(b) => YKind::Bool(*b),
                ScalarValue::Int(i) => YKind::Int(i128::from(*i)),
                ScalarValue::Float(f) => match Value::from_api_json(&node.to_json()) {
                    Value::Int(i, _) => YKind::Int(i128::from(i)),
                    _ if f.is_finite() => YKind::Float(*f),
                    _ => YKind::Str(s.text.to_string()),
                },
                ScalarValue::Str => YKind::Str(s.text.to_string()),
            };
            YNode { id: id(ids, node), kind }
        }
        NodeKind::Seq(items) => YNode::new(YKind::Seq(items.iter().map(|i| to_ynode(i, ids)).collect())),
        NodeKind::Map(entries) => {
            // JSON objects keep the last of duplicate keys.
            let mut out: Vec<(String, Option<u32>, YNode)> = Vec::new();
            for e in entries {
                let key = match &e.key.kind {
                    NodeKind::Scalar(s) => s.text.to_string(),
                    _ => e.key.to_json().to_string(),
                };
                let key_id = id(ids, &e.key);
                let value = to_ynode(&e.value, ids);
                match out.iter_mut().find(|(k, _, _)| *k == key) {
                    Some(slot) => *slot = (key, key_id, value),
                    None => out.push((key, key_id, value)),
                }
            }
            YNode::new(YKind::Map(out))
        }
    }
}

fn execute(p: &Prepared, set: &Value) -> Result<Rendered, ExpandError> {
    p.template.execute(&Value::Nil, set).map_err(|e| template_error(&e, &p.map, "template"))
}

/// Parse rendered output; syntax errors fail the build as the operator's decoder does.
fn parse_output(p: &Prepared, rendered: &Rendered) -> Result<Vec<Node>, ExpandError> {
    let parsed = parse_yaml(OUTPUT_FILE, &rendered.text, &Limits::default());
    for issue in &parsed.issues {
        let span = map_span(p, rendered, issue.span.range());
        match &issue.kind {
            LoadIssueKind::Syntax(msg) => {
                return Err(ExpandError {
                    kind: ExpandErrorKind::Invalid,
                    message: format!("failed to read object: rendered YAML is invalid: {msg}"),
                    span,
                });
            }
            LoadIssueKind::TooDeep { .. } | LoadIssueKind::AliasBudget { .. } | LoadIssueKind::TooLarge { .. } => {
                return Err(ExpandError {
                    kind: ExpandErrorKind::Opaque,
                    message: "rendered YAML exceeds fleetlint's limits".into(),
                    span,
                });
            }
            _ => {}
        }
    }
    Ok(parsed.documents.into_iter().map(|d| d.root).collect())
}

fn render_resource(p: &Prepared, set: &Value, input: Option<usize>) -> Result<Built, ExpandError> {
    let rendered = execute(p, set)?;
    let docs = parse_output(p, &rendered)?;
    let whole = p.map.map(0..rendered.text.len().min(1));
    let Some(mut root) = docs.into_iter().next().filter(|r| !r.is_null()) else {
        return Err(ExpandError {
            kind: ExpandErrorKind::Invalid,
            message: "failed to read object: the rendered resource is empty".into(),
            span: whole,
        });
    };
    if root.as_map().is_none() {
        return Err(ExpandError {
            kind: ExpandErrorKind::Invalid,
            message: "failed to read object: the rendered resource is not a YAML mapping".into(),
            span: map_span(p, &rendered, root.span.range()),
        });
    }
    let mut unknown = Vec::new();
    finish(&mut root, p, &rendered, String::new(), &mut unknown);
    Ok(Built { object: root, template: p.kind, input_set: input, unknown })
}

fn render_template(p: &Prepared, set: &Value, input: Option<usize>) -> Result<Vec<Built>, ExpandError> {
    let rendered = execute(p, set)?;
    let mut out = Vec::new();
    for mut root in parse_output(p, &rendered)? {
        if root.is_null() {
            continue;
        }
        if root.as_map().is_none() {
            return Err(ExpandError {
                kind: ExpandErrorKind::Invalid,
                message: "failed to read objects from multi-doc YAML: a document is not a YAML mapping".into(),
                span: map_span(p, &rendered, root.span.range()),
            });
        }
        let mut unknown = Vec::new();
        finish(&mut root, p, &rendered, String::new(), &mut unknown);
        // A `*List`: its items replace it, without further checks (Unstructured.EachListItem).
        if let Some(items) = root.get("items").and_then(Node::as_seq) {
            for (j, item) in items.iter().enumerate() {
                if item.as_map().is_none() {
                    return Err(ExpandError {
                        kind: ExpandErrorKind::Invalid,
                        message: "failed to read objects from multi-doc YAML: items member is not an object".into(),
                        span: item.span,
                    });
                }
                let prefix = format!("items[{j}].");
                let unknown = unknown
                    .iter()
                    .filter_map(|u: &UnknownField| {
                        u.path.strip_prefix(&prefix).map(|p| UnknownField { path: p.to_string(), ..u.clone() })
                    })
                    .collect();
                out.push(Built { object: item.clone(), template: p.kind, input_set: input, unknown });
            }
            continue;
        }
        if !is_kubernetes_object(&root) || is_kustomization(&root) {
            continue;
        }
        out.push(Built { object: root, template: p.kind, input_set: input, unknown });
    }
    Ok(out)
}

/// The file span of output range `out`: the template text (or action) that produced its first
/// and last bytes.
fn map_span(p: &Prepared, rendered: &Rendered, out: Range<usize>) -> Span {
    let a = rendered.origin_range(out.start);
    let b = if out.end > out.start { rendered.origin_range(out.end - 1) } else { a.clone() };
    let range = if b.start >= a.start { a.start..b.end.max(a.end) } else { a };
    p.map.map(range)
}

/// Retype scalars as go-yaml v2 (YAML 1.1) reads them, map spans back to the template, and
/// record fields printed from unknown values.
fn finish(node: &mut Node, p: &Prepared, rendered: &Rendered, path: String, unknown: &mut Vec<UnknownField>) {
    let out = node.span.range();
    node.span = map_span(p, rendered, out.clone());
    match &mut node.kind {
        NodeKind::Scalar(s) => {
            if s.style == ScalarStyle::Plain && s.tag.is_none() {
                s.value = resolve_yaml11(&s.text, ScalarStyle::Plain);
            }
            if let Some(u) = rendered.unknown_in(out) {
                unknown.push(UnknownField { path, reason: u.reason.clone(), span: node.span });
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                finish(item, p, rendered, format!("{path}[{i}]"), unknown);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries.iter_mut() {
                let key_out = e.key.span.range();
                e.key.span = map_span(p, rendered, key_out.clone());
                if let NodeKind::Scalar(k) = &mut e.key.kind {
                    json_key(k);
                }
                let key = e.key.as_str().unwrap_or("").to_string();
                let child = if path.is_empty() { key } else { format!("{path}.{key}") };
                if let Some(u) = rendered.unknown_in(key_out) {
                    unknown.push(UnknownField { path: child.clone(), reason: u.reason.clone(), span: e.key.span });
                }
                finish(&mut e.value, p, rendered, child, unknown);
            }
        }
    }
}

/// sigs.k8s.io/yaml turns non-string keys into JSON object keys (`true`, `1`, `null`).
fn json_key(k: &mut fleetlint_yaml::Scalar) {
    if k.style != ScalarStyle::Plain || k.tag.is_some() {
        k.value = ScalarValue::Str;
        return;
    }
    let text = match resolve_yaml11(&k.text, ScalarStyle::Plain) {
        ScalarValue::Bool(b) => b.to_string(),
        ScalarValue::Int(i) => i.to_string(),
        ScalarValue::Float(f) => fleetlint_gotemplate::format_v(&Value::Float(f)),
        ScalarValue::Null => "null".to_string(),
        ScalarValue::Str => k.text.to_string(),
    };
    k.text = text.into();
    k.value = ScalarValue::Str;
}

/// A string-typed scalar's text (`unstructured.NestedString`).
fn go_str<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    match &node.get_path(path)?.kind {
        NodeKind::Scalar(s) if s.value == ScalarValue::Str => Some(&s.text),
        _ => None,
    }
}

fn is_kubernetes_object(o: &Node) -> bool {
    [&["apiVersion"][..], &["kind"], &["metadata", "name"]].iter().all(|p| go_str(o, p).is_some_and(|s| !s.is_empty()))
}

fn is_kustomization(o: &Node) -> bool {
    go_str(o, &["kind"]).is_some_and(|k| k.eq_ignore_ascii_case("kustomization"))
        && go_str(o, &["apiVersion"]).is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
}

fn is_disabled(o: &Node) -> bool {
    go_str(o, &["metadata", "annotations", "fluxcd.controlplane.io/reconcile"]) == Some("disabled")
}

/// `objectKey`: group/kind/namespace/name.
pub(crate) fn object_key(o: &Node) -> String {
    let api = go_str(o, &["apiVersion"]).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    format!(
        "{group}/{}/{}/{}",
        go_str(o, &["kind"]).unwrap_or(""),
        go_str(o, &["metadata", "namespace"]).unwrap_or(""),
        go_str(o, &["metadata", "name"]).unwrap_or("")
    )
}

/// `ssautil.FmtUnstructured`: `Kind/namespace/name` or `Kind/name`.
pub(crate) fn describe(o: &Node) -> String {
    let kind = go_str(o, &["kind"]).unwrap_or("");
    let name = go_str(o, &["metadata", "name"]).unwrap_or("");
    match go_str(o, &["metadata", "namespace"]).filter(|n| !n.is_empty()) {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}
