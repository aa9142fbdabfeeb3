//! Maps from template offsets back to the file that holds the template, so a rendered value
//! points at the text that produced it.
//!
//! - `spec.resourcesTemplate` is one YAML scalar (usually a literal block): template line *k* is
//!   a line of the file, shifted by the block's indentation.
//! - each `spec.resources` item is converted to YAML by fleetlint (as the operator's
//!   `yaml.JSONToYAML` does) before templating; every emitted scalar remembers the scalar of the
//!   ResourceSet it came from.

use std::ops::Range;

use fleetlint_gotemplate::goyaml2::EmittedSpan;
use fleetlint_yaml::{FileId, Node, NodeKind, ScalarStyle, Span};

/// Where template offsets land in a file.
#[derive(Debug)]
pub(crate) enum TextMap {
    /// Template offset `t` is file offset `base + t`.
    Exact { file: FileId, base: usize, len: usize },
    /// Line-wise: template line starts and the file offsets they map to.
    Lines { file: FileId, starts: Vec<(usize, usize)>, whole: Span },
    /// Everything maps to one span.
    Whole(Span),
    /// Emitted YAML of a `resources` item: template ranges of scalars and their sources.
    Emitted { spans: Vec<EmittedSource>, whole: Span },
}

/// An emitted scalar and the source scalar it came from.
#[derive(Debug)]
pub(crate) struct EmittedSource {
    pub(crate) range: Range<usize>,
    pub(crate) source: Span,
    /// When the emitted text is the source text verbatim: the file offset of its first byte.
    pub(crate) exact_base: Option<usize>,
}

impl TextMap {
    /// The map for the template held by scalar `node`, whose file text is `file_text`.
    pub(crate) fn for_scalar(node: &Node, template: &str, file_text: Option<&str>) -> Self {
        let span = node.span;
        let Some(text) = file_text else { return TextMap::Whole(span) };
        let Some(scalar) = node.as_scalar() else { return TextMap::Whole(span) };
        let raw = text.get(span.range()).unwrap_or("");
        match scalar.style {
            ScalarStyle::Plain if !template.contains('\n') && raw == template => {
                TextMap::Exact { file: span.file, base: span.start as usize, len: template.len() }
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                if !template.contains('\n') && raw.len() >= 2 && &raw[1..raw.len() - 1] == template =>
            {
                TextMap::Exact { file: span.file, base: span.start as usize + 1, len: template.len() }
            }
            ScalarStyle::Literal => literal_lines(span, template, text).unwrap_or(TextMap::Whole(span)),
            _ => TextMap::Whole(span),
        }
    }

    /// The file span of template range `r`.
    pub(crate) fn map(&self, r: Range<usize>) -> Span {
        match self {
            TextMap::Exact { file, base, len } => {
                let start = base + r.start.min(*len);
                let end = base + r.end.min(*len);
                Span::new(*file, start, end.max(start))
            }
            TextMap::Lines { file, starts, whole } => {
                let at = |t: usize| {
                    let i = starts.partition_point(|(ls, _)| *ls <= t).saturating_sub(1);
                    starts.get(i).map_or(whole.start as usize, |(ls, fs)| fs + (t - ls))
                };
                let start = at(r.start).min(whole.end as usize);
                let end = at(r.end.max(r.start)).min(whole.end as usize).max(start);
                Span::new(*file, start, end)
            }
            TextMap::Whole(s) => *s,
            TextMap::Emitted { spans, whole } => {
                // The emitted scalar that holds (or precedes) the start of the range.
                let i = spans.partition_point(|e| e.range.start <= r.start);
                let Some(e) = i.checked_sub(1).and_then(|i| spans.get(i)) else { return *whole };
                if r.start >= e.range.end {
                    // Between scalars (indentation, `- `, `: `): the scalar before it.
                    return e.source;
                }
                match e.exact_base {
                    Some(base) => {
                        let start = base + (r.start - e.range.start);
                        let end = base + (r.end.min(e.range.end) - e.range.start);
                        Span::new(e.source.file, start, end.max(start))
                    }
                    None => e.source,
                }
            }
        }
    }
}

/// A literal block scalar: each content line is the file line shifted by the indentation. The
/// scalar's span starts at its first non-empty content line (after the indentation).
fn literal_lines(span: Span, template: &str, text: &str) -> Option<TextMap> {
    let start = span.start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].bytes().all(|b| b == b' ') {
        return None;
    }
    let indent = start - line_start;
    // Blank template lines before the first content line sit on the file lines above it.
    let lines: Vec<&str> = template.split('\n').collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(0);
    let mut file_offset = line_start;
    for _ in 0..first {
        let prev_end = file_offset.checked_sub(1)?;
        file_offset = text[..prev_end].rfind('\n').map_or(0, |i| i + 1);
    }
    let mut starts = Vec::new();
    let mut tpl_offset = 0usize;
    for line in lines {
        let file_line_end = text[file_offset..].find('\n').map_or(text.len(), |i| file_offset + i);
        let file_line = &text[file_offset..file_line_end];
        let shift = indent.min(file_line.len() - file_line.trim_start_matches(' ').len());
        if !line.is_empty() && !file_line[shift..].starts_with(line) {
            return None;
        }
        starts.push((tpl_offset, file_offset + shift));
        tpl_offset += line.len() + 1;
        if file_line_end >= text.len() {
            break;
        }
        file_offset = file_line_end + 1;
    }
    Some(TextMap::Lines { file: span.file, starts, whole: span })
}

/// The map of an emitted `resources` item: `ids[i]` is the source scalar of emitted id `i`.
pub(crate) fn for_emitted(
    emitted: &[EmittedSpan],
    ids: &[&Node],
    template: &str,
    file_text: Option<&str>,
    whole: Span,
) -> TextMap {
    let mut spans: Vec<EmittedSource> = emitted
        .iter()
        .filter_map(|e| {
            let node = ids.get(e.mark as usize)?;
            let source = node.span;
            let emitted_text = &template[e.range.clone()];
            let exact_base = match (&node.kind, file_text) {
                (NodeKind::Scalar(s), Some(text)) if s.style == ScalarStyle::Plain && !s.text.contains('\n') => {
                    let raw = text.get(source.range()).unwrap_or("");
                    (raw == emitted_text).then_some(source.start as usize)
                }
                _ => None,
            };
            Some(EmittedSource { range: e.range.clone(), source, exact_base })
        })
        .collect();
    spans.sort_by_key(|e| e.range.start);
    TextMap::Emitted { spans, whole }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetlint_yaml::{Limits, parse_yaml};

    #[test]
    fn literal_blocks_map_line_by_line() {
        let text = "spec:\n  resourcesTemplate: |\n    a: << x >>\n\n    b: 2\n";
        let doc = parse_yaml(FileId(0), text, &Limits::default());
        let node = doc.documents[0].root.get_path(&["spec", "resourcesTemplate"]).unwrap();
        let tpl = node.as_str().unwrap();
        assert_eq!(tpl, "a: << x >>\n\nb: 2\n");
        let map = TextMap::for_scalar(node, tpl, Some(text));
        let x = tpl.find("<<").unwrap();
        assert_eq!(&text[map.map(x..x + 7).range()], "<< x >>");
        let b = tpl.find('b').unwrap();
        assert_eq!(&text[map.map(b..b + 1).range()], "b");
    }

    #[test]
    fn plain_scalars_map_exactly() {
        let text = "k: app-<< inputs.x >>\n";
        let doc = parse_yaml(FileId(0), text, &Limits::default());
        let node = doc.documents[0].root.get("k").unwrap();
        let map = TextMap::for_scalar(node, node.as_str().unwrap(), Some(text));
        assert_eq!(&text[map.map(4..18).range()], "<< inputs.x >>");
    }
}
