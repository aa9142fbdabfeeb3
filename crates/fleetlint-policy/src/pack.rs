//! The built-in policy pack: `policies/*.yaml`, embedded in the binary.

use fleetlint_yaml::FileId;

use crate::{LoadError, LoadOptions, Origin, Policy, duplicate_codes, load_file};

/// The pack's files: path relative to the repository root, and text. A test checks that the
/// list is exactly `policies/*.yaml`.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "policies/POL101-helmrelease-chart-version-pinned.yaml",
        include_str!("../../../policies/POL101-helmrelease-chart-version-pinned.yaml"),
    ),
    (
        "policies/POL102-container-image-pinned.yaml",
        include_str!("../../../policies/POL102-container-image-pinned.yaml"),
    ),
    (
        "policies/POL103-tenant-namespace-labelled.yaml",
        include_str!("../../../policies/POL103-tenant-namespace-labelled.yaml"),
    ),
    ("policies/POL104-flux-interval-floor.yaml", include_str!("../../../policies/POL104-flux-interval-floor.yaml")),
    (
        "policies/POL105-kubeconfig-secret-in-platform-namespace.yaml",
        include_str!("../../../policies/POL105-kubeconfig-secret-in-platform-namespace.yaml"),
    ),
    (
        "policies/POL106-container-resources-declared.yaml",
        include_str!("../../../policies/POL106-container-resources-declared.yaml"),
    ),
    ("policies/POL107-tenant-privileged-pod.yaml", include_str!("../../../policies/POL107-tenant-privileged-pod.yaml")),
];

/// Load the built-in pack. File `i` of [`BUILTIN_FILES`] is read as `FileId(first_file + i)`, so
/// spans point into whatever source database the caller registers the texts in.
///
/// # Errors
/// Every problem found (a defect of the pack, caught by its tests).
pub fn builtin_pack(first_file: u32) -> Result<Vec<Policy>, Vec<LoadError>> {
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    for (i, (_, text)) in BUILTIN_FILES.iter().enumerate() {
        let id = FileId(first_file + u32::try_from(i).unwrap_or(u32::MAX - first_file));
        let (p, e) = load_file(id, text, Origin::BuiltIn, &LoadOptions::default());
        policies.extend(p);
        errors.extend(e);
    }
    errors.extend(duplicate_codes(&policies));
    if errors.is_empty() { Ok(policies) } else { Err(errors) }
}
