//! The emitter prints what `kubectl kustomize` prints, byte for byte, on the golden cases.

use std::path::Path;

use fleetlint_kustomize::{Resolver, to_yaml};
use fleetlint_yaml::{FileDb, Limits, load_tree};

#[test]
fn emitter_matches_kubectl_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kustomize");
    let mut db = FileDb::new();
    let tree = load_tree(&mut db, &root, None, &Limits::default()).expect("load");
    let resolver = Resolver::new(&tree, &db);
    let mut mismatched = Vec::new();
    for entry in std::fs::read_dir(&root).expect("read").flatten() {
        let expected = entry.path().join("expected.yaml");
        let Ok(text) = std::fs::read_to_string(&expected) else { continue };
        let case = entry.file_name().to_string_lossy().to_string();
        let want: String = text.lines().filter(|l| !l.starts_with("# Warning")).map(|l| format!("{l}\n")).collect();
        let got = to_yaml(&resolver.build(&case).resources, None);
        if want.trim_end() != got.trim_end() {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(0);
            mismatched.push(format!(
                "{case} line {}: kubectl {:?} / ours {:?}",
                line + 1,
                want.lines().nth(line),
                got.lines().nth(line)
            ));
        }
    }
    assert!(mismatched.is_empty(), "{mismatched:#?}");
}
