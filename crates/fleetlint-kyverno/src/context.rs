//! The data variables are read from: the admission request document Kyverno builds
//! (kyverno/kyverno@111e07bbec:pkg/engine/context/context.go, `AddRequest`, and the variables
//! the engine adds), and the rule's `context` entries (pkg/engine/context/loaders/variable.go;
//! entries loaded from the cluster or a registry are loaded lazily, `deferred.go`, so they only
//! matter when the rule reads them).

use serde_json::{Map, Value, json};

use crate::engine::{NotEvaluable, Object, Operation, Outcome, Request, var_outcome};
use crate::jmes::{QueryError, Scope, query};
use crate::vars::{Missing, substitute_all, substitute_string};

/// The request document variables are read from, and what in it fleetlint cannot know.
pub(crate) fn context_root(
    object: &Object<'_>,
    namespace: Option<&str>,
    request: &Request<'_>,
) -> (Value, Vec<String>) {
    let o = &object.json;
    let api_version = o["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let mut req = Map::new();
    req.insert("operation".into(), json!(request.operation.as_str()));
    req.insert("object".into(), o.clone());
    req.insert("name".into(), o["metadata"]["name"].clone());
    if let Some(ns) = namespace {
        req.insert("namespace".into(), json!(ns));
    }
    req.insert("kind".into(), json!({"group": group, "version": version, "kind": o["kind"]}));
    req.insert("dryRun".into(), json!(false));
    let mut unavailable: Vec<String> = [
        "images",
        "target",
        "element",
        "elementIndex",
        "request.uid",
        "request.resource",
        "request.requestKind",
        "request.requestResource",
        "request.options",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut root = Map::new();
    match request.operation {
        Operation::Create => {
            req.insert("oldObject".into(), Value::Null);
        }
        Operation::Update => unavailable.push("request.oldObject".into()),
    }
    match request.user {
        Some(u) => {
            req.insert("userInfo".into(), json!({"username": u.username, "groups": u.groups}));
            match &u.roles {
                Some(r) => {
                    req.insert("roles".into(), json!(r));
                }
                None => unavailable.push("request.roles".into()),
            }
            match &u.cluster_roles {
                Some(r) => {
                    req.insert("clusterRoles".into(), json!(r));
                }
                None => unavailable.push("request.clusterRoles".into()),
            }
            if let Some(rest) = u.username.strip_prefix("system:serviceaccount:")
                && let Some((ns, name)) = rest.split_once(':')
            {
                root.insert("serviceAccountName".into(), json!(name));
                root.insert("serviceAccountNamespace".into(), json!(ns));
            }
        }
        None => unavailable.extend(
            [
                "request.userInfo",
                "request.roles",
                "request.clusterRoles",
                "serviceAccountName",
                "serviceAccountNamespace",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        ),
    }
    root.insert("request".into(), Value::Object(req));
    (Value::Object(root), unavailable)
}

/// Load the rule's `context`: `variable` entries are computed, the others (loaded from the
/// cluster or a registry) are marked unavailable, which matters only if the rule reads them
/// (Kyverno loads context entries lazily).
pub(crate) fn load_context(rule: &Value, root: &mut Value, unavailable: &mut Vec<String>) -> Result<(), Outcome> {
    for entry in rule["context"].as_array().into_iter().flatten() {
        let Some(name) = entry["name"].as_str() else { continue };
        let Some(var) = entry.get("variable").filter(|v| !v.is_null()) else {
            unavailable.push(name.to_owned());
            continue;
        };
        let result = {
            let scope = Scope { root, unavailable };
            let base = match var.get("value") {
                Some(v) => Some(substitute_all(v, &scope, Missing::Error).map_err(var_outcome)?),
                None => None,
            };
            let queried = match (var["jmesPath"].as_str().filter(|p| !p.is_empty()), &base) {
                (Some(path), Some(b)) => query(path, &Scope { root: b, unavailable: &[] }),
                (Some(path), None) => {
                    let path = match substitute_string(path, &scope, Missing::Error).map_err(var_outcome)? {
                        Value::String(p) => p,
                        _ => return Err(Outcome::Error(format!("context entry {name}: jmesPath is not a string"))),
                    };
                    query(&path, &scope)
                }
                (None, Some(b)) => Ok(b.clone()),
                (None, None) => Ok(Value::Null),
            };
            match queried {
                Ok(v) if !v.is_null() => Ok(v),
                Ok(_) | Err(QueryError::NotFound(_)) => match var.get("default") {
                    Some(d) => substitute_all(d, &scope, Missing::Error).map_err(var_outcome),
                    None => Err(Outcome::Error(format!("context entry {name}: variable has no value and no default"))),
                },
                Err(QueryError::Invalid(m)) => Err(Outcome::Error(m)),
                Err(QueryError::Unsupported(f)) => Err(Outcome::NotEvaluable(NotEvaluable::Function(f))),
                Err(QueryError::Unavailable(_)) => {
                    unavailable.push(name.to_owned());
                    continue;
                }
            }
        };
        root[name] = result?;
    }
    Ok(())
}

/// Where a context entry of the rule comes from, when it is loaded from outside the repository
/// (`configMap`, `apiCall`, `imageRegistry`, `globalReference`).
pub(crate) fn external_source(rule: &Value, name: &str) -> Option<&'static str> {
    let entry = rule["context"].as_array()?.iter().find(|e| e["name"].as_str() == Some(name))?;
    ["configMap", "apiCall", "imageRegistry", "globalReference"]
        .into_iter()
        .find(|s| entry.get(*s).is_some_and(|v| !v.is_null()))
}
