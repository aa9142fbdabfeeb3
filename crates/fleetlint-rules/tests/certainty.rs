//! What fleetlint cannot know is not an error (brief: "an error must be certain"). The fixture
//! test compares the lines where a rule fires, whatever the severity; these tests pin the
//! severity where it depends on what the repository states.

use std::path::Path;

use fleetlint_fleet::{LoadOptions, Session, load};
use fleetlint_rules::{Severity, check};

/// `(file, line, severity, message)` of every finding of `code` in a fixture.
fn findings(fixture: &str, code: &str) -> Vec<(String, u32, Severity, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules").join(fixture);
    let s = load(&LoadOptions { root: dir, ..LoadOptions::default() }).unwrap();
    let outcome = check(&s);
    let mut out: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.code() == code)
        .map(|f| {
            let file = s.db.get(f.span.file);
            (file.path.clone(), file.line_col(f.span.start).line, f.severity, f.message.clone())
        })
        .collect();
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out
}

/// A fleet of `(path, text)` files written into a temporary directory, loaded (the directory is
/// returned to live as long as the session).
fn fleet_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let at = dir.path().join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    let s = load(&LoadOptions { root: dir.path().to_path_buf(), ..LoadOptions::default() }).unwrap();
    (dir, s)
}

fn severity_at(all: &[(String, u32, Severity, String)], file: &str, line: u32) -> Severity {
    all.iter().find(|f| f.0 == file && f.1 == line).unwrap_or_else(|| panic!("no finding at {file}:{line}: {all:?}")).2
}

/// A cluster that states no Flux version (`dev` in the fixture) may run a release that still
/// serves a removed API version, deprecated there: a warning (not an error), saying how to state
/// the version. Where the version is
/// stated (`old`: v2.6.0 in the config) a removal is an error; a version no release serves is
/// an error everywhere.
#[test]
fn api_removals_under_an_assumed_flux_version_are_warnings() {
    let all = findings("API001/fail", "API001");
    // OCIRepository v1beta2 (removed in 2.8) and HelmRelease v2beta1 (removed in 2.7), rendered
    // only in `dev`, whose version is assumed.
    for line in [1, 12] {
        assert_eq!(severity_at(&all, "apps/sources.yaml", line), Severity::Warning, "{all:?}");
    }
    let msg = &all.iter().find(|f| f.0 == "apps/sources.yaml" && f.1 == 1).unwrap().3;
    assert!(msg.contains("`clusterOverrides.<cluster>.fluxVersion`"), "{msg}");
    assert_eq!(severity_at(&all, "apps/sources.yaml", 38), Severity::Error, "kustomize v2 is served by no release");
    // `old` states v2.6.0, which still serves Kustomization v1beta2, deprecated: a warning.
    assert_eq!(severity_at(&all, "clusters/old/legacy.yaml", 1), Severity::Warning, "{all:?}");

    let all = findings("API002/fail", "API002");
    // `rollback.recreate` is deprecated only from Flux 2.8: on a cluster with no stated version
    // that cannot be known.
    assert_eq!(severity_at(&all, "clusters/dev/apps.yaml", 44), Severity::Info, "{all:?}");
    // A field the object's own apiVersion lacks fails whatever Flux runs.
    assert_eq!(severity_at(&all, "clusters/dev/apps.yaml", 13), Severity::Error, "{all:?}");
}

/// An unmapped Kustomization with neither `targetNamespace` nor a service account applies
/// whatever its files name, in any namespace: a Flux source missing in another namespace may be
/// there, as in its own (cluster `sbx` of the fixture). Elsewhere the error stays.
#[test]
fn a_missing_source_an_opaque_kustomization_could_create_is_a_warning_in_any_namespace() {
    let all = findings("SRC002/fail", "SRC002");
    let (_, _, severity, message) =
        all.iter().find(|f| f.0 == "clusters/sbx/releases.yaml").unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(*severity, Severity::Warning, "{message}");
    assert!(message.contains("unless Kustomization/flux-bootstrap/releases-platform"), "{message}");
    assert!(
        all.iter().any(|f| f.0.starts_with("clusters/prod/") && f.2 == Severity::Error),
        "prod has no opaque Kustomization: its missing Flux sources stay errors: {all:?}"
    );
}

/// A namespace nothing in Git creates may be created outside Git (Terraform, the tool that
/// installed Flux): an info, never an error, however many sources are mapped. The deadlock
/// (the creator is in Git, rendered by the failing Kustomization) stays an error.
#[test]
fn a_namespace_nothing_in_git_creates_is_not_an_error() {
    let all = findings("ORD004/fail", "ORD004");
    assert_eq!(severity_at(&all, "clusters/prod/apps.yaml", 10), Severity::Info, "{all:?}");
    assert_eq!(severity_at(&all, "releases/monitoring.yaml", 8), Severity::Info, "{all:?}");
    assert_eq!(severity_at(&all, "platform/team.yaml", 5), Severity::Error, "{all:?}");
    assert_eq!(severity_at(&all, "web/configmap.yaml", 5), Severity::Warning, "{all:?}");
}

/// A HelmRelease whose chart lives in the repository and declares a Flux Kustomization may
/// render the dependency fleetlint cannot find (cluster `hub` of the fixture): an info that
/// names it. The dependencies nothing could render stay errors.
#[test]
fn a_dependency_an_in_repo_chart_could_render_is_an_info() {
    let all = findings("ORD001/fail", "ORD001");
    let (_, _, severity, message) =
        all.iter().find(|f| f.0 == "clusters/hub/child-chart.yaml").unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(*severity, Severity::Info, "{message}");
    assert!(message.contains("unless HelmRelease"), "{message}");
    assert_eq!(severity_at(&all, "clusters/prod/apps.yaml", 10), Severity::Error, "{all:?}");
}

/// One finding per problem: a variable the Kustomization's postBuild does not define is one
/// finding at its `postBuild`, counting the uses and pointing at them, not one per use.
#[test]
fn an_unset_variable_is_one_finding_at_the_postbuild_that_lacks_it() {
    let all = findings("SRC007/fail", "SRC007");
    let grouped: Vec<_> = all.iter().filter(|f| f.3.contains("`CLUSTER_DOMAIN`")).collect();
    assert_eq!(grouped.len(), 1, "{all:?}");
    assert_eq!((grouped[0].0.as_str(), grouped[0].1), ("clusters/dev/apps.yaml", 13), "{grouped:?}");
    assert!(grouped[0].3.contains("(2 uses)"), "{}", grouped[0].3);
}

/// One object that three Kustomizations render, with no path overlap to explain it, is one
/// finding naming all three (it was one finding per pair with the first copy).
#[test]
fn an_object_rendered_by_three_kustomizations_is_one_finding() {
    let all = findings("SRC004/fail", "SRC004");
    let shared: Vec<_> = all.iter().filter(|f| f.3.starts_with("ConfigMap default/shared ")).collect();
    assert_eq!(shared.len(), 1, "{all:?}");
    assert!(shared[0].3.contains("3 Kustomizations"), "{}", shared[0].3);
}

/// A finding in a file (HYG003 in a kustomize Component) names the clusters whose builds apply
/// objects written there, not none.
#[test]
fn a_file_finding_in_a_component_names_the_clusters_that_use_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules/HYG003/fail");
    let s = load(&LoadOptions { root: dir, ..LoadOptions::default() }).unwrap();
    let outcome = check(&s);
    let f = outcome
        .findings
        .iter()
        .find(|f| f.code() == "HYG003" && s.db.get(f.span.file).path == "components/backup/secret.yaml")
        .expect("HYG003 in the component");
    assert_eq!(f.clusters, ["dev"]);
}

/// One finding per problem (heldout3 emerconn: five SRC006 errors for one root without
/// decryption): the Kustomization that lacks `spec.decryption` is one finding at its `spec`,
/// naming its encrypted objects and every cluster that renders it.
#[test]
fn a_kustomization_without_decryption_is_one_finding_naming_its_objects_and_clusters() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules/SRC006/fail");
    let s = load(&LoadOptions { root: dir, ..LoadOptions::default() }).unwrap();
    let outcome = check(&s);
    let all: Vec<_> = outcome.findings.iter().filter(|f| f.code() == "SRC006").collect();
    assert_eq!(all.len(), 1, "{all:?}");
    let f = all[0];
    assert_eq!(s.db.get(f.span.file).path, "clusters/common/apps.yaml");
    assert_eq!(f.clusters, ["prod", "staging"]);
    assert!(f.message.contains("renders 3 SOPS-encrypted object(s)"), "{}", f.message);
    assert!(f.message.contains("Secret apps/db"), "{}", f.message);
    assert_eq!(f.related.len(), 3, "each encrypted object is a related location: {:?}", f.related);
}

/// The schema of a kind whose CRD the cluster replaces with one fleetlint cannot read (the
/// FluxInstance deletes the stock OCIRepository CRD, the root re-adds it from a remote file) is
/// not known: one info for the kind that says why, no SCH001/SCH002 error.
#[test]
fn a_kind_whose_crd_may_be_replaced_is_an_info_not_an_error() {
    let all = findings("SCH003/fail", "SCH003");
    let (_, _, severity, message) =
        all.iter().find(|f| f.0 == "clusters/staging/sources.yaml").unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(*severity, Severity::Info);
    assert!(
        message.contains("a FluxInstance patch selects the CRD ocirepositories.source.toolkit.fluxcd.io"),
        "{message}"
    );
    assert!(
        message.contains("the remote resource https://raw.githubusercontent.com/fluxcd/source-controller/"),
        "{message}"
    );
    for code in ["SCH001", "SCH002"] {
        assert!(findings("SCH003/fail", code).iter().all(|f| f.0 != "clusters/staging/sources.yaml"), "{code}");
    }
}

/// Issue 14 point 1: when no cluster is found at all (a tenant or apps repository checked on
/// its own), every kustomization directory is judged on its own and its errors stay errors.
#[test]
fn without_clusters_each_kustomization_directory_is_judged_and_errors_stay_errors() {
    let (_dir, s) = fleet_of(&[(
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - missing.yaml\n",
    )]);
    assert!(s.fleet.clusters.is_empty());
    let outcome = check(&s);
    let src003: Vec<_> = outcome.findings.iter().filter(|f| f.code() == "SRC003").collect();
    assert_eq!(src003.len(), 1, "{src003:?}");
    assert_eq!(src003[0].severity, Severity::Error);
    assert!(src003[0].clusters.is_empty());
}

/// A second YAML document in a kustomization file is ignored by kustomize (heldout3 erwinntt:
/// a tenant never onboarded): a warning at that document, not an error (the build succeeds).
#[test]
fn a_second_document_in_a_kustomization_file_is_a_warning() {
    let all = findings("SRC003/fail", "SRC003");
    assert_eq!(severity_at(&all, "tenants/production/kustomization.yaml", 8), Severity::Warning, "{all:?}");
    let msg = &all.iter().find(|f| f.0 == "tenants/production/kustomization.yaml").unwrap().3;
    assert!(msg.contains("reads only the first YAML document"), "{msg}");
}

/// A missing file whose source sits beside it (`secrets.yaml.decrypted`, which a deploy script
/// encrypts into `secrets.yaml`) is made by tooling outside Git: outside every Flux build it is an
/// info (heldout4 devopscoop: 15 "no such file" errors on a template repository). A missing file
/// with no such source keeps its severity.
#[test]
fn a_missing_file_generated_outside_git_is_an_info_outside_flux_builds() {
    let all = findings("SRC003/fail", "SRC003");
    assert_eq!(severity_at(&all, "generated/kustomization.yaml", 7), Severity::Info, "{all:?}");
    let msg = &all.iter().find(|f| f.0 == "generated/kustomization.yaml").unwrap().3;
    assert!(msg.contains("`secrets.yaml.decrypted` beside it"), "{msg}");
    assert_eq!(severity_at(&all, "scratch/kustomization.yaml", 6), Severity::Warning, "{all:?}");

    // Without any cluster: a generator's file with its template beside it is an info, a file
    // with no source an error.
    let dir = tempfile::tempdir().unwrap();
    for (sub, entry) in [("a", "values.yaml=values.yaml"), ("b", "values.yaml=other.yaml")] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        let k = format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n  - name: v\n    files:\n      - {entry}\n"
        );
        std::fs::write(dir.path().join(sub).join("kustomization.yaml"), k).unwrap();
        std::fs::write(dir.path().join(sub).join("values.yaml.j2"), "replicas: {{ replicas }}\n").unwrap();
    }
    let s = load(&LoadOptions { root: dir.path().to_path_buf(), ..LoadOptions::default() }).unwrap();
    assert!(s.fleet.clusters.is_empty());
    let outcome = check(&s);
    let got: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.code() == "SRC003")
        .map(|f| (s.db.get(f.span.file).path.clone(), f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a/kustomization.yaml".to_string(), Severity::Info),
            ("b/kustomization.yaml".to_string(), Severity::Error)
        ],
        "{got:?}"
    );
}

/// A cluster directory copied from an example lists `./flux-system`, which `flux bootstrap`
/// writes (heldout4 opencenter's `examples/.../dev-cluster`): outside every Flux build, an info.
#[test]
fn a_missing_flux_system_directory_is_written_by_bootstrap() {
    let (_dir, s) = fleet_of(&[
        (
            "examples/dev-cluster/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux-system\n  - apps.yaml\n",
        ),
        ("examples/dev-cluster/apps.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apps\n"),
    ]);
    let outcome = check(&s);
    let got: Vec<_> = outcome.findings.iter().filter(|f| f.code() == "SRC003").collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].severity, Severity::Info, "{got:?}");
    assert!(got[0].message.contains("`flux bootstrap` writes `flux-system/`"), "{}", got[0].message);
}

/// An unknown field of a built-in kind never reaches the API server: kustomize-controller
/// converts the object through its Go type first, which drops it (a warning). A custom
/// resource's unknown field, and a Role's (not normalized), fail server-side apply (an error).
#[test]
fn an_unknown_field_flux_drops_before_applying_is_a_warning() {
    let all = findings("SCH002/fail", "SCH002");
    // RoleBinding `roleRef.namespace`, StatefulSet `spec.template.metadata.metadata`.
    for line in [12, 30] {
        assert_eq!(severity_at(&all, "apps/native.yaml", line), Severity::Warning, "{all:?}");
    }
    let help_of = |file: &str, line: u32| {
        let f = all.iter().find(|f| f.0 == file && f.1 == line).unwrap();
        f.3.clone()
    };
    assert!(help_of("apps/native.yaml", 12).contains("roleRef.namespace"));
    assert_eq!(severity_at(&all, "apps/native.yaml", 47), Severity::Error, "Role is applied as written: {all:?}");
    // A custom resource's and a Flux Kustomization's unknown fields stay errors.
    assert_eq!(severity_at(&all, "apps/objects.yaml", 17), Severity::Error, "{all:?}");
    assert_eq!(severity_at(&all, "clusters/dev/apps.yaml", 13), Severity::Error, "{all:?}");
}

/// Copies of a shared Component's object that differ only in what each Kustomization stamps
/// (its `commonMetadata` labels and annotations) are identical copies: a warning. A label the
/// build itself writes on one copy makes them differ: an error.
#[test]
fn copies_differing_only_in_stamped_metadata_are_identical() {
    let all = findings("SRC004/fail", "SRC004");
    assert_eq!(severity_at(&all, "components/app-template/ocirepository.yaml", 7), Severity::Warning, "{all:?}");
    assert_eq!(severity_at(&all, "components/chart-repo/helmrepository.yaml", 6), Severity::Error, "{all:?}");
}

/// A label value that is not a string does not fail the apply: kustomize-controller drops the
/// object's labels (fluxcd/pkg ssa `SetOwnerLabels` reads them as strings). A warning saying so;
/// other type errors stay errors.
#[test]
fn a_label_value_that_is_not_a_string_is_a_warning() {
    let all = findings("SCH001/fail", "SCH001");
    let label = all.iter().find(|f| f.3.contains("metadata.labels")).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(label.2, Severity::Warning, "{label:?}");
    assert!(label.3.contains("without any of its labels"), "{label:?}");
    assert_eq!(severity_at(&all, "apps/objects.yaml", 7), Severity::Error, "{all:?}");
}

/// A health check of a Flux object no Kustomization renders is an error, unless a HelmRelease
/// of a chart that creates Flux objects (flux-instance) installs into its namespace: fleetlint
/// does not render charts, so that is an info.
#[test]
fn a_health_check_a_flux_chart_may_satisfy_is_an_info() {
    let all = findings("HYG005/fail", "HYG005");
    let instance = all.iter().find(|f| f.3.contains("FluxInstance")).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(instance.2, Severity::Info, "{instance:?}");
    assert!(instance.3.contains("HelmRelease flux-system/flux-instance"), "{instance:?}");
    assert_eq!(severity_at(&all, "clusters/dev/infra.yaml", 22), Severity::Error, "{all:?}");
}

/// A must-match kustomize entry (`replicas`, a generator's `behavior: merge`, a `replacements`
/// source) whose object fleetlint does not find, in a build that left a remote base out: the
/// object may be there (kubernetes-sigs/kustomize@12f9e639 `ReplicaCountTransformer.Transform`
/// fails only when the complete build lacks it), so an info, not an error (sweep class B1).
#[test]
fn a_must_match_entry_of_a_build_with_a_remote_base_is_an_info() {
    let all = findings("SRC003/fail", "SRC003");
    for line in [10, 13, 17] {
        assert_eq!(severity_at(&all, "remote-base/kustomization.yaml", line), Severity::Info, "{all:?}");
    }
    let msg = &all.iter().find(|f| f.0 == "remote-base/kustomization.yaml" && f.1 == 10).unwrap().3;
    assert!(msg.contains("leaves out inputs it does not fetch"), "{msg}");
}

/// A makejinja input tree (`templates/config/**`) lists a directory whose kustomization file
/// exists only as `kustomization.yaml.j2`: the renderer writes it, outside Git, so an info
/// (sweep class A9).
#[test]
fn a_directory_whose_kustomization_is_a_template_is_an_info() {
    let all = findings("SRC003/fail", "SRC003");
    assert_eq!(severity_at(&all, "templates/config/repos/kustomization.yaml", 7), Severity::Info, "{all:?}");
    let msg = &all.iter().find(|f| f.0 == "templates/config/repos/kustomization.yaml").unwrap().3;
    assert!(msg.contains("`app-template/kustomization.yaml.j2`"), "{msg}");
}

/// A Helm chart's tree in a repository without clusters (a bootstrapper's templates): neither
/// its `{{ .Values.x }}` kustomization nor the templates a kustomization inside it lists are
/// kustomize or YAML errors (sweep class B3).
#[test]
fn a_helm_charts_tree_no_flux_build_reaches_is_not_judged() {
    for code in ["SRC003", "SRC010"] {
        let all = findings("SRC010/pass", code);
        assert!(all.is_empty(), "{code}: {all:?}");
    }
}

/// ORD003 grades a CRD applied after its custom resource by consequence, as ORD004 does for
/// namespaces: a deadlock (the CRD's Kustomization is rendered by the failing one) is an error;
/// a sibling without `dependsOn`, which a retry heals, a warning; a provider known only from
/// the built-in chart table, a warning.
#[test]
fn crd_ordering_is_an_error_only_when_it_deadlocks() {
    let all = findings("ORD003/fail", "ORD003");
    assert_eq!(severity_at(&all, "stack/widget.yaml", 4), Severity::Error, "{all:?}");
    let deadlock = &all.iter().find(|f| f.0 == "stack/widget.yaml").unwrap().3;
    assert!(deadlock.contains("renders that Kustomization itself"), "{deadlock}");
    assert_eq!(severity_at(&all, "configs/issuer.yaml", 2), Severity::Warning, "{all:?}");
    let sibling = &all.iter().find(|f| f.0 == "configs/issuer.yaml").unwrap().3;
    assert!(sibling.contains("a retry succeeds"), "{sibling}");
    assert_eq!(severity_at(&all, "secrets/database.yaml", 2), Severity::Warning, "{all:?}");
}

/// SRC010 is an error only where a Flux build reaches the file (or, without clusters, where any
/// kustomization includes it): a template that only a kustomization no cluster builds includes
/// is a warning saying so; a file nothing includes stays an info.
#[test]
fn invalid_yaml_outside_every_flux_build_is_not_an_error() {
    let all = findings("SRC010/fail", "SRC010");
    let template = all.iter().find(|f| f.0 == ".templates/app/cm.yaml").unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(template.2, Severity::Warning, "{all:?}");
    assert!(template.3.contains("no cluster's Flux build reaches it"), "{}", template.3);
    assert!(all.iter().filter(|f| f.0 == "broken-indent.yaml").all(|f| f.2 == Severity::Info), "{all:?}");
}

/// A FluxInstance's `kustomize.patches` that fail against fleetlint's model of the operator's
/// manifests are an info: the operator's own profile patches come first (heldout5, yesid).
#[test]
fn a_flux_instance_patch_that_fails_on_the_modelled_manifests_is_an_info() {
    let all = findings("SRC003/fail", "SRC003");
    let f = all
        .iter()
        .find(|f| f.0 == "clusters/operator/flux-system/flux-instance.yaml")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(f.2, Severity::Info, "{all:?}");
    assert!(f.3.contains("whether it applies is not known"), "{}", f.3);
}

/// Outside every Flux build, an overlay built with kustomize plugins (KSOPS, for local
/// development) and a bootstrap template whose `gotk-*.yaml` bootstrap writes are infos
/// (heldout10: mstaicu/aperitif, opipenbe/pilvelaevastik); in a Flux build both stay errors.
#[test]
fn plugin_overlays_and_bootstrap_templates_no_flux_build_reaches_are_infos() {
    let all = findings("SRC003/fail", "SRC003");
    let plugin = all.iter().find(|f| f.0 == "local-dev/ksops-generator.yaml").unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(plugin.2, Severity::Info, "{all:?}");
    assert!(plugin.3.contains("kustomize with plugins enabled, not for Flux"), "{}", plugin.3);
    assert_eq!(severity_at(&all, "tofu-template/kustomization.yaml", 6), Severity::Info, "{all:?}");
}

/// A cluster whose root Git does not hold (the `clusters/*` convention) is applied by something
/// outside Git, a head repository or a README's commands, which may define the sources its
/// releases name (heldout8, brainfair/awesome-flux-infra): a missing HelmRepository is a
/// warning there. With the root in Git (bootstrap files), it is an error.
#[test]
fn a_missing_source_on_a_cluster_whose_root_is_outside_git_is_a_warning() {
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: app\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n";
    let sync = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/fleet.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/home\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
    for (bootstrapped, want) in [(false, Severity::Warning), (true, Severity::Error)] {
        let mut files = vec![("clusters/home/app.yaml", release)];
        if bootstrapped {
            files.push(("clusters/home/flux-system/gotk-sync.yaml", sync));
        }
        let (_dir, s) = fleet_of(&files);
        assert_eq!(s.fleet.clusters.len(), 1);
        let outcome = check(&s);
        let got: Vec<_> = outcome.findings.iter().filter(|f| f.code() == "SRC002").collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].severity, want, "{got:?}");
        assert_eq!(got[0].message.contains("outside Git"), !bootstrapped, "{}", got[0].message);
    }
}

/// A cluster directory whose `flux-system/kustomization.yaml` lists the `gotk-*.yaml` files
/// bootstrap writes, none of them in Git: no sync objects, so the cluster is synthesized and
/// bootstrap has not run yet (heldout8, nmarghetti's `flux/template`): an info naming the
/// cluster, not an error.
#[test]
fn bootstrap_files_missing_from_a_cluster_not_bootstrapped_are_an_info() {
    let (_dir, s) = fleet_of(&[
        (
            "clusters/home/flux-system/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n",
        ),
        ("clusters/home/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\n"),
    ]);
    assert_eq!(s.fleet.clusters.len(), 1, "{:?}", s.fleet.rejected);
    let outcome = check(&s);
    let got: Vec<_> = outcome.findings.iter().filter(|f| f.code() == "SRC003").collect();
    assert!(!got.is_empty(), "{:?}", outcome.findings);
    assert!(got.iter().all(|f| f.severity == Severity::Info && f.clusters == ["home"]), "{got:?}");
}

/// A custom resource holding only metadata, without its required `spec`, merges into the live
/// object under server-side apply (heldout13, Michaelpalacce/HomeLab's annotation-only
/// HTTPRoutes): a warning. A wrong value stays an error.
#[test]
fn a_metadata_only_object_missing_its_spec_is_a_warning() {
    let all = findings("SCH001/fail", "SCH001");
    assert_eq!(severity_at(&all, "apps/objects.yaml", 64), Severity::Warning, "{all:?}");
    assert_eq!(severity_at(&all, "apps/objects.yaml", 26), Severity::Error, "{all:?}");
}

/// A template tree that tooling copies and fills (`templates/`), which no Flux build reaches:
/// its missing files are an info (heldout14, olga-mir/k8s-multi-cluster).
#[test]
fn a_template_tree_no_flux_build_reaches_is_an_info() {
    let all = findings("SRC003/fail", "SRC003");
    assert_eq!(severity_at(&all, "templates/cluster/kustomization.yaml", 6), Severity::Info, "{all:?}");
    let f = all.iter().find(|f| f.0 == "templates/cluster/kustomization.yaml").unwrap();
    assert!(f.3.contains("a template tree"), "{}", f.3);
}

/// A repeated key in a YAML file that holds no Kubernetes object and that no build reaches (an
/// application's configuration a configMapGenerator embeds as text) is an info: kustomize never
/// parses it (heldout15, oscaromeu/home-ops's Fluent Bit `rename:`). In a manifest, a warning.
#[test]
fn a_repeated_key_in_an_application_config_is_an_info() {
    let all = findings("HYG006/fail", "HYG006");
    assert_eq!(severity_at(&all, "fluent-bit/parsers.yaml", 7), Severity::Info, "{all:?}");
    assert_eq!(severity_at(&all, "duplicate.yaml", 12), Severity::Warning, "{all:?}");
}
