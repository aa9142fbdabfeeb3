//! Hostile kustomizations: paths out of the root, cycles, remote resources, very deep base
//! chains, and patches that multiply what they patch.

use crate::harness::{Plan, Repo, check_case, check_large_case};
use crate::manifests::{cm, ks};

/// Every kustomization field that names a file or directory, pointed out of the root both as
/// `../` and as an absolute path: nothing outside is read, each entry is a finding at its line.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn paths_leaving_the_root() {
    let repo = Repo::new();
    let abs = repo.outside.display().to_string();
    for (dir, out) in [("rel", "../../outside".to_string()), ("abs", abs)] {
        let text = format!(
            "resources:\n- {out}/secret.yaml\n- {out}\n- {out}/dir\nbases:\n- {out}\ncomponents:\n- {out}\ncrds:\n- {out}/secret.yaml\nconfigurations:\n- {out}/secret.yaml\npatches:\n- path: {out}/patch.yaml\npatchesStrategicMerge:\n- {out}/patch.yaml\npatchesJson6902:\n- target: {{kind: ConfigMap, name: target}}\n  path: {out}/patch.yaml\nconfigMapGenerator:\n- name: cm\n  files:\n  - {out}/secret.txt\n  - key={out}/secret.txt\n  envs:\n  - {out}/secret.env\n  env: {out}/secret.env\nsecretGenerator:\n- name: s\n  files:\n  - {out}/secret.txt\n  envs:\n  - {out}/secret.env\nreplacements:\n- path: {out}/secret.yaml\nopenapi:\n  path: {out}/secret.yaml\nhelmCharts:\n- name: x\n  valuesFile: {out}/secret.yaml\n"
        );
        repo.write(&format!("{dir}/kustomization.yaml"), text);
        repo.write(&format!("{dir}/target.yaml"), cm("target"));
    }
    repo.write("clusters/dev/rel.yaml", ks("rel", "./rel", ""));
    repo.write("clusters/dev/out.yaml", ks("out", "../../outside", ""));
    repo.write(
        "clusters/dev/gen.yaml",
        ks("gen", "./gen", "  components:\n  - ../../outside\n  patches:\n  - path: ../outside/patch.yaml\n"),
    );
    repo.write("gen/cm.yaml", cm("gen"));
    let r = check_case(
        "paths_leaving_the_root",
        &repo,
        &Plan { builds: &["rel", "abs"], flux: &["flux-system/rel", "flux-system/out"] },
    );
    for dir in ["rel", "abs"] {
        let b = r.build(dir, false);
        assert_ne!(b.code, Some(0), "{}: {}", b.describe(), b.stderr);
        // kustomize stops at the first file it cannot load: `openapi.path`, which it reads
        // before any resource (kubernetes-sigs/kustomize@12f9e6391 api/krusty/kustomizer.go,
        // `Run`), so the error points at that entry (line 37) rather than `resources` (line 2).
        assert!(b.stderr.contains(&format!("{dir}/kustomization.yaml:37:")), "{}: {}", b.describe(), b.stderr);
        assert!(b.stderr.contains("leaves the repository root"), "{}: {}", b.describe(), b.stderr);
    }
    r.expect_finding("SRC001", "clusters/dev/out.yaml", None);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn cycles_and_self_inclusion() {
    let repo = Repo::new();
    repo.write("a/kustomization.yaml", "resources:\n- ../b\n");
    repo.write("b/kustomization.yaml", "resources:\n- ../a\n");
    repo.write("self/kustomization.yaml", "resources:\n- .\n");
    repo.write("slash/kustomization.yaml", "resources:\n- ./\n- ../slash\n");
    repo.write("parent/kustomization.yaml", "resources:\n- child\n");
    repo.write("parent/child/kustomization.yaml", "resources:\n- ..\n");
    repo.write("comp/kustomization.yaml", "components:\n- c1\n");
    repo.write(
        "comp/c1/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c2\n",
    );
    repo.write(
        "comp/c2/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c1\n",
    );
    repo.write(
        "selfcomp/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- .\n",
    );
    repo.write("clusters/dev/a.yaml", ks("a", "./a", ""));
    let dirs = ["a", "b", "self", "slash", "parent", "parent/child", "comp", "selfcomp"];
    let r = check_case("cycles_and_self_inclusion", &repo, &Plan { builds: &dirs, ..Plan::default() });
    for dir in dirs {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{}: {}", b.describe(), b.stderr);
        assert!(b.stderr.contains("cycle"), "{}: {}", b.describe(), b.stderr);
    }
    // One SRC003 per failed build, where kustomize detects the cycle: building a, the entry
    // `../a` of b closes it ("accumulating resources from '../a': ... cycle detected").
    r.expect_finding("SRC003", "b/kustomization.yaml", Some(2));
    // No cluster builds `self`: still reported (as a warning saying so).
    r.expect_finding("SRC003", "self/kustomization.yaml", Some(2));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn remote_resources_are_never_fetched() {
    let repo = Repo::new();
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- https://127.0.0.1:1/podinfo.yaml\n- http://127.0.0.1:1/x.yaml\n- git@github.com:stefanprodan/podinfo.git//kustomize?ref=6.5.0\n- ssh://git@127.0.0.1:1/repo.git\n- github.com/stefanprodan/podinfo/kustomize?ref=6.5.0\n- git::https://127.0.0.1:1/repo.git\n- https://github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n- ok.yaml\ncomponents:\n- https://127.0.0.1:1/component\n",
    );
    repo.write("apps/ok.yaml", cm("ok"));
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r = check_case("remote_resources", &repo, &Plan { builds: &["apps"], flux: &["flux-system/apps"] });
    for line in 2..=8 {
        r.expect_finding("SRC005", "apps/kustomization.yaml", Some(line));
    }
    let b = r.build("apps", false);
    assert_eq!(b.code, Some(0), "the build leaves remote resources out and says so: {}", b.stderr);
    assert!(b.stdout.contains("name: ok"));
    assert!(b.stderr.contains("apps/kustomization.yaml:2:"), "{}", b.stderr);
}

/// `base-0` includes `base-1` ... `base-9999`: no stack overflow (issue 13), a finding where
/// fleetlint stops following, every directory of the chain built.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn a_10000_deep_chain_of_bases() {
    const DEPTH: usize = 10_000;
    let repo = Repo::new();
    for i in 0..DEPTH {
        repo.write(&format!("chain/base-{i}/kustomization.yaml"), format!("resources:\n- ../base-{}\n", i + 1));
    }
    repo.write(&format!("chain/base-{DEPTH}/kustomization.yaml"), "resources:\n- cm.yaml\n");
    repo.write(&format!("chain/base-{DEPTH}/cm.yaml"), cm("bottom"));
    repo.write("clusters/dev/chain.yaml", ks("chain", "./chain/base-0", ""));
    let r = check_large_case(
        "a_10000_deep_chain_of_bases",
        &repo,
        &Plan { builds: &["chain/base-0", &format!("chain/base-{}", DEPTH - 10)], flux: &["flux-system/chain"] },
    );
    let f = r.findings();
    assert!(
        f.iter().any(|f| f["message"].as_str().is_some_and(|m| m.contains("nested deeper than"))),
        "a limit finding: {}",
        crate::harness::summary(&f)
    );
    let near_bottom = r.build(&format!("chain/base-{}", DEPTH - 10), false);
    assert_eq!(near_bottom.code, Some(0), "{}", near_bottom.stderr);
    assert!(near_bottom.stdout.contains("name: bottom"));
    let top = r.build("chain/base-0", false);
    assert!(top.stderr.contains("nested deeper than"), "{}", top.stderr);
}

/// Components that include components, 10,000 deep.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn a_10000_deep_chain_of_components() {
    const DEPTH: usize = 10_000;
    let repo = Repo::new();
    repo.write("top/kustomization.yaml", "resources:\n- cm.yaml\ncomponents:\n- ../c/c-0\n");
    repo.write("top/cm.yaml", cm("top"));
    for i in 0..DEPTH {
        repo.write(
            &format!("c/c-{i}/kustomization.yaml"),
            format!("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c-{}\n", i + 1),
        );
    }
    repo.write(
        &format!("c/c-{DEPTH}/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  deep: \"yes\"\n",
    );
    let r = check_large_case("a_10000_deep_chain_of_components", &repo, &Plan { builds: &["top"], ..Plan::default() });
    assert!(r.build("top", false).stderr.contains("nested deeper than"), "{}", r.build("top", false).stderr);
}

/// JSON 6902 `copy` of a field into a new sibling doubles the object each time: 64 operations
/// would be 2^64 nodes (40 exhausted memory before the fix). Replacements copying `data` into a
/// new key of itself do the same. kustomize runs out of memory; fleetlint fails the build at
/// the entry that crosses its node budget.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn patches_that_double_what_they_patch() {
    let repo = Repo::new();
    let ops: String = (0..64).map(|i| format!("    - op: copy\n      from: /data\n      path: /data/x{i}\n")).collect();
    repo.write(
        "apps/kustomization.yaml",
        format!("resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n{ops}"),
    );
    repo.write("apps/cm.yaml", cm("cm"));
    let repl: String = (0..64)
        .map(|i| format!("- source: {{kind: ConfigMap, name: r, fieldPath: data}}\n  targets:\n  - select: {{kind: ConfigMap, name: r}}\n    fieldPaths: [data.x{i}]\n    options: {{create: true}}\n"))
        .collect();
    repo.write("repl/kustomization.yaml", format!("resources:\n- cm.yaml\nreplacements:\n{repl}"));
    repo.write("repl/cm.yaml", cm("r"));
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    repo.write("clusters/dev/repl.yaml", ks("repl", "./repl", ""));
    let r = check_case("patches_that_double", &repo, &Plan { builds: &["apps", "repl"], ..Plan::default() });
    for dir in ["apps", "repl"] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{}: {}", b.describe(), b.stderr);
        assert!(b.stderr.contains("nodes; fleetlint stops here"), "{}", b.stderr);
        assert!(b.stderr.contains(&format!("{dir}/kustomization.yaml:")), "{}", b.stderr);
        r.expect_finding("SRC003", &format!("{dir}/kustomization.yaml"), None);
    }
}

/// Patches 10,000 levels deep (issue 13): an inline strategic-merge patch and a patch file
/// nested past the parser's limit, and a JSON 6902 path of 10,000 segments. No stack overflow,
/// and no patch silently left out: each fails its build at the file:line that holds it.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn patches_10000_deep() {
    const DEPTH: usize = 10_000;
    let repo = Repo::new();
    let nested = format!("{}x{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
    for dir in ["inline", "file", "json"] {
        repo.write(&format!("{dir}/cm.yaml"), cm("cm"));
        repo.write(&format!("clusters/dev/{dir}.yaml"), ks(dir, &format!("./{dir}"), ""));
    }
    repo.write(
        "inline/kustomization.yaml",
        format!(
            "resources:\n- cm.yaml\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cm\n    data:\n      deep: {nested}\n"
        ),
    );
    repo.write("file/kustomization.yaml", "resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n");
    repo.write(
        "file/patch.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  deep: {nested}\n"),
    );
    let path = format!("/data{}", "/a".repeat(DEPTH));
    repo.write(
        "json/kustomization.yaml",
        format!("resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: add\n      path: {path}\n      value: x\n"),
    );
    let r = check_case("patches_10000_deep", &repo, &Plan { builds: &["inline", "file", "json"], ..Plan::default() });
    for dir in ["inline", "file", "json"] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{}: {}", b.describe(), b.stderr);
        assert!(!b.stdout.contains("deep"), "{dir}: nothing of the patch applied: {}", b.stdout);
    }
    assert!(
        r.build("inline", false).stderr.contains("inline/kustomization.yaml:5:"),
        "{}",
        r.build("inline", false).stderr
    );
    assert!(r.build("inline", false).stderr.contains("TooDeep"), "{}", r.build("inline", false).stderr);
    r.expect_finding("SRC003", "inline/kustomization.yaml", Some(5));
    assert!(r.build("file", false).stderr.contains("file/patch.yaml:6:"), "{}", r.build("file", false).stderr);
    r.expect_finding("HYG007", "file/patch.yaml", Some(6));
    assert!(r.build("json", false).stderr.contains("json/kustomization.yaml:4:"), "{}", r.build("json", false).stderr);
    r.expect_finding("SRC003", "json/kustomization.yaml", Some(4));
}

/// Regular expressions in patch targets that the regex engine refuses (too large) or that
/// would backtrack in other engines.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn patch_target_regexes() {
    let repo = Repo::new();
    let huge = "a{1000}{1000}";
    repo.write(
        "apps/kustomization.yaml",
        format!(
            "resources:\n- cm.yaml\npatches:\n- target:\n    name: \"{huge}\"\n  patch: |-\n    - op: add\n      path: /data/x\n      value: y\n- target:\n    name: \"(a+)+$\"\n    labelSelector: \"a in (((\"\n  patch: |-\n    - op: add\n      path: /data/x\n      value: y\n- target:\n    kind: \"[\"\n  patch: |-\n    - op: add\n      path: /data/x\n      value: y\n"
        ),
    );
    repo.write("apps/cm.yaml", cm(&"a".repeat(60)));
    let r = check_case("patch_target_regexes", &repo, &Plan { builds: &["apps"], ..Plan::default() });
    let b = r.build("apps", false);
    assert!(b.stderr.contains("apps/kustomization.yaml:"), "{}", b.stderr);
}
