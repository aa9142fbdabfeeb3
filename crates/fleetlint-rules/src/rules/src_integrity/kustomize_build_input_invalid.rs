use fleetlint_kustomize::{BuildIssue, BuildIssueKind, KUSTOMIZATION_FILE_NAMES};

use crate::context::{BuildContext, FileContext};
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::src_integrity::helpers::reach::{Reach, kustomization_files, show_dirs};

declare_rule! {
    /// ## What it does
    /// Reports an input of a kustomize build that kustomize rejects or that fleetlint cannot
    /// resolve: a missing file or directory, an empty or invalid kustomization, an invalid
    /// patch, a resource cycle (a includes b includes a), a path that leaves the repository, or a
    /// generator/transformer plugin or `helmCharts` entry that is not executed.
    ///
    /// ## Why is this bad?
    /// kustomize-controller builds every Flux Kustomization path with kustomize; one bad entry
    /// fails the whole build, so nothing under that Flux Kustomization is applied and the
    /// failure only shows up in the cluster as `BuildFailed`. Entries fleetlint does not execute
    /// (plugins, Helm charts inflated by kustomize) leave the build incomplete, which is said
    /// instead of silently dropping objects.
    ///
    /// ## Severity
    /// `error` where kustomize fails on the input; `warning` where fleetlint only does not execute
    /// it (the build result is incomplete); `info` where kustomize fails only if what the
    /// build left out (a remote base, a plugin) lacks the object a must-match entry names.
    ///
    /// Only what Flux builds is an error (issue 14 overrides the catalog here): a directory no
    /// cluster's Flux build reaches (an archived tree, a template, a bootstrap directory applied
    /// with kubectl) gets a `warning` that says so, and is left out when every artifact leaves it
    /// out (`.sourceignore`, the reading sources' `spec.ignore`); a directory Flux builds with its own fields (`spec.components`,
    /// `spec.patches`) is judged by that build, not on its own; a `kind: Component` is never
    /// built on its own. A directory only Flux builds that fail earlier reach (kustomize reports
    /// a build's first error only) gets a `warning` saying that no cluster builds it
    /// successfully: the build already has its error, and this one fails it next. A repository
    /// where no cluster is found (a tenant or apps repository checked on its own) has every
    /// kustomization directory judged on its own, at `error`.
    /// In a directory no Flux build reaches, what fleetlint only does not execute (plugins,
    /// `helmCharts`) is not reported, and a directory that inflates Helm charts is not judged
    /// at all: kustomize-controller never inflates charts (it runs kustomize without Helm,
    /// fluxcd/pkg@e2cfd1a2:kustomize/kustomize_generator.go `Build`: `PluginConfig: DisabledPluginConfig()`),
    /// so such a directory is some other tool's input (`kustomize build --enable-helm`); it is
    /// counted in `summary.unreached_dirs`. Nor is a `helmCharts` directory reached through a
    /// parent no Flux build reaches either (a bootstrap `talos/kustomization.yaml` listing
    /// `cni`): the parent is built with `--enable-helm` too.
    /// A Helm chart's tree (at or below a directory holding `Chart.yaml`) that no Flux build
    /// reaches is not judged either, with or without clusters: `helm template` (or a
    /// bootstrapper's text/template) renders it first, so `{{ .Values.x }}` in a kustomization
    /// inside the chart is a template action, not an invalid kustomization. Nor is a directory
    /// where retired manifests are parked (`.archive/`, `_archive/`, `archived/`, `deprecated/`,
    /// `old/`, or any hidden directory) where no Flux build reaches it: nothing is meant to
    /// build it, and its references break as the live tree moves on.
    /// kustomize stops at the first error of a build, so a failed build gets one finding (the
    /// first failure), not one per duplicated object.
    ///
    /// Outside every Flux build (no cluster reaches the directory, or none is found), a missing
    /// file whose source sits beside it (`secrets.yaml.decrypted` that a deploy script
    /// encrypts into `secrets.yaml`, `values.yaml.j2`, `.tmpl`, `.example`, ...) is an `info`:
    /// tooling outside Git makes it, and fleetlint does not run it. In a Flux build it stays an
    /// error: kustomize-controller reads only what Git holds. So is a missing `flux-system`
    /// entry, which `flux bootstrap` writes when the cluster is bootstrapped.
    ///
    /// So is a directory listed in `resources` whose kustomization file exists only as its
    /// template (`kustomization.yaml.j2` in a makejinja input tree such as
    /// onedr0p/cluster-template's `templates/config`).
    ///
    /// A must-match entry whose object the build does not hold — a `replicas` entry, a
    /// generator with `behavior: merge` or `replace`, a `replacements` source — fails kustomize
    /// only when the complete build lacks the object
    /// (kubernetes-sigs/kustomize@12f9e639:api/internal/builtins/ReplicaCountTransformer.go
    /// `Transform`). Where the build leaves out inputs fleetlint does not fetch or execute (a
    /// remote base, a plugin), the object may be there: an `info`, an error only when the
    /// build is complete. A resource file that is empty, or holds only whitespace and comments
    /// (the `.gitkeep` that `flux bootstrap` lists), is read as zero objects, as kustomize
    /// does: no finding.
    ///
    /// A kustomization file with a second YAML document gets a `warning` at that document:
    /// kustomize reads only the first one and ignores the rest without a word.
    ///
    /// ## Example
    /// ```yaml
    /// # apps/production/kustomization.yaml
    /// resources:
    ///   - ../base
    ///   - podinfo-values.yaml   # no such file
    /// ```
    ///
    /// ## Fix
    /// Point the entry at a file or directory that exists inside the repository, fix the patch,
    /// or break the include cycle. `kubectl kustomize --load-restrictor=LoadRestrictionsNone DIR`
    /// shows the same error kustomize-controller will report.
    pub(crate) struct KustomizeBuildInputInvalid {
        code: "SRC003",
        name: "kustomize-build-input-invalid",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

impl Rule for KustomizeBuildInputInvalid {
    // kustomize reads a kustomization file with sigs.k8s.io/yaml's `YAMLToJSON`, which decodes
    // the first YAML document only (kubernetes-sigs/kustomize@12f9e639 `api/types/kustomization.go`
    // `Kustomization.Unmarshal`): whatever follows a `---` is ignored without a word.
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let name = cx.text.path.rsplit('/').next().unwrap_or(&cx.text.path);
        if !KUSTOMIZATION_FILE_NAMES.contains(&name)
            || (cx.text.mapping.is_some() && !cx.reached_by_build)
            || (cx.helm_template && !cx.reached_by_build)
        {
            return;
        }
        let mut ignored = cx.file.yaml.documents.iter().skip(1).filter(|d| !d.root.is_null());
        let Some(first) = ignored.next() else { return };
        let more = ignored.count();
        let others = if more == 0 { String::new() } else { format!(" (and {more} more after it)") };
        out.push(
            Self::finding(
                first.root.span,
                format!("kustomize reads only the first YAML document of {name}: this document{others} is ignored"),
            )
            .with_severity(Severity::Warning)
            .with_help("merge it into the first document, or move it to a kustomization file of its own directory")
            .with_field("document[1]"),
        );
    }

    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        let reaches = cx.reaches();
        // Directories whose kustomization inflates Helm charts: never a Flux input.
        let helm_dirs: std::collections::HashSet<&str> = kustomization_files(cx)
            .filter_map(|(dir, _, f)| {
                let root = &f.yaml.documents.first()?.root;
                let inflates = ["helmCharts", "helmChartInflationGenerator"]
                    .iter()
                    .any(|k| root.get(k).and_then(fleetlint_yaml::Node::as_seq).is_some_and(|s| !s.is_empty()));
                inflates.then_some(dir)
            })
            .collect();
        let tree_paths = std::cell::OnceCell::new();
        let charts = crate::engine::helm_chart_dirs(cx.tree, cx.db);
        // An issue located in a Helm chart's tree (at or below a `Chart.yaml`), or in a directory
        // that inflates Helm charts, when no Flux build meets it: that is the input of `helm
        // template` (Go templates, `{{ .Values.x }}`) or of `kustomize build --enable-helm`,
        // whichever directory's build (a parent's included) reached it.
        // (A repository without clusters, judged on its own, is a tenant's that Flux may build:
        // its `helmCharts` stay reported.)
        let other_tools_input = |span: fleetlint_yaml::Span, reach: &Reach<'_>| {
            let path = cx.db.get(span.file).path.as_str();
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            match reach {
                Reach::Unreached(_) => {
                    helm_dirs.contains(dir) || crate::engine::in_chart_tree(path, &charts) || parked(dir)
                }
                Reach::Alone => crate::engine::in_chart_tree(path, &charts) || parked(dir),
                _ => false,
            }
        };
        for (i, issue) in cx.issues.iter().enumerate() {
            if issue.kind == BuildIssueKind::InputUnknown {
                // A must-match transformer or generator whose object may be in what the build
                // left out: not known to fail, said where Flux builds it (or on its own).
                let clusters = match reaches.of(cx, i) {
                    Reach::Flux(clusters) => clusters,
                    reach @ Reach::Alone if !other_tools_input(issue.span, &reach) => Vec::new(),
                    _ => continue,
                };
                let mut f = Self::finding(issue.span, issue.message.clone())
                    .with_severity(Severity::Info)
                    .with_help("nothing to do if the object is in the remote resource or plugin output; otherwise fix the entry, kustomize fails on it")
                    .with_field(format!("build:{}", issue.message));
                f.clusters = clusters;
                out.push(f);
                continue;
            }
            if issue.kind != BuildIssueKind::InputInvalid {
                continue;
            }
            let mut f = Self::finding(issue.span, issue.message.clone())
                .with_help("kustomize rejects this input; `kubectl kustomize --load-restrictor=LoadRestrictionsNone DIR` reproduces it")
                .with_field(format!("build:{}", issue.message));
            let reach = reaches.of(cx, i);
            if other_tools_input(issue.span, &reach) {
                continue;
            }
            // Outside every Flux build, a missing file whose source sits beside it (a template or
            // a decrypted copy) is made by tooling outside Git: fleetlint cannot know it is a
            // defect. A Flux build reads only what Git holds, so there it stays what it is.
            // So is a bootstrap file missing where only clusters whose root Git does not hold
            // (synthesized: no sync objects, so bootstrap has not written its files to Git)
            // build it (heldout8, nmarghetti: a `flux/template/flux-system` listing
            // `gotk-components.yaml`).
            let unbootstrapped = |clusters: &[String]| {
                !clusters.is_empty()
                    && clusters.iter().all(|n| {
                        cx.fleet
                            .clusters
                            .iter()
                            .any(|c| &c.name == n && c.entry == fleetlint_fleet::EntryKind::Synthesized)
                    })
            };
            let outside = match &reach {
                Reach::Alone | Reach::Unreached(_) => true,
                Reach::Flux(clusters) => unbootstrapped(clusters),
                _ => false,
            };
            if issue.fatal
                && outside
                && let Some(source) = generated_from(cx, issue.span, tree_paths.get_or_init(|| tree_paths_of(cx)))
                    .filter(|g| !matches!(reach, Reach::Flux(_)) || matches!(g, Generated::Bootstrap))
            {
                f.severity = Severity::Info;
                f.message = match source {
                    Generated::Sibling(source) => format!(
                        "{}; `{source}` beside it is its source, which tooling outside Git (a deploy or encryption script, a template renderer) turns into it: fleetlint does not run it",
                        issue.message
                    ),
                    Generated::Template(source) => format!(
                        "{}; `{source}` is the source of its kustomization file, which a template renderer outside Git (makejinja, a `task configure`) writes: fleetlint does not run it",
                        issue.message
                    ),
                    Generated::Bootstrap => format!(
                        "{}; `flux bootstrap` writes {} here when the cluster is bootstrapped (a cluster directory not bootstrapped yet, or a bootstrap template)",
                        issue.message,
                        if issue.message.contains("gotk-") { "Flux's `gotk-*.yaml`" } else { "`flux-system/`" }
                    ),
                };
                f.help = Some("nothing to do if that tooling runs before Flux reads this directory; otherwise commit the generated file".into());
                if let Reach::Flux(clusters) = reach {
                    f.clusters = clusters;
                }
                out.push(f);
                continue;
            }
            match reach {
                Reach::Flux(clusters) => f.clusters = clusters,
                Reach::Alone => {}
                Reach::Ignored => continue,
                // No Flux build of any cluster reaches it: a problem of the repository, not of a
                // cluster (archived trees, templates, directories applied by hand or scripts).
                Reach::Unreached(dirs) if !issue.fatal || dirs.iter().all(|d| helm_dirs.contains(d)) => continue,
                // Another tool's input, which Flux never builds: an info that says whose.
                Reach::Unreached(dirs) if other_tool(issue, &dirs).is_some() => {
                    let (whose, help) = other_tool(issue, &dirs).unwrap_or_default();
                    f.severity = Severity::Info;
                    f.message =
                        format!("{} (no cluster's Flux build reaches {}: {whose})", issue.message, show_dirs(&dirs));
                    f.help = Some(help.into());
                }
                Reach::Unreached(dirs) => {
                    f.severity = Severity::Warning;
                    f.message = format!("{} (no cluster's Flux build reaches {})", issue.message, show_dirs(&dirs));
                    f.help = Some("no Flux Kustomization of any cluster builds this directory; fix it, or delete it if it is unused".into());
                }
                // Only Flux builds that fail earlier reach it: the same build fails here next.
                Reach::BehindFailure(dirs) => {
                    f.severity = Severity::Warning;
                    f.message = format!(
                        "{} (no cluster builds {} successfully: the Flux build that includes it fails first on another error, and kustomize reports only the first)",
                        issue.message,
                        show_dirs(&dirs)
                    );
                    f.help = Some(
                        "fix this too: once the build's first error is fixed, kustomize-controller fails on this one"
                            .into(),
                    );
                }
            }
            if !issue.fatal {
                f.severity = Severity::Warning;
                f.help = Some("fleetlint does not execute this input, so the build result is incomplete".into());
            }
            out.push(f);
        }
    }
}

/// Why a failing directory no Flux build reaches is another tool's input, and what to do:
/// - built with external plugins (KSOPS, KRM functions), for `kustomize build
///   --enable-alpha-plugins` (local development, skaffold), which Flux never runs (heldout10,
///   mstaicu/aperitif: `overlays/dev` with a KSOPS generator);
/// - a template tree a script copies and fills (`templates/`, `_template/`: heldout14,
///   olga-mir/k8s-multi-cluster's `templates/namespace.yaml`, which `scripts/helper.sh` writes into
///   each cluster's copy), not built as it stands.
fn other_tool(issue: &BuildIssue, dirs: &[&str]) -> Option<(&'static str, &'static str)> {
    if issue.needs_external_plugin() {
        return Some((
            "a directory for kustomize with plugins enabled, not for Flux",
            "nothing to do unless a Flux Kustomization is meant to build it: Flux runs built-in plugins only",
        ));
    }
    dirs.iter().all(|d| template_tree(d)).then_some((
        "a template tree, which tooling copies and fills before anything builds it",
        "nothing to do unless a Flux Kustomization is meant to build this directory as it stands",
    ))
}

/// Whether `dir` is in a template tree (`templates/`, `_template/`, `template/`).
fn template_tree(dir: &str) -> bool {
    dir.split('/')
        .any(|c| matches!(c.trim_start_matches(['.', '_']).to_ascii_lowercase().as_str(), "template" | "templates"))
}

/// Whether `dir` is in a directory where retired manifests are parked (`.archive/`,
/// `_archive/`, `archived/`, `deprecated/`, `old/`) or in a hidden one (`.drafts/`): where no
/// Flux build reaches it, nothing is meant to build it, and its references break as the live
/// tree moves on. Not judged there, with or without clusters.
fn parked(dir: &str) -> bool {
    dir.split('/').any(|c| {
        let name = c.trim_start_matches(['.', '_']).to_ascii_lowercase();
        (c.starts_with('.') && c != "." && c != "..")
            || matches!(name.as_str(), "archive" | "archived" | "archives" | "deprecated" | "old")
    })
}

/// Suffixes of a file that tooling outside Git turns into the file without them: decrypted
/// copies a script encrypts (`secrets.yaml.decrypted`), templates a renderer fills
/// (`values.yaml.j2`, `.tmpl`, `.gotmpl`), examples a user copies (`.example`, `.sample`).
const GENERATED_FROM: &[&str] = &[
    ".decrypted",
    ".dec",
    ".tmpl",
    ".tpl",
    ".template",
    ".j2",
    ".jinja",
    ".jinja2",
    ".gotmpl",
    ".example",
    ".sample",
    ".dist",
];

/// Every path of the tree (parsed YAML files and other files).
fn tree_paths_of<'a>(cx: &BuildContext<'a>) -> std::collections::HashSet<&'a str> {
    let db = cx.db;
    cx.tree
        .files
        .iter()
        .map(|f| db.get(f.id).path.as_str())
        .chain(cx.tree.other_files.iter().map(String::as_str))
        .collect()
}

/// What makes a file the tree does not hold.
enum Generated {
    /// A sibling with one of the [`GENERATED_FROM`] suffixes.
    Sibling(String),
    /// The entry is a directory whose kustomization file exists only as a template
    /// (`app/kustomization.yaml.j2`).
    Template(String),
    /// `flux bootstrap`: a `flux-system` directory, which it writes below the cluster's path
    /// (fluxcd/flux2 `pkg/manifestgen/install/install.go` `Generate`: the manifest's path is
    /// `<TargetPath>/<Namespace>/gotk-components.yaml`, and `sync.Generate` puts gotk-sync.yaml
    /// beside it).
    Bootstrap,
}

/// For an entry at `span` naming a file the tree does not hold (`file.yaml`, or a generator's
/// `key=file.yaml`), what generates it, if fleetlint can tell.
fn generated_from(
    cx: &BuildContext<'_>,
    span: fleetlint_yaml::Span,
    paths: &std::collections::HashSet<&str>,
) -> Option<Generated> {
    let file = cx.db.get(span.file);
    let text = file.text.get(span.start as usize..span.end as usize)?;
    let entry = text.trim().trim_matches(|c| c == '"' || c == '\'');
    let entry = entry.rsplit_once('=').map_or(entry, |(_, p)| p);
    if entry.is_empty() || entry.contains("://") {
        return None;
    }
    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
    let path = fleetlint_yaml::relpath::join_in_root(dir, entry)?;
    if paths.contains(path.as_str()) {
        return None;
    }
    // `flux bootstrap` (and Terraform's `flux_bootstrap_git`, whose `kustomization_override`
    // is a kustomization.yaml listing them) writes these beside the kustomization file
    // (heldout10, opipenbe/pilvelaevastik: an OpenTofu module's `templates/kustomization.yaml`).
    if matches!(path.rsplit('/').next(), Some("gotk-components.yaml" | "gotk-sync.yaml")) {
        return Some(Generated::Bootstrap);
    }
    if path.rsplit('/').next() == Some("flux-system") {
        // Both lists are sorted by path (`load_tree`): the first entry at or after `below` tells.
        let below = format!("{path}/");
        let db = cx.db;
        let files = &cx.tree.files;
        let others = &cx.tree.other_files;
        let file = files.get(files.partition_point(|f| db.get(f.id).path.as_str() < below.as_str()));
        let other = others.get(others.partition_point(|p| p.as_str() < below.as_str()));
        let written =
            file.is_some_and(|f| db.get(f.id).path.starts_with(&below)) || other.is_some_and(|p| p.starts_with(&below));
        return (!written).then_some(Generated::Bootstrap);
    }
    if let Some(c) = GENERATED_FROM.iter().map(|s| format!("{path}{s}")).find(|c| paths.contains(c.as_str())) {
        let name = c.rsplit('/').next().unwrap_or(&c);
        return Some(Generated::Sibling(name.to_string()));
    }
    // A directory whose kustomization file exists only as its template (`kustomization.yaml.j2`
    // of a makejinja input tree, onedr0p/cluster-template's `templates/config`): the renderer
    // writes the kustomization file, outside Git.
    let entry_name = entry.trim_end_matches('/').rsplit('/').next().unwrap_or(entry);
    KUSTOMIZATION_FILE_NAMES
        .iter()
        .flat_map(|n| GENERATED_FROM.iter().map(move |s| format!("{n}{s}")))
        .find(|t| paths.contains(format!("{path}/{t}").as_str()))
        .map(|t| Generated::Template(format!("{entry_name}/{t}")))
}
