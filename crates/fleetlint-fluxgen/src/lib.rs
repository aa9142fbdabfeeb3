//! fleetlint-fluxgen: what Flux controllers generate from committed objects, computed offline.
//!
//! - [`resourceset`]: the objects a Flux Operator `ResourceSet` applies, rendered from its
//!   templates and input sets with positions in the templates.
//! - [`artifact`]: the file trees a source-watcher `ArtifactGenerator` assembles into
//!   `ExternalArtifact`s, as views over the source trees.
//!
//! Both are pure: they read positioned objects ([`fleetlint_yaml::Node`]) and file lists, know no
//! rule codes, and say what they cannot know (typed "opaque" results) instead of guessing.
//! They sit beside the stack (`fleetlint-yaml` -> this crate -> `fleetlint-fleet`).

pub mod artifact;
pub mod resourceset;
