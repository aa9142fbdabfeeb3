//! `replacements`: copy a field of one object into fields of others.

use fleetlint_yaml::{Node, NodeKind, Span};

use crate::issue::BuildIssue;
use crate::resource::{Gvk, Resource, set_entry};
use crate::selector::Selector;

/// Split a replacement field path on dots outside brackets.
fn split(fp: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in fp.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth -= 1;
                cur.push(c);
            }
            '.' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
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

fn set_at(node: &mut Node, path: &[String], create: bool, span: Span, f: &mut dyn FnMut(&mut Node)) -> usize {
    let Some((first, rest)) = path.split_first() else {
        f(node);
        return 1;
    };
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let mut n = 0;
        if let NodeKind::Seq(items) = &mut node.kind {
            for item in items.iter_mut() {
                if seq_match(item, sel) {
                    n += set_at(item, rest, create, span, f);
                }
            }
        }
        return n;
    }
    if first == "*" {
        let mut n = 0;
        if let NodeKind::Seq(items) = &mut node.kind {
            for item in items.iter_mut() {
                n += set_at(item, rest, create, span, f);
            }
        }
        return n;
    }
    if let (NodeKind::Seq(items), Ok(i)) = (&mut node.kind, first.parse::<usize>()) {
        return items.get_mut(i).map_or(0, |item| set_at(item, rest, create, span, f));
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
        Some(child) => set_at(child, rest, create, span, f),
        None => 0,
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

/// Apply replacement entries in order.
pub(crate) fn apply(resources: &mut [Resource], list: &[Node]) -> Vec<BuildIssue> {
    let mut issues = Vec::new();
    for rep in list {
        let Some(source) = rep.get("source") else {
            issues.push(BuildIssue::invalid(rep.span, true, "replacement without source"));
            continue;
        };
        let matched: Vec<usize> = (0..resources.len()).filter(|&i| id_selected(&resources[i], source)).collect();
        if matched.len() != 1 {
            let what = if matched.is_empty() { "nothing selected by" } else { "multiple matches for" };
            issues.push(BuildIssue::invalid(source.span, true, format!("{what} replacement source")));
            continue;
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
            continue;
        };
        let (sdelim, sidx, _) = options(source.get("options"));
        if let Some(d) = sdelim {
            let text = value.as_scalar().map(|s| s.text.to_string()).unwrap_or_default();
            let parts: Vec<&str> = text.split(d.as_str()).collect();
            let part = usize::try_from(sidx).ok().and_then(|i| parts.get(i)).copied().unwrap_or("");
            value = Node::string(part, value.span);
        }
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
            for r in resources.iter_mut() {
                if !sel.matches(r) || rejects.iter().any(|x| x.matches(r)) {
                    continue;
                }
                for p in &paths {
                    let n = set_at(&mut r.root, &split(p), create, value.span, &mut |t| {
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
