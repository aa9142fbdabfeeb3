//! Issue 11's layouts: fixture fleets under `testdata/discovery/`, each with the clusters a Flux
//! engineer would name (name, root path, entry kind, root object).

use std::path::PathBuf;

use fleetlint_fleet::{Cluster, EntryKind, FoundReason, LoadOptions, RejectReason, Session, load};

fn session(fleet: &str, globs: &[&str]) -> Session {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery").join(fleet);
    let clusters = globs.iter().map(|g| (*g).to_string()).collect();
    load(&LoadOptions { root, clusters, ..LoadOptions::default() }).expect("loads")
}

/// `(name, path, entry)` of every cluster.
fn found(s: &Session) -> Vec<(&str, &str, EntryKind)> {
    s.fleet.clusters.iter().map(|c| (c.name.as_str(), c.path.as_str(), c.entry)).collect()
}

fn root_object(c: &Cluster) -> &fleetlint_fleet::RenderedObject {
    let FoundReason::SelfManaged { kustomization, .. } = &c.found_by.reason else {
        panic!("{} is not self-managed: {:?}", c.name, c.found_by)
    };
    let id = format!("Kustomization/{kustomization}");
    c.objects.iter().find(|o| o.id() == id && !o.synthesized).unwrap_or_else(|| panic!("{}: no {id}", c.name))
}

#[test]
fn a_root_in_a_shared_base_patched_per_cluster() {
    let s = session("shared-base", &[]);
    assert_eq!(
        found(&s),
        [("eu-1", "envs/prod/eu-1", EntryKind::SelfManaged), ("eu-2", "envs/prod/eu-2", EntryKind::SelfManaged)]
    );
    for c in &s.fleet.clusters {
        let root = root_object(c);
        // The real root counts: its decryption, never a synthesized stand-in.
        assert!(root.root.get_path(&["spec", "decryption"]).is_some(), "{}", c.name);
        assert!(c.objects.iter().all(|o| o.id() != "GitRepository/flux-system/flux-system"), "nothing synthesized");
        // The root's build reaches the apps Kustomization and what it renders.
        assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"), "{}", c.name);
        let path = root.root.get_path(&["spec", "path"]).and_then(fleetlint_yaml::Node::as_str);
        assert_eq!(path, Some(format!("./{}", c.path).as_str()));
    }
    // No root is synthesized at envs/prod above the real ones.
    assert!(s.fleet.clusters.iter().all(|c| c.path != "envs/prod" && c.path != "envs/prod/base"));
}

#[test]
fn a_self_managed_root_whose_source_is_created_outside_git() {
    let s = session("outside-source", &[]);
    assert_eq!(found(&s), [("mc1", "fleet/mc1", EntryKind::SelfManaged)]);
    let c = &s.fleet.clusters[0];
    assert_eq!(root_object(c).id(), "Kustomization/default/mc1");
    let FoundReason::SelfManaged { source, source_defined, .. } = &c.found_by.reason else { unreachable!() };
    assert_eq!((source.as_str(), *source_defined), ("GitRepository/default/my-repo", false));
    // The undefined source is the checked repository: the build runs.
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"));
}

#[test]
fn hand_written_bootstrap_objects_are_not_synthesized_again() {
    let s = session("hand-written", &[]);
    assert_eq!(found(&s), [("c1", "clusters/c1", EntryKind::SelfManaged)]);
    let c = &s.fleet.clusters[0];
    for id in ["GitRepository/flux-system/flux-system", "Kustomization/flux-system/flux-system"] {
        let copies: Vec<_> = c.objects.iter().filter(|o| o.id() == id).collect();
        assert_eq!(copies.len(), 1, "{id}");
        assert!(!copies[0].synthesized, "{id} is the repository's");
    }
    assert!(c.build_issues.iter().all(|i| !i.fatal), "{:?}", c.build_issues);
}

#[test]
fn a_shared_cluster_base_is_not_a_cluster() {
    let s = session("shared-cluster-base", &[]);
    assert_eq!(found(&s), [("prod", "clusters/team-a/prod", EntryKind::SelfManaged)]);
}

#[test]
fn cluster_globs_name_the_directory_of_the_root() {
    // `*` does not cross `/`: only clusters/c1 is named, and its real root is kept.
    let s = session("hand-written", &["clusters/*"]);
    assert_eq!(found(&s), [("c1", "clusters/c1", EntryKind::SelfManaged)]);
    // A glob naming a directory without a root makes it one (entry `config`).
    let s = session("outside-source", &["fleet"]);
    assert_eq!(found(&s), [("mc1", "fleet/mc1", EntryKind::SelfManaged)]);
    let s = session("shared-base", &["envs/*"]);
    assert_eq!(
        found(&s),
        [("eu-1", "envs/prod/eu-1", EntryKind::SelfManaged), ("eu-2", "envs/prod/eu-2", EntryKind::SelfManaged)]
    );
    let s = session("shared-base", &["apps"]);
    assert_eq!(found(&s), [("apps", "apps", EntryKind::Config)]);
    assert!(s.fleet.rejected.iter().any(|r| r.path == "envs/prod/eu-1" && r.reason == RejectReason::NotSelected));
}

#[test]
fn a_flux_instance_in_generated_helm_values_with_an_artifact_pushed_from_a_subdirectory() {
    let s = session("instance-values", &[]);
    assert_eq!(found(&s), [("c1", "deploy/clusters/c1", EntryKind::FluxInstance)]);
    let c = &s.fleet.clusters[0];
    assert_eq!(c.source_root.as_deref(), Some("deploy"));
    let FoundReason::FluxInstance { carrier } = &c.found_by.reason else { panic!("{:?}", c.found_by) };
    assert_eq!(carrier, "ResourceSet/flux-system/flux-instance");
    // Inline values are merged last: multitenant true wins over the ConfigMap's false.
    let lockdown = c.controllers.lockdown();
    assert!(lockdown.known && lockdown.no_cross_namespace_refs && lockdown.no_remote_bases, "{lockdown:?}");
    // The root's path is resolved against the source root: the cluster directory is built.
    let root = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/flux-system").unwrap();
    let node = c.kustomization_of(root).unwrap();
    assert_eq!(node.path, "deploy/clusters/c1");
    assert!(node.built);
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"));
}

#[test]
fn a_kustomization_built_from_an_external_artifact_is_opaque() {
    let s = session("hand-written", &[]);
    let c = &s.fleet.clusters[0];
    let apps = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/apps").expect("rendered by the root");
    assert_eq!(c.kustomization_of(apps).unwrap().source, fleetlint_fleet::SourceResolution::Unmapped);
    assert!(c.issues.iter().any(|i| i.object == Some(apps)
        && matches!(&i.kind, fleetlint_fleet::FleetIssueKind::SourceNotMapped { source_kind, .. } if source_kind == "ExternalArtifact")));
    assert_eq!(c.opaque_count(), 1);
}

#[test]
fn a_path_variable_set_from_outside_git_is_unknown_not_missing() {
    let s = session("hand-written", &[]);
    let c = &s.fleet.clusters[0];
    let child = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/child").expect("rendered");
    let kinds: Vec<&fleetlint_fleet::FleetIssueKind> =
        c.issues.iter().filter(|i| i.object == Some(child)).map(|i| &i.kind).collect();
    assert_eq!(
        kinds,
        [&fleetlint_fleet::FleetIssueKind::PathUnknown {
            raw: "./apps/${CLUSTER_NAME}".into(),
            variables: vec!["CLUSTER_NAME".into()]
        }]
    );
}

fn rejected<'a>(s: &'a Session, path: &str) -> &'a RejectReason {
    &s.fleet
        .rejected
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("{path} not rejected: {:?}", s.fleet.rejected))
        .reason
}

#[test]
fn bootstrap_leftovers_beside_a_live_root_are_rejected_with_the_reason() {
    let s = session("stale-bootstrap", &[]);
    // The names are taken below the container of the kept roots only.
    assert_eq!(found(&s), [("prod", "clusters/prod", EntryKind::GotkSync)]);
    // (a) clusters/old's kustomization.yaml does not include flux-system: its build does not
    // render the root of its gotk-sync.yaml.
    assert_eq!(
        rejected(&s, "clusters/old"),
        &RejectReason::StaleBootstrap { kustomization: "flux-system/flux-system".to_string() }
    );
    // (b) flux/ only installs Flux, and the live root's build reads its patches.
    assert_eq!(
        rejected(&s, "flux"),
        &RejectReason::ReadBy {
            cluster: "prod".to_string(),
            file: "flux/flux-system/patches/concurrency.yaml".to_string()
        }
    );
    // (c) only gotk-components.yaml: no root is synthesized there.
    assert_eq!(rejected(&s, "bootstrap/flux"), &RejectReason::ComponentsOnly);
    // The live root is built with what it reads from flux/.
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"));
    let kc = c.objects.iter().find(|o| o.id() == "Deployment/flux-system/kustomize-controller").expect("components");
    let args = kc.root.get_path(&["spec", "template", "spec", "containers"]).and_then(|n| n.as_seq()).unwrap()[0]
        .get("args")
        .and_then(|a| a.as_seq())
        .unwrap();
    assert!(args.iter().any(|a| a.as_str() == Some("--concurrent=20")), "{args:?}");
}

#[test]
fn a_lone_bootstrap_leftover_stays_a_cluster() {
    // With no other root, each candidate is kept: discovery never leaves a fleet without clusters
    // on a guess.
    let s = session("stale-lone", &[]);
    assert_eq!(
        found(&s),
        [
            ("bootstrap/flux", "bootstrap/flux", EntryKind::Synthesized),
            ("clusters/old", "clusters/old", EntryKind::GotkSync)
        ]
    );
    assert!(s.fleet.rejected.is_empty(), "{:?}", s.fleet.rejected);
}

#[test]
fn a_self_managing_root_read_from_an_oci_artifact_pushed_from_its_directory() {
    let s = session("artifact-root", &[]);
    assert_eq!(found(&s), [("local", "kubernetes/clusters/local", EntryKind::SelfManaged)]);
    let c = &s.fleet.clusters[0];
    assert_eq!(root_object(c).id(), "Kustomization/flux-system/cluster-sync");
    let FoundReason::SelfManaged { source, source_defined, .. } = &c.found_by.reason else { unreachable!() };
    assert_eq!((source.as_str(), *source_defined), ("OCIRepository/flux-system/cluster-source", true));
    assert_eq!(c.source_root.as_deref(), Some("kubernetes/clusters/local"));
    // `./` of the artifact is the cluster directory: the root builds it (and renders apps, whose
    // own artifact is unknown: opaque).
    let root = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/cluster-sync");
    let node = c.kustomization_of(root.expect("root")).expect("walked");
    assert_eq!(node.path, "kubernetes/clusters/local");
    assert!(node.built);
    let apps = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/apps").expect("rendered by the root");
    assert_eq!(c.kustomization_of(apps).map(|k| k.source.clone()), Some(fleetlint_fleet::SourceResolution::Unmapped));
    assert!(c.objects.iter().all(|o| o.id() != "GitRepository/flux-system/flux-system"), "nothing synthesized");
}

#[test]
fn an_oci_root_mapped_to_its_own_directory_stays_the_root() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/artifact-root");
    let sources = vec![
        format!("oci://registry.local:5000/cluster-sync={}", base.join("kubernetes/clusters/local").display()),
        format!("oci://registry.local:5000/apps-sync={}", base.join("kubernetes/apps").display()),
    ];
    let s = load(&LoadOptions { root: base, sources, ..LoadOptions::default() }).expect("loads");
    assert_eq!(found(&s), [("local", "kubernetes/clusters/local", EntryKind::SelfManaged)]);
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/podinfo"), "the mapped apps artifact is built");
}

#[test]
fn an_ambiguous_source_root_builds_no_cluster_and_says_why() {
    let s = session("ambiguous-source-root", &[]);
    assert_eq!(found(&s), []);
    for d in ["a/clusters/c1", "b/clusters/c1"] {
        assert_eq!(rejected(&s, d), &RejectReason::AmbiguousSourceRoot { path: "clusters/c1".to_string() });
    }
    let [issue] = s.fleet.issues.as_slice() else { panic!("{:?}", s.fleet.issues) };
    assert_eq!(
        issue.kind,
        fleetlint_fleet::FleetIssueKind::AmbiguousSourceRoot {
            path: "clusters/c1".to_string(),
            candidates: vec!["a/clusters/c1".to_string(), "b/clusters/c1".to_string()],
        }
    );
    assert_eq!(s.db.get(issue.span.file).path, "flux/instance.yaml");
}

#[test]
fn a_root_applied_by_hand_and_an_archived_bootstrap() {
    let s = session("applied-by-hand", &[]);
    // Flux builds the path of the Kustomization applied by hand; the cluster is named after the
    // directory it is applied from.
    assert_eq!(found(&s), [("c0", "k8s/clusters/c0/flux/deploy", EntryKind::SelfManaged)]);
    let c = &s.fleet.clusters[0];
    let FoundReason::AppliedByHand { kustomization, source, from } = &c.found_by.reason else {
        panic!("{:?}", c.found_by)
    };
    assert_eq!(
        (kustomization.as_str(), source.as_str(), from.as_str()),
        ("flux-system/cluster-deployment", "GitRepository/flux-system/fleet", "k8s/clusters/c0")
    );
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"), "the graph is walked");
    assert_eq!(c.territory(), "k8s/clusters/c0");
    for id in ["Kustomization/flux-system/cluster-deployment", "GitRepository/flux-system/fleet"] {
        assert!(c.objects.iter().any(|o| o.id() == id && !o.synthesized), "{id} is the repository's");
    }
    assert!(c.objects.iter().all(|o| o.id() != "Kustomization/flux-system/flux-system"), "no synthesized root");
    // archive/ is not a repository kept in a subdirectory (the URL names the checked one): its
    // gotk-sync.yaml builds ./cluster/base, which is gone.
    assert_eq!(
        rejected(&s, "archive/cluster/base"),
        &RejectReason::SyncPathElsewhere { path: "./cluster/base".to_string() }
    );
}

#[test]
fn a_flux_instance_names_its_sync_objects_after_sync_name() {
    let s = session("instance-sync-name", &[]);
    assert_eq!(found(&s), [("c1", "clusters/c1", EntryKind::FluxInstance)]);
    let c = &s.fleet.clusters[0];
    for id in ["GitRepository/flux-system/cluster-repository", "Kustomization/flux-system/cluster-repository"] {
        assert!(c.objects.iter().any(|o| o.id() == id && o.synthesized), "{id}");
    }
    // Kustomizations reading the source by that name read the checked tree.
    let apps = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/apps").expect("rendered by the root");
    assert_eq!(c.kustomization_of(apps).map(|k| k.source.clone()), Some(fleetlint_fleet::SourceResolution::Tree(0)));
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/app"));
}

#[test]
fn a_source_mapping_settles_an_ambiguous_source_root() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery/ambiguous-source-root");
    let sources = vec![format!("oci://ghcr.io/example/manifests={}", base.join("b").display())];
    let s = load(&LoadOptions { root: base, sources, ..LoadOptions::default() }).expect("loads");
    assert_eq!(found(&s), [("c1", "b/clusters/c1", EntryKind::FluxInstance)]);
    assert_eq!(s.fleet.clusters[0].source_root.as_deref(), Some("b"));
    assert!(s.fleet.issues.is_empty(), "{:?}", s.fleet.issues);
}

#[test]
fn instance_patches_apply_to_the_synthesized_controllers_as_upstream() {
    // The controller Deployments carry resources.limits/requests on containers[0] as upstream's
    // do: JSON6902 add/remove there applies (sweep A7).
    let s = session("instance-patches", &[]);
    assert_eq!(found(&s), [("prod", "clusters/prod", EntryKind::FluxInstance)]);
    let c = &s.fleet.clusters[0];
    assert!(c.build_issues.is_empty(), "{:?}", c.build_issues);
    let container = |name: &str| {
        let d = c.objects.iter().find(|o| o.id() == format!("Deployment/flux-system/{name}")).expect(name);
        d.root.get_path(&["spec", "template", "spec", "containers"]).and_then(|n| n.as_seq()).unwrap()[0].clone()
    };
    let hc = container("helm-controller");
    assert_eq!(hc.get_path(&["resources", "requests", "memory"]).and_then(|n| n.as_str()), Some("160Mi"));
    let kc = container("kustomize-controller");
    assert!(kc.get_path(&["resources", "limits"]).is_none() && kc.get_path(&["resources", "requests"]).is_some());
}

#[test]
fn a_flux_instance_rendered_inside_a_cluster_is_that_cluster() {
    // The self-managed root `cluster` (./flux) renders flux/cluster/ks.yaml, whose cluster-apps
    // renders the flux-instance HelmRelease syncing flux/cluster: one cluster, not two (sweep A6).
    let s = session("instance-in-graph", &[]);
    assert_eq!(found(&s), [("flux", "flux", EntryKind::SelfManaged)]);
    let RejectReason::InstanceRenderedBy { cluster, kustomization, carrier } = rejected(&s, "flux/cluster") else {
        panic!("{:?}", s.fleet.rejected)
    };
    assert_eq!(
        (cluster.as_str(), kustomization.as_str(), carrier.as_str()),
        ("flux", "Kustomization flux-system/cluster-apps", "HelmRelease/flux-system/flux-instance")
    );
    // The HelmRepository the outer root applies is in the same cluster as the release using it.
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "HelmRepository/flux-system/bjw-s"));
    assert!(c.objects.iter().any(|o| o.id() == "HelmRelease/default/myapp"));
}

#[test]
fn a_flux_instance_without_sync_is_not_a_root() {
    // flux-operator generates no source and no Kustomization without spec.sync (sweep B6).
    let s = session("instance-no-sync", &[]);
    assert_eq!(found(&s), []);
    assert_eq!(
        rejected(&s, ""),
        &RejectReason::InstanceWithoutSync { carrier: "FluxInstance/flux-system/flux".to_string() }
    );
}

#[test]
fn a_synthesized_root_reads_the_source_its_kustomizations_name() {
    // clusters/production is found by convention; its Kustomizations read GitRepository
    // platform-team, created outside Git with the root: the root's own source (sweep B7).
    let s = session("outside-root-source", &[]);
    assert_eq!(found(&s), [("production", "clusters/production", EntryKind::Synthesized)]);
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "GitRepository/flux-system/platform-team" && o.synthesized));
    let apps = c.objects.iter().position(|o| o.id() == "Kustomization/flux-system/apps").expect("rendered");
    assert_eq!(c.kustomization_of(apps).map(|k| k.source.clone()), Some(fleetlint_fleet::SourceResolution::Tree(0)));
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/hello"), "the children are built");
}

#[test]
fn a_flux_instance_in_another_namespace_names_its_sync_objects_after_it() {
    // The flux-instance chart creates the FluxInstance in the release namespace (gitops-system,
    // from the parent's targetNamespace); flux-operator names the sync objects after that
    // namespace, which is what the Kustomizations read (sweep A12).
    let s = session("instance-namespace", &[]);
    assert_eq!(found(&s), [("prod", "clusters/prod", EntryKind::FluxInstance)]);
    let c = &s.fleet.clusters[0];
    for id in ["GitRepository/gitops-system/gitops-system", "Kustomization/gitops-system/gitops-system"] {
        assert!(c.objects.iter().any(|o| o.id() == id && o.synthesized), "{id}");
    }
    let web = c.objects.iter().position(|o| o.id() == "Kustomization/gitops-system/web").expect("rendered");
    assert_eq!(c.kustomization_of(web).map(|k| k.source.clone()), Some(fleetlint_fleet::SourceResolution::Tree(0)));
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/web"), "the children are built");
}

#[test]
fn an_argo_cd_repository_without_flux_objects_has_no_conventional_cluster() {
    // An Argo CD repository's clusters/<name>/: nothing says kustomize-controller builds it (B11).
    let s = session("no-flux-objects", &[]);
    assert_eq!(found(&s), []);
}

#[test]
fn a_root_created_outside_git_applies_its_flux_system_alone_when_the_directory_would_duplicate_it() {
    // `flux` reads Flux's release artifact (`path: ./` is that artifact's root, not this
    // directory), so nothing in Git says what the root applies. clusters/home has no
    // kustomization.yaml: building it would recurse into cilium/, which flux-system's own
    // Kustomization cilium applies, and into bootstrap/ (kubectl only). The root applies
    // clusters/home/flux-system (sweep A13, USA-RedDragon/home-cluster-flux).
    let s = session("root-applies-flux-system", &[]);
    assert_eq!(found(&s), [("home", "clusters/home", EntryKind::Synthesized)]);
    let c = &s.fleet.clusters[0];
    let root =
        c.objects.iter().find(|o| o.id() == "Kustomization/flux-system/flux-system" && o.synthesized).expect("root");
    assert_eq!(root.root.get_path(&["spec", "path"]).and_then(|p| p.as_str()), Some("./clusters/home/flux-system"));
    let settings: Vec<_> = c.objects.iter().filter(|o| o.id() == "ConfigMap/kube-system/cilium-settings").collect();
    assert_eq!(settings.len(), 1, "applied once, by cilium");
    assert_eq!(settings[0].owner_id(), Some("Kustomization/flux-system/cilium"));
}

#[test]
fn the_convention_skips_argo_cd_directories_and_shared_bases() {
    // One Flux leftover keeps the convention on, but a clusters/<name> without a Flux object of
    // its own is no cluster when Argo CD objects live there or another directory includes it as
    // a base (round 2, soerenschneider/k8s-gitops: 46 false SRC008 errors on clusters/common).
    let s = session("argo-with-flux-leftovers", &[]);
    assert_eq!(found(&s), [("plain", "clusters/plain", EntryKind::Synthesized)]);
    let reasons: Vec<(&str, &RejectReason)> = s.fleet.rejected.iter().map(|r| (r.path.as_str(), &r.reason)).collect();
    assert!(
        reasons.iter().any(|(p, r)| *p == "clusters/argo" && matches!(r, RejectReason::ArgoCdDirectory { .. })),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|(p, r)| *p == "clusters/common"
            && matches!(r, RejectReason::BaseLibrary { file } if file == "clusters/argo/apps/web/kustomization.yaml")),
        "{reasons:?}"
    );
}

#[test]
fn a_bootstrap_root_that_does_not_render_itself_is_the_cluster_of_the_roots_inside_it() {
    // clusters/kustomization.yaml leaves out flux-system/, yet `flux bootstrap` applied the root
    // to the cluster: it reconciles ./clusters, whose build renders Kustomization web, whose own
    // path made clusters/apps/web look like a self-managing root (round 3, hmajid2301).
    let s = session("bootstrap-not-self-rendered", &[]);
    let found = found(&s);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].2), ("clusters", EntryKind::GotkSync));
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "Kustomization/flux-system/flux-system"), "the root exists");
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/web"), "web is built");
    assert!(
        s.fleet
            .rejected
            .iter()
            .any(|r| r.path == "clusters/apps/web" && matches!(r.reason, RejectReason::RenderedBy { .. })),
        "{:?}",
        s.fleet.rejected
    );
}

#[test]
fn a_kustomization_of_another_repository_does_not_make_a_directory_of_this_one_a_root() {
    // Kustomization secrets reads GitRepository secrets (another URL than flux-system's):
    // kustomize-controller joins its path inside that repository's artifact, so this
    // repository's clusters/prod is not its root (round 3, tyzbit/fleet-infra).
    let s = session("foreign-source-path", &[]);
    let paths: Vec<&str> = found(&s).iter().map(|f| f.1).collect();
    assert_eq!(paths, ["clusters/prod/flux-system"]);
}

#[test]
fn a_flux_instance_helm_release_nothing_applies_is_no_second_cluster() {
    // The flux-instance HelmRelease's Kustomization is commented out of its kustomization, and
    // its sync directory kubernetes/flux/cluster is built by the live root kubernetes/flux
    // (heldout5, damacus/home-ops: 80 false SRC002 errors from the second cluster).
    let s = session("instance-values-unapplied", &[]);
    let paths: Vec<&str> = found(&s).iter().map(|f| f.1).collect();
    assert_eq!(paths, ["kubernetes/flux"]);
    assert!(
        s.fleet.rejected.iter().any(|r| r.path == "kubernetes/flux/cluster"
            && matches!(&r.reason, RejectReason::InstanceUnapplied { carrier, .. } if carrier == "HelmRelease/flux-system/flux-instance")),
        "{:?}",
        s.fleet.rejected
    );
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/web"), "the apps are built by the live root");
}

#[test]
fn a_bootstrap_base_that_the_cluster_overlays_include_is_no_cluster() {
    // clusters/base/flux-system holds gotk-components and a root whose path is all variables;
    // each cluster overlay includes it and patches its own path (heldout5, hmcts/admin-flux-config).
    let s = session("shared-base-placeholder", &[]);
    let paths: Vec<&str> = found(&s).iter().map(|f| f.1).collect();
    assert_eq!(paths, ["clusters/dev/staging/00"]);
    assert!(
        s.fleet.rejected.iter().any(|r| r.path == "clusters/base" && matches!(r.reason, RejectReason::ReadBy { .. })),
        "{:?}",
        s.fleet.rejected
    );
}

#[test]
fn flux_components_from_a_shared_base_replace_the_synthesized_ones() {
    // flux-system/ has no gotk-components.yaml of its own; its kustomization includes a base
    // holding them. The synthesized stand-ins yield to the real objects: no "already registered
    // id" (heldout8, nmarghetti/local-kubernetes-infra: 6 false SRC003 errors).
    let s = session("components-from-shared-base", &[]);
    let paths: Vec<&str> = found(&s).iter().map(|f| f.1).collect();
    assert_eq!(paths, ["clusters/dev"]);
    let c = &s.fleet.clusters[0];
    assert!(c.build_issues.iter().all(|i| !i.message.contains("already registered")), "{:?}", c.build_issues);
    let ns: Vec<_> = c.objects.iter().filter(|o| o.id() == "Namespace//flux-system").collect();
    assert_eq!(ns.len(), 1, "{:?}", c.objects.iter().map(|o| o.id()).collect::<Vec<_>>());
    assert!(!ns[0].synthesized, "the real Namespace from the base");
}

#[test]
fn a_pathless_root_in_a_base_and_a_path_filled_from_the_roots_own_configmap() {
    // heldout8, nmarghetti/local-kubernetes-infra: clusters/base/flux-system/gotk-sync.yaml has
    // no spec.path (the overlays patch it in); the root substitutes from `cluster-vars`, which its
    // own flux-system kustomization lists, and a child's path is `./${cluster}/infrastructure`.
    let s = session("pathless-base-root", &[]);
    assert_eq!(found(&s), [("kind", "kind/flux-system", EntryKind::SelfManaged)]);
    assert!(
        s.fleet.rejected.iter().any(|r| r.path.is_empty() && matches!(r.reason, RejectReason::ReadBy { .. })),
        "{:?}",
        s.fleet.rejected
    );
    let c = &s.fleet.clusters[0];
    let infra = c.kustomizations.iter().find(|k| c.objects[k.object].name() == "infrastructure").expect("child");
    assert_eq!((infra.path.as_str(), infra.built), ("kind/infrastructure", true));
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/infra"));
    assert!(c.issues.is_empty(), "{:?}", c.issues);
}

#[test]
fn a_kustomization_of_another_repository_applied_inside_a_cluster_makes_no_root_there() {
    // heldout11, petebeegle/homelab: `private-apps` builds `./clusters/prod/apps` of
    // GitRepository `homelab-private` (another URL, defined by a sibling directory, not by that
    // build). The local directory of that name is part of cluster prod, not a cluster.
    let s = session("other-repo-same-path", &[]);
    assert_eq!(found(&s), [("prod", "clusters/prod", EntryKind::GotkSync)]);
}

#[test]
fn a_values_file_of_the_flux_instance_chart_is_the_clusters_entry() {
    // heldout11, jonpulsifer/infra: Terraform installs the flux-instance chart with
    // `clusters/<c>/bootstrap/flux-values.yaml`; its `instance.sync` names the root and its
    // source (`infra`), which the Kustomizations read.
    let s = session("instance-values-file", &[]);
    assert_eq!(found(&s), [("home", "clusters/home/flux-system", EntryKind::FluxInstance)]);
    let c = &s.fleet.clusters[0];
    assert!(c.objects.iter().any(|o| o.id() == "GitRepository/flux-system/infra"), "the sync source");
    assert!(c.objects.iter().any(|o| o.id() == "ConfigMap/default/podinfo"), "the graph is walked");
}
