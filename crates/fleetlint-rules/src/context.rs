//! What a rule sees at each stage.

use fleetlint_fleet::{Cluster, Fleet, RenderedObject};
use fleetlint_kustomize::BuildIssue;
use fleetlint_yaml::{LoadedFile, ObjectView, SourceDb, SourceFile, Span};

use crate::finding::{Finding, ObjectRef, Scope};
use crate::rule::RuleId;

/// A parsed file and what the rules know about it.
#[derive(Debug)]
pub struct FileContext<'a> {
    /// The parsed file.
    pub file: &'a LoadedFile,
    /// Its source text and path.
    pub source: &'a SourceFile,
    /// Whether a build (a kustomization or a Flux Kustomization path) includes the file; until
    /// the resolver and fleet model decide, `false`.
    pub reached_by_build: bool,
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
    pub db: &'a fleetlint_yaml::SourceDb,
    /// The tree that was built.
    pub tree: &'a fleetlint_yaml::LoadedTree,
    /// The fleet (which clusters build an input, and their lockdown).
    pub fleet: &'a Fleet,
}

/// One cluster of the fleet model, as a rule sees it.
#[derive(Debug)]
pub struct ClusterContext<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// The whole fleet (for facts about other clusters).
    pub fleet: &'a Fleet,
    /// The files behind the spans.
    pub db: &'a SourceDb,
    /// The loaded trees, indexed like [`RenderedObject::tree`] (0 = the checked root).
    pub trees: &'a [fleetlint_yaml::LoadedTree],
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
        finding.scope = Some(match o.scope {
            fleetlint_fleet::Scope::Tenant => Scope::Tenant,
            fleetlint_fleet::Scope::Platform => Scope::Platform,
        });
        finding.tenant.clone_from(&o.tenant);
        finding
    }
}

impl ClusterContext<'_> {
    /// Findings for the fleet builder's issues of `rule` (SRC001, SRC007, SRC011, SRC012): the
    /// error-level variant at the rule's default severity, the other at `other`.
    pub fn fleet_issues(&self, rule: RuleId, other: crate::Severity, help: &str, out: &mut Vec<Finding>) {
        for issue in self.cluster.issues.iter().filter(|i| i.code == rule.code()) {
            let mut f =
                Finding::new(rule, issue.span, issue.message.clone()).with_help(help).with_field(issue.field.clone());
            if !issue.error {
                f = f.with_severity(other);
            }
            if let Some(i) = issue.object {
                f = self.about(f, i);
            }
            out.push(f);
        }
    }
}
