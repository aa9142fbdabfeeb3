//! ArtifactGenerator views (in progress).
