//! Reading the tree: kustomization files (found by kustomize's names, decoded once per
//! resolver), YAML documents and other files listed by the walk, and the objects of a resource
//! file (`...List` documents inlined).

use std::sync::Arc;

use fleetlint_yaml::{FileId, Node, Span};

use super::acc::Acc;
use super::{LoadedKustomization, Resolver};
use crate::decode::{self, Strictness};
use crate::issue::BuildIssue;
use crate::kustfile::{KUSTOMIZATION_FILE_NAMES, Kustomization};
use crate::resource::{Origin, Resource, metadata_problem};

impl Resolver<'_> {
    /// The decoded kustomization file of `dir`, decoded once per resolver.
    pub(super) fn load_kustomization(&self, dir: &str) -> LoadedKustomization {
        if let Some(hit) = self.decoded.lock().expect("cache lock").get(dir) {
            return hit.clone();
        }
        let loaded = self.raw_kustomization(dir).and_then(|k| {
            let span = k.file.map_or(k.root.span, |f| self.file_span(f));
            let root = decode::decode(&k.root, span, Strictness::Kustomize)?;
            Ok(Arc::new(Kustomization { root, ..k }))
        });
        self.decoded.lock().expect("cache lock").insert(dir.to_string(), loaded.clone());
        loaded
    }

    /// The kustomization file of `dir` as written (its first document), not decoded yet.
    pub(super) fn raw_kustomization(&self, dir: &str) -> Result<Kustomization, Vec<BuildIssue>> {
        let found: Vec<FileId> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .filter_map(|n| {
                let p = if dir.is_empty() { (*n).to_string() } else { format!("{dir}/{n}") };
                self.yaml.get(p.as_str()).map(|&i| self.tree.files[i].id)
            })
            .collect();
        let Some(&id) = found.first() else {
            return Err(Vec::new());
        };
        if found.len() > 1 {
            return Err(vec![BuildIssue::invalid(
                self.file_span(found[1]),
                true,
                format!("found multiple kustomization files under {dir:?}"),
            )]);
        }
        let file = &self.tree.files[self.yaml[self.db.get(id).path.as_str()]];
        if file.yaml.is_broken() {
            let (span, msg) = file
                .yaml
                .issues
                .iter()
                .find(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar))
                .map_or((self.file_span(id), "invalid YAML".to_string()), |i| {
                    (i.span, format!("invalid YAML: {:?}", i.kind))
                });
            return Err(vec![BuildIssue::invalid(span, true, msg)]);
        }
        let root = file
            .yaml
            .documents
            .first()
            .map_or_else(|| crate::fieldspec::null_node(self.file_span(id)), |d| d.root.clone());
        Ok(Kustomization { dir: dir.to_string(), root, file: Some(id) })
    }

    /// Read a file of the tree (YAML or other) as bytes; only files the walk listed.
    pub(super) fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        if let Some(&i) = self.yaml.get(path) {
            return Ok(self.db.get(self.tree.files[i].id).text.as_bytes().to_vec());
        }
        if self.other.contains(path) {
            let disk = self.tree.root.join(path);
            return std::fs::read(&disk).map_err(|e| e.to_string());
        }
        Err("no such file in the tree".into())
    }

    /// The documents of a YAML file of the tree; `Err` when missing or broken.
    pub(super) fn documents(&self, path: &str, span: Span) -> Result<Vec<Node>, BuildIssue> {
        let Some(&i) = self.yaml.get(path) else {
            if self.other.contains(path) && self.holds_no_document(path) {
                return Ok(Vec::new());
            }
            let msg = if self.other.contains(path) {
                format!("{path} is not a .yaml/.yml file; fleetlint does not load it")
            } else {
                format!("{path}: no such file")
            };
            return Err(BuildIssue::invalid(span, !self.other.contains(path), msg));
        };
        let f = &self.tree.files[i];
        if f.yaml.is_broken() {
            let at = f.yaml.issues.iter().find(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar));
            return Err(BuildIssue::invalid(
                at.map_or(span, |i| i.span),
                true,
                format!("{path}: invalid YAML{}", at.map(|i| format!(": {:?}", i.kind)).unwrap_or_default()),
            ));
        }
        Ok(f.yaml.documents.iter().map(|d| d.root.clone()).filter(|r| !r.is_null()).collect())
    }

    /// Whether a file the walk did not parse (not `.yaml`/`.yml`: a `.gitkeep` that `flux
    /// bootstrap` lists in `flux-system/kustomization.yaml`) is empty, or holds only whitespace,
    /// comments and document markers: kustomize reads zero objects from it, since every document
    /// of it is nil or empty (kubernetes-sigs/kustomize@12f9e639:api/resource/factory.go
    /// `SliceFromBytes` → `RNodesFromBytes` → `dropBadNodes`: `if n.IsNilOrEmpty() { continue }`),
    /// and fluxcd/flux2@da2d22d3:pkg/manifestgen/kustomization/kustomization.go `Generate` lists
    /// such files.
    fn holds_no_document(&self, path: &str) -> bool {
        let Ok(bytes) = self.read_file(path) else { return false };
        let Ok(text) = std::str::from_utf8(&bytes) else { return false };
        text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
        })
    }

    pub(super) fn load_resource_file(&self, path: &str, span: Span, acc: &mut Acc, origin: &Origin) {
        let new = |root: Node| {
            let mut r = Resource::new(root);
            r.origin = Some(origin.clone());
            r
        };
        let docs = match self.documents(path, span) {
            Ok(d) => d,
            Err(e) => {
                if !e.fatal {
                    acc.incomplete = true;
                }
                acc.issues.push(e);
                return;
            }
        };
        for doc in docs {
            if doc.as_map().is_none() {
                acc.fatal(doc.span, format!("{path}: a resource must be a mapping"));
                continue;
            }
            if let Some(problem) = metadata_problem(&doc) {
                acc.fatal(doc.span, format!("{path}: {problem}"));
                continue;
            }
            // `inlineAnyEmbeddedLists`: a `...List` with `items` is replaced by its items (none
            // when `items` is null); without `items` it is a resource like any other.
            if doc.get("kind").and_then(Node::as_str).is_some_and(|k| k.ends_with("List")) && doc.get("items").is_some()
            {
                for item in doc.get("items").and_then(Node::as_seq).unwrap_or_default() {
                    // Like a document, an item must be an object (a scalar item reached the
                    // transformers and panicked naming it: kustomize_resolver fuzz target).
                    if item.as_map().is_none() {
                        acc.fatal(item.span, format!("{path}: a List item must be a mapping"));
                        continue;
                    }
                    acc.append(new(item.clone()), span);
                }
                continue;
            }
            acc.append(new(doc), span);
        }
    }
}
