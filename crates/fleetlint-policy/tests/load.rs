//! Loading user policies: what is accepted, and every mistake reported at its line.

use fleetlint_policy::{Context, LoadOptions, Origin, Scope, Severity, duplicate_codes, load_file};
use fleetlint_yaml::{FileId, Limits, parse_yaml};

const RESERVED: &[&str] = &["API", "HYG", "ISO", "ORD", "SRC", "XNS", "SCH", "POL", "FLT"];

fn load(text: &str) -> (Vec<fleetlint_policy::Policy>, Vec<(usize, String)>) {
    let (p, e) = load_file(FileId(0), text, Origin::User, &LoadOptions { reserved_prefixes: RESERVED });
    let errors = e.into_iter().map(|e| (text[..e.span.start as usize].matches('\n').count() + 1, e.message)).collect();
    (p, errors)
}

const GOOD: &str = "\
code: ACME001
name: team-label
severity: error
description: Every Deployment names its owning team.
help: Add a `team` label.
message: \"{{ kind }} {{ name }} in {{ cluster }} has no team label (`{{ path }}`)\"
match:
  kinds: [apps/Deployment]
  namespaces: [\"team-*\"]
  excludeNames: [\"legacy-*\"]
  scope: tenant
  clusters: [prod-*]
assert:
  properties:
    metadata:
      required: [labels]
      properties:
        labels:
          required: [team]
";

#[test]
fn a_user_policy_loads_and_matches_its_context() {
    let (policies, errors) = load(GOOD);
    assert!(errors.is_empty(), "{errors:?}");
    let p = &policies[0];
    assert_eq!(
        (p.code.as_str(), p.name.as_str(), p.severity, p.origin),
        ("ACME001", "team-label", Severity::Error, Origin::User)
    );
    let object = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\n";
    let node = parse_yaml(FileId(1), object, &Limits::default()).documents.remove(0).root;
    let ctx = Context { cluster: "prod-eu", scope: Scope::Tenant, tenant: Some("team-a"), owner: None };
    let v = p.check(&node, &ctx);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].message, "Deployment web in prod-eu has no team label (`metadata.labels`)");
    assert_eq!(&object[v[0].span.start as usize..v[0].span.end as usize], "metadata");
    for other in [Context { cluster: "staging", ..ctx }, Context { scope: Scope::Platform, ..ctx }] {
        assert!(p.check(&node, &other).is_empty());
    }
    let legacy = object.replace("name: web", "name: legacy-web");
    let node = parse_yaml(FileId(1), &legacy, &Limits::default()).documents.remove(0).root;
    assert!(p.check(&node, &ctx).is_empty());
}

#[test]
fn mistakes_are_errors_at_their_line() {
    let cases: &[(&str, &str, usize, &str)] = &[
        ("code: ACME001", "code: POL900", 1, "prefix of fleetlint's own rules"),
        ("code: ACME001", "code: acme-1", 1, "is not a code"),
        ("name: team-label", "name: Team_Label", 2, "is not a name"),
        ("severity: error", "severity: fatal", 3, "is not error, warning or info"),
        ("help: Add a `team` label.", "hlep: x", 5, "unknown key `hlep`"),
        ("  scope: tenant", "  scope: everyone", 11, "scope `everyone`"),
        ("  excludeNames: [\"legacy-*\"]", "  excludeNames: [\"[\"]", 10, "not a glob"),
        ("  kinds: [apps/Deployment]", "  kinds: [a/b/c/d]", 8, "is not a kind"),
        ("      required: [labels]", "      required: labels", 14, "not a valid JSON Schema"),
        ("in {{ cluster }}", "in {{ clusterName }}", 6, "unknown placeholder"),
    ];
    for (from, to, line, says) in cases {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from}");
        let (policies, errors) = load(&text);
        assert!(policies.is_empty(), "{to}: loaded anyway");
        assert!(errors.iter().any(|(l, m)| l == line && m.contains(says)), "{to}: {errors:?}");
    }
    let (_, errors) = load(&GOOD.replace("description: Every Deployment names its owning team.\n", ""));
    assert!(errors.iter().any(|(_, m)| m.contains("needs `description`")), "{errors:?}");
}

#[test]
fn duplicate_codes_are_reported_once_each() {
    let text = format!("{GOOD}---\n{}", GOOD.replace("name: team-label", "name: other"));
    let (policies, errors) = load(&text);
    assert!(errors.is_empty());
    let dups = duplicate_codes(&policies);
    assert_eq!(dups.len(), 1);
    assert!(dups[0].message.contains("ACME001"));
}

/// Every policy example of `policies/README.md` loads as a user policy.
#[test]
fn the_readme_examples_load() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/README.md"))
            .unwrap();
    let mut examples = 0;
    for block in readme.split("```yaml\n").skip(1) {
        let block = block.split("```").next().unwrap();
        if !block.starts_with("code:") {
            continue;
        }
        let (policies, errors) = load(block);
        assert!(errors.is_empty() && policies.len() == 1, "{block}\n{errors:?}");
        examples += 1;
    }
    assert!(examples >= 3, "found {examples} examples");
}
