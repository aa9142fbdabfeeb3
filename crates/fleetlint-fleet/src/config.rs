//! `.fleetlint.yaml`: found upward from the checked root or given with `--config`, loaded into
//! typed structs; an unknown key is an error at its line (docs/flux-semantics.md#configuration).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::ConfigError;

/// The configuration file name searched upward from the checked root.
pub const CONFIG_FILE: &str = ".fleetlint.yaml";

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Globs of cluster entry directories, relative to the root; overrides discovery.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Namespaces managed by the platform team (default `flux-system`).
    #[serde(default)]
    pub platform_namespaces: Option<Vec<String>>,
    /// Tenant name -> the namespaces it owns, added to those derived from tenant labels.
    #[serde(default)]
    pub tenants: BTreeMap<String, Vec<String>>,
    /// Source mapping key (`Kind/namespace/name` or `URL[@REF]`) -> local path, relative to
    /// the configuration file.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Namespaces and objects that exist before Git applies anything.
    #[serde(default)]
    pub preexisting: Preexisting,
    /// API group -> the Flux object (`HelmRelease/namespace/name`) that installs its CRDs.
    #[serde(default)]
    pub crd_providers: BTreeMap<String, String>,
    /// Per-cluster overrides, by cluster name.
    #[serde(default)]
    pub cluster_overrides: BTreeMap<String, ClusterOverride>,
    /// Rules to run, by code (`ISO001`), code prefix (`ISO`), name, group (`tenant-isolation`)
    /// or `ALL`; default every rule. `--select` replaces it.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Rules added to `select`.
    #[serde(default)]
    pub extend_select: Vec<String>,
    /// Rules not to run (wins over `select`); `--ignore` adds to it.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule selector; the most specific selector wins.
    #[serde(default)]
    pub severity: BTreeMap<String, SeverityName>,
    /// Glob of paths relative to the checked root (`*` within a directory, `**` across) -> rule
    /// selectors whose findings are left out in those files (counted as suppressed).
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// Exit 1 when a finding at or above this severity remains (default `error`); `--fail-on`
    /// replaces it.
    #[serde(default)]
    pub fail_on: Option<FailOnName>,
    /// Directories of fleetlint policies (`policies/README.md`), relative to the configuration
    /// file: each policy becomes a rule with its own code, run with the built-in pack.
    #[serde(default)]
    pub policies: Vec<String>,
}

/// A severity, as the configuration names it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    /// Breaks reconciliation or isolation.
    Error,
    /// Likely a problem.
    Warning,
    /// Worth knowing.
    Info,
}

/// The lowest severity that fails a run, or `none`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailOnName {
    /// Errors fail the run.
    Error,
    /// Warnings and errors.
    Warning,
    /// Every finding.
    Info,
    /// Nothing fails the run.
    None,
}

/// Objects created outside Git.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Preexisting {
    /// Namespaces.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Objects as `Kind/namespace/name` (empty namespace for cluster-scoped ones).
    #[serde(default)]
    pub objects: Vec<String>,
}

/// What the repository does not say about one cluster.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterOverride {
    /// The Flux version, e.g. `v2.9.0`.
    pub flux_version: Option<String>,
    /// The Kubernetes version the cluster runs, `MAJOR.MINOR` (e.g. `1.32`): built-in kinds are
    /// validated against the newest bundled schemas not newer than it (default the newest).
    pub kubernetes_version: Option<String>,
    /// Lockdown flags.
    pub lockdown: Option<LockdownOverride>,
    /// Feature gates, e.g. `StrictPostBuildSubstitutions: false`.
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
}

/// Lockdown flags stated in the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LockdownOverride {
    /// `--no-cross-namespace-refs`.
    pub no_cross_namespace_refs: Option<bool>,
    /// `--default-service-account`.
    pub default_service_account: Option<String>,
    /// `--no-remote-bases`.
    pub no_remote_bases: Option<bool>,
}

/// A loaded configuration and where it came from.
#[derive(Clone, Debug, Default)]
pub struct LoadedConfig {
    /// The file, when there is one.
    pub path: Option<PathBuf>,
    /// The settings (defaults when there is no file).
    pub config: Config,
}

impl LoadedConfig {
    /// The directory relative paths in the file are resolved against.
    #[must_use]
    pub fn base_dir(&self) -> PathBuf {
        self.path.as_deref().and_then(Path::parent).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// The platform namespaces in force.
    #[must_use]
    pub fn platform_namespaces(&self) -> Vec<String> {
        self.config.platform_namespaces.clone().unwrap_or_else(|| vec!["flux-system".to_string()])
    }
}

/// The JSON Schema of `.fleetlint.yaml`, generated from these types (`schemas/config.schema.json`
/// holds it; `cargo run -p fleetlint-dev -- gen-config-schema` writes it, and a test fails when
/// it is stale). Editors with the YAML language server complete and check the file with it.
#[must_use]
pub fn config_schema() -> String {
    let mut schema = schemars::schema_for!(Config);
    schema.insert(
        "$id".into(),
        serde_json::json!("https://github.com/fleetlint/fleetlint/raw/main/schemas/config.schema.json"),
    );
    schema.insert("title".into(), serde_json::json!("fleetlint configuration (.fleetlint.yaml)"));
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}

/// Parse configuration text. Errors name the file, line and column.
///
/// # Errors
/// [`ConfigError::Invalid`] for invalid YAML, an unknown key or a wrongly typed value.
pub(crate) fn parse_config(text: &str, path: &Path) -> Result<Config, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_saphyr::from_str::<Config>(text).map_err(|e| {
        let location = e.location().map(|l| (l.line() as usize, l.column() as usize));
        let msg = e.to_string();
        let message = msg.lines().next().unwrap_or("invalid configuration").to_string();
        ConfigError::Invalid { path: path.to_path_buf(), location, message }
    })
}

/// Load the configuration: `explicit` when given, else the first `.fleetlint.yaml` found in
/// `root` or one of its parents.
///
/// # Errors
/// When the file cannot be read or is invalid.
pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => {
            // Found, not chosen: like every file of the tree it must be a regular file. A symlink
            // could point out of the root (and its keys would be echoed in errors), a FIFO would
            // block the run.
            let start = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            let found = start.ancestors().map(|d| d.join(CONFIG_FILE)).find_map(|p| {
                let meta = std::fs::symlink_metadata(&p).ok()?;
                Some((p, meta))
            });
            match found {
                Some((p, meta)) if !meta.is_file() => {
                    return Err(ConfigError::NotRegularFile { path: p });
                }
                found => found.map(|(p, _)| p),
            }
        }
    };
    let Some(path) = path else { return Ok(LoadedConfig::default()) };
    let text = match read_capped(&path) {
        Ok(text) => text,
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let config = parse_config(&text, &path)?;
    Ok(LoadedConfig { path: Some(path), config })
}

/// Read a configuration file of at most 1 MiB.
fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const MAX: u64 = 1 << 20;
    let mut text = String::new();
    std::fs::File::open(path)?.take(MAX + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX {
        return Err(std::io::Error::other(format!("larger than {MAX} bytes")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let text = "clusters: [clusters/*]\nplatformNamespaces: [flux-system, infra]\ntenants:\n  team-a: [team-a, team-a-dev]\nsources:\n  GitRepository/apps/dev-team: ../dev-team\npreexisting:\n  namespaces: [cert-manager]\n  objects: [ClusterRole//view]\ncrdProviders:\n  cert-manager.io: HelmRelease/cert-manager/cert-manager\nclusterOverrides:\n  production:\n    fluxVersion: v2.8.0\n    lockdown:\n      noCrossNamespaceRefs: true\n      defaultServiceAccount: default\n    featureGates:\n      StrictPostBuildSubstitutions: false\n";
        let c = parse_config(text, Path::new(".fleetlint.yaml")).unwrap();
        assert_eq!(c.tenants["team-a"], ["team-a", "team-a-dev"]);
        assert_eq!(
            c.cluster_overrides["production"].lockdown.as_ref().unwrap().default_service_account.as_deref(),
            Some("default")
        );
        assert!(!c.cluster_overrides["production"].feature_gates["StrictPostBuildSubstitutions"]);
    }

    /// A symlinked `.fleetlint.yaml` pointing out of the root had its keys echoed in the error
    /// (hostile-input suite); found files must be regular files.
    #[test]
    fn a_discovered_configuration_must_be_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("repo"), dir.path().join("outside.yaml"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(&outside, "secretKey: 1\n").unwrap();
        std::os::unix::fs::symlink(&outside, root.join(CONFIG_FILE)).unwrap();
        let err = load_config(&root, None).unwrap_err().to_string();
        assert!(
            err.ends_with("not a regular file (fleetlint does not follow symbolic links or read special files)"),
            "{err}"
        );
        assert!(!err.contains("secretKey"), "{err}");
        // Named explicitly, it is read.
        assert!(load_config(&root, Some(&root.join(CONFIG_FILE))).unwrap_err().to_string().contains("secretKey"));
    }

    #[test]
    fn parses_rule_controls() {
        let text = "select: [ISO, XNS001]\nextendSelect: [ORD]\nignore: [ISO007]\nseverity:\n  HYG: error\nperFileIgnores:\n  \"legacy/**\": [ISO001]\nfailOn: warning\n";
        let c = parse_config(text, Path::new(".fleetlint.yaml")).unwrap();
        assert_eq!(c.select.as_deref(), Some(&["ISO".to_string(), "XNS001".to_string()][..]));
        assert_eq!(c.severity["HYG"], SeverityName::Error);
        assert_eq!(c.per_file_ignores["legacy/**"], ["ISO001"]);
        assert_eq!(c.fail_on, Some(FailOnName::Warning));
        let err = parse_config("failOn: sometimes\n", Path::new("c.yaml")).unwrap_err().to_string();
        assert!(err.starts_with("c.yaml:1:"), "{err}");
    }

    /// `schemas/config.schema.json` is what the types generate: regenerate it with
    /// `cargo run -p fleetlint-dev -- gen-config-schema` after changing them.
    #[test]
    fn the_committed_schema_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/config.schema.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == config_schema(),
            "{} is stale: run `cargo run -p fleetlint-dev -- gen-config-schema`",
            path.display()
        );
    }

    #[test]
    fn unknown_keys_are_errors_at_their_line() {
        let err =
            parse_config("clusters: []\nplatformNamespace: [x]\n", Path::new("cfg.yaml")).unwrap_err().to_string();
        assert!(err.starts_with("cfg.yaml:2:"), "{err}");
        assert!(err.contains("platformNamespace"), "{err}");
    }
}
