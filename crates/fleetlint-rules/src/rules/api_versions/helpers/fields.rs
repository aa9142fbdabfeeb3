//! The removed and deprecated fields API002 knows (docs/flux-semantics.md, "API versions and
//! removed fields"), and nothing else: every other field a
//! schema does not declare is SCH002's. The tests check each entry against the CRDs in
//! `../shared/flux-crds`: a removed field must be absent from that version's schema, a deprecated
//! one present and described as deprecated.

use fleetlint_yaml::{Entry, Node};

/// One removed or deprecated field of one Flux kind.
#[derive(Debug)]
pub(crate) struct FieldRule {
    /// API group.
    pub(crate) group: &'static str,
    /// Kind.
    pub(crate) kind: &'static str,
    /// Dotted path from the object root; `[]` steps into every list item.
    pub(crate) path: &'static str,
    /// Versions whose schema no longer has the field (error: the SSA dry-run rejects it).
    pub(crate) absent_in: &'static [&'static str],
    /// Versions whose schema marks the field deprecated (warning).
    pub(crate) deprecated_in: &'static [&'static str],
    /// The Flux 2.x minor release from which the deprecation holds (0: as soon as the version
    /// is served). A field deprecated by a later controller is fine on a cluster running an
    /// older Flux (issue 14 item 8).
    pub(crate) deprecated_since: u32,
    /// What to write instead.
    pub(crate) instead: &'static str,
}

const KS: &str = "kustomize.toolkit.fluxcd.io";
const HELM: &str = "helm.toolkit.fluxcd.io";
const SRC: &str = "source.toolkit.fluxcd.io";
const NOTIF: &str = "notification.toolkit.fluxcd.io";

/// Read from the controllers' changelogs and API types (KC CHANGELOG 1.0.0-rc.1, HC CHANGELOG
/// 1.0.0, SC v1 types, NC v1beta3 types).
pub(crate) static FIELD_RULES: &[FieldRule] = &[
    FieldRule {
        group: KS,
        kind: "Kustomization",
        path: "spec.validation",
        absent_in: &["v1"],
        deprecated_in: &["v1beta2"],
        deprecated_since: 0,
        instead: "remove it: kustomize-controller always validates with a server-side dry-run",
    },
    FieldRule {
        group: KS,
        kind: "Kustomization",
        path: "spec.patchesStrategicMerge",
        absent_in: &["v1"],
        deprecated_in: &["v1beta2"],
        deprecated_since: 0,
        instead: "move the patches to `spec.patches` (each `{patch: ..., target: ...}`)",
    },
    FieldRule {
        group: KS,
        kind: "Kustomization",
        path: "spec.patchesJson6902",
        absent_in: &["v1"],
        deprecated_in: &["v1beta2"],
        deprecated_since: 0,
        instead: "move the patches to `spec.patches` (each `{patch: ..., target: ...}`)",
    },
    FieldRule {
        group: HELM,
        kind: "HelmRelease",
        path: "spec.chart.spec.valuesFile",
        absent_in: &["v2"],
        deprecated_in: &["v2beta1", "v2beta2"],
        deprecated_since: 0,
        instead: "use `spec.chart.spec.valuesFiles: [...]`",
    },
    FieldRule {
        group: HELM,
        kind: "HelmRelease",
        path: "spec.postRenderers[].kustomize.patchesStrategicMerge",
        absent_in: &["v2"],
        deprecated_in: &["v2beta2"],
        deprecated_since: 0,
        instead: "move the patches to `kustomize.patches` (each `{patch: ..., target: ...}`)",
    },
    FieldRule {
        group: HELM,
        kind: "HelmRelease",
        path: "spec.postRenderers[].kustomize.patchesJson6902",
        absent_in: &["v2"],
        deprecated_in: &["v2beta2"],
        deprecated_since: 0,
        instead: "move the patches to `kustomize.patches` (each `{patch: ..., target: ...}`)",
    },
    FieldRule {
        group: HELM,
        kind: "HelmRelease",
        path: "spec.install.skipCRDs",
        absent_in: &[],
        deprecated_in: &["v2", "v2beta1", "v2beta2"],
        deprecated_since: 0,
        instead: "use `spec.install.crds: Skip`",
    },
    FieldRule {
        group: HELM,
        kind: "HelmRelease",
        path: "spec.rollback.recreate",
        absent_in: &[],
        deprecated_in: &["v2"],
        deprecated_since: 8,
        instead: "remove it: helm-controller 1.5 (Flux 2.8) moved to the Helm 4 SDK, where it has no effect and only logs a warning (fluxcd/helm-controller@0f61a86 api/v2 `Rollback.Recreate`)",
    },
    FieldRule {
        group: SRC,
        kind: "GitRepository",
        path: "spec.gitImplementation",
        absent_in: &["v1"],
        deprecated_in: &["v1beta2"],
        deprecated_since: 0,
        instead: "remove it: source-controller only uses go-git",
    },
    FieldRule {
        group: SRC,
        kind: "GitRepository",
        path: "spec.accessFrom",
        absent_in: &["v1"],
        deprecated_in: &[],
        deprecated_since: 0,
        instead: "remove it: cross-namespace access is governed by the controllers' lockdown flags",
    },
    FieldRule {
        group: NOTIF,
        kind: "Provider",
        path: "spec.proxy",
        absent_in: &[],
        deprecated_in: &["v1beta3"],
        deprecated_since: 0,
        instead: "put the proxy address in a Secret named by `spec.proxySecretRef`",
    },
    FieldRule {
        group: NOTIF,
        kind: "Provider",
        path: "spec.interval",
        absent_in: &[],
        deprecated_in: &["v1beta3"],
        deprecated_since: 0,
        instead: "remove it: v1beta3 Providers are not reconciled on an interval",
    },
    FieldRule {
        group: NOTIF,
        kind: "Alert",
        path: "spec.summary",
        absent_in: &[],
        deprecated_in: &["v1beta3"],
        deprecated_since: 0,
        instead: "use `spec.eventMetadata: {summary: ...}`",
    },
];

/// Whether API002 owns `path` (dotted, `[]` for list items) of `group/version` `kind`: SCH002
/// must not report these.
#[allow(dead_code)] // for SCH002's "never both on one node"
pub(crate) fn covers(group: &str, version: &str, kind: &str, path: &str) -> bool {
    FIELD_RULES.iter().any(|r| {
        r.group == group
            && r.kind == kind
            && r.path == path
            && (r.absent_in.contains(&version) || r.deprecated_in.contains(&version))
    })
}

/// Every entry at `path` under `node`, with its concrete path (`spec.postRenderers[1].kustomize…`).
pub(crate) fn entries_at<'a>(node: &'a Node, path: &str) -> Vec<(&'a Entry, String)> {
    let mut out = Vec::new();
    let steps: Vec<&str> = path.split('.').collect();
    collect(node, &steps, String::new(), &mut out);
    out
}

fn collect<'a>(node: &'a Node, steps: &[&str], prefix: String, out: &mut Vec<(&'a Entry, String)>) {
    let Some((step, rest)) = steps.split_first() else { return };
    let (key, list) = match step.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*step, false),
    };
    let Some(entry) = node.entry(key) else { return };
    let here = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
    if list {
        for (i, item) in entry.value.as_seq().unwrap_or(&[]).iter().enumerate() {
            collect(item, rest, format!("{here}[{i}]"), out);
        }
    } else if rest.is_empty() {
        out.push((entry, here));
    } else {
        collect(&entry.value, rest, here, out);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fleetlint_yaml::{FileId, Limits, parse_yaml};

    use super::*;

    /// The `openAPIV3Schema` of `kind` `version` in the newest CRD set serving it.
    fn schema(dir: &Path, group: &str, kind: &str, version: &str) -> Node {
        for set in ["current", "v2.6"] {
            for entry in std::fs::read_dir(dir.join(set)).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for doc in parse_yaml(FileId(0), &text, &Limits::default()).documents {
                    let s = |p: &[&str]| doc.root.get_path(p).and_then(Node::as_str).map(str::to_string);
                    if s(&["spec", "group"]).as_deref() != Some(group)
                        || s(&["spec", "names", "kind"]).as_deref() != Some(kind)
                    {
                        continue;
                    }
                    let versions = doc.root.get_path(&["spec", "versions"]).and_then(Node::as_seq).unwrap();
                    if let Some(v) = versions.iter().find(|v| v.get("name").and_then(Node::as_str) == Some(version)) {
                        return v.get_path(&["schema", "openAPIV3Schema"]).unwrap().clone();
                    }
                }
            }
        }
        panic!("no CRD serves {group}/{version} {kind}");
    }

    /// The schema of the field at `path`, following `properties` and `items`.
    fn field<'a>(schema: &'a Node, path: &str) -> Option<&'a Node> {
        path.split('.').try_fold(schema, |s, step| match step.strip_suffix("[]") {
            Some(k) => s.get_path(&["properties", k, "items"]),
            None => s.get_path(&["properties", step]),
        })
    }

    #[test]
    #[ignore = "needs ../shared/flux-crds"]
    fn removed_fields_are_absent_and_deprecated_fields_are_marked_in_the_crds() {
        let dir = fleetlint_testkit::shared("flux-crds");
        for r in FIELD_RULES {
            for v in r.absent_in {
                let s = schema(&dir, r.group, r.kind, v);
                assert!(field(&s, r.path).is_none(), "{} {v} {}: still in the schema", r.kind, r.path);
            }
            for v in r.deprecated_in {
                let s = schema(&dir, r.group, r.kind, v);
                let f = field(&s, r.path).unwrap_or_else(|| panic!("{} {v} {}: not in the schema", r.kind, r.path));
                let desc = f.get("description").and_then(Node::as_str).unwrap_or("");
                assert!(desc.contains("eprecated"), "{} {v} {}: not described as deprecated", r.kind, r.path);
            }
        }
    }

    #[test]
    fn entries_at_walks_lists_and_names_the_item() {
        let text = "spec:\n  postRenderers:\n    - kustomize: {patches: []}\n    - kustomize: {patchesJson6902: []}\n";
        let doc = parse_yaml(FileId(0), text, &Limits::default()).documents.remove(0);
        let found = entries_at(&doc.root, "spec.postRenderers[].kustomize.patchesJson6902");
        assert_eq!(
            found.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(),
            ["spec.postRenderers[1].kustomize.patchesJson6902"]
        );
        assert!(covers(HELM, "v2", "HelmRelease", "spec.postRenderers[].kustomize.patchesJson6902"));
        assert!(!covers(HELM, "v2", "HelmRelease", "spec.chart.spec.chart"));
    }
}
