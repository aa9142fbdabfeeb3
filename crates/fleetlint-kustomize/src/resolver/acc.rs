//! What a directory accumulates ([`Acc`]), and how objects join it: appended resources,
//! absorbed bases, generated objects merged or replaced by id, strategic merge patches applied
//! to the objects they select.

use fleetlint_yaml::{Node, Span};

use crate::buildmeta;
use crate::fieldspec::TransformerConfig;
use crate::issue::BuildIssue;
use crate::openapi;
use crate::patch::{PatchError, SchemaSource, SmpOptions, SmpOutcome, apply_smp_to_resource};
use crate::resource::{Behavior, Gvk, ResId, Resource, set_entry};
use crate::vars;

use super::targets::TargetIndex;

/// What a directory accumulates before the final, top-level-only steps.
#[derive(Clone, Debug, Default)]
pub(super) struct Acc {
    pub(super) resources: Vec<Resource>,
    pub(super) config: TransformerConfig,
    pub(super) vars: Vec<vars::Var>,
    pub(super) issues: Vec<BuildIssue>,
    pub(super) incomplete: bool,
    /// A cycle through an ancestor was hit: the result depends on the path taken.
    pub(super) cyclic: bool,
    /// The nesting limit cut a branch off (see [`super::nesting`]): not cached, like a cycle.
    pub(super) depth_limited: bool,
    /// `openapi` fields met, in kustomize's loading order (see [`openapi::nested_issues`]).
    pub(super) openapi: Vec<openapi::Nested>,
    /// Kustomization directories accumulated into this one (itself, bases, components), kept
    /// with the accumulation so that a cached base still says what it read
    /// ([`crate::BuildOutput::entered`]).
    pub(super) entered: Vec<String>,
    /// The ids of `resources` while only appends happen (the `resources:` phase), so checking a
    /// new object against thousands of accumulated ones is a lookup, not a scan.
    index: Option<std::collections::HashSet<IdKey>>,
    /// How many leading `resources` are in-memory stand-ins for bootstrap objects (see
    /// [`super::Resolver::build_kustomization_with`]).
    pub(super) stand_ins: usize,
}

/// [`ResId::equals`] as a hashable key: gvk, name and effective namespace.
type IdKey = (crate::resource::Gvk, String, String);

fn id_key(id: &ResId) -> IdKey {
    (id.gvk.clone(), id.name.clone(), id.effective_namespace().to_string())
}

impl Acc {
    pub(super) fn fatal(&mut self, span: Span, msg: impl Into<String>) {
        self.issues.push(BuildIssue::invalid(span, true, msg));
    }

    /// Start a run of appends with nothing else changing the accumulated objects.
    pub(super) fn begin_appends(&mut self) {
        self.index = Some(self.resources.iter().map(|r| id_key(&r.cur_id())).collect());
    }

    /// End it: transformers may now rename what was accumulated.
    pub(super) fn end_appends(&mut self) {
        self.index = None;
    }

    pub(super) fn append(&mut self, r: Resource, span: Span) {
        let id = r.cur_id();
        let duplicate = match &mut self.index {
            Some(index) => !index.insert(id_key(&id)),
            None => self.resources.iter().any(|o| o.cur_id().equals(&id)),
        };
        if duplicate {
            // A stand-in for a bootstrap object (the Flux components fleetlint synthesizes when
            // `flux-system/` has no `gotk-components.yaml` of its own) yields to the object the
            // build renders from elsewhere (a shared base of the components): the real one is
            // what kustomize-controller applies, and kustomize never saw the stand-in
            // (heldout8, nmarghetti/local-kubernetes-infra).
            if let Some(at) = self.resources[..self.stand_ins].iter().position(|o| o.cur_id().equals(&id)) {
                self.resources[at] = r;
                return;
            }
            self.fatal(span, format!("may not add resource with an already registered id: {}", id.describe()));
            return;
        }
        self.resources.push(r);
    }

    /// Absorb a base's accumulation, reached through the entry `origin_prefix` (as written,
    /// joined to the current kustomization's own prefix).
    pub(super) fn absorb(&mut self, other: &Acc, span: Span, origin_prefix: &str) {
        self.absorb_owned(other.clone(), span, origin_prefix);
    }

    /// [`Acc::absorb`] of an accumulation nothing else holds: its objects move.
    pub(super) fn absorb_owned(&mut self, other: Acc, span: Span, origin_prefix: &str) {
        let prefix: std::sync::Arc<str> = origin_prefix.into();
        for mut r in other.resources {
            buildmeta::rebase(&mut r, &prefix);
            self.append(r, span);
        }
        self.openapi.extend(other.openapi);
        self.entered.extend(other.entered);
        self.config.merge(&other.config);
        for v in other.vars {
            vars::merge_var(&mut self.vars, v, &mut self.issues);
        }
        self.issues.extend(other.issues);
        self.incomplete |= other.incomplete;
        self.cyclic |= other.cyclic;
        self.depth_limited |= other.depth_limited;
    }
}

/// The id a patch document names (what `Resource::cur_id` gives, without copying the patch).
fn patch_id(d: &Node) -> ResId {
    let s = |path: &[&str]| d.get_path(path).and_then(Node::as_str).unwrap_or("");
    ResId {
        gvk: Gvk::from_api_version(s(&["apiVersion"]), s(&["kind"])),
        name: s(&["metadata", "name"]).to_string(),
        namespace: s(&["metadata", "namespace"]).to_string(),
    }
}

/// A strategic merge patch without a target: applied to the one object with its id
/// (kustomize `GetById`). `allow`: the patch's `(allowNameChange, allowKindChange)` options.
pub(super) fn apply_smp_by_id(
    acc: &mut Acc,
    index: &mut TargetIndex,
    patch: &Node,
    span: Span,
    allow: (bool, bool),
    schema: SchemaSource,
) {
    let id = patch_id(patch);
    let matches = index.by_id(&acc.resources, &id);
    match matches.len() {
        1 => apply_smp_to(acc, index, &matches, patch, span, allow, schema),
        // A build that left a remote resource or plugin out may hold the target there
        // (issue 14 item 2): not the error kustomize would give, which fleetlint cannot know.
        0 if acc.incomplete => {
            acc.issues.push(BuildIssue::target_unknown(span, &format!("patch Id {}", id.describe())))
        }
        0 => acc.fatal(span, format!("no matches for Id {}; failed to find unique target for patch", id.describe())),
        _ => acc
            .fatal(span, format!("multiple matches for Id {}; failed to find unique target for patch", id.describe())),
    }
}

/// Apply a strategic merge patch to the `selected` objects; the ones it deletes are marked in
/// `index` (and dropped by [`TargetIndex::compact`]).
pub(super) fn apply_smp_to(
    acc: &mut Acc,
    index: &mut TargetIndex,
    selected: &[usize],
    patch: &Node,
    span: Span,
    allow: (bool, bool),
    schema: SchemaSource,
) {
    let (allow_name, allow_kind) = allow;
    for &i in selected {
        let r = &mut acc.resources[i];
        if allow_name || allow_kind {
            r.store_previous_id();
        }
        // kustomize gives the patch the target's apiVersion before merging.
        let mut p = patch.clone();
        if let Some(a) = r.root.get("apiVersion").cloned()
            && p.get("apiVersion").is_some()
        {
            set_entry(&mut p, "apiVersion", a.clone(), a.span);
        }
        let options = SmpOptions { allow_name_change: allow_name, allow_kind_change: allow_kind, schemas: schema };
        match apply_smp_to_resource(&mut r.root, &p, options) {
            Ok(SmpOutcome::Deleted) => index.remove(i),
            Ok(SmpOutcome::Merged) => index.changed(i, r),
            Err(PatchError { message: msg, span: at }) => {
                acc.issues.push(BuildIssue::invalid(span, true, format!("strategic merge patch failed: {msg}")));
                if at != span {
                    acc.issues.push(BuildIssue::invalid(at, true, format!("strategic merge patch failed here: {msg}")));
                }
            }
        }
    }
}

/// A generated object joins the accumulation: created, or merged into or replacing the one
/// object with its id (kustomize `resWrangler.appendReplaceOrMerge`, matching by any id).
pub(super) fn absorb_generated(acc: &mut Acc, index: &mut TargetIndex, mut r: Resource, span: Span) {
    let id = r.cur_id();
    let matches = index.by_id(&acc.resources, &id);
    match (matches.len(), r.behavior) {
        (0, Behavior::Create) => {
            acc.resources.push(r);
            index.pushed(&acc.resources);
        }
        // A build that left a remote resource or plugin out may hold the object to merge into
        // there (kustomize fails only when the complete accumulation lacks it,
        // kubernetes-sigs/kustomize@12f9e639:api/resmap/reswrangler.go `appendReplaceOrMerge`):
        // not known to fail. The object it would merge into is left out with what holds it
        // (its namespace, name and hash suffix are that object's, unknown here).
        (0, _) if acc.incomplete => acc.issues.push(BuildIssue::input_unknown(
            span,
            &format!("id {} to merge into or replace does not exist", id.describe()),
        )),
        (0, _) => acc.fatal(span, format!("id {} does not exist; cannot merge or replace", id.describe())),
        (1, Behavior::Create) => {
            acc.fatal(span, format!("id {} exists; behavior must be merge or replace", id.describe()));
        }
        (1, behavior) => {
            let old = &acc.resources[matches[0]];
            // CopyMergeMetaDataFieldsFrom: labels and annotations merged (new wins), the old
            // name and namespace kept, with the old identity history.
            for key in ["labels", "annotations"] {
                if let Some(old_map) = old.root.get_path(&["metadata", key]).and_then(Node::as_map) {
                    let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
                    let m = crate::resource::ensure_map_entry(meta, key, span);
                    for e in old_map {
                        let k = e.key.as_str().unwrap_or("");
                        if m.get(k).is_none() {
                            set_entry(m, k, e.value.clone(), e.key.span);
                        }
                    }
                }
            }
            // written back with kyaml's `SetLabels`
            if let Some(meta) = r.root.get_mut("metadata") {
                crate::resource::set_string_map(meta, "labels");
            }
            if let Some(n) = old.root.get_path(&["metadata", "name"]).cloned() {
                let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
                set_entry(meta, "name", n.clone(), n.span);
            }
            let meta = crate::resource::ensure_map_entry(&mut r.root, "metadata", span);
            match old.root.get_path(&["metadata", "namespace"]).cloned() {
                Some(n) => set_entry(meta, "namespace", n.clone(), n.span),
                None => crate::resource::remove_entry(meta, "namespace"),
            }
            if behavior == Behavior::Merge {
                for key in ["data", "binaryData"] {
                    if let Some(old_map) = old.root.get(key).and_then(Node::as_map) {
                        let m = crate::resource::ensure_map_entry(&mut r.root, key, span);
                        let mut merged: Vec<fleetlint_yaml::Entry> = old_map.to_vec();
                        for e in m.as_map().unwrap_or_default() {
                            let k = e.key.as_str().unwrap_or("");
                            if let Some(x) = merged.iter_mut().find(|x| x.key.as_str() == Some(k)) {
                                *x = e.clone();
                            } else {
                                merged.push(e.clone());
                            }
                        }
                        m.kind = fleetlint_yaml::NodeKind::Map(merged);
                    }
                }
            }
            r.prev_ids = old.prev_ids.clone();
            r.prefixes = old.prefixes.clone();
            r.suffixes = old.suffixes.clone();
            r.ref_var_names = old.ref_var_names.clone();
            // kustomize restores the existing object's origin on merge (a replacement keeps its
            // own); the transformations recorded so far are the existing object's
            if behavior == Behavior::Merge {
                r.origin.clone_from(&old.origin);
            }
            r.transformations.clone_from(&old.transformations);
            // `mergeStringMapsWithBuildAnnotations(old, new)` takes the build annotations from
            // the existing object only, and `CopyMergeMetaDataFieldsFrom` then drops
            // `needsHashSuffix` unless the new one has it too (kubernetes-sigs/kustomize@afe7793676
            // `api/resource/resource.go`): a hash only when both ask for one.
            r.needs_hash = r.needs_hash && old.needs_hash;
            r.behavior = Behavior::Create;
            acc.resources[matches[0]] = r;
            index.changed(matches[0], &acc.resources[matches[0]]);
        }
        _ => acc.fatal(span, format!("found multiple objects that could accept merge of {}", id.describe())),
    }
}
