//! kustomize's resource selector (`patches[].target`, `replacements` selects): group, version,
//! kind, name and namespace as anchored Go regular expressions ([`crate::go_regex`]), label and
//! annotation selectors.

use fleetlint_yaml::Node;
use regex::Regex;

use crate::go_regex::anchored;
use crate::resource::{Gvk, Resource};

/// A compiled selector.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    group: Pattern,
    version: Pattern,
    kind: Pattern,
    name: Pattern,
    namespace: Pattern,
    label_selector: Option<String>,
    annotation_selector: Option<String>,
}

/// One field of a selector (kustomize `api/types/selector.go` `NewSelectorRegex`: an empty
/// field matches anything, any other is a Go regular expression anchored as `^(?:p)$`,
/// [`crate::go_regex`]).
#[derive(Clone, Debug, Default)]
enum Pattern {
    #[default]
    Any,
    /// A pattern that matches exactly its own text (see [`Pattern::new`]): compared as a string,
    /// no expression compiled, and looked up in an index by the resolver.
    Plain(String),
    Regex(Regex),
}

impl Pattern {
    /// A non-empty pattern of ASCII letters, digits, `-` and `_` holds nothing special in Go's RE2
    /// syntax or in Rust's, so `^(?:p)$` matches `p` and nothing else. A `.` (common in names)
    /// matches any character: a pattern holding one is a regular expression.
    fn new(p: &str) -> Result<Self, String> {
        if p.is_empty() {
            Ok(Self::Any)
        } else if p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            Ok(Self::Plain(p.to_string()))
        } else {
            Ok(anchored(p)?.map_or(Self::Any, Self::Regex))
        }
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Plain(p) => p == value,
            Self::Regex(re) => re.is_match(value),
        }
    }

    fn plain(&self) -> Option<&str> {
        match self {
            Self::Plain(p) => Some(p),
            _ => None,
        }
    }
}

impl Selector {
    /// Read a selector mapping; `Err` when a regular expression does not compile.
    pub(crate) fn from_node(node: &Node) -> Result<Self, String> {
        let s = |k: &str| node.get(k).and_then(Node::as_str).unwrap_or("").to_string();
        Ok(Self {
            group: Pattern::new(&s("group"))?,
            version: Pattern::new(&s("version"))?,
            kind: Pattern::new(&s("kind"))?,
            name: Pattern::new(&s("name"))?,
            namespace: Pattern::new(&s("namespace"))?,
            label_selector: Some(s("labelSelector")).filter(|x| !x.is_empty()),
            annotation_selector: Some(s("annotationSelector")).filter(|x| !x.is_empty()),
        })
    }

    /// The kind, when the selector's `kind` is a plain name.
    pub(crate) fn plain_kind(&self) -> Option<&str> {
        self.kind.plain()
    }

    /// The name, when the selector's `name` is a plain name.
    pub(crate) fn plain_name(&self) -> Option<&str> {
        self.name.plain()
    }

    /// The namespace, when the selector's `namespace` is a plain name.
    pub(crate) fn plain_namespace(&self) -> Option<&str> {
        self.namespace.plain()
    }

    /// kustomize's `resWrangler.Select` test for one resource.
    pub(crate) fn matches(&self, r: &Resource) -> bool {
        let cur = r.cur_id();
        let org = r.org_id();
        if !self.namespace.is_match(org.effective_namespace()) && !self.namespace.is_match(cur.effective_namespace()) {
            return false;
        }
        if !self.name.is_match(&org.name) && !self.name.is_match(&cur.name) {
            return false;
        }
        // kustomize 5.5 matches group, version and kind as anchored regular expressions too.
        let gvk: &Gvk = &cur.gvk;
        if !(self.group.is_match(&gvk.group) && self.version.is_match(&gvk.version) && self.kind.is_match(&gvk.kind)) {
            return false;
        }
        if let Some(sel) = &self.label_selector
            && !label_selector_matches(sel, r.root.get_path(&["metadata", "labels"]))
        {
            return false;
        }
        if let Some(sel) = &self.annotation_selector
            && !label_selector_matches(sel, r.root.get_path(&["metadata", "annotations"]))
        {
            return false;
        }
        true
    }
}

/// Split on commas outside parentheses.
fn split_requirements(sel: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in sel.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&sel[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&sel[start..]);
    out
}

/// Kubernetes label-selector syntax against a labels (or annotations) map.
pub(crate) fn label_selector_matches(sel: &str, labels: Option<&Node>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(|v| v.as_scalar()).map(|s| s.text.to_string());
    for req in split_requirements(sel) {
        let req = req.trim();
        if req.is_empty() {
            continue;
        }
        let ok = if let Some(k) = req.strip_prefix('!') {
            get(k.trim()).is_none()
        } else if let Some((k, v)) = req.split_once("!=") {
            get(k.trim()).as_deref() != Some(v.trim())
        } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            get(k.trim()).as_deref() == Some(v.trim())
        } else if let Some((k, set)) = req.split_once(" notin ") {
            let vals = set_values(set);
            get(k.trim()).is_none_or(|v| !vals.contains(&v.as_str()))
        } else if let Some((k, set)) = req.split_once(" in ") {
            let vals = set_values(set);
            get(k.trim()).is_some_and(|v| vals.contains(&v.as_str()))
        } else {
            get(req).is_some()
        };
        if !ok {
            return false;
        }
    }
    true
}

fn set_values(set: &str) -> Vec<&str> {
    set.trim().trim_start_matches('(').trim_end_matches(')').split(',').map(str::trim).collect()
}
