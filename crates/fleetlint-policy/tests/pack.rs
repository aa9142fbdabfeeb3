//! The built-in pack: every policy loads, has fixtures, and reports exactly what the failing
//! fixture's `# expect: CODE` comments say and nothing on the passing one.
//!
//! A fixture is a file of rendered objects. Its first line may give the context every object of
//! the file is checked in: `# context: scope=tenant tenant=team-a cluster=production
//! owner=Kustomization/team-a/apps` (default: platform scope, cluster `default`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fleetlint_policy::{BUILTIN_FILES, Context, Policy, Scope, builtin_pack};
use fleetlint_yaml::{FileId, Limits, parse_yaml};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

struct FixtureContext {
    cluster: String,
    scope: Scope,
    tenant: Option<String>,
    owner: Option<String>,
}

fn context_of(text: &str) -> FixtureContext {
    let mut c = FixtureContext { cluster: "default".into(), scope: Scope::Platform, tenant: None, owner: None };
    let Some(rest) = text.lines().next().and_then(|l| l.strip_prefix("# context:")) else { return c };
    for pair in rest.split_whitespace() {
        match pair.split_once('=') {
            Some(("scope", "tenant")) => c.scope = Scope::Tenant,
            Some(("scope", "platform")) => c.scope = Scope::Platform,
            Some(("tenant", t)) => c.tenant = Some(t.into()),
            Some(("cluster", v)) => c.cluster = v.into(),
            Some(("owner", v)) => c.owner = Some(v.into()),
            _ => panic!("bad context entry `{pair}`"),
        }
    }
    c
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

/// `(file, line)` of every violation of `policy` in the fixture directory.
fn reported(policy: &Policy, dir: &Path) -> BTreeSet<(String, usize)> {
    let mut out = BTreeSet::new();
    for path in files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let c = context_of(&text);
        let ctx =
            Context { cluster: &c.cluster, scope: c.scope, tenant: c.tenant.as_deref(), owner: c.owner.as_deref() };
        let parsed = parse_yaml(FileId(0), &text, &Limits::default());
        assert!(!parsed.is_broken(), "{}: {:?}", path.display(), parsed.issues);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for doc in &parsed.documents {
            for v in policy.check(&doc.root, &ctx) {
                out.insert((name.clone(), text[..v.span.start as usize].matches('\n').count() + 1));
            }
        }
    }
    out
}

fn expected(code: &str, dir: &Path) -> BTreeSet<(String, usize)> {
    let mut out = BTreeSet::new();
    for path in files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (i, line) in text.lines().enumerate() {
            if line.split_once("# expect:").is_some_and(|(_, codes)| codes.split(',').any(|c| c.trim() == code)) {
                out.insert((name.clone(), i + 1));
            }
        }
    }
    out
}

#[test]
fn the_pack_is_every_file_of_policies_and_loads() {
    let dir = repo_root().join("policies");
    let on_disk: BTreeSet<String> = files(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| format!("policies/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    let embedded: BTreeSet<String> = BUILTIN_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
    assert_eq!(embedded, on_disk, "crates/fleetlint-policy/src/pack.rs must list exactly policies/*.yaml");
    for (path, text) in BUILTIN_FILES {
        assert_eq!(std::fs::read_to_string(repo_root().join(path)).unwrap(), *text);
    }
    let pack = builtin_pack(0).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(pack.len(), BUILTIN_FILES.len());
    for (p, (path, _)) in pack.iter().zip(BUILTIN_FILES) {
        assert!(
            path.starts_with(&format!("policies/{}-{}", p.code, p.name)),
            "{path} should be named {}-{}.yaml",
            p.code,
            p.name
        );
        assert!(p.description.contains("### Why is this bad?"), "{}: the description says why", p.code);
        assert!(p.help.is_some(), "{}: the policy says how to fix", p.code);
    }
}

#[test]
fn every_policy_has_fixtures_that_match_its_violations() {
    let root = repo_root().join("testdata/policies");
    let pack = builtin_pack(0).unwrap();
    for p in &pack {
        let (fail, pass) = (root.join(&p.code).join("fail"), root.join(&p.code).join("pass"));
        assert!(fail.is_dir() && pass.is_dir(), "{}: testdata/policies/{}/fail and /pass must exist", p.code, p.code);
        let want = expected(&p.code, &fail);
        assert!(!want.is_empty(), "{}: the failing fixture expects nothing", p.code);
        assert_eq!(reported(p, &fail), want, "{}: violations differ from the fixture's expectations", p.code);
        assert_eq!(reported(p, &pass), BTreeSet::new(), "{}: the passing fixture must not violate", p.code);
    }
    let codes: BTreeSet<String> = pack.iter().map(|p| p.code.clone()).collect();
    for dir in files(&root) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(codes.contains(&name), "testdata/policies/{name} names no built-in policy");
    }
}

#[test]
fn messages_name_the_object_and_the_value() {
    let pack = builtin_pack(0).unwrap();
    let pol101 = pack.iter().find(|p| p.code == "POL101").unwrap();
    let text = std::fs::read_to_string(repo_root().join("testdata/policies/POL101/fail/helmreleases.yaml")).unwrap();
    let parsed = parse_yaml(FileId(0), &text, &Limits::default());
    let ctx = Context { cluster: "c", scope: Scope::Tenant, tenant: Some("team-a"), owner: None };
    let v = pol101.check(&parsed.documents[1].root, &ctx);
    assert_eq!(
        v[0].message,
        "HelmRelease team-a/podinfo does not pin its chart to one version (`spec.chart.spec.version`)"
    );
}
