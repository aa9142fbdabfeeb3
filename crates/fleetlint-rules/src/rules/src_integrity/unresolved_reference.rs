use std::collections::HashMap;

use fleetlint_fleet::controllers::{Controller, Origin};
use fleetlint_fleet::{Cluster, EntryKind, FoundReason, SourceResolution};
use fleetlint_yaml::{FluxKind, Node, Span};

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::flux::{FieldRef, InstanceSpec, KUSTOMIZATION_SOURCES, RefTarget, references};

declare_rule! {
    /// ## What it does
    /// Reports a reference whose target is not in the cluster, or whose kind the field does not
    /// accept: a Kustomization's `sourceRef` (GitRepository, OCIRepository, Bucket,
    /// ExternalArtifact), a HelmRelease's `chart.spec.sourceRef` (HelmRepository, GitRepository,
    /// Bucket) or `chartRef` (OCIRepository, HelmChart, ExternalArtifact) — exactly one of
    /// `chart`/`chartRef` —, a HelmChart's `sourceRef`, GitRepository `include[].repository`,
    /// ImagePolicy `imageRepositoryRef`, ImageUpdateAutomation `sourceRef`, Alert `providerRef`,
    /// Receiver `resources[]`, and the Secret/ConfigMap/ServiceAccount references (`valuesFrom`,
    /// `substituteFrom` unless `optional`, `decryption.secretRef`, `kubeConfig`,
    /// `serviceAccountName`, the sources' and Providers' `secretRef`/`certSecretRef`/
    /// `proxySecretRef`/`verify.secretRef`). An `ExternalArtifact` reference without the
    /// `ExternalArtifact` feature gate on the consuming controller is reported too.
    ///
    /// Severity: an error for Flux objects and invalid kinds; for Secrets and ConfigMaps, which
    /// most fleets create outside Git (decryption keys, git credentials, notification tokens), an
    /// info naming the reference, or a warning when `.fleetlint.yaml` lists the objects created
    /// outside Git (`preexisting.objects`, `Kind/namespace/name`, `*` for any namespace or name)
    /// and the target is not among them; a warning for a missing ServiceAccount. Not reported,
    /// because they exist: targets listed under `preexisting.objects`, the source of a cluster's
    /// self-managed root Kustomization (its `spec.path` is the cluster's directory) when Git does
    /// not define it (it is installed out of band and is the checked repository), a
    /// Kustomization's source that Git does not define but the user maps to a local tree
    /// (`--source`, `sources` in .fleetlint.yaml: the build runs through it), targets in a
    /// namespace that an unmapped tenant tree writes into (its
    /// `targetNamespace`, else its own namespace), Secrets that an ExternalSecret,
    /// ClusterExternalSecret (in any namespace), SealedSecret,
    /// cert-manager Certificate or Kyverno `generate` rule in the cluster produces, HelmCharts
    /// generated from a HelmRelease's chart template, ExternalArtifacts (made by controllers),
    /// the `default` ServiceAccount, the Flux controllers' and Flux Operator's ServiceAccounts,
    /// and the `flux-system` Secret that bootstrap creates. When a platform namespace holds an
    /// unmapped Kustomization without `targetNamespace`, a missing target in any namespace is a
    /// warning that names it (it can apply objects into every namespace; assuming it does would
    /// silence the rule in most clusters, so it is not taken as certain either way). With `spec.kubeConfig` the `serviceAccountName` is looked up in the remote
    /// cluster, when fleetlint models it. The feature gate is checked only when the
    /// controller's Deployment is in the repository: `flux install` with source-watcher turns
    /// it on. When the same kind and name exist in another namespace the finding points at it.
    ///
    /// ## Why is this bad?
    /// The controller cannot find the object: a Flux object waits forever (`Source
    /// 'GitRepository/flux-system/podinfo' not found`, retried every `retryInterval`); a missing
    /// values or substitution object fails the release or build; a missing ServiceAccount makes
    /// impersonation fail. A kind the field does not accept is rejected by the API server.
    ///
    /// ## Severity
    /// `error` for a reference a Flux controller waits on forever; `info` for a Secret or
    /// ConfigMap that is not in Git (`warning` when `preexisting.objects` is declared and does not
    /// list it); `warning` for a missing ServiceAccount and for any Flux reference that a
    /// Kustomization with an unmapped source might render, and for a Flux object missing from a
    /// cluster whose root Git does not hold (taken by the `clusters/*` convention or a
    /// `--clusters` glob, without bootstrap's `flux-system/` files), since what applies that root — a head repository, a README's
    /// commands — may define it (heldout8, brainfair/awesome-flux-infra: HelmRepositories from
    /// the companion CRD repository its head repository applies first). Issue 14 overrides the
    /// catalog here: out-of-band Secrets and ConfigMaps are how most fleets work.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: helm.toolkit.fluxcd.io/v2
    /// kind: HelmRelease
    /// metadata: {name: app, namespace: team-a}
    /// spec:
    ///   chartRef: {kind: OCIRepository, name: app-chart}       # no OCIRepository team-a/app-chart
    ///   valuesFrom: [{kind: ConfigMap, name: cluster-values}]  # only in flux-system
    /// ```
    ///
    /// ## Fix
    /// Correct the name (or namespace, where the field has one), add the missing object to the
    /// repository, or — for objects created outside Git — suppress the finding with
    /// `# fleetlint: ignore[SRC002]` on the reference.
    pub(crate) struct UnresolvedReference {
        code: "SRC002",
        name: "unresolved-reference",
        category: Category::SourceIntegrity,
        severity: Severity::Error,
    }
}

/// `(kind, namespace, name)` -> the object (or producer) that defines it.
type Index = HashMap<(String, String, String), usize>;

impl Rule for UnresolvedReference {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let index = build_index(cx.cluster);
        let opaque = Opaque::of(cx.cluster);
        let generated = generated_by_policies(cx.cluster);
        let mut remotes: HashMap<String, Option<Index>> = HashMap::new();
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized {
                continue;
            }
            if o.flux_kind() == Some(FluxKind::HelmRelease) {
                chart_or_chart_ref(cx, i, out);
            }
            for r in references(o) {
                // The schema rules leave this field to SRC002 (`sch_schema::helpers::reported_elsewhere`).
                if r.kind_rejected() {
                    let span = r.kind_node.map_or(r.name_node.span, |n| n.span);
                    let msg = format!(
                        "{}.kind `{}` is not accepted here: a {} reads {}",
                        r.field,
                        r.kind,
                        o.kind(),
                        r.allowed.join(", ")
                    );
                    let f = Self::finding(span, msg)
                        .with_help(format!("use one of {}", r.allowed.join(", ")))
                        .with_field(format!("{}.kind", r.field));
                    out.push(cx.about(f, i));
                    continue;
                }
                // A name post-build substitution left unresolved is SRC007's finding.
                if r.kind.is_empty() || r.name.contains("${") || r.namespace.contains("${") {
                    continue;
                }
                if r.kind == "ExternalArtifact" {
                    // Produced by controllers (source-watcher), never in Git: only the gate.
                    external_artifact_gate(cx, i, &r, out);
                    continue;
                }
                if r.optional || preexisting(cx.cluster, &r) {
                    continue;
                }
                let key = (r.kind.clone(), r.namespace.clone(), r.name.to_string());
                if r.remote {
                    // Only checkable when the remote cluster is modelled (a Kustomization applies
                    // to it through the same kubeConfig).
                    let remote = remotes
                        .entry(r.namespace.clone())
                        .or_insert_with(|| remote_cluster(cx, &r.namespace).map(build_index));
                    if remote.as_ref().is_none_or(|idx| idx.contains_key(&key)) {
                        continue;
                    }
                } else if index.contains_key(&key)
                    || index.contains_key(&(r.kind.clone(), "*".to_string(), r.name.to_string()))
                    || declared_preexisting(cx, &r)
                    || opaque.covers(&r.namespace)
                    || generated.iter().any(|(k, n)| *k == r.kind && n.as_deref().is_none_or(|n| n == r.name))
                {
                    continue;
                }
                if r.target == RefTarget::Flux && (self_managed_root_source(cx, i, &r) || mapped_source(cx, i, &r)) {
                    continue;
                }
                let mut f = unresolved(cx, &index, &r, o.kind());
                if let Some(id) = opaque.maybe(&r.namespace) {
                    f.severity = f.severity.min(Severity::Warning);
                    f.message = format!("{} (unless {id}, whose source is not mapped, renders it)", f.message);
                } else if r.target == RefTarget::Flux && root_outside_git(cx.cluster) {
                    f.severity = f.severity.min(Severity::Warning);
                    f.message = format!(
                        "{} (unless what applies this cluster's root outside Git, which Git does not hold, defines it)",
                        f.message
                    );
                }
                out.push(cx.about(f, i));
            }
        }
    }
}

/// Every object a reference can name, by kind, namespace and name; plus the Secrets that
/// in-cluster producers write and the HelmCharts helm-controller generates.
fn build_index(cluster: &Cluster) -> Index {
    let mut index = Index::new();
    let mut put = |kind: &str, ns: &str, name: &str, i: usize| {
        index.entry((kind.to_string(), ns.to_string(), name.to_string())).or_insert(i);
    };
    for (i, o) in cluster.objects.iter().enumerate() {
        let (kind, ns, name) = (o.kind(), o.namespace(), o.name());
        let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g);
        let str_at = |path: &[&str]| o.root.get_path(path).and_then(Node::as_str).filter(|s| !s.is_empty());
        match (group, kind) {
            _ if o.flux_kind().is_some() => put(kind, ns, name, i),
            ("", "Secret" | "ConfigMap" | "ServiceAccount") => put(kind, ns, name, i),
            ("external-secrets.io", "ExternalSecret") => {
                put("Secret", ns, str_at(&["spec", "target", "name"]).unwrap_or(name), i);
            }
            // One ExternalSecret per selected namespace (external-secrets
            // apis/externalsecrets/v1 ClusterExternalSecretSpec: `externalSecretName` names the
            // ExternalSecrets, defaulting to the ClusterExternalSecret's name; the Secret is the
            // spec's `target.name`, else the ExternalSecret's name). Which namespaces the selectors
            // pick is decided at run time: indexed under every namespace (`*`).
            ("external-secrets.io", "ClusterExternalSecret") => {
                let es = str_at(&["spec", "externalSecretName"]).unwrap_or(name);
                put("Secret", "*", str_at(&["spec", "externalSecretSpec", "target", "name"]).unwrap_or(es), i);
            }
            ("bitnami.com", "SealedSecret") => {
                put("Secret", ns, str_at(&["spec", "template", "metadata", "name"]).unwrap_or(name), i);
            }
            ("cert-manager.io", "Certificate") => {
                if let Some(secret) = str_at(&["spec", "secretName"]) {
                    put("Secret", ns, secret, i);
                }
            }
            ("onepassword.com", "OnePasswordItem") => put("Secret", ns, name, i),
            _ => {}
        }
        let flux = o.flux();
        if let Some(release) = flux.filter(|f| f.kind() == FluxKind::HelmRelease && f.chart_template().is_some()) {
            // HelmChart `<hr-ns>-<hr-name>` in the source's namespace (HelmRelease.GetHelmChartName).
            let source_ns = release.chart_source_ref().map_or(ns, |r| r.namespace);
            put("HelmChart", source_ns, &format!("{ns}-{name}"), i);
        }
        if let Some(instance) = flux.filter(|f| f.kind() == FluxKind::FluxInstance).and_then(|f| f.spec()) {
            // The operator names the sync source after the namespace, of `spec.sync.kind`.
            let sync = InstanceSpec(instance).sync_kind().filter(|s| !s.is_empty()).unwrap_or("GitRepository");
            put(sync, ns, ns, i);
        }
    }
    if cluster.entry == EntryKind::FluxInstance {
        // The bootstrap objects are synthesized as a GitRepository; the FluxInstance (perhaps
        // only in a HelmRelease's values) may sync from an OCIRepository or a Bucket instead.
        if let Some(i) = cluster.objects.iter().position(|o| o.synthesized && o.kind() == "GitRepository") {
            let ns = cluster.objects[i].namespace().to_string();
            for kind in ["OCIRepository", "Bucket"] {
                put(kind, &ns, &ns, i);
            }
        }
    }
    index
}

/// The remote cluster that objects of namespace `ns` with a `spec.kubeConfig` apply to.
fn remote_cluster<'c>(cx: &ClusterContext<'c>, ns: &str) -> Option<&'c Cluster> {
    let hub = cx.cluster.name.as_str();
    cx.fleet.clusters.iter().find(|c| {
        c.hub.as_deref() == Some(hub)
            && (c.name == ns || c.name.strip_prefix(hub).and_then(|r| r.strip_prefix('/')) == Some(ns))
    })
}

/// Kinds (and names, `None` for any) that Kyverno `generate` rules in the cluster create in
/// namespaces: a policy cloning Secrets into every tenant namespace makes them exist there.
fn generated_by_policies(cluster: &Cluster) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let policies = cluster
        .objects
        .iter()
        .filter(|o| o.api_version().starts_with("kyverno.io/") && matches!(o.kind(), "ClusterPolicy" | "Policy"));
    for p in policies {
        for rule in p.root.get_path(&["spec", "rules"]).and_then(Node::as_seq).unwrap_or_default() {
            let Some(g) = rule.get("generate") else { continue };
            if let Some(kind) = g.get("kind").and_then(Node::as_str) {
                let name = g.get("name").and_then(Node::as_str).filter(|n| !n.contains("{{")).map(str::to_string);
                out.push((kind.to_string(), name));
            }
            for k in g.get_path(&["cloneList", "kinds"]).and_then(Node::as_seq).unwrap_or_default() {
                let kind = k.as_str().unwrap_or("").rsplit('/').next().unwrap_or("");
                out.push((kind.to_string(), None));
            }
        }
    }
    out
}

/// Objects every cluster has without Git: the `default` ServiceAccount of each namespace, the
/// Flux controllers' (and Flux Operator's) ServiceAccounts and the deploy-key Secret
/// `flux bootstrap` creates.
fn preexisting(cluster: &Cluster, r: &FieldRef<'_>) -> bool {
    let flux_ns = cluster
        .objects
        .iter()
        .find(|o| o.kind() == "Deployment" && Controller::from_name(o.name()).is_some())
        .map_or("flux-system", |o| o.namespace());
    match r.kind.as_str() {
        "ServiceAccount" => {
            r.name == "default"
                || (r.namespace == flux_ns && (Controller::from_name(r.name).is_some() || r.name == "flux-operator"))
        }
        "Secret" => r.namespace == flux_ns && r.name == "flux-system",
        _ => false,
    }
}

/// Where objects fleetlint cannot see may land: what Kustomizations whose source is not mapped
/// render, and what ResourceSets fleetlint cannot render create. A tenant's opaque tree (outside
/// the platform namespaces) writes into its `targetNamespace` or its own namespace; a platform
/// one without `targetNamespace` (typically upstream manifests from an OCI source) could write
/// anywhere, but assuming so would silence the rule in most clusters, so a missing target in
/// any namespace is only downgraded to a warning that names it.
struct Opaque {
    /// Namespaces an opaque tree writes into.
    covered: Vec<String>,
    /// Platform namespaces with an opaque Kustomization without `targetNamespace`, and its id.
    maybe: Vec<(String, String)>,
}

impl Opaque {
    fn of(cluster: &Cluster) -> Self {
        let mut me = Self { covered: Vec::new(), maybe: Vec::new() };
        for k in cluster.kustomizations.iter().filter(|k| k.source == SourceResolution::Unmapped) {
            let o = &cluster.objects[k.object];
            let Some(ks) = o.flux() else { continue };
            let kind = ks.source_ref().map_or("GitRepository", |r| r.kind_or("GitRepository"));
            if ks.kube_config().is_some() || !KUSTOMIZATION_SOURCES.contains(&kind) {
                continue; // renders into another cluster, or reads nothing at all
            }
            let target = ks.target_namespace_name();
            match target {
                Some(ns) => me.covered.push(ns.to_string()),
                None if cluster.is_platform_namespace(o.namespace()) => {
                    me.maybe.push((o.namespace().to_string(), o.id()));
                }
                None => {
                    me.covered.push(o.namespace().to_string());
                    // Without a service account to impersonate it applies as kustomize-controller
                    // itself, into any namespace; so does one whose account a ClusterRoleBinding
                    // grants a role: its scope is the whole cluster.
                    let cluster_wide = ks.service_account_name().map_or(true, |sa| {
                        fleetlint_fleet::rbac::grants(cluster, o.namespace(), sa).iter().any(|g| g.cluster_wide())
                    });
                    if cluster_wide {
                        me.maybe.push((o.namespace().to_string(), o.id()));
                    }
                }
            }
        }
        for i in cluster.unrendered_resource_sets() {
            me.covered.push(cluster.objects[i].namespace().to_string());
        }
        me
    }

    fn covers(&self, ns: &str) -> bool {
        self.covered.iter().any(|n| n == ns)
    }

    /// The opaque platform Kustomization that might render into `ns`: one in `ns` itself, else
    /// any of them. kustomize-controller applies the build output as is when `targetNamespace`
    /// is unset (fluxcd/kustomize-controller@186fb3b:internal/controller/kustomization_controller.go
    /// `apply`: the objects keep the namespaces their files name), so such a Kustomization can
    /// create objects in every namespace: the absence is as uncertain across namespaces as in
    /// its own (held-out class missing-source-error-despite-opaque-sibling).
    fn maybe(&self, ns: &str) -> Option<&str> {
        self.maybe.iter().find(|(n, _)| n == ns).or_else(|| self.maybe.first()).map(|(_, id)| id.as_str())
    }
}

fn unresolved(cx: &ClusterContext<'_>, index: &Index, r: &FieldRef<'_>, referrer: &str) -> Finding {
    let target = format!("{} {}/{}", r.kind, r.namespace, r.name);
    // A Secret or ConfigMap not in Git (decryption keys, git credentials, notification tokens,
    // cluster settings written by Terraform) is how most fleets work: an info naming it, unless
    // the configuration lists the objects created outside Git, then an unlisted one is a
    // warning. A missing ServiceAccount makes impersonation fail: a warning (issue 14 item 6).
    let (severity, consequence) = match r.target {
        RefTarget::Flux => (Severity::Error, format!("the {referrer} waits for it forever")),
        RefTarget::Local if r.kind == "ServiceAccount" => {
            (Severity::Warning, "unless it is created outside Git, impersonating it fails".to_string())
        }
        RefTarget::Local if cx.fleet.preexisting_objects.is_empty() => (
            Severity::Info,
            "it must be created outside Git (list it under `preexisting.objects` in .fleetlint.yaml to say so)"
                .to_string(),
        ),
        RefTarget::Local => (
            Severity::Warning,
            "nor listed under `preexisting.objects`: unless it is created outside Git, the reconciliation fails"
                .to_string(),
        ),
    };
    let message = format!("{} names {target}, which is not defined in this cluster: {consequence}", r.field);
    let mut help = format!("define {target} in the repository or correct the name");
    let mut f = Finding::new(UnresolvedReference::ID, r.name_node.span, message).with_severity(severity);
    // The same kind and name in another namespace: the likely intent.
    let mut elsewhere: Vec<(&str, usize)> = index
        .iter()
        .filter(|((k, ns, n), _)| *k == r.kind && n == r.name && *ns != r.namespace)
        .map(|((_, ns, _), &i)| (ns.as_str(), i))
        .collect();
    elsewhere.sort_unstable();
    if let Some(&(ns, i)) = elsewhere.first() {
        help = if r.cross_namespace {
            format!("a {} named {} exists in namespace {ns}: set `namespace: {ns}` on the reference", r.kind, r.name)
        } else {
            format!(
                "a {} named {} exists in namespace {ns}, but this field is always resolved in the object's own namespace ({}): create it there",
                r.kind, r.name, r.namespace
            )
        };
        f = f.with_related(name_span(cx, i), format!("{} {ns}/{} is defined here", r.kind, r.name));
    }
    f.with_help(help).with_field(format!("{}:{}", r.field, r.kind))
}

/// Whether nothing in Git says how the cluster's root is applied: a directory taken by the
/// `clusters/*` convention or a configured glob, without bootstrap's `flux-system/` files (with
/// them, the root is bootstrap's standard sync and Git shows everything it applies).
fn root_outside_git(cluster: &Cluster) -> bool {
    cluster.entry == EntryKind::Synthesized
        && matches!(cluster.found_by.reason, FoundReason::Convention | FoundReason::Config { .. })
}

/// Whether `preexisting.objects` lists the target (`Kind/namespace/name`; `*` for any namespace
/// or name).
fn declared_preexisting(cx: &ClusterContext<'_>, r: &FieldRef<'_>) -> bool {
    cx.fleet.preexisting_objects.iter().any(|d| {
        let mut parts = d.splitn(3, '/');
        let (Some(kind), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next()) else { return false };
        kind == r.kind && (ns == "*" || ns == r.namespace) && (name == "*" || name == r.name)
    })
}

/// The source of a cluster's self-managed root: a Kustomization whose `spec.path` is the
/// cluster's own entry directory, reading a source that Git does not define. That source is
/// installed out of band (bootstrap, Terraform, a platform's operator) and is the checked
/// repository itself, so it exists (issue 14 item 6).
fn self_managed_root_source(cx: &ClusterContext<'_>, i: usize, r: &FieldRef<'_>) -> bool {
    let o = cx.object(i);
    if o.flux_kind() != Some(FluxKind::Kustomization) || !r.field.starts_with("spec.sourceRef") {
        return false;
    }
    cx.cluster.kustomization_of(i).is_some_and(|k| k.path == cx.cluster.path)
}

/// A Kustomization's source that no object defines but that resolves to a local tree: the user
/// mapped it (`--source`), so it exists wherever the repository is served from and the build
/// runs through it; it is not "waited for forever".
fn mapped_source(cx: &ClusterContext<'_>, i: usize, r: &FieldRef<'_>) -> bool {
    let o = cx.object(i);
    o.flux_kind() == Some(FluxKind::Kustomization)
        && r.field.starts_with("spec.sourceRef")
        && cx.cluster.kustomization_of(i).is_some_and(|k| matches!(k.source, SourceResolution::Tree(_)))
}

fn name_span(cx: &ClusterContext<'_>, i: usize) -> Span {
    let root = &cx.object(i).root;
    root.get_path(&["metadata", "name"]).map_or(root.span, |n| n.span)
}

/// A HelmRelease needs exactly one of `spec.chart` and `spec.chartRef`.
fn chart_or_chart_ref(cx: &ClusterContext<'_>, i: usize, out: &mut Vec<Finding>) {
    let root = &cx.object(i).root;
    let Some(release) = cx.object(i).flux() else { return };
    let (span, msg) = match (release.chart_template(), release.chart_ref()) {
        (Some(_), Some(r)) => {
            (r.field.key_span(), "HelmRelease sets both spec.chart and spec.chartRef; exactly one is allowed")
        }
        (None, None) => (
            root.nearest_key(&["spec", "chart"]).map_or(root.span, |n| n.span),
            "HelmRelease has neither spec.chart nor spec.chartRef: there is no chart to install",
        ),
        _ => return,
    };
    let f = UnresolvedReference::finding(span, msg)
        .with_help("keep exactly one of spec.chart (a chart template) and spec.chartRef")
        .with_field("spec.chart");
    out.push(cx.about(f, i));
}

/// `ExternalArtifact` is consumed only with the `ExternalArtifact` feature gate.
fn external_artifact_gate(cx: &ClusterContext<'_>, i: usize, r: &FieldRef<'_>, out: &mut Vec<Finding>) {
    let controller = match cx.object(i).flux_kind() {
        Some(kind @ (FluxKind::Kustomization | FluxKind::HelmRelease)) => Controller::of_kind(kind),
        _ => None,
    };
    let Some(controller) = controller else { return };
    let facts = cx.cluster.controllers.of(controller);
    // Bootstrap installs with source-watcher enable the gate; when the controller Deployment is
    // not in the repository (placeholder components, FluxInstance) the gate is unknown unless the
    // configuration states it.
    match facts.gate("ExternalArtifact") {
        Some(g) if g.value => return,
        Some(g) if g.origin == Origin::Config => {}
        _ if !facts.written => return,
        _ => {}
    }
    let span = r.kind_node.map_or(r.name_node.span, |n| n.span);
    let f = UnresolvedReference::finding(
        span,
        format!("{} names an ExternalArtifact, but {controller} does not run with --feature-gates=ExternalArtifact=true: access is denied", r.field),
    )
    .with_help(format!("enable the ExternalArtifact feature gate on {controller}"))
    .with_field(format!("{}:gate", r.field));
    out.push(cx.about(f, i));
}
