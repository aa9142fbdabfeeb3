//! The hostile-input suite (issue 18): each case is a small repository generated here at run
//! time, checked by the release binary as a user runs it (`check`, `check --format json`,
//! `graph`, and `build` where the case has kustomizations), under the guards of [`harness`]:
//! under 20 s and 1 GiB per run, no panic, exit 0/1/2 as documented, a finding or error naming
//! the file and line, nothing from outside the root in any output, the input untouched.
//!
//! The tests need `target/release/fleetlint`, GNU time and strace, so they are
//! `#[ignore = "needs ..."]`: a plain `cargo test` lists them as ignored; `.ci/run` builds the
//! binary and runs them with `--include-ignored`, where a missing or stale binary or tool fails
//! them.

#![allow(clippy::print_stderr)] // per-run figures for the person reading the test log

mod harness;

mod files;
mod flux;
mod kustomize;
mod safety;
mod types;
mod yaml;

/// Shared builders of small manifests.
mod manifests {
    /// A Flux Kustomization in `flux-system` reading the bootstrap source.
    pub(crate) fn ks(name: &str, path: &str, extra: &str) -> String {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  prune: true\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
        )
    }

    /// A ConfigMap.
    pub(crate) fn cm(name: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  a: b\n")
    }
}
