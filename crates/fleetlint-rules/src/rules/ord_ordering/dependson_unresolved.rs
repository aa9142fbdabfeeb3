use fleetlint_yaml::{FluxKind, Node};

use super::helpers::charts::releases_rendering;
use super::helpers::naming::{describe, name_span, opacity_reason};
use crate::context::ClusterContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;
use fleetlint_fleet::graph::{DependsOn, FluxGraph};

declare_rule! {
    /// ## What it does
    /// Reports a `dependsOn` entry of a Flux Kustomization or HelmRelease that names no object
    /// of the same kind in the cluster. Names are matched against the identities after every
    /// overlay, `namePrefix`/`nameSuffix`, `targetNamespace` and post-build substitution; the
    /// namespace defaults to the referrer's. The finding says when the name exists as the other
    /// Flux kind (cross-kind dependencies are not supported), in another namespace (also when a
    /// parent's `targetNamespace` moved it there), with a parent's `namePrefix`/`nameSuffix`, or
    /// only in another cluster. A `readyExpr` whose brackets or quotes do not balance is
    /// reported too (it cannot compile as CEL).
    ///
    /// When a Kustomization whose output is unknown could render the missing object (its source
    /// is not mapped to a local checkout, or its build fails; and it has no `targetNamespace`,
    /// or the entry's namespace), the finding is a warning. Map the source with `--source` (or
    /// fix the build) to make it an error again. When a HelmRelease in the cluster installs a chart
    /// from a directory of a Git or Bucket source whose templates declare the missing kind,
    /// helm-controller may render it (fleetlint does not render charts): an info naming the
    /// release.
    ///
    /// ## Why is this bad?
    /// Flux has no error state for it: the dependent stays `DependencyNotReady` forever
    /// (kustomize-controller: *dependency 'ns/name' not found*; helm-controller: *unable to get
    /// 'ns/name' dependency*), requeued every 30 seconds, and never applies. A `readyExpr` that
    /// does not compile stalls it with `InvalidCELExpression`.
    ///
    /// ## Severity
    /// `error`; `warning` where a Kustomization whose output is unknown (an unmapped source, say)
    /// might render the dependency; `info` where a HelmRelease's in-repo chart declares that
    /// kind (issue 14: nothing fleetlint cannot see is an error).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata: {name: apps, namespace: flux-system}
    /// spec:
    ///   dependsOn:
    ///     - name: cert-manager   # only a HelmRelease `cert-manager` exists
    /// ```
    ///
    /// ## Fix
    /// Name an existing object of the same kind (set `namespace` when it lives elsewhere). To
    /// wait for a HelmRelease from a Kustomization, depend on the Kustomization that applies it
    /// and give that one `wait: true` or a `healthChecks` entry for the HelmRelease.
    pub(crate) struct DependsonUnresolved {
        code: "ORD001",
        name: "dependson-unresolved",
        category: Category::DependencyOrder,
        severity: Severity::Error,
    }
}

impl Rule for DependsonUnresolved {
    fn check_cluster(&self, cx: &ClusterContext<'_>, out: &mut Vec<Finding>) {
        let g = cx.graph();
        let opaque = g.opaque();
        for d in &g.deps {
            let o = g.object(d.from);
            if o.synthesized {
                continue;
            }
            if let Some(problem) = d.entry.get("readyExpr").and_then(Node::as_str).and_then(cel_shape_problem) {
                let span = d.entry.get("readyExpr").map_or(d.entry.span, |n| n.span);
                let f = Self::finding(
                    span,
                    format!("dependsOn `{}/{}`: readyExpr does not compile: {problem}", d.namespace, d.name),
                )
                .with_help(
                    "fix the CEL expression; it is evaluated with `self` (this object) and `dep` (the dependency)",
                )
                .with_field(format!("spec.dependsOn[{}/{}].readyExpr", d.namespace, d.name));
                out.push(cx.about(f, d.from));
            }
            if d.target.is_some() || d.templated {
                continue;
            }
            out.push(cx.about(unresolved(cx, g, d, &opaque), d.from));
        }
    }
}

fn unresolved(cx: &ClusterContext<'_>, g: &FluxGraph<'_>, d: &DependsOn<'_>, opaque: &[usize]) -> Finding {
    let o = g.object(d.from);
    let kind = o.flux_kind().expect("dependsOn is read from nodes only");
    let (kind_name, other) = match kind {
        FluxKind::HelmRelease => ("HelmRelease", FluxKind::Kustomization),
        _ => ("Kustomization", FluxKind::HelmRelease),
    };
    let mut message =
        format!("dependsOn `{}/{}`: no {kind_name} `{}` in namespace `{}`", d.namespace, d.name, d.name, d.namespace);
    let mut hints: Vec<String> = Vec::new();
    let mut related = vec![(d.entry.span, "the dependsOn entry".to_string())];
    let mut help =
        String::from("name an existing object of the same kind, and set `namespace` when it lives in another one");
    // The other Flux kind: cross-kind dependencies are not supported.
    let other_hit = g.find(other, d.namespace, d.name).or_else(|| g.named(other, d.name).first().copied());
    if let Some(x) = other_hit {
        hints.push(format!("{} exists, but a {kind_name} can only depend on {kind_name}s", describe(g.object(x))));
        related.push((name_span(g.object(x)), format!("the {}", describe(g.object(x)))));
        if kind == FluxKind::Kustomization {
            help = "depend on the Kustomization that applies the HelmRelease and give it `wait: true` or a healthChecks entry for the HelmRelease".into();
        }
    }
    // The same kind elsewhere: another namespace, or renamed by a parent's prefix/suffix.
    for x in g.named(kind, d.name) {
        let moved = g.parent[x].and_then(|p| {
            let t = g.object(p).flux()?.target_namespace()?.as_str()?;
            (t == g.object(x).namespace())
                .then(|| format!(" (moved there by the targetNamespace of {})", describe(g.object(p))))
        });
        hints.push(format!(
            "{kind_name} `{}` exists in namespace `{}`{}",
            d.name,
            g.object(x).namespace(),
            moved.unwrap_or_default()
        ));
        related.push((name_span(g.object(x)), format!("the {}", describe(g.object(x)))));
    }
    for x in renamed(g, kind, d.name) {
        let p = g.object(g.parent[x].expect("renamed objects have a parent"));
        hints.push(format!(
            "{} is named `{}` after the namePrefix/nameSuffix of {}",
            describe(g.object(x)),
            g.object(x).name(),
            describe(p)
        ));
        related.push((name_span(g.object(x)), format!("the {}", describe(g.object(x)))));
    }
    // Another cluster's graph.
    let elsewhere: Vec<&str> = cx
        .fleet
        .clusters
        .iter()
        .filter(|c| c.name != cx.cluster.name)
        .filter(|c| {
            c.objects.iter().any(|x| x.flux_kind() == Some(kind) && x.namespace() == d.namespace && x.name() == d.name)
        })
        .map(|c| c.name.as_str())
        .collect();
    if !elsewhere.is_empty() {
        hints.push(format!(
            "it exists only in cluster {}",
            elsewhere.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut severity = Severity::Error;
    let candidate = opaque.iter().copied().find(|&x| {
        let t = g.object(x).flux().and_then(|f| f.target_namespace()).and_then(|f| f.as_str());
        t.is_none_or(|t| t == d.namespace)
    });
    if let Some(x) = candidate {
        severity = Severity::Warning;
        let why = opacity_reason(g.opacity(x));
        hints.push(format!("unless {} renders it: {why}", describe(g.object(x))));
    }
    // A HelmRelease whose in-repo chart declares this kind may render it once it installs: the
    // dependent's first attempts requeue ("dependency ... not found") and then proceed
    // (fluxcd/kustomize-controller@186fb3b:internal/controller/kustomization_controller.go
    // `checkDependencies` looks the dependency up at each reconciliation).
    let releases = releases_rendering(cx, kind_name);
    if let Some(&x) = releases.iter().find(|&&x| g.object(x).namespace() == d.namespace).or(releases.first()) {
        severity = Severity::Info;
        hints.push(format!(
            "unless {} renders it: its chart's templates declare a {kind_name}, and fleetlint does not render Helm charts",
            describe(g.object(x))
        ));
    }
    if !hints.is_empty() {
        message = format!("{message}; {}", hints.join("; "));
    }
    let controller_error = if kind == FluxKind::HelmRelease {
        format!("unable to get '{}/{}' dependency", d.namespace, d.name)
    } else {
        format!("dependency '{}/{}' not found", d.namespace, d.name)
    };
    message = format!("{message} (Flux waits forever: \"{controller_error}\")");
    let mut f = Finding::new(DependsonUnresolved::ID, d.name_span, message)
        .with_severity(severity)
        .with_help(help)
        .with_field(format!("spec.dependsOn[{}/{}]", d.namespace, d.name));
    for (span, msg) in related {
        f = f.with_related(span, msg);
    }
    f
}

/// Nodes of `kind` whose name is `name` with the `namePrefix`/`nameSuffix` of the Kustomization
/// that rendered them.
fn renamed(g: &FluxGraph<'_>, kind: FluxKind, name: &str) -> Vec<usize> {
    (0..g.cluster.objects.len())
        .filter(|&x| g.canon[x] == x && g.object(x).flux_kind() == Some(kind) && g.object(x).name() != name)
        .filter(|&x| {
            let Some(p) = g.parent[x] else { return false };
            let Some(parent) = g.object(p).flux() else { return false };
            let (pre, suf) = (parent.name_prefix(), parent.name_suffix());
            (!pre.is_empty() || !suf.is_empty()) && g.object(x).name() == format!("{pre}{name}{suf}")
        })
        .collect()
}

/// Why a CEL expression cannot compile, judged by its shape only: unbalanced brackets,
/// unterminated strings, or nothing at all. (Anything subtler is left to the controller.)
fn cel_shape_problem(expr: &str) -> Option<String> {
    if expr.trim().is_empty() {
        return Some("the expression is empty".into());
    }
    let mut open: Vec<char> = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let triple = chars.clone().take(2).filter(|&n| n == c).count() == 2;
                if triple {
                    chars.next();
                    chars.next();
                }
                let mut run = 0;
                let mut closed = false;
                while let Some(n) = chars.next() {
                    if n == '\\' {
                        chars.next();
                        run = 0;
                        continue;
                    }
                    run = if n == c { run + 1 } else { 0 };
                    if (!triple && run == 1) || (triple && run == 3) {
                        closed = true;
                        break;
                    }
                    if n == '\n' && !triple {
                        break;
                    }
                }
                if !closed {
                    return Some("a string literal is not terminated".into());
                }
            }
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.pop() != Some(want) {
                    return Some(format!("`{c}` does not close an open bracket"));
                }
            }
            _ => {}
        }
    }
    open.last().map(|c| format!("`{c}` is never closed"))
}

#[cfg(test)]
mod tests {
    use super::cel_shape_problem;

    #[test]
    fn cel_shape_check_accepts_real_expressions_and_rejects_broken_ones() {
        for ok in [
            "dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
            "self.metadata.annotations['app/version'] == dep.metadata.annotations[\"app/version\"]",
            "'''a ' b''' != \"x)\" && self.y == ''",
        ] {
            assert_eq!(cel_shape_problem(ok), None, "{ok}");
        }
        for bad in ["", "dep.status.conditions.filter(e, e.type == 'Ready'", "self.x == 'a", "dep.a]"] {
            assert!(cel_shape_problem(bad).is_some(), "{bad}");
        }
    }
}
