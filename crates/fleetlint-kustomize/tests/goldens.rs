//! Golden tests: every case under `testdata/kustomize/` is built and compared (after parsing)
//! with the `expected.yaml` that `scripts/update-kustomize-goldens.sh` produced with
//! `kubectl kustomize`; cases kustomize rejects (`expected-error.txt`) must fail with a fatal
//! issue. Plus provenance and `--origin` checks.

use std::path::Path;

use fleetlint_kustomize::{BuildIssueKind, Resolver, to_yaml};
use fleetlint_yaml::{FileDb, FileId, Limits, LoadedTree, Node, load_tree, parse_yaml};

fn testdata() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kustomize")
}

fn load() -> (FileDb, LoadedTree) {
    let mut db = FileDb::new();
    let tree = load_tree(&mut db, &testdata(), None, &Limits::default()).expect("load testdata");
    (db, tree)
}

fn objects(text: &str) -> fleetlint_testkit::Objects {
    fleetlint_testkit::parse_objects(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn check_case(resolver: &Resolver<'_>, case: &str) {
    let dir = testdata().join(case);
    let out = resolver.build(case);
    if dir.join("expected-error.txt").exists() {
        assert!(out.fails(), "{case}: kustomize rejects it, fleetlint reports no fatal issue: {:?}", out.issues);
        return;
    }
    let expected = std::fs::read_to_string(dir.join("expected.yaml")).expect("expected.yaml");
    assert!(!out.fails(), "{case}: unexpected fatal issues {:?}", out.issues);
    let ours = to_yaml(&out.resources, None);
    let (want, got) = (objects(&expected), objects(&ours));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{case}: object identities differ\nours:\n{ours}"
    );
    for (id, w) in &want {
        assert_eq!(Some(w), got.get(id), "{case}: {id} differs\nours:\n{ours}");
    }
    // Same order as kubectl prints.
    let order = |text: &str| -> Vec<String> {
        parse_yaml(FileId(0), text, &Limits::default())
            .documents
            .iter()
            .filter(|d| !d.root.is_null())
            .map(|d| format!("{:?}", d.root.get_path(&["metadata", "name"]).and_then(Node::as_str)))
            .collect()
    };
    assert_eq!(order(&expected), order(&ours), "{case}: output order differs");
}

macro_rules! golden {
    ($($name:ident => $case:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (db, tree) = load();
                let resolver = Resolver::new(&tree, &db);
                check_case(&resolver, $case);
            }
        )*
    };
}

golden! {
    namespace => "namespace",
    prefix_suffix_namerefs => "prefix-suffix-namerefs",
    labels => "labels",
    annotations => "annotations",
    images => "images",
    replicas => "replicas",
    generators => "generators",
    components => "components",
    replacements => "replacements",
    replacement_bracket_keys => "replacement-bracket-keys",
    json_resource => "json-resource",
    vars => "vars",
    missing_file => "missing-file",
    cycle => "cycle",
    provenance_case => "provenance",
    patch_smp_containers => "patch-smp-containers",
    patch_smp_directives => "patch-smp-directives",
    patch_json6902_targets => "patch-json6902-targets",
    patch_crd_flux => "patch-crd-flux",
    crds => "crds",
    crds_missing => "crds-missing",
    openapi_custom => "openapi-custom",
    openapi_version_invalid => "openapi-version-invalid",
    build_metadata => "build-metadata",
    build_annotations => "build-annotations",
    scalar_styles => "scalar-styles",
    selector_go_regex => "selector-go-regex",
    patch_json6902_v4 => "patch-json6902-v4",
    json6902_missing_parent => "json6902-missing-parent",
    json6902_add_annotation_no_annotations => "json6902-add-annotation-no-annotations",
    json6902_legacy_add_annotation_no_annotations => "json6902-legacy-add-annotation-no-annotations",
    json6902_add_label_no_labels => "json6902-add-label-no-labels",
    json_patch_breaks_metadata => "json-patch-breaks-metadata",
    json_patch_breaks_metadata_build_metadata => "json-patch-breaks-metadata-build-metadata",
    json6902_yaml11_values => "json6902-yaml11-values",
    smp_without_name => "smp-without-name",
    resource_without_name => "resource-without-name",
    annotation_values => "annotation-values",
    kustomization_field_names => "kustomization-field-names",
    kustomization_yaml11_label => "kustomization-yaml11-label",
    kustomization_api_version => "kustomization-api-version",
    empty_kustomization => "empty-kustomization",
    flux_no_resources => "flux-no-resources",
    flux_no_resources_origins => "flux-no-resources-origins",
    namespace_custom_kinds => "namespace-custom-kinds",
    legacy_order => "legacy-order",
    block_scalar_at_eof => "block-scalar-at-eof",
    generator_merge_hash => "generator-merge-hash",
    generator_bytes => "generator-bytes",
    alias_as_key => "alias-as-key",
    folded_scalars => "folded-scalars",
    kustomize_cluster_scope => "kustomize-cluster-scope",
    builtin_plugins => "builtin-plugins",
    plugin_external => "plugin-external",
    plugin_helm_generator => "plugin-helm-generator",
    empty_collections => "empty-collections",
}

/// These cases print exactly what kubectl prints (origin and transformation annotations are
/// multi-line strings kubectl writes as literal blocks).
#[test]
fn build_metadata_cases_match_kubectl_byte_for_byte() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    for case in ["build-metadata", "build-annotations", "crds", "openapi-custom"] {
        let expected = std::fs::read_to_string(testdata().join(case).join("expected.yaml")).expect("expected.yaml");
        let out = resolver.build(case);
        assert_eq!(to_yaml(&out.resources, None), expected, "{case}");
    }
}

#[test]
fn build_metadata_values_point_at_their_option() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("build-metadata");
    let dep = out.resources.iter().find(|r| r.kind() == "Deployment").expect("deployment");
    let label = dep.root.get_path(&["metadata", "labels", "app.kubernetes.io/managed-by"]).expect("label");
    assert_eq!(line_of(&db, label), ("build-metadata/kustomization.yaml".into(), 6));
    let origin = dep.root.get_path(&["metadata", "annotations", "config.kubernetes.io/origin"]).expect("origin");
    assert_eq!(line_of(&db, origin), ("build-metadata/kustomization.yaml".into(), 4));
}

#[test]
fn missing_crds_file_is_fatal_at_its_entry() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("crds-missing");
    let issue = out.issues.iter().find(|i| i.fatal).expect("fatal issue");
    assert_eq!(issue.kind, BuildIssueKind::InputInvalid);
    assert_eq!(&db.get(issue.span.file).text[issue.span.range()], "crds/absent.json");
    assert_eq!(out.resources.len(), 1, "the rest is still resolved");
}

#[test]
fn openapi_of_a_base_under_a_top_without_one_is_reported_not_modelled() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("openapi-custom/nested/overlay");
    assert!(!out.fails(), "{:?}", out.issues);
    assert!(out.incomplete);
    let issue = out.issues.iter().find(|i| i.message.contains("openapi path")).expect("openapi issue");
    assert_eq!(db.get(issue.span.file).path, "openapi-custom/nested/with-schema/kustomization.yaml");
    // built as the top itself, the base's schema applies
    let own = resolver.build("openapi-custom/nested/with-schema");
    assert!(own.issues.is_empty(), "{:?}", own.issues);
}

#[test]
fn remote_resource_is_reported_and_the_rest_resolved() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("remote-resource");
    let remote: Vec<_> = out.issues.iter().filter(|i| i.kind == BuildIssueKind::RemoteResource).collect();
    assert_eq!(remote.len(), 2, "{:?}", out.issues);
    assert!(out.incomplete);
    assert_eq!(out.resources.len(), 1);
    let f = db.get(remote[0].span.file);
    assert_eq!(f.path, "remote-resource/kustomization.yaml");
}

#[test]
fn missing_file_points_at_the_entry() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("missing-file");
    let issue = out.issues.iter().find(|i| i.fatal).expect("fatal issue");
    let f = db.get(issue.span.file);
    assert_eq!(f.path, "missing-file/kustomization.yaml");
    assert_eq!(&f.text[issue.span.range()], "absent.yaml");
    assert_eq!(out.resources.len(), 1, "the rest is still resolved");
}

#[test]
fn cycle_is_reported_not_looped() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("cycle");
    assert!(out.issues.iter().any(|i| i.fatal && i.message.contains("cycle")), "{:?}", out.issues);
}

fn line_of(db: &FileDb, node: &Node) -> (String, u32) {
    let f = db.get(node.span.file);
    (f.path.clone(), f.line_col(node.span.start).line)
}

#[test]
fn provenance_of_a_patch_two_layers_down_from_the_top() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("provenance");
    let dep = out.resources.iter().find(|r| r.kind() == "Deployment").expect("deployment");
    let c =
        &dep.root.get_path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).expect("containers")[0];
    let mem = c.get_path(&["resources", "limits", "memory"]).expect("memory");
    assert_eq!(line_of(&db, mem), ("provenance/mid/resources-patch.yaml".into(), 12));
    let image = c.get("image").expect("image");
    assert_eq!(line_of(&db, image), ("provenance/base/deployment.yaml".into(), 17));
    let name = dep.root.get_path(&["metadata", "name"]).expect("name");
    assert_eq!(dep.name(), "top-web");
    assert_eq!(line_of(&db, name), ("provenance/kustomization.yaml".into(), 3));
    let ns = dep.root.get_path(&["metadata", "namespace"]).expect("namespace");
    assert_eq!(line_of(&db, ns), ("provenance/kustomization.yaml".into(), 4));
}

#[test]
fn origin_comments_name_file_and_line() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let out = resolver.build("provenance");
    let text = to_yaml(&out.resources, Some(&db));
    assert!(text.contains("memory: 512Mi # provenance/mid/resources-patch.yaml:12"), "{text}");
    assert!(text.contains("namespace: web # provenance/kustomization.yaml:4"), "{text}");
    // Still the same objects once the comments are parsed away.
    assert_eq!(objects(&text), objects(&to_yaml(&out.resources, None)));
}

#[test]
fn a_base_shared_by_overlays_is_resolved_once() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    let a = resolver.build("provenance/mid");
    let b = resolver.build("provenance/mid");
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

/// kustomize-controller builds an existing kustomization without `resources` after giving it
/// `buildMetadata: [originAnnotations]` in place of its own (fluxcd/pkg@e2cfd1a2
/// `kustomize/kustomize_generator.go` `GenerateManifest`: `if action == UnchangedAction &&
/// len(kus.Resources) == 0`): an empty one builds to nothing where kubectl fails, and one with
/// only generators and components prints what kubectl prints for that rewritten file.
#[test]
fn flux_builds_a_kustomization_without_resources_with_origin_annotations() {
    let (db, tree) = load();
    let resolver = Resolver::new(&tree, &db);
    assert!(resolver.build("empty-kustomization").fails(), "kubectl: kustomization.yaml is empty");
    let empty = resolver.build_flux("empty-kustomization");
    assert!(!empty.fails(), "{:?}", empty.issues);
    assert!(empty.resources.is_empty());

    let flux = resolver.build_flux("flux-no-resources");
    assert!(!flux.fails(), "{:?}", flux.issues);
    let expected =
        std::fs::read_to_string(testdata().join("flux-no-resources-origins/expected.yaml")).expect("expected.yaml");
    assert_eq!(to_yaml(&flux.resources, None), expected);
    // kubectl keeps the file's own buildMetadata
    let kubectl = std::fs::read_to_string(testdata().join("flux-no-resources/expected.yaml")).expect("expected.yaml");
    assert_eq!(to_yaml(&resolver.build("flux-no-resources").resources, None), kubectl);
}

/// kustomize-controller reads the top kustomization with the non-strict `yaml.Unmarshal`, so an
/// unknown field there is dropped (kubectl fails on it); a value of the wrong type still fails.
#[test]
fn flux_drops_unknown_fields_of_the_top_kustomization() {
    let mut db = FileDb::new();
    let dir = std::env::temp_dir().join(format!("fleetlint-flux-unknown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("kustomization.yaml"), "resources: [cm.yaml]\nunknownField: x\n").expect("write");
    std::fs::write(dir.join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n").expect("write");
    let tree = load_tree(&mut db, &dir, None, &Limits::default()).expect("load");
    let resolver = Resolver::new(&tree, &db);
    assert!(resolver.build("").fails(), "kubectl: unknown field");
    let flux = resolver.build_flux("");
    assert!(!flux.fails(), "{:?}", flux.issues);
    assert_eq!(flux.resources.len(), 1);
    std::fs::write(dir.join("kustomization.yaml"), "resources: [cm.yaml]\ncommonLabels: {x: y}\n").expect("write");
    let mut db = FileDb::new();
    let tree = load_tree(&mut db, &dir, None, &Limits::default()).expect("load");
    assert!(Resolver::new(&tree, &db).build_flux("").fails(), "y is a YAML 1.1 boolean");
    let _ = std::fs::remove_dir_all(&dir);
}
