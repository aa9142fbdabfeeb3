//! Hostile trees: special files, symlink loops and symlinks out of the root, a directory named
//! like a kustomization file, file names that are not UTF-8, very many files, deep directories.

use std::os::unix::ffi::OsStrExt;

use crate::harness::{Plan, Repo, check_case, check_large_case};
use crate::manifests::{cm, ks};

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn fifos_sockets_and_device_links() {
    let repo = Repo::new();
    // A reader that opened any of these would block forever (FIFO) or read without end.
    repo.fifo("apps/pipe.yaml");
    repo.fifo("fifo-k/kustomization.yaml");
    repo.fifo("apps/.sourceignore");
    repo.fifo(".gitignore");
    repo.socket("apps/socket.yaml");
    repo.symlink("/dev/zero", "apps/zero.yaml");
    repo.symlink("/dev/urandom", "apps/random.env");
    repo.write("apps/ok.yaml", cm("ok"));
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- ok.yaml\n- pipe.yaml\n- zero.yaml\nconfigMapGenerator:\n- name: gen\n  envs:\n  - random.env\n  files:\n  - pipe.yaml\n",
    );
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    repo.write("clusters/dev/fifo.yaml", ks("fifo", "./fifo-k", ""));
    let r =
        check_case("fifos_sockets_and_device_links", &repo, &Plan { builds: &["apps", "fifo-k"], ..Plan::default() });
    let b = r.build("apps", false);
    assert_eq!(b.code, Some(1), "{}", b.stderr);
    assert!(b.stderr.contains("apps/kustomization.yaml:3:"), "names the pipe.yaml entry: {}", b.stderr);
    r.expect_finding("SRC003", "apps/kustomization.yaml", Some(3));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn symlink_loops() {
    let repo = Repo::new();
    repo.symlink("b.yaml", "apps/a.yaml");
    repo.symlink("a.yaml", "apps/b.yaml");
    repo.symlink(".", "apps/self");
    repo.symlink("..", "apps/up");
    repo.symlink("loop2", "apps/loop1");
    repo.symlink("loop1", "apps/loop2");
    repo.write("apps/ok.yaml", cm("ok"));
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- ok.yaml\n- self/self/self/ok.yaml\n- up/apps/ok.yaml\n- loop1\n- a.yaml\n",
    );
    // kustomize stops at the first entry it cannot load, so each loop also gets a build of
    // its own in which it is that first entry.
    repo.write("loops/kustomization.yaml", "resources:\n- ../apps/ok.yaml\n- ../apps/loop1\n");
    repo.write("cycle/kustomization.yaml", "resources:\n- ../apps/ok.yaml\n- ../apps/a.yaml\n");
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps/self/self", ""));
    repo.write("clusters/dev/up.yaml", ks("up", "./apps/up/apps/up/apps", ""));
    let r = check_case("symlink_loops", &repo, &Plan { builds: &["apps", "loops", "cycle"], ..Plan::default() });
    for (dir, line) in [("apps", 3), ("loops", 3), ("cycle", 3)] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{dir}: {}", b.stderr);
        assert!(
            b.stderr.contains(&format!("{dir}/kustomization.yaml:{line}:")),
            "{dir}: entry on line {line}: {}",
            b.stderr
        );
    }
    r.expect_finding("SRC001", "clusters/dev/apps.yaml", None);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn symlinks_to_files_and_directories_outside_the_root() {
    let repo = Repo::new();
    let outside = repo.outside.clone();
    repo.symlink(outside.join("secret.yaml"), "apps/secret.yaml");
    repo.symlink("../../outside/secret.yaml", "apps/relative-secret.yaml");
    repo.symlink(&outside, "apps/outdir");
    repo.symlink(outside.join("dir"), "outk");
    repo.symlink(outside.join("secret.env"), "apps/secret.env");
    repo.symlink(outside.join("kustomization.yaml"), "linked-k/kustomization.yaml");
    repo.symlink(&outside, "clusters/linked");
    repo.write("apps/ok.yaml", cm("ok"));
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- ok.yaml\n- secret.yaml\n- relative-secret.yaml\n- outdir\n- ../outk\nconfigMapGenerator:\n- name: gen\n  envs:\n  - secret.env\n  files:\n  - outdir/secret.txt\n",
    );
    // kustomize stops at the first entry it cannot load: each link also gets a build of its
    // own in which it is that first entry (line 3).
    for (dir, entry) in [("rel", "relative-secret.yaml"), ("dir", "outdir"), ("outk", "../outk"), ("env", "secret.env")]
    {
        repo.write(&format!("apps/{dir}/kustomization.yaml"), format!("resources:\n- ../ok.yaml\n- ../{entry}\n"));
    }
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps/outdir", ""));
    let builds = ["apps", "linked-k", "apps/rel", "apps/dir", "apps/outk", "apps/env"];
    let r = check_case("symlinks_outside_the_root", &repo, &Plan { builds: &builds, flux: &["flux-system/apps"] });
    for dir in ["apps", "apps/rel", "apps/dir", "apps/outk", "apps/env"] {
        let b = r.build(dir, false);
        assert_eq!(b.code, Some(1), "{dir}: {}", b.stderr);
        assert!(b.stderr.contains(&format!("{dir}/kustomization.yaml:3:")), "{dir}: entry on line 3: {}", b.stderr);
    }
    r.expect_finding("SRC001", "clusters/dev/apps.yaml", None);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn a_directory_named_kustomization_yaml() {
    let repo = Repo::new();
    repo.write("apps/kustomization.yaml/cm.yaml", cm("inside"));
    repo.write("apps/ok.yaml", cm("ok"));
    // A directory named like the other kustomization file names, holding a plain resource.
    repo.write("apps/Kustomization/cm.yaml", cm("in-dir-named-kustomization"));
    repo.write("top/kustomization.yaml", "resources:\n- ../apps\n- ../apps/kustomization.yaml\n");
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r =
        check_case("directory_named_kustomization_yaml", &repo, &Plan { builds: &["apps", "top"], ..Plan::default() });
    let b = r.build("apps", false);
    assert_eq!(b.code, Some(1), "no kustomization file in apps: {}", b.stderr);
    let flux = r.build("apps", true);
    assert_eq!(flux.code, Some(0), "kustomize-controller generates one: {}", flux.stderr);
    for name in ["inside", "ok", "in-dir-named-kustomization"] {
        assert!(flux.stdout.contains(&format!("name: {name}")), "{}", flux.stdout);
    }
    let top = r.build("top", false);
    assert_eq!(top.code, Some(1));
    assert!(top.stderr.contains("top/kustomization.yaml:2:"), "{}", top.stderr);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn file_names_that_are_not_utf8() {
    let repo = Repo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let dir = repo.root.join("apps").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cm.yaml"), cm("latin")).unwrap();
    std::fs::write(dir.join("kustomization.yaml"), "resources:\n- cm.yaml\n- missing.yaml\n").unwrap();
    std::fs::write(repo.root.join("apps").join(std::ffi::OsStr::from_bytes(b"\xff\xfe.yaml")), "a: 1\na: 2\n").unwrap();
    repo.write("apps/kustomization.yaml", "resources:\n- café\n");
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r = check_case("file_names_not_utf8", &repo, &Plan { builds: &["apps"], ..Plan::default() });
    assert_eq!(r.build("apps", false).code, Some(1));
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn twenty_thousand_files() {
    const N: usize = 20_000;
    let repo = Repo::new();
    for i in 0..N {
        repo.write(&format!("apps/d{}/cm{i}.yaml", i / 500), cm(&format!("cm{i}")));
    }
    // One with a finding beside them, so the report has something to say.
    repo.write("other/dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: dup2\n");
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r = check_large_case("twenty_thousand_files", &repo, &Plan { builds: &["apps"], flux: &["flux-system/apps"] });
    r.expect_finding("HYG006", "other/dup.yaml", Some(5));
    let flux = r.build("apps", true);
    assert_eq!(flux.code, Some(0), "{}", flux.stderr);
    assert_eq!(flux.stdout.matches("kind: ConfigMap").count(), N);
    assert_eq!(r.report()["summary"]["files"], N + 2);
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn directories_1000_deep() {
    const DEPTH: usize = 1_000;
    let repo = Repo::new();
    let deep: String = (0..DEPTH).map(|_| "d/").collect();
    repo.write(&format!("apps/{deep}cm.yaml"), cm("deep"));
    repo.write(&format!("other/{deep}dup.yaml"), "a: 1\na: 2\n");
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r = check_case("directories_1000_deep", &repo, &Plan { builds: &["apps"], ..Plan::default() });
    r.expect_finding("HYG006", &format!("other/{deep}dup.yaml"), Some(2));
    assert!(r.build("apps", true).stdout.contains("name: deep"));
}

/// `.fleetlint.yaml` is found, not chosen: a symlink (here to a file outside the root, whose keys
/// an error would echo) or a FIFO is refused with a one-line error, never read.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn configuration_file_that_is_a_symlink_or_fifo() {
    for special in ["symlink", "fifo"] {
        let repo = Repo::new();
        if special == "symlink" {
            repo.symlink(repo.outside.join("secret.yaml"), ".fleetlint.yaml");
        } else {
            repo.fifo(".fleetlint.yaml");
        }
        repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
        repo.write("apps/cm.yaml", cm("ok"));
        let r = check_case(&format!("config_{special}"), &repo, &Plan::default());
        for run in &r.runs {
            assert_eq!(run.code, Some(2), "{}: {}", run.describe(), run.stderr);
            assert!(run.stderr.contains(".fleetlint.yaml: not a regular file"), "{}", run.stderr);
        }
    }
}

/// An alias bomb in the configuration file ends in an error, not in exhausted memory.
#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn configuration_file_alias_bomb() {
    let repo = Repo::new();
    let mut text = String::from("x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
    for i in 1..12 {
        text.push_str(&format!("x{i}: &x{i} [{}]\n", vec![format!("*x{}", i - 1); 10].join(", ")));
    }
    repo.write(".fleetlint.yaml", format!("{text}clusters: *x11\n"));
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    let r = check_case("config_alias_bomb", &repo, &Plan::default());
    for run in &r.runs {
        assert_eq!(run.code, Some(2), "{}: {}", run.describe(), run.stderr);
        assert!(run.stderr.contains(".fleetlint.yaml:"), "names the file and line: {}", run.stderr);
    }
}
