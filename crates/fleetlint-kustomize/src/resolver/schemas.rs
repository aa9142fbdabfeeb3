//! The kustomization fields that configure a build rather than produce objects: `openapi`
//! (the schema source, see [`crate::openapi`]) and `crds` (name-reference field specs of custom
//! kinds, see [`crate::crds`]); and the kustomization file name origins are written with.

use fleetlint_yaml::Span;
use fleetlint_yaml::relpath::join_in_root;

use super::Resolver;
use super::acc::Acc;
use crate::crds;
use crate::issue::BuildIssue;
use crate::kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
use crate::openapi::{self, OpenApi};
use crate::patch::SchemaSource;

impl Resolver<'_> {
    /// The schema source of a build with top kustomization `k` (its `openapi` field).
    pub(super) fn top_schema(&self, k: Option<&Kustomization>) -> (SchemaSource, Option<BuildIssue>) {
        let Some(k) = k else { return (SchemaSource::BUILTIN, None) };
        let field = OpenApi::of(k).ok().flatten();
        let read = |p: &str| join_in_root(&k.dir, p).and_then(|full| self.read_file(&full).ok());
        openapi::top_schema(field.as_ref(), &read)
    }

    /// The file name of `k`'s kustomization file (origins name it).
    pub(super) fn kust_file_name(&self, k: &Kustomization) -> String {
        k.file.map_or_else(
            || KUSTOMIZATION_FILE_NAMES[0].to_string(),
            |f| {
                let path = &self.db.get(f).path;
                path.rsplit('/').next().unwrap_or(path).to_string()
            },
        )
    }

    /// Check a kustomization's `openapi` field (every kustomization kustomize loads) and record
    /// it for [`openapi::nested_issues`].
    pub(super) fn check_openapi(&self, k: &Kustomization, acc: &mut Acc) {
        match OpenApi::of(k) {
            Err(e) => acc.issues.push(e),
            Ok(None) => {}
            Ok(Some(field)) => {
                if let Some((p, span)) = &field.path
                    && let Some(full) = self.entry_dir(k, p, *span, acc)
                    && !self.yaml.contains_key(full.as_str())
                    && !self.other.contains(full.as_str())
                {
                    acc.fatal(*span, format!("openapi path {p}: no such file"));
                }
                acc.openapi.push(openapi::Nested { dir: k.dir.clone(), field });
            }
        }
    }

    /// Merge the name-reference (and label, annotation, prefix) field specs of a `crds` file.
    pub(super) fn load_crds(&self, k: &Kustomization, path: &str, span: Span, acc: &mut Acc) {
        let Some(full) = self.entry_dir(k, path, span, acc) else { return };
        let bytes = match self.read_file(&full) {
            Ok(b) => b,
            Err(e) => {
                acc.fatal(span, format!("loading CRDs [{path}]: {e}"));
                return;
            }
        };
        if bytes.is_empty() {
            acc.fatal(span, format!("loading CRDs [{path}]: the file is empty (kustomize panics on it)"));
            return;
        }
        match openapi::json_or_yaml(&bytes).and_then(|doc| crds::config_from_definitions(&doc)) {
            Ok(tc) => acc.config.merge(&tc),
            Err(e) => {
                acc.fatal(
                    span,
                    format!("loading CRDs [{path}]: unable to parse open API definition from '{path}': {e}"),
                );
            }
        }
    }
}
