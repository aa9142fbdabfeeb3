//! Bootstrap objects fleetlint makes up when a cluster's are not in the repo: the root
//! GitRepository and Kustomization `flux-system` that `flux bootstrap` (or a FluxInstance's
//! `spec.sync`) creates, and the controller Deployments of the Flux install, with the container
//! args the flux2 manifests give them. The committed `flux-system/kustomization.yaml` patches (or
//! a FluxInstance's `spec.kustomize.patches`) are then applied to these objects as on a real
//! cluster, so lockdown flags and the root's `serviceAccountName` come from the repo's own text.

use fleetlint_yaml::{Limits, Node, NodeKind, Span, parse_yaml};

/// The controllers `flux bootstrap` installs by default.
pub(crate) const DEFAULT_COMPONENTS: &[&str] =
    &["source-controller", "kustomize-controller", "helm-controller", "notification-controller"];

/// Container args of each controller in the flux2 v2.x manifests (`manifests/bases/*`).
fn controller_args(name: &str) -> &'static [&'static str] {
    const EVENTS: &str = "--events-addr=http://notification-controller.flux-system.svc.cluster.local./";
    match name {
        "source-controller" => &[
            EVENTS,
            "--watch-all-namespaces=true",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
            "--storage-path=/data",
            "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
        ],
        "notification-controller" => {
            &["--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json", "--enable-leader-election"]
        }
        _ => &[
            EVENTS,
            "--watch-all-namespaces=true",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
        ],
    }
}

/// Parse YAML written by fleetlint and point every node at `span`: synthesized objects have no
/// text of their own, so findings about them point at the file that stands in for them.
fn synthesize(text: &str, span: Span) -> Vec<Node> {
    let parsed = parse_yaml(span.file, text, &Limits::default());
    parsed
        .documents
        .into_iter()
        .map(|d| {
            let mut root = d.root;
            respan(&mut root, span);
            root
        })
        .collect()
}

/// Set the span of `node` and all its descendants.
pub(crate) fn respan(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| respan(n, span)),
        NodeKind::Map(entries) => {
            for e in entries {
                respan(&mut e.key, span);
                respan(&mut e.value, span);
            }
        }
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The root Kustomization `flux-system` for a cluster whose entry directory is `path`
/// (tree-relative), with its source `(kind, name)` in `flux-system`: the GitRepository
/// `flux-system` of `flux bootstrap`, or the GitRepository/OCIRepository a root created outside
/// Git reads.
#[must_use]
pub(crate) fn sync_objects(
    source: (&str, &str),
    path: &str,
    url: &str,
    reference: Option<(&str, &str)>,
    span: Span,
) -> Vec<Node> {
    if source != ("GitRepository", "flux-system") {
        let (kind, name) = source;
        let spec = if kind == "OCIRepository" {
            format!("  ref:\n    tag: latest\n  url: {}\n", quote(url))
        } else {
            let (key, value) = reference.unwrap_or(("branch", "main"));
            format!("  ref:\n    {key}: {}\n  url: {}\n", quote(value), quote(url))
        };
        let text = format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m0s\n{spec}---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: {}\n  prune: true\n  sourceRef:\n    kind: {kind}\n    name: {name}\n",
            quote(&format!("./{path}")),
            name = quote(name),
        );
        return synthesize(&text, span);
    }
    let (ref_key, ref_value) = reference.unwrap_or(("branch", "main"));
    let text = format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    {ref_key}: {}\n  secretRef:\n    name: flux-system\n  url: {}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: {}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        quote(ref_value),
        quote(url),
        quote(&format!("./{path}")),
    );
    synthesize(&text, span)
}

/// The source and Kustomization a FluxInstance's `sync` generates, as flux-operator's sync
/// template writes them (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/templates.go
/// `syncTmpl`): both named `sync.name` (default: the FluxInstance's namespace, per
/// `api/v1/fluxinstance_types.go` `Sync.Name`), the source of `sync.kind` (GitRepository,
/// OCIRepository with `ref.tag`, Bucket with `bucketName` and `endpoint`).
#[must_use]
pub(crate) fn instance_sync_objects(
    kind: &str,
    name: &str,
    namespace: &str,
    path: &str,
    url: &str,
    reference: Option<(&str, &str)>,
    span: Span,
) -> Vec<Node> {
    let (kind, api, spec) = match kind {
        "OCIRepository" => (
            "OCIRepository",
            "source.toolkit.fluxcd.io/v1",
            format!("  ref:\n    tag: {}\n  url: {}\n", quote(reference.map_or("latest", |r| r.1)), quote(url)),
        ),
        "Bucket" => (
            "Bucket",
            "source.toolkit.fluxcd.io/v1",
            format!("  bucketName: {}\n  endpoint: {}\n", quote(reference.map_or("", |r| r.1)), quote(url)),
        ),
        _ => {
            let (key, value) = reference.unwrap_or(("branch", "main"));
            (
                "GitRepository",
                "source.toolkit.fluxcd.io/v1",
                format!("  ref:\n    {key}: {}\n  url: {}\n", quote(value), quote(url)),
            )
        }
    };
    let text = format!(
        "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  interval: 1m0s\n{spec}---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  interval: 10m0s\n  path: {}\n  prune: true\n  sourceRef:\n    kind: {kind}\n    name: {name}\n",
        quote(&format!("./{path}")),
        name = quote(name),
        namespace = quote(namespace),
    );
    synthesize(&text, span)
}

/// The GitRepository a self-managed root reads when no file defines it (created outside Git, as
/// vendors that pre-install Flux do): a stand-in for the checked repository, URL unknown.
#[must_use]
pub(crate) fn root_source_object(namespace: &str, name: &str, span: Span) -> Vec<Node> {
    let text = format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n  interval: 1m0s\n  url: \"\"\n",
        quote(name),
        quote(namespace),
    );
    synthesize(&text, span)
}

/// The `flux-system` Namespace and the controller Deployments of `components`, each with the
/// stock args plus `extra_args(controller)` (a FluxInstance's multi-tenancy settings).
#[must_use]
pub(crate) fn component_objects(
    components: &[&str],
    extra_args: &dyn Fn(&str) -> Vec<String>,
    span: Span,
) -> Vec<Node> {
    let mut text = String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n");
    text.push_str(&deployments_text(components, extra_args));
    synthesize(&text, span)
}

/// Only the controller Deployments of `components` (for a `gotk-components.yaml` trimmed to its
/// header and Namespace).
#[must_use]
pub(crate) fn deployment_objects(components: &[&str], span: Span) -> Vec<Node> {
    synthesize(&deployments_text(components, &|_| Vec::new()), span)
}

/// The components a `gotk-components.yaml` header lists: `# Components: a,b,c`.
#[must_use]
pub(crate) fn components_from_header(text: &str) -> Option<Vec<String>> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty() || l.starts_with("---"))
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("Components:").map(str::trim))
        .map(|v| v.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
}

/// The container fields of each controller in its `config/manager/deployment.yaml`, which the
/// flux2 and flux-operator distributions ship (fluxcd/helm-controller@29d6035,
/// fluxcd/kustomize-controller@149ad14, fluxcd/source-controller@21af88f,
/// fluxcd/notification-controller@0aca59e `config/manager/deployment.yaml`): ports, `RUNTIME_NAMESPACE`, probes, `resources` (limits
/// and requests on `containers[0]`), the `/tmp` (and `/data`) mounts. A FluxInstance's
/// `spec.kustomize.patches` and a `flux-system/kustomization.yaml` patch these fields (JSON6902
/// `replace`/`remove` of `resources/limits` needs them present), so the synthesized Deployments
/// carry them as the real ones do.
fn container_fields(name: &str) -> String {
    let (ports, cpu_request, mounts) = match name {
        "source-controller" => (
            &[("http", 9090), ("http-prom", 8080), ("healthz", 9440)][..],
            "50m",
            "        - name: data\n          mountPath: /data\n        - name: tmp\n          mountPath: /tmp\n",
        ),
        "notification-controller" => (
            &[("http", 9090), ("http-webhook", 9292), ("http-prom", 8080), ("healthz", 9440)][..],
            "100m",
            "        - name: temp\n          mountPath: /tmp\n",
        ),
        _ => {
            (&[("http-prom", 8080), ("healthz", 9440)][..], "100m", "        - name: temp\n          mountPath: /tmp\n")
        }
    };
    let ports: String = ports
        .iter()
        .map(|(n, p)| format!("        - containerPort: {p}\n          name: {n}\n          protocol: TCP\n"))
        .collect();
    format!(
        "        imagePullPolicy: IfNotPresent\n        securityContext:\n          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n          runAsNonRoot: true\n          capabilities:\n            drop: [ALL]\n          seccompProfile:\n            type: RuntimeDefault\n        ports:\n{ports}        env:\n        - name: RUNTIME_NAMESPACE\n          valueFrom:\n            fieldRef:\n              fieldPath: metadata.namespace\n        livenessProbe:\n          httpGet:\n            path: /healthz\n            port: healthz\n        readinessProbe:\n          httpGet:\n            path: /readyz\n            port: healthz\n        resources:\n          limits:\n            cpu: 1000m\n            memory: 1Gi\n          requests:\n            cpu: {cpu_request}\n            memory: 64Mi\n        volumeMounts:\n{mounts}"
    )
}

fn deployments_text(components: &[&str], extra_args: &dyn Fn(&str) -> Vec<String>) -> String {
    let mut text = String::new();
    for name in components {
        let mut args: Vec<String> = controller_args(name).iter().map(|a| quote(a)).collect();
        args.extend(extra_args(name).iter().map(|a| quote(a)));
        let volumes = if *name == "source-controller" {
            "      - name: data\n        emptyDir: {}\n      - name: tmp\n        emptyDir: {}\n"
        } else {
            "      - name: temp\n        emptyDir: {}\n"
        };
        let grace = if *name == "kustomize-controller" { 60 } else { 10 };
        // Upstream's labels: every controller Deployment of Flux's install manifests carries
        // `control-plane: controller` (each controller's config/manager/deployment.yaml, as
        // every gotk-components.yaml shows), which FluxInstance `kustomize.patches` select by.
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: flux-system\n  labels:\n    app.kubernetes.io/component: {name}\n    app.kubernetes.io/part-of: flux\n    control-plane: controller\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n      annotations:\n        prometheus.io/port: \"8080\"\n        prometheus.io/scrape: \"true\"\n    spec:\n      serviceAccountName: {name}\n      terminationGracePeriodSeconds: {grace}\n      containers:\n      - name: manager\n        image: ghcr.io/fluxcd/{name}\n        args:\n{}\n{}      volumes:\n{volumes}",
            args.iter().map(|a| format!("        - {a}")).collect::<Vec<_>>().join("\n"),
            container_fields(name),
        ));
    }
    text
}

/// The Flux version a cluster installs from Flux's own release artifacts, when its root build
/// defines such a source pinned to a version: an OCIRepository of `ghcr.io/fluxcd/flux-manifests`
/// (the `gotk-components` of a release, as `flux install --export` writes them) or a
/// GitRepository of `github.com/fluxcd/flux2` at a tag (whose `manifests/install` is built).
#[must_use]
pub(crate) fn version_from_install_source<'a>(objects: impl Iterator<Item = &'a Node>) -> Option<String> {
    objects.into_iter().find_map(|o| {
        let src = crate::flux::FluxObject::new(o)?;
        let url = crate::sources::normalize_url(src.url()?);
        let kind = o.get("kind").and_then(Node::as_str)?;
        let is_install = (kind == "OCIRepository" && url.ends_with("fluxcd/flux-manifests"))
            || (kind == "GitRepository" && url == "github.com/fluxcd/flux2");
        let tag = o.get_path(&["spec", "ref", "tag"]).and_then(Node::as_str)?;
        let v = tag.trim_start_matches('v');
        let numeric = v.split('.').take(2).all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        (is_install && numeric && v.contains('.')).then(|| tag.to_string())
    })
}

/// The Flux version Flux's install manifests state in their labels, for a `gotk-components.yaml`
/// written before the `# Flux Version:` header existed: every object of a release's install
/// manifests carries `app.kubernetes.io/version: <flux version>` next to
/// `app.kubernetes.io/instance: flux-system` (fluxcd/flux2 manifests/install/labels.yaml; `part-of`
/// only from 0.19). `latest`, a development build's `v0.0.0-dev.0` and other non-versions are
/// not read.
#[must_use]
pub(crate) fn version_from_component_labels<'a>(objects: impl Iterator<Item = &'a Node>) -> Option<String> {
    objects.into_iter().find_map(|o| {
        let label = |k: &str| o.get_path(&["metadata", "labels", k]).and_then(Node::as_str);
        let ours = label("app.kubernetes.io/instance") == Some("flux-system")
            || label("app.kubernetes.io/part-of") == Some("flux");
        let version = label("app.kubernetes.io/version")?;
        let v = version.strip_prefix('v')?;
        let numeric = v.split('.').count() >= 2
            && v.split('.').take(2).all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        // A development build states `v0.0.0-dev.0` (the flux CLI's default version when built
        // from source, fluxcd/flux2@00d918ec cmd/flux/main.go `var VERSION = "0.0.0-dev.0"`): no release.
        let release = !v.starts_with("0.0.0");
        (ours && numeric && release).then(|| version.to_string())
    })
}

/// Whether a bootstrap file is a placeholder: no document is an object.
#[must_use]
pub(crate) fn is_placeholder(documents: &[fleetlint_yaml::Document]) -> bool {
    !documents.iter().any(|d| d.root.get("kind").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::{Controller, Controllers, NO_REMOTE_BASES};
    use crate::model::RenderedObject;
    use fleetlint_yaml::FileId;

    #[test]
    fn old_install_manifests_state_their_version_in_labels() {
        let doc = |text: &str| {
            fleetlint_yaml::parse_yaml(FileId(0), text, &fleetlint_yaml::Limits::default()).documents.remove(0).root
        };
        let old = doc(
            "kind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n    app.kubernetes.io/instance: flux-system\n    app.kubernetes.io/version: v0.12.3\n",
        );
        assert_eq!(version_from_component_labels([&old].into_iter()).as_deref(), Some("v0.12.3"));
        let latest = doc(
            "kind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/instance: flux-system\n    app.kubernetes.io/version: latest\n",
        );
        let foreign = doc(
            "kind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/instance: web\n    app.kubernetes.io/version: v1.2.3\n",
        );
        let dev = doc(
            "kind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/instance: flux-system\n    app.kubernetes.io/version: v0.0.0-dev.0\n",
        );
        assert_eq!(version_from_component_labels([&latest, &foreign, &dev].into_iter()), None);
    }

    #[test]
    fn synthesized_controllers_carry_extra_flags_and_stock_args() {
        let span = Span::new(FileId(3), 5, 9);
        let objs = component_objects(
            DEFAULT_COMPONENTS,
            &|c| if c == "kustomize-controller" { vec!["--no-remote-bases=true".into()] } else { vec![] },
            span,
        );
        assert_eq!(objs.len(), 5, "namespace + four controllers");
        assert!(objs.iter().all(|o| o.span == span));
        let rendered: Vec<RenderedObject> =
            objs.iter().map(|root| RenderedObject { synthesized: true, ..RenderedObject::new(root.clone()) }).collect();
        let cfg = Controllers::read(&rendered, &["flux-system".to_string()], true, None);
        assert!(cfg.of(Controller::Kustomize).deployed && !cfg.of(Controller::Kustomize).written);
        assert!(cfg.of(Controller::Kustomize).bool_flag(NO_REMOTE_BASES).value);
        assert!(!cfg.of(Controller::Helm).bool_flag(NO_REMOTE_BASES).value);
        let args = objs[2].get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).unwrap()[0]
            .get("args")
            .and_then(Node::as_seq)
            .unwrap();
        assert_eq!(
            args[0].as_str(),
            Some("--events-addr=http://notification-controller.flux-system.svc.cluster.local./")
        );
    }

    #[test]
    fn the_flux_release_a_root_installs_gives_the_version() {
        let parse = |t: &str| -> Vec<Node> {
            parse_yaml(FileId(0), t, &Limits::default()).documents.into_iter().map(|d| d.root).collect()
        };
        let oci = parse(
            "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: f, namespace: flux-system}\nspec: {url: oci://ghcr.io/fluxcd/flux-manifests, ref: {tag: v2.5.1}}\n",
        );
        assert_eq!(version_from_install_source(oci.iter()).as_deref(), Some("v2.5.1"));
        let git = parse(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: f, namespace: flux-system}\nspec: {url: https://github.com/fluxcd/flux2, ref: {tag: v0.31.4}}\n",
        );
        assert_eq!(version_from_install_source(git.iter()).as_deref(), Some("v0.31.4"));
        let latest = parse(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: f, namespace: flux-system}\nspec: {url: oci://ghcr.io/fluxcd/flux-manifests, ref: {tag: latest}}\n",
        );
        assert_eq!(version_from_install_source(latest.iter()), None, "not a version");
    }

    #[test]
    fn instance_sync_objects_follow_sync_kind_and_name() {
        let objs = instance_sync_objects(
            "OCIRepository",
            "cluster-repo",
            "flux-system",
            "clusters/prod",
            "oci://r/x",
            Some(("tag", "v1")),
            Span::default(),
        );
        assert_eq!(objs[0].get("kind").and_then(Node::as_str), Some("OCIRepository"));
        assert_eq!(objs[0].get_path(&["spec", "ref", "tag"]).and_then(Node::as_str), Some("v1"));
        assert_eq!(objs[1].get_path(&["metadata", "name"]).and_then(Node::as_str), Some("cluster-repo"));
        assert_eq!(objs[1].get_path(&["spec", "sourceRef", "kind"]).and_then(Node::as_str), Some("OCIRepository"));
        assert_eq!(objs[1].get_path(&["spec", "sourceRef", "name"]).and_then(Node::as_str), Some("cluster-repo"));
    }

    #[test]
    fn sync_objects_point_the_root_at_the_cluster_dir() {
        let objs = sync_objects(
            ("GitRepository", "flux-system"),
            "clusters/prod",
            "https://example.com/r.git",
            None,
            Span::default(),
        );
        assert_eq!(objs[1].get_path(&["spec", "path"]).and_then(Node::as_str), Some("./clusters/prod"));
        assert_eq!(objs[0].get_path(&["spec", "ref", "branch"]).and_then(Node::as_str), Some("main"));
    }
}
