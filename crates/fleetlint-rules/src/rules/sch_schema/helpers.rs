//! Schema validation of one cluster, done once and shared by SCH001, SCH002 and SCH003 through
//! [`ClusterContext::schemas`](crate::context::ClusterContext::schemas).
//!
//! Each cluster gets its own [`SchemaSet`]: the bundled Kubernetes schemas (of the version
//! `clusterOverrides.<cluster>.kubernetesVersion` states, else the newest bundled), the bundled Flux
//! schemas (with the kinds the Flux Operator adds to Alert and Receiver where Flux comes from a
//! FluxInstance), and every CustomResourceDefinition rendered in the cluster. Validators are
//! compiled by `fleetlint-schema` on first use, once per distinct schema per process; the
//! objects are validated in parallel.

use std::collections::BTreeMap;

use fleetlint_fleet::flux::references;
use fleetlint_fleet::{EntryKind, RenderedObject, VersionFrom};
use fleetlint_schema::{Crd, ErrorKind, Outcome, SchemaError, SchemaSet, SchemaSource, Unvalidated, ValidateOptions};
use fleetlint_yaml::FieldPath;
use rayon::prelude::*;

use crate::context::ClusterContext;
use crate::finding::Finding;
use crate::rule::RuleId;
use crate::rules::api_versions::helpers::fields::{FIELD_RULES, entries_at};
use crate::rules::sch_schema::replaced::{Replacement, Replacements};

/// What validating a cluster's objects found.
#[derive(Debug, Default)]
pub(crate) struct SchemaCheck {
    /// Per object index: the outcome, `None` for objects fleetlint made up (bootstrap
    /// placeholders), which nobody wrote.
    pub(crate) outcomes: Vec<Option<Outcome>>,
    /// Objects validated against a schema the cluster may replace with one fleetlint cannot
    /// read (a left-out remote CRD, a FluxInstance patch of a distribution CRD): their errors are
    /// not certain, so they count as unvalidated and SCH003 says why.
    pub(crate) replaced: BTreeMap<usize, Replacement>,
}

impl SchemaCheck {
    /// Objects that could not be validated (no schema for their kind or version, or a schema
    /// that does not compile), not counting documents that are not objects.
    pub(crate) fn unvalidated(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Some(Outcome::Unvalidated(u)) if *u != Unvalidated::NoTypeMeta))
            .count()
            + self.replaced.len()
    }
}

/// Whether the cluster's Flux is installed by the Flux Operator (a FluxInstance, written or
/// rendered by a HelmRelease of the `flux-instance` chart): its notification CRDs then accept
/// the operator's kinds (`fleetlint_schema::SchemaSet::with_flux_operator`), which the operator
/// adds to the Alert and Receiver enums when it installs Flux
/// (controlplaneio-fluxcd/flux-operator@8bce6d95 internal/builder/profiles.go
/// `profileNotification`).
fn flux_operator(cx: &ClusterContext<'_>) -> bool {
    cx.cluster.entry == EntryKind::FluxInstance
        || cx.cluster.flux_version.from == VersionFrom::FluxInstance
        || cx.cluster.objects.iter().any(|o| {
            (o.kind() == "FluxInstance" && o.api_version().starts_with("fluxcd.controlplane.io/"))
                || fleetlint_fleet::flux::is_flux_instance_release(&o.root)
        })
}

/// `spec.postRenderers[1].kustomize` as a field path.
fn parse_path(dotted: &str) -> FieldPath {
    let mut path = FieldPath::root();
    for part in dotted.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        path.push_key(key);
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            if let Ok(i) = index.parse() {
                path.push_index(i);
            }
        }
    }
    path
}

/// The fields of an object other rules report, which the schema rules must not report a second
/// time: those API002 reports (removed or deprecated in its version) and the `kind` of a Flux
/// reference that names a kind the field does not accept, which SRC002 reports with the kinds the
/// controller reads (the CRDs' enums say the same: one problem, one finding).
fn reported_elsewhere(o: &fleetlint_fleet::RenderedObject) -> Vec<FieldPath> {
    let Some(view) = o.view() else { return Vec::new() };
    let Some((_, version)) = view.api_version().rsplit_once('/') else { return Vec::new() };
    let api002 = FIELD_RULES
        .iter()
        .filter(|r| r.group == view.group() && r.kind == view.kind())
        .filter(|r| r.absent_in.contains(&version) || r.deprecated_in.contains(&version))
        .flat_map(|r| entries_at(&o.root, r.path).into_iter().map(|(_, p)| parse_path(&p)));
    let src002 = references(o)
        .into_iter()
        .filter(|r| r.kind_node.is_some() && r.kind_rejected())
        .map(|r| parse_path(&format!("{}.kind", r.field)));
    api002.chain(src002).collect()
}

/// Validate every object of the cluster.
pub(crate) fn validate_cluster(cx: &ClusterContext<'_>) -> SchemaCheck {
    let mut set = SchemaSet::new().with_flux_operator(flux_operator(cx));
    // A version that does not parse keeps the newest bundled schemas (the config's schema says
    // `MAJOR.MINOR`).
    if let Some(v) = &cx.cluster.kubernetes_version {
        set = set.clone().with_kubernetes_version(v).unwrap_or(set);
    }
    // `group/version/kind` of the custom resources whose CRD in Git serves that version without
    // the status subresource: only there is `status` part of what the API server validates.
    let mut status_validated: std::collections::HashSet<String> = std::collections::HashSet::new();
    for o in &cx.cluster.objects {
        if o.kind() == "CustomResourceDefinition" && o.api_version().starts_with("apiextensions.k8s.io/") {
            // A CRD that does not convert is itself validated against the Kubernetes schema.
            if let Ok(crd) = Crd::from_node(&o.root) {
                set.add_crd(&crd);
            }
            let str_at = |path: &[&str]| o.root.get_path(path).and_then(fleetlint_yaml::Node::as_str);
            let (Some(group), Some(kind)) = (str_at(&["spec", "group"]), str_at(&["spec", "names", "kind"])) else {
                continue;
            };
            for v in o.root.get_path(&["spec", "versions"]).and_then(fleetlint_yaml::Node::as_seq).unwrap_or_default() {
                if v.get_path(&["subresources", "status"]).is_none()
                    && let Some(name) = v.get("name").and_then(fleetlint_yaml::Node::as_str)
                {
                    status_validated.insert(format!("{group}/{name}/{kind}"));
                }
            }
        }
    }
    let outcomes = cx
        .cluster
        .objects
        .par_iter()
        .map(|o| {
            if o.synthesized {
                return None;
            }
            let mut elsewhere = reported_elsewhere(o);
            // `status` is not the manifest's to set: the API server resets it on create and keeps
            // the stored one on update, before validating, for built-in kinds and for custom
            // resources whose CRD enables the status subresource (kubernetes/kubernetes
            // staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/strategy.go
            // `PrepareForCreate`: "create cannot set status"; heldout8, metallb IPAddressPool
            // `status: {}` with required status fields).
            if !status_validated.contains(&format!("{}/{}", o.api_version(), o.kind())) {
                elsewhere.push(parse_path("status"));
            }
            Some(set.validate(&o.root, &ValidateOptions { reported_elsewhere: &elsewhere }))
        })
        .collect::<Vec<_>>();
    let replacements = Replacements::of(cx.cluster);
    let mut replaced = BTreeMap::new();
    if !replacements.is_empty() {
        // Once per kind and schema, not per object (a fleet renders thousands of a kind).
        let mut by_kind = std::collections::HashMap::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let Some(Outcome::Validated { source, .. }) = outcome else { continue };
            let Some(view) = cx.object(i).view() else { continue };
            let r = by_kind
                .entry((view.group(), view.kind(), matches!(source, SchemaSource::Kubernetes { .. }), crd_name(source)))
                .or_insert_with(|| replacements.of_kind(source, view.group(), view.kind()));
            if let Some(r) = r {
                replaced.insert(i, r.clone());
            }
        }
    }
    SchemaCheck { outcomes, replaced }
}

/// The CRD a schema comes from, when it is one rendered in the cluster.
fn crd_name(source: &SchemaSource) -> Option<&str> {
    match source {
        SchemaSource::Crd { name } => Some(name),
        _ => None,
    }
}

/// The findings of `rule` for the schema errors `wanted` selects: one per written value, however
/// many objects a base renders from it. `grade` may change a finding's severity and help from
/// the object, the schema that validated it and all its errors.
pub(crate) fn schema_findings(
    cx: &ClusterContext<'_>,
    rule: RuleId,
    wanted: impl Fn(ErrorKind) -> bool,
    grade: impl Fn(&RenderedObject, &SchemaSource, &[SchemaError], Finding) -> Finding,
    out: &mut Vec<Finding>,
) {
    let mut seen = std::collections::HashSet::new();
    for (i, outcome) in cx.schemas().outcomes.iter().enumerate() {
        let Some(Outcome::Validated { source, errors }) = outcome else { continue };
        if cx.schemas().replaced.contains_key(&i) {
            continue;
        }
        let o = cx.object(i);
        for e in errors.iter().filter(|e| wanted(e.kind)) {
            let message = e.message();
            if !seen.insert((e.span, message.clone())) {
                continue;
            }
            let schema = match source {
                SchemaSource::Kubernetes { version } => format!("the Kubernetes {version} schema"),
                SchemaSource::Flux { set } if *set == "current" => "the newest Flux CRD".to_string(),
                SchemaSource::Flux { set } => format!("the Flux {set} CRD"),
                SchemaSource::Crd { name } => format!("the CRD {name} rendered in this cluster"),
            };
            let help = match e.kind {
                ErrorKind::UnknownField => format!(
                    "{} {} has no such field in {schema}: server-side apply rejects it (`field not declared in \
                     schema`){}",
                    o.api_version(),
                    o.kind(),
                    e.suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
                ),
                ErrorKind::MissingField => format!("add `{}` ({schema} requires it)", e.path),
                ErrorKind::WrongType | ErrorKind::InvalidValue => {
                    format!("write {} at `{}`, as {schema} requires", e.expected, e.path)
                }
            };
            let f = Finding::new(rule, e.span, message).with_help(help).with_field(e.path.to_string());
            let f = grade(o, source, errors, f);
            out.push(cx.about(f, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use fleetlint_yaml::PathSegment;

    use super::*;

    #[test]
    fn dotted_paths_with_indexes_parse() {
        let p = parse_path("spec.postRenderers[1].kustomize");
        assert_eq!(
            p.segments(),
            [
                PathSegment::Key("spec".into()),
                PathSegment::Key("postRenderers".into()),
                PathSegment::Index(1),
                PathSegment::Key("kustomize".into())
            ]
        );
    }
}
