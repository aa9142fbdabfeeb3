//! Nothing is executed, fetched or written: the release binary runs under `strace` on a
//! repository full of remote bases, Helm charts, exec plugins and remote sources, and the trace
//! must show no `execve` after its own, no network socket or connection, and no file opened for
//! writing under the scratch directory (the checked root and the secrets beside it).

use std::path::Path;
use std::process::Command;

use crate::harness::{MARKER, Repo, tools};
use crate::manifests::{cm, ks};

/// A script that leaves a canary file if anything ever runs it.
fn canary_script(canary: &Path) -> String {
    format!("#!/bin/sh\ntouch {}\n", canary.display())
}

fn hostile_repo(repo: &Repo, canary: &Path) {
    let script = canary_script(canary);
    for rel in ["apps/plugin.sh", "apps/fn/run.sh", "bin/kustomize", "bin/helm", "bin/git", "bin/sops"] {
        repo.write(rel, &script);
        std::fs::set_permissions(repo.root.join(rel), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    // Remote bases and components in every form kustomize accepts, Helm charts, and plugins:
    // legacy exec transformers, KRM exec and container functions, in transformers, generators
    // and validators.
    repo.write(
        "apps/kustomization.yaml",
        "resources:\n- https://github.com/stefanprodan/podinfo//kustomize?ref=6.5.0\n- git@github.com:stefanprodan/podinfo.git//kustomize\n- ssh://git@127.0.0.1:1/repo.git\n- github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n- http://127.0.0.1:1/x.yaml\n- cm.yaml\ncomponents:\n- https://127.0.0.1:1/component\nhelmCharts:\n- name: podinfo\n  repo: https://stefanprodan.github.io/podinfo\n  version: 6.5.0\n  releaseName: podinfo\n- name: oci\n  repo: oci://ghcr.io/stefanprodan/charts/podinfo\nhelmGlobals:\n  chartHome: charts\ntransformers:\n- exec-transformer.yaml\n- fn-transformer.yaml\ngenerators:\n- exec-generator.yaml\nvalidators:\n- fn-transformer.yaml\n",
    );
    repo.write("apps/cm.yaml", cm("cm"));
    repo.write(
        "apps/exec-transformer.yaml",
        "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: exec\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./plugin.sh\n",
    );
    repo.write(
        "apps/fn-transformer.yaml",
        "apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: fn\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: example.com/fn:v1\n        network: true\n",
    );
    repo.write(
        "apps/exec-generator.yaml",
        "apiVersion: builtin\nkind: ExecGenerator\nmetadata:\n  name: gen\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./fn/run.sh\nargsOneLiner: --flag\n",
    );
    repo.write(
        "infra/kustomization.yaml",
        "resources:\n- https://raw.githubusercontent.com/fluxcd/flux2/main/manifests/crds/kustomization.yaml\nhelmChartInflationGenerator:\n- chartName: podinfo\n  chartRepoUrl: https://stefanprodan.github.io/podinfo\n",
    );
    // Remote sources of every kind, and Flux objects that read them.
    let sources = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: https-repo\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://github.com/stefanprodan/podinfo\n  ref:\n    branch: master\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: ssh-repo\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@github.com/stefanprodan/podinfo\n  ref:\n    tag: 6.5.0\n  include:\n  - repository:\n      name: https-repo\n    toPath: vendor\n---\napiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: oci\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: oci://ghcr.io/stefanprodan/manifests/podinfo\n  ref:\n    semver: \">=6.0.0\"\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://stefanprodan.github.io/podinfo\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata:\n  name: bucket\n  namespace: flux-system\nspec:\n  interval: 1m\n  endpoint: 127.0.0.1:1\n  bucketName: b\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n---\n";
    repo.write("clusters/dev/sources.yaml", sources);
    repo.write("clusters/dev/apps.yaml", ks("apps", "./apps", ""));
    repo.write("clusters/dev/infra.yaml", ks("infra", "./infra", ""));
    let remote_ks = [
        ("from-https", "https-repo", "GitRepository"),
        ("from-ssh", "ssh-repo", "GitRepository"),
        ("from-oci", "oci", "OCIRepository"),
        ("from-bucket", "bucket", "Bucket"),
    ];
    for (name, source, kind) in remote_ks {
        let text = ks(name, "./kustomize", "").replace(
            "    kind: GitRepository\n    name: flux-system\n",
            &format!("    kind: {kind}\n    name: {source}\n"),
        );
        repo.write(&format!("clusters/dev/{name}.yaml"), text);
    }
    repo.write(
        "clusters/dev/vendor.yaml",
        ks("vendor", "./vendor/kustomize", "").replace("    name: flux-system\n", "    name: ssh-repo\n"),
    );
}

/// What the trace shows that must not happen.
fn violations(trace: &str, scratch: &Path) -> Vec<String> {
    let scratch = scratch.display().to_string();
    let mut bad = Vec::new();
    let mut execs = 0;
    for line in trace.lines() {
        // `PID syscall(args...) = result`; an interrupted call is split into "unfinished" and
        // "resumed" halves, and the arguments are in the first.
        let call = line.split_once(' ').map_or(line, |(_, rest)| rest.trim_start());
        if call.starts_with("execve(") {
            execs += 1;
            if execs > 1 {
                bad.push(format!("spawned a process: {line}"));
            }
        } else if call.starts_with("socket(") && (call.contains("AF_INET") || call.contains("AF_PACKET")) {
            bad.push(format!("opened a network socket: {line}"));
        } else if call.starts_with("connect(") {
            bad.push(format!("connected: {line}"));
        } else if call.starts_with("openat(")
            && call.contains(&scratch)
            && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"].iter().any(|f| call.contains(f))
        {
            bad.push(format!("opened for writing inside the checked tree: {line}"));
        }
    }
    if execs == 0 {
        bad.push("the trace has no execve at all: strace did not trace the binary".into());
    }
    bad
}

fn strace_available() -> bool {
    Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

#[test]
#[ignore = "needs target/release/fleetlint, GNU time and strace (.ci/run runs it)"]
fn nothing_is_executed_fetched_or_written() {
    let tools = tools();
    assert!(strace_available(), "this test needs strace (.ci/run installs it); it is absent");
    let repo = Repo::new();
    let canary = repo.outside.join("executed");
    hostile_repo(&repo, &canary);
    let scratch = repo.root.parent().unwrap().to_path_buf();
    let commands: &[&[&str]] = &[
        &["check"],
        &["check", "--format", "json"],
        &["graph", "--format", "dot"],
        &["build", "apps", "--root", "."],
        &["build", "apps", "--root", ".", "--flux"],
        &["build", "infra", "--root", "."],
        &["build", "--kustomization", "flux-system/apps"],
        &["build", "--kustomization", "flux-system/vendor"],
    ];
    let mut problems = Vec::new();
    for args in commands {
        let trace = tempfile::NamedTempFile::new().unwrap();
        let out = Command::new("strace")
            .args(["-f", "-qq", "-s", "4096", "-e", "trace=execve,socket,connect,openat,open,creat", "-o"])
            .arg(trace.path())
            .arg(&tools.fleetlint)
            .args(*args)
            .current_dir(&repo.root)
            .output()
            .unwrap();
        let trace = std::fs::read_to_string(trace.path()).unwrap();
        let code = out.status.code();
        eprintln!("safety: `fleetlint {}` -> exit {code:?}, {} traced calls", args.join(" "), trace.lines().count());
        if !matches!(code, Some(0..=2)) {
            problems.push(format!(
                "`fleetlint {}` exited {code:?}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        for v in violations(&trace, &scratch) {
            problems.push(format!("`fleetlint {}` {v}", args.join(" ")));
        }
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if text.contains(MARKER) || text.contains(&MARKER.to_lowercase()) {
            problems.push(format!("`fleetlint {}` printed content from outside the root", args.join(" ")));
        }
    }
    assert!(!canary.exists(), "a script of the repository was executed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The trace reader itself: a spawned process, a TCP socket and a write under the tree are
/// each caught (so the test above cannot pass by reading nothing).
#[test]
fn the_trace_reader_catches_each_violation() {
    let scratch = Path::new("/tmp/scratch");
    let trace = "1 execve(\"/bin/fleetlint\", [\"fleetlint\"], 0x1 /* 3 vars */) = 0\n\
                 2 execve(\"/bin/sh\", [\"sh\"], 0x1 /* 3 vars */) = 0\n\
                 1 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 3\n\
                 1 connect(3, {sa_family=AF_INET, sin_port=htons(443)}, 16) = -1\n\
                 1 openat(AT_FDCWD, \"/tmp/scratch/repo/x.yaml\", O_WRONLY|O_CREAT|O_TRUNC, 0666 <unfinished ...>\n\
                 1 openat(AT_FDCWD, \"/tmp/scratch/repo/y.yaml\", O_RDONLY|O_CLOEXEC) = 4\n";
    let v = violations(trace, scratch);
    assert_eq!(v.len(), 4, "{v:#?}");
    assert_eq!(violations("", scratch).len(), 1, "an empty trace is itself a failure");
}
