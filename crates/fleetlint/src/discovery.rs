//! The words for what cluster discovery decided (the report's `found_by` and `rejected`): the
//! fleet crate states the facts, this says them in one sentence each.

use fleetlint_fleet::{FoundReason, RejectReason};

/// Why a directory is a root.
pub(crate) fn found_by(reason: &FoundReason) -> String {
    match reason {
        FoundReason::GotkSync => {
            "flux-system/gotk-sync.yaml defines the root Kustomization, whose path is this directory".to_string()
        }
        FoundReason::BootstrapPlaceholder => "flux-system holds flux bootstrap's files without their objects: \
             the root GitRepository and Kustomization flux-system are synthesized"
            .to_string(),
        FoundReason::FluxInstance { carrier } => {
            format!(
                "{carrier} carries a FluxInstance whose sync.path is this directory; its root objects are synthesized"
            )
        }
        FoundReason::SelfManaged { kustomization, source, source_defined } => {
            let src = if *source_defined {
                format!("source {source}")
            } else {
                format!("source {source}, created outside Git and taken to be the checked repository")
            };
            format!(
                "this directory's build renders Kustomization {kustomization} whose spec.path is this directory ({src})"
            )
        }
        FoundReason::AppliedByHand { kustomization, source, from } => format!(
            "{from}'s build (applied by hand with kubectl apply -k) renders Kustomization {kustomization}, whose \
             spec.path is this directory (source {source})"
        ),
        FoundReason::Config { glob } => format!("named by the clusters glob `{glob}`; no root was found there"),
        FoundReason::Convention => {
            "no bootstrap files, FluxInstance or self-managing Kustomization anywhere: the clusters/* convention"
                .to_string()
        }
        FoundReason::Remote { hub } => format!("cluster {hub} applies to it through spec.kubeConfig"),
    }
}

/// Why a candidate is not a root.
pub(crate) fn rejected(reason: &RejectReason) -> String {
    match reason {
        RejectReason::RenderedBy { cluster, kustomization } => {
            format!("Kustomization {kustomization} of cluster {cluster} builds it: part of that cluster, not a root")
        }
        RejectReason::InstanceWithoutSync { carrier } => format!(
            "{carrier} has no spec.sync: flux-operator installs Flux but generates no source and no Kustomization, \
             so nothing builds this directory"
        ),
        RejectReason::InstanceRenderedBy { cluster, kustomization, carrier } => {
            let via = if kustomization.is_empty() { String::new() } else { format!(" (through {kustomization})") };
            format!(
                "{carrier} is rendered by cluster {cluster}{via}, whose build already covers this directory: the \
                 FluxInstance syncs into that same cluster, so its sync root is one more entry of it, not a second cluster"
            )
        }
        RejectReason::InstanceUnapplied { cluster, carrier } => format!(
            "{carrier} names this directory in its FluxInstance values, but no cluster's Flux graph applies \
             that HelmRelease, and cluster {cluster} already builds the directory: part of that cluster"
        ),
        RejectReason::NotSelfRendered { kustomization } => format!(
            "Kustomization {kustomization} names it as spec.path, but the directory's own build does not render that \
             Kustomization (a shared base or a template)"
        ),
        RejectReason::PathUnresolved { kustomization, path } => format!(
            "Kustomization {kustomization} has spec.path {path}, whose variables only a parent's postBuild could set"
        ),
        RejectReason::RootsBelow { roots } => {
            format!("roots were found below it ({}): no root is synthesized above them", roots.join(", "))
        }
        RejectReason::NotSelected => "not matched by the clusters globs".to_string(),
        RejectReason::ArgoCdDirectory { file } => format!(
            "holds Argo CD objects ({file}) and no Flux object: Argo CD applies it, so the clusters/* convention \
             does not make it a Flux cluster"
        ),
        RejectReason::BaseLibrary { file } => format!(
            "holds no Flux object and {file} includes it as a base: a library the clusters share, not a cluster"
        ),
        RejectReason::SyncPathElsewhere { path } => {
            format!(
                "its flux-system/gotk-sync.yaml builds {path}, another directory (a bootstrap template, or one left behind)"
            )
        }
        RejectReason::AmbiguousSourceRoot { path } => {
            format!("one of several directories holding {path}: which one the source's artifact is made of is unknown")
        }
        RejectReason::StaleBootstrap { kustomization } => format!(
            "its flux-system/gotk-sync.yaml defines Kustomization {kustomization} with this path, but the directory's \
             kustomization.yaml does not include flux-system, so its build does not render that root: a bootstrap left \
             behind (other roots were found)"
        ),
        RejectReason::ComponentsOnly => "its flux-system holds only gotk-components.yaml (Flux installed by hand): \
             nothing defines a root here (other roots were found)"
            .to_string(),
        RejectReason::ReadBy { cluster, file } => format!(
            "its root only installs Flux, and cluster {cluster}'s build reads {file}: a base of that cluster, not a cluster"
        ),
    }
}
