use fleetlint_yaml::{FluxKind, Span};

use super::helpers::crd_capable::crd_capable;
use super::helpers::naming::{describe, name_span};
use super::helpers::needs::{Item, Outcome, crd_needs, evaluate_with};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::{Avail, FluxGraph};

declare_rule! {
    /// ## What it does
    /// Reports an object of a custom kind applied by a Kustomization before the CRD of that kind
    /// exists. The CRD is in place when the Kustomization renders it itself (kustomize-controller
    /// applies CRDs in an earlier stage and waits for them), when an ancestor renders it, or
    /// when a Kustomization it (transitively) depends on renders it. Built-in kinds and Flux's
    /// own kinds (and the Flux Operator's, for a cluster driven by a FluxInstance) pre-exist.
    ///
    /// A HelmRelease does not count as a provider: the release object is applied, and the chart
    /// (with its CRDs) is installed later by helm-controller, so a HelmRelease in the same
    /// Kustomization or in an ancestor is never "before". Which chart installs which CRDs is not
    /// known without rendering charts; `crdProviders` in `.fleetlint.yaml` says it (API group ->
    /// HelmRelease), and then the release must be Ready before the Kustomization (a `dependsOn`
    /// on a Kustomization that waits for it), or it is an error. Otherwise, when no CRD manifest
    /// for a kind exists in the cluster at all, the finding is one info per kind and cluster
    /// ("CRD provider unknown", counting the other Kustomizations applying it), not an error:
    /// the CRDs may come from
    /// a chart, or be installed outside Git. It mentions a HelmRelease of the same
    /// Kustomization or an ancestor whose name looks like the API group. Nothing is reported
    /// when the Kustomization (transitively, or through an ancestor's `dependsOn`) depends on
    /// another Kustomization that applies objects of the same API group from the same provider:
    /// that one is Ready only after its apply, whose dry-run needs the group's CRDs, succeeded
    /// (the first of the chain keeps its finding). Nothing is reported for CRDs that the repository's bootstrap
    /// installs before Flux starts, read (never run) from its files: a helmfile release
    /// (`helmfile.yaml(.gotmpl)`, `helmfile.d/*.yaml`, `bootstrap/helmfile/*.yaml`) of a chart
    /// in the built-in table below, Talos `cluster.extraManifests` URLs naming a CRD bundle
    /// (`…/prometheus-operator/…/stripped-down-crds.yaml`, `<group>_<plural>.yaml`) or
    /// `inlineManifests` holding CRDs (in `talconfig.yaml` or a machine config), and
    /// `kubectl apply` of such URLs in a Taskfile's `bootstrap` task; a bootstrap file under a
    /// directory named after another cluster (`talos/utility/`) counts for that cluster only,
    /// one under a retired directory (`archive/`, `legacy/`) for none.
    /// Nothing is reported either
    /// when a HelmRelease is Ready before the Kustomization (through `dependsOn` on a
    /// Kustomization that waits for it), or when a Kustomization whose output is unknown (source
    /// not mapped, build failing) may render the CRD before it: either may well provide it. A
    /// Kustomization whose build fails over a directory fleetlint reads completely, holding no
    /// CRD, no Flux Kustomization, HelmRelease or ResourceSet, and no kustomization reaching
    /// outside it (a remote, `../`, a Helm chart, a plugin) cannot, once fixed, install a CRD (a
    /// SOPS-only secrets directory): it does not hide the finding (issue 14 point 9). A CRD
    /// manifest reached only through a child that nobody waits for is ORD005's.
    ///
    /// ## Why is this bad?
    /// The server-side dry-run fails with *no matches for kind "X" in version "Y"* and the whole
    /// stage is aborted: nothing of the Kustomization is applied (fluxcd/flux2#1806, #1928).
    ///
    /// A built-in table maps widely used charts to the API groups whose CRDs they install
    /// (cert-manager, external-secrets, kyverno, kube-prometheus-stack / prometheus-operator,
    /// longhorn, traefik, istio base, gateway-api, volsync, cloudnative-pg, ...): when
    /// neither the CRD nor `crdProviders` says, a HelmRelease of such a chart in the cluster is
    /// taken as the provider, and the object must wait for it, unless the repository's bootstrap
    /// tooling (a helmfile, a `bootstrap*crd*` script; read, never run) names the chart: then the
    /// CRDs are installed before Flux starts. The CRDs of CNI plugins (cilium, calico /
    /// tigera-operator, antrea, kube-ovn, multus) are never reported unless `crdProviders` names
    /// their release: Flux's own pods need the pod network, so the CNI, which registers its
    /// CRDs when it starts, runs before Flux does (a HelmRelease of it only adopts the release).
    ///
    /// One finding per Kustomization and provider, at the first object that needs the CRDs,
    /// naming the others (the missing `dependsOn` is one problem however many objects it
    /// affects).
    ///
    /// ## Severity
    /// `error` where the CRD (in Git, or from a `crdProviders` release) is applied after the
    /// object that needs it by a Kustomization (or release) that the failing Kustomization
    /// renders itself: its dry-run fails before that is ever applied, a deadlock. `warning` when
    /// the CRD comes from a Kustomization reconciling on its own (a sibling without `dependsOn`):
    /// the first apply on a new cluster fails and a retry heals it (issue 14 overrides the
    /// catalog here, as for ORD004). Where the provider is known only from the built-in table (its chart
    /// can be installed with the CRDs turned off), a `warning` saying so and how to confirm it
    /// (`crdProviders` in `.fleetlint.yaml`, which makes it an error); issue 14 overrides the
    /// catalog here. `info`, once per kind and cluster, where nothing in the graph installs the
    /// CRD (the provider is unknown).
    ///
    /// ## Example
    /// ```yaml
    /// # infra-configs renders a ClusterIssuer; the cert-manager CRDs are rendered by the
    /// # Kustomization `crds`, which infra-configs does not depend on
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: infra-configs, namespace: flux-system}
    /// spec:
    ///   path: ./infrastructure/configs
    /// ```
    ///
    /// ## Fix
    /// Add a `dependsOn` entry for the Kustomization that applies the CRDs (with `wait: true`
    /// when it applies them through a HelmRelease), or move the CRDs into the Kustomization.
    pub(crate) struct CrdBeforeCr {
        code: "ORD003",
        name: "crd-before-cr",
        category: Category::DependencyOrder,
        severity: Severity::Error,
    }
}

impl Rule for CrdBeforeCr {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let g = cx.graph();
        // "Provider unknown" is about a kind, not about each Kustomization applying it: one info
        // per kind, naming how many more apply it.
        let mut unknown: Vec<(Finding, usize)> = Vec::new();
        let mut by_kind: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut helmfiles: Option<Vec<String>> = None;
        // (consumer, provider) -> the first finding and the other objects it stands for.
        let mut ordered: Vec<Vec<(usize, Span, String, Finding)>> = Vec::new();
        let mut ordered_at: std::collections::HashMap<(usize, Option<usize>), usize> = std::collections::HashMap::new();
        let outcomes = evaluate_with(g, crd_needs(g), |opaque| crd_capable(cx, g, opaque));
        let established = established_by_dependency(g, &outcomes);
        let boot = bootstrap_for(cx);
        for (at, o) in outcomes.into_iter().enumerate() {
            if o.avail != Avail::No || o.maybe || established.contains(&at) {
                continue;
            }
            // The repository's bootstrap installs these CRDs before Flux starts (a helmfile
            // release of the chart, Talos `extraManifests`, a bootstrap task): nothing to order.
            if let Item::Crd { group, kind } = o.need.item
                && boot.iter().any(|b| b.covers(group, kind))
            {
                continue;
            }
            if o.from_table {
                // Fleets that install CRDs before Flux (a bootstrap helmfile rendering the charts
                // with `--include-crds`, a CRD bootstrap script) name the chart there: then the
                // CRD exists first.
                let texts = helmfiles.get_or_insert_with(|| helmfile_texts(cx));
                let chart = o.providers.first().map(|&hr| chart_name(g.object(hr))).unwrap_or_default();
                let Item::Crd { group, .. } = o.need.item else { continue };
                if texts.iter().any(|t| (!chart.is_empty() && mentions(t, &chart)) || t.contains(group)) {
                    continue;
                }
            }
            let f = cx.about(finding(g, &o), o.need.object);
            if f.severity != Severity::Info {
                // One problem per Kustomization and provider: the dependsOn it lacks, however many
                // of its objects need that provider's CRDs.
                let key = (o.need.consumer, o.providers.first().copied());
                let at = *ordered_at.entry(key).or_insert_with(|| {
                    ordered.push(Vec::new());
                    ordered.len() - 1
                });
                ordered[at].push((o.need.object, o.need.span, describe(g.object(o.need.object)), f));
                continue;
            }
            match by_kind.get(&f.field) {
                Some(&i) => unknown[i].1 += 1,
                None => {
                    by_kind.insert(f.field.clone(), unknown.len());
                    unknown.push((f, 0));
                }
            }
        }
        for mut group in ordered {
            // At the object rendered first; the others are named.
            group.sort_by_key(|(object, ..)| *object);
            let mut objects = group.into_iter();
            let Some((_, _, _, mut f)) = objects.next() else { continue };
            let more: Vec<(Span, String)> = objects.map(|(_, span, name, _)| (span, name)).collect();
            if !more.is_empty() {
                let names: Vec<&str> = more.iter().take(3).map(|(_, n)| n.as_str()).collect();
                let rest = more.len().saturating_sub(names.len());
                f.message.push_str(&format!(
                    " (and {} more object(s) it applies: {}{})",
                    more.len(),
                    names.join(", "),
                    if rest > 0 { format!(" and {rest} more") } else { String::new() }
                ));
                for (span, name) in more {
                    f = f.with_related(span, format!("{name} needs the same CRDs"));
                }
            }
            out.push(f);
        }
        for (mut f, more) in unknown {
            if more > 0 {
                f.message.push_str(&format!(" (and {more} more Kustomization(s) of this cluster)"));
            }
            out.push(f);
        }
    }
}

/// What happens when the provider is applied by a Kustomization that reconciles on its own.
const HEALS: &str = "; the first apply on a cluster without the CRD fails and a retry succeeds once the other Kustomization has applied it";

fn finding(g: &FluxGraph<'_>, o: &Outcome<'_>) -> Finding {
    let Item::Crd { group, kind } = o.need.item else { unreachable!("CRD needs only") };
    let consumer = describe(g.object(o.need.consumer));
    let obj = g.object(o.need.object);
    let field = format!("kind[{group}/{kind}]");
    if let Some(&hr) = o.providers.first().filter(|&&p| g.object(p).flux_kind() == Some(FluxKind::HelmRelease)) {
        let release = describe(g.object(hr));
        let hr_id = format!("HelmRelease/{}/{}", g.object(hr).namespace(), g.object(hr).name());
        let how = if o.from_table {
            "installs it according to fleetlint's built-in table of charts (the repository does not say so)"
        } else {
            "installs it (crdProviders)"
        };
        let message = format!(
            "{} ({group}) is applied by {consumer} before its CRD exists: {release} {how}, but {consumer} does not wait for that release (dry-run fails with \"no matches for kind \\\"{kind}\\\"\")",
            describe(obj),
        );
        let mut help = format!(
            "make {consumer} depend on the Kustomization that applies {release}, with `wait: true` or a health check on the release"
        );
        if o.from_table {
            // Issue 14 point 9: known only from the table, the provider is a likely one, not a
            // certain one (a chart can be installed with its CRDs turned off, `crds.enabled:
            // false`, and the CRDs installed another way): a warning, whatever applies the
            // release. `crdProviders` confirms it and makes it an error.
            help.push_str(&format!(
                "; to confirm that this release installs the CRDs, add `crdProviders: {{{group}: {hr_id}}}` to .fleetlint.yaml (this becomes an error); if the CRDs are installed another way (before Flux, or the chart's CRDs are turned off), map the group to the HelmRelease that does install them, or ignore ORD003 here"
            ));
        }
        let f = Finding::new(CrdBeforeCr::ID, o.need.span, message)
            .with_help(help)
            .with_related(
                name_span(g.object(hr)),
                if o.from_table {
                    "its chart ships the CRDs (built-in table)"
                } else {
                    "installs the CRDs (crdProviders)"
                },
            )
            .with_field(field);
        let deadlock = hr == o.need.consumer || g.ancestors(hr).any(|a| a == o.need.consumer);
        // Known only from the table: a warning whatever applies the release (above). Confirmed
        // by `crdProviders`: an error when it deadlocks, a warning when a retry heals it (see
        // `heals`).
        let mut f = if o.from_table || !deadlock { f.with_severity(Severity::Warning) } else { f };
        if deadlock {
            f.message.push_str(&format!(
                "; {consumer} also applies the release, so on a cluster without the CRDs its dry-run fails before the chart is ever installed"
            ));
        } else {
            f.message.push_str(HEALS);
        }
        return f;
    }
    if let Some(&crd) = o.providers.first() {
        let renderer = g.parent[crd].map_or_else(|| "the bootstrap".to_string(), |p| describe(g.object(p)));
        let message = format!(
            "{} ({group}) is applied by {consumer} before its CRD exists: CustomResourceDefinition `{}` is rendered by {renderer}, which is not applied before it (dry-run fails with \"no matches for kind \\\"{kind}\\\"\")",
            describe(obj),
            g.object(crd).name(),
        );
        // Deadlock: the CRD is rendered (at any depth) by the failing Kustomization itself, which
        // applies nothing while its dry-run fails (fluxcd/pkg@e2cfd1a2 ssa/manager_apply.go
        // `ApplyAll` dry-runs the whole stage first), so the CRD never comes: an error.
        // Otherwise the CRD comes from a Kustomization reconciling on its own (a sibling without
        // `dependsOn`, the bootstrap): the first apply fails and the next retry, every
        // `retryInterval`, succeeds once the CRD exists: a warning, as ORD004 grades the same
        // shape for namespaces (issue 14 item 10).
        let deadlock = g.ancestors(crd).any(|a| a == o.need.consumer);
        let (severity, tail) = if deadlock {
            (
                Severity::Error,
                format!(
                    "; {consumer} renders that Kustomization itself, so on a cluster without the CRD its dry-run fails before the CRD is ever applied"
                ),
            )
        } else {
            (Severity::Warning, HEALS.to_string())
        };
        return Finding::new(CrdBeforeCr::ID, o.need.span, format!("{message}{tail}"))
            .with_severity(severity)
            .with_help(format!("make {consumer} depend on {renderer}, or move the CRD into {consumer}"))
            .with_related(name_span(g.object(crd)), "the CRD")
            .with_field(field);
    }
    let mut message = format!(
        "CRD provider unknown: nothing in the cluster's graph installs the CRD of `{kind}` ({group}) that {consumer} applies"
    );
    let mut f = Finding::new(CrdBeforeCr::ID, o.need.span, String::new()).with_severity(Severity::Info);
    if let Some(hr) = lookalike_release(g, o.need.consumer, group) {
        message.push_str(&format!(
            "; {} may install it, but helm-controller installs the chart only after {consumer} is applied",
            describe(g.object(hr))
        ));
        f = f.with_related(name_span(g.object(hr)), "applied with the custom resources, not before them");
    }
    f.message = message;
    f.with_help("if the CRDs are installed outside Git, nothing to do; otherwise apply them (or the HelmRelease installing them, with `wait: true`) in a Kustomization this one depends on")
        .with_field(field)
}

/// The CRDs the checked repository's bootstrap installs before Flux starts
/// (`fleetlint_fleet::Fleet::bootstrap`, read once per fleet) that concern this cluster: a bootstrap file whose
/// directories name another cluster (`talos/utility/talconfig.yaml` for cluster `utility`)
/// and not this one is that cluster's.
fn bootstrap_for<'c>(cx: &ClusterContext<'c>) -> Vec<&'c fleetlint_fleet::bootstrap_crds::BootstrapCrds> {
    let all = &cx.fleet.bootstrap.crds;
    if all.is_empty() {
        return Vec::new();
    }
    let names = |c: &fleetlint_fleet::Cluster| -> Vec<String> {
        [c.name.as_str(), c.territory()]
            .iter()
            .filter_map(|n| n.rsplit('/').next())
            .filter(|n| !n.is_empty() && *n != ".")
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let mine = names(cx.cluster);
    // A name that is also a directory above this cluster (`kubernetes` for `kubernetes/main`)
    // names no other cluster's files.
    let above: Vec<String> = cx.cluster.territory().split('/').map(str::to_ascii_lowercase).collect();
    let others: Vec<String> = cx
        .fleet
        .clusters
        .iter()
        .filter(|c| c.name != cx.cluster.name)
        .flat_map(names)
        .filter(|n| !mine.contains(n) && !above.contains(n))
        .collect();
    all.iter()
        .filter(|b| {
            let lower = b.file.to_ascii_lowercase();
            let dirs: Vec<&str> = lower.split('/').rev().skip(1).collect();
            dirs.iter().any(|d| mine.iter().any(|m| m == d)) || !dirs.iter().any(|d| others.iter().any(|o| o == d))
        })
        .collect()
}

/// Outcomes (indices) whose consumer (transitively) depends on another Kustomization applying
/// objects of the same API group from the same provider (session 7, A10): through its own
/// `dependsOn` or an ancestor's, followed transitively, the dependency or one of its ancestors
/// applying such objects. That Kustomization is Ready only once its apply succeeded (exists only
/// once its parent's did), and an apply whose server-side dry-run misses a CRD fails
/// (fluxcd/kustomize-controller@186fb3b internal/controller/kustomization_controller.go
/// `reconcile`: `apply` before the Ready condition is set; fluxcd/pkg@e2cfd1a2
/// ssa/manager_apply.go `ApplyAll` dry-runs every object of a stage and returns on the first
/// failure before applying any): the provider (one chart, or the Kustomization rendering the
/// CRDs) has installed the group's CRDs by then. The first Kustomization of the chain keeps its
/// finding. A Kustomization is not credited for its own parent applying such objects: the parent
/// keeps the finding, and once it is fixed (the objects moved out) the child's own missing
/// `dependsOn` still matters.
fn established_by_dependency(g: &FluxGraph<'_>, outcomes: &[Outcome<'_>]) -> std::collections::HashSet<usize> {
    use std::collections::{HashMap, HashSet};
    let mut by_key: HashMap<(&str, Vec<usize>), Vec<usize>> = HashMap::new();
    for (at, o) in outcomes.iter().enumerate() {
        let Item::Crd { group, .. } = o.need.item else { continue };
        let Some(&first) = o.providers.first() else { continue };
        let provider = if g.object(first).flux_kind() == Some(FluxKind::HelmRelease) {
            vec![first]
        } else {
            let mut r: Vec<usize> = o.providers.iter().filter_map(|&p| g.parent[p]).collect();
            r.sort_unstable();
            r.dedup();
            r
        };
        by_key.entry((group, provider)).or_default().push(at);
    }
    let mut out = HashSet::new();
    for members in by_key.values() {
        let appliers: HashSet<usize> = members.iter().map(|&m| g.canon[outcomes[m].need.consumer]).collect();
        if appliers.len() < 2 {
            continue;
        }
        for &m in members {
            let o = &outcomes[m];
            if o.avail == Avail::No && !o.maybe && waits_for_one_of(g, o.need.consumer, &appliers) {
                out.insert(m);
            }
        }
    }
    out
}

/// Whether `k` waits, through the `dependsOn` of itself or an ancestor (transitively), for a
/// Kustomization in `appliers` or for one rendered by such a Kustomization.
fn waits_for_one_of(g: &FluxGraph<'_>, k: usize, appliers: &std::collections::HashSet<usize>) -> bool {
    // `k` and its own ancestors do not count (see `established_by_dependency`).
    let own: std::collections::HashSet<usize> = std::iter::once(k).chain(g.ancestors(k)).map(|x| g.canon[x]).collect();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<usize> = own.iter().copied().collect();
    while let Some(x) = stack.pop() {
        for &d in &g.out[x] {
            let Some(t) = g.deps[d].target else { continue };
            if own.contains(&t) || !seen.insert(t) {
                continue;
            }
            if std::iter::once(t)
                .chain(g.ancestors(t))
                .any(|a| !own.contains(&g.canon[a]) && appliers.contains(&g.canon[a]))
            {
                return true;
            }
            stack.push(t);
        }
    }
    false
}

/// The text of the repository's bootstrap tooling that installs charts or CRDs before Flux
/// starts: helmfiles (`helmfile.yaml`, `bootstrap/helmfile/*.yaml`, `helmfile.d/*`, often with
/// `--include-crds`) and CRD bootstrap scripts (`setup/bootstrap-crds.sh`). Only read, never run;
/// files over 1 MiB are skipped.
fn helmfile_texts(cx: &ClusterContext<'_>) -> Vec<String> {
    let bootstrap = |path: &str| {
        let lower = path.to_ascii_lowercase();
        lower.contains("helmfile") || (lower.contains("bootstrap") && lower.contains("crd"))
    };
    let mut texts: Vec<String> = cx
        .trees
        .iter()
        .flat_map(|t| t.files.iter())
        .map(|f| cx.db.get(f.id))
        .filter(|f| bootstrap(&f.path))
        .map(|f| f.text.to_string())
        .collect();
    for tree in cx.trees {
        for path in tree.other_files.iter().filter(|p| bootstrap(p)) {
            let disk = tree.root.join(path);
            if std::fs::symlink_metadata(&disk).is_ok_and(|m| m.is_file() && m.len() <= 1 << 20)
                && let Ok(text) = std::fs::read_to_string(&disk)
            {
                texts.push(text);
            }
        }
    }
    texts
}

/// The chart a HelmRelease installs (its release name for a `chartRef`).
fn chart_name(o: &fleetlint_fleet::RenderedObject) -> String {
    let chart = o.flux().and_then(|f| f.chart_name()).and_then(|f| f.as_str()).unwrap_or("");
    if chart.is_empty() { o.name().to_string() } else { chart.to_string() }
}

/// Whether `text` names `chart` as a whole word (`jetstack/cert-manager`, `name: cert-manager`).
fn mentions(text: &str, chart: &str) -> bool {
    text.match_indices(chart).any(|(at, _)| {
        let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
        !text[..at].chars().next_back().is_some_and(word) && !text[at + chart.len()..].chars().next().is_some_and(word)
    })
}

/// A HelmRelease rendered by `consumer` or one of its ancestors whose release or chart name
/// contains the first label of `group` (`cert-manager` for `cert-manager.io`): only a hint.
fn lookalike_release(g: &FluxGraph<'_>, consumer: usize, group: &str) -> Option<usize> {
    let label = group.split('.').next().filter(|l| l.len() > 2)?;
    std::iter::once(consumer).chain(g.ancestors(consumer)).find_map(|k| {
        g.children[k].iter().copied().find(|&c| {
            let hr = g.object(c);
            let chart = hr.flux().and_then(|f| f.chart_name()).and_then(|f| f.as_str()).unwrap_or("");
            hr.flux_kind() == Some(FluxKind::HelmRelease) && (hr.name().contains(label) || chart.contains(label))
        })
    })
}
