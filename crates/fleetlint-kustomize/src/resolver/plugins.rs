//! `generators:` and `transformers:`: plugin configurations, run the way kustomize runs them
//! with plugins disabled (`kubectl kustomize` and kustomize-controller both use
//! `types.DisabledPluginConfig()`), kubernetes-sigs/kustomize@afe7793676
//! `api/internal/target/kusttarget.go` `configureExternalGenerators`,
//! `configureExternalTransformers` and `api/internal/plugins/loader/loader.go`:
//! - each entry is an inline configuration (YAML that reads as resources) or a path, accumulated
//!   like `resources` (a file, or a directory with a kustomization whose output are the
//!   configurations);
//! - a configuration of `apiVersion: builtin` is one of kustomize's built-in plugins, configured
//!   from its fields and run after the kustomization's own generators (transformers), in order;
//!   anything else fails the build ("external plugins disabled");
//! - `HelmChartInflationGenerator` fails without `--enable-helm`, which Flux does not pass;
//! - the built-ins that only reorder, hash or add values (`SortOrderTransformer`,
//!   `LegacyOrderTransformer`, `HashTransformer`, `ValueAddTransformer`, `IAMPolicyGenerator`)
//!   are not modelled: the build is marked incomplete.

use fleetlint_yaml::{Limits, Node, NodeKind, Span, parse_yaml};

use super::acc::Acc;
use super::{Resolver, Scope};
use crate::builtin_transformers::{self, ReplicaSpec, Spanned, pairs};
use crate::fieldspec::{FieldSpec, TransformerConfig};
use crate::issue::BuildIssue;
use crate::kustfile::Kustomization;
use crate::resource::set_entry;

/// Which list a configuration came from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PluginList {
    Generators,
    Transformers,
}

impl PluginList {
    fn key(self) -> &'static str {
        match self {
            Self::Generators => "generators",
            Self::Transformers => "transformers",
        }
    }
}

const GENERATORS: &[&str] =
    &["ConfigMapGenerator", "SecretGenerator", "HelmChartInflationGenerator", "IAMPolicyGenerator"];

/// A built-in plugin's `fieldSpecs`.
fn field_specs(config: &Node) -> Vec<FieldSpec> {
    FieldSpec::list_at(config, "fieldSpecs")
}

/// A node with one entry, for a kustomization made of one field.
fn single(key: &str, value: Node, span: Span) -> Node {
    let mut root = Node::map(span);
    set_entry(&mut root, key, value, span);
    root
}

fn seq(items: Vec<Node>, span: Span) -> Node {
    Node { span, kind: NodeKind::Seq(items) }
}

impl Resolver<'_> {
    /// The plugin configurations of `k`'s `generators` or `transformers`.
    fn plugin_configs(
        &self,
        k: &Kustomization,
        list: PluginList,
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) -> Vec<Node> {
        let mut configs = Vec::new();
        let mut paths = Vec::new();
        for entry in k.seq(list.key()) {
            let Some(text) = entry.as_str() else { continue };
            // `NewResMapFromBytes`: text that reads as resources is an inline configuration
            let parsed = parse_yaml(entry.span.file, text, &Limits::default());
            let docs: Vec<Node> = parsed.documents.into_iter().map(|d| d.root).filter(|r| !r.is_null()).collect();
            if !parsed.issues.iter().any(|i| !matches!(i.kind, fleetlint_yaml::LoadIssueKind::AmbiguousScalar))
                && !docs.is_empty()
                && docs.iter().all(|d| d.as_map().is_some() && crate::resource::metadata_problem(d).is_none())
            {
                configs.extend(docs.into_iter().map(|d| super::pipeline::respan(d, entry.span)));
            } else {
                paths.push((text.to_string(), entry.span));
            }
        }
        let mut loaded = Acc::default();
        self.accumulate_resources(k, &paths, &mut loaded, stack, scope);
        acc.issues.append(&mut loaded.issues);
        acc.incomplete |= loaded.incomplete;
        configs.extend(loaded.resources.into_iter().map(|r| r.root));
        configs
    }

    /// Whether `config` is a built-in plugin kustomize runs; otherwise the reason is recorded.
    fn builtin_kind<'c>(config: &'c Node, list: PluginList, acc: &mut Acc) -> Option<&'c str> {
        let kind = config.get("kind").and_then(Node::as_str).unwrap_or("");
        if config.get("apiVersion").and_then(Node::as_str) != Some("builtin") {
            acc.fatal(
                config.span,
                format!(
                    "{}; unable to load external plugin '{kind}' (kustomize and Flux run built-in plugins only)",
                    crate::issue::EXTERNAL_PLUGINS_DISABLED
                ),
            );
            acc.incomplete = true;
            return None;
        }
        let generator = GENERATORS.contains(&kind);
        match list {
            PluginList::Transformers if generator => {
                acc.fatal(config.span, format!("plugin {kind} is a generator, not a transformer"));
                None
            }
            PluginList::Generators if !generator && !kind.is_empty() => {
                acc.fatal(config.span, format!("plugin {kind} is a transformer, not a generator"));
                None
            }
            _ => Some(kind),
        }
    }

    /// Run `k`'s `generators:` (after its own generators).
    pub(super) fn run_generator_plugins(
        &self,
        k: &Kustomization,
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) {
        for config in self.plugin_configs(k, PluginList::Generators, acc, stack, scope) {
            let Some(kind) = Self::builtin_kind(&config, PluginList::Generators, acc) else { continue };
            match kind {
                "ConfigMapGenerator" | "SecretGenerator" => {
                    // `types.ObjectMeta` inline: the name and namespace come from `metadata`
                    // unless the generator arguments give them
                    let mut args = config.clone();
                    for key in ["name", "namespace"] {
                        if args.get(key).is_none_or(|n| n.as_str().is_none_or(str::is_empty))
                            && let Some(v) = config.get_path(&["metadata", key]).cloned()
                        {
                            set_entry(&mut args, key, v.clone(), v.span);
                        }
                    }
                    let field = if kind == "SecretGenerator" { "secretGenerator" } else { "configMapGenerator" };
                    let synthetic = Kustomization {
                        dir: k.dir.clone(),
                        root: single(field, seq(vec![args], config.span), config.span),
                        file: k.file,
                    };
                    self.run_generators(&synthetic, acc, scope);
                }
                "HelmChartInflationGenerator" => {
                    acc.fatal(
                        config.span,
                        "HelmChartInflationGenerator: must specify --enable-helm (kustomize-controller never does)",
                    );
                    acc.incomplete = true;
                }
                other => Self::not_modelled(other, config.span, acc),
            }
        }
    }

    /// Run `k`'s `transformers:` (after its own transformers), in order.
    pub(super) fn run_transformer_plugins(
        &self,
        k: &Kustomization,
        acc: &mut Acc,
        stack: &mut Vec<String>,
        scope: Scope<'_>,
    ) {
        for config in self.plugin_configs(k, PluginList::Transformers, acc, stack, scope) {
            let Some(kind) = Self::builtin_kind(&config, PluginList::Transformers, acc) else { continue };
            let span = config.span;
            let synthetic = |root: Node| Kustomization { dir: k.dir.clone(), root, file: k.file };
            let get = |key: &str| config.get(key).cloned();
            match kind {
                "LabelTransformer" | "AnnotationsTransformer" => {
                    let key = if kind == "LabelTransformer" { "labels" } else { "annotations" };
                    let node = config.get(key);
                    builtin_transformers::set_map_fields(
                        &mut acc.resources,
                        &pairs(node),
                        &field_specs(&config),
                        node.map_or(span, |n| n.span),
                    );
                }
                "NamespaceTransformer" => {
                    let Some(ns) = config.get_path(&["metadata", "namespace"]).filter(|n| n.as_str().is_some()) else {
                        continue;
                    };
                    let unset_only = config.get("unsetOnly").and_then(Node::as_bool).unwrap_or(false);
                    let subjects = config.get("setRoleBindingSubjects").and_then(Node::as_str).unwrap_or("");
                    if unset_only || !matches!(subjects, "" | "defaultOnly") {
                        Self::not_modelled("NamespaceTransformer with unsetOnly or setRoleBindingSubjects", span, acc);
                        continue;
                    }
                    let tc = TransformerConfig { namespace: field_specs(&config), ..TransformerConfig::default() };
                    let spanned = Spanned { text: ns.as_str().unwrap_or("").to_string(), span: ns.span };
                    acc.issues.extend(builtin_transformers::namespace(&mut acc.resources, &spanned, &tc));
                }
                "PrefixTransformer" | "SuffixTransformer" => {
                    let suffix = kind == "SuffixTransformer";
                    let Some(v) = config
                        .get(if suffix { "suffix" } else { "prefix" })
                        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                    else {
                        continue;
                    };
                    let spanned = Spanned { text: v.as_str().unwrap_or("").to_string(), span: v.span };
                    builtin_transformers::name_affix(&mut acc.resources, &spanned, suffix, &field_specs(&config));
                }
                "ReplicaCountTransformer" => {
                    let Some(replica) = config.get("replica") else { continue };
                    let count = replica.get("count");
                    let spec = ReplicaSpec {
                        name: replica.get("name").and_then(Node::as_str).unwrap_or("").to_string(),
                        count: count.and_then(|c| c.to_json().as_i64()).unwrap_or(0),
                        span,
                        count_span: count.map_or(span, |n| n.span),
                    };
                    if let Some(issue) =
                        builtin_transformers::replicas(&mut acc.resources, &spec, &field_specs(&config), acc.incomplete)
                    {
                        acc.issues.push(issue);
                    }
                }
                // the built-ins with a kustomization field of the same shape
                "ImageTagTransformer" => {
                    if let Some(image) = get("imageTag") {
                        self.run_transformers(
                            &synthetic(single("images", seq(vec![image], span), span)),
                            acc,
                            scope.schema,
                        );
                    }
                }
                "PatchTransformer" => {
                    let mut entry = config.clone();
                    for key in ["apiVersion", "kind", "metadata"] {
                        crate::resource::remove_entry(&mut entry, key);
                    }
                    self.run_transformers(
                        &synthetic(single("patches", seq(vec![entry], span), span)),
                        acc,
                        scope.schema,
                    );
                }
                "PatchStrategicMergeTransformer" => {
                    let mut items: Vec<Node> =
                        config.get("paths").and_then(Node::as_seq).map(<[Node]>::to_vec).unwrap_or_default();
                    items.extend(get("patches").filter(|p| p.as_str().is_some_and(|s| !s.trim().is_empty())));
                    self.run_transformers(
                        &synthetic(single("patchesStrategicMerge", seq(items, span), span)),
                        acc,
                        scope.schema,
                    );
                }
                "PatchJson6902Transformer" => {
                    let mut entry = Node::map(span);
                    for (from, to) in [("target", "target"), ("path", "path"), ("jsonOp", "patch")] {
                        if let Some(v) = get(from) {
                            set_entry(&mut entry, to, v.clone(), v.span);
                        }
                    }
                    self.run_transformers(
                        &synthetic(single("patchesJson6902", seq(vec![entry], span), span)),
                        acc,
                        scope.schema,
                    );
                }
                "ReplacementTransformer" => {
                    if let Some(list) = get("replacements") {
                        self.run_transformers(&synthetic(single("replacements", list, span)), acc, scope.schema);
                    }
                }
                other => Self::not_modelled(other, span, acc),
            }
        }
    }

    fn not_modelled(what: &str, span: Span, acc: &mut Acc) {
        acc.issues.push(BuildIssue::invalid(
            span,
            false,
            format!("built-in plugin {what} is not modelled; the build result may differ"),
        ));
        acc.incomplete = true;
    }
}
