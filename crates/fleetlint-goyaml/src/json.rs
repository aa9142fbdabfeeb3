//! JSON strings as Go's `encoding/json` writes them (golang/go:src/encoding/json/encode.go
//! `appendString`, Go 1.26): `"` and `\` escaped, `\b \f \n \r \t` by name, other control
//! characters and U+2028/U+2029 as `\u00XX`/`\u202X`, and `<`, `>`, `&` as `\u00XX` when HTML
//! escaping is on (`Marshal` always; an `Encoder` after `SetEscapeHTML(false)` not). Shared by
//! the `toJson` family of template functions (go-task/slim-sprig, as the Flux Operator runs
//! them) and kustomize's `go_json`, which must both write what the Go program writes.

/// Append `s` to `out` as a quoted JSON string, escaped as Go's `encoding/json` escapes it
/// (`<`, `>` and `&` only when `escape_html`).
pub fn write_json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::write_json_string;

    fn json(s: &str, html: bool) -> String {
        let mut out = String::new();
        write_json_string(&mut out, s, html);
        out
    }

    #[test]
    fn escapes_like_go_encoding_json() {
        // Go: json.Marshal("a\"b\\c\n\t\x01\b\f<>&\u2028\u2029é") (HTML escaping on)
        let s = "a\"b\\c\n\t\u{1}\u{8}\u{c}<>&\u{2028}\u{2029}é";
        assert_eq!(json(s, true), r#""a\"b\\c\n\t\u0001\b\f\u003c\u003e\u0026\u2028\u2029é""#);
        // An Encoder with SetEscapeHTML(false) keeps <>& but still escapes U+2028/9.
        assert_eq!(json("<a&b>\u{2028}", false), "\"<a&b>\\u2028\"");
    }
}
