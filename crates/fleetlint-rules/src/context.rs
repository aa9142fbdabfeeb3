//! What a rule sees at each stage.

use std::sync::OnceLock;

use fleetlint_fleet::graph::FluxGraph;
use fleetlint_fleet::kinds::KindScopes;
use fleetlint_fleet::rbac::{self, Binding};
use fleetlint_fleet::{Cluster, Fleet, RenderedObject};
use fleetlint_kustomize::BuildIssue;
use fleetlint_yaml::{FileDb, LoadedFile, ObjectView, Span, TextFile};

use crate::finding::{Finding, ObjectRef};
use crate::rules::pol_policy::helpers::KyvernoCheck;
use crate::rules::sch_schema::helpers::SchemaCheck;
use crate::rules::src_integrity::helpers::reach::Reaches;

/// A parsed file and what the rules know about it.
#[derive(Debug)]
pub struct FileContext<'a> {
    /// The parsed file.
    pub file: &'a LoadedFile,
    /// Its text and path.
    pub text: &'a TextFile,
    /// Whether a build (a kustomization or a Flux Kustomization path) includes the file; until
    /// the resolver and fleet model decide, `false`. A file of a Helm chart's tree that no Flux
    /// build reaches is not reached, even where a kustomization inside the chart lists it.
    pub reached_by_build: bool,
    /// Whether a Flux build of some cluster reaches the file (an object of it is applied, or
    /// the build failed on it); always `false` when no cluster was found.
    pub reached_by_flux: bool,
    /// Whether the fleet has at least one cluster: without one, every kustomization is judged
    /// on its own (issue 14 item 1).
    pub fleet_has_clusters: bool,
    /// Whether the file is Go-template input of Helm, not YAML: below the `templates/` directory
    /// of a Helm chart (a `Chart.yaml` beside that directory), or anywhere in a chart's tree (at
    /// or below the directory holding `Chart.yaml`) where no Flux build reaches it.
    pub helm_template: bool,
}

impl FileContext<'_> {
    /// The object of the document that contains `span`, if that document is an object.
    #[must_use]
    pub fn object_at(&self, span: Span) -> Option<ObjectRef> {
        let doc =
            self.file.yaml.documents.iter().find(|d| d.root.span.start <= span.start && span.end <= d.root.span.end)?;
        object_ref(&doc.root)
    }
}

/// The identity of a document root, when it is an object.
#[must_use]
pub fn object_ref(root: &fleetlint_yaml::Node) -> Option<ObjectRef> {
    let v = ObjectView::new(root)?;
    Some(ObjectRef {
        api_version: v.api_version().to_string(),
        kind: v.kind().to_string(),
        namespace: v.namespace().map(str::to_string),
        name: v.name().unwrap_or("").to_string(),
    })
}

/// The problems of the kustomize builds of a tree, each reported once however many overlays
/// include the input that causes it.
#[derive(Debug)]
pub struct BuildContext<'a> {
    /// Build issues, deduplicated.
    pub issues: &'a [BuildIssue],
    /// The files behind the spans.
    pub db: &'a fleetlint_yaml::FileDb,
    /// The tree that was built.
    pub tree: &'a fleetlint_yaml::LoadedTree,
    /// Its index in the session's trees (0 = the checked root), as [`fleetlint_fleet::SourceResolution::Tree`] names it.
    pub tree_index: usize,
    /// The fleet (which clusters build an input, and their lockdown).
    pub fleet: &'a Fleet,
    /// What the builds of the tree found: which directory's own build found each issue, which
    /// directories the Flux builds reach.
    pub builds: &'a fleetlint_fleet::TreeBuilds,
    reaches: OnceLock<Reaches<'a>>,
}

impl<'a> BuildContext<'a> {
    /// The context of one tree's builds.
    #[must_use]
    pub fn new(
        issues: &'a [BuildIssue],
        db: &'a fleetlint_yaml::FileDb,
        tree: &'a fleetlint_yaml::LoadedTree,
        tree_index: usize,
        fleet: &'a Fleet,
        builds: &'a fleetlint_fleet::TreeBuilds,
    ) -> Self {
        Self { issues, db, tree, tree_index, fleet, builds, reaches: OnceLock::new() }
    }

    /// Which clusters' Flux builds hit each issue of the tree, and which directories every
    /// artifact leaves out: computed once, shared by the rules that weigh build issues
    /// (SRC003, SRC005, SRC013).
    pub(crate) fn reaches(&self) -> &Reaches<'a> {
        self.reaches.get_or_init(|| Reaches::new(self))
    }
}

/// One cluster of the fleet model, as a rule sees it: the cluster and the facts derived from it
/// (its Flux graph, kind scopes, RBAC bindings), each built by the fleet crate on first use and
/// shared by every rule that asks.
#[derive(Debug)]
pub struct ClusterContext<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// The whole fleet (for facts about other clusters).
    pub fleet: &'a Fleet,
    /// The files behind the spans.
    pub db: &'a FileDb,
    /// The loaded trees, indexed like [`RenderedObject::tree`] (0 = the checked root).
    pub trees: &'a [fleetlint_yaml::LoadedTree],
    graph: OnceLock<FluxGraph<'a>>,
    scopes: OnceLock<KindScopes>,
    bindings: OnceLock<Vec<Binding<'a>>>,
    schemas: OnceLock<SchemaCheck>,
    kyverno: OnceLock<KyvernoCheck>,
}

impl<'a> ClusterContext<'a> {
    /// The context of `cluster`.
    #[must_use]
    pub fn new(
        cluster: &'a Cluster,
        fleet: &'a Fleet,
        db: &'a FileDb,
        trees: &'a [fleetlint_yaml::LoadedTree],
    ) -> Self {
        Self {
            cluster,
            fleet,
            db,
            trees,
            graph: OnceLock::new(),
            scopes: OnceLock::new(),
            bindings: OnceLock::new(),
            schemas: OnceLock::new(),
            kyverno: OnceLock::new(),
        }
    }

    /// The cluster's Flux graph (dependsOn, render and source edges).
    #[must_use]
    pub fn graph(&self) -> &FluxGraph<'a> {
        self.graph.get_or_init(|| FluxGraph::new(self.cluster))
    }

    /// Whether objects of a kind are namespaced in this cluster.
    #[must_use]
    pub fn scopes(&self) -> &KindScopes {
        self.scopes.get_or_init(|| KindScopes::new(self.cluster))
    }

    /// The cluster's RoleBindings and ClusterRoleBindings written in the repository.
    #[must_use]
    pub fn bindings(&self) -> &[Binding<'a>] {
        self.bindings.get_or_init(|| rbac::bindings(self.cluster))
    }

    /// Every object of the cluster validated against the schema of its kind (SCH001-SCH003).
    pub(crate) fn schemas(&self) -> &SchemaCheck {
        self.schemas.get_or_init(|| crate::rules::sch_schema::helpers::validate_cluster(self))
    }

    /// Objects of kinds with no known schema, when the schema rules ran on this cluster.
    #[must_use]
    pub fn unvalidated_objects(&self) -> Option<usize> {
        self.schemas.get().map(SchemaCheck::unvalidated)
    }

    /// The cluster's Kyverno policies evaluated against the objects it admits (POL001, POL002).
    pub(crate) fn kyverno(&self) -> &KyvernoCheck {
        self.kyverno.get_or_init(|| crate::rules::pol_policy::helpers::evaluate_cluster(self))
    }
}

impl ClusterContext<'_> {
    /// The object at index `i` of the cluster.
    #[must_use]
    pub fn object(&self, i: usize) -> &RenderedObject {
        &self.cluster.objects[i]
    }

    /// Fill a finding's object, owner chain, scope and tenant from object `i`.
    #[must_use]
    pub fn about(&self, mut finding: Finding, i: usize) -> Finding {
        let o = &self.cluster.objects[i];
        finding.object = object_ref(&o.root);
        finding.owner = o.owner_id().map(str::to_string);
        finding.owners = o.owners.to_vec();
        finding.scope = Some(o.scope);
        finding.tenant.clone_from(&o.tenant);
        finding
    }
}
