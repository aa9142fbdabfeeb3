//! Data generated from the Kubernetes schemas by `cargo run -p fleetlint-dev -- <generator>`.
//! Never edit these files by hand; a test in `fleetlint-dev` fails when they are stale.

#[rustfmt::skip]
pub(crate) mod merge_keys;
