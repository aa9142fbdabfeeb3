use fleetlint_fleet::Cluster;
use fleetlint_fleet::controllers::{Controller, NO_REMOTE_BASES};
use fleetlint_kustomize::BuildIssueKind;

use crate::context::BuildContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::helpers::lockdown::UNKNOWN_NOTE;
use crate::rules::src_integrity::helpers::reach::{Reach, Reaches};

declare_rule! {
    /// ## What it does
    /// Reports a kustomization entry that points at a remote resource, base or component: an
    /// `https://` or `http://` URL, `git@host:org/repo`, `ssh://`, `git::`, `gh:` or
    /// `github.com/...` (the prefixes kustomize-controller checks).
    ///
    /// ## Why is this bad?
    /// Remote bases bypass source-controller: they are fetched on every build without caching or
    /// verification, and they let a tenant pull any repository into the cluster. With
    /// `--no-remote-bases` (the multi-tenancy lockdown) kustomize-controller refuses them and the
    /// build fails. fleetlint never fetches them, so what they would render is unknown.
    /// Severity: an error where a cluster whose Flux Kustomizations build the entry runs
    /// kustomize-controller with `--no-remote-bases` (from its bootstrap patches, FluxInstance or
    /// `clusterOverrides`) and the entry is a git base (kustomize downloads `https://…/x.yaml`
    /// files itself, which the flag does not block), a warning otherwise (also when lockdown is
    /// unknown, which the message says). One finding per entry, listing the clusters that build
    /// it; an entry in a directory no cluster's Flux build reaches is not reported.
    ///
    /// ## Severity
    /// `warning`; `error` in the clusters whose kustomize-controller runs with `--no-remote-bases`,
    /// where the build fails.
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   - https://github.com/kyverno/kyverno/releases/download/v1.13.0/install.yaml
    /// ```
    ///
    /// ## Fix
    /// Add the remote repository as a Flux source (GitRepository or OCIRepository) and reference
    /// it from a Flux Kustomization, or vendor the manifests into the repository.
    pub(crate) struct RemoteKustomizeResource {
        code: "SRC005",
        name: "remote-kustomize-resource",
        category: Category::SourceIntegrity,
        severity: Severity::Warning,
    }
}

impl Rule for RemoteKustomizeResource {
    /// One finding per remote entry, however many clusters build it: the tree's issues already
    /// hold each entry once; the clusters whose Flux builds reach it decide the severity.
    fn check_build(&self, cx: &BuildContext<'_>, out: &mut Vec<Finding>) {
        let reaches = Reaches::new(cx);
        for (i, issue) in cx.issues.iter().enumerate() {
            if issue.kind != BuildIssueKind::RemoteResource {
                continue;
            }
            let building: Vec<&Cluster> = match reaches.of(cx, i) {
                Reach::Flux(names) => cx.fleet.clusters.iter().filter(|c| names.contains(&c.name)).collect(),
                Reach::Alone => Vec::new(),
                // A build Flux never runs (a bootstrap directory applied with kubectl, an
                // archived tree): kustomize-controller never fetches it.
                Reach::Unreached(_) | Reach::BehindFailure(_) | Reach::Ignored => continue,
            };
            let url = remote_url(&issue.message);
            let git_base = is_git_base(url);
            let blocked: Vec<&Cluster> =
                building.iter().copied().filter(|c| git_base && c.controllers.lockdown().no_remote_bases).collect();
            let risk = if git_base {
                "kustomize-controller clones it itself on every build, bypassing source-controller (no verification, no caching, no artifact to pin)"
            } else {
                "kustomize-controller downloads it itself on every build, bypassing source-controller (no verification, no caching)"
            };
            let mut f =
                Self::finding(issue.span, format!("remote {} {url}: {risk}", if git_base { "base" } else { "file" }))
                    .with_field(format!("remote:{}", issue.message));
            f.clusters = building.iter().map(|c| c.name.clone()).collect();
            if blocked.is_empty() {
                // An unknown controller configuration gets the "off" severity, said so
                // (docs/flux-semantics.md, "Unknown controller configuration").
                if git_base && building.iter().any(|c| !c.controllers.stated()) {
                    f.message = format!("{} ({UNKNOWN_NOTE}; with --no-remote-bases the build fails)", f.message);
                }
                f.help = Some(HELP.to_string());
            } else {
                f.severity = Severity::Error;
                let names: Vec<&str> = blocked.iter().map(|c| c.name.as_str()).collect();
                f.message =
                    format!("{}; blocked by --no-remote-bases in {}: the build fails", f.message, names.join(", "));
                f.help = Some(format!("kustomize-controller runs with --no-remote-bases: the build fails; {HELP}"));
                // The flag that blocks it, once per distinct place that set it.
                let mut seen = Vec::new();
                for c in &blocked {
                    let flag =
                        c.controllers.of(Controller::Kustomize).arg(NO_REMOTE_BASES).and_then(|s| s.origin.span());
                    if let Some(span) = flag.filter(|s| !seen.contains(s)) {
                        seen.push(span);
                        f = f.with_related(span, format!("--no-remote-bases is set for cluster {}", c.name));
                    }
                }
            }
            out.push(f);
        }
    }
}

const HELP: &str = "use a Flux source (GitRepository/OCIRepository) and a Flux Kustomization instead of a remote base, or vendor the manifests; fleetlint does not fetch it, so what it renders is not checked";

/// The entry of a resolver's "remote resource URL is not fetched" issue.
pub(crate) fn remote_url(message: &str) -> &str {
    message
        .strip_prefix("remote resource ")
        .and_then(|m| m.split_once(" is not fetched"))
        .map_or(message, |(url, _)| url)
}

/// Whether kustomize reads the entry as a git repository (a remote base) rather than a file
/// downloaded over HTTP. `--no-remote-bases` blocks only the former: kustomize tries an entry
/// as a file first and `FileLoader.Load` downloads an `http(s)://` file without touching the
/// filesystem (kubernetes-sigs/kustomize@kustomize/v5.8.1 `api/internal/loader/fileloader.go`
/// `Load`, `IsRemoteFile`), while a git clone lands outside the secure root that
/// `fluxcd/pkg@e2cfd1a2:kustomize/filesys/fs_secure.go` `MakeFsOnDiskSecure` enforces when
/// remote bases are off (kustomize-controller `SecureBuild(root, dir, !r.NoRemoteBases)`).
/// A `.yaml`/`.yml`/`.json` URL without a `?ref=` or `//` repository separator is a file.
fn is_git_base(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else { return true };
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let file = [".yaml", ".yml", ".json"].iter().any(|e| path.ends_with(e));
    !(file && !rest.contains("?ref=") && !rest.contains("?version=") && !path.contains("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Release manifests downloaded over HTTPS are files; repository URLs are bases.
    #[test]
    fn files_and_bases() {
        assert!(!is_git_base("https://github.com/kyverno/kyverno/releases/download/v1.13.0/install.yaml"));
        assert!(!is_git_base("https://raw.githubusercontent.com/org/repo/v1/crds.yml"));
        assert!(is_git_base("github.com/fluxcd/flux2/manifests/install?ref=v2.5.1"));
        assert!(is_git_base("https://github.com/org/repo//deploy?ref=v1"));
        assert!(is_git_base("https://github.com/org/repo/deploy"));
        assert!(is_git_base("git@github.com:org/repo.git"));
        assert_eq!(
            remote_url("remote resource https://x/a.yaml is not fetched; the build result leaves it out"),
            "https://x/a.yaml"
        );
    }
}
