//! Packs the committed schemas (`schemas/kubernetes/definitions.json`, `schemas/flux/`) into one
//! deflate-compressed JSON document that the crate embeds with `include_bytes!`:
//! `{"kubernetes": <definitions>, "fluxIndex": <index>, "fluxFiles": {"<file>": <schema>}}`.
//! The files are joined as text, not parsed; an absent file (before the first `gen-schemas`)
//! leaves its part out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") && p.file_name().is_some_and(|n| n != "index.json") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let schemas = manifest.join("../../schemas");
    let kubernetes = schemas.join("kubernetes");
    let flux = schemas.join("flux");
    println!("cargo::rerun-if-changed={}", kubernetes.display());
    println!("cargo::rerun-if-changed={}", flux.display());

    let mut doc = String::from("{");
    let mut first = true;
    let mut part = |doc: &mut String, name: &str, text: &str| {
        if !first {
            doc.push(',');
        }
        first = false;
        let _ = write!(doc, "\"{name}\":{text}");
    };
    if let Ok(text) = std::fs::read_to_string(kubernetes.join("definitions.json")) {
        part(&mut doc, "kubernetes", &text);
    }
    if let Ok(text) = std::fs::read_to_string(flux.join("index.json")) {
        part(&mut doc, "fluxIndex", &text);
        let mut list = Vec::new();
        files(&flux, &mut list);
        list.sort();
        let mut map = String::from("{");
        for (i, path) in list.iter().enumerate() {
            let rel = path.strip_prefix(&flux).expect("under flux").to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(path).expect("readable schema file");
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(map, "{sep}\"{rel}\":{text}");
        }
        map.push('}');
        part(&mut doc, "fluxFiles", &map);
    }
    doc.push('}');
    let packed = miniz_oxide::deflate::compress_to_vec(doc.as_bytes(), 9);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("schemas.deflate");
    std::fs::write(out, packed).expect("writing the schema bundle");
}
