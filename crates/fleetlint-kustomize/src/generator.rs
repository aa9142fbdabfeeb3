//! `configMapGenerator` / `secretGenerator` and kustomize's name hash.

use fleetlint_yaml::{Entry, Node, NodeKind, Span};
use sha2::{Digest, Sha256};

use crate::builtin_transformers::{Pair, pairs};
use crate::issue::BuildIssue;
use crate::resource::{Behavior, Resource, set_entry};

/// Reads a generator input file (tree-relative path) or says why it cannot.
pub(crate) type FileReader<'a> = dyn Fn(&str) -> Result<Vec<u8>, String> + 'a;

/// Generator options (`generatorOptions` or an entry's `options`).
#[derive(Clone, Debug, Default)]
pub(crate) struct GenOptions {
    pub(crate) labels: Vec<Pair>,
    pub(crate) annotations: Vec<Pair>,
    pub(crate) disable_hash: bool,
    pub(crate) immutable: bool,
}

impl GenOptions {
    pub(crate) fn from_node(node: Option<&Node>) -> Self {
        let Some(n) = node else { return Self::default() };
        Self {
            labels: pairs(n.get("labels")),
            annotations: pairs(n.get("annotations")),
            disable_hash: n.get("disableNameSuffixHash").and_then(Node::as_bool).unwrap_or(false),
            immutable: n.get("immutable").and_then(Node::as_bool).unwrap_or(false),
        }
    }

    /// kustomize's `MergeGlobalOptionsIntoLocal`: global values override local ones.
    fn merged(mut self, global: &GenOptions) -> Self {
        for (mine, theirs) in [(&mut self.labels, &global.labels), (&mut self.annotations, &global.annotations)] {
            for p in theirs {
                if let Some(o) = mine.iter_mut().find(|o| o.key == p.key) {
                    *o = p.clone();
                } else {
                    mine.push(p.clone());
                }
            }
            mine.sort_by(|a, b| a.key.cmp(&b.key));
        }
        self.disable_hash |= global.disable_hash;
        self.immutable |= global.immutable;
        self
    }
}

struct KvPair {
    key: String,
    value: Vec<u8>,
    span: Span,
}

fn strs(entry: &Node, key: &str) -> Vec<(String, Span)> {
    let Some(n) = entry.get(key) else { return Vec::new() };
    match &n.kind {
        NodeKind::Seq(items) => items.iter().filter_map(|i| i.as_str().map(|s| (s.to_string(), i.span))).collect(),
        NodeKind::Scalar(_) => n.as_str().map(|s| vec![(s.to_string(), n.span)]).unwrap_or_default(),
        NodeKind::Map(_) => Vec::new(),
    }
}

fn join(dir: &str, rel: &str) -> String {
    fleetlint_yaml::relpath::join_in_root(dir, rel).unwrap_or_else(|| rel.to_string())
}

fn is_valid_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && ((b[0] == b'"' && b[b.len() - 1] == b'"') || (b[0] == b'\'' && b[b.len() - 1] == b'\'')) {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

fn load_pairs(entry: &Node, dir: &str, read: &FileReader<'_>, issues: &mut Vec<BuildIssue>) -> Vec<KvPair> {
    let mut out = Vec::new();
    let mut envs = strs(entry, "envs");
    envs.extend(strs(entry, "env"));
    for (path, span) in envs {
        match read(&join(dir, &path)) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                for line in text.lines() {
                    let line = line.trim_start().trim_end_matches('\r');
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    match line.split_once('=') {
                        Some((k, v)) => out.push(KvPair { key: k.to_string(), value: v.as_bytes().to_vec(), span }),
                        None => {
                            // kustomize takes the value from its own environment; fleetlint does
                            // not read the environment, so the key gets an empty value.
                            out.push(KvPair { key: line.to_string(), value: Vec::new(), span });
                        }
                    }
                }
            }
            Err(e) => issues.push(BuildIssue::invalid(span, true, format!("env file {path}: {e}"))),
        }
    }
    for (lit, span) in strs(entry, "literals") {
        match lit.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.push(KvPair { key: k.to_string(), value: remove_quotes(v).as_bytes().to_vec(), span });
            }
            _ => issues.push(BuildIssue::invalid(
                span,
                true,
                format!("invalid literal source {lit}, expected key=value"),
            )),
        }
    }
    for (src, span) in strs(entry, "files") {
        let (key, path) = match src.split_once('=') {
            Some((k, p)) => (k.to_string(), p.to_string()),
            None => (src.rsplit('/').next().unwrap_or(&src).to_string(), src.clone()),
        };
        // kustomize reads an `http(s)://` file source over HTTP (kubernetes-sigs/kustomize@kustomize/v5.8.1
        // `api/internal/loader/fileloader.go` `Load`: `IsRemoteFile` -> `httpClientGetContent`),
        // which `--no-remote-bases` does not block: not a missing file but one fleetlint does not
        // fetch (the key is left out of the generated object).
        if path.starts_with("https://") || path.starts_with("http://") {
            issues.push(BuildIssue {
                kind: crate::issue::BuildIssueKind::RemoteResource,
                message: format!("remote resource {path} is not fetched; the build result leaves it out"),
                span,
                fatal: false,
            });
            continue;
        }
        match read(&join(dir, &path)) {
            Ok(bytes) => out.push(KvPair { key, value: bytes, span }),
            Err(e) => issues.push(BuildIssue::invalid(span, true, format!("file source {path}: {e}"))),
        }
    }
    out
}

/// Build the object of one generator entry.
pub(crate) fn generate(
    secret: bool,
    entry: &Node,
    dir: &str,
    global: &GenOptions,
    read: &FileReader<'_>,
    issues: &mut Vec<BuildIssue>,
) -> Option<Resource> {
    let span = entry.span;
    let name_node = entry.get("name");
    let name = name_node.and_then(Node::as_str).unwrap_or("");
    let name_span = name_node.map_or(span, |n| n.span);
    let behavior = match entry.get("behavior").and_then(Node::as_str).unwrap_or("") {
        "" | "create" => Behavior::Create,
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        other => {
            issues.push(BuildIssue::invalid(span, true, format!("unknown generator behavior {other:?}")));
            return None;
        }
    };
    let opts = GenOptions::from_node(entry.get("options")).merged(global);
    let before = issues.len();
    let kvs = load_pairs(entry, dir, read, issues);
    if issues.len() > before {
        return None;
    }
    let mut root = Node::map(span);
    set_entry(&mut root, "apiVersion", Node::string("v1", span), span);
    set_entry(&mut root, "kind", Node::string(if secret { "Secret" } else { "ConfigMap" }, span), span);
    let mut meta = Node::map(span);
    set_entry(&mut meta, "name", Node::string(name, name_span), name_span);
    if let Some(ns) = entry.get("namespace").filter(|n| n.as_str().is_some_and(|s| !s.is_empty())) {
        set_entry(&mut meta, "namespace", Node::string(ns.as_str().unwrap_or(""), ns.span), ns.span);
    }
    for (key, list) in [("labels", &opts.labels), ("annotations", &opts.annotations)] {
        if list.is_empty() {
            continue;
        }
        let mut m = Node::map(span);
        for p in list {
            set_entry(&mut m, &p.key, Node::string(p.value.as_str(), p.value_span), p.key_span);
        }
        set_entry(&mut meta, key, m, span);
    }
    set_entry(&mut root, "metadata", meta, span);
    let mut data: Vec<Entry> = Vec::new();
    let mut binary: Vec<Entry> = Vec::new();
    for kv in kvs {
        if !is_valid_key(&kv.key) {
            issues.push(BuildIssue::invalid(kv.span, true, format!("invalid key {:?} in generator {name}", kv.key)));
            return None;
        }
        if data.iter().chain(binary.iter()).any(|e| e.key.as_str() == Some(kv.key.as_str())) {
            issues.push(BuildIssue::invalid(
                kv.span,
                true,
                format!("cannot add key {}, another key by that name already exists in generator {name}", kv.key),
            ));
            return None;
        }
        let key = Node::string(kv.key.as_str(), kv.span);
        if secret {
            data.push(Entry { key, value: Node::string(kyaml_base64(&kv.value), kv.span) });
        } else {
            match String::from_utf8(kv.value) {
                Ok(s) => data.push(Entry { key, value: Node::string(s, kv.span) }),
                Err(e) => binary.push(Entry { key, value: Node::string(kyaml_base64(e.as_bytes()), kv.span) }),
            }
        }
    }
    if !data.is_empty() {
        set_entry(&mut root, "data", Node { span, kind: NodeKind::Map(data) }, span);
    }
    if !binary.is_empty() {
        set_entry(&mut root, "binaryData", Node { span, kind: NodeKind::Map(binary) }, span);
    }
    if secret {
        let ty = entry.get("type").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
        let (t, tspan) = ty.map_or(("Opaque", span), |n| (n.as_str().unwrap_or("Opaque"), n.span));
        set_entry(&mut root, "type", Node::string(t, tspan), tspan);
    }
    if opts.immutable {
        let b = Node {
            span,
            kind: NodeKind::Scalar(fleetlint_yaml::Scalar {
                text: "true".into(),
                style: fleetlint_yaml::ScalarStyle::Plain,
                value: fleetlint_yaml::ScalarValue::Bool(true),
                tag: None,
            }),
        };
        set_entry(&mut root, "immutable", b, span);
    }
    let mut r = Resource::new(root);
    r.behavior = behavior;
    r.needs_hash = !opts.disable_hash;
    Some(r)
}

/// Generated Secret `data` and ConfigMap `binaryData` values as kyaml writes them
/// (kubernetes-sigs/kustomize@afe7793676 `kyaml/yaml/datamap.go` `encodeBase64`): standard
/// base64 in lines of 70 characters, each ended by a line break once there is more than one line's
/// worth (70 characters or more), the last one included.
pub(crate) fn kyaml_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for chunk in encoded.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// kustomize's content hash of a resource (`api/hasher`). For ConfigMaps and Secrets it
/// encodes `kind`, `data` (+ `binaryData` / `stringData`, + `type`) and an always-empty `name`
/// (kustomize looks the name up under a key literally called `metadata/name`).
pub(crate) fn hash(r: &Resource) -> String {
    let mut obj = serde_json::Map::new();
    let field = |k: &str| -> serde_json::Value {
        match r.root.get(k) {
            None => serde_json::Value::String(String::new()),
            Some(n) if n.as_scalar().is_some() => {
                serde_json::Value::String(n.as_scalar().map(|s| s.text.to_string()).unwrap_or_default())
            }
            Some(n) => n.to_json(),
        }
    };
    let encoded = match r.kind() {
        "ConfigMap" => {
            obj.insert("kind".into(), "ConfigMap".into());
            obj.insert("name".into(), "".into());
            obj.insert("data".into(), field("data"));
            if r.root.get("binaryData").is_some_and(|n| n.as_map().is_some()) {
                obj.insert("binaryData".into(), field("binaryData"));
            }
            go_json(&serde_json::Value::Object(obj))
        }
        "Secret" => {
            obj.insert("kind".into(), "Secret".into());
            obj.insert("type".into(), field("type"));
            obj.insert("name".into(), "".into());
            obj.insert("data".into(), field("data"));
            if r.root.get("stringData").is_some_and(|n| n.as_map().is_some()) {
                obj.insert("stringData".into(), field("stringData"));
            }
            go_json(&serde_json::Value::Object(obj))
        }
        _ => go_json(&r.root.to_json()),
    };
    let digest = Sha256::digest(encoded.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// JSON as Go's `encoding/json` writes it: map keys sorted, `<>&` and U+2028/9 escaped.
pub(crate) fn go_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

fn write_go_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&n.to_string()),
        J::String(s) => fleetlint_goyaml::write_json_string(out, s, true),
        J::Array(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(it, out);
            }
            out.push(']');
        }
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                fleetlint_goyaml::write_json_string(out, k, true);
                out.push(':');
                write_go_json(&map[*k], out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_kustomize() {
        // `kubectl kustomize` names a ConfigMap generated from literal a=1 `<name>-h29d89cmmt`.
        let span = Span::default();
        let mut root = Node::map(span);
        set_entry(&mut root, "apiVersion", Node::string("v1", span), span);
        set_entry(&mut root, "kind", Node::string("ConfigMap", span), span);
        let mut data = Node::map(span);
        set_entry(&mut data, "a", Node::string("1", span), span);
        set_entry(&mut root, "data", data, span);
        assert_eq!(hash(&Resource::new(root)), "h29d89cmmt");
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(kyaml_base64(b"hello"), "aGVsbG8=");
        // 52 bytes are 72 base64 characters: two lines, both ended
        let long = kyaml_base64(&[b'x'; 52]);
        assert_eq!(long.lines().map(str::len).collect::<Vec<_>>(), [70, 2]);
        assert!(long.ends_with('\n'));
        // 51 bytes are 68 characters: one line, no break
        assert!(!kyaml_base64(&[b'x'; 51]).contains('\n'));
    }
}
