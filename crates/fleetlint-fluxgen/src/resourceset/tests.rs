//! ResourceSet expansion tests: reductions of the Flux Operator's builder testdata
//! (internal/builder/testdata/resourceset, cmd/cli/testdata/build_resourceset) and of ResourceSets
//! found in public fleets, written for fleetlint.

use std::path::PathBuf;
use std::sync::Arc;

use fleetlint_yaml::{FileDb, FileId, Limits, Node, TextFile, parse_yaml};
use serde_json::json;

use super::{ExpandErrorKind, Expansion, TemplateKind, expand};

struct Fixture {
    db: FileDb,
    docs: Vec<Node>,
}

impl Fixture {
    fn new(text: &str) -> Self {
        let mut db = FileDb::new();
        let id = db.add(TextFile::new("rset.yaml".into(), None, PathBuf::from("rset.yaml"), Arc::from(text)));
        let parsed = parse_yaml(id, text, &Limits::default());
        assert!(!parsed.is_broken(), "{:?}", parsed.issues);
        Self { db, docs: parsed.documents.into_iter().map(|d| d.root).collect() }
    }

    fn kind(&self, kind: &str) -> Vec<&Node> {
        self.docs.iter().filter(|d| d.get("kind").and_then(Node::as_str) == Some(kind)).collect()
    }

    fn expand(&self) -> Result<Expansion, super::ExpandError> {
        let rset = self.kind("ResourceSet")[0];
        expand(rset, &self.kind("ResourceSetInputProvider"), &self.db)
    }

    fn text_at(&self, span: fleetlint_yaml::Span) -> &str {
        &self.db.get(span.file).text[span.range()]
    }

    fn line(&self, span: fleetlint_yaml::Span) -> u32 {
        self.db.span_lines(span).0.line
    }
}

fn json_of(e: &Expansion) -> Vec<serde_json::Value> {
    e.objects.iter().map(|o| o.object.to_json()).collect()
}

const SLUGIFY: &str = r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: app1
  namespace: apps
spec:
  inputs:
    - tenant: team1
      semver: ">=1.0.0-rc.0"
      replicas: "2"
    - tenant: team2
      semver: ">=1.0.0"
      replicas: "3"
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: << inputs.tenant >>-app1
        namespace: apps
        labels:
          semver: << inputs.semver | slugify >>
      spec:
        ref:
          semver: << inputs.semver | quote >>
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: << inputs.tenant >>-app1
        namespace: apps
        labels:
          replicas: << inputs.replicas | quote >>
      spec:
        values:
          replicas: << inputs.replicas | int >>
          plain: << inputs.replicas >>
"#;

#[test]
fn resources_render_per_input_with_yaml_1_1_typing() {
    let f = Fixture::new(SLUGIFY);
    let e = f.expand().unwrap();
    assert_eq!(e.input_sets, 2);
    let objs = json_of(&e);
    assert_eq!(objs.len(), 4);
    // resources[0] for both inputs, then resources[1] for both.
    assert_eq!(objs[0]["metadata"]["name"], "team1-app1");
    assert_eq!(objs[1]["metadata"]["name"], "team2-app1");
    assert_eq!(objs[0]["metadata"]["labels"]["semver"], "1-0-0-rc-0");
    assert_eq!(objs[0]["spec"]["ref"]["semver"], ">=1.0.0-rc.0");
    assert_eq!(objs[2]["kind"], "HelmRelease");
    assert_eq!(objs[2]["metadata"]["labels"]["replicas"], "2");
    // A plain action that renders digits is an integer after rendering.
    assert_eq!(objs[2]["spec"]["values"]["replicas"], json!(2));
    assert_eq!(objs[2]["spec"]["values"]["plain"], json!(2));
    // Owner labels are set on every object.
    assert_eq!(objs[3]["metadata"]["labels"]["resourceset.fluxcd.controlplane.io/name"], "app1");
    assert_eq!(objs[3]["metadata"]["labels"]["resourceset.fluxcd.controlplane.io/namespace"], "apps");
    assert_eq!(e.objects[0].template, TemplateKind::Resource(0));
    assert_eq!(e.objects[1].input_set, Some(1));
}

#[test]
fn resources_point_at_the_scalar_that_held_the_action() {
    let f = Fixture::new(SLUGIFY);
    let e = f.expand().unwrap();
    let name = e.objects[0].object.get_path(&["metadata", "name"]).unwrap();
    // The value came from the whole scalar `<< inputs.tenant >>-app1`.
    assert_eq!(f.text_at(name.span), "<< inputs.tenant >>-app1");
    assert_eq!(f.line(name.span), 18);
    let semver = e.objects[0].object.get_path(&["spec", "ref", "semver"]).unwrap();
    assert_eq!(f.text_at(semver.span), "<< inputs.semver | quote >>");
    let kind = e.objects[2].object.get("kind").unwrap();
    assert_eq!(f.text_at(kind.span), "HelmRelease");
}

#[test]
fn dedup_first_wins_and_disabled_objects_are_dropped() {
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: tenants
  namespace: flux-system
spec:
  inputs:
    - tenant: sre
      role: cluster-admin
    - tenant: dev
      role: namespace-admin
  resources:
    - apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: flux
        namespace: shared
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRoleBinding
      metadata:
        name: flux-<< inputs.tenant >>
        annotations:
          fluxcd.controlplane.io/reconcile: << if eq inputs.role "cluster-admin" >>enabled<< else >>disabled<< end >>
  resourcesTemplate: |
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: flux
      namespace: shared
      labels:
        from: template
"#,
    );
    let objs = json_of(&f.expand().unwrap());
    let names: Vec<String> = objs.iter().map(|o| o["metadata"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, vec!["flux", "flux-sre"]);
    // The template's copy of the ServiceAccount lost to the resources one.
    assert!(objs[0]["metadata"]["labels"].get("from").is_none());
}

#[test]
fn resources_template_splits_documents_and_maps_lines() {
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: bundles
  namespace: flux-system
spec:
  inputs:
    - bundle: addons
      decryption: false
      apps: [ingress-nginx, cert-manager]
    - bundle: apps
      decryption: true
      apps: [frontend]
  resourcesTemplate: |
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: << inputs.bundle >>
      namespace: flux-system
    <<- range $app := inputs.apps >>
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: << $app >>
      namespace: flux-system
    spec:
      <<- if inputs.decryption >>
      decryption:
        provider: sops
      <<- end >>
      path: ./<< $app >>
    <<- end >>
    ---
    # a comment-only document and one without a name are dropped
    apiVersion: v1
    kind: ConfigMap
"#,
    );
    let e = f.expand().unwrap();
    let objs = json_of(&e);
    let names: Vec<&str> = objs.iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["addons", "ingress-nginx", "cert-manager", "apps", "frontend"]);
    assert!(objs[1]["spec"].get("decryption").is_none());
    assert_eq!(objs[4]["spec"]["decryption"]["provider"], "sops");
    assert_eq!(objs[4]["spec"]["path"], "./frontend");
    // Positions are template lines of the file.
    let path = e.objects[4].object.get_path(&["spec", "path"]).unwrap();
    assert_eq!(f.line(path.span), 33);
    let prov = e.objects[4].object.get_path(&["spec", "decryption", "provider"]).unwrap();
    assert_eq!(f.text_at(prov.span), "sops");
    let name = e.objects[3].object.get_path(&["metadata", "name"]).unwrap();
    assert_eq!(f.text_at(name.span), "<< inputs.bundle >>");
    assert!(e.objects.iter().all(|o| o.template == TemplateKind::ResourcesTemplate));
}

#[test]
fn nested_inputs_through_to_yaml() {
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: app1
  namespace: apps
spec:
  inputs:
  - foo:
      bar:
        k1: v1
        k2: "yes"
    config:
      test.json: "{\"separator\": \"---\"}\n"
  resources:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: configmap1
    data: << inputs.foo.bar | toYaml | nindent 2 >>
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: configmap2
    data:
      test.json: << inputs.config | toJson >>
"#,
    );
    let objs = json_of(&f.expand().unwrap());
    assert_eq!(objs[0]["data"], json!({"k1": "v1", "k2": "yes"}));
    // toJson renders a flow mapping (the operator's separator golden test).
    assert_eq!(objs[1]["data"]["test.json"], json!({"test.json": "{\"separator\": \"---\"}\n"}));
}

const PROVIDERS: &str = r#"---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: color-environments
  namespace: test
spec:
  inputStrategy:
    name: Permute
  inputs:
    - id: blue
    - id: green
  inputsFrom:
    - selector:
        matchLabels:
          role: provisioning
  resourcesTemplate: |
    <<- $tenant := inputs.team1_apps.tenantName >>
    <<- range $app := inputs.team1_apps.applications >>
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: << $app.name >>-<< inputs.color_environments.id >>
      namespace: << $tenant >>
      annotations:
        permutation-id: << inputs.id | quote >>
        provider-id: << inputs.team1_apps.id | quote >>
    <<- end >>
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: team1-apps
  namespace: test
  labels:
    role: provisioning
spec:
  type: Static
  defaultValues:
    tenantName: team1
    applications:
      - name: app1
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: elsewhere
  namespace: other
  labels:
    role: provisioning
spec:
  type: Static
  defaultValues:
    tenantName: nope
"#;

#[test]
fn permute_scopes_inputs_and_static_ids_are_unknown() {
    let f = Fixture::new(PROVIDERS);
    let e = f.expand().unwrap();
    let objs = json_of(&e);
    assert_eq!(e.input_sets, 2);
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["metadata"]["name"], "app1-blue");
    assert_eq!(objs[1]["metadata"]["name"], "app1-green");
    // Permutation ids are knowable (the operator's golden file has the same values).
    assert_eq!(objs[0]["metadata"]["annotations"]["permutation-id"], "3776973979");
    assert_eq!(objs[1]["metadata"]["annotations"]["permutation-id"], "3777891484");
    // The Static provider's id depends on its UID: shown as adler32(name), flagged unknown.
    assert_eq!(objs[0]["metadata"]["annotations"]["provider-id"], "340788154");
    let unknown = &e.objects[0].unknown;
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].path, "metadata.annotations.provider-id");
    assert!(unknown[0].reason.contains("UID"));
    assert_eq!(f.text_at(unknown[0].span), "<< inputs.team1_apps.id | quote >>");
    assert!(e.notes.iter().any(|n| n.contains("selector matched 1")));
}

#[test]
fn flatten_adds_provider_and_only_provider_sets_have_ids() {
    let f = Fixture::new(
        r#"---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rs
  namespace: ns
spec:
  inputs:
    - name: inline
  inputsFrom:
    - name: static
  resourcesTemplate: |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: << inputs.name >>
      namespace: ns
    data:
      kind: << inputs.provider.kind >>
      hasId: << hasKey inputs "id" | quote >>
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: static
  namespace: ns
spec:
  type: Static
  defaultValues:
    name: from-provider
    id: overridden
"#,
    );
    let objs = json_of(&f.expand().unwrap());
    assert_eq!(objs[0]["data"], json!({"kind": "ResourceSet", "hasId": "false"}));
    assert_eq!(objs[1]["metadata"]["name"], "from-provider");
    assert_eq!(objs[1]["data"], json!({"kind": "ResourceSetInputProvider", "hasId": "true"}));
}

#[test]
fn providers_that_are_unknown_offline() {
    let base = |extra: &str, refs: &str| {
        format!(
            "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: ns\nspec:\n  inputsFrom:\n{refs}  resources:\n    - apiVersion: v1\n      kind: Namespace\n      metadata:\n        name: pr-<< inputs.id >>\n{extra}"
        )
    };
    // Named provider that no file defines.
    let f = Fixture::new(&base("", "    - name: missing\n"));
    let err = f.expand().unwrap_err();
    assert_eq!(err.kind, ExpandErrorKind::ProviderNotFound { namespace: "ns".into(), name: "missing".into() });
    // A GitHub provider: inputs come from GitHub.
    let gh = "---\napiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata:\n  name: prs\n  namespace: ns\nspec:\n  type: GitHubPullRequest\n  url: https://github.com/o/r\n";
    let f = Fixture::new(&base(gh, "    - name: prs\n"));
    let err = f.expand().unwrap_err();
    assert_eq!(
        err.kind,
        ExpandErrorKind::ProviderInputsUnknown {
            namespace: "ns".into(),
            name: "prs".into(),
            provider_type: "GitHubPullRequest".into()
        }
    );
    assert_eq!(f.text_at(err.span), "GitHubPullRequest");
    // ... unless its exported inputs are committed.
    let committed = format!("{gh}status:\n  exportedInputs:\n    - id: \"42\"\n      sha: abc\n");
    let f = Fixture::new(&base(&committed, "    - name: prs\n"));
    let e = f.expand().unwrap();
    assert_eq!(json_of(&e)[0]["metadata"]["name"], "pr-42");
    // A selector that matches nothing renders nothing.
    let f = Fixture::new(&base("", "    - selector:\n        matchLabels:\n          x: y\n"));
    let e = f.expand().unwrap();
    assert!(e.objects.is_empty());
    // A reference with neither name nor selector.
    let f = Fixture::new(&base("", "    - kind: ResourceSetInputProvider\n"));
    assert_eq!(f.expand().unwrap_err().kind, ExpandErrorKind::Invalid);
}

#[test]
fn template_errors_point_at_the_template() {
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rs
  namespace: ns
spec:
  inputs:
    - tenant: a
  resourcesTemplate: |
    apiVersion: v1
    kind: Namespace
    metadata:
      name: << inputs.semver >>
"#,
    );
    let err = f.expand().unwrap_err();
    assert_eq!(err.kind, ExpandErrorKind::Invalid);
    assert!(err.message.contains("map has no entry for key \"semver\""), "{}", err.message);
    assert_eq!(f.line(err.span), 13);

    let f = Fixture::new(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: ns\nspec:\n  resources:\n    - apiVersion: v1\n      kind: Namespace\n      metadata:\n        name: << randInt 1 9 >>\n",
    );
    let err = f.expand().unwrap_err();
    assert_eq!(err.kind, ExpandErrorKind::Opaque);
    assert_eq!(f.text_at(err.span), "<< randInt 1 9 >>");

    // Output that is not YAML fails the build, as the operator's decoder does.
    let f = Fixture::new(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: ns\nspec:\n  inputs:\n    - v: \"a: b: c\"\n  resources:\n    - apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: x\n      data:\n        k: << inputs.v >>\n",
    );
    assert_eq!(f.expand().unwrap_err().kind, ExpandErrorKind::Invalid);
}

#[test]
fn steps_are_built_alone_and_may_not_share_objects() {
    let steps = |second: &str| {
        format!(
            "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: ns\nspec:\n  steps:\n    - name: a\n      resourcesTemplate: |\n        apiVersion: v1\n        kind: Namespace\n        metadata:\n          name: one\n    - name: b\n      resourcesTemplate: |\n        apiVersion: v1\n        kind: Namespace\n        metadata:\n          name: {second}\n"
        )
    };
    let f = Fixture::new(&steps("two"));
    let e = f.expand().unwrap();
    let st: Vec<Option<&str>> = e.objects.iter().map(|o| o.step.as_deref()).collect();
    assert_eq!(st, vec![Some("a"), Some("b")]);
    let f = Fixture::new(&steps("one"));
    let err = f.expand().unwrap_err();
    assert_eq!(err.message, "duplicate resource Namespace/one in step \"b\", already defined in step \"a\"");
    let f = Fixture::new(&format!("{}  resources:\n    - apiVersion: v1\n", steps("two")));
    assert_eq!(f.expand().unwrap_err().kind, ExpandErrorKind::Invalid);
}

#[test]
fn common_metadata_lists_and_no_inputs() {
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rs
  namespace: ns
spec:
  commonMetadata:
    labels:
      toolkit.fluxcd.io/tenant: team-a
  resourcesTemplate: |
    apiVersion: v1
    kind: List
    items:
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: a
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: b
          labels:
            toolkit.fluxcd.io/tenant: overridden
    ---
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    metadata:
      name: dropped
    ---
    apiVersion: v1
    kind: Namespace
    metadata:
      name: << inputs | len >>
"#,
    );
    let e = f.expand().unwrap();
    let objs = json_of(&e);
    let names: Vec<&serde_json::Value> = objs.iter().map(|o| &o["metadata"]["name"]).collect();
    // Without inputs the template is rendered once with empty inputs; `0` is an integer name,
    // so that document has no string name and is dropped.
    assert_eq!(names, vec![&json!("a"), &json!("b")]);
    assert_eq!(objs[1]["metadata"]["labels"]["toolkit.fluxcd.io/tenant"], "team-a");
    let label = e.objects[1].object.get_path(&["metadata", "labels", "toolkit.fluxcd.io/tenant"]).unwrap();
    assert_eq!(f.text_at(label.span), "team-a");
}

#[test]
fn without_inputs_resources_are_neither_deduplicated_nor_excluded() {
    // BuildResourceSet's no-input branch adds each resource without the exclusion check and
    // without dedup; the template's objects still go through both.
    let f = Fixture::new(
        r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rs
  namespace: ns
spec:
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: same
        namespace: ns
        annotations:
          fluxcd.controlplane.io/reconcile: disabled
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: same
        namespace: ns
  resourcesTemplate: |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: same
      namespace: ns
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: off
      namespace: ns
      annotations:
        fluxcd.controlplane.io/reconcile: disabled
"#,
    );
    let e = f.expand().unwrap();
    assert_eq!(e.input_sets, 0);
    let kinds: Vec<TemplateKind> = e.objects.iter().map(|o| o.template).collect();
    assert_eq!(kinds, vec![TemplateKind::Resource(0), TemplateKind::Resource(1)]);
}

#[test]
fn static_provider_with_nested_defaults_like_a_backup_fleet() {
    // A reduction of a home-lab fleet: one Static provider holding an app list with per-app
    // overrides of shared defaults.
    let f = Fixture::new(
        r#"---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: backup-apps
  namespace: kube-system
spec:
  type: Static
  defaultValues:
    defaults:
      pvcSuffix: "config"
      runAsUser: "1001"
    apps:
      - app: gatus
        namespace: "monitoring"
      - app: plex
        pvcSuffix: data
        runAsUser: "1000"
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: backups
  namespace: kube-system
spec:
  inputsFrom:
    - name: backup-apps
  resourcesTemplate: |
    <<- range $app := inputs.apps >>
    ---
    # one policy per app
    apiVersion: backup.example.com/v1
    kind: Policy
    metadata:
      name: << $app.app >>
      namespace: << get $app "namespace" | default "default" >>
    spec:
      pvc: << printf "%s-%s" $app.app (get $app "pvcSuffix" | default inputs.defaults.pvcSuffix) >>
      runAsUser: << get $app "runAsUser" | default inputs.defaults.runAsUser >>
    <<- end >>
"#,
    );
    let objs = json_of(&f.expand().unwrap());
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["metadata"]["namespace"], "monitoring");
    assert_eq!(objs[0]["spec"], json!({"pvc": "gatus-config", "runAsUser": 1001}));
    assert_eq!(objs[1]["metadata"]["namespace"], "default");
    assert_eq!(objs[1]["spec"], json!({"pvc": "plex-data", "runAsUser": 1000}));
}

#[test]
fn unknown_ids_in_control_flow_are_opaque() {
    let f = Fixture::new(
        r#"---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: rs
  namespace: ns
spec:
  inputsFrom:
    - name: p
  resourcesTemplate: |
    <<- if eq inputs.id "1" >>
    apiVersion: v1
    kind: Namespace
    metadata:
      name: one
    <<- end >>
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: p
  namespace: ns
spec:
  type: Static
"#,
    );
    let err = f.expand().unwrap_err();
    assert_eq!(err.kind, ExpandErrorKind::Opaque);
    assert!(err.message.contains("not known offline"), "{}", err.message);
}

#[test]
fn unknown_files_fall_back_to_the_scalar() {
    // Without the file text (a node built elsewhere), positions fall back to whole scalars.
    let text = "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: rs\n  namespace: ns\nspec:\n  resourcesTemplate: |\n    apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: x\n";
    let parsed = parse_yaml(FileId(7), text, &Limits::default());
    let rset = &parsed.documents[0].root;
    let e = expand(rset, &[], &FileDb::new()).unwrap();
    let tpl = rset.get_path(&["spec", "resourcesTemplate"]).unwrap();
    assert_eq!(e.objects[0].object.span, tpl.span);
}
