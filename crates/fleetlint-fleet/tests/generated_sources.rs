//! Issue 11 layouts 8 and 9: what Flux controllers generate from committed objects joins the
//! cluster. Kustomizations reading an `ExternalArtifact` that an ArtifactGenerator assembles are
//! built from the generator's view of the repository (`testdata/discovery/layout8-artifacts`);
//! ResourceSets are rendered from their inputs and the Kustomizations they render are built
//! (`testdata/discovery/layout9-resourcesets`).

use std::path::PathBuf;

use fleetlint_fleet::{Cluster, FleetIssueKind, LoadOptions, Session, SourceResolution, load};
use fleetlint_yaml::{Node, Span};

fn session(fleet: &str) -> Session {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/discovery").join(fleet);
    load(&LoadOptions { root, ..LoadOptions::default() }).expect("loads")
}

fn object<'c>(c: &'c Cluster, id: &str) -> (usize, &'c fleetlint_fleet::RenderedObject) {
    let i = c.objects.iter().position(|o| o.id() == id).unwrap_or_else(|| panic!("{id} is not rendered"));
    (i, &c.objects[i])
}

/// `file:line` of a span.
fn at(s: &Session, span: Span) -> (String, u32) {
    (s.db.get(span.file).path.clone(), s.db.span_lines(span).0.line)
}

fn value<'n>(o: &'n fleetlint_fleet::RenderedObject, path: &[&str]) -> &'n Node {
    o.root.get_path(path).unwrap_or_else(|| panic!("{}: no {path:?}", o.id()))
}

#[test]
fn kustomizations_built_from_generated_artifacts_render_the_repository_files() {
    let s = session("layout8-artifacts");
    let c = &s.fleet.clusters[0];
    assert_eq!(c.name, "prod");

    // The apps, settings and infrastructure Kustomizations are built from the artifacts.
    for id in [
        "Kustomization/flux-system/apps",
        "Kustomization/flux-system/settings",
        "Kustomization/flux-system/infra-controllers",
    ] {
        let (i, _) = object(c, id);
        let node = c.kustomization_of(i).unwrap();
        assert!(matches!(node.source, SourceResolution::Artifact(_)), "{id}: {:?}", node.source);
        assert!(node.built && !node.rendered.is_empty(), "{id} renders its objects");
    }
    assert_eq!(c.helmrelease_count(), 2, "cert-manager and podinfo");

    // The artifact path `base/podinfo/release.yaml` is the repository's apps/base/podinfo: the
    // object points at the real file, and the overlay's patch (artifact `prod/`) applied.
    let (_, podinfo) = object(c, "HelmRelease/podinfo/podinfo");
    assert_eq!(at(&s, value(podinfo, &["apiVersion"]).span), ("apps/base/podinfo/release.yaml".into(), 2));
    let replicas = value(podinfo, &["spec", "values", "replicaCount"]);
    assert_eq!(at(&s, replicas.span), ("apps/prod/podinfo-values.yaml".into(), 7));

    // `strategy: Merge`: config/prod.yaml merged onto config/base.yaml; each value points at the
    // layer that wrote it.
    let (_, settings) = object(c, "ConfigMap/flux-system/settings");
    let tier = value(settings, &["data", "tier"]);
    assert_eq!(tier.as_str(), Some("prod"));
    assert_eq!(at(&s, tier.span), ("config/prod.yaml".into(), 2));
    let region = value(settings, &["data", "region"]);
    assert_eq!(region.as_str(), Some("eu-west-1"));
    assert_eq!(at(&s, region.span), ("config/base.yaml".into(), 7));

    // An Extract copy and an unmapped source: opaque, one info each, nothing rendered.
    for (id, why) in [
        ("Kustomization/flux-system/charts", "tarball 'charts/app.tgz'"),
        ("Kustomization/flux-system/vendor", "GitRepository flux-system/vendor is not available offline"),
    ] {
        let (i, _) = object(c, id);
        let node = c.kustomization_of(i).unwrap();
        assert_eq!(node.source, SourceResolution::Unmapped, "{id}");
        assert!(node.rendered.is_empty() && !node.built, "{id}: no empty render");
        let issues: Vec<_> = c.issues.iter().filter(|x| x.object == Some(i)).collect();
        assert_eq!(issues.len(), 1, "{id}: {issues:?}");
        let FleetIssueKind::ArtifactUnknown { reason, .. } = &issues[0].kind else { panic!("{issues:?}") };
        assert!(reason.contains(why), "{reason}");
    }
    assert_eq!(c.opaque_count(), 2);
}

#[test]
fn resource_sets_render_per_tenant_objects_and_their_kustomizations_are_built() {
    let s = session("layout9-resourcesets");
    let c = &s.fleet.clusters[0];
    let (tenants, _) = object(c, "ResourceSet/flux-system/tenants");
    // team-a and team-b from inline inputs; team-c from the Static provider that another
    // ResourceSet renders (expanded again once the provider appears).
    for t in ["team-a", "team-b", "team-c"] {
        let ids = [
            format!("Namespace//{t}"),
            format!("ServiceAccount/{t}/reconciler"),
            format!("RoleBinding/{t}/reconciler"),
            format!("GitRepository/{t}/fleet"),
        ];
        for id in ids {
            assert_eq!(object(c, &id).1.owner, Some(tenants), "{id} is the ResourceSet's");
        }
        let (ks, k) = object(c, &format!("Kustomization/{t}/apps"));
        assert_eq!(k.owner, Some(tenants));
        // The name comes from the template text.
        assert_eq!(at(&s, value(k, &["metadata", "namespace"]).span).0, "tenants/tenants.yaml");
        let node = c.kustomization_of(ks).unwrap();
        assert!(node.built, "{t}: the rendered Kustomization is built");
        assert_eq!(node.path, format!("tenant-apps/{t}"));
        let (_, cm) = object(c, &format!("ConfigMap/{t}/app"));
        assert_eq!(cm.owner, Some(ks));
    }
    let (_, release) = object(c, "HelmRelease/team-b/app");
    assert_eq!(at(&s, value(release, &["apiVersion"]).span), ("tenant-apps/team-b/release.yaml".into(), 2));

    // Inputs from GitHub pull requests are not in Git: an info, nothing rendered.
    let (previews, _) = object(c, "ResourceSet/flux-system/previews");
    let issues: Vec<_> = c.issues.iter().filter(|x| x.object == Some(previews)).collect();
    assert!(
        matches!(&issues[..], [x] if matches!(&x.kind, FleetIssueKind::ResourceSetNotRendered { reason } if reason.contains("GitHubPullRequest"))),
        "{issues:?}"
    );
    assert!(c.objects.iter().all(|o| !o.name().starts_with("preview-")));
    assert_eq!(c.unrendered_resource_sets().into_iter().collect::<Vec<_>>(), [previews]);

    // A template reading an input that no set has: the operator stalls; a fatal build issue at
    // the template text, and nothing of that ResourceSet is applied.
    let (quotas, _) = object(c, "ResourceSet/flux-system/quotas");
    let failed: Vec<_> = c
        .build_issues
        .iter()
        .zip(&c.build_issue_owners)
        .filter(|(_, o)| **o == Some(quotas))
        .map(|(i, _)| (i.fatal, at(&s, i.span)))
        .collect();
    assert_eq!(failed, [(true, ("tenants/broken.yaml".to_string(), 18))]);
    assert!(c.objects.iter().all(|o| o.kind() != "ResourceQuota"));
}
