//! Patches: strategic merge (with merge keys generated from the Kubernetes schemas), JSON 6902,
//! JSON merge for kinds without a schema, and target selection.
