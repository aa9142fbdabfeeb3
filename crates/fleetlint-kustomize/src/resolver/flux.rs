//! Builds as kustomize-controller runs them (fluxcd/pkg@e2cfd1a2
//! `kustomize/kustomize_generator.go`): the kustomization of a Flux Kustomization's path, read
//! the way Flux's generator rewrites it, or one Flux generates in memory.

use std::sync::Arc;

use fleetlint_yaml::Node;
use fleetlint_yaml::relpath::join_in_root;

use super::acc::Acc;
use super::{BuildOutput, Resolver, Scope};
use crate::decode::{self, Strictness};
use crate::kustfile::Kustomization;
use crate::resource::Resource;

impl Resolver<'_> {
    /// Build `dir`, which has a kustomization file, as kustomize-controller builds a Flux
    /// Kustomization's path without build options: the file rewritten by Flux's generator
    /// ([`Resolver::build_kustomization`]), then kustomize. Cached.
    #[must_use]
    pub fn build_flux(&self, dir: &str) -> Arc<BuildOutput> {
        let key = join_in_root("", dir).unwrap_or_else(|| dir.to_string());
        let cache_key = format!("\0flux\0{key}");
        if let Some(hit) = self.out_cache.lock().expect("cache lock").get(&cache_key) {
            return hit.clone();
        }
        let out = match self.raw_kustomization(&key) {
            Ok(k) if self.flux_reads_as_kustomize(&k) => self.build(&key),
            Ok(k) => Arc::new(self.build_kustomization(&k)),
            Err(_) => self.build(&key),
        };
        self.out_cache.lock().expect("cache lock").insert(cache_key, out.clone());
        out
    }

    /// Whether Flux's rewrite of the kustomization file `k` (as written) changes nothing that
    /// kustomize would read differently: the file decodes to the same document under both
    /// decoders and lists resources (so Flux adds no `buildMetadata`), and is no Component. Then
    /// [`Resolver::build_flux`] and [`Resolver::build`] run the same accumulation on the same
    /// document ([`Resolver::build_kustomization_with`] against `build_uncached`), and the two
    /// share one build: a sweep of every kustomization of the tree after the Flux builds does
    /// not build the directories they built a second time.
    fn flux_reads_as_kustomize(&self, k: &Kustomization) -> bool {
        let Ok(strict) = self.load_kustomization(&k.dir) else { return false };
        !strict.is_component()
            && strict.root.get("resources").and_then(Node::as_seq).is_some_and(|r| !r.is_empty())
            && decode::decode_fields(&k.root, Strictness::FluxRewrite).is_ok_and(|flux| flux == strict.root)
    }

    /// Build an in-memory kustomization the way kustomize-controller builds the kustomization of
    /// a Flux Kustomization's path (the file there with the Flux fields merged in, or the one
    /// Flux generates for a path without). Its generator reads the file with the non-strict
    /// `sigs.k8s.io/yaml.Unmarshal` and writes it back (fluxcd/pkg@e2cfd1a2
    /// `kustomize/kustomize_generator.go` `GenerateManifest`): unknown fields are dropped, and an
    /// existing file (`k.file` is set) without `resources` gets `buildMetadata:
    /// [originAnnotations]` in place of its own (Flux >= 2.3, "to avoid 'kustomization.yaml is
    /// empty' build error"), so it builds even when empty and every object keeps its
    /// `config.kubernetes.io/origin` annotation. Not cached.
    #[must_use]
    pub fn build_kustomization(&self, k: &Kustomization) -> BuildOutput {
        self.build_kustomization_with(k, Vec::new())
    }

    /// Build an in-memory kustomization whose resources start with `seed` (objects that exist
    /// only in memory, such as the bootstrap objects Flux would generate for a placeholder
    /// `gotk-sync.yaml`); its transformers and patches then apply to them as to any resource.
    #[must_use]
    pub fn build_kustomization_with(&self, k: &Kustomization, seed: Vec<Node>) -> BuildOutput {
        let span = k.file.map_or(k.root.span, |f| self.file_span(f));
        // `kus.BuildMetadata = []string{"originAnnotations"}` for an existing file without
        // resources, replacing its own
        let with_origins = |root: &Node| {
            let mut root = if root.as_map().is_some() { root.clone() } else { Node::map(root.span) };
            let list =
                Node { span, kind: fleetlint_yaml::NodeKind::Seq(vec![Node::string("originAnnotations", span)]) };
            crate::resource::set_entry(&mut root, "buildMetadata", list, span);
            root
        };
        let decoded = decode::decode_fields(&k.root, Strictness::FluxRewrite).and_then(|root| {
            if k.file.is_some() && root.get("resources").and_then(Node::as_seq).is_none_or(<[Node]>::is_empty) {
                decode::decode_fields(&with_origins(&root), Strictness::FluxRewrite)
            } else {
                Ok(root)
            }
        });
        // objects that exist only in memory stand for resources (the bootstrap objects of a
        // placeholder `gotk-sync.yaml`): such a kustomization is not empty
        let decoded =
            decoded.and_then(|root| if seed.is_empty() { decode::check(&root, span).map(|()| root) } else { Ok(root) });
        let decoded = match decoded {
            Ok(root) => Kustomization { root, ..k.clone() },
            Err(issues) => {
                return BuildOutput { resources: Vec::new(), issues, incomplete: true, entered: vec![k.dir.clone()] };
            }
        };
        let k = &decoded;
        let mut acc = Acc::default();
        acc.entered.push(k.dir.clone());
        for root in seed {
            let span = root.span;
            acc.append(Resource::new(root), span);
        }
        acc.stand_ins = acc.resources.len();
        let mut stack = vec![k.dir.clone()];
        let (schema, schema_issue) = self.top_schema(Some(k));
        self.accumulate_target(k, &mut acc, &mut stack, Scope { prefix: "", schema });
        self.finish(acc, Some(k), schema_issue)
    }
}
