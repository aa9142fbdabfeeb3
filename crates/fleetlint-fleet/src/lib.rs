//! fleetlint-fleet: the fleet model: cluster entry points, the Flux graph of each cluster,
//! sources and their local mappings, post-build substitution, tenants and controller lockdown.

pub mod config;
pub mod controllers;
pub mod sources;
pub mod substitute;
