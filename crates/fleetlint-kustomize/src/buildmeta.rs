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

use fleetlint_yaml::{FileId, Limits, Node, NodeKind, Span, parse_yaml};

use crate::emit::quote_str;
use crate::issue::BuildIssue;
use crate::kustfile::Kustomization;
use crate::resource::{Resource, ensure_map_entry, remove_entry, set_entry};

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

/// Where an object (or a transformation of it) came from, as kustomize's `resource.Origin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The resource file, relative to the build directory (empty for generated objects).
    path: String,
    /// The kustomization file that configured the generator or transformer.
    configured_in: String,
    /// The builtin generator or transformer kind (`ConfigMapGenerator`, `PatchTransformer`, ...).
    configured_by: &'static str,
}

impl Origin {
    /// An object read from `entry` (a `resources` entry as written) of the kustomization at
    /// `prefix`.
    pub(crate) fn file(prefix: &str, entry: &str) -> Self {
        Self { path: path_join(prefix, entry), configured_in: String::new(), configured_by: "" }
    }

    /// A builtin generator or transformer `kind` configured in `kust_file` at `prefix`.
    pub(crate) fn builtin(prefix: &str, kust_file: &str, kind: &'static str) -> Self {
        Self { path: String::new(), configured_in: path_join(prefix, kust_file), configured_by: kind }
    }

    /// Re-root at `prefix` (the entry through which a base or component was reached).
    pub(crate) fn rebase(&mut self, prefix: &str) {
        if prefix.is_empty() {
            return;
        }
        for p in [&mut self.path, &mut self.configured_in] {
            if !p.is_empty() {
                *p = path_join(prefix, p);
            }
        }
    }

    /// The YAML kyaml marshals an origin to; every line starts with `indent`, the first with
    /// `first` instead.
    fn render(&self, out: &mut String, first: &str, indent: &str) {
        let mut lead = first;
        let mut line = |out: &mut String, text: String| {
            out.push_str(lead);
            out.push_str(&text);
            out.push('\n');
            lead = indent;
        };
        if !self.path.is_empty() {
            line(out, format!("path: {}", quote_str(&self.path)));
        }
        if !self.configured_in.is_empty() {
            line(out, format!("configuredIn: {}", quote_str(&self.configured_in)));
        }
        if !self.configured_by.is_empty() {
            line(out, "configuredBy:".into());
            line(out, "  apiVersion: builtin".into());
            line(out, format!("  kind: {}", quote_str(self.configured_by)));
        }
    }
}

/// Rebase an object's origin and transformations (see [`Origin::rebase`]).
pub(crate) fn rebase(r: &mut Resource, prefix: &str) {
    if prefix.is_empty() {
        return;
    }
    if let Some(o) = &mut r.origin {
        o.rebase(prefix);
    }
    for t in &mut r.transformations {
        t.rebase(prefix);
    }
}

/// Go's `path.Join`: the non-empty elements joined with `/`, cleaned; empty when all are empty.
pub(crate) fn path_join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `path.Clean`.
fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
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
        let parsed = parse_yaml(FileId(u32::MAX), text, &Limits::default());
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
                o.render(&mut text, "", "");
                Some(Some((text, span)))
            }
            // a generator's own `config.kubernetes.io/origin` annotation is kept
            (Some(_), None) => None,
            (None, _) => Some(None),
        };
        let transformations = match bm.transformations {
            Some(span) if !r.transformations.is_empty() => {
                let mut text = String::new();
                for t in &r.transformations {
                    t.render(&mut text, "- ", "  ");
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
        let emptied = meta.get("annotations").is_some_and(|a| match &a.kind {
            NodeKind::Map(entries) => entries.is_empty(),
            NodeKind::Scalar(_) => a.is_null(),
            NodeKind::Seq(_) => false,
        });
        if emptied {
            remove_entry(meta, "annotations");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_join() {
        assert_eq!(path_join("", "./dep.yaml"), "dep.yaml");
        assert_eq!(path_join("../base/", "kustomization.yml"), "../base/kustomization.yml");
        assert_eq!(path_join("app/overlay", "../../shared/x.yaml"), "shared/x.yaml");
        assert_eq!(path_join("../a", "../../b"), "../../b");
        assert_eq!(path_join("base", ""), "base");
        assert_eq!(path_join("", ""), "");
        assert_eq!(path_join("a", ".."), ".");
    }

    #[test]
    fn rebase_composes_like_nested_joins() {
        let mut o = Origin::file("", "../x/cm.yaml");
        o.rebase("base");
        assert_eq!(o.path, path_join("base", "../x/cm.yaml"));
        let mut t = Origin::builtin("", "kustomization.yaml", "PatchTransformer");
        t.rebase("../comp");
        let mut text = String::new();
        t.render(&mut text, "- ", "  ");
        assert_eq!(
            text,
            "- configuredIn: ../comp/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PatchTransformer\n"
        );
    }
}
