//! Flux's artifact ignore rules (`.sourceignore`, source-controller defaults), evaluated per file
//! so the fleet model can build per-source views and explain exclusions instead of dropping files.
//!
//! Semantics (`fluxcd/pkg@e2cfd1a2:sourceignore/sourceignore.go`, `LoadIgnorePatterns`;
//! docs/flux-semantics.md#source-artifacts): `.sourceignore` files are loaded from every directory, each scoped
//! to its own directory, parent before child; the last matching pattern decides. With at least
//! one user pattern, only the VCS defaults remain: the extension, CI and extra defaults are
//! dropped (`fluxcd/pkg@e2cfd1a2:artifact/storage/archive.go`,
//! `SourceIgnoreFilter`).

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

const VCS_DEFAULTS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];
const OTHER_DEFAULTS: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// Why a file is left out of a source artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreCause {
    /// A built-in source-controller default pattern.
    Default {
        /// The pattern.
        pattern: String,
    },
    /// A pattern of a `.sourceignore` file or of `spec.ignore`.
    Pattern {
        /// Where the pattern is: a `.sourceignore` path relative to the root, or `spec.ignore`.
        origin: String,
        /// 1-based line of the pattern in `origin` (0 when unknown).
        line: u32,
        /// The pattern.
        pattern: String,
    },
}

struct Layer {
    /// Directory the patterns are scoped to (`""` for the root), relative, `/`-separated.
    dir: String,
    origin: Option<(String, String)>,
    matcher: Gitignore,
}

/// The ignore rules of one source view.
pub struct SourceIgnore {
    layers: Vec<Layer>,
}

impl std::fmt::Debug for SourceIgnore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceIgnore").field("layers", &self.layers.len()).finish()
    }
}

impl SourceIgnore {
    /// Build from the `.sourceignore` files of a tree (`(relative path, text)`, any order) and
    /// extra `spec.ignore` text.
    #[must_use]
    pub fn new(files: &[(String, String)], spec_ignore: Option<&str>) -> Self {
        let mut files: Vec<&(String, String)> = files.iter().collect();
        files.sort_by(|a, b| a.0.matches('/').count().cmp(&b.0.matches('/').count()).then(a.0.cmp(&b.0)));
        let has_user_patterns = files.iter().any(|(_, t)| has_patterns(t)) || spec_ignore.is_some_and(has_patterns);
        let mut layers = Vec::new();
        let defaults: Vec<&str> = if has_user_patterns {
            VCS_DEFAULTS.to_vec()
        } else {
            VCS_DEFAULTS.iter().chain(OTHER_DEFAULTS).copied().collect()
        };
        layers.push(layer("", None, defaults.iter().map(|s| (*s).to_string())));
        for (path, text) in files {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            layers.push(layer(&dir, Some((path.clone(), text.clone())), text.lines().map(str::to_string)));
        }
        if let Some(text) = spec_ignore {
            layers.push(layer("", Some(("spec.ignore".into(), text.to_string())), text.lines().map(str::to_string)));
        }
        Self { layers }
    }

    /// The rules of a Bucket source: only the `.sourceignore` at the bucket root and
    /// `spec.ignore`, with no default exclusions at all (source-controller's bucket reconciler).
    #[must_use]
    pub fn for_bucket(files: &[(String, String)], spec_ignore: Option<&str>) -> Self {
        let mut layers = Vec::new();
        if let Some((path, text)) = files.iter().find(|(p, _)| p == ".sourceignore") {
            layers.push(layer("", Some((path.clone(), text.clone())), text.lines().map(str::to_string)));
        }
        if let Some(text) = spec_ignore {
            layers.push(layer("", Some(("spec.ignore".into(), text.to_string())), text.lines().map(str::to_string)));
        }
        Self { layers }
    }

    /// Why `rel` (a file path relative to the root) is excluded, or `None` when it is included.
    #[must_use]
    pub fn status(&self, rel: &str) -> Option<IgnoreCause> {
        for layer in self.layers.iter().rev() {
            let Some(sub) = scoped(rel, &layer.dir) else { continue };
            match layer.matcher.matched_path_or_any_parents(sub, false) {
                Match::None => {}
                Match::Whitelist(_) => return None,
                Match::Ignore(glob) => {
                    let pattern = glob.original().to_string();
                    return Some(match &layer.origin {
                        None => IgnoreCause::Default { pattern },
                        Some((origin, text)) => {
                            let line = text.lines().position(|l| l.trim() == pattern).map_or(0, |i| i as u32 + 1);
                            IgnoreCause::Pattern { origin: origin.clone(), line, pattern }
                        }
                    });
                }
            }
        }
        None
    }
}

fn has_patterns(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    })
}

fn scoped<'a>(rel: &'a str, dir: &str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(rel);
    }
    rel.strip_prefix(dir)?.strip_prefix('/')
}

fn layer(dir: &str, origin: Option<(String, String)>, lines: impl Iterator<Item = String>) -> Layer {
    let mut b = GitignoreBuilder::new("");
    for l in lines {
        // A bad pattern is skipped as go-git skips it.
        let _ = b.add_line(None, &l);
    }
    let matcher = b.build().unwrap_or_else(|_| Gitignore::empty());
    Layer { dir: dir.to_string(), origin, matcher }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_use_only_the_root_sourceignore_and_no_defaults() {
        let files = [(".sourceignore".into(), "docs/\n".into()), ("apps/.sourceignore".into(), "local.yaml\n".into())];
        let si = SourceIgnore::for_bucket(&files, Some("*.md\n"));
        assert_eq!(si.status(".github/workflows/ci.yaml"), None, "no default exclusions for buckets");
        assert_eq!(si.status("apps/local.yaml"), None, "nested .sourceignore files are not read");
        assert!(si.status("docs/a.yaml").is_some());
        assert!(si.status("README.md").is_some(), "spec.ignore applies");
    }

    #[test]
    fn defaults_apply_without_user_patterns() {
        let si = SourceIgnore::new(&[], None);
        assert!(matches!(si.status(".github/workflows/ci.yaml"), Some(IgnoreCause::Default { .. })));
        assert!(matches!(si.status("apps/.sops.yaml"), Some(IgnoreCause::Default { .. })));
        assert_eq!(si.status("apps/app.yaml"), None);
    }

    #[test]
    fn user_patterns_drop_non_vcs_defaults_and_are_scoped() {
        let si = SourceIgnore::new(
            &[
                (".sourceignore".into(), "docs/\n*.md\n".into()),
                ("apps/.sourceignore".into(), "# c\nlocal.yaml\n".into()),
            ],
            None,
        );
        // The quirk: a .sourceignore re-includes .github/ and .sops.yaml.
        assert_eq!(si.status(".github/workflows/ci.yaml"), None);
        assert_eq!(si.status(".sops.yaml"), None);
        assert_eq!(
            si.status("docs/x.yaml"),
            Some(IgnoreCause::Pattern { origin: ".sourceignore".into(), line: 1, pattern: "docs/".into() })
        );
        assert!(matches!(si.status("apps/local.yaml"), Some(IgnoreCause::Pattern { line: 2, .. })));
        assert_eq!(si.status("local.yaml"), None);
    }
}
