//! Data generated from the Kubernetes schemas by `cargo run -p fleetlint-dev -- <generator>`,
//! and the lookups over it.
//! Never edit the generated files by hand; a test in `fleetlint-dev` fails when they are stale.

#[rustfmt::skip]
pub(crate) mod merge_keys;

use crate::patch::schema::TypeSchema;
use merge_keys::GVKS;

/// The schema of a built-in kind, by `apiVersion` (`v1`, `apps/v1`) and `kind`, as kustomize's
/// embedded OpenAPI knows it; `None` for anything else.
#[must_use]
pub fn schema_for(api_version: &str, kind: &str) -> Option<&'static TypeSchema> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    GVKS.binary_search_by(|g| (g.group, g.version, g.kind).cmp(&(group, version, kind))).ok().map(|i| GVKS[i].schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_found() {
        for w in GVKS.windows(2) {
            assert!((w[0].group, w[0].version, w[0].kind) < (w[1].group, w[1].version, w[1].kind));
        }
        for g in GVKS {
            for w in g.schema.fields.windows(2) {
                assert!(w[0].path < w[1].path, "{} {}", w[0].path, w[1].path);
            }
        }
        let d = schema_for("apps/v1", "Deployment").unwrap();
        let c = d.field("spec.template.spec.containers").unwrap();
        assert!(c.is_merged_list());
        assert_eq!(c.keys, &["name"]);
        let p = d.field("spec.template.spec.containers[].ports").unwrap();
        assert_eq!(p.keys, &["containerPort", "protocol"]);
        assert!(d.field("spec.template.spec.volumes").unwrap().is_merged_list());
        assert!(d.field("spec.template.spec.tolerations").is_none());
        assert!(schema_for("v1", "Service").unwrap().field("spec.ports").unwrap().is_merged_list());
        assert!(schema_for("helm.toolkit.fluxcd.io/v2", "HelmRelease").is_none());
        // kustomize's embedded OpenAPI (v1.21.2) lacks these: lists are replaced.
        assert!(d.field("spec.template.spec.schedulingGates").is_none());
        assert!(schema_for("autoscaling/v2", "HorizontalPodAutoscaler").is_none());
        assert!(schema_for("batch/v1beta1", "CronJob").is_some());
    }
}
