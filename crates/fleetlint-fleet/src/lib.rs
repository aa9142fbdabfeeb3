//! fleetlint-fleet: the fleet model: cluster entry points, the Flux graph of each cluster,
//! sources and their local mappings, tenants and controller lockdown (built in a later stage).
