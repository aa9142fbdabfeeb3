//! The YAML loader on arbitrary bytes: never panics, stays within its limits, and every issue
//! and node span lies inside the text and maps to a line and column.
#![no_main]

use fleetlint_yaml::{FileId, Limits, Node, NodeKind, TextFile, parse_yaml};
use libfuzzer_sys::fuzz_target;

fn check_spans(node: &Node, file: &TextFile, depth: usize) {
    let len = file.text.len();
    assert!(node.span.start as usize <= len && node.span.end as usize <= len, "span {:?} outside {len}", node.span);
    let _ = file.line_col(node.span.start);
    assert!(depth <= Limits::default().max_depth + 2, "nesting {depth} beyond the limit");
    match &node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter().for_each(|n| check_spans(n, file, depth + 1)),
        NodeKind::Map(entries) => {
            for e in entries {
                check_spans(&e.key, file, depth + 1);
                check_spans(&e.value, file, depth + 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let limits = Limits::default();
    let parsed = parse_yaml(FileId(0), &text, &limits);
    let file = TextFile::new("f.yaml".into(), None, "f.yaml".into(), text.as_ref().into());
    for d in &parsed.documents {
        check_spans(&d.root, &file, 0);
        // Alias expansion is bounded by the per-document budget (merge keys copy an expanded
        // alias once more), plus the text's own nodes.
        let nodes = d.root.count_nodes();
        assert!(nodes <= 2 * limits.max_alias_nodes + 2 * text.len() + 2, "{nodes} nodes from {} bytes", text.len());
        let _ = d.root.to_json();
    }
    for i in &parsed.issues {
        assert!(i.span.end as usize <= text.len(), "issue span {:?} outside {}", i.span, text.len());
        let _ = file.line_col(i.span.start);
    }
    let _ = parsed.is_broken();
});
