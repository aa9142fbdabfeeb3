//! `spec.pathPattern` (fluxcd/source-watcher@825fa15:internal/controller/
//! artifactgenerator_pathpattern.go `buildArtifactRequests`, source-watcher v2.2 / Flux 2.9):
//! `@alias/apps/{app}/envs/{env}` is matched, as a literal path with each `{name}` standing for
//! one path segment, against every directory of the alias's tree (walk order, nested matches
//! included). Each match renders every artifact: `{name}` in the artifact name takes the
//! lowercased capture, in `copy.from`/`copy.to` the capture as written. Captures must be valid
//! label values, rendered names DNS subdomains, and two matches may not render the same name;
//! all of these are terminal errors. No matching directory means no artifact.

use std::collections::BTreeMap;

use regex::Regex;

use super::spec::{ArtifactGenerator, CopyOp, OutputArtifact};
use super::tree::SourceTree;
use super::{GeneratorError, GeneratorErrorKind, is_dns_subdomain};

/// One artifact to build.
pub(crate) struct Request<'a> {
    pub(crate) artifact: &'a OutputArtifact,
    pub(crate) name: String,
    pub(crate) copy: Vec<CopyOp>,
    /// Normalized (lowercased) captures: labels of the ExternalArtifact.
    pub(crate) labels: BTreeMap<String, String>,
    /// Captures as matched.
    pub(crate) raw: BTreeMap<String, String>,
}

fn is_capture_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `content.IsLabelKey` for a key without prefix.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `content.IsLabelValue`.
fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_label_name(s)
}

/// `validatePathPatternCaptures`.
fn validate_captures(full: &str, pattern: &str) -> Result<(), String> {
    let b = pattern.as_bytes();
    let mut seen = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                let Some(end) = pattern[i + 1..].find('}') else {
                    return Err(format!(
                        "pathPattern {full:?}: invalid capture starting at offset {i}: missing closing brace"
                    ));
                };
                let name = &pattern[i + 1..i + 1 + end];
                if name.is_empty() {
                    return Err(format!("pathPattern {full:?}: empty capture variable"));
                }
                if !is_capture_name(name) {
                    return Err(format!(
                        "pathPattern {full:?}: capture variable {name:?} must be a valid capture name matching [A-Za-z_][A-Za-z0-9_]*"
                    ));
                }
                if seen.contains(&name) {
                    return Err(format!("pathPattern {full:?}: duplicate capture variable {name:?}"));
                }
                seen.push(name);
                i += end + 1;
            }
            b'}' => {
                return Err(format!(
                    "pathPattern {full:?}: invalid capture ending at offset {i}: missing opening brace"
                ));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// `renderTemplateString`.
fn render(template: &str, data: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let b = template.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                let Some(end) = template[i + 1..].find('}') else {
                    return Err(format!(
                        "invalid template {template:?}: capture starting at offset {i} is missing closing brace"
                    ));
                };
                let name = &template[i + 1..i + 1 + end];
                if name.is_empty() {
                    return Err(format!("invalid template {template:?}: empty capture variable"));
                }
                if !is_capture_name(name) {
                    return Err(format!(
                        "invalid template {template:?}: capture variable {name:?} must be a valid capture name matching [A-Za-z_][A-Za-z0-9_]*"
                    ));
                }
                let Some(value) = data.get(name) else {
                    return Err(format!(
                        "invalid template {template:?}: capture variable {name:?} is not defined by pathPattern"
                    ));
                };
                out.push_str(value);
                i += end + 2;
            }
            b'}' => {
                return Err(format!(
                    "invalid template {template:?}: capture ending at offset {i} is missing opening brace"
                ));
            }
            _ => {
                let c = template[i..].chars().next().unwrap_or('\0');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Ok(out)
}

/// The artifact requests of a generator.
pub(crate) fn requests<'a, F>(
    g: &'a ArtifactGenerator,
    sources: &BTreeMap<String, SourceTree<F>>,
) -> Result<Vec<Request<'a>>, GeneratorError> {
    let Some((full, span)) = &g.path_pattern else {
        return Ok(g
            .artifacts
            .iter()
            .map(|a| Request {
                artifact: a,
                name: a.name.clone(),
                copy: a.copy.clone(),
                labels: BTreeMap::new(),
                raw: BTreeMap::new(),
            })
            .collect());
    };
    let fail = |message: String| GeneratorError { kind: GeneratorErrorKind::Invalid, message, span: *span };
    let (alias, pattern) = full
        .strip_prefix('@')
        .and_then(|r| r.split_once('/'))
        .ok_or_else(|| fail(format!("invalid pathPattern format: {full}")))?;
    let tree = sources
        .get(alias)
        .ok_or_else(|| fail(format!("pathPattern {full:?}: source alias {alias} not found in local sources")))?;
    validate_captures(full, pattern).map_err(fail)?;
    let capture = Regex::new(r"\\\{([a-zA-Z0-9_]+)\\\}").map_err(|e| fail(e.to_string()))?;
    let regex = format!("^{}$", capture.replace_all(&regex::escape(pattern), "(?P<$1>[^/]+)"));
    let matcher =
        Regex::new(&regex).map_err(|e| fail(format!("pathPattern {full:?}: failed to compile path pattern: {e}")))?;
    let names: Vec<&str> = matcher.capture_names().flatten().collect();
    if let Some(bad) = names.iter().find(|n| !is_label_name(n)) {
        return Err(fail(format!(
            "pathPattern {full:?}: capture variable {bad:?} is not a valid Kubernetes label key"
        )));
    }
    let mut dirs = Vec::new();
    tree.walk(".", &mut |p, is_dir| {
        if is_dir {
            dirs.push(p.to_string());
        }
        is_dir
    });
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for rel in dirs {
        let Some(caps) = matcher.captures(&rel) else { continue };
        let raw: BTreeMap<String, String> =
            names.iter().map(|n| ((*n).to_string(), caps.name(n).map_or("", |m| m.as_str()).to_string())).collect();
        let normalized: BTreeMap<String, String> = raw.iter().map(|(k, v)| (k.clone(), v.to_lowercase())).collect();
        for (k, v) in &normalized {
            if !is_label_value(v) {
                return Err(fail(format!(
                    "pathPattern {full:?}: captured value {v:?} for variable {k:?} is not a valid Kubernetes label value"
                )));
            }
        }
        for a in &g.artifacts {
            let rendered = (|| -> Result<Request<'a>, String> {
                let name = render(&a.name, &normalized)?;
                let copy = a
                    .copy
                    .iter()
                    .map(|c| Ok(CopyOp { from: render(&c.from, &raw)?, to: render(&c.to, &raw)?, ..c.clone() }))
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Request { artifact: a, name, copy, labels: normalized.clone(), raw: raw.clone() })
            })()
            .map_err(|e| {
                fail(format!("pathPattern {full:?}: failed to render artifact {} for match {rel}: {e}", a.name))
            })?;
            if !is_dns_subdomain(&rendered.name) {
                return Err(fail(format!(
                    "pathPattern {full:?}: rendered artifact name {:?} is not a valid Kubernetes object name",
                    rendered.name
                )));
            }
            if let Some(prev) = seen.get(&rendered.name) {
                return Err(fail(format!(
                    "pathPattern {full:?}: directories {prev:?} and {rel:?} both resolve to artifact name {:?}",
                    rendered.name
                )));
            }
            seen.insert(rendered.name.clone(), rel.clone());
            out.push(rendered);
        }
    }
    Ok(out)
}
