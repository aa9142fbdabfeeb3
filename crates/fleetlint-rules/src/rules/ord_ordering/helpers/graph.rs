//! The graph the ORD rules share (docs/flux-semantics.md, "Rule groups"). Per cluster: the Flux Kustomizations and
//! HelmReleases are nodes, identified by their post-build kind, namespace and name; `dependsOn`
//! entries are edges to a node of the *same kind* (namespace defaulting to the referrer's); and
//! every object has a parent edge from the object that rendered it (`owner`).
//!
//! On top of that, [`Graph::availability`] answers "is X in place before this Kustomization
//! applies?" for what ORD003-ORD006 need (a CRD, a Namespace, admission policies).
//!
//! Every traversal is iterative and linear in objects + edges: real fleets are small, but a
//! generated one can have tens of thousands of Kustomizations in one chain or one cycle, and a
//! recursive walk would overflow the stack.

use std::collections::{HashMap, VecDeque};

use fleetlint_fleet::{Cluster, RenderedObject, SourceResolution};
use fleetlint_yaml::{FluxKind, Node, Span};

/// One `dependsOn` entry.
#[derive(Debug)]
pub(crate) struct Dep<'c> {
    /// The object declaring it.
    pub from: usize,
    /// The entry (a mapping with `name`, `namespace`, `readyExpr`).
    pub entry: &'c Node,
    /// `name`.
    pub name: &'c str,
    /// Where `name` is written.
    pub name_span: Span,
    /// The entry's namespace, else the referrer's.
    pub namespace: &'c str,
    /// Name or namespace still hold `${...}`: an unresolved substitution (SRC007's business).
    pub templated: bool,
    /// The node of the same kind it names (canonical object index).
    pub target: Option<usize>,
}

/// Whether something is in place before a node applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Avail {
    /// Not before it.
    No,
    /// Only because `via` (a dependsOn target, or an ancestor's) renders the provider further
    /// down, and `parent` does not wait for its child `child` on the way: `via` can be Ready
    /// before the provider has done its work (ORD005).
    Indirect { via: usize, parent: usize, child: usize },
    /// Applied by the node itself in an earlier stage, by an ancestor, or by something it
    /// (transitively) waits for.
    Direct,
}

/// The dependsOn and render graph of one cluster.
pub(crate) struct Graph<'c> {
    /// The cluster.
    pub cluster: &'c Cluster,
    /// Per object: the first object with the same Flux identity (nodes only; itself otherwise).
    /// Two Kustomizations rendering the same object make copies (SRC004); they are one node.
    pub canon: Vec<usize>,
    /// Every dependsOn entry, in object order.
    pub deps: Vec<Dep<'c>>,
    /// Per canonical node: the entries (indices in `deps`) of all its copies.
    pub out: Vec<Vec<usize>>,
    /// Per canonical node: the entries (indices in `deps`) that name it.
    pub dependents: Vec<Vec<usize>>,
    /// Per object: the object that rendered it (never itself).
    pub parent: Vec<Option<usize>>,
    /// Per object: the Flux objects it rendered that take part in ordering (Kustomizations,
    /// HelmReleases, ResourceSets).
    pub children: Vec<Vec<usize>>,
    /// Per object: its entry in `cluster.kustomizations`.
    knode: Vec<Option<usize>>,
    index: HashMap<(FluxKind, &'c str, &'c str), usize>,
}

/// Kustomizations and HelmReleases: the nodes that can depend on each other.
pub(crate) fn is_node(o: &RenderedObject) -> bool {
    matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::HelmRelease))
}

/// Objects that apply other objects themselves: Kustomizations and ResourceSets.
pub(crate) fn is_renderer(o: &RenderedObject) -> bool {
    matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::ResourceSet))
}

/// The span of `path` under `root`, else of the nearest existing ancestor key, else the root.
pub(crate) fn field_span(root: &Node, path: &[&str]) -> Span {
    root.get_path(path).map_or_else(|| root.nearest_key(path).map_or(root.span, |n| n.span), |n| n.span)
}

/// `namespace/name` of an object.
pub(crate) fn short_id(o: &RenderedObject) -> String {
    format!("{}/{}", o.namespace(), o.name())
}

/// `Kind namespace/name` of an object (`Kind name` when cluster-scoped).
pub(crate) fn describe(o: &RenderedObject) -> String {
    if o.namespace().is_empty() {
        format!("{} {}", o.kind(), o.name())
    } else {
        format!("{} {}/{}", o.kind(), o.namespace(), o.name())
    }
}

/// Where an object's name is written (for related spans).
pub(crate) fn name_span(o: &RenderedObject) -> Span {
    field_span(&o.root, &["metadata", "name"])
}

impl<'c> Graph<'c> {
    /// Build the graph of `cluster`.
    #[must_use]
    pub(crate) fn new(cluster: &'c Cluster) -> Self {
        let objects = &cluster.objects;
        let n = objects.len();
        let mut index = HashMap::new();
        let mut canon: Vec<usize> = (0..n).collect();
        for (i, o) in objects.iter().enumerate() {
            if is_node(o) {
                let kind = o.flux_kind().expect("node kind");
                canon[i] = *index.entry((kind, o.namespace(), o.name())).or_insert(i);
            }
        }
        let parent: Vec<Option<usize>> =
            objects.iter().enumerate().map(|(i, o)| o.owner.filter(|&p| p != i && p < n)).collect();
        let mut children = vec![Vec::new(); n];
        for (i, o) in objects.iter().enumerate() {
            if let Some(p) = parent[i].filter(|_| is_node(o) || is_renderer(o)) {
                children[p].push(i);
            }
        }
        let mut knode = vec![None; n];
        for (k, node) in cluster.kustomizations.iter().enumerate() {
            if node.object < n {
                knode[node.object].get_or_insert(k);
            }
        }
        let mut g = Graph {
            cluster,
            canon,
            deps: Vec::new(),
            out: vec![Vec::new(); n],
            dependents: vec![Vec::new(); n],
            parent,
            children,
            knode,
            index,
        };
        for (i, o) in objects.iter().enumerate() {
            let start = g.deps.len();
            if is_node(o) {
                let kind = o.flux_kind().expect("node kind");
                for entry in o.root.get_path(&["spec", "dependsOn"]).and_then(Node::as_seq).unwrap_or_default() {
                    let Some(name_node) = entry.get("name") else { continue };
                    let Some(name) = name_node.as_str().filter(|s| !s.is_empty()) else { continue };
                    let ns_node = entry.get("namespace").and_then(Node::as_str).filter(|s| !s.is_empty());
                    let namespace = ns_node.unwrap_or(o.namespace());
                    let templated = name.contains("${") || namespace.contains("${");
                    let target = g.index.get(&(kind, namespace, name)).copied();
                    g.deps.push(Dep { from: i, entry, name, name_span: name_node.span, namespace, templated, target });
                }
            }
            let c = g.canon[i];
            g.out[c].extend(start..g.deps.len());
            for d in start..g.deps.len() {
                if let Some(t) = g.deps[d].target {
                    g.dependents[t].push(d);
                }
            }
        }
        g
    }

    /// The object at `i`.
    pub(crate) fn object(&self, i: usize) -> &'c RenderedObject {
        &self.cluster.objects[i]
    }

    /// The node of `kind` named `namespace/name`, if any.
    pub(crate) fn find(&self, kind: FluxKind, namespace: &str, name: &str) -> Option<usize> {
        let index: &HashMap<(FluxKind, &str, &str), usize> = &self.index;
        index.get(&(kind, namespace, name)).copied()
    }

    /// Nodes of `kind` named `name` in any namespace.
    pub(crate) fn named(&self, kind: FluxKind, name: &str) -> Vec<usize> {
        let mut v: Vec<usize> =
            self.index.iter().filter(|(k, _)| k.0 == kind && k.2 == name).map(|(_, &v)| v).collect();
        v.sort_unstable();
        v
    }

    /// Why what object `i` renders is unknown, if it is: a Kustomization whose source is not
    /// mapped (or not found), whose build fails (what it applies once fixed is unknown), or
    /// that is not expanded in this cluster (reached only through a remote one); a ResourceSet
    /// templated from inputs.
    pub(crate) fn opaque_reason(&self, i: usize) -> Option<&'static str> {
        let o = self.object(i);
        match o.flux_kind() {
            Some(FluxKind::Kustomization) if self.canon[i] == i => match self.knode[i] {
                Some(k) => {
                    let node = &self.cluster.kustomizations[k];
                    match node.source {
                        SourceResolution::Tree(_) if node.built => None,
                        SourceResolution::Tree(_) => Some("its build fails"),
                        _ => Some("its source is not mapped to a local checkout"),
                    }
                }
                None => Some("what it renders is not expanded in this cluster"),
            },
            Some(FluxKind::ResourceSet) => ["inputs", "inputsFrom", "resourcesTemplate"]
                .iter()
                .any(|f| o.root.get_path(&["spec", f]).is_some())
                .then_some("it is templated from inputs"),
            _ => None,
        }
    }

    /// Whether what object `i` renders is unknown (see [`Graph::opaque_reason`]).
    pub(crate) fn is_opaque(&self, i: usize) -> bool {
        self.opaque_reason(i).is_some()
    }

    /// Every opaque object of the cluster.
    pub(crate) fn opaque(&self) -> Vec<usize> {
        (0..self.cluster.objects.len()).filter(|&i| self.is_opaque(i)).collect()
    }

    /// Whether `parent` is Ready only once `child` (which it rendered) is Ready: `spec.wait`,
    /// or a `spec.healthChecks` entry naming the child (namespace optional).
    pub(crate) fn waits(&self, parent: usize, child: usize) -> bool {
        let p = self.object(parent);
        if !matches!(p.flux_kind(), Some(FluxKind::Kustomization | FluxKind::ResourceSet)) {
            return false;
        }
        if p.root.get_path(&["spec", "wait"]).and_then(Node::as_bool) == Some(true) {
            return true;
        }
        let c = self.object(child);
        p.root.get_path(&["spec", "healthChecks"]).and_then(Node::as_seq).unwrap_or_default().iter().any(|h| {
            let s = |k| h.get(k).and_then(Node::as_str);
            s("kind") == Some(c.kind())
                && s("name") == Some(c.name())
                && s("namespace").is_none_or(|ns| ns.is_empty() || ns == c.namespace())
        })
    }

    /// The ancestors of `i`, nearest first (bounded: owner chains never loop, but be safe).
    pub(crate) fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let mut cur = i;
        let mut left = self.parent.len();
        std::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            cur = self.parent[cur]?;
            Some(cur)
        })
    }

    /// For every object, whether one of its (proper) ancestors is marked in `marked`. Memoised
    /// with an explicit stack: linear however deep the owner chains are.
    pub(crate) fn below(&self, marked: &[bool]) -> Vec<bool> {
        let n = self.parent.len();
        let mut memo: Vec<Option<bool>> = vec![None; n];
        let mut stack = Vec::new();
        for i in 0..n {
            let mut cur = i;
            // Climb until an object whose answer is known (or the top), then unwind.
            while memo[cur].is_none() {
                stack.push(cur);
                match self.parent[cur] {
                    Some(p) if stack.len() <= n => cur = p,
                    _ => break,
                }
            }
            // Stopped at a known object: its children inherit its answer or its own mark. Stopped
            // at the top (pushed, unknown): it has no ancestors.
            let mut known = memo[cur].is_some_and(|m| m || marked[cur]);
            while let Some(x) = stack.pop() {
                if memo[x].is_none() {
                    memo[x] = Some(known);
                }
                known = memo[x].unwrap_or(false) || marked[x];
            }
        }
        memo.into_iter().map(|m| m.unwrap_or(false)).collect()
    }

    /// For every object, whether something is in place before it applies (B3 "before K"),
    /// given the objects that apply it themselves (`raw`: renderers of a Namespace, CRD,
    /// policy...) and the HelmReleases that create it once Ready (`helm`).
    ///
    /// It is in place before X when X is a raw provider (staged apply), a descendant of one (its
    /// parent applied it first), a dependent of one, or a dependent of an ancestor of a provider
    /// whose chain down to the provider waits at every step; transitively along child and
    /// dependsOn edges. A chain that does not wait gives [`Avail::Indirect`]. With `trust_all`
    /// every step counts as waiting (used for "possibly before", with opaque providers).
    pub(crate) fn availability(&self, raw: &[usize], helm: &[usize], trust_all: bool) -> Vec<Avail> {
        let n = self.cluster.objects.len();
        let mut avail = vec![Avail::No; n];
        let mut queue = VecDeque::new();
        let mut indirect: Vec<(usize, Avail)> = Vec::new();
        // 0 = not climbed, 1 = climbed with an unreliable chain, 2 = with a reliable one.
        let mut climbed = vec![0u8; n];
        let direct = |x: usize, avail: &mut Vec<Avail>, queue: &mut VecDeque<usize>| {
            if avail[x] != Avail::Direct {
                avail[x] = Avail::Direct;
                queue.push_back(x);
            }
        };
        let mut starts: Vec<usize> = Vec::new();
        for &x in raw {
            direct(x, &mut avail, &mut queue);
            starts.push(x);
        }
        for &h in helm {
            for &d in &self.dependents[self.canon[h]] {
                direct(self.deps[d].from, &mut avail, &mut queue);
            }
            starts.push(h);
        }
        for start in starts {
            let (mut cur, mut reliable, mut bad) = (start, true, None);
            for p in self.ancestors(start) {
                let ok = trust_all || self.waits(p, cur);
                reliable &= ok;
                if !ok && bad.is_none() {
                    bad = Some((p, cur));
                }
                let state = if reliable { 2 } else { 1 };
                if climbed[p] >= state {
                    break;
                }
                climbed[p] = state;
                for &d in &self.dependents[self.canon[p]] {
                    let from = self.deps[d].from;
                    match bad {
                        None => direct(from, &mut avail, &mut queue),
                        Some((parent, child)) => indirect.push((from, Avail::Indirect { via: p, parent, child })),
                    }
                }
                cur = p;
            }
        }
        self.spread(&mut avail, &mut queue, false);
        for (x, a) in indirect {
            if avail[x] == Avail::No {
                avail[x] = a;
                queue.push_back(x);
            }
        }
        self.spread(&mut avail, &mut queue, true);
        avail
    }

    /// Breadth-first along child and dependent edges, giving every unlabelled object the label
    /// of the object it is reached from (`Direct` in the first pass; the witness in the second).
    fn spread(&self, avail: &mut [Avail], queue: &mut VecDeque<usize>, second_pass: bool) {
        while let Some(u) = queue.pop_front() {
            let label = avail[u];
            let next = self.children[u]
                .iter()
                .copied()
                .chain(self.dependents[self.canon[u]].iter().map(|&d| self.deps[d].from));
            for v in next {
                let better = if second_pass { avail[v] == Avail::No } else { avail[v] != Avail::Direct };
                if better {
                    avail[v] = label;
                    queue.push_back(v);
                }
            }
        }
    }
}
