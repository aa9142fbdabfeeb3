use fleetlint_fleet::TreeView;
use fleetlint_fleet::{Cluster, SourceResolution};
use fleetlint_yaml::relpath::{clamp_flux_path, join_in_root};
use fleetlint_yaml::{FluxKind, LoadedTree, Node};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a HelmRelease chart template (`spec.chart.spec`) or a HelmChart whose
    /// `sourceRef` is a GitRepository or Bucket that fleetlint has locally (the repository being
    /// checked, or a mapped source), when `chart` is not a directory with a `Chart.yaml` in what
    /// source-controller would archive (`.sourceignore` applied), or when a `valuesFiles` entry
    /// does not exist and `ignoreMissingValuesFiles` is not `true`. A source counts as local
    /// when a Flux Kustomization of the cluster reads it from a local tree; sources only Helm
    /// objects use are not checked.
    ///
    /// ## Why is this bad?
    /// source-controller cannot package the chart, so the HelmChart never gets an artifact and
    /// the HelmRelease waits on a source that is never ready; nothing is installed or upgraded.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   chart:
    ///     spec:
    ///       chart: ./charts/web          # directory missing or without Chart.yaml
    ///       sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
    ///       valuesFiles: [./charts/web/values-prod.yaml]
    /// ```
    ///
    /// ## Fix
    /// Point `chart` at the chart's directory (relative to the source root), add the missing
    /// values file, or set `ignoreMissingValuesFiles: true` when the file is optional.
    pub(crate) struct HelmChartPathMissing {
        code: "SRC009",
        name: "helm-chart-path-missing",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for HelmChartPathMissing {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let mut views: Vec<Option<TreeView<'_>>> = (0..cx.trees.len()).map(|_| None).collect();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized {
                continue;
            }
            // The chart template and where it lives, and the namespace its sourceRef defaults to.
            // A HelmChart's sourceRef is always in its own namespace; a HelmRelease's chart
            // template may name another.
            let Some(flux) = o.flux() else { continue };
            let (spec, prefix, sref, ns) = match flux.kind() {
                FluxKind::HelmRelease => match (flux.chart_template_spec(), flux.chart_source_ref()) {
                    (Some(s), sref) => (s.value, "spec.chart.spec", sref, sref.map_or(o.namespace(), |r| r.namespace)),
                    (None, _) => continue,
                },
                FluxKind::HelmChart => match flux.spec() {
                    Some(s) => (s, "spec", flux.source_ref(), o.namespace()),
                    None => continue,
                },
                _ => continue,
            };
            let kind = sref.and_then(|r| r.kind()).unwrap_or("");
            if !matches!(kind, "GitRepository" | "Bucket") {
                continue;
            }
            let name = sref.map_or("", |r| r.name());
            let Some(t) = local_tree(cx.cluster, kind, ns, name) else { continue };
            let (Some(tree), Some(slot)) = (cx.trees.get(t), views.get_mut(t)) else { continue };
            let view = slot.get_or_insert_with(|| TreeView::new(tree, cx.db));
            let source = format!("{kind} {ns}/{name}");
            let chart = Check { view, tree, source: &source };
            if let Some(node) = spec.get("chart")
                && let Some(problem) = chart.chart_problem(node.as_str().unwrap_or(""))
            {
                let f = Self::finding(node.span, format!("{problem}: the HelmChart never becomes ready"))
                    .with_help(
                        "point chart at the chart's directory (the one with Chart.yaml), relative to the source root",
                    )
                    .with_field(format!("{prefix}.chart"));
                out.push(cx.about(f, i));
            }
            if spec.get("ignoreMissingValuesFiles").and_then(Node::as_bool) == Some(true) {
                continue;
            }
            let mut files: Vec<&Node> =
                spec.get("valuesFiles").and_then(Node::as_seq).unwrap_or_default().iter().collect();
            files.extend(spec.get("valuesFile"));
            for node in files {
                let Some(path) = node.as_str() else { continue };
                if !chart.has_file(path) {
                    let f = Self::finding(
                        node.span,
                        format!("values file `{path}` does not exist in {source}: the HelmChart fails to package"),
                    )
                    .with_help("add the file, correct the path (relative to the source root), or set ignoreMissingValuesFiles: true")
                    .with_field(format!("{prefix}.valuesFiles:{path}"));
                    out.push(cx.about(f, i));
                }
            }
        }
    }
}

/// The local tree of source `kind/ns/name`: the one a Flux Kustomization of the cluster reads
/// when it names the same source.
fn local_tree(cluster: &Cluster, kind: &str, ns: &str, name: &str) -> Option<usize> {
    cluster.kustomizations.iter().find_map(|k| {
        let SourceResolution::Tree(t) = k.source else { return None };
        let sref = cluster.objects[k.object].flux()?.source_ref()?;
        let same = sref.kind_or("GitRepository") == kind
            && sref.get("name").and_then(Node::as_str) == Some(name)
            && sref.namespace == ns;
        same.then_some(t)
    })
}

struct Check<'v, 't> {
    view: &'v TreeView<'t>,
    tree: &'t LoadedTree,
    source: &'v str,
}

impl Check<'_, '_> {
    /// What is wrong with chart path `raw`, if anything.
    fn chart_problem(&self, raw: &str) -> Option<String> {
        let (dir, _) = clamp_flux_path(raw);
        let chart_yaml = self.view.file(&join_in_root(&dir, "Chart.yaml").unwrap_or_default());
        match chart_yaml {
            Some(f) if f.ignored.is_none() => None,
            Some(_) => Some(format!("chart `{raw}` is excluded from {} by .sourceignore", self.source)),
            None if self.view.is_dir(&dir) => Some(format!("chart `{raw}` in {} has no Chart.yaml", self.source)),
            None => Some(format!("chart directory `{raw}` does not exist in {}", self.source)),
        }
    }

    fn has_file(&self, raw: &str) -> bool {
        let (path, _) = clamp_flux_path(raw);
        self.view.file(&path).is_some_and(|f| f.ignored.is_none()) || self.tree.other_files.contains(&path)
    }
}
