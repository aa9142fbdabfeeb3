//! The transformers of one kustomization, in kustomize's order: strategic merge patches,
//! `patches`, namespace, prefix and suffix, labels, annotations, JSON 6902 patches, replicas,
//! images, replacements; and reading patch documents (files or inline).

use fleetlint_yaml::relpath::join_in_root;
use fleetlint_yaml::{LoadIssueKind, Node, Span, parse_yaml};

use super::acc::{Acc, apply_smp_by_id, apply_smp_to};
use super::targets::TargetIndex;
use super::{Resolver, effective_config};
use crate::builtin_transformers::{self, ImageSpec, ReplicaSpec, Spanned, pairs};
use crate::fieldspec::FieldSpec;
use crate::issue::{BuildIssue, BuildIssueKind};
use crate::kustfile::Kustomization;
use crate::patch::json6902::as_yaml_to_json;
use crate::patch::{self, SchemaSource};
use crate::replacements;
use crate::resource::metadata_problem;
use crate::selector::Selector;

impl Resolver<'_> {
    pub(super) fn patch_docs(&self, k: &Kustomization, entry: &Node, acc: &mut Acc) -> Option<Vec<Node>> {
        if let Some(p) = entry.get("path").and_then(Node::as_str) {
            let span = entry.get("path").map_or(entry.span, |n| n.span);
            let full = self.entry_dir(k, p, span, acc)?;
            return self.docs_any(&full, span, acc);
        }
        if let Some(inline) = entry.get("patch") {
            return inline_docs(inline, acc);
        }
        acc.fatal(entry.span, "patch has neither path nor patch");
        None
    }

    /// Whether a JSON 6902 patch entry's text reaches json-patch through `YAMLToJSON` (it does not
    /// start with `[`; the inline text of a `patches` entry is trimmed first, kustomize
    /// `PatchTransformer.Config`).
    fn json6902_from_yaml(&self, k: &Kustomization, entry: &Node, trim_inline: bool) -> bool {
        let starts_json = |t: &str| t.starts_with('[');
        if let Some(p) = entry.get("path").and_then(Node::as_str) {
            let text = join_in_root(&k.dir, p).and_then(|full| self.read_file(&full).ok()).unwrap_or_default();
            return !text.starts_with(b"[");
        }
        match entry.get("patch").and_then(Node::as_scalar) {
            Some(s) if trim_inline => !starts_json(s.text.trim()),
            Some(s) => !starts_json(&s.text),
            None => true,
        }
    }

    /// Documents of a file given by path, reading non-`.yaml` files (JSON patches) from disk.
    pub(super) fn docs_any(&self, full: &str, span: Span, acc: &mut Acc) -> Option<Vec<Node>> {
        if self.yaml.contains_key(full) {
            return match self.documents(full, span) {
                Ok(d) => Some(d),
                Err(e) => {
                    acc.issues.push(e);
                    None
                }
            };
        }
        match self.read_file(full) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let parsed = parse_yaml(span.file, &text, &fleetlint_yaml::Limits::default());
                if parsed.is_broken() {
                    acc.fatal(span, format!("{full}: invalid YAML"));
                    return None;
                }
                Some(parsed.documents.into_iter().map(|d| respan(d.root, span)).filter(|r| !r.is_null()).collect())
            }
            Err(e) => {
                acc.fatal(span, format!("{full}: {e}"));
                None
            }
        }
    }

    pub(super) fn run_transformers(&self, k: &Kustomization, acc: &mut Acc, schema: SchemaSource) {
        // Borrowed (no clone of the built-in field specs) unless the kustomization adds its own.
        let tc = effective_config(&acc.config);

        // patchesStrategicMerge and patches find their targets through an index (built at the
        // first patch); objects they delete are dropped once both have run.
        let mut index: Option<TargetIndex> = None;

        // patchesStrategicMerge
        for entry in k.seq("patchesStrategicMerge") {
            let Some(text) = entry.as_str() else { continue };
            let docs = if !text.contains('\n') && !text.trim_start().starts_with('{') {
                let Some(full) = self.entry_dir(k, text, entry.span, acc) else { continue };
                match self.docs_any(&full, entry.span, acc) {
                    Some(d) => d,
                    None => continue,
                }
            } else {
                match inline_docs(entry, acc) {
                    Some(d) => d,
                    None => continue,
                }
            };
            if !smp_docs_valid(&docs, acc) {
                continue;
            }
            for d in docs {
                let index = TargetIndex::ensure(&mut index, &acc.resources);
                apply_smp_by_id(acc, index, &d, entry.span, (false, false), schema);
            }
        }

        // patches
        for entry in k.seq("patches") {
            let Some(docs) = self.patch_docs(k, entry, acc) else { continue };
            let opts = entry.get("options");
            let allow_name = opts.and_then(|o| o.get("allowNameChange")).and_then(Node::as_bool).unwrap_or(false);
            let allow_kind = opts.and_then(|o| o.get("allowKindChange")).and_then(Node::as_bool).unwrap_or(false);
            let target = entry.get("target").filter(|t| !t.is_null());
            let json = patch::detect::is_json6902(&docs);
            if !json && !smp_docs_valid(&docs, acc) {
                continue;
            }
            match (target, json) {
                (None, true) => acc.fatal(entry.span, "must specify a target for JSON patch"),
                (None, false) => {
                    for d in &docs {
                        let index = TargetIndex::ensure(&mut index, &acc.resources);
                        apply_smp_by_id(acc, index, d, entry.span, (allow_name, allow_kind), schema);
                    }
                }
                (Some(t), json) => {
                    let sel = match Selector::from_node(t) {
                        Ok(s) => s,
                        Err(e) => {
                            acc.fatal(t.span, format!("invalid patch target: {e}"));
                            continue;
                        }
                    };
                    let index = TargetIndex::ensure(&mut index, &acc.resources);
                    let selected = index.select(&acc.resources, &sel);
                    if selected.is_empty() && acc.incomplete {
                        acc.issues.push(BuildIssue::target_unknown(t.span, "patch target"));
                        continue;
                    }
                    if selected.is_empty() {
                        acc.issues.push(BuildIssue {
                            kind: BuildIssueKind::PatchTargetUnmatched,
                            message: "patch target matches no resource".into(),
                            span: t.span,
                            fatal: false,
                        });
                        continue;
                    }
                    if json {
                        let ops = if self.json6902_from_yaml(k, entry, true) {
                            as_yaml_to_json(&docs[0])
                        } else {
                            docs[0].clone()
                        };
                        for i in selected {
                            let r = &mut acc.resources[i];
                            let result = r.apply_json6902_patch(&ops);
                            index.changed(i, r);
                            if let Err(e) = result {
                                acc.issues.push(BuildIssue::invalid(
                                    entry.span,
                                    true,
                                    format!("JSON patch failed: {e}"),
                                ));
                            } else if let Some(problem) = crate::resource::metadata_problem(&r.root) {
                                acc.fatal(entry.span, format!("JSON patch leaves no valid resource: {problem}"));
                            }
                        }
                    } else {
                        for d in &docs {
                            apply_smp_to(acc, index, &selected, d, entry.span, (allow_name, allow_kind), schema);
                        }
                    }
                }
            }
        }
        if let Some(index) = index {
            index.compact(&mut acc.resources);
        }

        if let Some((ns, span)) = k.str_field("namespace").filter(|(s, _)| !s.is_empty()) {
            let issues =
                builtin_transformers::namespace(&mut acc.resources, &Spanned { text: ns.to_string(), span }, &tc);
            acc.issues.extend(issues);
        }
        if let Some((p, span)) = k.str_field("namePrefix").filter(|(s, _)| !s.is_empty()) {
            builtin_transformers::name_affix(
                &mut acc.resources,
                &Spanned { text: p.to_string(), span },
                false,
                &tc.name_prefix,
            );
        }
        if let Some((p, span)) = k.str_field("nameSuffix").filter(|(s, _)| !s.is_empty()) {
            builtin_transformers::name_affix(
                &mut acc.resources,
                &Spanned { text: p.to_string(), span },
                true,
                &tc.name_suffix,
            );
        }

        // labels, then commonLabels
        for entry in k.seq("labels") {
            let pairs = pairs(entry.get("pairs"));
            let mut specs = FieldSpec::list_at(entry, "fields");
            let flag = |key: &str| entry.get(key).and_then(Node::as_bool).unwrap_or(false);
            if flag("includeSelectors") {
                merge_specs(&mut specs, &tc.common_labels);
            } else {
                merge_specs(
                    &mut specs,
                    &[FieldSpec {
                        gvk: Default::default(),
                        path: crate::fieldspec::split_path("metadata/labels"),
                        path_text: "metadata/labels".into(),
                        create: true,
                    }],
                );
                if flag("includeTemplates") {
                    merge_specs(&mut specs, &tc.template_labels);
                }
            }
            builtin_transformers::set_map_fields(&mut acc.resources, &pairs, &specs, entry.span);
        }
        if let Some(cl) = k.root.get("commonLabels") {
            builtin_transformers::set_map_fields(&mut acc.resources, &pairs(Some(cl)), &tc.common_labels, cl.span);
        }
        if let Some(ca) = k.root.get("commonAnnotations") {
            builtin_transformers::set_map_fields(&mut acc.resources, &pairs(Some(ca)), &tc.common_annotations, ca.span);
        }

        // patchesJson6902
        let mut json6902_index: Option<TargetIndex> = None;
        for entry in k.seq("patchesJson6902") {
            let Some(docs) = self.patch_docs(k, entry, acc) else { continue };
            let Some(t) = entry.get("target") else {
                acc.fatal(entry.span, "must specify a target for patch");
                continue;
            };
            let sel = match Selector::from_node(t) {
                Ok(s) => s,
                Err(e) => {
                    acc.fatal(t.span, format!("invalid patch target: {e}"));
                    continue;
                }
            };
            let ops = docs.into_iter().next().unwrap_or_else(|| crate::fieldspec::null_node(entry.span));
            let ops = if self.json6902_from_yaml(k, entry, false) { as_yaml_to_json(&ops) } else { ops };
            let index = TargetIndex::ensure(&mut json6902_index, &acc.resources);
            for i in index.select(&acc.resources, &sel) {
                let result = patch::apply_json6902(&mut acc.resources[i].root, &ops);
                index.changed(i, &acc.resources[i]);
                if let Err(e) = result {
                    acc.issues.push(BuildIssue::invalid(entry.span, true, format!("JSON patch failed: {e}")));
                } else if let Some(problem) = crate::resource::metadata_problem(&acc.resources[i].root) {
                    acc.fatal(entry.span, format!("JSON patch leaves no valid resource: {problem}"));
                }
            }
        }

        for entry in k.seq("replicas") {
            let name = entry.get("name").and_then(Node::as_str).unwrap_or("").to_string();
            let count_node = entry.get("count");
            let count = match count_node.map(|n| n.to_json()) {
                Some(serde_json::Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or(0),
                None => 0,
                _ => {
                    acc.fatal(entry.span, "replicas: count must be an integer");
                    continue;
                }
            };
            let spec =
                ReplicaSpec { name, count, span: entry.span, count_span: count_node.map_or(entry.span, |n| n.span) };
            if let Some(issue) = builtin_transformers::replicas(&mut acc.resources, &spec, &tc.replicas, acc.incomplete)
            {
                acc.issues.push(issue);
            }
        }

        let mut images = Vec::new();
        for entry in k.seq("images").iter().chain(k.seq("imageTags")) {
            let get = |key: &str| -> Result<Option<String>, ()> {
                match entry.get(key) {
                    None => Ok(None),
                    Some(n) if n.is_null() => Ok(None),
                    Some(n) => match n.as_scalar() {
                        Some(s) if s.value == fleetlint_yaml::ScalarValue::Str => Ok(Some(s.text.to_string())),
                        _ => Err(()),
                    },
                }
            };
            match (get("name"), get("newName"), get("newTag"), get("digest")) {
                (Ok(name), Ok(new_name), Ok(new_tag), Ok(digest)) => images.push(ImageSpec {
                    matcher: builtin_transformers::image_regex(&name.unwrap_or_default()),
                    new_name,
                    new_tag,
                    digest,
                    span: entry.span,
                }),
                _ => acc.fatal(entry.span, "invalid image entry: values must be strings (quote numeric tags)"),
            }
        }
        builtin_transformers::images(&mut acc.resources, &images);

        if !k.seq("replacements").is_empty() {
            let mut list = Vec::new();
            for entry in k.seq("replacements") {
                if let Some(p) = entry.get("path").and_then(Node::as_str) {
                    let span = entry.get("path").map_or(entry.span, |n| n.span);
                    let Some(full) = self.entry_dir(k, p, span, acc) else { continue };
                    if let Some(docs) = self.docs_any(&full, span, acc) {
                        for d in docs {
                            match d.as_seq() {
                                Some(items) => list.extend(items.iter().cloned()),
                                None => list.push(d),
                            }
                        }
                    }
                } else {
                    list.push(entry.clone());
                }
            }
            let issues = replacements::apply(&mut acc.resources, &list, acc.incomplete);
            acc.issues.extend(issues);
        }
    }
}

/// Strategic merge patches are read as resources (`SliceFromBytes`), so each document needs what
/// a resource needs ([`metadata_problem`]); kustomize rejects the whole entry otherwise
/// (`PatchTransformer.Config`: "unable to parse SM or JSON patch").
fn smp_docs_valid(docs: &[Node], acc: &mut Acc) -> bool {
    match docs.iter().find_map(|d| metadata_problem(d).map(|p| (d.span, p))) {
        Some((at, problem)) => {
            acc.fatal(at, format!("unable to parse SM or JSON patch: {problem}"));
            false
        }
        None => true,
    }
}

fn merge_specs(into: &mut Vec<FieldSpec>, more: &[FieldSpec]) {
    for fs in more {
        if !into.contains(fs) {
            into.push(fs.clone());
        }
    }
}

/// Give every node of `node` the span `span` (for content read from files outside the db).
pub(super) fn respan(mut node: Node, span: Span) -> Node {
    node.span = span;
    match &mut node.kind {
        fleetlint_yaml::NodeKind::Map(entries) => {
            for e in entries {
                e.key = respan(std::mem::replace(&mut e.key, crate::fieldspec::null_node(span)), span);
                e.value = respan(std::mem::replace(&mut e.value, crate::fieldspec::null_node(span)), span);
            }
        }
        fleetlint_yaml::NodeKind::Seq(items) => {
            for i in items {
                *i = respan(std::mem::replace(i, crate::fieldspec::null_node(span)), span);
            }
        }
        fleetlint_yaml::NodeKind::Scalar(_) => {}
    }
    node
}

/// Parse an inline patch (a string scalar of the kustomization) into documents whose spans
/// point into the kustomization file. Block scalars map line by line; other styles get the
/// scalar's span. Text that does not parse (a syntax error, nesting past the parser's limit)
/// fails the build at the scalar, as a patch file that does not parse does ([`Resolver::docs_any`]):
/// kustomize cannot apply it either, and dropping it would build without the patch, silently.
fn inline_docs(scalar: &Node, acc: &mut Acc) -> Option<Vec<Node>> {
    let Some(s) = scalar.as_scalar() else {
        // An inline patch written as a YAML mapping/sequence rather than a string.
        return Some(vec![scalar.clone()]);
    };
    let parsed = parse_yaml(scalar.span.file, &s.text, &fleetlint_yaml::Limits::default());
    if let Some(issue) = parsed.issues.iter().find(|i| !matches!(i.kind, LoadIssueKind::AmbiguousScalar)) {
        acc.fatal(scalar.span, format!("inline patch: invalid YAML: {:?}", issue.kind));
        return None;
    }
    Some(parsed.documents.into_iter().map(|d| respan(d.root, scalar.span)).filter(|r| !r.is_null()).collect())
}
