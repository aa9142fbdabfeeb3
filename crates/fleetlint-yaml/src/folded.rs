//! Folded block scalars as kustomize and Flux pass them on (see [`go_yaml_folded`]).

/// A folded scalar's value as kustomize and Flux see it. kyaml hands objects on as JSON by
/// writing each node with its own style and reading that text back (kubernetes-sigs/kustomize
/// `kyaml/yaml/rnode.go` `MarshalJSON`), and go-yaml v3's folded writer adds a line break after
/// every line that does not start with a blank when the value's first character is not a blank
/// (`yaml_emitter_write_folded_scalar` looks for the next non-break from index 0, not from the
/// current one; go-yaml/yaml@f6f7691 `emitterc.go`). Read back with the folding rules
/// (`yaml_parser_scan_block_scalar`), that extra break survives before a more-indented line
/// (`x(c,` / `  y` gives `"x(c,\n\n  y"`, the spec `"x(c,\n  y"`) and at the end of a kept
/// (`>+`) value; elsewhere it folds away. The writer keeps the folded style only when it may
/// (no trailing space, no space before a line break, printable text), else the value is
/// unchanged. Long lines are assumed not to be folded at the writer's 80 columns.
pub(crate) fn go_yaml_folded(value: &str) -> String {
    let is_break = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let printable = value.chars().all(|c| c == '\t' || c == '\n' || !(c.is_control() || c == '\u{feff}'));
    let single_breaks = !value.contains(['\r', '\u{85}', '\u{2028}', '\u{2029}']);
    if value.is_empty() || value.ends_with(' ') || value.contains(" \n") || !printable || !single_breaks {
        return value.to_string();
    }
    // the writer
    let extra = value.chars().find(|c| !is_break(*c)).is_some_and(|c| c != ' ' && c != '\t');
    let mut written = String::with_capacity(value.len() + 16);
    let (mut breaks, mut leading_spaces) = (true, true);
    for c in value.chars() {
        if c == '\n' {
            if !breaks && !leading_spaces && extra {
                written.push('\n');
            }
            breaks = true;
        } else {
            if breaks {
                leading_spaces = c == ' ' || c == '\t';
            }
            breaks = false;
        }
        written.push(c);
    }
    // the chomping indicator the writer chose from the value's own trailing breaks
    let trailing = value.len() - value.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => Chomp::Strip,
        1 if value.len() > 1 => Chomp::Clip,
        _ => Chomp::Keep,
    };
    // the reader
    let mut out = String::with_capacity(value.len());
    let (mut leading_break, mut trailing_breaks, mut leading_blank) = (false, 0usize, false);
    let mut lines = written.split('\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if line.is_empty() {
            if !last {
                trailing_breaks += 1;
            }
            continue;
        }
        let trailing_blank = line.starts_with([' ', '\t']);
        if leading_break && !leading_blank && !trailing_blank {
            if trailing_breaks == 0 {
                out.push(' ');
            }
        } else if leading_break {
            out.push('\n');
        }
        out.extend(std::iter::repeat_n('\n', trailing_breaks));
        trailing_breaks = 0;
        leading_blank = trailing_blank;
        out.push_str(line);
        leading_break = !last;
    }
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => out.extend(std::iter::repeat_n('\n', usize::from(leading_break))),
        Chomp::Keep => out.extend(std::iter::repeat_n('\n', usize::from(leading_break) + trailing_breaks)),
    }
    out
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}
