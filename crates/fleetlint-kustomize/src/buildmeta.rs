//! `buildMetadata` and kustomize's final annotation pass (`krusty.Kustomizer.Run` after the
//! build): the managed-by label, the `config.kubernetes.io/origin` and
//! `alpha.config.kubernetes.io/transformations` annotations, and the removal of build
//! annotations.
//!
//! Only the top kustomization's `buildMetadata` counts: kustomize copies it onto every base and
//! component it loads (`subKt.kustomization.BuildMetadata = kt.kustomization.BuildMetadata`), and
//! unknown values are accepted silently. Origins are tracked on every [`Resource`] whatever the
//! top asks (accumulations are cached per directory and shared by overlays), with paths relative
//! to the directory being accumulated; absorbing a base or a component rebases them.

use std::sync::Arc;

use fleetlint_yaml::{FileId, Limits, Node, Span, parse_yaml};

use crate::emit::quote_str;
use crate::issue::BuildIssue;
use crate::kustfile::Kustomization;
use crate::resource::{Origin, Resource, ensure_map_entry, remove_entry, set_entry, set_string_map};

/// The origin annotation (`buildMetadata: [originAnnotations]`).
pub(crate) const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
/// The transformations annotation (`buildMetadata: [transformerAnnotations]`).
const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// `kustomize-` and kustomize's provenance version. kubectl embeds kustomize as a library and
/// does not stamp a version, so kubectl 1.32 (the oracle) writes `(devel)`; another binary (the
/// `kustomize` CLI, a Flux controller) may write its own version here.
const MANAGED_BY_VALUE: &str = "kustomize-(devel)";

/// Annotations kustomize removes from every output object (its `BuildAnnotations` and kio's
/// path/index/id annotations, current and legacy), whether the input carried them or not.
/// Checked one by one with kubectl 1.32.
const BUILD_ANNOTATIONS: &[&str] = &[
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/suffixes",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/refBy",
    "internal.config.kubernetes.io/generatorBehavior",
    "internal.config.kubernetes.io/needsHashSuffix",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "config.k8s.io/id",
];

/// The YAML kyaml marshals an origin to; every line starts with `indent`, the first with `first`
/// instead.
fn render(origin: &Origin, out: &mut String, first: &str, indent: &str) {
    let mut lead = first;
    let mut line = |out: &mut String, text: String| {
        out.push_str(lead);
        out.push_str(&text);
        out.push('\n');
        lead = indent;
    };
    if !origin.path.is_empty() {
        line(out, format!("path: {}", quote_str(&origin.path)));
    }
    if !origin.configured_in.is_empty() {
        line(out, format!("configuredIn: {}", quote_str(&origin.configured_in)));
    }
    if !origin.configured_by.is_empty() {
        line(out, "configuredBy:".into());
        line(out, "  apiVersion: builtin".into());
        line(out, format!("  kind: {}", quote_str(origin.configured_by)));
    }
}

/// Rebase an object's origin and transformations (see [`Origin::rebase`]).
pub(crate) fn rebase(r: &mut Resource, prefix: &Arc<str>) {
    if prefix.is_empty() {
        return;
    }
    if let Some(o) = &mut r.origin {
        o.rebase(prefix);
    }
    r.transformations.rebase(prefix);
}

/// The top kustomization's `buildMetadata` options, with the spans of their entries.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BuildMetadata {
    /// The list is not empty (whatever its values): kustomize tracks origins during the build.
    tracking: bool,
    origin: Option<Span>,
    transformations: Option<Span>,
    managed_by: Option<Span>,
}

impl BuildMetadata {
    pub(crate) fn of(k: Option<&Kustomization>) -> Self {
        let mut bm = Self { tracking: k.is_some_and(|k| !k.seq("buildMetadata").is_empty()), ..Self::default() };
        for (value, span) in k.map(|k| k.str_list("buildMetadata")).unwrap_or_default() {
            match value.as_str() {
                "originAnnotations" => bm.origin = Some(span),
                "transformerAnnotations" => bm.transformations = Some(span),
                "managedByLabel" => bm.managed_by = Some(span),
                _ => {}
            }
        }
        bm
    }
}

/// The builtin transformers a kustomization configures, in the order kustomize runs them
/// (`configureBuiltinTransformers`): each is recorded as a transformation of every object
/// accumulated at that point.
pub(crate) fn configured_transformers(k: &Kustomization) -> Vec<&'static str> {
    let non_empty_map = |key: &str| k.root.get(key).and_then(Node::as_map).is_some_and(|m| !m.is_empty());
    let non_empty_str = |key: &str| k.str_field(key).is_some_and(|(s, _)| !s.is_empty());
    let mut out = Vec::new();
    let mut add = |kind: &'static str, n: usize| out.extend(std::iter::repeat_n(kind, n));
    add("PatchStrategicMergeTransformer", usize::from(!k.seq("patchesStrategicMerge").is_empty()));
    add("PatchTransformer", k.seq("patches").len());
    add("NamespaceTransformer", usize::from(non_empty_str("namespace")));
    add("PrefixTransformer", usize::from(non_empty_str("namePrefix")));
    add("SuffixTransformer", usize::from(non_empty_str("nameSuffix")));
    let labels = k.seq("labels").len();
    // one per `labels` entry, then one for `commonLabels` (even empty) when either is set
    add("LabelTransformer", if labels > 0 || non_empty_map("commonLabels") { labels + 1 } else { 0 });
    add("AnnotationsTransformer", usize::from(non_empty_map("commonAnnotations")));
    add("PatchJson6902Transformer", k.seq("patchesJson6902").len());
    add("ReplicaCountTransformer", k.seq("replicas").len());
    add("ImageTagTransformer", k.seq("images").len() + k.seq("imageTags").len());
    add("ReplacementTransformer", usize::from(!k.seq("replacements").is_empty()));
    out
}

/// While kustomize tracks origins, every transformer run parses each object's origin
/// annotation; one a generator wrote itself that is not a YAML mapping fails the build.
pub(crate) fn check(resources: &[Resource], bm: &BuildMetadata) -> Vec<BuildIssue> {
    if !bm.tracking {
        return Vec::new();
    }
    let mut issues = Vec::new();
    for r in resources.iter().filter(|r| r.origin.is_none() && !r.transformations.is_empty()) {
        let Some(value) = r.root.get_path(&["metadata", "annotations", ORIGIN_ANNOTATION]) else { continue };
        let text = value.as_str().unwrap_or("");
        let parsed = parse_yaml(FileId::SYNTHETIC, text, &Limits::default());
        let root = parsed.documents.first().map(|d| &d.root);
        if parsed.is_broken() || root.is_some_and(|n| n.as_map().is_none() && !n.is_null()) {
            issues.push(BuildIssue::invalid(
                value.span,
                true,
                format!("{ORIGIN_ANNOTATION} of {} {} is not an origin (a YAML mapping)", r.kind(), r.name()),
            ));
        }
    }
    issues
}

/// kustomize's last steps on the sorted output: the managed-by label when asked for, then
/// build annotations removed, origin and transformation annotations written when asked for and
/// removed otherwise (also when the input carried them), and an emptied `annotations` dropped.
pub(crate) fn finish(resources: &mut [Resource], bm: &BuildMetadata) {
    for r in resources {
        if let Some(span) = bm.managed_by {
            let meta = ensure_map_entry(&mut r.root, "metadata", span);
            let labels = ensure_map_entry(meta, "labels", span);
            set_entry(labels, MANAGED_BY_LABEL, Node::string(MANAGED_BY_VALUE, span), span);
        }
        let origin = match (bm.origin, &r.origin) {
            (Some(span), Some(o)) => {
                let mut text = String::new();
                render(o, &mut text, "", "");
                Some(Some((text, span)))
            }
            // a generator's own `config.kubernetes.io/origin` annotation is kept
            (Some(_), None) => None,
            (None, _) => Some(None),
        };
        let transformations = match bm.transformations {
            Some(span) if !r.transformations.is_empty() => {
                let mut text = String::new();
                for t in r.transformations.origins() {
                    render(&t, &mut text, "- ", "  ");
                }
                Some(Some((text, span)))
            }
            Some(_) => None,
            None => Some(None),
        };
        let Some(meta) = r.root.get_mut("metadata").filter(|m| m.as_map().is_some()) else { continue };
        let mut write = |key: &str, value: Option<(String, Span)>| match value {
            Some((text, span)) => {
                let annotations = ensure_map_entry(meta, "annotations", span);
                set_entry(annotations, key, Node::string(text.as_str(), span), span);
            }
            None => {
                if let Some(a) = meta.get_mut("annotations") {
                    remove_entry(a, key);
                }
            }
        };
        if let Some(v) = origin {
            write(ORIGIN_ANNOTATION, v);
        }
        if let Some(v) = transformations {
            write(TRANSFORMATIONS_ANNOTATION, v);
        }
        if let Some(a) = meta.get_mut("annotations") {
            for key in BUILD_ANNOTATIONS {
                remove_entry(a, key);
            }
        }
        // Every path above ends in kyaml's `SetAnnotations`, so annotation values are strings
        // (`length: 16` comes out as `"16"`) and an empty map goes; labels keep their types.
        set_string_map(meta, "annotations");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::relpath::join_lexical;

    #[test]
    fn rebase_composes_like_nested_joins() {
        let mut o = Origin::file("", "../x/cm.yaml");
        o.rebase("base");
        assert_eq!(o.path, join_lexical("base", "../x/cm.yaml"));
        let mut t = Origin::builtin("", "kustomization.yaml", "PatchTransformer");
        t.rebase("../comp");
        let mut text = String::new();
        render(&t, &mut text, "- ", "  ");
        assert_eq!(
            text,
            "- configuredIn: ../comp/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PatchTransformer\n"
        );
    }
}
