//! fleetlint-kustomize: resolves kustomize overlays in-process, the way kustomize v5 does, and
//! keeps for every value the file and span that wrote it (provenance by construction: nodes
//! written by a patch or transformer carry that patch's or field's span).

pub mod patch;
