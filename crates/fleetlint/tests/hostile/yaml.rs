//! Hostile YAML: expansion bombs, nesting, huge lines, bad encodings, odd line endings, empty
//! and non-mapping documents.

use crate::harness::{Plan, Repo, check_case};
use crate::manifests::cm;

/// 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).map(|i| i as u64 + 1).expect("needle in text")
}

/// Ten-fold aliases, twelve levels: 10^12 nodes once expanded.
fn billion_laughs(indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        let items = vec![format!("*a{p}"); 10].join(", ");
        text.push_str(&format!("{indent}a{i}: &a{i} [{items}]\n"));
    }
    text
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn alias_bomb() {
    let repo = Repo::new();
    let resource = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  namespace: default\ndata:\n{}",
        billion_laughs("  ")
    );
    repo.write("apps/bomb.yaml", &resource);
    repo.write("apps/kustomization.yaml", "resources:\n- bomb.yaml\n");
    // The kustomization itself, and merge keys (`<<`) that expand the same way.
    let kust = format!("{}resources: *a11\n", billion_laughs(""));
    repo.write("kbomb/kustomization.yaml", &kust);
    let mut merge =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merge\ndata:\n  m0: &m0 {a: 1, b: 2, c: 3, d: 4}\n"
            .to_string();
    for i in 1..12 {
        let aliases = vec![format!("{{k: *m{}}}", i - 1); 8].join(", ");
        merge.push_str(&format!(
            "  m{i}: &m{i}\n    <<: [{aliases}]\n    own: [*m{p}, *m{p}, *m{p}, *m{p}]\n",
            p = i - 1
        ));
    }
    repo.write("apps/merge.yaml", &merge);
    let r = check_case("alias_bomb", &repo, &Plan { builds: &["apps", "kbomb"], ..Plan::default() });
    let f = r.expect_finding("HYG007", "apps/bomb.yaml", None);
    let line = f["line"].as_u64().unwrap();
    assert!(resource.lines().nth(line as usize - 1).unwrap().contains("*a"), "points at an alias line: {line}");
    r.expect_finding("HYG007", "kbomb/kustomization.yaml", None);
    for dir in ["apps", "kbomb"] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{}: {}", b.describe(), b.stderr);
        assert!(b.stderr.contains(&format!("{dir}/")), "{}: names the file: {}", b.describe(), b.stderr);
    }
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn nesting_200000_deep() {
    const DEPTH: usize = 200_000;
    let repo = Repo::new();
    let flow = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  a: {}{}\n",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    repo.write("apps/flow-seq.yaml", &flow);
    repo.write("apps/flow-map.yaml", format!("a: {}x{}\n", "{a: ".repeat(DEPTH), "}".repeat(DEPTH)));
    // Block sequences nest on one line: `- - - x`.
    repo.write("apps/block-seq.yaml", format!("{}x\n", "- ".repeat(DEPTH)));
    repo.write("apps/unclosed.yaml", "[".repeat(DEPTH));
    repo.write("apps/kustomization.yaml", "resources:\n- flow-seq.yaml\n");
    repo.write("deepk/kustomization.yaml", format!("resources: {}{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH)));
    let r = check_case("nesting_200000_deep", &repo, &Plan { builds: &["apps", "deepk"], ..Plan::default() });
    r.expect_finding("HYG007", "apps/flow-seq.yaml", Some(line_of(&flow, "  a: [")));
    for f in ["apps/flow-map.yaml", "apps/block-seq.yaml", "deepk/kustomization.yaml"] {
        r.expect_finding("HYG007", f, Some(1));
    }
    for dir in ["apps", "deepk"] {
        assert_eq!(r.build(dir, false).code, Some(1), "{}", r.build(dir, false).stderr);
    }
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn lines_of_20_mb() {
    let repo = Repo::new();
    // Over the 16 MiB file limit: one line of 20 MB.
    let big =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: {}\n", "x".repeat(20_000_000));
    repo.write("apps/huge.yaml", &big);
    // Under it: a 12 MB line holding a duplicate key, so the finding's snippet shows that line.
    let long = format!("{{a: 1, a: 2, pad: {}}}\n", "y".repeat(12_000_000));
    repo.write("apps/long.yaml", &long);
    repo.write("apps/kustomization.yaml", "resources:\n- huge.yaml\n");
    let r = check_case("lines_of_20_mb", &repo, &Plan { builds: &["apps"], ..Plan::default() });
    r.expect_finding("HYG007", "apps/huge.yaml", Some(1));
    r.expect_finding("HYG006", "apps/long.yaml", Some(1));
    let human = &r.runs[0];
    assert!(
        human.stdout.len() < 1_000_000,
        "the human report does not print a 12 MB line: {} bytes",
        human.stdout.len()
    );
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn binary_and_invalid_utf8_files_named_yaml() {
    let repo = Repo::new();
    // Deterministic pseudo-random bytes with NULs.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..65_536)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    repo.write("apps/random.yaml", &bytes);
    // Valid up to line 3, then Latin-1.
    repo.write("apps/latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".as_slice());
    // Valid UTF-8 that YAML forbids (C0 controls, NUL).
    repo.write("apps/controls.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\u{0}b\u{7}\n");
    repo.write("apps/kustomization.yaml", "resources:\n- latin1.yaml\n- random.yaml\n");
    repo.write("Kustomization", &bytes[..4096]);
    let r = check_case("binary_and_invalid_utf8", &repo, &Plan { builds: &["apps", ""], ..Plan::default() });
    r.expect_finding("SRC010", "apps/latin1.yaml", Some(3));
    r.expect_finding("SRC010", "apps/random.yaml", None);
    r.expect_finding("SRC010", "apps/controls.yaml", Some(4));
    r.expect_finding("SRC010", "Kustomization", None);
    let b = r.build("apps", false);
    assert_eq!(b.code, Some(1));
    assert!(b.stderr.contains("apps/latin1.yaml:3:"), "{}", b.stderr);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn bom_crlf_and_tabs() {
    let repo = Repo::new();
    // A GitRepository without a ref (HYG001) in a file with a BOM and CRLF line endings: the
    // finding's line must count CRLF once.
    let crlf = "\u{feff}# comment\r\n---\r\napiVersion: source.toolkit.fluxcd.io/v1\r\nkind: GitRepository\r\nmetadata:\r\n  name: podinfo\r\n  namespace: flux-system\r\nspec:\r\n  interval: 1m\r\n  url: https://example.com/podinfo\r\n";
    repo.write("clusters/dev/repo.yaml", crlf);
    // Old Mac line endings (a lone CR ends a line in YAML).
    repo.write("apps/cr.yaml", cm("cr").replace('\n', "\r"));
    // Tab indentation is invalid YAML: SRC010 at the tab's line.
    repo.write("apps/tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n");
    // Tabs inside values and after keys are fine.
    repo.write(
        "apps/tab-values.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tv\ndata:\n  a:\t\"x\ty\"\n",
    );
    repo.write("apps/kustomization.yaml", "\u{feff}resources:\r\n- cr.yaml\r\n- tab-values.yaml\r\n");
    repo.write("clusters/dev/apps.yaml", crate::manifests::ks("apps", "./apps", ""));
    let r = check_case("bom_crlf_and_tabs", &repo, &Plan { builds: &["apps"], ..Plan::default() });
    r.expect_finding("HYG001", "clusters/dev/repo.yaml", Some(8));
    r.expect_finding("SRC010", "apps/tabs.yaml", Some(4));
    let b = r.build("apps", false);
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    assert!(b.stdout.contains("name: cr") && b.stdout.contains("x\\ty"), "{}", b.stdout);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn empty_files_and_documents() {
    let repo = Repo::new();
    repo.write("apps/empty.yaml", "");
    repo.write("apps/separators.yaml", "---\n---\n---\n");
    repo.write("apps/comments.yaml", "# only a comment\n");
    repo.write("apps/nulls.yaml", "--- ~\n--- null\n---\n...\n");
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- empty.yaml\n- separators.yaml\n- comments.yaml\n- nulls.yaml\n- ../empty-k\n",
    );
    repo.write("empty-k/kustomization.yaml", "");
    repo.write("comment-k/kustomization.yaml", "# nothing\n");
    repo.write("clusters/dev/empty.yaml", "");
    repo.write("clusters/dev/apps.yaml", crate::manifests::ks("apps", "./apps", ""));
    let r = check_case(
        "empty_files_and_documents",
        &repo,
        &Plan { builds: &["apps", "empty-k", "comment-k"], ..Plan::default() },
    );
    let b = r.build("empty-k", false);
    assert_eq!(b.code, Some(1), "kustomize fails on an empty kustomization: {}", b.stderr);
    assert!(b.stderr.contains("empty-k/kustomization.yaml:1:"), "{}", b.stderr);
    r.expect_finding("SRC003", "empty-k/kustomization.yaml", Some(1));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn top_level_lists_and_scalars() {
    let repo = Repo::new();
    repo.write("apps/list.yaml", "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n");
    repo.write("apps/scalar.yaml", "just a string\n");
    repo.write("apps/number.yaml", "42\n");
    repo.write("apps/kustomization.yaml", "resources:\n- list.yaml\n- scalar.yaml\n- number.yaml\n");
    repo.write("list-k/kustomization.yaml", "- resources\n- x.yaml\n");
    repo.write("scalar-k/kustomization.yaml", "resources\n");
    repo.write("clusters/dev/list.yaml", "- a\n- b\n");
    repo.write("clusters/dev/scalar.yaml", "hello\n---\n[1, 2]\n---\n");
    repo.write("clusters/dev/apps.yaml", crate::manifests::ks("apps", "./apps", ""));
    let r = check_case(
        "top_level_lists_and_scalars",
        &repo,
        &Plan { builds: &["apps", "list-k", "scalar-k"], flux: &["flux-system/apps"] },
    );
    for dir in ["apps", "list-k", "scalar-k"] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{}: {}", b.describe(), b.stderr);
        assert!(b.stderr.contains(&format!("{dir}/")), "{}: {}", b.describe(), b.stderr);
    }
    // The root build of the cluster fails first, on its own top-level list: Flux applies
    // nothing of the cluster, `apps` included. (A problem in a directory only the failed root
    // would have led to is not reported: discovery's candidate builds count it as built.)
    r.expect_finding("SRC003", "clusters/dev/list.yaml", Some(1));
    r.expect_finding("SRC003", "list-k/kustomization.yaml", Some(1));
}
