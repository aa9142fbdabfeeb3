use std::collections::{HashMap, VecDeque};

use super::helpers::naming::short_id;
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::FluxGraph;

declare_rule! {
    /// ## What it does
    /// Reports a cycle in the `dependsOn` graph of the Kustomizations, or of the HelmReleases, of
    /// one cluster, a self-reference included. The whole cycle is named, as Flux's own sorter
    /// prints it (`ns/a -> ns/b -> ns/a`), once per set of objects that depend on each other
    /// (not once per member); every member's dependsOn entry inside the set is listed as a
    /// related location. The finding points at the entry of the member whose `namespace/name`
    /// sorts first, so it is stable across clusters and runs.
    ///
    /// ## Why is this bad?
    /// No member ever reconciles: each waits for another that waits for it. For Kustomizations,
    /// kustomize-controller also sorts every Kustomization sharing a source on each new
    /// revision; the sort fails on the cycle (*circular dependency detected*) and the revision
    /// events for *all* of them are dropped (fluxcd/kustomize-controller#1712).
    ///
    /// ## Example
    /// ```yaml
    /// kind: Kustomization
    /// metadata: {name: a, namespace: flux-system}
    /// spec:
    ///   dependsOn: [{name: b}]
    /// ---
    /// kind: Kustomization
    /// metadata: {name: b, namespace: flux-system}
    /// spec:
    ///   dependsOn: [{name: a}]
    /// ```
    ///
    /// ## Fix
    /// Remove the entry that closes the cycle: decide which object really has to come first.
    pub(crate) struct DependsonCycle {
        code: "ORD002",
        name: "dependson-cycle",
        category: Category::DependencyOrder,
        severity: Severity::Error,
    }
}

/// Cycle paths longer than this are shortened in the message (the related locations keep
/// every entry).
const MAX_NAMED: usize = 12;

impl Rule for DependsonCycle {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let g = cx.graph();
        for cycle in cycles(g) {
            if let Some(f) = finding(cx, g, &cycle) {
                out.push(f);
            }
        }
    }
}

fn finding(cx: &ClusterContext<'_>, g: &FluxGraph<'_>, cycle: &Cycle) -> Option<Finding> {
    let first = &g.deps[*cycle.path.first()?];
    let start = g.canon[first.from];
    let kind = g.object(start).kind();
    let mut names: Vec<String> = cycle.path.iter().map(|&d| short_id(g.object(g.canon[g.deps[d].from]))).collect();
    names.push(short_id(g.object(start)));
    let shown = if names.len() > MAX_NAMED {
        let hidden = names.len() - MAX_NAMED;
        let mut v = names[..MAX_NAMED / 2].to_vec();
        v.push(format!("... {hidden} more ..."));
        v.extend_from_slice(&names[names.len() - MAX_NAMED / 2..]);
        v
    } else {
        names.clone()
    };
    let mut message = format!("{kind} dependsOn cycle: {}", shown.join(" -> "));
    let count = cycle.members.len();
    if count > cycle.path.len() {
        let mut members: Vec<String> = cycle.members.iter().take(MAX_NAMED).map(|&m| short_id(g.object(m))).collect();
        if count > MAX_NAMED {
            members.push(format!("... {} more", count - MAX_NAMED));
        }
        message.push_str(&format!(" ({count} {kind}s depend on each other: {})", members.join(", ")));
    }
    message.push_str(if count == 1 { ": it never reconciles" } else { ": none of them ever reconciles" });
    let mut f = Finding::new(DependsonCycle::ID, first.name_span, message)
        .with_help("remove the dependsOn entry that closes the cycle")
        .with_field("spec.dependsOn");
    // Every member's entries inside the set, in member order.
    let mut inside = vec![false; g.cluster.objects.len()];
    cycle.members.iter().for_each(|&m| inside[m] = true);
    for &m in &cycle.members {
        for &d in &g.out[m] {
            let dep = &g.deps[d];
            if dep.target.is_some_and(|t| inside[t]) {
                f = f.with_related(
                    dep.name_span,
                    format!("{} depends on {}/{}", short_id(g.object(m)), dep.namespace, dep.name),
                );
            }
        }
    }
    // A cycle made only of synthesized objects is not the repository's doing.
    if g.object(first.from).synthesized {
        return None;
    }
    Some(cx.about(f, first.from))
}

/// One dependsOn cycle: a strongly connected set of nodes, and one cycle through it.
#[derive(Debug)]
struct Cycle {
    /// The entries (indices in [`FluxGraph::deps`]) along one cycle, starting at the member with
    /// the smallest `namespace/name` (stable across clusters and runs) and ending back there.
    path: Vec<usize>,
    /// Every member of the strongly connected set (canonical object indices), sorted.
    members: Vec<usize>,
}

/// The dependsOn cycles: one per strongly connected set of nodes with more than one member
/// or a self-reference (Tarjan's algorithm with an explicit stack: no recursion, linear in
/// nodes and entries).
fn cycles(g: &FluxGraph<'_>) -> Vec<Cycle> {
    const UNSEEN: usize = usize::MAX;
    let n = g.cluster.objects.len();
    let (mut order, mut low) = (vec![UNSEEN; n], vec![0usize; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut calls): (Vec<usize>, Vec<(usize, usize)>) = (Vec::new(), Vec::new());
    let mut counter = 0;
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for s in 0..n {
        if g.canon[s] != s || g.out[s].is_empty() || order[s] != UNSEEN {
            continue;
        }
        order[s] = counter;
        low[s] = counter;
        counter += 1;
        stack.push(s);
        on_stack[s] = true;
        calls.push((s, 0));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if let Some(&d) = g.out[v].get(*pos) {
                *pos += 1;
                let Some(w) = g.deps[d].target else { continue };
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == order[v] {
                let mut set = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    set.push(w);
                    if w == v {
                        break;
                    }
                }
                let self_loop = || g.out[v].iter().any(|&d| g.deps[d].target == Some(v));
                if set.len() > 1 || self_loop() {
                    sets.push(set);
                }
            }
        }
    }
    let mut member = vec![false; n];
    sets.into_iter()
        .map(|mut set| {
            set.sort_unstable();
            set.iter().for_each(|&m| member[m] = true);
            let start = *set
                .iter()
                .min_by(|&&a, &&b| {
                    let (oa, ob) = (g.object(a), g.object(b));
                    (oa.namespace(), oa.name()).cmp(&(ob.namespace(), ob.name()))
                })
                .expect("non-empty set");
            let path = cycle_through(g, start, &member);
            set.iter().for_each(|&m| member[m] = false);
            Cycle { path, members: set }
        })
        .collect()
}

/// The shortest cycle from `start` back to it through members only (breadth first).
fn cycle_through(g: &FluxGraph<'_>, start: usize, member: &[bool]) -> Vec<usize> {
    let mut via: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &d in &g.out[v] {
            let Some(w) = g.deps[d].target.filter(|&w| member[w]) else { continue };
            if w == start {
                let mut path = vec![d];
                let mut cur = v;
                while cur != start {
                    let e = via[&cur];
                    path.push(e);
                    cur = g.canon[g.deps[e].from];
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = via.entry(w) {
                e.insert(d);
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}
