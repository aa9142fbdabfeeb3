//! Validation of Flux, built-in and CRD-defined objects against the embedded schemas.

use fleetlint_schema::{Crd, ErrorKind, Outcome, SchemaError, SchemaSet, SchemaSource, Unvalidated, ValidateOptions};
use fleetlint_yaml::{FieldPath, FileId, Limits, Node, parse_yaml};

fn parse(text: &str) -> Node {
    let mut parsed = parse_yaml(FileId(0), text, &Limits::default());
    assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
    parsed.documents.remove(0).root
}

fn errors(set: &SchemaSet, text: &str) -> Vec<SchemaError> {
    match set.validate(&parse(text), &ValidateOptions::default()) {
        Outcome::Validated { errors, .. } => errors,
        Outcome::Unvalidated(why) => panic!("not validated: {why:?}"),
    }
}

/// The 1-based line of an error's span in `text`.
fn line(text: &str, e: &SchemaError) -> usize {
    text[..e.span.start as usize].matches('\n').count() + 1
}

const KUSTOMIZATION: &str = "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 5
  prunne: true
  prune: true
  path: ./apps
  sourceRef:
    kind: GitRepository
    name: flux-system
";

#[test]
fn flux_type_error_and_misspelt_field_are_at_their_lines() {
    let set = SchemaSet::new();
    let errs = errors(&set, KUSTOMIZATION);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    let ty = errs.iter().find(|e| e.kind == ErrorKind::WrongType).unwrap();
    assert_eq!(ty.path.to_string(), "spec.interval");
    assert_eq!(line(KUSTOMIZATION, ty), 7);
    assert_eq!(ty.expected, "a string");
    assert_eq!(ty.found.as_deref(), Some("the number `5`"));
    let unknown = errs.iter().find(|e| e.kind == ErrorKind::UnknownField).unwrap();
    assert_eq!(unknown.path.to_string(), "spec.prunne");
    assert_eq!(&KUSTOMIZATION[unknown.span.start as usize..unknown.span.end as usize], "prunne");
    assert_eq!(unknown.suggestion.as_deref(), Some("prune"));
    assert_eq!(unknown.message(), "unknown field `spec.prunne` (did you mean `prune`?)");
}

#[test]
fn valid_flux_object_has_no_error_and_names_its_source() {
    let text = KUSTOMIZATION.replace("  interval: 5\n  prunne: true\n", "  interval: 5m\n");
    let out = SchemaSet::new().validate(&parse(&text), &ValidateOptions::default());
    assert_eq!(out, Outcome::Validated { source: SchemaSource::Flux { set: "current" }, errors: vec![] });
}

#[test]
fn missing_required_field_points_at_nearest_key() {
    let text = KUSTOMIZATION
        .replace("  interval: 5\n  prunne: true\n", "  interval: 5m\n")
        .replace("  sourceRef:\n    kind: GitRepository\n    name: flux-system\n", "");
    let errs = errors(&SchemaSet::new(), &text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].kind, ErrorKind::MissingField);
    assert_eq!(errs[0].path.to_string(), "spec.sourceRef");
    assert_eq!(&text[errs[0].span.start as usize..errs[0].span.end as usize], "spec");
}

#[test]
fn duration_pattern_is_described_in_words() {
    let text = KUSTOMIZATION.replace("  interval: 5\n  prunne: true\n", "  interval: 5 minutes\n");
    let errs = errors(&SchemaSet::new(), &text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].kind, ErrorKind::InvalidValue);
    assert!(errs[0].expected.starts_with("a duration such as"), "{}", errs[0].expected);
}

#[test]
fn placeholders_sops_and_excluded_paths_are_not_errors() {
    let text = KUSTOMIZATION
        .replace("  interval: 5\n", "  interval: ${INTERVAL}\n")
        .replace("kind: Kustomization\n", "kind: Kustomization\nsops:\n  mac: ENC[AES256_GCM,data:x,type:str]\n");
    let set = SchemaSet::new();
    let excluded = [FieldPath::from_keys(&["spec", "prunne"])];
    let out = set.validate(&parse(&text), &ValidateOptions { reported_elsewhere: &excluded });
    let Outcome::Validated { errors, .. } = out else { panic!() };
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn beta_flux_versions_come_from_the_older_set() {
    let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata:\n  name: a\nspec:\n  interval: 1m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: x\n  validation: client\n";
    let out = SchemaSet::new().validate(&parse(text), &ValidateOptions::default());
    assert_eq!(out, Outcome::Validated { source: SchemaSource::Flux { set: "v2.6" }, errors: vec![] });
    let text = text.replace("v1beta2", "v1alpha1");
    let out = SchemaSet::new().validate(&parse(&text), &ValidateOptions::default());
    assert!(matches!(out, Outcome::Unvalidated(Unvalidated::FluxNotServed { .. })), "{out:?}");
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: \"2\"
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: Sometimes
          ports:
            - containerPort: eighty
              protocl: TCP
          resources:
            limits:
              cpu: 1
              memory: 128Mi
";

/// The Kubernetes schemas carry no enum for `imagePullPolicy` (the API server checks it in Go
/// code), so `Sometimes` is not a schema error; `cpu: 1` is a valid quantity.
#[test]
fn builtin_kinds_are_validated_strictly() {
    let errs = errors(&SchemaSet::new(), DEPLOYMENT);
    let mut got: Vec<(ErrorKind, String, usize)> =
        errs.iter().map(|e| (e.kind, e.path.to_string(), line(DEPLOYMENT, e))).collect();
    got.sort();
    let mut want = vec![
        (ErrorKind::UnknownField, "spec.template.spec.containers[0].ports[0].protocl".to_owned(), 23),
        (ErrorKind::WrongType, "spec.replicas".to_owned(), 8),
        (ErrorKind::WrongType, "spec.template.spec.containers[0].ports[0].containerPort".to_owned(), 22),
    ];
    want.sort();
    assert_eq!(got, want);
    let suggestion = errs.iter().find(|e| e.kind == ErrorKind::UnknownField).unwrap().suggestion.clone();
    assert_eq!(suggestion.as_deref(), Some("protocol"));
}

#[test]
fn removed_builtin_api_is_not_an_unknown_kind() {
    let text = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: a\n";
    let out = SchemaSet::new().validate(&parse(text), &ValidateOptions::default());
    assert!(matches!(out, Outcome::Unvalidated(Unvalidated::BuiltinNotServed { .. })), "{out:?}");
    let text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\n";
    let out = SchemaSet::new().validate(&parse(text), &ValidateOptions::default());
    assert!(matches!(out, Outcome::Unvalidated(Unvalidated::UnknownKind { .. })), "{out:?}");
}

#[test]
fn kubernetes_version_selects_the_schema_set() {
    // resource.k8s.io/v1 DeviceClass exists in 1.37, not in 1.32.
    let text = "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: a\nspec: {}\n";
    let new = SchemaSet::new();
    assert_eq!(new.kubernetes_version(), "1.37");
    assert!(matches!(new.validate(&parse(text), &ValidateOptions::default()), Outcome::Validated { .. }));
    let old = SchemaSet::new().with_kubernetes_version("v1.33.2").unwrap();
    assert_eq!(old.kubernetes_version(), "1.32");
    assert!(matches!(
        old.validate(&parse(text), &ValidateOptions::default()),
        Outcome::Unvalidated(Unvalidated::BuiltinNotServed { .. })
    ));
    assert!(SchemaSet::new().with_kubernetes_version("latest").is_err());
}

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size:
                  x-kubernetes-int-or-string: true
                color:
                  type: string
                  enum: [red, blue]
                  nullable: true
                values:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                  properties:
                    replicas:
                      type: integer
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  x-kubernetes-preserve-unknown-fields: true
    - name: v0
      served: false
      storage: false
      schema:
        openAPIV3Schema:
          type: object
";

#[test]
fn crds_in_the_fleet_extend_the_set() {
    let mut set = SchemaSet::new();
    set.add_crd(&Crd::from_node(&parse(CRD)).unwrap());
    let ok = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\nspec:\n  size: 10%\n  color: null\n  values:\n    anything: [1, 2]\n    replicas: 3\n  template:\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x\n    data:\n      a: b\n";
    let out = set.validate(&parse(ok), &ValidateOptions::default());
    assert_eq!(
        out,
        Outcome::Validated { source: SchemaSource::Crd { name: "widgets.example.com".into() }, errors: vec![] }
    );
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\n  lables: {}\nspec:\n  size: true\n  color: green\n  extra: 1\n  values:\n    replicas: three\n  template:\n    metadata:\n      name: x\n";
    let errs = errors(&set, bad);
    let mut got: Vec<(ErrorKind, String)> = errs.iter().map(|e| (e.kind, e.path.to_string())).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (ErrorKind::UnknownField, "metadata.lables".into()),
            (ErrorKind::UnknownField, "spec.extra".into()),
            (ErrorKind::MissingField, "spec.template.apiVersion".into()),
            (ErrorKind::MissingField, "spec.template.kind".into()),
            (ErrorKind::WrongType, "spec.size".into()),
            (ErrorKind::WrongType, "spec.values.replicas".into()),
            (ErrorKind::InvalidValue, "spec.color".into()),
        ]
    );
    let old = "apiVersion: example.com/v0\nkind: Widget\nmetadata:\n  name: a\n";
    assert!(matches!(
        set.validate(&parse(old), &ValidateOptions::default()),
        Outcome::Unvalidated(Unvalidated::CrdNotServed { .. })
    ));
}

#[test]
fn validators_are_shared_across_threads() {
    let set = SchemaSet::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(errors(&set, KUSTOMIZATION).len(), 2));
        }
    });
}

/// The bundle stays small enough to embed: about 1 MB of JSON for two Kubernetes versions (430 KB,
/// each definition stored once for every version that has the same text) and every Flux kind
/// (560 KB); a generator change that stops deduplicating would blow this budget.
#[test]
fn embedded_bundle_is_compact() {
    let size = fleetlint_schema::embedded_size();
    assert!(size > 100_000, "the embedded bundle is nearly empty ({size} bytes): run gen-schemas");
    assert!(size < 1_300_000, "the embedded bundle grew to {size} bytes");
}

#[test]
fn crd_groups_of_sig_projects_are_not_builtin() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: a\n";
    let out = SchemaSet::new().validate(&parse(text), &ValidateOptions::default());
    assert!(matches!(out, Outcome::Unvalidated(Unvalidated::UnknownKind { .. })), "{out:?}");
}

#[test]
fn flux_operator_adds_its_kinds_to_alerts_and_receivers() {
    let text = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: a\nspec:\n  providerRef:\n    name: p\n  eventSources:\n    - kind: FluxInstance\n      name: flux\n";
    assert_eq!(errors(&SchemaSet::new(), text).len(), 1);
    assert!(errors(&SchemaSet::new().with_flux_operator(true), text).is_empty());
    let text = "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n  name: a\nspec:\n  type: github\n  secretRef:\n    name: s\n  resources:\n    - kind: ResourceSetInputProvider\n      name: x\n";
    assert_eq!(errors(&SchemaSet::new(), text).len(), 1);
    assert!(errors(&SchemaSet::new().with_flux_operator(true), text).is_empty());
}

#[test]
fn assertions_check_objects_with_extension_keywords() {
    use fleetlint_schema::Assertion;
    let a = Assertion::compile(&serde_json::json!({
        "properties": {"spec": {"properties": {"interval": {"type": "string", "minDuration": "1m"}}}}
    }))
    .unwrap();
    let text = KUSTOMIZATION.replace("  interval: 5\n  prunne: true\n", "  interval: 30s\n");
    let errs = a.check(&parse(&text), &ValidateOptions::default());
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].expected, "a duration of at least `1m`");
    assert_eq!(&text[errs[0].span.start as usize..errs[0].span.end as usize], "30s");
    let ok = KUSTOMIZATION.replace("  interval: 5\n  prunne: true\n", "  interval: 1h\n");
    assert!(a.check(&parse(&ok), &ValidateOptions::default()).is_empty());
    let placeholder = KUSTOMIZATION.replace("  interval: 5\n  prunne: true\n", "  interval: ${INTERVAL}\n");
    assert!(a.check(&parse(&placeholder), &ValidateOptions::default()).is_empty());
    assert!(Assertion::compile(&serde_json::json!({"minDuration": "soon"})).is_err());
}

/// The API server fills in a schema `default` before it validates: a required field that has
/// one is never missing (image-automation's `update.strategy`, default `Setters`).
#[test]
fn a_required_field_with_a_default_is_not_missing() {
    let crd = CRD.replace(
        "              required: [size]\n              properties:\n",
        "              required: [size, mode]\n              properties:\n                mode:\n                  type: string\n                  default: Setters\n",
    );
    let mut set = SchemaSet::new();
    set.add_crd(&Crd::from_node(&parse(&crd)).unwrap());
    let errs = errors(&set, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\nspec:\n  color: red\n");
    let got: Vec<(ErrorKind, String)> = errs.iter().map(|e| (e.kind, e.path.to_string())).collect();
    assert_eq!(got, vec![(ErrorKind::MissingField, "spec.size".into())]);
}
