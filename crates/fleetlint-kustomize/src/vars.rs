//! `vars`: the legacy `$(VAR)` substitution, resolved once at the top level after names are
//! final.

use fleetlint_yaml::{Node, NodeKind, Span};

use crate::fieldspec::{TransformerConfig, visit};
use crate::issue::BuildIssue;
use crate::resource::{Gvk, ResId, Resource};

/// A declared var.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    pub(crate) name: String,
    target: ResId,
    field_path: String,
    span: Span,
}

impl Var {
    pub(crate) fn from_node(n: &Node) -> Result<Self, BuildIssue> {
        let name = n.get("name").and_then(Node::as_str).unwrap_or("").to_string();
        if name.is_empty() {
            return Err(BuildIssue::invalid(n.span, true, "var without a name"));
        }
        let objref = n.get("objref").or_else(|| n.get("objRef"));
        let s = |k: &str| objref.and_then(|o| o.get(k)).and_then(Node::as_str).unwrap_or("").to_string();
        let mut gvk = Gvk::from_api_version(&s("apiVersion"), &s("kind"));
        if gvk.group.is_empty() && !s("group").is_empty() {
            gvk.group = s("group");
        }
        if gvk.version.is_empty() && !s("version").is_empty() {
            gvk.version = s("version");
        }
        let field_path = n
            .get("fieldref")
            .or_else(|| n.get("fieldRef"))
            .and_then(|f| f.get("fieldpath").or_else(|| f.get("fieldPath")))
            .and_then(Node::as_str)
            .unwrap_or("metadata.name")
            .to_string();
        Ok(Self { name, target: ResId { gvk, name: s("name"), namespace: s("namespace") }, field_path, span: n.span })
    }
}

/// Record on the matching resource that it provides `var` (kustomize's `MergeVars`).
pub(crate) fn mark_referenced(resources: &mut [Resource], var: &Var, issues: &mut Vec<BuildIssue>) {
    let t = &var.target;
    let strict = !t.namespace.is_empty() || !t.gvk.is_namespaceable();
    let matched: Vec<usize> = (0..resources.len())
        .filter(|&i| {
            let o = resources[i].org_id();
            let gvkn = o.name == t.name && o.gvk.is_selected_by(&t.gvk) && o.gvk.kind == t.gvk.kind;
            gvkn && (!strict || o.ns_equals(t))
        })
        .collect();
    if matched.len() > 1 {
        issues.push(BuildIssue::invalid(
            var.span,
            true,
            format!("found {} resId matches for var {} (unable to disambiguate)", matched.len(), var.name),
        ));
    } else if let Some(&i) = matched.first() {
        resources[i].ref_var_names.push(var.name.clone());
    }
}

/// Add `var` to the set; a name declared twice is an error.
pub(crate) fn merge_var(vars: &mut Vec<Var>, var: Var, issues: &mut Vec<BuildIssue>) {
    if vars.iter().any(|v| v.name == var.name) {
        issues.push(BuildIssue::invalid(var.span, true, format!("var '{}' already encountered", var.name)));
        return;
    }
    vars.push(var);
}

/// Follow a `a.b[0].c` field path.
pub(crate) fn field_at<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = root;
    for part in path.split('.') {
        let (name, idx) = match part.find('[') {
            Some(i) => (&part[..i], part[i + 1..].trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            node = node.get(name)?;
        }
        if let Some(i) = idx {
            node = node.as_seq()?.get(i)?;
        }
    }
    Some(node)
}

/// Substitute `$(NAME)` in the var-reference fields of every resource.
pub(crate) fn resolve(resources: &mut [Resource], vars: &[Var], tc: &TransformerConfig, span: Span) -> Vec<BuildIssue> {
    let mut issues = Vec::new();
    let mut values: Vec<(String, Node)> = Vec::new();
    for v in vars {
        let provider = resources.iter().find(|r| r.ref_var_names.contains(&v.name));
        match provider.and_then(|r| field_at(&r.root, &v.field_path)) {
            Some(n) => values.push((v.name.clone(), n.clone())),
            None => issues.push(BuildIssue::invalid(
                v.span,
                true,
                format!("var '{}' cannot be mapped to a field in the set of known resources", v.name),
            )),
        }
    }
    if values.is_empty() {
        return issues;
    }
    for r in resources.iter_mut() {
        let gvk = r.gvk();
        for fs in &tc.var_reference {
            if !gvk.is_selected_by(&fs.gvk) {
                continue;
            }
            visit(&mut r.root, &fs.path, None, span, &mut |n| substitute(n, &values));
        }
    }
    issues
}

fn substitute(node: &mut Node, values: &[(String, Node)]) {
    match &mut node.kind {
        NodeKind::Seq(items) => {
            for i in items {
                substitute(i, values);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                substitute(&mut e.value, values);
            }
        }
        NodeKind::Scalar(s) => {
            if s.value != fleetlint_yaml::ScalarValue::Str || !s.text.contains("$(") {
                return;
            }
            let text = s.text.to_string();
            for (name, v) in values {
                if text == format!("$({name})") {
                    *node = v.clone();
                    return;
                }
            }
            let mut out = String::new();
            let mut rest = text.as_str();
            let mut changed = false;
            let mut span = node.span;
            while let Some(i) = rest.find("$(") {
                if i > 0 && rest.as_bytes()[i - 1] == b'$' {
                    out.push_str(&rest[..i - 1]);
                    out.push_str("$(");
                    rest = &rest[i + 2..];
                    changed = true;
                    continue;
                }
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                let Some(end) = after.find(')') else {
                    out.push_str(&rest[i..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                match values.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => {
                        out.push_str(v.as_scalar().map(|s| &*s.text).unwrap_or(""));
                        span = v.span;
                        changed = true;
                    }
                    None => out.push_str(&rest[i..i + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            if changed {
                *node = Node::string(out, span);
            }
        }
    }
}
