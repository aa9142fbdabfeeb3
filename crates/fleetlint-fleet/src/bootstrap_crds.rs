//! CRDs a repository's bootstrap installs before Flux starts (issue 14, class A3 of session 7):
//! a fact read from the repository's own bootstrap files, never by running anything.
//!
//! - helmfiles (`helmfile.yaml`, `helmfile.yaml.gotmpl`, `helmfile.d/*.yaml`,
//!   `bootstrap/helmfile/*.yaml`, the onedr0p cluster-template layout): every release of a
//!   chart in the built-in table ([`crate::crd_charts`]) installs that chart's CRDs, `helm
//!   install` applying a chart's `crds/` first and `helmfile template --include-crds` rendering
//!   them (helmfile/helmfile docs/index.md, `releases[].name` / `chart` / `installed: false` "set
//!   to false to uninstall"). The chart is the last segment of `chart:` (`oci://…/prometheus-operator-crds`,
//!   `jetstack/cert-manager`), else the release name. Go templates (`{{ … }}`) are blanked out
//!   first: what parses is read, the rest skipped.
//! - Talos machine configs and talhelper's `talconfig.yaml`: `cluster.extraManifests` ("A list of
//!   urls that point to additional manifests. These will get automatically deployed as part of
//!   the bootstrap", siderolabs/talos pkg/machinery/config/types/v1alpha1/v1alpha1_types.go
//!   `ClusterConfig.ExtraManifests`) and `cluster.inlineManifests` (same, `InlineManifests`),
//!   also inside patches written as strings. A URL names its CRDs by its file name
//!   (`monitoring.coreos.com_prometheusrules.yaml`, controller-gen's `<group>_<plural>.yaml`) or by
//!   a project of the table in its path with a CRD bundle file (`prometheus-operator/…/stripped-down-crds.yaml`,
//!   `grafana-operator/…/crds.yaml`, `gateway-api/…/experimental-install.yaml`); an inline
//!   manifest by its CustomResourceDefinitions.
//! - Taskfiles (`Taskfile.yaml`, onedr0p flux-cluster-template): `kubectl apply|create` of such
//!   URLs in a task named `bootstrap*` (or a Taskfile under a `bootstrap` directory), and
//!   `bootstrap*crd*` scripts.
//!
//! The same files tell which namespaces exist before Flux starts ([`bootstrap_namespaces`]):
//! helmfile releases' namespaces and `kubectl create namespace` in a bootstrap task.
//!
//! Files under a retired directory (`archive/`, `legacy/`, `old/`, ...) bootstrap nothing.

use fleetlint_yaml::{FileDb, Limits, LoadedTree, Node, NodeKind, parse_yaml};

use crate::crd_charts::chart_groups;

/// CRDs of one API group that the bootstrap installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapCrds {
    /// The file saying so (tree-relative).
    pub file: String,
    /// Its 1-based line.
    pub line: u32,
    /// What installs them (`helmfile release \`prometheus-operator-crds\``, ...).
    pub how: String,
    /// The API group.
    pub group: String,
    /// Lower-case kinds or plurals installed; empty: every kind of the group.
    pub names: Vec<String>,
}

impl BootstrapCrds {
    /// Whether the CRD of `kind` in `group` is among these.
    #[must_use]
    pub fn covers(&self, group: &str, kind: &str) -> bool {
        if self.group != group {
            return false;
        }
        if self.names.is_empty() {
            return true;
        }
        let k = kind.to_ascii_lowercase();
        let ies = k.strip_suffix('y').map(|s| format!("{s}ies"));
        self.names
            .iter()
            .any(|n| *n == k || *n == format!("{k}s") || *n == format!("{k}es") || ies.as_deref() == Some(n.as_str()))
    }
}

/// Files larger than this are not read.
const MAX_FILE: u64 = 1 << 20;

/// What the checked repository's bootstrap files say, read once per fleet
/// ([`crate::Fleet::bootstrap`]): the CRDs they install and the namespaces they create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootstrapFacts {
    /// CRDs installed before Flux starts, in path order.
    pub crds: Vec<BootstrapCrds>,
    /// Namespaces created before Flux starts, in path order.
    pub namespaces: Vec<BootstrapNamespace>,
}

/// Read the bootstrap files of `tree` once: the CRDs they install (helmfile releases of charts in
/// the table, Talos manifests, Taskfile and script URLs) and the namespaces they create (see
/// [`BootstrapNamespace`]).
#[must_use]
pub fn read(tree: &LoadedTree, db: &FileDb) -> BootstrapFacts {
    let mut facts = BootstrapFacts::default();
    for (path, text) in bootstrap_files(tree, db) {
        let (crds, namespaces) = (&mut facts.crds, &mut facts.namespaces);
        match kind(&path, &text) {
            Some(FileKind::Helmfile) => {
                helmfile(&path, &text, crds);
                helmfile_namespaces(&path, &text, namespaces);
            }
            Some(FileKind::Talos) => talos(&path, &text, crds),
            Some(FileKind::Taskfile) => {
                taskfile(&path, &text, crds);
                taskfile_namespaces(&path, &text, namespaces);
            }
            Some(FileKind::Script) => script(&path, &text, crds),
            None => {}
        }
    }
    facts
}

/// A namespace the repository's bootstrap creates before Flux starts: the namespace of every
/// installed helmfile release (helmfile passes `--create-namespace` unless `createNamespace:
/// false`, on the release or in `helmDefaults`: "automatically create release namespaces if
/// they do not exist (default true)", helmfile/helmfile@0435e21c docs/index.md), and
/// `kubectl create namespace N` (or `ns`) in a Taskfile bootstrap task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapNamespace {
    /// The file saying so (tree-relative).
    pub file: String,
    /// Its 1-based line.
    pub line: u32,
    /// The namespace.
    pub namespace: String,
}

/// The bootstrap files of `tree` (see [`kind_of`]) with their text, in path order.
fn bootstrap_files(tree: &LoadedTree, db: &FileDb) -> Vec<(String, std::sync::Arc<str>)> {
    let mut files: Vec<(String, std::sync::Arc<str>)> = Vec::new();
    for f in &tree.files {
        let file = db.get(f.id);
        if kind(&file.path, &file.text).is_some() {
            files.push((file.path.clone(), file.text.clone()));
        }
    }
    for path in tree.other_files.iter().filter(|p| kind_of(p).is_some()) {
        let disk = tree.root.join(path);
        if std::fs::symlink_metadata(&disk).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE)
            && let Ok(text) = std::fs::read_to_string(&disk)
        {
            files.push((path.clone(), text.into()));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Helmfile,
    Talos,
    Taskfile,
    Script,
}

/// Directories whose files no bootstrap runs: kept for reference (`archive/coldstorage/...`).
const RETIRED: &[&str] =
    &["archive", "archived", ".archive", "_archive", "old", "legacy", "deprecated", "unused", "backup", "attic"];

/// [`kind_of`], or a helmfile by its content: a YAML file in a `bootstrap` directory whose
/// top level has `releases:` and no Kubernetes object (heldout11, M0NsTeRRR/homelabv3-infra:
/// `kubernetes/bootstrap/crds.yaml`, run by the Taskfile with `--include-crds` before Flux).
fn kind(path: &str, text: &str) -> Option<FileKind> {
    kind_of(path).or_else(|| {
        let lower = path.to_ascii_lowercase();
        let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        let in_bootstrap = lower.split('/').rev().skip(1).any(|d| d == "bootstrap");
        let top = |key: &str| {
            text.lines().any(|l| l.strip_prefix(key).is_some_and(|r| r.trim().is_empty() || r.starts_with(' ')))
        };
        (yaml && in_bootstrap && top("releases:") && !top("apiVersion:") && !top("kind:")).then_some(FileKind::Helmfile)
    })
}

fn kind_of(path: &str) -> Option<FileKind> {
    let lower = path.to_ascii_lowercase();
    if lower.split('/').rev().skip(1).any(|d| RETIRED.contains(&d)) {
        return None;
    }
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = name.strip_suffix(".gotmpl").unwrap_or(name);
    let yaml = stem.ends_with(".yaml") || stem.ends_with(".yml");
    let dirs: Vec<&str> = lower.split('/').rev().skip(1).collect();
    if yaml && (name.contains("helmfile") || dirs.first().is_some_and(|d| *d == "helmfile.d" || *d == "helmfile")) {
        return Some(FileKind::Helmfile);
    }
    if !name.ends_with(".gotmpl") && yaml {
        if name.starts_with("talconfig") || dirs.contains(&"talos") {
            return Some(FileKind::Talos);
        }
        if name.starts_with("taskfile") {
            return Some(FileKind::Taskfile);
        }
    }
    if !yaml && lower.contains("bootstrap") && lower.contains("crd") && !name.ends_with(".j2") && !name.ends_with(".md")
    {
        return Some(FileKind::Script);
    }
    None
}

/// Blank out Go template actions, keeping lines where they are: a line that is one action
/// (`{{- if … }}`, `{{ end }}`) becomes empty, an action inside a line becomes `x`, and the
/// lines of an action spanning several become empty.
fn untemplate(text: &str) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut open = false;
    for line in text.split_inclusive('\n') {
        let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let mut rest = body;
        if open {
            // Inside an action that began on an earlier line.
            match rest.find("}}") {
                Some(end) => {
                    open = false;
                    rest = &rest[end + 2..];
                }
                None => {
                    out.push_str(nl);
                    continue;
                }
            }
        }
        let t = rest.trim();
        if t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 {
            out.push_str(nl);
            continue;
        }
        while let Some(at) = rest.find("{{") {
            out.push_str(&rest[..at]);
            out.push('x');
            match rest[at..].find("}}") {
                Some(end) => rest = &rest[at + end + 2..],
                None => {
                    open = true;
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push_str(nl);
    }
    out
}

/// The documents of `text`: as written when it parses (a Talos config's own `{{ }}` values are
/// plain strings), else with Go template actions blanked out (a helmfile `.gotmpl`): what parses
/// is read, the rest skipped.
fn parse_lenient(text: &str) -> (String, Vec<Node>) {
    if text.contains("{{") {
        let raw = parse_yaml(fleetlint_yaml::FileId::SYNTHETIC, text, &Limits::default());
        if !raw.issues.is_empty() || raw.documents.is_empty() {
            let text = untemplate(text);
            let docs = parse(&text);
            return (text, docs);
        }
        return (text.to_string(), raw.documents.into_iter().map(|d| d.root).collect());
    }
    (text.to_string(), parse(text))
}

fn parse(text: &str) -> Vec<Node> {
    parse_yaml(fleetlint_yaml::FileId::SYNTHETIC, text, &Limits::default())
        .documents
        .into_iter()
        .map(|d| d.root)
        .collect()
}

fn line_of(text: &str, node: &Node) -> u32 {
    let at = (node.span.start as usize).min(text.len());
    u32::try_from(text.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

fn push_groups(out: &mut Vec<BootstrapCrds>, path: &str, line: u32, how: &str, groups: &[(String, Vec<String>)]) {
    for (group, names) in groups {
        out.push(BootstrapCrds {
            file: path.to_string(),
            line,
            how: how.to_string(),
            group: group.clone(),
            names: names.clone(),
        });
    }
}

fn helmfile(path: &str, text: &str, out: &mut Vec<BootstrapCrds>) {
    let (text, docs) = parse_lenient(text);
    for root in docs {
        let Some(releases) = root.get("releases").and_then(Node::as_seq) else { continue };
        for r in releases {
            let Some(name) = r.get("name").and_then(Node::as_str) else { continue };
            if r.get("installed").and_then(Node::as_bool) == Some(false) {
                continue;
            }
            let chart = r.get("chart").and_then(Node::as_str).unwrap_or("");
            let chart = chart.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            let chart = chart.split(['@', ':']).next().unwrap_or("");
            let mut groups = if chart.is_empty() || chart == "x" { Vec::new() } else { chart_groups(chart) };
            if groups.is_empty() {
                groups = chart_groups(name);
            }
            let groups: Vec<(String, Vec<String>)> = groups.into_iter().map(|g| (g.to_string(), Vec::new())).collect();
            push_groups(out, path, line_of(&text, r), &format!("helmfile release `{name}`"), &groups);
        }
    }
}

/// The CRD groups a manifest URL names (see the module doc).
fn url_groups(url: &str) -> Vec<(String, Vec<String>)> {
    let url = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else { return Vec::new() };
    let segments: Vec<&str> = rest.split('/').collect();
    let Some((file, dirs)) = segments.split_last() else { return Vec::new() };
    let stem = file.strip_suffix(".yaml").or_else(|| file.strip_suffix(".yml")).unwrap_or(file);
    if let Some((group, plural)) = stem.split_once('_')
        && group.contains('.')
        && !plural.is_empty()
        && plural.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return vec![(group.to_string(), vec![plural.to_string()])];
    }
    let bundle = stem.contains("crd") || stem.contains("install");
    for dir in dirs.iter().skip(1) {
        let groups = chart_groups(dir);
        if !groups.is_empty() && (bundle || stem == *dir) {
            return groups.into_iter().map(|g| (g.to_string(), Vec::new())).collect();
        }
    }
    Vec::new()
}

/// The CRDs defined in manifest text.
fn inline_groups(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for doc in parse(text) {
        if doc.get("kind").and_then(Node::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let Some(group) = doc.get_path(&["spec", "group"]).and_then(Node::as_str) else { continue };
        let names: Vec<String> = ["kind", "plural"]
            .iter()
            .filter_map(|k| doc.get_path(&["spec", "names", k]).and_then(Node::as_str))
            .map(str::to_ascii_lowercase)
            .collect();
        if names.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(g, _)| g == group) {
            Some((_, n)) => n.extend(names),
            None => out.push((group.to_string(), names)),
        }
    }
    out
}

fn talos(path: &str, text: &str, out: &mut Vec<BootstrapCrds>) {
    let (text, docs) = parse_lenient(text);
    for root in docs {
        talos_node(path, &text, &root, None, out, 0);
    }
}

fn talos_node(path: &str, text: &str, node: &Node, line: Option<u32>, out: &mut Vec<BootstrapCrds>, depth: u32) {
    if depth > 64 {
        return;
    }
    let at = |n: &Node| line.unwrap_or_else(|| line_of(text, n));
    match &node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                match e.key.as_str() {
                    Some("extraManifests") => {
                        for u in e.value.as_seq().unwrap_or_default() {
                            let Some(url) = u.as_str() else { continue };
                            push_groups(out, path, at(u), "Talos `cluster.extraManifests`", &url_groups(url));
                        }
                    }
                    Some("inlineManifests") => {
                        for m in e.value.as_seq().unwrap_or_default() {
                            let Some(contents) = m.get("contents").and_then(Node::as_str) else { continue };
                            let how = format!(
                                "Talos `cluster.inlineManifests` `{}`",
                                m.get("name").and_then(Node::as_str).unwrap_or("")
                            );
                            push_groups(out, path, at(m), &how, &inline_groups(contents));
                        }
                    }
                    _ => talos_node(path, text, &e.value, line, out, depth + 1),
                }
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| talos_node(path, text, n, line, out, depth + 1)),
        NodeKind::Scalar(_) => {
            // A patch written as a string (talhelper `patches: ["@./patch.yaml", |- ...]`).
            if let Some(s) = node.as_str().filter(|s| s.contains("extraManifests") || s.contains("inlineManifests")) {
                let (inner, docs) = parse_lenient(s);
                for root in docs {
                    talos_node(path, &inner, &root, Some(at(node)), out, depth + 1);
                }
            }
        }
    }
}

/// URLs of a shell command line that applies manifests with kubectl.
fn kubectl_urls(cmd: &str) -> Vec<&str> {
    if !cmd.contains("kubectl") || !(cmd.contains(" apply") || cmd.contains(" create")) {
        return Vec::new();
    }
    cmd.split(|c: char| c.is_whitespace() || c == '=' || c == '"' || c == '\'')
        .filter(|t| t.starts_with("https://") || t.starts_with("http://"))
        .collect()
}

/// `(task name, line, command)` of every command of a Taskfile's bootstrap tasks: every task of
/// a Taskfile under a `bootstrap` directory, else the tasks whose name says `bootstrap`.
fn bootstrap_commands(path: &str, text: &str) -> Vec<(String, u32, String)> {
    let (text, docs) = parse_lenient(text);
    let in_bootstrap_dir = path.to_ascii_lowercase().contains("bootstrap");
    let mut out = Vec::new();
    for root in docs {
        let Some(tasks) = root.get("tasks").and_then(Node::as_map) else { continue };
        for t in tasks {
            let name = t.key.as_str().unwrap_or("");
            if !(in_bootstrap_dir || name.to_ascii_lowercase().contains("bootstrap")) {
                continue;
            }
            for c in t.value.get("cmds").and_then(Node::as_seq).unwrap_or_default() {
                let Some(cmd) = c.as_str().or_else(|| c.get("cmd").and_then(Node::as_str)) else { continue };
                out.push((name.to_string(), line_of(&text, c), cmd.to_string()));
            }
        }
    }
    out
}

fn taskfile(path: &str, text: &str, out: &mut Vec<BootstrapCrds>) {
    for (name, line, cmd) in bootstrap_commands(path, text) {
        for url in kubectl_urls(&cmd) {
            push_groups(out, path, line, &format!("task `{name}`"), &url_groups(url));
        }
    }
}

/// A namespace name as Kubernetes accepts it (RFC 1123 label), not a template leftover.
fn namespace_name(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    ok.then_some(s)
}

fn helmfile_namespaces(path: &str, text: &str, out: &mut Vec<BootstrapNamespace>) {
    // `untemplate` writes `x` for a template action: a namespace written by one is unknown.
    let templated = text.contains("{{");
    let (text, docs) = parse_lenient(text);
    for root in docs {
        let default_create =
            root.get_path(&["helmDefaults", "createNamespace"]).and_then(Node::as_bool).unwrap_or(true);
        let Some(releases) = root.get("releases").and_then(Node::as_seq) else { continue };
        for r in releases {
            let installed = r.get("installed").and_then(Node::as_bool) != Some(false);
            let create = r.get("createNamespace").and_then(Node::as_bool).unwrap_or(default_create);
            let Some(ns) = r.get("namespace").and_then(Node::as_str).and_then(namespace_name) else { continue };
            if installed && create && !(templated && ns == "x") {
                out.push(BootstrapNamespace {
                    file: path.to_string(),
                    line: line_of(&text, r),
                    namespace: ns.to_string(),
                });
            }
        }
    }
}

/// The namespaces of `kubectl create namespace|ns N` in a command line.
fn created_namespaces(cmd: &str) -> Vec<&str> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if w.ends_with("kubectl")
            && let Some(at) = words[i + 1..].iter().position(|x| *x == "create").filter(|at| *at < 4)
            && let Some(kind) = words.get(i + 1 + at + 1)
            && matches!(*kind, "namespace" | "ns")
            && let Some(name) = words.get(i + at + 3).and_then(|n| namespace_name(n))
        {
            out.push(name);
        }
    }
    out
}

fn taskfile_namespaces(path: &str, text: &str, out: &mut Vec<BootstrapNamespace>) {
    for (_, line, cmd) in bootstrap_commands(path, text) {
        for ns in created_namespaces(&cmd) {
            out.push(BootstrapNamespace { file: path.to_string(), line, namespace: ns.to_string() });
        }
    }
}

fn script(path: &str, text: &str, out: &mut Vec<BootstrapCrds>) {
    for (i, line) in text.lines().enumerate() {
        for url in kubectl_urls(line) {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            push_groups(out, path, line, "bootstrap script", &url_groups(url));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crds_of(path: &str, text: &str) -> Vec<BootstrapCrds> {
        let mut out = Vec::new();
        match kind(path, text) {
            Some(FileKind::Helmfile) => helmfile(path, text, &mut out),
            Some(FileKind::Talos) => talos(path, text, &mut out),
            Some(FileKind::Taskfile) => taskfile(path, text, &mut out),
            Some(FileKind::Script) => script(path, text, &mut out),
            None => {}
        }
        out
    }

    #[test]
    fn helmfile_releases_name_their_charts_crds() {
        let text = "---\nhelmDefaults:\n  args: [--include-crds]\nreleases:\n  - name: prometheus-operator-crds\n    namespace: observability\n    chart: oci://ghcr.io/prometheus-community/charts/prometheus-operator-crds\n  - name: envoy-gateway\n    chart: '{{ (fromYaml (tpl (readFile \"x\") .)).chart }}'\n  - name: cert-manager\n    chart: jetstack/cert-manager\n    installed: false\n";
        let got = crds_of("bootstrap/helmfile.d/00-crds.yaml", text);
        assert!(got.iter().any(|b| b.covers("monitoring.coreos.com", "PrometheusRule") && b.line == 5));
        assert!(got.iter().any(|b| b.covers("gateway.envoyproxy.io", "EnvoyProxy")));
        assert!(!got.iter().any(|b| b.group == "cert-manager.io"), "installed: false");
        let gotmpl = "releases:\n  {{- range $r := .Values.releases }}\n  - name: {{ $r }}\n  {{- end }}\n  - name: external-secrets\n    chart: oci://ghcr.io/external-secrets/charts/external-secrets\n";
        let got = crds_of("helmfile.yaml.gotmpl", gotmpl);
        assert!(got.iter().any(|b| b.group == "external-secrets.io" && b.line == 5), "{got:?}");
    }

    #[test]
    fn a_helmfile_in_a_bootstrap_directory_is_known_by_its_releases() {
        // heldout11, M0NsTeRRR/homelabv3-infra: `kubernetes/bootstrap/crds.yaml`.
        let text = "---\n# yaml-language-server: $schema=https://json.schemastore.org/helmfile\nhelmDefaults:\n  args:\n    - --include-crds\nreleases:\n  - name: prometheus-operator-crds\n    namespace: prometheus-operator-crds\n    chart: oci://ghcr.io/prometheus-community/charts/prometheus-operator-crds\n";
        let got = crds_of("kubernetes/bootstrap/crds.yaml", text);
        assert!(got.iter().any(|b| b.covers("monitoring.coreos.com", "PrometheusRule")), "{got:?}");
        // A Kubernetes manifest with a `releases:` key, or a helmfile-like file elsewhere, is not.
        assert!(
            crds_of("kubernetes/bootstrap/app.yaml", &format!("apiVersion: v1\nkind: ConfigMap\n{text}")).is_empty()
        );
        assert!(crds_of("kubernetes/apps/crds.yaml", text).is_empty());
    }

    #[test]
    fn talos_extra_and_inline_manifests() {
        let text = "clusterName: main\npatches:\n  - |-\n    cluster:\n      extraManifests:\n        - https://github.com/grafana/grafana-operator/releases/download/v5.24.0/crds.yaml\ncontrolPlane:\n  patches:\n    - cluster:\n        extraManifests:\n          - https://github.com/prometheus-operator/prometheus-operator/releases/download/v0.93.1/stripped-down-crds.yaml\n          - https://raw.githubusercontent.com/alex1989hu/kubelet-serving-cert-approver/main/deploy/standalone-install.yaml\n        inlineManifests:\n          - name: crds\n            contents: |\n              apiVersion: apiextensions.k8s.io/v1\n              kind: CustomResourceDefinition\n              spec:\n                group: example.com\n                names: {kind: Widget, plural: widgets}\n";
        let got = crds_of("talos/main/talconfig.yaml", text);
        assert!(got.iter().any(|b| b.covers("grafana.integreatly.org", "GrafanaDashboard") && b.line == 4), "{got:?}");
        assert!(got.iter().any(|b| b.covers("monitoring.coreos.com", "ServiceMonitor") && b.line == 11));
        assert!(got.iter().any(|b| b.covers("example.com", "Widget")));
        assert!(!got.iter().any(|b| b.covers("example.com", "Gadget")));
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn taskfile_bootstrap_urls_name_group_and_plural() {
        let text = "version: \"3\"\ntasks:\n  bootstrap:\n    cmds:\n      - kubectl apply --server-side --filename https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/{{.V}}/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml\n  other:\n    cmds:\n      - kubectl apply -f https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v1/example/prometheus-operator-crd/monitoring.coreos.com_probes.yaml\n";
        let got = crds_of(".taskfiles/Flux/Taskfile.yaml", text);
        assert!(got.iter().any(|b| b.covers("monitoring.coreos.com", "PrometheusRule") && b.line == 5));
        assert!(!got.iter().any(|b| b.covers("monitoring.coreos.com", "Probe")), "not a bootstrap task");
        assert!(!got.iter().any(|b| b.covers("monitoring.coreos.com", "ServiceMonitor")));
    }

    #[test]
    fn talos_values_with_template_text_parse_as_written() {
        // Talos templates its own node labels; the file is plain YAML (tyriis/home-ops).
        let text = "nodes:\n  - hostname: a\n    nodeLabels:\n      secureboot: >-\n        {{\n          .MachineConfig.MachineInstall.InstallImage |\n          contains \"installer-secureboot\"\n        }}\n    nodeAnnotations:\n      url: \"{{ .MachineConfig.MachineInstall.InstallImage }}\"\npatches:\n  - cluster:\n      extraManifests:\n        - https://github.com/prometheus-operator/prometheus-operator/releases/download/v0.93.1/stripped-down-crds.yaml\n";
        let got = crds_of("talos/utility/talconfig.yaml", text);
        assert!(got.iter().any(|b| b.covers("monitoring.coreos.com", "AlertmanagerConfig") && b.line == 14), "{got:?}");
        // An action spanning lines in a helmfile template is blanked out whole.
        let gotmpl = "releases:\n  - name: cert-manager\n    labels: {{\n      toYaml .Values.labels\n    }}\n    chart: jetstack/cert-manager\n";
        assert!(crds_of("helmfile.yaml.gotmpl", gotmpl).iter().any(|b| b.group == "cert-manager.io"));
    }

    #[test]
    fn bootstrap_namespaces_of_helmfile_releases_and_kubectl_create() {
        let mut out = Vec::new();
        let helm = "helmDefaults:\n  wait: true\nreleases:\n  - name: cilium\n    namespace: kube-system\n    chart: cilium/cilium\n  - name: external-secrets\n    namespace: external-secrets\n    chart: oci://ghcr.io/external-secrets/charts/external-secrets\n  - name: off\n    namespace: off-ns\n    createNamespace: false\n    chart: x/off\n  - name: gone\n    namespace: gone\n    installed: false\n    chart: x/gone\n  - name: tpl\n    namespace: '{{ .Values.ns }}'\n    chart: x/tpl\n";
        helmfile_namespaces("bootstrap/helmfile.yaml", helm, &mut out);
        let names: Vec<(&str, u32)> = out.iter().map(|n| (n.namespace.as_str(), n.line)).collect();
        assert_eq!(names, [("kube-system", 4), ("external-secrets", 7)]);
        let mut out = Vec::new();
        let none =
            "helmDefaults:\n  createNamespace: false\nreleases:\n  - name: a\n    namespace: a\n    chart: x/a\n";
        helmfile_namespaces("helmfile.yaml", none, &mut out);
        assert!(out.is_empty(), "helmDefaults.createNamespace: false");
        let task = "version: \"3\"\ntasks:\n  flux:\n    cmds:\n      - kubectl create namespace flux-system --dry-run=client -oyaml | kubectl apply -f -\n      - kubectl create ns external-secrets\n  other:\n    cmds:\n      - kubectl create namespace scratch\n";
        let mut out = Vec::new();
        taskfile_namespaces(".taskfiles/bootstrap/Taskfile.yaml", task, &mut out);
        let names: Vec<&str> = out.iter().map(|n| n.namespace.as_str()).collect();
        assert_eq!(names, ["flux-system", "external-secrets", "scratch"], "every task of a bootstrap Taskfile");
        let mut out = Vec::new();
        taskfile_namespaces("Taskfile.yaml", task, &mut out);
        assert!(out.is_empty(), "no bootstrap task: {out:?}");
    }

    #[test]
    fn retired_directories_bootstrap_nothing() {
        let text = "releases:\n  - name: envoy-gateway\n    chart: oci://mirror.gcr.io/envoyproxy/gateway-helm\n";
        assert!(kind_of("archive/coldstorage/legacy-config/bootstrap/helmfile.d/00-crds.yaml").is_none());
        assert!(!crds_of("bootstrap/helmfile.d/00-crds.yaml", text).is_empty());
    }
}
