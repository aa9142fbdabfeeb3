//! Accumulating a kustomization, in kustomize's order (`api/internal/target/kusttarget.go`
//! `AccumulateTarget`): resources and bases (files, directories, remote entries), configurations,
//! CRDs, generators, components, transformers, plugins, validators, Helm charts, vars; with the
//! cycle check and the nesting limit.

use std::sync::Arc;

use fleetlint_yaml::Span;
use fleetlint_yaml::relpath::{join_in_root, join_lexical};

use super::acc::{Acc, absorb_generated};
use super::targets::TargetIndex;
use super::{AccResult, MAX_NESTING, Resolver, Scope, under};
use crate::buildmeta;
use crate::fieldspec::TransformerConfig;
use crate::generator::{self, GenOptions};
use crate::issue::{BuildIssue, BuildIssueKind};
use crate::kustfile::Kustomization;
use crate::patch::SchemaSource;
use crate::resource::Origin;
use crate::vars;

pub(super) fn is_remote(path: &str) -> bool {
    const PREFIXES: [&str; 9] =
        ["http://", "https://", "git@", "ssh://", "git::", "github.com/", "gitlab.com/", "bitbucket.org/", "file://"];
    if PREFIXES.iter().any(|p| path.starts_with(p)) || path.contains("?ref=") || path.contains("?version=") {
        return true;
    }
    match path.split_once('/') {
        Some((host, _)) => host.contains('.') && !host.starts_with('.') && !host.contains(' '),
        None => false,
    }
}

impl Resolver<'_> {
    /// Accumulate a (non-component) kustomization directory. `Err(empty)` means there is no
    /// kustomization file.
    fn accumulate_dir(&self, dir: &str, stack: &mut Vec<String>, schema: SchemaSource) -> AccResult {
        let key = (dir.to_string(), schema.id());
        if let Some(hit) = self.acc_cache.take(&key) {
            return hit;
        }
        let result = self.accumulate_dir_uncached(dir, stack, schema);
        let cyclic = matches!(&result, Ok(a) if a.cyclic || a.depth_limited);
        let result = Arc::new(result);
        if !cyclic {
            self.acc_cache.keep(key, &result);
        }
        result
    }

    pub(super) fn accumulate_dir_uncached(
        &self,
        dir: &str,
        stack: &mut Vec<String>,
        schema: SchemaSource,
    ) -> Result<Acc, Vec<BuildIssue>> {
        match self.load_kustomization(dir) {
            Err(e) => Err(e),
            Ok(k) if k.is_component() => Err(vec![BuildIssue::invalid(
                k.root.get("kind").map_or(k.root.span, |n| n.span),
                true,
                format!("expected kind != 'Component' for path '{dir}'"),
            )]),
            Ok(k) => {
                let mut acc = Acc::default();
                acc.entered.push(dir.to_string());
                stack.push(dir.to_string());
                self.accumulate_target(&k, &mut acc, stack, Scope { prefix: "", schema });
                stack.pop();
                Ok(acc)
            }
        }
    }

    pub(super) fn entry_dir(&self, k: &Kustomization, path: &str, span: Span, acc: &mut Acc) -> Option<String> {
        match join_in_root(&k.dir, path) {
            Some(p) => Some(p),
            None => {
                // kustomize-controller builds on a file system rooted at the artifact
                // (fluxcd/pkg `kustomize/filesys/fs_secure.go`), so a path out of it fails the
                // build, as a missing resource fails `kustomize build`
                acc.issues.push(BuildIssue::invalid(
                    span,
                    true,
                    format!("{path} leaves the repository root; kustomize-controller cannot load it"),
                ));
                acc.incomplete = true;
                None
            }
        }
    }

    fn remote(acc: &mut Acc, span: Span, path: &str) {
        acc.issues.push(BuildIssue {
            kind: BuildIssueKind::RemoteResource,
            message: format!("remote resource {path} is not fetched; the build result leaves it out"),
            span,
            fatal: false,
        });
        acc.incomplete = true;
    }

    /// The nesting limit stops this entry: a finding, and an accumulation that depends on the
    /// depth it was reached at (so it is not cached).
    fn too_deep(acc: &mut Acc, span: Span, path: &str) {
        acc.issues.push(BuildIssue::invalid(
            span,
            false,
            format!(
                "{path}: kustomizations nested deeper than {MAX_NESTING} levels; fleetlint does not follow them, so the build result leaves them out"
            ),
        ));
        acc.incomplete = true;
        acc.depth_limited = true;
    }

    fn cycle_check(stack: &[String], candidate: &str) -> bool {
        stack.iter().any(|visited| under(candidate, visited))
    }

    pub(super) fn accumulate_resources(
        &self,
        k: &Kustomization,
        list: &[(String, Span)],
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) {
        acc.begin_appends();
        self.accumulate_resource_entries(k, list, acc, stack, scope);
        acc.end_appends();
    }

    fn accumulate_resource_entries(
        &self,
        k: &Kustomization,
        list: &[(String, Span)],
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) {
        for (path, span) in list {
            let Some(full) = self.entry_dir(k, path, *span, acc) else {
                if is_remote(path) {
                    acc.issues.pop();
                    Self::remote(acc, *span, path);
                }
                continue;
            };
            if self.yaml.contains_key(full.as_str()) || self.other.contains(full.as_str()) {
                self.load_resource_file(&full, *span, acc, &Origin::file(scope.prefix, path));
            } else if self.dirs.contains(&full) {
                if self.too_deep_to_enter(stack.len(), &full) {
                    Self::too_deep(acc, *span, path);
                    continue;
                }
                if Self::cycle_check(stack, &full) {
                    acc.fatal(*span, format!("cycle detected: {path} contains or is an already visited directory"));
                    acc.cyclic = true;
                    continue;
                }
                let sub = self.accumulate_dir(&full, stack, scope.schema);
                if matches!(&*sub, Err(issues) if !issues.is_empty()) {
                    // Entered, and failed there: its own accumulation is not kept.
                    acc.entered.push(full.clone());
                }
                // The only holder (a base no other kustomization lists) gives its objects away.
                let sub = match Arc::try_unwrap(sub) {
                    Ok(Ok(owned)) => {
                        acc.absorb_owned(owned, *span, &join_lexical(scope.prefix, path));
                        continue;
                    }
                    Ok(err) => Arc::new(err),
                    Err(shared) => shared,
                };
                match &*sub {
                    Ok(sub) => acc.absorb(sub, *span, &join_lexical(scope.prefix, path)),
                    Err(issues) if issues.is_empty() => {
                        acc.fatal(
                            *span,
                            format!("accumulating resources from {path}: no kustomization file in the directory"),
                        );
                    }
                    Err(issues) => {
                        if issues.iter().any(|i| i.message.starts_with("expected kind != 'Component'")) {
                            acc.fatal(*span, format!("{path} is a Component; list it under components"));
                            acc.issues.extend(issues.iter().cloned());
                        } else {
                            // The base's own problem first: it is the cause kustomize's chained
                            // error ends with, and the one failure a build keeps
                            // (`keep_first_failure`) should point at it, not at this entry.
                            acc.issues.extend(issues.iter().cloned());
                            acc.fatal(*span, format!("accumulating resources from {path}: invalid kustomization"));
                        }
                    }
                }
            } else if is_remote(path) {
                Self::remote(acc, *span, path);
            } else {
                acc.fatal(*span, format!("accumulating resources from {path}: no such file or directory"));
            }
        }
    }

    pub(super) fn accumulate_target(
        &self,
        k: &Kustomization,
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) {
        self.check_openapi(k, acc);
        let mut resources = k.str_list("resources");
        resources.extend(k.str_list("bases"));
        self.accumulate_resources(k, &resources, acc, stack, scope);

        for (path, span) in k.str_list("configurations") {
            let Some(full) = self.entry_dir(k, &path, span, acc) else { continue };
            match self.documents(&full, span) {
                Ok(docs) => {
                    for d in docs {
                        acc.config.merge(&TransformerConfig::from_node(&d));
                    }
                }
                Err(e) => acc.issues.push(e),
            }
        }
        for (path, span) in k.str_list("crds") {
            self.load_crds(k, &path, span, acc);
        }

        self.run_generators(k, acc, scope);
        self.run_generator_plugins(k, acc, stack, scope);

        for (path, span) in k.str_list("components") {
            let Some(full) = self.entry_dir(k, &path, span, acc) else {
                if is_remote(&path) {
                    acc.issues.pop();
                    Self::remote(acc, span, &path);
                }
                continue;
            };
            if !self.dirs.contains(&full) {
                if is_remote(&path) {
                    Self::remote(acc, span, &path);
                } else {
                    acc.fatal(span, format!("component {path}: no such directory"));
                }
                continue;
            }
            if Self::cycle_check(stack, &full) {
                acc.fatal(
                    span,
                    format!("cycle detected: component {path} contains or is an already visited directory"),
                );
                acc.cyclic = true;
                continue;
            }
            if self.too_deep_to_enter(stack.len(), &full) {
                Self::too_deep(acc, span, &path);
                continue;
            }
            match self.load_kustomization(&full) {
                Ok(ck) if ck.is_component() => {
                    acc.entered.push(full.clone());
                    stack.push(full.clone());
                    let prefix = join_lexical(scope.prefix, &path);
                    self.accumulate_target(&ck, acc, stack, Scope { prefix: &prefix, schema: scope.schema });
                    stack.pop();
                }
                Ok(_) => acc.fatal(span, format!("expected kind 'Component' for path '{path}'")),
                Err(issues) if issues.is_empty() => acc.fatal(span, format!("component {path}: no kustomization file")),
                Err(issues) => {
                    // The component's own problem first (see the resources case above).
                    acc.issues.extend(issues);
                    acc.fatal(span, format!("component {path}: invalid kustomization"));
                }
            }
        }

        self.run_transformers(k, acc, scope.schema);
        let kust_file = self.kust_file_name(k);
        let ran: Arc<[Origin]> = buildmeta::configured_transformers(k)
            .into_iter()
            .map(|kind| Origin::builtin(scope.prefix, &kust_file, kind))
            .collect();
        for r in &mut acc.resources {
            r.transformations.record(&ran);
        }

        self.run_transformer_plugins(k, acc, stack, scope);
        // validators are external plugins only, which kustomize and Flux do not run
        if let Some(n) = k.root.get("validators").filter(|n| n.as_seq().is_some_and(|s| !s.is_empty())) {
            acc.issues.push(BuildIssue::invalid(
                n.span,
                true,
                format!(
                    "validators: {} (kustomize and Flux run built-in plugins only)",
                    crate::issue::EXTERNAL_PLUGINS_DISABLED
                ),
            ));
            acc.incomplete = true;
        }
        for key in ["helmCharts", "helmChartInflationGenerator"] {
            if let Some(n) = k.root.get(key).filter(|n| n.as_seq().is_some_and(|s| !s.is_empty())) {
                acc.issues.push(BuildIssue::invalid(n.span, true, format!("{key}: Helm charts are not inflated")));
                acc.incomplete = true;
            }
        }
        for v in k.seq("vars") {
            match vars::Var::from_node(v) {
                Ok(var) => {
                    vars::mark_referenced(&mut acc.resources, &var, &mut acc.issues);
                    vars::merge_var(&mut acc.vars, var, &mut acc.issues);
                }
                Err(e) => acc.issues.push(e),
            }
        }
    }

    pub(super) fn run_generators(&self, k: &Kustomization, acc: &mut Acc, scope: Scope<'_>) {
        let global = GenOptions::from_node(k.root.get("generatorOptions"));
        let read = |p: &str| self.read_file(p);
        let kust_file = self.kust_file_name(k);
        let mut index: Option<TargetIndex> = None;
        for (key, secret, kind) in
            [("configMapGenerator", false, "ConfigMapGenerator"), ("secretGenerator", true, "SecretGenerator")]
        {
            for entry in k.seq(key) {
                let Some(mut r) = generator::generate(secret, entry, &k.dir, &global, &read, &mut acc.issues) else {
                    continue;
                };
                // kustomize keeps an origin annotation a generator's options wrote
                if r.root.get_path(&["metadata", "annotations", buildmeta::ORIGIN_ANNOTATION]).is_none() {
                    r.origin = Some(Origin::builtin(scope.prefix, &kust_file, kind));
                }
                let index = index.get_or_insert_with(|| TargetIndex::new(&acc.resources));
                absorb_generated(acc, index, r, entry.span);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths() {
        assert!(is_remote("github.com/fluxcd/flux2/manifests/install?ref=v0.35.0"));
        assert!(is_remote("https://example.com/x.yaml"));
        assert!(!is_remote("deploy.yaml"));
        assert!(!is_remote("../base"));
    }
}
