//! The built-in transformers that write fields: namespace, name prefix/suffix, labels,
//! annotations, images and replicas. Every node they write carries the span of the
//! kustomization field that asked for it.

use fleetlint_yaml::{Node, NodeKind, Scalar, ScalarStyle, ScalarValue, Span};

use crate::fieldspec::{CreateKind, FieldSpec, TransformerConfig, visit};
use crate::issue::BuildIssue;
use crate::resource::{Gvk, Resource, set_entry};

/// A value written by a transformer, with the span of the text that asked for it.
#[derive(Clone, Debug)]
pub(crate) struct Spanned {
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// `namespace:`.
pub(crate) fn namespace(resources: &mut [Resource], ns: &Spanned, tc: &TransformerConfig) -> Vec<BuildIssue> {
    for r in resources.iter_mut() {
        if r.root.as_map().is_none_or(<[_]>::is_empty) {
            continue;
        }
        r.store_previous_id();
        let gvk = r.gvk();
        if gvk.is_namespaceable() {
            r.set_namespace(&ns.text, ns.span);
        }
        let is_binding = matches!(gvk.kind.as_str(), "RoleBinding" | "ClusterRoleBinding");
        // `removeUnneededMetaFieldSpecs` (kubernetes-sigs/kustomize@afe7793676
        // `api/filters/namespace/namespace.go`): `metadata/name` specs (the built-in one renames a
        // `Namespace`) apply only to objects of apiVersion `v1`, so a custom resource of kind
        // `Namespace` in another group keeps its name.
        let core_v1 = r.api_version() == "v1";
        for fs in &tc.namespace {
            if fs.path_text == "metadata/namespace"
                || (is_binding && fs.path_text == "subjects")
                || (!core_v1 && fs.path_text == "metadata/name")
            {
                continue;
            }
            if !gvk.is_selected_by(&fs.gvk) {
                continue;
            }
            let create = fs.create.then_some(CreateKind::Scalar);
            visit(&mut r.root, &fs.path, create, ns.span, &mut |n| *n = Node::string(ns.text.as_str(), ns.span));
        }
        if is_binding && let Some(NodeKind::Seq(subjects)) = r.root.get_mut("subjects").map(|n| &mut n.kind) {
            for s in subjects {
                if s.get("name").and_then(Node::as_str) == Some("default") {
                    set_entry(s, "namespace", Node::string(ns.text.as_str(), ns.span), ns.span);
                }
            }
        }
    }
    id_conflicts(resources, "namespace transformation produces ID conflict", ns.span)
}

fn id_conflicts(resources: &[Resource], what: &str, span: Span) -> Vec<BuildIssue> {
    let mut issues = Vec::new();
    let ids: Vec<_> = resources.iter().map(Resource::cur_id).collect();
    for (i, a) in ids.iter().enumerate() {
        if ids[..i].iter().any(|b| b.equals(a)) {
            issues.push(BuildIssue::invalid(span, true, format!("{what}: {}", a.describe())));
        }
    }
    issues
}

fn skip_prefix(id: &Gvk) -> bool {
    matches!(id.kind.as_str(), "CustomResourceDefinition" | "Namespace")
        || (id.kind == "APIService" && id.group == "apiregistration.k8s.io")
}

/// `namePrefix:` (`suffix == false`) or `nameSuffix:`.
pub(crate) fn name_affix(resources: &mut [Resource], affix: &Spanned, suffix: bool, specs: &[FieldSpec]) {
    for r in resources.iter_mut() {
        let org = r.org_id();
        if skip_prefix(&org.gvk) {
            continue;
        }
        for fs in specs {
            if !org.gvk.is_selected_by(&fs.gvk) {
                continue;
            }
            if fs.path_text == "metadata/name" {
                if suffix {
                    r.suffixes.push(affix.text.clone());
                } else {
                    r.prefixes.push(affix.text.clone());
                }
                if !affix.text.is_empty() {
                    r.store_previous_id();
                }
            }
            let cur = r.gvk();
            if !cur.is_selected_by(&fs.gvk) {
                continue;
            }
            visit(&mut r.root, &fs.path, None, affix.span, &mut |n| {
                if let Some(s) = n.as_str() {
                    let new = if suffix { format!("{s}{}", affix.text) } else { format!("{}{s}", affix.text) };
                    *n = Node::string(new, affix.span);
                }
            });
        }
    }
}

/// A key/value pair from a kustomization map (labels, annotations), with both spans.
#[derive(Clone, Debug)]
pub(crate) struct Pair {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: String,
    pub(crate) value_span: Span,
}

/// Read a `map[string]string` field.
pub(crate) fn pairs(node: Option<&Node>) -> Vec<Pair> {
    let mut out: Vec<Pair> = Vec::new();
    for e in node.and_then(Node::as_map).unwrap_or_default() {
        let Some(k) = e.key.as_scalar() else { continue };
        let value = e.value.as_scalar().map(|s| s.text.to_string()).unwrap_or_default();
        let p = Pair { key: k.text.to_string(), key_span: e.key.span, value, value_span: e.value.span };
        if let Some(old) = out.iter_mut().find(|o| o.key == p.key) {
            *old = p;
        } else {
            out.push(p);
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Set the pairs in the maps at `specs` (labels and annotations transformers).
pub(crate) fn set_map_fields(resources: &mut [Resource], pairs: &[Pair], specs: &[FieldSpec], span: Span) {
    if pairs.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        let gvk = r.gvk();
        for fs in specs {
            if !gvk.is_selected_by(&fs.gvk) {
                continue;
            }
            let create = fs.create.then_some(CreateKind::Map);
            visit(&mut r.root, &fs.path, create, span, &mut |n| {
                if n.is_null() {
                    *n = Node::map(span);
                }
                if n.as_map().is_none() {
                    return;
                }
                for p in pairs {
                    set_entry(n, &p.key, Node::string(p.value.as_str(), p.value_span), p.key_span);
                }
            });
        }
    }
}

/// One `images:` entry.
#[derive(Clone, Debug)]
pub(crate) struct ImageSpec {
    pub(crate) matcher: Option<regex::Regex>,
    pub(crate) new_name: Option<String>,
    pub(crate) new_tag: Option<String>,
    pub(crate) digest: Option<String>,
    pub(crate) span: Span,
}

/// kustomize's `image.IsImageMatched` (kubernetes-sigs/kustomize@afe7793676
/// `api/internal/image/image.go`): the entry's name is spliced into a Go regular expression,
/// followed by an optional tag and digest (`a.b/c` matches `aXb/c:3`). `None` when Go cannot
/// compile it.
pub(crate) fn image_regex(name: &str) -> Option<regex::Regex> {
    let pattern = format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$");
    regex::Regex::new(&crate::go_regex::translate(&pattern).ok()?).ok()
}

/// kustomize's `image.Split`: name, tag, digest.
fn split_image(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let id = search.find('@');
    let ic = search.find(':');
    match (ic, id) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (ic, Some(d)) if ic.is_none_or(|c| d < c) => {
            let d = d + slash;
            (image[..d].to_string(), String::new(), image[d + 1..].to_string())
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + slash, d + slash);
            (image[..c].to_string(), image[c + 1..d].to_string(), image[d + 1..].to_string())
        }
        (Some(c), None) => {
            let c = c + slash;
            (image[..c].to_string(), image[c + 1..].to_string(), String::new())
        }
        (None, Some(_)) => unreachable_split(image),
    }
}

fn unreachable_split(image: &str) -> (String, String, String) {
    (image.to_string(), String::new(), String::new())
}

fn update_image(value: &str, spec: &ImageSpec) -> Option<String> {
    if !spec.matcher.as_ref().is_some_and(|re| re.is_match(value)) {
        return None;
    }
    let (mut name, mut tag, mut digest) = split_image(value);
    if let Some(n) = spec.new_name.as_deref().filter(|s| !s.is_empty()) {
        name = n.to_string();
    }
    let new_tag = spec.new_tag.as_deref().filter(|s| !s.is_empty());
    let new_digest = spec.digest.as_deref().filter(|s| !s.is_empty());
    match (new_tag, new_digest) {
        (Some(t), Some(d)) => {
            tag = t.to_string();
            digest = d.to_string();
        }
        (Some(t), None) => {
            tag = t.to_string();
            digest.clear();
        }
        (None, Some(d)) => {
            tag.clear();
            digest = d.to_string();
        }
        (None, None) => {}
    }
    if !tag.is_empty() {
        name = format!("{name}:{tag}");
    }
    if !digest.is_empty() {
        name = format!("{name}@{digest}");
    }
    Some(name)
}

/// `images:`: kustomize's legacy filter, which updates `image` in every item of every
/// `containers` / `initContainers` sequence anywhere in the object.
pub(crate) fn images(resources: &mut [Resource], specs: &[ImageSpec]) {
    for r in resources.iter_mut() {
        for spec in specs {
            images_in(&mut r.root, spec);
        }
    }
}

fn images_in(node: &mut Node, spec: &ImageSpec) {
    match &mut node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                let key = e.key.as_str().unwrap_or("");
                if key == "containers" || key == "initContainers" {
                    if let NodeKind::Seq(items) = &mut e.value.kind {
                        for item in items {
                            if let Some(img) = item.get_mut("image")
                                && let Some(new) = img.as_str().and_then(|v| update_image(v, spec))
                            {
                                *img = Node::string(new, spec.span);
                            }
                        }
                    }
                } else {
                    images_in(&mut e.value, spec);
                }
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                images_in(item, spec);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

/// One `replicas:` entry.
#[derive(Clone, Debug)]
pub(crate) struct ReplicaSpec {
    pub(crate) name: String,
    pub(crate) count: i64,
    pub(crate) span: Span,
    pub(crate) count_span: Span,
}

/// `replicas:`.
/// kustomize's `ReplicaCountTransformer` fails when no object of the build has the name and
/// a replicas field spec's kind (kubernetes-sigs/kustomize@12f9e639:api/internal/builtins/ReplicaCountTransformer.go
/// `Transform`: `if !found`). `incomplete`: the build left inputs out (a remote resource, a
/// plugin) where the object may be, so no match is not known to fail (an info, not an error).
pub(crate) fn replicas(
    resources: &mut [Resource],
    spec: &ReplicaSpec,
    specs: &[FieldSpec],
    incomplete: bool,
) -> Option<BuildIssue> {
    let mut found = false;
    for fs in specs {
        for r in resources.iter_mut() {
            if !r.any_ids().any(|id| id.name == spec.name && id.gvk.is_selected_by(&fs.gvk)) {
                continue;
            }
            found = true;
            let node = int_node(spec.count, spec.count_span);
            visit(&mut r.root, &fs.path, fs.create.then_some(CreateKind::Scalar), spec.count_span, &mut |n| {
                *n = node.clone();
            });
        }
    }
    if !found && incomplete {
        return Some(BuildIssue::input_unknown(
            spec.span,
            &format!("replicas: no object named `{}` has a replicas field", spec.name),
        ));
    }
    (!found).then(|| {
        BuildIssue::invalid(
            spec.span,
            true,
            format!("resource with name {} does not match a config with the replicas field specs", spec.name),
        )
    })
}

pub(crate) fn int_node(v: i64, span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Scalar(Scalar {
            text: v.to_string().into(),
            style: ScalarStyle::Plain,
            value: ScalarValue::Int(v),
            tag: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_split_and_match() {
        assert_eq!(split_image("nginx:1.0"), ("nginx".into(), "1.0".into(), String::new()));
        assert_eq!(
            split_image("localhost:5000/nginx:1.0"),
            ("localhost:5000/nginx".into(), "1.0".into(), String::new())
        );
        assert_eq!(split_image("nginx@sha256:abc"), ("nginx".into(), String::new(), "sha256:abc".into()));
        let m = |i: &str, n: &str| image_regex(n).is_some_and(|re| re.is_match(i));
        assert!(m("nginx:1.0", "nginx"));
        assert!(m("nginx@sha256:abc", "nginx"));
        assert!(m("aXb/c:3", "a.b/c"));
        assert!(!m("nginx-x:1.0", "nginx"));
        let spec = ImageSpec {
            matcher: image_regex("nginx"),
            new_name: None,
            new_tag: Some("2".into()),
            digest: None,
            span: Span::default(),
        };
        assert_eq!(update_image("nginx:1@sha256:x", &spec).as_deref(), Some("nginx:2"));
    }
}
