//! ResourceSet expansion: the objects a Flux Operator ResourceSet applies, rendered offline with
//! positions in the ResourceSet's templates.
//!
//! Semantics follow controlplaneio-fluxcd/flux-operator@17c6aea:
//! - input sets: see [`inputs`] (`getInputs`, `inputs.Combine`);
//! - `internal/controller/resourceset_controller.go reconcile`: with `inputsFrom` set and no
//!   input set at all, nothing is rendered (and everything applied before is pruned);
//! - `internal/builder/resourceset.go BuildResourceSetFromSpec`: `spec.steps` excludes
//!   `resources`/`resourcesTemplate` (`ValidateResourceSetSpec`), each step is built alone and an
//!   object in two steps is an error (`BuildResourceSetSteps`);
//! - `BuildResourceSet`: every `resources` item for every input set, then `resourcesTemplate` for
//!   every input set; objects annotated `fluxcd.controlplane.io/reconcile: disabled` are dropped;
//!   duplicates by group/kind/namespace/name are dropped, first wins. Without any input set each
//!   `resources` item is rendered once and kept as is, and the template once;
//! - `reconcile`/`apply`: the owner labels `resourceset.fluxcd.controlplane.io/name|namespace`
//!   then `spec.commonMetadata` are set on every object; nothing sets a namespace.
//!
//! Rendering itself is in [`render`].
//!
//! ```
//! use std::{path::PathBuf, sync::Arc};
//! use fleetlint_fluxgen::resourceset::expand;
//! use fleetlint_yaml::{Limits, FileDb, TextFile, parse_yaml};
//!
//! let text = "apiVersion: fluxcd.controlplane.io/v1
//! kind: ResourceSet
//! metadata: {name: tenants, namespace: flux-system}
//! spec:
//!   inputs: [{tenant: team-a}, {tenant: team-b}]
//!   resources:
//!     - apiVersion: v1
//!       kind: Namespace
//!       metadata:
//!         name: << inputs.tenant >>
//! ";
//! let mut db = FileDb::new();
//! let file = db.add(TextFile::new("rs.yaml".into(), None, PathBuf::from("rs.yaml"), Arc::from(text)));
//! let rset = &parse_yaml(file, text, &Limits::default()).documents[0].root;
//! let expansion = expand(rset, &[], &db).unwrap();
//! let names: Vec<_> = expansion.objects.iter().map(|o| o.object.get_path(&["metadata", "name"]).unwrap()).collect();
//! assert_eq!(names[1].as_str(), Some("team-b"));
//! // The value points at the scalar that produced it.
//! assert_eq!(&text[names[1].span.range()], "<< inputs.tenant >>");
//! ```

mod inputs;
mod render;
mod textmap;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use fleetlint_yaml::{Entry, FileDb, Node, NodeKind, Span};

use render::Built;

/// The objects a ResourceSet renders.
#[derive(Debug)]
pub struct Expansion {
    /// The rendered objects, in the order the operator applies them.
    pub objects: Vec<RenderedObject>,
    /// How many input sets were combined.
    pub input_sets: usize,
    /// What was assumed (e.g. providers matched by a selector are only those fleetlint knows).
    pub notes: Vec<String>,
}

/// One rendered object.
#[derive(Debug)]
pub struct RenderedObject {
    /// The object. Spans point into the ResourceSet's file: for a `resources` item at the scalar
    /// that produced each value, for `resourcesTemplate` at the template text.
    pub object: Node,
    /// The step (`spec.steps[].name`) that renders it.
    pub step: Option<String>,
    /// Which template rendered it.
    pub template: TemplateKind,
    /// The index of the input set it was rendered with (`None`: rendered without inputs).
    pub input_set: Option<usize>,
    /// Fields whose text contains values not known offline (their stand-ins are rendered).
    pub unknown: Vec<UnknownField>,
}

/// Which template of the ResourceSet an object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    /// `resources[i]` (of the step, when there are steps).
    Resource(usize),
    /// `resourcesTemplate`.
    ResourcesTemplate,
}

/// A field whose rendered text includes a value that is not known offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownField {
    /// The field path in the object (`metadata.name`, `spec.items[0].x`).
    pub path: String,
    /// Why the value is unknown.
    pub reason: String,
    /// Where the value was produced.
    pub span: Span,
}

/// Why a ResourceSet was not expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandError {
    /// Whether this is certain.
    pub kind: ExpandErrorKind,
    /// What the operator would report (or why fleetlint cannot tell).
    pub message: String,
    /// Where.
    pub span: Span,
}

/// The kinds of [`ExpandError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpandErrorKind {
    /// The Flux Operator fails to build this ResourceSet (it is Stalled and applies nothing).
    Invalid,
    /// A provider named in `inputsFrom` is not among the objects given. The operator stalls when
    /// it does not exist at all; it may be created outside the repository.
    ProviderNotFound {
        /// The provider's namespace.
        namespace: String,
        /// The provider's name.
        name: String,
    },
    /// A provider's inputs come from outside the repository (a GitHub, GitLab, OCI... provider
    /// without a committed `status.exportedInputs`).
    ProviderInputsUnknown {
        /// The provider's namespace.
        namespace: String,
        /// The provider's name.
        name: String,
        /// Its `spec.type`.
        provider_type: String,
    },
    /// The result depends on something else not known offline (a value such as a UID deciding
    /// a branch, a function fleetlint does not evaluate, a limit).
    Opaque,
}

/// Expand the ResourceSet `rset` with the ResourceSetInputProviders `providers` (any namespace:
/// those in the ResourceSet's namespace are used). `db` holds the files the nodes' spans point
/// into, to map template text back to file positions.
///
/// # Errors
/// An [`ExpandError`]: certain ([`ExpandErrorKind::Invalid`]) where the Flux Operator fails,
/// otherwise a reason fleetlint cannot render the ResourceSet.
pub fn expand(rset: &Node, providers: &[&Node], db: &FileDb) -> Result<Expansion, ExpandError> {
    let namespace = rset.get_path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("");
    let spec = rset.get("spec");
    let spec_span = spec.map_or(rset.span, |s| s.span);
    let steps = spec.and_then(|s| s.get("steps")).and_then(Node::as_seq).filter(|s| !s.is_empty());
    let resources = spec.and_then(|s| s.get("resources"));
    let template = spec.and_then(|s| s.get("resourcesTemplate")).filter(|t| t.as_str().is_some_and(|s| !s.is_empty()));

    // ValidateResourceSetSpec.
    if let Some(steps) = steps {
        if resources.and_then(Node::as_seq).is_some_and(|r| !r.is_empty()) || template.is_some() {
            return Err(invalid(
                "spec.steps is mutually exclusive with spec.resources and spec.resourcesTemplate",
                spec_span,
            ));
        }
        for step in steps {
            let has_resources = step.get("resources").and_then(Node::as_seq).is_some_and(|r| !r.is_empty());
            let has_template = step.get("resourcesTemplate").and_then(Node::as_str).is_some_and(|t| !t.is_empty());
            if !has_resources && !has_template {
                let name = step.get("name").and_then(Node::as_str).unwrap_or("");
                return Err(invalid(
                    format!("step {name:?}: at least one of resources or resourcesTemplate must be set"),
                    step.span,
                ));
            }
        }
    }

    let combined = inputs::compute(rset, namespace, providers)?;
    let mut expansion = Expansion { objects: Vec::new(), input_sets: combined.sets.len(), notes: combined.notes };
    if combined.has_inputs_from && combined.sets.is_empty() {
        expansion.notes.push("the input providers export no inputs: nothing is rendered".into());
        return Ok(expansion);
    }

    let mut objects = Vec::new();
    match steps {
        Some(steps) => {
            let mut step_of: HashMap<String, String> = HashMap::new();
            for step in steps {
                let name = step.get("name").and_then(Node::as_str).unwrap_or("").to_string();
                let built = render::build(step.get("resources"), step.get("resourcesTemplate"), &combined.sets, db)
                    .map_err(|mut e| {
                        e.message = format!("step {name:?}: {}", e.message);
                        e
                    })?;
                for b in built {
                    let key = render::object_key(&b.object);
                    match step_of.get(&key) {
                        Some(prev) if *prev != name => {
                            return Err(ExpandError {
                                kind: ExpandErrorKind::Invalid,
                                message: format!(
                                    "duplicate resource {} in step {name:?}, already defined in step {prev:?}",
                                    render::describe(&b.object)
                                ),
                                span: b.object.span,
                            });
                        }
                        _ => {
                            step_of.insert(key, name.clone());
                        }
                    }
                    objects.push((Some(name.clone()), b));
                }
            }
        }
        None => {
            let built = render::build(resources, template, &combined.sets, db)?;
            objects.extend(built.into_iter().map(|b| (None, b)));
        }
    }

    for (step, Built { mut object, template, input_set, unknown }) in objects {
        set_common_metadata(&mut object, rset);
        expansion.objects.push(RenderedObject { object, step, template, input_set, unknown });
    }
    Ok(expansion)
}

fn invalid(message: impl Into<String>, span: Span) -> ExpandError {
    ExpandError { kind: ExpandErrorKind::Invalid, message: message.into(), span }
}

/// The owner labels, then `spec.commonMetadata` (`apply`: `SetOwnerLabels`, `SetCommonMetadata`).
fn set_common_metadata(object: &mut Node, rset: &Node) {
    let name = rset.get_path(&["metadata", "name"]);
    let namespace = rset.get_path(&["metadata", "namespace"]);
    let owner = |n: Option<&Node>| n.cloned().unwrap_or_else(|| Node::string("", rset.span));
    set_meta(object, "labels", "resourceset.fluxcd.controlplane.io/name", owner(name), rset.span);
    set_meta(object, "labels", "resourceset.fluxcd.controlplane.io/namespace", owner(namespace), rset.span);
    for field in ["labels", "annotations"] {
        let Some(entries) = rset.get_path(&["spec", "commonMetadata", field]).and_then(Node::as_map) else { continue };
        for e in entries {
            if let Some(key) = e.key.as_str() {
                set_meta(object, field, key, e.value.clone(), e.key.span);
            }
        }
    }
}

fn set_meta(object: &mut Node, field: &str, key: &str, value: Node, span: Span) {
    let NodeKind::Map(entries) = &mut object.kind else { return };
    let metadata = entry_map(entries, "metadata", span);
    let NodeKind::Map(meta) = &mut metadata.kind else { return };
    let target = entry_map(meta, field, span);
    let NodeKind::Map(items) = &mut target.kind else { return };
    match items.iter_mut().rev().find(|e| e.key.as_str() == Some(key)) {
        Some(e) => e.value = value,
        None => items.push(Entry { key: Node::string(key, span), value }),
    }
}

/// The map under `key`, created (or replacing a non-map) when needed.
fn entry_map<'a>(entries: &'a mut Vec<Entry>, key: &str, span: Span) -> &'a mut Node {
    let pos = entries.iter().rposition(|e| e.key.as_str() == Some(key));
    let i = match pos {
        Some(i) => {
            if entries[i].value.as_map().is_none() {
                entries[i].value = Node::map(span);
            }
            i
        }
        None => {
            entries.push(Entry { key: Node::string(key, span), value: Node::map(span) });
            entries.len() - 1
        }
    };
    &mut entries[i].value
}
