//! Severities of the lockdown-dependent rules (XNS001-XNS007, ISO006-ISO010) per cluster. The
//! fixtures have three clusters: `prod` runs the reference lockdown patches, `staging` none,
//! and `dev` has no bootstrap files at all (lockdown unknown).

use std::path::{Path, PathBuf};

use fleetlint_fleet::{LoadOptions, load};
use fleetlint_rules::{Finding, Severity, check};

fn fixture(code: &str, kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules").join(code).join(kind)
}

/// `(severity, sorted clusters, message, related messages)` of the findings of `code` at
/// `file:line`.
type Seen = (Severity, Vec<String>, String, Vec<String>);

fn findings_at(dir: &Path, code: &str, file: &str, line: u32) -> Vec<Seen> {
    let s = load(&LoadOptions { root: dir.to_path_buf(), ..LoadOptions::default() }).unwrap();
    let outcome = check(&s);
    let at = |f: &Finding| {
        let src = s.db.get(f.span.file);
        src.path == file && src.line_col(f.span.start).line == line
    };
    let mut out: Vec<Seen> = outcome
        .findings
        .iter()
        .filter(|f| f.code() == code && at(f))
        .map(|f| {
            let mut clusters = f.clusters.clone();
            clusters.sort();
            let related = f.related.iter().map(|r| r.message.clone()).collect();
            (f.severity, clusters, f.message.clone(), related)
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn severities(seen: &[Seen]) -> Vec<(Severity, Vec<&str>)> {
    seen.iter().map(|(s, c, _, _)| (*s, c.iter().map(String::as_str).collect())).collect()
}

#[test]
fn cross_namespace_source_follows_each_clusters_lockdown() {
    let seen = findings_at(&fixture("XNS001", "fail"), "XNS001", "tenants/team-a.yaml", 12);
    assert_eq!(
        severities(&seen),
        [(Severity::Warning, vec!["dev"]), (Severity::Error, vec!["prod"]), (Severity::Warning, vec!["staging"]),]
    );
    let (dev, prod) = (&seen[0], &seen[1]);
    assert!(dev.2.contains("lockdown unknown"), "{}", dev.2);
    assert!(prod.2.contains("cross-namespace references have been blocked"), "{}", prod.2);
    assert_eq!(prod.3, ["kustomize-controller runs with --no-cross-namespace-refs=true"], "the flag is related");
    // Platform scope: info without lockdown, error with it.
    let seen = findings_at(&fixture("XNS001", "fail"), "XNS001", "tenants/platform.yaml", 13);
    assert_eq!(
        severities(&seen),
        [(Severity::Info, vec!["dev"]), (Severity::Error, vec!["prod"]), (Severity::Info, vec!["staging"])]
    );
}

#[test]
fn a_cross_namespace_image_automation_is_an_error_in_tenant_scope_even_without_lockdown() {
    let seen = findings_at(&fixture("XNS006", "fail"), "XNS006", "tenants/team-a.yaml", 11);
    assert!(seen.iter().all(|s| s.0 == Severity::Error), "{seen:#?}");
    assert_eq!(seen.iter().flat_map(|s| s.1.clone()).collect::<Vec<_>>().len(), 3);
}

#[test]
fn dependson_is_never_blocked_by_lockdown() {
    let seen = findings_at(&fixture("XNS007", "fail"), "XNS007", "tenants/team-a.yaml", 11);
    assert_eq!(severities(&seen), [(Severity::Warning, vec!["dev", "prod", "staging"])]);
    assert!(seen[0].2.contains("not blocked by lockdown"), "{}", seen[0].2);
}

#[test]
fn image_repository_acl_denials_are_errors_whatever_the_lockdown() {
    let seen = findings_at(&fixture("XNS005", "fail"), "XNS005", "tenants/team-a.yaml", 22);
    let acl: Vec<&Seen> = seen.iter().filter(|s| s.2.contains("ACL labels mismatch")).collect();
    assert_eq!(acl.len(), 1, "{seen:#?}");
    assert_eq!((acl[0].0, acl[0].1.len()), (Severity::Error, 3));
}

#[test]
fn a_tenant_relabelling_its_own_namespace_is_an_error_a_plain_copy_a_warning() {
    let dir = fixture("ISO010", "fail");
    let relabel = findings_at(&dir, "ISO010", "apps/team-a/namespace.yaml", 8);
    assert_eq!(severities(&relabel), [(Severity::Error, vec!["dev", "prod", "staging"])]);
    assert!(relabel[0].2.contains("pod-security.kubernetes.io/enforce=privileged"), "{}", relabel[0].2);
    let copy = findings_at(&dir, "ISO010", "apps/team-b/namespace.yaml", 4);
    assert_eq!(severities(&copy), [(Severity::Warning, vec!["dev", "prod", "staging"])]);
    let binding = findings_at(&dir, "ISO010", "tenants/team-a.yaml", 9);
    assert_eq!(severities(&binding), [(Severity::Warning, vec!["dev", "prod", "staging"])]);
}

#[test]
fn remote_access_with_the_controllers_identity_is_an_error_a_kubeconfig_secret_a_warning() {
    let dir = fixture("ISO008", "fail");
    let cm = findings_at(&dir, "ISO008", "tenants/team-a.yaml", 20);
    assert!(cm.iter().all(|s| s.0 == Severity::Error), "{cm:#?}");
    assert!(cm.iter().any(|s| s.1 == ["dev"] && s.2.contains("lockdown unknown")), "{cm:#?}");
    let secret = findings_at(&dir, "ISO008", "tenants/team-a.yaml", 36);
    assert_eq!(severities(&secret), [(Severity::Warning, vec!["dev", "prod", "staging"])]);
}

#[test]
fn the_fallback_service_account_matters_only_where_the_flag_is_set() {
    let seen = findings_at(&fixture("ISO007", "fail"), "ISO007", "tenants/team-a.yaml", 13);
    assert_eq!(severities(&seen), [(Severity::Warning, vec!["prod"])]);
    assert_eq!(seen[0].3, ["the controller flag --default-service-account"]);
}

/// A single-team fleet: one cluster, no tenants, a Kustomization in namespace `apps` reading the
/// `flux-system` source (the usual layout); `lockdown` adds the reference lockdown patch.
fn single_team_fleet(name: &str, lockdown: bool) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let fs = dir.join("clusters/home/flux-system");
    std::fs::create_dir_all(&fs).unwrap();
    for f in ["gotk-components.yaml", "gotk-sync.yaml"] {
        std::fs::write(fs.join(f), "# placeholder\n").unwrap();
    }
    let patch = "patches:\n  - patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --no-cross-namespace-refs=true\n    target:\n      kind: Deployment\n      name: kustomize-controller\n";
    let k = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n{}",
        if lockdown { patch } else { "" }
    );
    std::fs::write(fs.join("kustomization.yaml"), k).unwrap();
    let app = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: apps\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  path: ./apps\n  prune: true\n";
    std::fs::write(dir.join("clusters/home/app.yaml"), app).unwrap();
    dir
}

#[test]
fn a_single_team_fleet_gets_no_infos_but_lockdown_still_makes_an_error() {
    let open = findings_at(&single_team_fleet("xns-single-team-open", false), "XNS001", "clusters/home/app.yaml", 11);
    assert!(open.is_empty(), "the usual single-team layout is not reported: {open:#?}");
    let locked =
        findings_at(&single_team_fleet("xns-single-team-locked", true), "XNS001", "clusters/home/app.yaml", 11);
    assert_eq!(severities(&locked), [(Severity::Error, vec!["home"])]);
}

#[test]
fn a_platform_teams_extra_cluster_admin_grant_is_a_warning_a_tenants_only_binding_an_error() {
    // team-a's only reconciler binding is a ClusterRoleBinding (a RoleBinding written wrong):
    // an error. team-c has its tenant RoleBinding and, in a binding of its own, cluster-admin
    // on top (a platform team, heldout10 colincmac): a warning that says so.
    let dir = fixture("ISO006", "fail");
    let wrong = findings_at(&dir, "ISO006", "tenants/rbac.yaml", 12);
    assert!(!wrong.is_empty() && wrong.iter().all(|s| s.0 == Severity::Error), "{wrong:#?}");
    let extra = findings_at(&dir, "ISO006", "tenants/platform-team.yaml", 35);
    assert!(!extra.is_empty() && extra.iter().all(|s| s.0 == Severity::Warning), "{extra:#?}");
    assert!(extra[0].2.contains("deliberate grant"), "{}", extra[0].2);
}
