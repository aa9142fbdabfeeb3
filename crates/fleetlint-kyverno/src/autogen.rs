//! Rule auto-generation for Pod controllers: a rule written for `Pod` also applies, rewritten, to
//! Deployments, StatefulSets, DaemonSets, Jobs, ReplicaSets, ReplicationControllers and CronJobs
//! (the pod template), unless the policy opts out.
//!
//! kyverno/kyverno@111e07bbec:pkg/autogen/v1/autogen.go (`CanAutoGen`, `computeRules`,
//! `generateRules`, `updateFields`), pkg/autogen/v1/rule.go (`generateRule`,
//! `generateRuleForControllers`, `generateCronJobRule`) and pkg/autogen/v1/internal/gvk.go
//! (`ConvertKindsToGVK`); `autogen.Default` is v1.

use serde_json::{Map, Value, json};

/// The annotation that lists (or disables, `none`) the controllers rules are generated for.
pub(crate) const CONTROLLERS_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";

const POD_CONTROLLERS: &[&str] =
    &["DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob"];

fn gvk_of(kind: &str) -> String {
    match kind {
        "DaemonSet" | "Deployment" | "StatefulSet" | "ReplicaSet" => format!("apps/v1/{kind}"),
        "Job" | "CronJob" => format!("batch/v1/{kind}"),
        "ReplicationController" | "Pod" => format!("v1/{kind}"),
        other => other.to_owned(),
    }
}

fn kinds_of(block: &Value) -> Vec<&str> {
    block["resources"]["kinds"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

/// `ContainsKind`: a kind list naming `Pod` (in any of its forms: `Pod`, `v1/Pod`, ...).
fn contains_pod(kinds: &[&str]) -> bool {
    kinds.iter().any(|k| {
        let k = k.rsplit('/').next().unwrap_or(k);
        k.split('.').next() == Some("Pod")
    })
}

/// Every filter block of a `match`/`exclude` (the legacy block, `any`, `all`).
fn blocks(m: &Value) -> Vec<&Value> {
    let mut out = vec![m];
    for key in ["any", "all"] {
        out.extend(m[key].as_array().into_iter().flatten());
    }
    out
}

/// `checkAutogenSupport` for one block: no name, names, selector or annotations, and no kind list
/// mixing `Pod` with other kinds. Sets `needed` when a block names a Pod or a Pod controller.
fn supports(block: &Value, needed: &mut bool) -> bool {
    let rd = &block["resources"];
    let kinds = kinds_of(block);
    if rd["name"].as_str().is_some_and(|n| !n.is_empty())
        || rd["names"].as_array().is_some_and(|n| !n.is_empty())
        || !rd["selector"].is_null()
        || !rd["annotations"].is_null()
        || (kinds.len() > 1 && contains_pod(&kinds))
    {
        return false;
    }
    *needed |= kinds.iter().any(|k| *k == "Pod" || POD_CONTROLLERS.contains(k));
    true
}

/// `CanAutoGen`.
fn can_autogen(rules: &[Value]) -> bool {
    let mut needed = false;
    for rule in rules {
        if rule.get("generate").is_some_and(|g| !g.is_null())
            || rule["mutate"]["patchesJson6902"].as_str().is_some_and(|p| !p.is_empty())
            || rule["mutate"]["foreach"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["patchesJson6902"].as_str().is_some_and(|p| !p.is_empty()))
        {
            return false;
        }
        let mut all = blocks(&rule["match"]);
        if !rule["exclude"].is_null() {
            all.extend(blocks(&rule["exclude"]));
        }
        if !all.into_iter().all(|b| supports(b, &mut needed)) {
            return false;
        }
    }
    needed
}

/// The rules Kyverno evaluates for an object of `kind` (`computeRules`): the policy's rules, plus
/// the generated ones when `kind` is a Pod controller autogen applies to.
pub(crate) fn compute_rules(rules: &[Value], annotations: &Map<String, Value>, kind: &str) -> Vec<Value> {
    let applies = can_autogen(rules);
    let controllers: Vec<String> = match annotations.get(CONTROLLERS_ANNOTATION).and_then(Value::as_str) {
        Some(list) if applies => list.split(',').map(str::to_owned).collect(),
        _ if applies => POD_CONTROLLERS.iter().map(|c| (*c).to_owned()).collect(),
        _ => vec!["none".to_owned()],
    };
    if !controllers.iter().any(|c| c == kind) {
        return rules.to_vec();
    }
    let generated: Vec<Value> = rules
        .iter()
        .filter_map(|r| {
            if kind == "CronJob" { cronjob_rule(r) } else { controller_rule(r, kind).map(|g| convert(&g, Shift::Pod)) }
        })
        .collect();
    if generated.is_empty() {
        return rules.to_vec();
    }
    let mut out: Vec<Value> =
        rules.iter().filter(|r| !r["name"].as_str().unwrap_or_default().starts_with("autogen-")).cloned().collect();
    out.extend(generated);
    out
}

fn rule_name(prefix: &str, name: &str) -> String {
    let mut n = format!("{prefix}-{name}");
    if n.len() > 63 {
        let mut cut = 63;
        while !n.is_char_boundary(cut) {
            cut -= 1;
        }
        n.truncate(cut);
    }
    n
}

/// `generateRuleForControllers` for one controller kind (not CronJob).
fn controller_rule(rule: &Value, controller: &str) -> Option<Value> {
    let name = rule["name"].as_str().unwrap_or_default();
    if name.starts_with("autogen-") {
        return None;
    }
    let match_kinds: Vec<&str> = blocks(&rule["match"]).into_iter().flat_map(kinds_of).collect();
    let exclude_kinds: Vec<&str> = if rule["exclude"].is_null() {
        Vec::new()
    } else {
        blocks(&rule["exclude"]).into_iter().flat_map(kinds_of).collect()
    };
    if !contains_pod(&match_kinds) || (!exclude_kinds.is_empty() && !contains_pod(&exclude_kinds)) {
        return None;
    }
    generate(&rule_name("autogen", name), rule, "template", &[controller])
}

/// `generateCronJobRule`: the controller rule for `CronJob`, wrapped once more in `jobTemplate`.
fn cronjob_rule(rule: &Value) -> Option<Value> {
    let name = rule["name"].as_str().unwrap_or_default();
    let inner = controller_rule(rule, "CronJob")?;
    let outer = generate(&rule_name("autogen-cronjob", name), &inner, "jobTemplate", &["CronJob"])?;
    Some(convert(&outer, Shift::CronJob))
}

/// The `any`/`all` block rewrite: blocks naming `Pod` get the controller kinds
/// (`getAnyAllAutogenRule`); for the CronJob rule every block does.
fn replace_kinds(block: &mut Value, gvks: &[String], only_with_pod: bool) {
    if only_with_pod && !contains_pod(&kinds_of(block)) {
        return;
    }
    block["resources"]["kinds"] = json!(gvks);
}

/// `generateRule`: the rule for `kinds`, its patterns wrapped in `spec.<tpl_key>`.
fn generate(name: &str, rule: &Value, tpl_key: &str, kinds: &[&str]) -> Option<Value> {
    let mut r = rule.clone();
    r["name"] = json!(name);
    let gvks: Vec<String> = kinds.iter().map(|k| gvk_of(k)).collect();
    let with_pod = tpl_key == "template";
    for side in ["match", "exclude"] {
        if r[side].is_null() {
            continue;
        }
        let has_any = r[side]["any"].as_array().is_some_and(|a| !a.is_empty());
        let has_all = r[side]["all"].as_array().is_some_and(|a| !a.is_empty());
        if has_any || has_all {
            let key = if has_any { "any" } else { "all" };
            for b in r[side][key].as_array_mut().into_iter().flatten() {
                replace_kinds(b, &gvks, with_pod);
            }
        } else if side == "match" || !kinds_of(&r[side]).is_empty() {
            r[side]["resources"]["kinds"] = json!(gvks);
        }
    }
    let validate = r.get_mut("validate")?;
    let wrap = |p: &Value| json!({"spec": {tpl_key: p.clone()}});
    if let Some(p) = validate.get("pattern").cloned() {
        validate["pattern"] = wrap(&p);
    } else if let Some(Value::Array(ps)) = validate.get("anyPattern").cloned() {
        validate["anyPattern"] = Value::Array(ps.iter().map(wrap).collect());
    } else if validate.get("deny").is_none()
        && validate.get("podSecurity").is_none()
        && validate.get("foreach").is_none()
        && validate.get("cel").is_none()
    {
        return None;
    }
    Some(r)
}

#[derive(Clone, Copy)]
enum Shift {
    Pod,
    CronJob,
}

/// `convertRule`/`updateFields`: variable paths into the object move into the pod template.
fn convert(rule: &Value, shift: Shift) -> Value {
    let text = rule.to_string();
    let (spec, meta) = match shift {
        Shift::Pod => ("spec.template.spec", "spec.template.metadata"),
        Shift::CronJob => ("spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"),
    };
    let mut out = text;
    for obj in ["request.object", "request.oldObject"] {
        out = out.replace(&format!("{obj}.spec"), &format!("{obj}.{spec}"));
        out = out.replace(&format!("{obj}.metadata"), &format!("{obj}.{meta}"));
    }
    serde_json::from_str(&out).unwrap_or_else(|_| rule.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_rule() -> Value {
        json!({"name": "no-latest", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "{{request.object.metadata.name}} uses latest", "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}}})
    }

    #[test]
    fn deployments_get_a_template_rule() {
        let rules = compute_rules(&[pod_rule()], &Map::new(), "Deployment");
        assert_eq!(rules.len(), 2);
        let g = &rules[1];
        assert_eq!(g["name"], "autogen-no-latest");
        assert_eq!(g["match"]["any"][0]["resources"]["kinds"], json!(["apps/v1/Deployment"]));
        assert_eq!(g["validate"]["pattern"]["spec"]["template"]["spec"]["containers"][0]["image"], "!*:latest");
        assert_eq!(g["validate"]["message"], "{{request.object.spec.template.metadata.name}} uses latest");
    }

    #[test]
    fn cronjobs_get_a_job_template_rule() {
        let rules = compute_rules(&[pod_rule()], &Map::new(), "CronJob");
        let g = &rules[1];
        assert_eq!(g["name"], "autogen-cronjob-no-latest");
        assert_eq!(g["match"]["any"][0]["resources"]["kinds"], json!(["batch/v1/CronJob"]));
        assert!(g["validate"]["pattern"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"].is_array());
    }

    #[test]
    fn opt_outs() {
        let none = Map::from_iter([(CONTROLLERS_ANNOTATION.to_owned(), json!("none"))]);
        assert_eq!(compute_rules(&[pod_rule()], &none, "Deployment").len(), 1);
        let only_ds = Map::from_iter([(CONTROLLERS_ANNOTATION.to_owned(), json!("DaemonSet"))]);
        assert_eq!(compute_rules(&[pod_rule()], &only_ds, "Deployment").len(), 1);
        assert_eq!(compute_rules(&[pod_rule()], &only_ds, "DaemonSet").len(), 2);
        let mut named = pod_rule();
        named["match"]["any"][0]["resources"]["names"] = json!(["web"]);
        assert_eq!(compute_rules(&[named], &Map::new(), "Deployment").len(), 1);
        let mut mixed = pod_rule();
        mixed["match"]["any"][0]["resources"]["kinds"] = json!(["Pod", "Service"]);
        assert_eq!(compute_rules(&[mixed], &Map::new(), "Deployment").len(), 1);
        assert_eq!(compute_rules(&[pod_rule()], &Map::new(), "Pod").len(), 1);
    }
}
