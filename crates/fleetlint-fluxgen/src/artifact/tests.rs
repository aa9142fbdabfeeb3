//! ArtifactGenerator tests: the official Helm example's generator, source-watcher's copy
//! semantics (cases written for fleetlint after internal/builder/builder.go), path patterns.

use std::collections::BTreeMap;
use std::sync::Arc;

use fleetlint_yaml::{FileId, Limits, parse_yaml};

use super::*;

type Tree = SourceTree<&'static str>;

fn tree(files: &[(&str, &'static str)]) -> Tree {
    SourceTree::new(files.iter().map(|(p, t)| ((*p).to_string(), *t)))
}

fn generator(yaml: &str) -> ArtifactGenerator {
    let parsed = parse_yaml(FileId(0), yaml, &Limits::default());
    ArtifactGenerator::from_node(&parsed.documents[0].root).expect("valid generator")
}

fn read(f: &&'static str) -> Option<Arc<str>> {
    Some(Arc::from(*f))
}

fn run(yaml: &str, sources: &[(&str, &Tree)]) -> Result<Vec<ExternalArtifactView<&'static str>>, GeneratorError> {
    let sources: BTreeMap<String, Tree> = sources.iter().map(|(a, t)| ((*a).to_string(), (*t).clone())).collect();
    generate(&generator(yaml), &sources, &read, &Options::default())
}

fn built<'a>(v: &'a ExternalArtifactView<&'static str>) -> &'a ArtifactTree<&'static str> {
    match &v.result {
        ArtifactResult::Built(t) => t,
        other => panic!("{}: {other:?}", v.name),
    }
}

fn paths(v: &ExternalArtifactView<&'static str>) -> Vec<String> {
    built(v).files.keys().cloned().collect()
}

fn failed(v: &ExternalArtifactView<&'static str>) -> String {
    match &v.result {
        ArtifactResult::Failed(e) => e.message.clone(),
        other => panic!("{}: expected a failure, got {other:?}", v.name),
    }
}

fn one(from: &str, to: &str, extra: &str) -> String {
    format!(
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: g\n  namespace: ns\nspec:\n  sources:\n    - alias: src\n      kind: GitRepository\n      name: repo\n  artifacts:\n    - name: out\n      copy:\n        - from: \"{from}\"\n          to: \"{to}\"\n{extra}"
    )
}

fn monorepo() -> Tree {
    tree(&[
        ("apps/base/podinfo/kustomization.yaml", "resources: [release.yaml]\n"),
        ("apps/base/podinfo/release.yaml", "kind: HelmRelease\n"),
        ("apps/production/kustomization.yaml", "resources: [../base/podinfo]\n"),
        ("apps/production/podinfo-values.yaml", "replicas: 2\n"),
        ("infrastructure/controllers/kustomization.yaml", "resources: []\n"),
        ("infrastructure/configs/cluster-issuers.yaml", "kind: ClusterIssuer\n"),
        (".github/workflows/e2e.yaml", "on: push\n"),
        ("README.md", "# example\n"),
    ])
}

#[test]
fn the_official_helm_example_generator() {
    let yaml = r#"apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: flux-system
  namespace: flux-system
spec:
  commonMetadata:
    labels:
      team: platform
  sources:
    - alias: monorepo
      kind: GitRepository
      name: flux-system
  artifacts:
    - name: infrastructure
      originRevision: "@monorepo"
      copy:
        - from: "@monorepo/infrastructure/**"
          to: "@artifact/"
    - name: apps
      originRevision: "@monorepo"
      copy:
        - from: "@monorepo/apps/base/**"
          to: "@artifact/base/"
        - from: "@monorepo/apps/production/**"
          to: "@artifact/production/"
"#;
    let repo = monorepo();
    let out = run(yaml, &[("monorepo", &repo)]).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].name.as_str(), out[0].namespace.as_str()), ("infrastructure", "flux-system"));
    assert_eq!(paths(&out[0]), vec!["configs/cluster-issuers.yaml", "controllers/kustomization.yaml"]);
    assert_eq!(
        paths(&out[1]),
        vec![
            "base/podinfo/kustomization.yaml",
            "base/podinfo/release.yaml",
            "production/kustomization.yaml",
            "production/podinfo-values.yaml"
        ]
    );
    let f = &built(&out[1]).files["production/kustomization.yaml"];
    assert_eq!(
        f,
        &VFile::Copy(Layer {
            alias: "monorepo".into(),
            path: "apps/production/kustomization.yaml".into(),
            file: "resources: [../base/podinfo]\n"
        })
    );
    assert_eq!(out[1].origin_revision.as_deref(), Some("monorepo"));
    assert_eq!(out[1].labels["team"].as_deref(), Some("platform"));
    assert_eq!(out[1].labels["app.kubernetes.io/managed-by"].as_deref(), Some("source-watcher"));
    assert_eq!(out[1].labels["source.extensions.fluxcd.io/generator"], None);
}

#[test]
fn globs_are_go_fs_glob() {
    let src = tree(&[
        ("configs/a.yaml", "a"),
        ("configs/.hidden.yaml", "h"),
        ("configs/sub/b.yaml", "b"),
        ("x/y/z.yaml", "z"),
    ]);
    // A match keeps its full path under `to`; `*` never crosses `/`; dotfiles match.
    let out = run(&one("@src/configs/*.yaml", "@artifact/apps/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["apps/configs/.hidden.yaml", "apps/configs/a.yaml"]);
    // `**` is one segment; a matched directory is copied recursively.
    let out = run(&one("@src/**/*.yaml", "@artifact/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["configs/.hidden.yaml", "configs/a.yaml"]);
    let out = run(&one("@src/configs/*", "@artifact/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["configs/.hidden.yaml", "configs/a.yaml", "configs/sub/b.yaml"]);
    // `dir/**` strips the directory.
    let out = run(&one("@src/configs/**", "@artifact/c", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["c/.hidden.yaml", "c/a.yaml", "c/sub/b.yaml"]);
    let out = run(&one("@src/*/*/z.yaml", "@artifact/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["x/y/z.yaml"]);
}

#[test]
fn paths_copy_like_cp() {
    let src = tree(&[("deploy/app/a.yaml", "a"), ("deploy/b.yaml", "b"), ("top.yaml", "t")]);
    // A directory lands under its base name, even with a trailing slash on `to` or `from`.
    let out = run(&one("@src/deploy/app/", "@artifact/deploy/app/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["deploy/app/app/a.yaml"]);
    // `@alias/` is the alias root.
    let out = run(&one("@src/", "@artifact/all", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["all/deploy/app/a.yaml", "all/deploy/b.yaml", "all/top.yaml"]);
    // A file goes to `to` itself, or into it when it ends in `/`.
    let out = run(&one("@src/top.yaml", "@artifact/renamed.yaml", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["renamed.yaml"]);
    let out = run(&one("@src/top.yaml", "@artifact/dir/", ""), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["dir/top.yaml"]);
    // ... or into an existing directory.
    let yaml = format!(
        "{}        - from: \"@src/top.yaml\"\n          to: \"@artifact/app\"\n",
        one("@src/deploy/app", "@artifact/", "")
    );
    let out = run(&yaml, &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["app/a.yaml", "app/top.yaml"]);
}

#[test]
fn excludes_match_three_ways() {
    let src = tree(&[
        ("apps/a.yaml", "a"),
        ("apps/README.md", "r"),
        ("apps/tests/t.yaml", "t"),
        ("apps/sub/tests/u.yaml", "u"),
    ]);
    let ex = "          exclude: [\"*.md\", \"tests/**\"]\n";
    let out = run(&one("@src/apps/**", "@artifact/", ex), &[("src", &src)]).unwrap();
    // `tests/**` matches below the pattern's literal root `apps`, not `sub/tests`.
    assert_eq!(paths(&out[0]), vec!["a.yaml", "sub/tests/u.yaml"]);
    let out = run(&one("@src/apps", "@artifact/", ex), &[("src", &src)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["apps/a.yaml", "apps/sub/tests/u.yaml"]);
    // An excluded single file is skipped silently.
    let out = run(&one("@src/apps/README.md", "@artifact/", ex), &[("src", &src)]).unwrap();
    assert!(paths(&out[0]).is_empty());
}

#[test]
fn copy_errors_are_source_watchers() {
    let src = tree(&[("apps/a.yaml", "a"), ("pkg.tgz", "bin")]);
    let msg = |from: &str, extra: &str| failed(&run(&one(from, "@artifact/", extra), &[("src", &src)]).unwrap()[0]);
    assert_eq!(
        msg("@src/nope/*.yaml", ""),
        "failed to apply copy operation from '@src/nope/*.yaml' to '@artifact/': no files match pattern 'nope/*.yaml' in source 'src'"
    );
    assert!(
        msg("@src/apps/*", "          exclude: [\"*.yaml\"]\n")
            .ends_with("all files matching pattern 'apps/*' in source 'src' were excluded")
    );
    assert!(msg("@src/missing", "").ends_with("source 'missing' does not exist"));
    assert!(msg("@other/x", "").ends_with("source alias 'other' not found"));
    assert!(msg("@src/apps/*", "          exclude: [\"{a\"]\n").ends_with("invalid exclude pattern '{a'"));
    assert!(msg("@src/apps/[", "").contains("invalid glob pattern"));
    assert!(
        msg("@src/apps", "          strategy: Extract\n")
            .ends_with("extract strategy is not supported for directories, got 'apps'")
    );
    assert!(msg("@src/apps/a.yaml", "          strategy: Extract\n").contains("requires tarball file"));
}

#[test]
fn merge_is_helm_values_merge_for_matched_files() {
    let base = tree(&[("values.yaml", "replicas: 1\nimage:\n  tag: v1\n  repo: r\n")]);
    let over = tree(&[("values.yaml", "image:\n  tag: v2\n"), ("dir/values.yaml", "x: 1\n")]);
    let yaml = "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: g\n  namespace: ns\nspec:\n  sources:\n    - alias: base\n      kind: GitRepository\n      name: a\n    - alias: over\n      kind: GitRepository\n      name: b\n  artifacts:\n    - name: out\n      copy:\n        - from: \"@base/values.yaml\"\n          to: \"@artifact/values.yaml\"\n        - from: \"@over/values.yaml\"\n          to: \"@artifact/values.yaml\"\n          strategy: Merge\n        - from: \"@over/dir\"\n          to: \"@artifact/\"\n          strategy: Merge\n";
    let out = run(yaml, &[("base", &base), ("over", &over)]).unwrap();
    let t = built(&out[0]);
    match &t.files["values.yaml"] {
        VFile::Merged { layers, text } => {
            assert_eq!(layers.iter().map(|l| l.alias.as_str()).collect::<Vec<_>>(), vec!["base", "over"]);
            assert_eq!(text.as_deref(), Some("image:\n  repo: r\n  tag: v2\nreplicas: 1\n"));
        }
        other => panic!("{other:?}"),
    }
    // Files reached through a directory copy are plain copies.
    assert!(matches!(t.files["dir/values.yaml"], VFile::Copy(_)));
}

#[test]
fn extract_is_opaque() {
    let src = tree(&[("charts/a.tgz", "bin"), ("charts/b.TAR.GZ", "bin"), ("charts/readme.md", "r")]);
    let out = run(&one("@src/**/*.tgz", "@artifact/x", "          strategy: Extract\n"), &[("src", &src)]).unwrap();
    let t = built(&out[0]);
    assert!(t.files.is_empty());
    assert_eq!(t.opaque.len(), 1);
    assert!(t.opaque[0].reason.contains("charts/a.tgz"));
    let out = run(&one("@src/charts/*", "@artifact/x", "          strategy: Extract\n"), &[("src", &src)]).unwrap();
    assert_eq!(built(&out[0]).opaque.len(), 2);
}

#[test]
fn default_exclusions_apply_to_the_output() {
    let src = monorepo();
    let extra = tree(&[("img/logo.png", "p"), ("apps/.sops.yaml", "s"), ("apps/x.yaml", "x")]);
    let out = run(&one("@src/", "@artifact/", ""), &[("src", &src)]).unwrap();
    let t = built(&out[0]);
    assert!(!t.files.contains_key(".github/workflows/e2e.yaml"));
    assert!(t.ignored.iter().any(|(p, pat)| p == ".github/workflows/e2e.yaml" && pat == ".github/"));
    assert!(t.files.contains_key("README.md"));
    let out = run(&one("@src/**", "@artifact/", ""), &[("src", &extra)]).unwrap();
    assert_eq!(paths(&out[0]), vec!["apps/x.yaml"]);
    // The artifact name is part of the archived path: a name ending in .zip drops everything.
    let zipped = one("@src/**", "@artifact/", "").replace("name: out", "name: out.zip");
    let out = run(&zipped, &[("src", &extra)]).unwrap();
    assert!(paths(&out[0]).is_empty());
}

#[test]
fn path_patterns_render_artifacts_per_directory() {
    let src = tree(&[
        ("apps/Frontend/envs/prod/k.yaml", "1"),
        ("apps/Frontend/envs/dev/k.yaml", "2"),
        ("apps/backend/envs/prod/k.yaml", "3"),
        ("apps/backend/other/k.yaml", "4"),
    ]);
    let yaml = "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: g\n  namespace: ns\nspec:\n  pathPattern: \"@src/apps/{app}/envs/{env}\"\n  sources:\n    - alias: src\n      kind: GitRepository\n      name: repo\n  artifacts:\n    - name: \"{app}-{env}\"\n      copy:\n        - from: \"@src/apps/{app}/envs/{env}/**\"\n          to: \"@artifact/{env}/\"\n";
    let out = run(yaml, &[("src", &src)]).unwrap();
    let names: Vec<&str> = out.iter().map(|v| v.name.as_str()).collect();
    // Directories are walked in byte order ("Frontend" before "backend").
    assert_eq!(names, vec!["frontend-dev", "frontend-prod", "backend-prod"]);
    assert_eq!(paths(&out[1]), vec!["prod/k.yaml"]);
    assert_eq!(out[1].labels["app"].as_deref(), Some("frontend"));
    assert_eq!(out[1].captures["app"], "Frontend");
    // Two directories that lowercase to the same name are a terminal error.
    let clash = tree(&[("apps/A/envs/x/k.yaml", "1"), ("apps/a/envs/x/k.yaml", "2")]);
    let err = run(yaml, &[("src", &clash)]).unwrap_err();
    assert_eq!(err.kind, GeneratorErrorKind::Invalid);
    assert!(err.message.contains("both resolve to artifact name \"a-x\""), "{}", err.message);
    // Captured values must be label values.
    let bad = tree(&[("apps/a~b/envs/x/k.yaml", "1")]);
    assert!(run(yaml, &[("src", &bad)]).unwrap_err().message.contains("not a valid Kubernetes label value"));
    // No matching directory: no artifact.
    assert!(run(yaml, &[("src", &tree(&[("other/k.yaml", "1")]))]).unwrap().is_empty());
    let broken = yaml.replace("{env}\"\n  sources", "{env\"\n  sources");
    assert!(run(&broken, &[("src", &src)]).unwrap_err().message.contains("missing closing brace"));
}

#[test]
fn validation_and_unavailable_sources() {
    let src = monorepo();
    let dup = one("@src/", "@artifact/", "")
        .replace("  artifacts:", "    - alias: src\n      kind: GitRepository\n      name: other\n  artifacts:");
    assert!(run(&dup, &[("src", &src)]).unwrap_err().message.contains("duplicate source alias 'src'"));
    let bad_name = one("@src/", "@artifact/", "").replace("name: out", "name: Out_1");
    assert!(run(&bad_name, &[("src", &src)]).unwrap_err().message.contains("not a valid Kubernetes object name"));
    let rev =
        one("@src/", "@artifact/", "").replace("    - name: out\n", "    - name: out\n      revision: \"@nope\"\n");
    assert!(run(&rev, &[("src", &src)]).unwrap_err().message.contains("revision source alias 'nope' not found"));
    let err = run(&one("@src/", "@artifact/", ""), &[]).unwrap_err();
    assert_eq!(err.kind, GeneratorErrorKind::SourceUnavailable { alias: "src".into() });
    // Cross-namespace sources fail only where source-watcher is locked down.
    let cross =
        one("@src/", "@artifact/", "").replace("      name: repo\n", "      name: repo\n      namespace: other\n");
    let g = generator(&cross);
    let sources: BTreeMap<String, Tree> = [("src".to_string(), src.clone())].into();
    assert!(generate(&g, &sources, &read, &Options::default()).is_ok());
    let locked = Options { no_cross_namespace_refs: Some(true) };
    let err = generate(&g, &sources, &read, &locked).unwrap_err();
    assert_eq!(err.message, "cross-namespace reference to source GitRepository/other/repo is not allowed");
}

#[test]
fn a_failed_artifact_stops_the_ones_after_it() {
    let src = monorepo();
    let yaml = format!(
        "{}    - name: second\n      copy:\n        - from: \"@src/apps/**\"\n          to: \"@artifact/\"\n",
        one("@src/missing/*", "@artifact/", "")
    );
    let out = run(&yaml, &[("src", &src)]).unwrap();
    assert!(failed(&out[0]).contains("no files match"));
    assert_eq!(out[1].result, ArtifactResult::NotBuilt);
}

#[test]
fn spec_errors_point_at_the_field() {
    let text = "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: g\nspec:\n  sources:\n    - alias: src\n      kind: GitRepository\n      name: repo\n  artifacts:\n    - name: out\n      copy:\n        - from: \"src/x\"\n          to: \"@artifact/\"\n";
    let parsed = parse_yaml(FileId(0), text, &Limits::default());
    let err = ArtifactGenerator::from_node(&parsed.documents[0].root).unwrap_err();
    assert_eq!(err.kind, GeneratorErrorKind::Invalid);
    assert!(err.message.contains("copy[0].from"));
    assert_eq!(&text[err.span.range()][..5], "from:");
}
