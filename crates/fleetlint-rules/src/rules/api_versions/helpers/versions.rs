//! Which API versions of each Flux kind every Flux 2 minor release serves (docs/flux-semantics.md,
//! "API versions and removed fields").
//!
//! The table is written out rather than generated: the CRDs in `../shared/flux-crds` are two
//! snapshots (Flux 2.6 and the current 2.9 line), while the messages must name the release that
//! deprecated or removed a version (2.2, 2.3, 2.7, 2.8 …), which only the CRDs at each `fluxcd/flux2@v2.X.0` tag
//! give (docs/flux-semantics.md, "API versions and removed fields").
//! The tests below derive the served and deprecated versions of both snapshots from this table
//! and fail when either disagrees with the CRDs' `spec.versions[].served/deprecated`, or when a
//! CRD has a kind or version the table lacks.

/// Newest Flux 2 minor the table knows (`fleetlint_fleet::NEWEST_FLUX`).
pub(crate) const NEWEST_MINOR: u32 = 9;

/// One API version of one Flux kind across the Flux 2 minors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApiVersion {
    /// API group, e.g. `kustomize.toolkit.fluxcd.io`.
    pub(crate) group: &'static str,
    /// Kind.
    pub(crate) kind: &'static str,
    /// Version, e.g. `v1beta2`.
    pub(crate) version: &'static str,
    /// First Flux 2 minor serving it (0 = already served by 2.0).
    pub(crate) since: u32,
    /// First minor whose CRD marks it `deprecated: true`.
    pub(crate) deprecated: Option<u32>,
    /// First minor that no longer serves it.
    pub(crate) removed: Option<u32>,
}

const fn v(
    group: &'static str,
    kind: &'static str,
    version: &'static str,
    since: u32,
    deprecated: Option<u32>,
    removed: Option<u32>,
) -> ApiVersion {
    ApiVersion { group, kind, version, since, deprecated, removed }
}

const KS: &str = "kustomize.toolkit.fluxcd.io";
const HELM: &str = "helm.toolkit.fluxcd.io";
const SRC: &str = "source.toolkit.fluxcd.io";
const NOTIF: &str = "notification.toolkit.fluxcd.io";
const IMG: &str = "image.toolkit.fluxcd.io";

/// The timeline, from each controller's CRDs at the tags `fluxcd/flux2@v2.X.0` installs.
pub(crate) static API_VERSIONS: &[ApiVersion] = &[
    v(KS, "Kustomization", "v1", 0, None, None),
    v(KS, "Kustomization", "v1beta1", 0, Some(0), Some(7)),
    v(KS, "Kustomization", "v1beta2", 0, Some(0), Some(8)),
    v(HELM, "HelmRelease", "v2", 3, None, None),
    v(HELM, "HelmRelease", "v2beta1", 0, Some(2), Some(7)),
    v(HELM, "HelmRelease", "v2beta2", 2, Some(3), Some(8)),
    v(SRC, "GitRepository", "v1", 0, None, None),
    v(SRC, "GitRepository", "v1beta1", 0, Some(0), Some(7)),
    v(SRC, "GitRepository", "v1beta2", 0, Some(0), Some(8)),
    v(SRC, "HelmRepository", "v1", 3, None, None),
    v(SRC, "HelmRepository", "v1beta1", 0, Some(3), Some(7)),
    v(SRC, "HelmRepository", "v1beta2", 0, Some(3), Some(8)),
    v(SRC, "HelmChart", "v1", 3, None, None),
    v(SRC, "HelmChart", "v1beta1", 0, Some(3), Some(7)),
    v(SRC, "HelmChart", "v1beta2", 0, Some(3), Some(8)),
    v(SRC, "Bucket", "v1", 4, None, None),
    v(SRC, "Bucket", "v1beta1", 0, Some(3), Some(7)),
    v(SRC, "Bucket", "v1beta2", 0, Some(4), Some(8)),
    v(SRC, "OCIRepository", "v1", 6, None, None),
    v(SRC, "OCIRepository", "v1beta2", 0, Some(6), Some(8)),
    v(SRC, "ExternalArtifact", "v1", 7, None, None),
    v(NOTIF, "Alert", "v1beta3", 2, None, None),
    v(NOTIF, "Alert", "v1beta1", 0, Some(2), Some(7)),
    v(NOTIF, "Alert", "v1beta2", 0, Some(2), Some(9)),
    v(NOTIF, "Provider", "v1beta3", 2, None, None),
    v(NOTIF, "Provider", "v1beta1", 0, Some(2), Some(7)),
    v(NOTIF, "Provider", "v1beta2", 0, Some(2), Some(9)),
    v(NOTIF, "Receiver", "v1", 0, None, None),
    v(NOTIF, "Receiver", "v1beta1", 0, Some(0), Some(7)),
    v(NOTIF, "Receiver", "v1beta2", 0, Some(0), Some(9)),
    v(IMG, "ImageRepository", "v1", 7, None, None),
    v(IMG, "ImageRepository", "v1beta1", 0, None, Some(7)),
    v(IMG, "ImageRepository", "v1beta2", 0, Some(7), Some(9)),
    v(IMG, "ImagePolicy", "v1", 7, None, None),
    v(IMG, "ImagePolicy", "v1beta1", 0, None, Some(7)),
    v(IMG, "ImagePolicy", "v1beta2", 0, Some(7), Some(9)),
    v(IMG, "ImageUpdateAutomation", "v1", 7, None, None),
    v(IMG, "ImageUpdateAutomation", "v1beta1", 0, Some(3), Some(7)),
    v(IMG, "ImageUpdateAutomation", "v1beta2", 3, Some(7), Some(9)),
];

/// What a Flux minor does with one API version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Served and not deprecated.
    Served,
    /// Served, deprecated since the given minor.
    Deprecated(u32),
    /// Not served yet; first served by the given minor.
    NotYet(u32),
    /// No longer served; removed by the given minor.
    Removed(u32),
}

impl ApiVersion {
    /// The status of this version in Flux `2.minor`.
    pub(crate) fn status(&self, minor: u32) -> Status {
        match (self.removed, self.deprecated) {
            _ if minor < self.since => Status::NotYet(self.since),
            (Some(r), _) if minor >= r => Status::Removed(r),
            (_, Some(d)) if minor >= d => Status::Deprecated(d),
            _ => Status::Served,
        }
    }
}

/// Whether the table knows the kind at all (whatever the version).
pub(crate) fn knows_kind(group: &str, kind: &str) -> bool {
    API_VERSIONS.iter().any(|a| a.group == group && a.kind == kind)
}

/// The entry for `group/version` `kind`.
pub(crate) fn lookup(group: &str, version: &str, kind: &str) -> Option<&'static ApiVersion> {
    API_VERSIONS.iter().find(|a| a.group == group && a.kind == kind && a.version == version)
}

/// The version to move `kind` to on Flux `2.minor`: the newest served, non-deprecated one (the
/// storage version of that release).
pub(crate) fn replacement(group: &str, kind: &str, minor: u32) -> Option<&'static str> {
    API_VERSIONS
        .iter()
        .filter(|a| a.group == group && a.kind == kind && a.status(minor) == Status::Served)
        .max_by_key(|a| version_rank(a.version))
        .map(|a| a.version)
}

/// Kubernetes version priority: `v2` > `v2beta2` > `v2beta1` > `v1` > `v1beta3` > `v1alpha1`.
fn version_rank(version: &str) -> (u32, u32, u32) {
    let rest = version.trim_start_matches('v');
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let major = rest[..digits].parse().unwrap_or(0);
    let tail = &rest[digits..];
    let (stage, n) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        (2, "0")
    };
    (major, stage, n.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};

    use super::*;

    /// `(group, kind, version, deprecated)` for every served version of every CRD in `dir`.
    fn served(dir: &Path) -> BTreeSet<(String, String, String, bool)> {
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for doc in parse_yaml(FileId(0), &text, &Limits::default()).documents {
                let s = |n: &Node, p: &[&str]| n.get_path(p).and_then(Node::as_str).unwrap_or("").to_string();
                let (group, kind) = (s(&doc.root, &["spec", "group"]), s(&doc.root, &["spec", "names", "kind"]));
                for ver in doc.root.get_path(&["spec", "versions"]).and_then(Node::as_seq).unwrap_or(&[]) {
                    if ver.get("served").and_then(Node::as_bool) == Some(true) {
                        let dep = ver.get("deprecated").and_then(Node::as_bool) == Some(true);
                        out.insert((group.clone(), kind.clone(), s(ver, &["name"]), dep));
                    }
                }
            }
        }
        out
    }

    fn from_table(minor: u32) -> BTreeSet<(String, String, String, bool)> {
        API_VERSIONS
            .iter()
            .filter_map(|a| {
                match a.status(minor) {
                    Status::Served => Some(false),
                    Status::Deprecated(_) => Some(true),
                    Status::NotYet(_) | Status::Removed(_) => None,
                }
                .map(|dep| (a.group.to_string(), a.kind.to_string(), a.version.to_string(), dep))
            })
            .collect()
    }

    #[test]
    #[ignore = "needs ../shared/flux-crds"]
    fn table_matches_the_flux_2_6_and_current_crds() {
        let dir = fleetlint_testkit::shared("flux-crds");
        assert_eq!(from_table(6), served(&dir.join("v2.6")), "Flux 2.6: table vs flux-crds/v2.6");
        assert_eq!(from_table(NEWEST_MINOR), served(&dir.join("current")), "Flux 2.9: table vs flux-crds/current");
    }

    #[test]
    fn every_kind_has_a_replacement_in_every_minor_it_exists() {
        let kinds: BTreeSet<_> = API_VERSIONS.iter().map(|a| (a.group, a.kind)).collect();
        for (group, kind) in kinds {
            let since = API_VERSIONS.iter().filter(|a| a.kind == kind).map(|a| a.since).min().unwrap();
            for minor in since..=NEWEST_MINOR + 1 {
                assert!(replacement(group, kind, minor).is_some(), "{kind} in Flux 2.{minor}");
            }
        }
    }

    #[test]
    fn statuses_name_the_release() {
        let ks = lookup(KS, "v1beta2", "Kustomization").unwrap();
        assert_eq!(ks.status(7), Status::Deprecated(0));
        assert_eq!(ks.status(8), Status::Removed(8));
        let img = lookup(IMG, "v1", "ImagePolicy").unwrap();
        assert_eq!(img.status(6), Status::NotYet(7));
        assert_eq!(replacement(HELM, "HelmRelease", 2), Some("v2beta2"));
        assert_eq!(replacement(NOTIF, "Alert", 9), Some("v1beta3"));
        assert_eq!(replacement(IMG, "ImagePolicy", 6), Some("v1beta2"));
        // Two undeprecated versions served side by side: the newer one (the storage version).
        assert_eq!(replacement(SRC, "HelmRepository", 2), Some("v1beta2"));
        assert_eq!(replacement(HELM, "HelmRelease", 9), Some("v2"));
    }
}
