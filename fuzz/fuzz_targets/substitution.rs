//! Flux post-build substitution on arbitrary strings and variables: never panics, leaves text
//! without `${` unchanged, and substitutes a parsed document's scalars in place.
#![no_main]

use arbitrary::Arbitrary;
use fleetlint_fleet::substitution::{self as postbuild, Variables, substitute};
use fleetlint_yaml::{FileId, Limits, parse_yaml};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    vars: Vec<(String, String)>,
    strict: bool,
    always: bool,
    /// A YAML document whose scalars are substituted (`postbuild::apply`).
    yaml: Option<String>,
}

/// Seeds from the repository's testdata are plain text: `=== subst` then the string, optionally
/// followed by `=== vars` and `name=value` lines (see `fuzz/seed.sh`); anything else is
/// structured input.
fn seed(data: &[u8]) -> Option<Input> {
    let text = std::str::from_utf8(data.strip_prefix(b"=== subst\n")?).ok()?;
    let (text, vars) = text.split_once("\n=== vars\n").unwrap_or((text, ""));
    let vars = vars.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Some(Input { text: text.to_string(), vars, strict: true, always: false, yaml: Some(text.to_string()) })
}

fuzz_target!(|data: &[u8]| {
    let input = match seed(data) {
        Some(i) => i,
        None => match Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) {
            Ok(i) => i,
            Err(_) => return,
        },
    };
    let vars: std::collections::BTreeMap<String, String> = input.vars.iter().cloned().collect();
    let lookup = |name: &str| vars.get(name).cloned();
    let result = substitute(&input.text, &lookup, input.strict);
    if !input.text.contains("${") {
        assert_eq!(
            result.as_ref().map(|r| r.text.as_str()),
            Ok(input.text.as_str()),
            "text without references changed"
        );
    }
    if let Some(yaml) = &input.yaml {
        let parsed = parse_yaml(FileId(0), yaml, &Limits::default());
        let variables = Variables { values: vars.clone(), complete: true, always: input.always };
        for mut d in parsed.documents {
            let _ = postbuild::substitution_disabled(&d.root);
            let _ = postbuild::has_any_reference(&d.root);
            let _ = postbuild::apply(&mut d.root, &variables, input.strict);
        }
    }
});
