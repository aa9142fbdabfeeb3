//! Name-reference fix-ups (kustomize's `nameReferenceTransformer`): after prefixes, suffixes,
//! namespaces and hashes changed names, rewrite the fields that refer to those objects.

use std::collections::HashMap;

use fleetlint_yaml::{Node, NodeKind, Span};

use crate::fieldspec::{FieldSpec, TransformerConfig, visit};
use crate::issue::BuildIssue;
use crate::resource::{Gvk, ResId, Resource, set_entry};

struct Snapshot {
    prev_ids: Vec<ResId>,
    cur: ResId,
    org: ResId,
    name_span: Span,
    ns_span: Span,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    let diff = long.len() - short.len();
    if short.is_empty() {
        return diff == 0;
    }
    short.iter().enumerate().all(|(i, s)| &long[i + diff] == s)
}

struct Ctx<'a> {
    snaps: &'a [Snapshot],
    /// Objects by each name they had before (the only ones a reference can be rewritten to).
    by_name: &'a HashMap<&'a str, Vec<usize>>,
    /// Whether an object is in the referrer's reach (its namespace, cluster-scoped, bound).
    candidate: &'a dyn Fn(usize) -> bool,
    referrer: usize,
    target: &'a Gvk,
    role_ref: Option<Gvk>,
    error: Option<String>,
}

impl Ctx<'_> {
    /// The candidates that once were called `old`, in resource order.
    fn named(&self, old: &str) -> Vec<usize> {
        self.by_name.get(old).map_or_else(Vec::new, |v| v.iter().copied().filter(|&i| (self.candidate)(i)).collect())
    }

    fn select(&mut self, old: &str, candidates: &[usize], with_ns: bool) -> Option<usize> {
        let me = &self.snaps[self.referrer];
        let c: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| self.snaps[i].prev_ids.iter().any(|id| id.name == old))
            .filter(|&i| self.snaps[i].prev_ids.iter().any(|id| id.gvk.is_selected_by(self.target)))
            .filter(|&i| {
                self.role_ref.as_ref().is_none_or(|g| self.snaps[i].prev_ids.iter().any(|id| id.gvk.is_selected_by(g)))
            })
            .filter(|&i| {
                me.cur.is_cluster_scoped()
                    || self.snaps[i].cur.is_cluster_scoped()
                    || self.snaps[i].cur.gvk.kind == "ServiceAccount"
                    || me.cur.ns_equals(&self.snaps[i].cur)
            })
            .collect();
        if c.len() == 1 {
            return Some(c[0]);
        }
        let c: Vec<usize> = c
            .into_iter()
            .filter(|&i| {
                same_ending(&self.snaps[i].prefixes, &me.prefixes) && same_ending(&self.snaps[i].suffixes, &me.suffixes)
            })
            .collect();
        match c.len() {
            0 => None,
            1 => Some(c[0]),
            _ => {
                let first = &self.snaps[c[0]].cur;
                if c.iter().all(|&i| {
                    let s = &self.snaps[i].cur;
                    s.name == first.name && (!with_ns || s.namespace == first.namespace)
                }) {
                    Some(c[0])
                } else {
                    let ids: Vec<String> = c.iter().map(|&i| self.snaps[i].cur.describe()).collect();
                    self.error = Some(format!("found multiple possible referrals for {old:?}: {}", ids.join(", ")));
                    None
                }
            }
        }
    }

    fn set_scalar(&mut self, node: &mut Node) {
        let Some(old) = node.as_str().map(str::to_string) else { return };
        let candidates = self.named(&old);
        if let Some(i) = self.select(&old, &candidates, false) {
            let s = &self.snaps[i];
            if s.cur.name != old {
                *node = Node::string(s.cur.name.as_str(), s.name_span);
            }
        }
    }

    fn set_mapping(&mut self, node: &mut Node) {
        let Some(old) = node.get("name").and_then(Node::as_str).map(str::to_string) else {
            self.error = Some("path config error; no 'name' field in node".into());
            return;
        };
        let candidates = self.named(&old);
        let subset: Vec<usize> = match node.get("namespace").and_then(Node::as_str) {
            None => candidates.clone(),
            Some(ns) => {
                let want = if ns.is_empty() { "default" } else { ns };
                let by_org: Vec<usize> =
                    candidates.iter().copied().filter(|&i| self.snaps[i].org.effective_namespace() == want).collect();
                if by_org.is_empty() {
                    candidates.iter().copied().filter(|&i| self.snaps[i].cur.effective_namespace() == want).collect()
                } else {
                    by_org
                }
            }
        };
        let Some(i) = self.select(&old, &subset, true) else { return };
        let s = &self.snaps[i];
        if s.cur.name == old && s.cur.namespace.is_empty() {
            return;
        }
        if s.cur.name != old {
            set_entry(node, "name", Node::string(s.cur.name.as_str(), s.name_span), s.name_span);
        }
        if !s.cur.namespace.is_empty() && node.get("namespace").and_then(Node::as_str) != Some(s.cur.namespace.as_str())
        {
            set_entry(node, "namespace", Node::string(s.cur.namespace.as_str(), s.ns_span), s.ns_span);
        }
    }

    fn set(&mut self, node: &mut Node) {
        match &mut node.kind {
            NodeKind::Scalar(_) => {
                if !node.is_null() {
                    self.set_scalar(node);
                }
            }
            NodeKind::Map(_) => self.set_mapping(node),
            NodeKind::Seq(items) => {
                for item in items {
                    match item.kind {
                        NodeKind::Scalar(_) => self.set_scalar(item),
                        NodeKind::Map(_) => self.set_mapping(item),
                        NodeKind::Seq(_) => {}
                    }
                }
            }
        }
    }
}

fn role_binding_namespaces(r: &Resource) -> Vec<String> {
    if r.kind() != "RoleBinding" {
        return Vec::new();
    }
    r.root
        .get("subjects")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("kind").and_then(Node::as_str) == Some("ServiceAccount"))
        .filter_map(|s| s.get("namespace").and_then(Node::as_str).map(str::to_string))
        .collect()
}

/// The referrer field specs of a configuration by the kind they name (a spec without a kind
/// applies to every kind), as `(back reference, referrer)` positions in `name_reference`.
/// Thousands of small builds ask which of the hundreds of built-in specs apply to the same few
/// kinds: the built-in table is made once per process.
struct ReferrerTable {
    by_kind: HashMap<String, Vec<(usize, usize)>>,
    any_kind: Vec<(usize, usize)>,
}

impl ReferrerTable {
    fn new(tc: &TransformerConfig) -> Self {
        let mut table = Self { by_kind: HashMap::new(), any_kind: Vec::new() };
        for (b, br) in tc.name_reference.iter().enumerate() {
            for (f, fs) in br.referrers.iter().enumerate() {
                if fs.gvk.kind.is_empty() {
                    table.any_kind.push((b, f));
                } else {
                    table.by_kind.entry(fs.gvk.kind.clone()).or_default().push((b, f));
                }
            }
        }
        table
    }

    fn builtin() -> &'static Self {
        static TABLE: std::sync::OnceLock<ReferrerTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| Self::new(crate::fieldspec::builtin()))
    }

    /// The (target, referrer spec) pairs of `tc` (the configuration the table was made from) that
    /// select objects of `gvk`, in the configuration's order.
    fn filters<'t>(&self, tc: &'t TransformerConfig, gvk: &Gvk) -> Vec<(&'t Gvk, &'t FieldSpec)> {
        let mut at: Vec<(usize, usize)> =
            self.by_kind.get(gvk.kind.as_str()).into_iter().flatten().chain(&self.any_kind).copied().collect();
        at.sort_unstable();
        at.into_iter()
            .map(|(b, f)| (&tc.name_reference[b].gvk, &tc.name_reference[b].referrers[f]))
            .filter(|(_, fs)| gvk.is_selected_by(&fs.gvk))
            .collect()
    }
}

/// Fix every name reference in `resources`.
pub(crate) fn fix(resources: &mut [Resource], tc: &TransformerConfig, span: Span) -> Vec<BuildIssue> {
    let snaps: Vec<Snapshot> = resources
        .iter()
        .map(|r| Snapshot {
            prev_ids: r.prev_ids.clone(),
            cur: r.cur_id(),
            org: r.org_id(),
            name_span: r.root.get_path(&["metadata", "name"]).map_or(r.root.span, |n| n.span),
            ns_span: r.root.get_path(&["metadata", "namespace"]).map_or(r.root.span, |n| n.span),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        })
        .collect();
    // References are looked up by the names objects had, then checked for reach, so a tenants
    // overlay with thousands of RoleBindings and Namespaces stays linear.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, snap) in snaps.iter().enumerate() {
        for id in &snap.prev_ids {
            let v = by_name.entry(id.name.as_str()).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
    }
    let mut issues = Vec::new();
    let own_table;
    let table = if std::ptr::eq(tc, crate::fieldspec::builtin()) {
        ReferrerTable::builtin()
    } else {
        own_table = ReferrerTable::new(tc);
        &own_table
    };
    // The referrer field specs that apply to a kind, worked out once per kind of the build.
    let mut filters_by_gvk: HashMap<&Gvk, Vec<(&Gvk, &FieldSpec)>> = HashMap::new();
    for (ri, r) in resources.iter_mut().enumerate() {
        let org = &snaps[ri].org.gvk;
        let filters = filters_by_gvk.entry(org).or_insert_with(|| table.filters(tc, org));
        if filters.is_empty() {
            continue;
        }
        let me = &snaps[ri].cur;
        let rb_ns = role_binding_namespaces(r);
        let candidate = |i: usize| {
            me.is_cluster_scoped()
                || snaps[i].cur.is_cluster_scoped()
                || snaps[i].cur.ns_equals(me)
                || rb_ns.contains(&snaps[i].cur.namespace)
        };
        for &(target, fs) in filters.iter() {
            let role_ref = if fs.path_text.ends_with("roleRef/name") {
                let rr = r.root.get("roleRef");
                let g = rr.and_then(|n| n.get("apiGroup")).and_then(Node::as_str);
                let k = rr.and_then(|n| n.get("kind")).and_then(Node::as_str);
                match (g, k) {
                    (Some(g), Some(k)) => {
                        Some(Gvk { group: g.to_string(), version: String::new(), kind: k.to_string() })
                    }
                    _ => None,
                }
            } else {
                None
            };
            let mut ctx = Ctx {
                snaps: &snaps,
                by_name: &by_name,
                candidate: &candidate,
                referrer: ri,
                target,
                role_ref,
                error: None,
            };
            visit(&mut r.root, &fs.path, None, span, &mut |n| ctx.set(n));
            if let Some(e) = ctx.error {
                issues.push(BuildIssue::invalid(
                    span,
                    true,
                    format!("updating name reference in {}: {e}", fs.path_text),
                ));
            }
        }
    }
    issues
}
