//! Mapping Flux sources to local trees: `--source Kind/namespace/name=PATH` and
//! `--source URL[@REF]=PATH`, from the command line or the config file.

use std::path::PathBuf;

use crate::error::MappingError;

/// What a mapping matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKey {
    /// One source object.
    Object {
        /// Kind, as written (matched case-insensitively).
        kind: String,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// Every source with this URL (normalised) and, when given, this ref.
    Url {
        /// The normalised URL.
        url: String,
        /// A branch, tag or semver range; `None` matches any ref.
        reference: Option<String>,
    },
}

/// A source mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceMapping {
    /// What it matches.
    pub key: SourceKey,
    /// The local tree.
    pub path: PathBuf,
}

impl SourceMapping {
    /// Parse `KEY=PATH` (the key is everything before the last `=`); relative paths are resolved
    /// against `base` (the current directory, or the config file's directory).
    ///
    /// # Errors
    /// When the text is not `KEY=PATH` or the key is malformed.
    pub fn parse(text: &str, base: &std::path::Path) -> Result<Self, MappingError> {
        let (key, path) = text.rsplit_once('=').ok_or_else(|| MappingError::NoPath(text.to_string()))?;
        if path.is_empty() {
            return Err(MappingError::EmptyPath(text.to_string()));
        }
        let key = parse_key(key)?;
        let path = PathBuf::from(path);
        let path = if path.is_absolute() { path } else { base.join(path) };
        Ok(Self { key, path })
    }

    /// The key as the report shows it.
    #[must_use]
    pub fn key_string(&self) -> String {
        match &self.key {
            SourceKey::Object { kind, namespace, name } => format!("{kind}/{namespace}/{name}"),
            SourceKey::Url { url, reference: Some(r) } => format!("{url}@{r}"),
            SourceKey::Url { url, reference: None } => url.clone(),
        }
    }

    /// Whether this mapping applies to a source object.
    #[must_use]
    pub fn matches(&self, kind: &str, namespace: &str, name: &str, url: Option<&str>, reference: Option<&str>) -> bool {
        match &self.key {
            SourceKey::Object { kind: k, namespace: ns, name: n } => {
                k.eq_ignore_ascii_case(kind) && ns == namespace && n == name
            }
            SourceKey::Url { url: u, reference: r } => {
                url.is_some_and(|url| normalize_url(url) == *u) && r.as_deref().is_none_or(|r| reference == Some(r))
            }
        }
    }
}

fn parse_key(key: &str) -> Result<SourceKey, MappingError> {
    let looks_like_url = key.contains("://") || key.starts_with("git@") || key.contains('.') && key.contains('/');
    let parts: Vec<&str> = key.split('/').collect();
    if !looks_like_url && parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
        return Ok(SourceKey::Object {
            kind: parts[0].to_string(),
            namespace: parts[1].to_string(),
            name: parts[2].to_string(),
        });
    }
    if !looks_like_url {
        return Err(MappingError::BadKey(key.to_string()));
    }
    // `@REF` after the path part; `git@host:` is part of the URL.
    let (url, reference) = match key.rfind('@') {
        Some(at) if key[at..].find(['/', ':']).is_none() && !key[..at].ends_with("git") => {
            (&key[..at], Some(key[at + 1..].to_string()))
        }
        _ => (key, None),
    };
    Ok(SourceKey::Url { url: normalize_url(url), reference })
}

/// Normalise a Git/OCI/Helm URL for comparison: scheme and user dropped, `git@host:org/repo`
/// read as `host/org/repo`, trailing `.git` and `/` removed, host lowercased.
#[must_use]
pub(crate) fn normalize_url(url: &str) -> String {
    let mut u = url.trim();
    for scheme in ["ssh://", "https://", "http://", "git://", "oci://", "git+ssh://"] {
        if let Some(rest) = u.strip_prefix(scheme) {
            u = rest;
            break;
        }
    }
    let mut s = u.to_string();
    if let Some(at) = s.find('@').filter(|&at| !s[..at].contains('/')) {
        s = s[at + 1..].to_string();
    }
    // scp-like `host:org/repo` (but not `host:22/org`).
    if let Some(colon) = s.find(':') {
        let after = &s[colon + 1..];
        let port = after.split('/').next().unwrap_or("");
        if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() {
            s = format!("{}{}", &s[..colon], &after[port.len()..]);
        } else if s[..colon].find('/').is_none() {
            s = format!("{}/{}", &s[..colon], after);
        }
    }
    let s = s.trim_end_matches('/');
    let s = s.strip_suffix(".git").unwrap_or(s);
    match s.split_once('/') {
        Some((host, path)) => format!("{}/{path}", host.to_lowercase()),
        None => s.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn urls_normalise_across_spellings() {
        let want = "github.com/fluxcd/flux2-multi-tenancy";
        for u in [
            "https://github.com/fluxcd/flux2-multi-tenancy",
            "https://github.com/fluxcd/flux2-multi-tenancy.git",
            "ssh://git@github.com/fluxcd/flux2-multi-tenancy",
            "git@github.com:fluxcd/flux2-multi-tenancy.git",
            "ssh://git@GitHub.com:22/fluxcd/flux2-multi-tenancy/",
        ] {
            assert_eq!(normalize_url(u), want, "{u}");
        }
    }

    #[test]
    fn parses_object_and_url_keys() {
        let m = SourceMapping::parse("GitRepository/apps/dev-team=../dev-team", Path::new("/work")).unwrap();
        assert!(m.matches("gitrepository", "apps", "dev-team", None, None));
        assert_eq!(m.path, Path::new("/work/../dev-team"));
        let m =
            SourceMapping::parse("https://github.com/fluxcd/flux2-multi-tenancy@dev-team=/t", Path::new("/")).unwrap();
        assert_eq!(m.key_string(), "github.com/fluxcd/flux2-multi-tenancy@dev-team");
        assert!(m.matches(
            "GitRepository",
            "apps",
            "x",
            Some("https://github.com/fluxcd/flux2-multi-tenancy"),
            Some("dev-team")
        ));
        // Same URL, another ref: the fleet repo itself on main is NOT the tenant repo.
        assert!(!m.matches(
            "GitRepository",
            "flux-system",
            "flux-system",
            Some("ssh://git@github.com/fluxcd/flux2-multi-tenancy"),
            Some("main")
        ));
        let any = SourceMapping::parse("git@github.com:org/repo.git=/r", Path::new("/")).unwrap();
        assert_eq!(any.key, SourceKey::Url { url: "github.com/org/repo".into(), reference: None });
        assert!(SourceMapping::parse("nonsense", Path::new("/")).is_err());
    }
}
