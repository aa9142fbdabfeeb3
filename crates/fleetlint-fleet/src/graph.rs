//! The Flux graph of one cluster: the Flux Kustomizations and HelmReleases are nodes,
//! identified by their post-build kind, namespace and name; `dependsOn` entries are edges to a
//! node of the *same kind* (`fluxcd/kustomize-controller@186fb3b:internal/controller/
//! kustomization_controller.go`, `checkDependencies`, and `fluxcd/helm-controller@0f61a86:
//! internal/controller/helmrelease_controller.go`, `checkDependencies`: the dependency is looked up
//! as the referrer's own kind, in the entry's namespace or else the referrer's); every object has
//! a parent edge from the object that rendered it; and every Flux object has source edges to the
//! sources it reads (`sourceRef`, the chart template's `sourceRef`, `chartRef`).
//!
//! On top of that, [`FluxGraph::availability`] answers "is X in place before this Kustomization
//! applies?" (a CRD, a Namespace, admission policies) from the way Flux orders its work: a
//! Kustomization applies what it renders in stages, a `dependsOn` waits for its target to be
//! Ready, and a parent is Ready before its children unless it waits for them (`spec.wait`, a
//! `healthChecks` entry).
//!
//! Every traversal is iterative and linear in objects + edges: real fleets are small, but a
//! generated one can have tens of thousands of Kustomizations in one chain or one cycle, and a
//! recursive walk would overflow the stack.

use std::collections::{HashMap, VecDeque};

use fleetlint_yaml::{FluxKind, Node, Span};

use crate::model::{Cluster, RenderedObject, SourceResolution};

/// One `dependsOn` entry of a Kustomization or HelmRelease.
#[derive(Debug)]
pub struct DependsOn<'c> {
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
pub enum Avail {
    /// Not before it.
    No,
    /// Only because `via` (a dependsOn target, or an ancestor's) renders the provider further
    /// down, and `parent` does not wait for its child `child` on the way: `via` can be Ready
    /// before the provider has done its work (ORD005).
    Indirect {
        /// The dependsOn target (or its ancestor) the availability goes through.
        via: usize,
        /// The first ancestor on the way that does not wait for its child...
        parent: usize,
        /// ...and that child.
        child: usize,
    },
    /// Applied by the node itself in an earlier stage, by an ancestor, or by something it
    /// (transitively) waits for.
    Direct,
}

/// The dependsOn, render and source graph of one cluster.
#[derive(Debug)]
pub struct FluxGraph<'c> {
    /// The cluster.
    pub cluster: &'c Cluster,
    /// Per object: the first object with the same Flux identity (nodes only; itself otherwise).
    /// Two Kustomizations rendering the same object make copies (SRC004); they are one node.
    pub canon: Vec<usize>,
    /// Every dependsOn entry, in object order.
    pub deps: Vec<DependsOn<'c>>,
    /// Per canonical node: the entries (indices in `deps`) of all its copies.
    pub out: Vec<Vec<usize>>,
    /// Per canonical node: the entries (indices in `deps`) that name it.
    pub dependents: Vec<Vec<usize>>,
    /// Per object: the object that rendered it (never itself).
    pub parent: Vec<Option<usize>>,
    /// Per object: the Flux objects it rendered that take part in ordering (Kustomizations,
    /// HelmReleases, ResourceSets).
    pub children: Vec<Vec<usize>>,
    /// The dependsOn entries of ResourceSets, in object order: each names an object of any
    /// kind (`kind` is required, `controlplaneio-fluxcd/flux-operator@17c6aea:
    /// api/v1/resourceset_types.go`, `Dependency`). They do not take part in the ordering of
    /// Kustomizations and HelmReleases.
    pub resource_set_deps: Vec<DependsOn<'c>>,
    /// Every source reference of a Flux object, in object order.
    pub sources: Vec<SourceEdge<'c>>,
    /// Per object: its entry in `cluster.kustomizations`.
    knode: Vec<Option<usize>>,
    /// ResourceSets whose objects are not rendered.
    unrendered: std::collections::BTreeSet<usize>,
    index: HashMap<(FluxKind, &'c str, &'c str), usize>,
    /// Per object `i`: its dependsOn entries are `deps[dep_start[i]..dep_start[i + 1]]`.
    dep_start: Vec<usize>,
    /// Per object `i`: its ResourceSet dependsOn entries are
    /// `resource_set_deps[rs_dep_start[i]..rs_dep_start[i + 1]]`.
    rs_dep_start: Vec<usize>,
    /// Per object `i`: its source references are `sources[source_start[i]..source_start[i + 1]]`.
    source_start: Vec<usize>,
}

/// A reference from a Flux object to the source it reads: `spec.sourceRef`,
/// `spec.chart.spec.sourceRef` or `spec.chartRef`, namespace defaulted to the referrer's.
#[derive(Debug)]
pub struct SourceEdge<'c> {
    /// The referring object.
    pub from: usize,
    /// `kind` as written (empty when absent).
    pub kind: &'c str,
    /// The namespace it names, else the referrer's.
    pub namespace: &'c str,
    /// `name`.
    pub name: &'c str,
    /// The first Flux object of the cluster with that kind, namespace and name.
    pub target: Option<usize>,
}

/// Why what a Flux object renders is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opacity {
    /// A Kustomization whose source is not mapped to a local checkout (or not found).
    SourceNotMapped,
    /// A Kustomization whose build fails: what it applies once fixed is unknown.
    BuildFails,
    /// A Kustomization not expanded in this cluster (reached only through a remote one).
    NotExpanded,
    /// A ResourceSet whose objects are not rendered (inputs from outside the repository, a
    /// provider fleetlint does not see, a template it does not evaluate).
    Templated,
}

/// Kustomizations and HelmReleases: the nodes that can depend on each other.
pub(crate) fn is_node(o: &RenderedObject) -> bool {
    matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::HelmRelease))
}

/// Objects that apply other objects themselves: Kustomizations and ResourceSets.
pub fn is_renderer(o: &RenderedObject) -> bool {
    matches!(o.flux_kind(), Some(FluxKind::Kustomization | FluxKind::ResourceSet))
}

impl<'c> FluxGraph<'c> {
    /// Build the graph of `cluster`.
    #[must_use]
    pub fn new(cluster: &'c Cluster) -> Self {
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
        let mut g = FluxGraph {
            cluster,
            canon,
            deps: Vec::new(),
            out: vec![Vec::new(); n],
            dependents: vec![Vec::new(); n],
            parent,
            children,
            resource_set_deps: Vec::new(),
            sources: Vec::new(),
            knode,
            unrendered: cluster.unrendered_resource_sets(),
            index,
            dep_start: Vec::with_capacity(n + 1),
            source_start: Vec::with_capacity(n + 1),
            rs_dep_start: Vec::with_capacity(n + 1),
        };
        let mut flux_index: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            if o.flux_kind().is_some() {
                flux_index.entry((o.kind(), o.namespace(), o.name())).or_insert(i);
            }
        }
        for (i, o) in objects.iter().enumerate() {
            let start = g.deps.len();
            g.dep_start.push(start);
            g.source_start.push(g.sources.len());
            g.rs_dep_start.push(g.resource_set_deps.len());
            let Some(flux) = o.flux() else { continue };
            // A ResourceSet's entries name their kind; a Kustomization's or HelmRelease's name
            // an object of its own kind.
            let rs = flux.kind() == FluxKind::ResourceSet;
            if rs || is_node(o) {
                for entry in flux.depends_on() {
                    let Some(name_node) = entry.get("name") else { continue };
                    let Some(name) = name_node.as_str().filter(|s| !s.is_empty()) else { continue };
                    let namespace = entry.namespace;
                    let target = if rs {
                        flux_index.get(&(entry.kind().unwrap_or(""), namespace, name)).copied()
                    } else {
                        g.index.get(&(flux.kind(), namespace, name)).copied()
                    };
                    let dep = DependsOn {
                        from: i,
                        entry: entry.node(),
                        name,
                        name_span: name_node.span,
                        namespace,
                        templated: name.contains("${") || namespace.contains("${"),
                        target,
                    };
                    if rs { g.resource_set_deps.push(dep) } else { g.deps.push(dep) }
                }
            }
            let c = g.canon[i];
            g.out[c].extend(start..g.deps.len());
            for d in start..g.deps.len() {
                if let Some(t) = g.deps[d].target {
                    g.dependents[t].push(d);
                }
            }
            for r in flux.source_ref().into_iter().chain(flux.chart_sources()) {
                let (kind, name) = (r.kind().unwrap_or(""), r.name());
                let target = flux_index.get(&(kind, r.namespace, name)).copied();
                g.sources.push(SourceEdge { from: i, kind, namespace: r.namespace, name, target });
            }
        }
        g.dep_start.push(g.deps.len());
        g.source_start.push(g.sources.len());
        g.rs_dep_start.push(g.resource_set_deps.len());
        g
    }

    /// The dependsOn entries object `i` declares (a Kustomization's, a HelmRelease's or a
    /// ResourceSet's).
    pub fn depends_on_of(&self, i: usize) -> impl Iterator<Item = &DependsOn<'c>> {
        self.deps[self.dep_start[i]..self.dep_start[i + 1]]
            .iter()
            .chain(&self.resource_set_deps[self.rs_dep_start[i]..self.rs_dep_start[i + 1]])
    }

    /// The source references of object `i`.
    #[must_use]
    pub fn sources_of(&self, i: usize) -> &[SourceEdge<'c>] {
        &self.sources[self.source_start[i]..self.source_start[i + 1]]
    }

    /// The object at `i`.
    pub fn object(&self, i: usize) -> &'c RenderedObject {
        &self.cluster.objects[i]
    }

    /// The node of `kind` named `namespace/name`, if any.
    pub fn find(&self, kind: FluxKind, namespace: &str, name: &str) -> Option<usize> {
        let index: &HashMap<(FluxKind, &str, &str), usize> = &self.index;
        index.get(&(kind, namespace, name)).copied()
    }

    /// Nodes of `kind` named `name` in any namespace.
    pub fn named(&self, kind: FluxKind, name: &str) -> Vec<usize> {
        let mut v: Vec<usize> =
            self.index.iter().filter(|(k, _)| k.0 == kind && k.2 == name).map(|(_, &v)| v).collect();
        v.sort_unstable();
        v
    }

    /// The builder's record of Kustomization `i` (its source, normalised path, whether it
    /// built), when `i` is the canonical copy of a Kustomization the builder expanded.
    #[must_use]
    pub fn kustomization_node(&self, i: usize) -> Option<&'c crate::KustomizationNode> {
        let cluster: &'c Cluster = self.cluster;
        self.knode.get(i).copied().flatten().and_then(|k| cluster.kustomizations.get(k))
    }

    /// Why what object `i` renders is unknown, if it is.
    #[must_use]
    pub fn opacity(&self, i: usize) -> Option<Opacity> {
        let o = self.object(i);
        match o.flux_kind() {
            Some(FluxKind::Kustomization) if self.canon[i] == i => match self.knode[i] {
                Some(k) => {
                    let node = &self.cluster.kustomizations[k];
                    match node.source {
                        SourceResolution::Tree(_) | SourceResolution::Artifact(_) if node.built => None,
                        SourceResolution::Tree(_) | SourceResolution::Artifact(_) => Some(Opacity::BuildFails),
                        _ => Some(Opacity::SourceNotMapped),
                    }
                }
                None => Some(Opacity::NotExpanded),
            },
            Some(FluxKind::ResourceSet) => self.unrendered.contains(&i).then_some(Opacity::Templated),
            _ => None,
        }
    }

    /// Whether what object `i` renders is unknown (see [`FluxGraph::opacity`]).
    #[must_use]
    pub fn is_opaque(&self, i: usize) -> bool {
        self.opacity(i).is_some()
    }

    /// Every opaque object of the cluster.
    #[must_use]
    pub fn opaque(&self) -> Vec<usize> {
        (0..self.cluster.objects.len()).filter(|&i| self.is_opaque(i)).collect()
    }

    /// Whether `parent` is Ready only once `child` (which it rendered) is Ready: `spec.wait`,
    /// or a `spec.healthChecks` entry naming the child (namespace optional).
    #[must_use]
    pub fn waits(&self, parent: usize, child: usize) -> bool {
        let Some(p) = self.object(parent).flux() else { return false };
        if !matches!(p.kind(), FluxKind::Kustomization | FluxKind::ResourceSet) {
            return false;
        }
        if p.waits_for_all() {
            return true;
        }
        let c = self.object(child);
        p.health_checks().iter().any(|h| {
            h.kind() == Some(c.kind())
                && h.get("name").and_then(Node::as_str) == Some(c.name())
                && h.written_namespace().is_none_or(|(_, ns)| ns == c.namespace())
        })
    }

    /// The ancestors of `i`, nearest first (bounded: owner chains never loop, but be safe).
    pub fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
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
    pub fn below(&self, marked: &[bool]) -> Vec<bool> {
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

    /// For every object, whether something is in place before it applies (docs/flux-semantics.md#ordering),
    /// given the objects that apply it themselves (`raw`: renderers of a Namespace, CRD,
    /// policy...) and the HelmReleases that create it once Ready (`helm`).
    ///
    /// It is in place before X when X is a raw provider (staged apply), a descendant of one (its
    /// parent applied it first), a dependent of one, or a dependent of an ancestor of a provider
    /// whose chain down to the provider waits at every step; transitively along child and
    /// dependsOn edges. A chain that does not wait gives [`Avail::Indirect`]. With `trust_all`
    /// every step counts as waiting (used for "possibly before", with opaque providers).
    pub fn availability(&self, raw: &[usize], helm: &[usize], trust_all: bool) -> Vec<Avail> {
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
