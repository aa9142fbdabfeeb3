//! The Kyverno evaluator on an arbitrary policy and object: `=== policy`, the policy's YAML,
//! `=== object`, the object's YAML (seeded from real policies by `fuzz/seed.sh`; libFuzzer
//! mutates both texts). Loading and evaluating never panics, whatever the policy says; every
//! violation's span lies in the object's text; the evaluation does not depend on anything but
//! its inputs (a second run gives the same results).
#![no_main]

use std::collections::BTreeMap;

use fleetlint_kyverno::{Object, Operation, Options, Outcome, Policy, Request, UserInfo};
use fleetlint_yaml::{FileId, Limits, Node, parse_yaml};
use libfuzzer_sys::fuzz_target;

fn first_document(id: u32, text: &str) -> Option<Node> {
    let parsed = parse_yaml(FileId(id), text, &Limits::default());
    parsed.documents.into_iter().map(|d| d.root).find(|n| !n.is_null())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(rest) = text.strip_prefix("=== policy\n") else { return };
    let (policy_text, object_text) = rest.split_once("\n=== object\n").unwrap_or((rest, ""));
    let Some(policy_node) = first_document(0, policy_text) else { return };
    let Ok(policy) = Policy::from_node(&policy_node) else { return };
    let _ = policy.fails_closed();
    let Some(object_node) = first_document(1, object_text) else { return };
    let object = Object::new(&object_node);
    let labels: BTreeMap<String, String> =
        [("toolkit.fluxcd.io/tenant".to_string(), "dev-team".to_string())].into_iter().collect();
    let user = UserInfo {
        username: "system:serviceaccount:dev-team:flux".to_string(),
        groups: vec!["system:serviceaccounts".to_string(), "system:serviceaccounts:dev-team".to_string()],
        roles: Some(vec!["dev-team:admin".to_string()]),
        cluster_roles: Some(vec!["cluster-admin".to_string()]),
    };
    let requests = [
        Request::default(),
        Request { namespace_labels: Some(&labels), operation: Operation::Update, user: Some(&user) },
    ];
    for (request, version) in requests.iter().zip([None, Some((1, 12, 0))]) {
        let options = Options { kyverno_version: version };
        let results = policy.evaluate(&object, request, &options);
        for r in &results {
            if let Outcome::Fail(v) = &r.outcome {
                let (start, end) = (v.span.start as usize, v.span.end as usize);
                assert_eq!(v.span.file, FileId(1), "a violation points outside the object");
                assert!(start <= end && end <= object_text.len(), "violation span {start}..{end} outside the object");
            }
        }
        let again = policy.evaluate(&object, request, &options);
        assert_eq!(format!("{results:?}"), format!("{again:?}"), "evaluation is not deterministic");
    }
});
