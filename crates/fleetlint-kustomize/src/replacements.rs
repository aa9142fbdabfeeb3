//! `replacements`: copy a field of one object into fields of others.

use fleetlint_yaml::{Limits, Node, NodeKind, ScalarStyle, ScalarValue, Span, parse_yaml};

use crate::issue::BuildIssue;
use crate::resource::{Gvk, MAX_OBJECT_NODES, Resource, set_entry};
use crate::selector::Selector;

/// Split a replacement field path on dots outside brackets; `\.` is a literal dot (kyaml's
/// `SmarterPathSplitter`: `data.config\.yaml` names the key `config.yaml`).
fn split(fp: &str) -> Vec<String> {
    // kubernetes-sigs/kustomize kyaml/utils/pathsplitter.go `PathSplitter`: split on `.`, a
    // piece ending in `\` joins the next one (an escaped delimiter).
    let mut pieces: Vec<String> = Vec::new();
    for p in fp.split('.') {
        match pieces.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(p);
            }
            _ => pieces.push(p.to_string()),
        }
    }
    // `SmarterPathSplitter`: a piece opening `[` without closing it runs to the piece that
    // closes it; the group keeps its brackets when it is a list entry selector (`[name=a.b]`)
    // and loses them when it is a map key holding dots (`data.[config.toml]`).
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let elem = &pieces[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut group = vec![elem.as_str()];
            while i < pieces.len() - 1 {
                i += 1;
                group.push(&pieces[i]);
                if pieces[i].ends_with(']') {
                    break;
                }
            }
            let joined = group.join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

fn seq_match(item: &Node, sel: &str) -> bool {
    match sel.split_once('=') {
        Some(("", v)) => item.as_str() == Some(v),
        Some((k, v)) => item.get(k).and_then(Node::as_str) == Some(v),
        None => false,
    }
}

/// Nodes at a field path (no creation).
fn lookup<'n>(node: &'n Node, path: &[String], out: &mut Vec<&'n Node>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(node);
        return;
    };
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        for item in node.as_seq().unwrap_or_default() {
            if seq_match(item, sel) {
                lookup(item, rest, out);
            }
        }
    } else if first == "*" {
        for item in node.as_seq().unwrap_or_default() {
            lookup(item, rest, out);
        }
    } else if let (Some(items), Ok(i)) = (node.as_seq(), first.parse::<usize>()) {
        if let Some(item) = items.get(i) {
            lookup(item, rest, out);
        }
    } else if let Some(child) = node.get(first) {
        lookup(child, rest, out);
    }
}

fn set_at(
    node: &mut Node,
    path: &[String],
    create: bool,
    span: Span,
    whole: &Node,
    f: &mut dyn FnMut(&mut Node),
) -> usize {
    let Some((first, rest)) = path.split_first() else {
        f(node);
        return 1;
    };
    if let Some(n) = set_in_structured_string(node, path, whole) {
        return n;
    }
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let mut n = 0;
        if let NodeKind::Seq(items) = &mut node.kind {
            for item in items.iter_mut() {
                if seq_match(item, sel) {
                    n += set_at(item, rest, create, span, whole, f);
                }
            }
        }
        return n;
    }
    if first == "*" {
        let mut n = 0;
        if let NodeKind::Seq(items) = &mut node.kind {
            for item in items.iter_mut() {
                n += set_at(item, rest, create, span, whole, f);
            }
        }
        return n;
    }
    if let (NodeKind::Seq(items), Ok(i)) = (&mut node.kind, first.parse::<usize>()) {
        return items.get_mut(i).map_or(0, |item| set_at(item, rest, create, span, whole, f));
    }
    if node.as_map().is_none() {
        return 0;
    }
    if node.get(first).is_none() {
        if !create {
            return 0;
        }
        let child = if rest.is_empty() { crate::fieldspec::null_node(span) } else { Node::map(span) };
        set_entry(node, first, child, span);
    }
    match node.get_mut(first) {
        Some(child) => set_at(child, rest, create, span, whole, f),
        None => 0,
    }
}

/// kustomize 5.8 (what Flux 2.9 builds with; 5.5 fails with "expected MappingNode but got
/// ScalarNode"): a field path that continues into a string holding YAML or JSON edits the
/// structured data inside it. The value replaces the target scalar in the string's text, in the
/// target's own quoting, so the rest of the embedded document keeps its formatting. As in 5.8,
/// `delimiter`/`index` options do not apply inside structured data (kustomize#6028).
fn set_in_structured_string(node: &mut Node, path: &[String], whole: &Node) -> Option<usize> {
    let scalar = node.as_scalar().filter(|s| s.value == ScalarValue::Str)?;
    let text = scalar.text.clone();
    let parsed = parse_yaml(node.span.file, &text, &Limits::default());
    let broken = parsed.is_broken();
    let doc = parsed.documents.into_iter().next()?.root;
    if !matches!(doc.kind, NodeKind::Map(_) | NodeKind::Seq(_)) || broken {
        return None;
    }
    let mut targets = Vec::new();
    lookup(&doc, path, &mut targets);
    let mut spans: Vec<(std::ops::Range<usize>, ScalarStyle)> =
        targets.iter().filter_map(|t| t.as_scalar().map(|s| (t.span.range(), s.style))).collect();
    if spans.is_empty() {
        return Some(0);
    }
    spans.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let value = whole.as_scalar().map_or_else(String::new, |s| s.text.to_string());
    let mut edited = text.to_string();
    for (range, style) in &spans {
        edited.replace_range(range.clone(), &render_scalar(&value, *style));
    }
    if let NodeKind::Scalar(s) = &mut node.kind {
        s.text = edited.into();
    }
    Some(spans.len())
}

/// `value` written in `style` (plain only where it stays a plain string).
fn render_scalar(value: &str, style: ScalarStyle) -> String {
    let double = || format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    match style {
        ScalarStyle::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
        ScalarStyle::Plain
            if !value.is_empty()
                && fleetlint_yaml::resolve_kyaml(value, ScalarStyle::Plain, None) == ScalarValue::Str
                && !value.contains(": ")
                && !value.contains(" #")
                && !value.starts_with(|c: char| "!&*-?{}[],#|>@`'\"%".contains(c)) =>
        {
            value.to_string()
        }
        _ => double(),
    }
}

fn options(n: Option<&Node>) -> (Option<String>, i64, bool) {
    let d = n.and_then(|o| o.get("delimiter")).and_then(Node::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let i = n.and_then(|o| o.get("index")).map(|x| x.to_json()).and_then(|v| v.as_i64()).unwrap_or(0);
    let c = n.and_then(|o| o.get("create")).and_then(Node::as_bool).unwrap_or(false);
    (d, i, c)
}

fn id_selected(r: &Resource, sel: &Node) -> bool {
    let s = |k: &str| sel.get(k).and_then(Node::as_str).unwrap_or("").to_string();
    let gvk = Gvk { group: s("group"), version: s("version"), kind: s("kind") };
    r.any_ids().any(|id| {
        (s("name").is_empty() || s("name") == id.name)
            && (s("namespace").is_empty() || {
                let mut t = id.clone();
                t.namespace = s("namespace");
                t.ns_equals(&id)
            })
            && id.gvk.is_selected_by(&gvk)
    })
}

/// The value a replacement copies: `sourceValue` (a literal, kustomize 5.6+, which Flux 2.9's
/// 5.8 accepts and 5.5 rejects as an unknown field), or the source object's field.
/// `incomplete`: the build left inputs out (a remote resource, a plugin), so a source found
/// nowhere may be among them: kustomize fails with "nothing selected" only when the complete
/// build has none (kubernetes-sigs/kustomize@12f9e639:api/filters/replacement/replacement.go
/// `selectSourceNode`), which fleetlint cannot know (an info, not an error).
fn source_value(resources: &[Resource], rep: &Node, incomplete: bool, issues: &mut Vec<BuildIssue>) -> Option<Node> {
    if let Some(literal) = rep.get("sourceValue") {
        if rep.get("source").is_some() {
            issues.push(BuildIssue::invalid(rep.span, true, "replacement has both source and sourceValue"));
            return None;
        }
        return Some(literal.clone());
    }
    let Some(source) = rep.get("source") else {
        issues.push(BuildIssue::invalid(rep.span, true, "replacement without source"));
        return None;
    };
    let matched: Vec<usize> = (0..resources.len()).filter(|&i| id_selected(&resources[i], source)).collect();
    if matched.is_empty() && incomplete {
        issues.push(BuildIssue::input_unknown(source.span, "nothing selected by replacement source"));
        return None;
    }
    if matched.len() != 1 {
        let what = if matched.is_empty() { "nothing selected by" } else { "multiple matches for" };
        issues.push(BuildIssue::invalid(source.span, true, format!("{what} replacement source")));
        return None;
    }
    let fp = source.get("fieldPath").and_then(Node::as_str).unwrap_or("metadata.name");
    let mut found = Vec::new();
    lookup(&resources[matched[0]].root, &split(fp), &mut found);
    let Some(mut value) = found.first().map(|n| (*n).clone()) else {
        issues.push(BuildIssue::invalid(
            source.span,
            true,
            format!("fieldPath `{fp}` is missing for replacement source"),
        ));
        return None;
    };
    let (sdelim, sidx, _) = options(source.get("options"));
    if let Some(d) = sdelim {
        let text = value.as_scalar().map(|s| s.text.to_string()).unwrap_or_default();
        let parts: Vec<&str> = text.split(d.as_str()).collect();
        let part = usize::try_from(sidx).ok().and_then(|i| parts.get(i)).copied().unwrap_or("");
        value = Node::string(part, value.span);
    }
    Some(value)
}

/// Apply replacement entries in order; `incomplete`: the build left inputs out (see
/// [`source_value`]).
pub(crate) fn apply(resources: &mut [Resource], list: &[Node], incomplete: bool) -> Vec<BuildIssue> {
    let mut issues = Vec::new();
    for rep in list {
        let Some(value) = source_value(resources, rep, incomplete, &mut issues) else { continue };
        for target in rep.get("targets").and_then(Node::as_seq).unwrap_or_default() {
            let Some(select) = target.get("select") else {
                issues.push(BuildIssue::invalid(target.span, true, "target must specify resources to select"));
                continue;
            };
            let Ok(sel) = Selector::from_node(select) else {
                issues.push(BuildIssue::invalid(select.span, true, "invalid target selector"));
                continue;
            };
            let rejects: Vec<Selector> = target
                .get("reject")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|r| Selector::from_node(r).ok())
                .collect();
            let (tdelim, tidx, create) = options(target.get("options"));
            let paths: Vec<String> = target
                .get("fieldPaths")
                .and_then(Node::as_seq)
                .map(|s| s.iter().filter_map(Node::as_str).map(str::to_string).collect())
                .unwrap_or_else(|| vec!["metadata.name".to_string()]);
            let value_nodes = value.count_nodes();
            for r in resources.iter_mut() {
                if !sel.matches(r) || rejects.iter().any(|x| x.matches(r)) {
                    continue;
                }
                for p in &paths {
                    // A field copied into a sibling doubles the object each time (see
                    // MAX_OBJECT_NODES); a path with wildcards writes a copy per match.
                    let mut found = Vec::new();
                    lookup(&r.root, &split(p), &mut found);
                    let growth = found.len().max(1).saturating_mul(value_nodes);
                    if r.root.count_nodes().saturating_add(growth) > MAX_OBJECT_NODES {
                        issues.push(BuildIssue::invalid(
                            target.span,
                            true,
                            format!(
                                "replacement would grow {} past {MAX_OBJECT_NODES} nodes; fleetlint stops here",
                                r.cur_id().describe()
                            ),
                        ));
                        break;
                    }
                    let n = set_at(&mut r.root, &split(p), create, value.span, &value, &mut |t| {
                        if let Some(d) = &tdelim {
                            let cur = t.as_scalar().map(|s| s.text.to_string()).unwrap_or_default();
                            let mut parts: Vec<String> = cur.split(d.as_str()).map(str::to_string).collect();
                            let v = value.as_scalar().map(|s| s.text.to_string()).unwrap_or_default();
                            match usize::try_from(tidx) {
                                Ok(i) if i < parts.len() => parts[i] = v,
                                Ok(_) => parts.push(v),
                                Err(_) => parts.insert(0, v),
                            }
                            *t = Node::string(parts.join(d), value.span);
                        } else {
                            *t = value.clone();
                        }
                    });
                    if n == 0 && !create {
                        issues.push(BuildIssue::invalid(
                            target.span,
                            true,
                            format!("unable to find field \"{p}\" in replacement target {}", r.cur_id().describe()),
                        ));
                    }
                }
            }
        }
    }
    issues
}

#[cfg(test)]
mod structured_tests {
    use super::*;
    use fleetlint_yaml::FileId;

    fn doc(text: &str) -> Node {
        parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0).root
    }

    /// Replacements copying `data` into a new sibling double the object: 40 of them exhausted
    /// memory (hostile-input suite). Past the node budget they fail instead.
    #[test]
    fn doubling_replacements_stop_at_the_node_budget() {
        let mut resources =
            vec![Resource::new(doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r\ndata:\n  a: b\n"))];
        let list: Vec<Node> = (0..40)
            .map(|i| {
                doc(&format!(
                    "source: {{kind: ConfigMap, name: r, fieldPath: data}}\ntargets:\n- select: {{kind: ConfigMap, name: r}}\n  fieldPaths: [data.x{i}]\n  options: {{create: true}}\n"
                ))
            })
            .collect();
        let issues = apply(&mut resources, &list, false);
        assert!(issues.iter().any(|i| i.fatal && i.message.contains("nodes; fleetlint stops here")), "{issues:?}");
        assert!(resources[0].root.count_nodes() <= MAX_OBJECT_NODES);
    }

    #[test]
    fn escaped_dots_name_one_key() {
        assert_eq!(split(r"data.config\.yaml.foo"), ["data", "config.yaml", "foo"]);
        assert_eq!(split("spec.containers.[name=web].image"), ["spec", "containers", "[name=web]", "image"]);
    }

    #[test]
    fn a_path_into_embedded_yaml_or_json_edits_it_in_place_as_kustomize_5_8_does() {
        let mut cm = doc(
            "data:\n  config.yaml: |\n    foo: a/b/c # keep\n    other: 1\n  config.json: '{\"a\": {\"b\": \"x\"}, \"c\": 2}'\n",
        );
        let value = Node::string("new value", Span::default());
        let mut replace = |t: &mut Node| *t = value.clone();
        let yaml = set_at(&mut cm, &split(r"data.config\.yaml.foo"), false, Span::default(), &value, &mut replace);
        let json = set_at(&mut cm, &split(r"data.config\.json.a.b"), false, Span::default(), &value, &mut replace);
        assert_eq!((yaml, json), (1, 1));
        let text = |k: &str| cm.get_path(&["data", k]).and_then(Node::as_str).unwrap().to_string();
        assert_eq!(text("config.yaml"), "foo: new value # keep\nother: 1\n");
        assert_eq!(text("config.json"), "{\"a\": {\"b\": \"new value\"}, \"c\": 2}");
        // A path that does not exist inside the embedded document is still "not found".
        let missing = set_at(&mut cm, &split(r"data.config\.yaml.nope"), false, Span::default(), &value, &mut replace);
        assert_eq!(missing, 0);
    }
}
