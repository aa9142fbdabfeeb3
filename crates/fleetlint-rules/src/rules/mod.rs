//! The rules, one file each, grouped by code prefix.

//!
//! Each group's folder is named by its code prefix and then its subject (`iso_isolation` holds
//! ISO001..), so a code leads to its folder; a bare `src/` would read as a source directory. What
//! the rules of a group share lives in that group's `helpers` module, what several groups share
//! in [`helpers`].

pub(crate) mod api_versions;
pub(crate) mod flt_internal;
pub(crate) mod helpers;
pub(crate) mod hyg_hygiene;
pub(crate) mod iso_isolation;
pub(crate) mod ord_ordering;
pub(crate) mod pol_policy;
pub(crate) mod sch_schema;
pub(crate) mod src_integrity;
pub(crate) mod xns_cross_namespace;
