//! Generated fleets for benchmarks and scale tests (`cargo run -p fleetlint-dev -- gen-fleet`),
//! in two layouts:
//!
//! - [`Layout::Simple`]: `tenants/kustomization.yaml` lists one directory per tenant (namespace,
//!   ServiceAccount, RoleBinding, a Flux Kustomization reconciled as the ServiceAccount whose
//!   path renders a Deployment, a Service and a HelmRelease with its HelmRepository); every
//!   cluster reconciles the same `./tenants`.
//! - [`Layout::Reference`]: the layout of the reference multi-tenancy repository
//!   (fluxcd/flux2-multi-tenancy): `tenants/base/<tenant>/` holds the tenant's RBAC, its
//!   GitRepository and Flux Kustomization; `tenants/<cluster>/kustomization.yaml` lists
//!   `../base/<tenant>` for every tenant **and patches each tenant** (`<tenant>-patch.yaml`, a
//!   strategic merge patch of the Flux Kustomization's `spec.path`, like the reference's
//!   `tenants/staging/dev-team-patch.yaml`; further patches per tenant are targeted, alternately
//!   strategic merge and JSON 6902). Each tenant's apps are `apps/<tenant>/base` (Deployment,
//!   Service, ConfigMap, HelmRepository, HelmRelease) under `depth - 1` intermediate overlays
//!   and one overlay per cluster. The tenant GitRepository has the bootstrap repository's URL
//!   and branch, so its tree is the checked one.
//!
//! Every generated fleet is clean apart from what the layout itself implies (no deliberate
//! violations), so a check's cost is resolution and rules, not report rendering.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Which layout to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One shared `tenants/` tree, no per-cluster overlays.
    Simple,
    /// The reference multi-tenancy layout: a base per tenant, one overlay per cluster patching
    /// every tenant.
    Reference,
}

impl Layout {
    /// Parse `simple` or `reference`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "simple" => Ok(Self::Simple),
            "reference" => Ok(Self::Reference),
            _ => Err(format!("unknown layout `{text}` (known: simple, reference)")),
        }
    }

    /// The name [`Layout::parse`] reads.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::Reference => "reference",
        }
    }
}

/// The shape of a generated fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetSpec {
    /// The layout.
    pub layout: Layout,
    /// Number of tenants.
    pub tenants: usize,
    /// Number of clusters (`production`, `staging`, then `cluster-2`, ...).
    pub clusters: usize,
    /// Patches per tenant in each cluster's tenants overlay (reference layout; at least 1).
    pub patches: usize,
    /// Overlay layers of each tenant's apps above the base (reference layout; at least 1: the
    /// per-cluster overlay).
    pub depth: usize,
}

impl FleetSpec {
    /// The default shape of `layout` with `tenants` tenants: two clusters, one patch per tenant,
    /// one overlay above the apps base.
    #[must_use]
    pub fn new(layout: Layout, tenants: usize) -> Self {
        Self { layout, tenants, clusters: 2, patches: 1, depth: 1 }
    }
}

/// Cluster names: the reference repository's two, then numbered ones.
#[must_use]
pub fn cluster_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i {
            0 => "production".to_string(),
            1 => "staging".to_string(),
            _ => format!("cluster-{i}"),
        })
        .collect()
}

/// Write the fleet under `root` (created when missing); returns the number of files written.
///
/// # Errors
/// A directory or file that cannot be written.
pub fn generate(root: &Path, spec: &FleetSpec) -> io::Result<usize> {
    let mut w = Writer { root, files: 0 };
    match spec.layout {
        Layout::Simple => simple(&mut w, spec)?,
        Layout::Reference => reference(&mut w, spec)?,
    }
    Ok(w.files)
}

struct Writer<'a> {
    root: &'a Path,
    files: usize,
}

impl Writer<'_> {
    fn write(&mut self, rel: &str, text: &str) -> io::Result<()> {
        let p = self.root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.files += 1;
        std::fs::write(p, text)
    }
}

/// The repository URL of the bootstrap GitRepository (and of the tenants' GitRepositories in the
/// reference layout, which therefore read the checked tree).
const REPO_URL: &str = "ssh://git@github.com/example/fleet";

/// `clusters/<cluster>/flux-system/kustomization.yaml`: the lockdown patches of the reference
/// repository (`--no-cross-namespace-refs`, `--default-service-account`, the root reconciled as
/// kustomize-controller).
const LOCKDOWN: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-components.yaml
  - gotk-sync.yaml
patches:
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --no-cross-namespace-refs=true
    target:
      kind: Deployment
      name: \"(kustomize-controller|helm-controller|notification-controller|image-reflector-controller|image-automation-controller)\"
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --default-service-account=default
    target:
      kind: Deployment
      name: \"(kustomize-controller|helm-controller)\"
  - patch: |
      - op: add
        path: /spec/serviceAccountName
        value: kustomize-controller
    target:
      kind: Kustomization
      name: flux-system
";

fn flux_system(w: &mut Writer<'_>, cluster: &str) -> io::Result<()> {
    w.write(&format!("clusters/{cluster}/flux-system/gotk-components.yaml"), "# placeholder\n")?;
    w.write(
        &format!("clusters/{cluster}/flux-system/gotk-sync.yaml"),
        &format!(
            "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: {REPO_URL}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/{cluster}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"
        ),
    )?;
    w.write(&format!("clusters/{cluster}/flux-system/kustomization.yaml"), LOCKDOWN)
}

fn tenants_sync(cluster: &str, path: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  serviceAccountName: kustomize-controller
  interval: 10m
  prune: true
  path: {path}
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      CLUSTER: {cluster}
"
    )
}

fn rbac(t: &str) -> String {
    format!(
        "apiVersion: v1
kind: Namespace
metadata:
  name: {t}
  labels:
    toolkit.fluxcd.io/tenant: {t}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {t}
  namespace: {t}
  labels:
    toolkit.fluxcd.io/tenant: {t}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {t}-reconciler
  namespace: {t}
  labels:
    toolkit.fluxcd.io/tenant: {t}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: admin
subjects:
  - kind: ServiceAccount
    name: {t}
    namespace: {t}
"
    )
}

fn simple(w: &mut Writer<'_>, spec: &FleetSpec) -> io::Result<()> {
    for cluster in cluster_names(spec.clusters) {
        flux_system(w, &cluster)?;
        w.write(&format!("clusters/{cluster}/tenants.yaml"), &tenants_sync(&cluster, "./tenants"))?;
    }
    let mut list = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for i in 0..spec.tenants {
        let t = format!("team-{i}");
        let _ = writeln!(list, "  - {t}");
        w.write(&format!("tenants/{t}/kustomization.yaml"), "resources:\n  - rbac.yaml\n  - sync.yaml\n")?;
        w.write(&format!("tenants/{t}/rbac.yaml"), &rbac(&t))?;
        w.write(
            &format!("tenants/{t}/sync.yaml"),
            &format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {t}
  namespace: {t}
spec:
  serviceAccountName: {t}
  interval: 10m
  prune: true
  targetNamespace: {t}
  path: ./apps/{t}
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
"
            ),
        )?;
        w.write(&format!("apps/{t}/app.yaml"), &format!("{}---\n{}", workload(&t), helm(&t)))?;
    }
    w.write("tenants/kustomization.yaml", &list)
}

fn workload(t: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/{t}:1.0.0
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
    - port: 80
"
    )
}

fn helm(t: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
spec:
  interval: 1h
  url: https://charts.example.com
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
spec:
  serviceAccountName: {t}
  interval: 1h
  chart:
    spec:
      chart: redis
      sourceRef:
        kind: HelmRepository
        name: charts
"
    )
}

fn reference(w: &mut Writer<'_>, spec: &FleetSpec) -> io::Result<()> {
    let clusters = cluster_names(spec.clusters);
    let patches = spec.patches.max(1);
    let depth = spec.depth.max(1);
    for cluster in &clusters {
        flux_system(w, cluster)?;
        w.write(&format!("clusters/{cluster}/tenants.yaml"), &tenants_sync(cluster, &format!("./tenants/{cluster}")))?;
    }
    let mut overlays: Vec<String> = clusters
        .iter()
        .map(|_| String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"))
        .collect();
    let mut patch_lists: Vec<String> = clusters.iter().map(|_| String::from("patches:\n")).collect();
    for i in 0..spec.tenants {
        let t = format!("team-{i}");
        tenant_base(w, &t)?;
        tenant_apps(w, &t, &clusters, depth)?;
        for (c, cluster) in clusters.iter().enumerate() {
            let _ = writeln!(overlays[c], "  - ../base/{t}");
            // The reference's own patch: a strategic merge patch file found by the patch's id.
            let _ = writeln!(patch_lists[c], "  - path: {t}-patch.yaml");
            w.write(
                &format!("tenants/{cluster}/{t}-patch.yaml"),
                &format!(
                    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {t}\n  namespace: {t}\nspec:\n  path: ./apps/{t}/{cluster}\n"
                ),
            )?;
            for j in 1..patches {
                let target = format!("    target:\n      kind: Kustomization\n      name: {t}\n      namespace: {t}\n");
                if j % 2 == 1 {
                    let _ = write!(
                        patch_lists[c],
                        "  - patch: |\n      apiVersion: kustomize.toolkit.fluxcd.io/v1\n      kind: Kustomization\n      metadata:\n        name: not-used\n      spec:\n        timeout: {j}m\n{target}"
                    );
                } else {
                    let _ = write!(
                        patch_lists[c],
                        "  - patch: |\n      - op: add\n        path: /metadata/labels\n        value:\n          patch-{j}: applied\n{target}"
                    );
                }
            }
        }
    }
    for (c, cluster) in clusters.iter().enumerate() {
        let text = format!("{}{}", overlays[c], patch_lists[c]);
        w.write(&format!("tenants/{cluster}/kustomization.yaml"), &text)?;
    }
    Ok(())
}

fn tenant_base(w: &mut Writer<'_>, t: &str) -> io::Result<()> {
    w.write(
        &format!("tenants/base/{t}/kustomization.yaml"),
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {t}\nresources:\n  - rbac.yaml\n  - sync.yaml\n"
        ),
    )?;
    w.write(&format!("tenants/base/{t}/rbac.yaml"), &rbac(t))?;
    w.write(
        &format!("tenants/base/{t}/sync.yaml"),
        &format!(
            "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: {t}
  namespace: {t}
spec:
  interval: 1m
  url: {REPO_URL}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {t}
  namespace: {t}
spec:
  serviceAccountName: {t}
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: {t}
  path: ./apps/{t}/base
  prune: true
"
        ),
    )
}

fn tenant_apps(w: &mut Writer<'_>, t: &str, clusters: &[String], depth: usize) -> io::Result<()> {
    w.write(
        &format!("apps/{t}/base/kustomization.yaml"),
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {t}\nresources:\n  - app.yaml\n  - config.yaml\n  - helm.yaml\n"
        ),
    )?;
    w.write(&format!("apps/{t}/base/app.yaml"), &workload(t))?;
    w.write(
        &format!("apps/{t}/base/config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  LOG_LEVEL: info\n",
    )?;
    w.write(&format!("apps/{t}/base/helm.yaml"), &helm(t))?;
    let mut below = "base".to_string();
    for layer in 1..depth {
        let dir = format!("layer-{layer}");
        w.write(
            &format!("apps/{t}/{dir}/kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../{below}\nlabels:\n  - pairs:\n      layer-{layer}: \"true\"\n"
            ),
        )?;
        below = dir;
    }
    for cluster in clusters {
        w.write(
            &format!("apps/{t}/{cluster}/kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../{below}
patches:
  - path: replicas.yaml
  - target:
      kind: ConfigMap
      name: web-config
    patch: |
      - op: replace
        path: /data/LOG_LEVEL
        value: {cluster}
"
            ),
        )?;
        w.write(
            &format!("apps/{t}/{cluster}/replicas.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_layout_patches_every_tenant_in_every_cluster() {
        let dir = std::env::temp_dir().join(format!("fleetgen-test-{}", std::process::id()));
        let spec = FleetSpec { layout: Layout::Reference, tenants: 3, clusters: 2, patches: 3, depth: 2 };
        generate(&dir, &spec).unwrap();
        let overlay = std::fs::read_to_string(dir.join("tenants/staging/kustomization.yaml")).unwrap();
        assert_eq!(overlay.matches("../base/team-").count(), 3);
        assert_eq!(overlay.matches("-patch.yaml").count(), 3);
        assert_eq!(overlay.matches("target:").count(), 6);
        assert!(dir.join("apps/team-2/layer-1/kustomization.yaml").is_file());
        assert!(dir.join("apps/team-2/production/replicas.yaml").is_file());
        let patch = std::fs::read_to_string(dir.join("tenants/production/team-1-patch.yaml")).unwrap();
        assert!(patch.contains("path: ./apps/team-1/production"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
