//! Hostile Flux graphs: Kustomizations that render themselves or each other, very long
//! dependsOn chains and cycles, deep nesting, post-build substitution loops.

use crate::harness::{Plan, Repo, check_case, check_large_case};
use crate::manifests::ks;

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn kustomizations_rendering_themselves_or_each_other() {
    let repo = Repo::new();
    // a renders b, b renders a: a path cycle.
    repo.write("clusters/dev/a.yaml", ks("a", "./loop/a", ""));
    repo.write("loop/a/b.yaml", ks("b", "./loop/b", ""));
    repo.write("loop/b/a.yaml", ks("a2", "./loop/a", ""));
    // A Kustomization whose path is its own directory, below the cluster.
    repo.write("selfish/self.yaml", ks("selfish", "./selfish", ""));
    repo.write("clusters/dev/selfish.yaml", ks("enter-selfish", "./selfish", ""));
    // The same object (same name) rendered by its own path: it replaces itself.
    repo.write("same/same.yaml", ks("same", "./same", ""));
    repo.write("clusters/dev/same.yaml", ks("same", "./same", ""));
    let r = check_case(
        "rendering_themselves",
        &repo,
        &Plan {
            builds: &["loop/a"],
            flux: &["flux-system/a", "flux-system/b", "flux-system/selfish", "flux-system/same"],
        },
    );
    r.expect_finding("SRC011", "loop/b/a.yaml", None);
    r.expect_finding("SRC011", "selfish/self.yaml", None);
}

/// The 5,000-deep chain of the fleet model's tests, grown to 10,000 (issue 13): the walk
/// terminates, the path cycle is reported once with its ends, and memory stays linear.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn ten_thousand_nested_flux_kustomizations() {
    const DEPTH: usize = 10_000;
    let repo = Repo::new();
    repo.write("clusters/dev/k0.yaml", ks("k1", "./chain/1", ""));
    for i in 1..DEPTH {
        repo.write(&format!("chain/{i}/k.yaml"), ks(&format!("k{}", i + 1), &format!("./chain/{}", i + 1), ""));
    }
    repo.write(&format!("chain/{DEPTH}/k.yaml"), ks("loop", "./chain/1", ""));
    let r = check_large_case(
        "ten_thousand_nested_flux_kustomizations",
        &repo,
        &Plan { builds: &["chain/1"], flux: &["flux-system/loop"] },
    );
    let cycles: Vec<_> = r.findings().into_iter().filter(|f| f["rule"] == "SRC011").collect();
    assert_eq!(cycles.len(), 1, "{}", crate::harness::summary(&cycles));
    let m = cycles[0]["message"].as_str().unwrap();
    assert!(m.contains("./chain/1 -> ./chain/2 -> ./chain/3 -> ..."), "{m}");
    assert!(m.contains(&format!("./chain/{DEPTH} -> ./chain/1 renders itself again")), "{m}");
    assert_eq!(cycles[0]["file"], format!("chain/{DEPTH}/k.yaml"));
    assert_eq!(cycles[0]["owners"].as_array().unwrap().len(), DEPTH + 1);
    let cluster = &r.report()["clusters"][0];
    assert_eq!(cluster["kustomizations"], DEPTH + 2, "root, {DEPTH} links and the looping one");
}

/// `n` Kustomizations in files of 500, each depending on `dep(i)`; every one builds `./app`, an
/// empty kustomization (so nothing but the dependsOn graph grows).
fn depends_on_fleet(repo: &Repo, n: usize, dep: impl Fn(usize) -> Option<usize>) {
    repo.write(
        "app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
    let mut text = String::new();
    for i in 0..n {
        let extra = dep(i).map_or(String::new(), |d| format!("  dependsOn:\n  - name: k{d:05}\n"));
        text.push_str(&ks(&format!("k{i:05}"), "./app", &extra));
        text.push_str("---\n");
        if (i + 1) % 500 == 0 || i + 1 == n {
            repo.write(&format!("clusters/dev/ks-{:03}.yaml", i / 500), &text);
            text.clear();
        }
    }
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn a_30000_long_depends_on_chain() {
    let repo = Repo::new();
    depends_on_fleet(&repo, 30_000, |i| i.checked_sub(1));
    let r = check_large_case("a_30000_long_depends_on_chain", &repo, &Plan::default());
    let f = r.findings();
    assert!(f.iter().all(|f| f["rule"] != "ORD002" && f["rule"] != "ORD001"), "{}", crate::harness::summary(&f));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn a_20000_node_depends_on_cycle() {
    const N: usize = 20_000;
    let repo = Repo::new();
    depends_on_fleet(&repo, N, |i| Some((i + 1) % N));
    let r = check_large_case("a_20000_node_depends_on_cycle", &repo, &Plan::default());
    let cycles: Vec<_> = r.findings().into_iter().filter(|f| f["rule"] == "ORD002").collect();
    assert_eq!(cycles.len(), 1, "one finding per cycle: {}", crate::harness::summary(&cycles));
    assert_eq!(cycles[0]["related"].as_array().unwrap().len(), N, "every member's dependsOn entry");
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn post_build_substitution_loops() {
    let repo = Repo::new();
    // Variables whose values reference each other and themselves: Flux substitutes once.
    let subst = "  postBuild:\n    substitute:\n      a: \"${b}\"\n      b: \"${a}\"\n      self: \"${self}${self}\"\n    substituteFrom:\n    - kind: ConfigMap\n      name: vars\n";
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", subst));
    // The ConfigMap it substitutes from is rendered by the Kustomization itself, and holds
    // references too.
    repo.write(
        "apps/vars.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: flux-system\ndata:\n  c: \"${c}\"\n  d: \"${a:=${b:=${c}}}\"\n",
    );
    // 100,000 nested defaults and 100,000 unclosed openers in one value.
    let nested = format!("{}x{}", "${v:=".repeat(100_000), "}".repeat(100_000));
    let unclosed = "${".repeat(100_000);
    repo.write(
        "apps/cm.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\ndata:\n  loop: \"${{a}} ${{b}} ${{self}}\"\n  nested: \"{nested}\"\n  unclosed: \"{unclosed}\"\n  many: \"{}\"\n",
            "${a}".repeat(200_000)
        ),
    );
    // Two Kustomizations each substituting from a ConfigMap the other renders.
    repo.write(
        "clusters/dev/ping.yaml",
        ks("ping", "./ping", "  postBuild:\n    substituteFrom:\n    - kind: ConfigMap\n      name: pong-vars\n"),
    );
    repo.write(
        "clusters/dev/pong.yaml",
        ks("pong", "./pong", "  postBuild:\n    substituteFrom:\n    - kind: ConfigMap\n      name: ping-vars\n"),
    );
    repo.write("ping/vars.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ping-vars\n  namespace: flux-system\ndata:\n  x: \"${y}\"\n");
    repo.write("pong/vars.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pong-vars\n  namespace: flux-system\ndata:\n  y: \"${x}\"\n");
    let r = check_case(
        "post_build_substitution_loops",
        &repo,
        &Plan { builds: &[], flux: &["flux-system/apps", "flux-system/ping", "flux-system/pong"] },
    );
    // The nested defaults stop at the nesting limit (a warning: Flux may evaluate them), the
    // unclosed openers are the error Flux reports.
    let limit = r.expect_finding("SRC007", "apps/cm.yaml", Some(8));
    assert_eq!(limit["severity"], "warning", "{limit}");
    r.expect_finding("SRC007", "apps/cm.yaml", Some(9));
    let b = r.runs.iter().find(|x| x.args.contains(&"flux-system/apps".to_string())).unwrap();
    // Flux substitutes once: values that hold references are not substituted again.
    assert!(
        b.stdout.contains("  loop: ${b} ${a} ${self}${self} #"),
        "{}",
        b.stdout.chars().take(500).collect::<String>()
    );
}
