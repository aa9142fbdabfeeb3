//! Whole-policy evaluation: each construct Kyverno applies at admission, and each one fleetlint
//! reports as not evaluable.

use std::collections::BTreeMap;

use fleetlint_kyverno::{
    Action, NotEvaluable, Object, Options, Outcome, Policy, Request, RuleResult, RuleType, UserInfo,
};
use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};

fn node(text: &str) -> Node {
    let mut parsed = parse_yaml(FileId(0), text, &Limits::default());
    assert!(!parsed.is_broken(), "{:?}", parsed.issues);
    parsed.documents.remove(0).root
}

fn run(policy: &str, object: &str, request: &Request<'_>) -> Vec<RuleResult> {
    let policy = Policy::from_node(&node(policy)).unwrap();
    let object = node(object);
    policy.evaluate(&Object::new(&object), request, &Options::default())
}

fn outcome<'a>(results: &'a [RuleResult], rule: &str) -> &'a Outcome {
    &results.iter().find(|r| r.rule == rule).unwrap_or_else(|| panic!("no result for {rule}: {results:#?}")).outcome
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: team-a
  labels:
    app: web
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:latest
        - name: sidecar
          image: envoy:1.30
";

const LATEST: &str = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest
spec:
  validationFailureAction: Audit
  rules:
    - name: no-latest
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        failureAction: Enforce
        message: \"{{request.object.metadata.name}}: an image uses the latest tag\"
        pattern:
          spec:
            containers:
              - image: \"!*:latest\"
";

#[test]
fn pod_rules_apply_to_controllers_through_autogen() {
    let results = run(LATEST, DEPLOYMENT, &Request::default());
    assert_eq!(results.len(), 1, "{results:#?}");
    let r = &results[0];
    assert_eq!(
        (r.rule.as_str(), r.policy_rule.as_str(), r.action),
        ("autogen-no-latest", "no-latest", Action::Enforce)
    );
    let Outcome::Fail(v) = &r.outcome else { panic!("{r:?}") };
    assert_eq!(v.path.to_string(), "spec.template.spec.containers[0].image");
    assert_eq!(&DEPLOYMENT[v.span.start as usize..v.span.end as usize], "nginx:latest");
    // The message's variable is shifted into the pod template as Kyverno does; the template has
    // no name, so the message keeps the variable as written (Kyverno prints a substitution error).
    assert_eq!(v.message, "{{request.object.spec.template.metadata.name}}: an image uses the latest tag");
    let fixed = DEPLOYMENT.replace("nginx:latest", "nginx:1.27");
    assert_eq!(run(LATEST, &fixed, &Request::default())[0].outcome, Outcome::Pass);
}

#[test]
fn policy_namespace_and_overrides_decide_the_action() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: Policy
metadata:
  name: labels
  namespace: team-a
spec:
  validationFailureAction: enforce
  validationFailureActionOverrides:
    - action: audit
      namespaces: [\"team-*\"]
  rules:
    - name: app-label
      match:
        resources:
          kinds: [apps/v1/Deployment]
      validate:
        pattern:
          metadata:
            labels:
              app: \"?*\"
              team: \"?*\"
";
    let results = run(policy, DEPLOYMENT, &Request::default());
    assert_eq!(results[0].action, Action::Audit);
    let Outcome::Fail(v) = &results[0].outcome else { panic!("{results:?}") };
    assert_eq!(v.path.to_string(), "metadata.labels.team");
    assert!(v.message.contains("rule app-label failed at path /metadata/labels/team/"), "{}", v.message);
    let other_ns = DEPLOYMENT.replace("namespace: team-a", "namespace: team-b");
    assert!(run(policy, &other_ns, &Request::default()).is_empty(), "a Policy only applies in its namespace");
}

#[test]
fn deny_conditions_over_request_fields() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-default-ns
spec:
  rules:
    - name: not-default
      match:
        any:
          - resources:
              kinds: [Deployment]
      preconditions:
        all:
          - key: \"{{request.operation}}\"
            operator: AnyIn
            value: [CREATE, UPDATE]
      validate:
        message: \"{{request.object.kind}} {{request.object.metadata.name}} may not use {{request.namespace}}\"
        deny:
          conditions:
            any:
              - key: \"{{request.object.metadata.namespace}}\"
                operator: Equals
                value: team-*
";
    let results = run(policy, DEPLOYMENT, &Request::default());
    let Outcome::Fail(v) = outcome(&results, "not-default") else { panic!("{results:?}") };
    assert_eq!(v.message, "Deployment web may not use team-a");
    assert_eq!(v.path.to_string(), "metadata.namespace");
    assert_eq!(results[0].action, Action::Audit, "the default action");
    let elsewhere = DEPLOYMENT.replace("namespace: team-a", "namespace: prod");
    assert_eq!(run(policy, &elsewhere, &Request::default())[0].outcome, Outcome::Pass);
}

#[test]
fn any_pattern_context_variables_and_apply_one() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  applyRules: One
  rules:
    - name: replicas-or-label
      match:
        any:
          - resources:
              kinds: [Deployment]
      context:
        - name: wanted
          variable:
            value: web
        - name: unused
          configMap:
            name: cm
            namespace: default
      validate:
        anyPattern:
          - spec:
              replicas: \">1\"
          - metadata:
              labels:
                app: \"{{wanted}}\"
    - name: second
      match:
        any:
          - resources:
              kinds: [Deployment]
      validate:
        deny: {}
";
    let results = run(policy, DEPLOYMENT, &Request::default());
    assert_eq!(results.len(), 1, "applyRules: One stops after the first applied rule: {results:#?}");
    assert_eq!(results[0].outcome, Outcome::Pass);
}

#[test]
fn what_is_not_known_is_not_evaluable() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  rules:
    - name: api-call
      match: {any: [{resources: {kinds: [Deployment]}}]}
      context:
        - name: ns
          apiCall:
            urlPath: /api/v1/namespaces/team-a
      validate:
        deny:
          conditions:
            - key: \"{{ns.metadata.labels.env}}\"
              operator: Equals
              value: prod
    - name: user
      match: {any: [{resources: {kinds: [Deployment]}}]}
      validate:
        deny:
          conditions:
            any:
              - key: \"{{request.userInfo.username}}\"
                operator: Equals
                value: admin
    - name: function
      match: {any: [{resources: {kinds: [Deployment]}}]}
      validate:
        deny:
          conditions:
            any:
              - key: \"{{time_now_utc()}}\"
                operator: Equals
                value: x
    - name: cel
      match: {any: [{resources: {kinds: [Deployment]}}]}
      validate:
        cel:
          expressions:
            - expression: \"true\"
    - name: ns-selector
      match:
        any:
          - resources:
              kinds: [Deployment]
              namespaceSelector:
                matchLabels:
                  env: prod
      validate:
        deny: {}
    - name: add-label
      match: {any: [{resources: {kinds: [Deployment]}}]}
      mutate:
        patchStrategicMerge:
          metadata:
            labels:
              x: y
";
    let results = run(policy, DEPLOYMENT, &Request::default());
    let ne = |rule: &str| match outcome(&results, rule) {
        Outcome::NotEvaluable(n) => n.clone(),
        other => panic!("{rule}: {other:?}"),
    };
    assert_eq!(ne("api-call"), NotEvaluable::Context { entry: "ns".into(), source: "apiCall" });
    assert_eq!(ne("user"), NotEvaluable::Variable("request.userInfo.username".into()));
    assert_eq!(ne("function"), NotEvaluable::Function("time_now_utc".into()));
    assert_eq!(ne("cel"), NotEvaluable::Validation("cel"));
    assert!(matches!(ne("ns-selector"), NotEvaluable::Match(_)));
    assert_eq!(ne("add-label"), NotEvaluable::RuleType(RuleType::Mutate));

    // Given the namespace's labels and the user, those rules are evaluated.
    let labels = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
    let user = UserInfo { username: "admin".into(), ..UserInfo::default() };
    let request = Request { namespace_labels: Some(&labels), user: Some(&user), ..Request::default() };
    let results = run(policy, DEPLOYMENT, &request);
    assert!(matches!(outcome(&results, "ns-selector"), Outcome::Fail(_)));
    assert!(matches!(outcome(&results, "user"), Outcome::Fail(_)));
}

#[test]
fn unresolved_variables_outside_preconditions_are_rule_errors() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Deployment]}}]}
      validate:
        pattern:
          spec:
            replicas: \"{{request.object.spec.minReplicas}}\"
";
    let results = run(policy, DEPLOYMENT, &Request::default());
    assert!(matches!(&results[0].outcome, Outcome::Error(m) if m.contains("spec.minReplicas")), "{results:?}");
}

#[test]
fn common_pod_security_patterns_on_a_controller() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: pod-security
spec:
  validationFailureAction: audit
  rules:
    - name: host-path
      match: {resources: {kinds: [Pod]}}
      exclude: {resources: {namespaces: [kube-system]}}
      validate:
        message: HostPath volumes are forbidden.
        pattern:
          spec:
            =(volumes):
              - X(hostPath): \"null\"
    - name: privileged
      match: {resources: {kinds: [Pod]}}
      validate:
        message: Privileged mode is disallowed.
        pattern:
          spec:
            =(initContainers):
              - =(securityContext):
                  =(privileged): \"false\"
            containers:
              - =(securityContext):
                  =(privileged): \"false\"
    - name: registries
      match: {resources: {kinds: [Pod]}}
      validate:
        message: Unknown image registry.
        pattern:
          spec:
            containers:
              - image: \"ghcr.io/* | registry.k8s.io/* \"
";
    let object = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: monitoring
spec:
  template:
    spec:
      volumes:
        - name: root
          hostPath:
            path: /
      containers:
        - name: agent
          image: ghcr.io/example/agent:1.0
          securityContext:
            privileged: true
        - name: helper
          image: docker.io/library/busybox:1.36
";
    let results = run(policy, object, &Request::default());
    let path = |rule: &str| match outcome(&results, rule) {
        Outcome::Fail(v) => v.path.to_string(),
        other => panic!("{rule}: {other:?}"),
    };
    assert_eq!(path("autogen-host-path"), "spec.template.spec.volumes[0].hostPath");
    assert_eq!(path("autogen-privileged"), "spec.template.spec.containers[0].securityContext.privileged");
    assert_eq!(path("autogen-registries"), "spec.template.spec.containers[1].image");
    let clean = object
        .replace("      volumes:\n        - name: root\n          hostPath:\n            path: /\n", "")
        .replace("privileged: true", "privileged: false")
        .replace("docker.io/library/busybox:1.36", "registry.k8s.io/busybox:1.36");
    let results = run(policy, &clean, &Request::default());
    assert!(results.iter().all(|r| r.outcome == Outcome::Pass), "{results:#?}");
    let system = object.replace("namespace: monitoring", "namespace: kube-system");
    assert!(run(policy, &system, &Request::default()).iter().all(|r| r.rule != "autogen-host-path"));
}

#[test]
fn failure_policy_decides_whether_rule_errors_deny() {
    let with = |extra: &str| {
        Policy::from_node(&node(
            &LATEST.replace("spec:\n  validationFailureAction", &format!("spec:\n{extra}  validationFailureAction")),
        ))
        .unwrap()
    };
    assert!(with("").fails_closed());
    assert!(!with("  failurePolicy: Ignore\n").fails_closed());
    assert!(!with("  webhookConfiguration:\n    failurePolicy: Ignore\n").fails_closed());
}

#[test]
fn foreach_checks_every_element() {
    let policy = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: registries
spec:
  rules:
    - name: allowed-registries
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        message: \"{{ element.name }} uses an image from a registry that is not allowed\"
        foreach:
          - list: request.object.spec.containers
            preconditions:
              all:
                - key: \"{{ element.name }}\"
                  operator: NotEquals
                  value: sidecar
            deny:
              conditions:
                all:
                  - key: \"{{ element.image }}\"
                    operator: Equals
                    value: docker.io/*
    - name: no-host-ports
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        foreach:
          - list: request.object.spec.containers
            pattern:
              =(ports):
                - X(hostPort): \"null\"
";
    let object = DEPLOYMENT.replace(
        "image: envoy:1.30",
        "image: docker.io/envoyproxy/envoy:1.30\n          ports:\n            - containerPort: 80\n              hostPort: 80",
    );
    let results = run(policy, &object, &Request::default());
    // The sidecar is excluded by the element's precondition.
    assert_eq!(outcome(&results, "autogen-allowed-registries"), &Outcome::Pass);
    let Outcome::Fail(v) = outcome(&results, "autogen-no-host-ports") else { panic!("{results:#?}") };
    assert_eq!(v.path.to_string(), "spec.template.spec.containers[1].ports[0].hostPort");
    let results = run(policy, &object.replace("name: sidecar", "name: proxy"), &Request::default());
    let Outcome::Fail(v) = outcome(&results, "autogen-allowed-registries") else { panic!("{results:#?}") };
    assert_eq!(v.path.to_string(), "spec.template.spec.containers[1].image");
    assert_eq!(v.message, "proxy uses an image from a registry that is not allowed");
}
