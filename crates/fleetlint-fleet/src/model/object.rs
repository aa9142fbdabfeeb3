//! One object as Flux would apply it in one cluster, with who rendered it: the chain of Flux
//! objects, shared between everything rendered below the same object.

use fleetlint_yaml::{FluxKind, Node, ObjectView};

use super::Scope;

/// Which tree an object was read from: the checked root (0) or a mapped source.
pub type TreeIndex = usize;

/// One object as Flux would apply it in one cluster.
#[derive(Clone, Debug)]
pub struct RenderedObject {
    /// The object after overlays, Flux's build options and post-build substitution. Every
    /// node keeps the span of the text that wrote it.
    pub root: Node,
    /// Index (in [`Cluster::objects`](super::Cluster::objects)) of the Flux object that rendered
    /// it; `None` for the bootstrap objects.
    pub owner: Option<usize>,
    /// The chain of rendering Flux objects, root first, as `Kind/namespace/name`.
    pub owners: Owners,
    /// The tree its manifests came from.
    pub tree: TreeIndex,
    /// Tenant or platform.
    pub scope: Scope,
    /// The tenant, in tenant scope.
    pub tenant: Option<String>,
    /// Made up by fleetlint (bootstrap objects for placeholders), not written in the repo.
    pub synthesized: bool,
    /// [`RenderedObject::flux_kind`], worked out once: rules ask every object for it dozens of
    /// times, and reading it from the tree is a few cache misses each time.
    pub(crate) flux: Option<FluxKind>,
}

impl RenderedObject {
    /// An object of the checked tree, rendered by nothing yet (bootstrap), platform scope.
    #[must_use]
    pub fn new(root: Node) -> Self {
        let flux = ObjectView { root: &root }.flux_kind();
        Self {
            root,
            owner: None,
            owners: Owners::default(),
            tree: 0,
            scope: Scope::Platform,
            tenant: None,
            synthesized: false,
            flux,
        }
    }

    /// A view of the object.
    #[must_use]
    pub fn view(&self) -> Option<ObjectView<'_>> {
        ObjectView::new(&self.root)
    }

    /// The Flux kind, if it is a Flux object.
    #[must_use]
    pub fn flux_kind(&self) -> Option<FluxKind> {
        self.flux
    }

    /// The typed view of a Flux object.
    #[must_use]
    pub fn flux(&self) -> Option<crate::flux::FluxObject<'_>> {
        // Rules ask every object; most are no Flux object, and the kind kept at construction
        // answers that without reading the tree (the view's checks were 3% of a 2,000-tenant
        // check, issue 13).
        self.flux?;
        crate::flux::FluxObject::new(&self.root)
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.root.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        self.root.get("apiVersion").and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.root.get_path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("")
    }

    /// `metadata.namespace`, empty when unset.
    #[must_use]
    pub fn namespace(&self) -> &str {
        self.root.get_path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("")
    }

    /// Whether the object was SOPS-encrypted whole, so that its identity is ciphertext until
    /// kustomize-controller decrypts it ([`ObjectView::has_ciphertext_identity`]): no rule judges
    /// what it is, only whether it can be decrypted.
    #[must_use]
    pub fn has_ciphertext_identity(&self) -> bool {
        ObjectView { root: &self.root }.has_ciphertext_identity()
    }

    /// `Kind/namespace/name`.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind(), self.namespace(), self.name())
    }

    /// The owner's id, `Kind/namespace/name`.
    #[must_use]
    pub fn owner_id(&self) -> Option<&str> {
        self.owner.and(self.owners.last().map(String::as_str))
    }
}

/// A chain of ids, root first, shared between everything rendered below the same Flux object:
/// appending is O(1) and a deep hierarchy costs memory linear in its size (a 30,000-deep
/// nesting must not hold 30,000 copies of a 30,000-long list).
#[derive(Clone, Debug, Default)]
pub struct Chain<T>(Option<std::sync::Arc<Link<T>>>);

#[derive(Debug)]
struct Link<T> {
    last: T,
    parent: Chain<T>,
}

impl<T: Clone> Chain<T> {
    /// This chain with `item` appended.
    #[must_use]
    pub fn push(&self, item: T) -> Self {
        Chain(Some(std::sync::Arc::new(Link { last: item, parent: self.clone() })))
    }

    /// The last item.
    #[must_use]
    pub fn last(&self) -> Option<&T> {
        self.0.as_deref().map(|l| &l.last)
    }

    /// Whether the chain is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The items, last first.
    pub fn iter_back(&self) -> impl Iterator<Item = &T> {
        let mut cur = self.0.as_deref();
        std::iter::from_fn(move || {
            let link = cur?;
            cur = link.parent.0.as_deref();
            Some(&link.last)
        })
    }

    /// The items, root first.
    #[must_use]
    pub fn to_vec(&self) -> Vec<T> {
        let mut v: Vec<T> = self.iter_back().cloned().collect();
        v.reverse();
        v
    }
}

/// The chain of rendering Flux objects, as `Kind/namespace/name`.
pub type Owners = Chain<String>;
