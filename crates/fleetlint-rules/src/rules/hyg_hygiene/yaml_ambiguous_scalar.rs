use fleetlint_yaml::{LoadIssueKind, Node, NodeKind, ObjectView, Span};
use fleetlint_yaml::{ScalarValue, resolve_kyaml, resolve_yaml11};

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an unquoted value that the two YAML readers of a Flux repository type
    /// differently — kustomize (YAML 1.2, what kustomize-controller applies) and YAML 1.1
    /// readers such as `kubectl apply -f` and Helm — in a field that wants a string or a
    /// boolean: `yes`/`no`/`on`/`off`/`y`/`n` (strings to kustomize, booleans to YAML 1.1) and
    /// `0o17`-style octals (integers to kustomize, strings to YAML 1.1). Only fields whose type
    /// is known are checked: labels, annotations, selectors, ConfigMap `data`, Secret
    /// `stringData`, container `env[].value`, pod and container booleans, and the string and
    /// boolean fields of the Flux kinds (`prune`, `suspend`, `postBuild.substitute`, ...). Free-form
    /// data such as HelmRelease `values` is not, to avoid noise.
    ///
    /// ## Why is this bad?
    /// The same file means different things depending on who reads it. `prune: yes` is the
    /// string `"yes"` to kustomize, so kustomize-controller sends a string where the API wants a
    /// boolean and the apply fails, although `kubectl apply` accepts it. `enabled: on` in a
    /// label works under Flux but `kubectl apply` rejects the boolean.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Kustomization
    /// spec:
    ///   prune: yes          # the string "yes" for kustomize-controller
    /// ---
    /// kind: ConfigMap
    /// data:
    ///   FEATURE_X: on       # a boolean for kubectl apply
    /// ```
    ///
    /// ## Fix
    /// Write booleans as `true`/`false` and quote strings that look like booleans or numbers
    /// (`"on"`, `"0o755"`).
    pub(crate) struct YamlAmbiguousScalar {
        code: "HYG009",
        name: "yaml-ambiguous-scalar",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Str,
    Bool,
}

/// Fields of every object: `*` is any map key, `[]` any list item.
const ANY_KIND: &[(&str, Want)] = &[
    ("metadata.labels.*", Want::Str),
    ("metadata.annotations.*", Want::Str),
    ("spec.selector.matchLabels.*", Want::Str),
];

/// Pod spec fields, below the pod spec of each workload kind.
const POD_SPEC: &[(&str, Want)] = &[
    ("nodeSelector.*", Want::Str),
    ("hostNetwork", Want::Bool),
    ("hostPID", Want::Bool),
    ("hostIPC", Want::Bool),
    ("automountServiceAccountToken", Want::Bool),
    ("enableServiceLinks", Want::Bool),
    ("shareProcessNamespace", Want::Bool),
    ("securityContext.runAsNonRoot", Want::Bool),
    ("containers[].env[].value", Want::Str),
    ("initContainers[].env[].value", Want::Str),
    ("containers[].stdin", Want::Bool),
    ("containers[].tty", Want::Bool),
    ("containers[].securityContext.privileged", Want::Bool),
    ("containers[].securityContext.readOnlyRootFilesystem", Want::Bool),
    ("containers[].securityContext.runAsNonRoot", Want::Bool),
    ("containers[].securityContext.allowPrivilegeEscalation", Want::Bool),
    ("initContainers[].securityContext.privileged", Want::Bool),
    ("initContainers[].securityContext.readOnlyRootFilesystem", Want::Bool),
    ("initContainers[].securityContext.runAsNonRoot", Want::Bool),
    ("initContainers[].securityContext.allowPrivilegeEscalation", Want::Bool),
];

/// Fields of one kind (by `apiVersion` group and kind).
fn kind_fields(group: &str, kind: &str) -> &'static [(&'static str, Want)] {
    match (group, kind) {
        ("", "ConfigMap") => &[("data.*", Want::Str), ("immutable", Want::Bool)],
        ("", "Secret") => &[("stringData.*", Want::Str), ("immutable", Want::Bool)],
        ("", "ServiceAccount") => &[("automountServiceAccountToken", Want::Bool)],
        ("", "Service") => &[
            ("spec.selector.*", Want::Str),
            ("spec.publishNotReadyAddresses", Want::Bool),
            ("spec.allocateLoadBalancerNodePorts", Want::Bool),
        ],
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => &[
            ("spec.prune", Want::Bool),
            ("spec.suspend", Want::Bool),
            ("spec.force", Want::Bool),
            ("spec.wait", Want::Bool),
            ("spec.targetNamespace", Want::Str),
            ("spec.postBuild.substitute.*", Want::Str),
            ("spec.commonMetadata.labels.*", Want::Str),
            ("spec.commonMetadata.annotations.*", Want::Str),
        ],
        ("helm.toolkit.fluxcd.io", "HelmRelease") => &[
            ("spec.suspend", Want::Bool),
            ("spec.targetNamespace", Want::Str),
            ("spec.releaseName", Want::Str),
            ("spec.install.createNamespace", Want::Bool),
            ("spec.install.disableWait", Want::Bool),
            ("spec.install.disableWaitForJobs", Want::Bool),
            ("spec.install.disableHooks", Want::Bool),
            ("spec.install.replace", Want::Bool),
            ("spec.install.skipCRDs", Want::Bool),
            ("spec.upgrade.force", Want::Bool),
            ("spec.upgrade.cleanupOnFail", Want::Bool),
            ("spec.upgrade.preserveValues", Want::Bool),
            ("spec.upgrade.disableWait", Want::Bool),
            ("spec.upgrade.disableHooks", Want::Bool),
            ("spec.rollback.force", Want::Bool),
            ("spec.rollback.cleanupOnFail", Want::Bool),
            ("spec.uninstall.keepHistory", Want::Bool),
            ("spec.test.enable", Want::Bool),
        ],
        ("source.toolkit.fluxcd.io", _) => &[
            ("spec.suspend", Want::Bool),
            ("spec.recurseSubmodules", Want::Bool),
            ("spec.passCredentials", Want::Bool),
            ("spec.insecure", Want::Bool),
            ("spec.ref.branch", Want::Str),
            ("spec.ref.tag", Want::Str),
            ("spec.ref.semver", Want::Str),
        ],
        ("notification.toolkit.fluxcd.io" | "image.toolkit.fluxcd.io", _) => &[("spec.suspend", Want::Bool)],
        _ => &[],
    }
}

/// Where the pod spec sits in a workload kind.
fn pod_spec_prefix(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some("spec"),
        ("", "PodTemplate") => Some("template.spec"),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some("spec.template.spec")
        }
        ("", "ReplicationController") => Some("spec.template.spec"),
        ("batch", "CronJob") => Some("spec.jobTemplate.spec.template.spec"),
        _ => None,
    }
}

impl Rule for YamlAmbiguousScalar {
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for issue in cx.file.yaml.issues.iter().filter(|i| i.kind == LoadIssueKind::AmbiguousScalar) {
            let Some(doc) = cx.file.yaml.documents.iter().find(|d| contains(d.root.span, issue.span)) else {
                continue;
            };
            let Some(view) = ObjectView::new(&doc.root) else { continue };
            let mut path = Vec::new();
            let Some(node) = find_value(&doc.root, issue.span, &mut path) else { continue };
            let Some(want) = wanted(view.group(), view.kind(), &path) else { continue };
            let Some(scalar) = node.as_scalar() else { continue };
            let text = &*scalar.text;
            let kyaml = resolve_kyaml(text, scalar.style, None);
            let yaml11 = resolve_yaml11(text, scalar.style);
            let field = path.join(".").replace(".[", "[");
            let (wants, help) = match want {
                Want::Str => ("a string", format!("quote it: \"{text}\"")),
                Want::Bool => ("a boolean", "write true or false".to_string()),
            };
            let message = format!(
                "`{text}` is {} to kustomize (YAML 1.2) but {} to YAML 1.1 readers such as kubectl apply; {field} wants {wants}",
                describe(&kyaml, text),
                describe(&yaml11, text),
            );
            out.push(
                Self::finding(issue.span, message)
                    .with_help(help)
                    .with_object(cx.object_at(issue.span))
                    .with_field(field),
            );
        }
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

fn describe(v: &ScalarValue, text: &str) -> String {
    match v {
        ScalarValue::Null => "null".into(),
        ScalarValue::Bool(b) => format!("the boolean {b}"),
        ScalarValue::Int(i) => format!("the integer {i}"),
        ScalarValue::Float(f) => format!("the number {f}"),
        ScalarValue::Str => format!("the string \"{text}\""),
    }
}

/// The value node at `span` and its path (keys, `[i]` for list items); keys are never matched.
fn find_value<'a>(node: &'a Node, span: Span, path: &mut Vec<String>) -> Option<&'a Node> {
    if !contains(node.span, span) {
        return None;
    }
    match &node.kind {
        NodeKind::Scalar(_) => (node.span == span).then_some(node),
        NodeKind::Seq(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push(format!("[{i}]"));
            let hit = find_value(item, span, path);
            if hit.is_none() {
                path.pop();
            }
            hit
        }),
        NodeKind::Map(entries) => entries.iter().find_map(|e| {
            path.push(e.key.as_str().unwrap_or("").to_string());
            let hit = find_value(&e.value, span, path);
            if hit.is_none() {
                path.pop();
            }
            hit
        }),
    }
}

/// The type the field at `path` wants, when it is one of the known fields.
fn wanted(group: &str, kind: &str, path: &[String]) -> Option<Want> {
    let matches = |pattern: &str| {
        let segs: Vec<&str> = pattern.split('.').flat_map(|s| split_items(s)).collect();
        let item = |s: &str| s.starts_with('[') && s.ends_with(']');
        segs.len() == path.len() && segs.iter().zip(path).all(|(p, s)| *p == "*" || p == s || (*p == "[]" && item(s)))
    };
    let direct = ANY_KIND.iter().chain(kind_fields(group, kind)).find(|(p, _)| matches(p)).map(|(_, w)| *w);
    direct.or_else(|| {
        let prefix = pod_spec_prefix(group, kind)?;
        POD_SPEC.iter().find(|(p, _)| matches(&format!("{prefix}.{p}"))).map(|(_, w)| *w)
    })
}

/// `containers[]` -> `containers`, `[]`.
fn split_items(seg: &str) -> Vec<&str> {
    match seg.strip_suffix("[]") {
        Some(name) => vec![name, "[]"],
        None => vec![seg],
    }
}
