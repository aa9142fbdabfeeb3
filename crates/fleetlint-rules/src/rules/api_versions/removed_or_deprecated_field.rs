use fleetlint_fleet::VersionFrom;
use fleetlint_yaml::FluxKind;

use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use crate::rules::api_versions::helpers::fields::{FIELD_RULES, entries_at};
use crate::rules::api_versions::helpers::versions::NEWEST_MINOR;
use crate::rules::api_versions::unsupported_api_version::assumed_version_note;

declare_rule! {
    /// ## What it does
    /// Reports, on Flux objects rendered in a cluster, the fields the Flux APIs removed or
    /// deprecated — and only those (any other field a schema does not declare is SCH002's):
    /// Kustomization v1 `spec.validation`, `spec.patchesStrategicMerge`, `spec.patchesJson6902`;
    /// HelmRelease v2 `spec.chart.spec.valuesFile`,
    /// `spec.postRenderers[].kustomize.patchesStrategicMerge|patchesJson6902`; GitRepository v1
    /// `spec.gitImplementation`, `spec.accessFrom` (errors: not in the schema). Deprecated but
    /// still accepted (warnings): the same fields in the beta versions that still have them,
    /// HelmRelease `spec.install.skipCRDs` and `spec.rollback.recreate`, Provider `spec.proxy` and
    /// `spec.interval`, Alert `spec.summary`. ImageUpdateAutomation commit templates using
    /// `.Updated` or `.Changed.ImageResult` are errors on Flux 2.7 and later (removed; judged
    /// against Flux 2.9 when the cluster does not state its version) and warnings before.
    ///
    /// ## Why is this bad?
    /// Under Flux's server-side apply a field outside the schema fails the dry-run
    /// (`.spec.patchesStrategicMerge: field not declared in schema`) or, depending on the API
    /// server's field validation, is dropped: either way the patch or setting never applies.
    /// A removed template field fails every automation run with a template error. Deprecated
    /// fields still work but disappear with the next API version.
    ///
    /// ## Severity
    /// `error` for a field the object's API version no longer has; `warning` for a deprecated field
    /// that still works. Where that depends on a Flux release the repository does not state
    /// (overriding the catalog, issue 14): `warning` for a removal (the field is deprecated in the
    /// releases before), `info` for a deprecation.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// spec:
    ///   patchesStrategicMerge: [...]    # not in the v1 schema -> dry-run error; use spec.patches
    /// ```
    ///
    /// A deprecation that a later controller introduced (`spec.rollback.recreate`, a no-op since
    /// helm-controller 1.5 / Flux 2.8 moved to the Helm 4 SDK) is judged by the cluster's Flux
    /// version (issue 14 item 8). When the version is unknown, such a version-dependent finding is
    /// an info judged against the newest release that says so and how to state the version
    /// (`clusterOverrides.<cluster>.fluxVersion`): fleetlint cannot know the field is deprecated
    /// or removed on that cluster. The finding points at the field, also when a Flux
    /// Kustomization's `spec.patches` text writes it.
    ///
    /// ## Fix
    /// Use what the message names: `spec.patches` for the old patch fields, `valuesFiles`,
    /// `install.crds: Skip`, `proxySecretRef`, `eventMetadata`; `.Changed` in commit templates.
    pub(crate) struct RemovedOrDeprecatedField {
        code: "API002",
        name: "removed-or-deprecated-field",
        category: Category::ApiVersion,
        severity: Severity::Error,
    }
}

impl Rule for RemovedOrDeprecatedField {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        // One finding per written field, however many objects a base renders from it.
        let mut seen = std::collections::HashSet::new();
        let version = &cx.cluster.flux_version;
        let minor = match version.minor() {
            Some((2, m)) => m,
            Some(_) => return, // Flux 0.x: not judged (API001 says so)
            None => NEWEST_MINOR,
        };
        for (i, o) in cx.cluster.objects.iter().enumerate() {
            if o.synthesized {
                continue;
            }
            let Some(view) = o.view() else { continue };
            let (group, kind) = (view.group(), view.kind());
            let Some((_, version)) = view.api_version().rsplit_once('/') else { continue };
            for rule in FIELD_RULES.iter().filter(|r| r.group == group && r.kind == kind) {
                let severity = if rule.absent_in.contains(&version) {
                    Severity::Error
                } else if rule.deprecated_in.contains(&version) && minor >= rule.deprecated_since {
                    Severity::Warning
                } else {
                    continue;
                };
                for (entry, path) in entries_at(&o.root, rule.path) {
                    if !seen.insert(entry.key.span) {
                        continue;
                    }
                    let message = match severity {
                        Severity::Error => {
                            format!("`{path}` is not in the `{group}/{version}` {kind} schema; {}", rule.instead)
                        }
                        _ => format!("`{path}` is deprecated in `{group}/{version}` {kind}; {}", rule.instead),
                    };
                    let assumed = rule.deprecated_since > 0 && cx.cluster.flux_version.from == VersionFrom::Assumed;
                    // Under an assumed version, as API001: a removal is a warning (deprecated
                    // in the releases before it), a deprecation an info.
                    let (severity, message) = if assumed {
                        let severity = if severity == Severity::Error { Severity::Warning } else { Severity::Info };
                        (severity, format!("{message} {}", assumed_version_note(NEWEST_MINOR)))
                    } else {
                        (severity, message)
                    };
                    let help = match severity {
                        Severity::Error => format!(
                            "Flux's server-side apply rejects it (`.{path}: field not declared in schema`) or the API \
                             server drops it; {}",
                            rule.instead
                        ),
                        _ => rule.instead.to_string(),
                    };
                    let span = field_span(cx, entry.key.span, &path);
                    let f =
                        Finding::new(Self::ID, span, message).with_severity(severity).with_help(help).with_field(path);
                    out.push(cx.about(f, i));
                }
            }
            if o.flux_kind() == Some(FluxKind::ImageUpdateAutomation) {
                self.commit_template(cx, i, &mut seen, out);
            }
        }
    }
}

impl RemovedOrDeprecatedField {
    /// ImageUpdateAutomation commit templates using the template data image-automation-controller
    /// 1.0 (Flux 2.7) removed.
    fn commit_template(
        &self,
        cx: &ClusterContext<'_>,
        i: usize,
        seen: &mut std::collections::HashSet<fleetlint_yaml::Span>,
        out: &mut Vec<Finding>,
    ) {
        let o = cx.object(i);
        let Some(entry) = o.root.get_path(&["spec", "git", "commit"]).and_then(|c| c.entry("messageTemplate")) else {
            return;
        };
        let Some(text) = entry.value.as_str() else { return };
        if !seen.insert(entry.key.span) {
            return;
        }
        let used: Vec<&str> =
            [".Updated", ".Changed.ImageResult"].into_iter().filter(|f| uses_template_field(text, f)).collect();
        if used.is_empty() {
            return;
        }
        let v = &cx.cluster.flux_version;
        let minor = match v.minor() {
            Some((2, m)) => m,
            Some(_) => return,
            None => NEWEST_MINOR,
        };
        let fields = used.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ");
        let (severity, mut message) = if minor >= 7 {
            (Severity::Error, format!("the commit message template uses {fields}, removed in Flux 2.7"))
        } else {
            (
                Severity::Warning,
                format!("the commit message template uses {fields}, deprecated and removed in Flux 2.7"),
            )
        };
        let severity = if v.from == VersionFrom::Assumed {
            message.push_str(&format!(" {}", assumed_version_note(NEWEST_MINOR)));
            // Deprecated before 2.7 removed it: a warning whatever the cluster runs.
            Severity::Warning
        } else {
            severity
        };
        // The key: a block scalar's own span starts at its first content line.
        let f = Finding::new(Self::ID, entry.key.span, message)
            .with_severity(severity)
            .with_help(
                "use `.Changed` (`.Changed.FileChanges`, `.Changed.Objects`, `.Changed.Changes`) instead; the \
                 template otherwise fails and no commit is pushed",
            )
            .with_field("spec.git.commit.messageTemplate");
        out.push(cx.about(f, i));
    }
}

/// Where the field is written. A field that a Flux Kustomization's `spec.patches` text writes
/// inside another patch's text (a patch of Kustomizations that patches their HelmReleases) keeps
/// only the position of the outer text; the key itself is then the first `<key>:` after that
/// position in the same document.
fn field_span(cx: &ClusterContext<'_>, span: fleetlint_yaml::Span, path: &str) -> fleetlint_yaml::Span {
    let key = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
    let text = &cx.db.get(span.file).text;
    let start = span.start as usize;
    let Some(rest) = text.get(start..) else { return span };
    if rest.starts_with(key) {
        return span;
    }
    let doc_end = rest.find("\n---").unwrap_or(rest.len());
    let found = rest[..doc_end].match_indices(key).find(|(at, _)| {
        let before = rest[..*at].chars().next_back();
        let after = rest[at + key.len()..].trim_start_matches([' ', '"', '\'']);
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') && after.starts_with(':')
    });
    match found {
        Some((at, _)) => fleetlint_yaml::Span::new(span.file, start + at, start + at + key.len()),
        None => span,
    }
}

/// Whether a Go template refers to the field `field` (`.Updated` but not `.UpdatedAt`).
fn uses_template_field(text: &str, field: &str) -> bool {
    text.match_indices(field).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + field.len()..].chars().next();
        // A whole identifier after a non-identifier character: `{{ .Updated`, `range .Updated`,
        // not `.UpdatedAt` or `$x.Updated` (a field of some other value).
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_fields_match_whole_identifiers() {
        assert!(uses_template_field("{{ range .Updated.Images }}{{ . }}{{ end }}", ".Updated"));
        assert!(uses_template_field("{{ .Changed.ImageResult }}", ".Changed.ImageResult"));
        assert!(!uses_template_field("{{ .UpdatedAt }}", ".Updated"));
        assert!(!uses_template_field("{{ .Changed.FileChanges }}", ".Changed.ImageResult"));
    }
}
