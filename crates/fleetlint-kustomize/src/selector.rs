//! kustomize's resource selector (`patches[].target`, `replacements` selects): group, version,
//! kind, name and namespace as anchored Go regular expressions ([`crate::go_regex`]), label and
//! annotation selectors.

use fleetlint_yaml::Node;
use regex::Regex;

use crate::resource::{Gvk, Resource};

/// A compiled selector.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    label_selector: Option<String>,
    annotation_selector: Option<String>,
}

use crate::go_regex::anchored;

impl Selector {
    /// Read a selector mapping; `Err` when a regular expression does not compile.
    pub(crate) fn from_node(node: &Node) -> Result<Self, String> {
        let s = |k: &str| node.get(k).and_then(Node::as_str).unwrap_or("").to_string();
        Ok(Self {
            group: anchored(&s("group"))?,
            version: anchored(&s("version"))?,
            kind: anchored(&s("kind"))?,
            name: anchored(&s("name"))?,
            namespace: anchored(&s("namespace"))?,
            label_selector: Some(s("labelSelector")).filter(|x| !x.is_empty()),
            annotation_selector: Some(s("annotationSelector")).filter(|x| !x.is_empty()),
        })
    }

    /// kustomize's `resWrangler.Select` test for one resource.
    pub(crate) fn matches(&self, r: &Resource) -> bool {
        let cur = r.cur_id();
        let org = r.org_id();
        if let Some(re) = &self.namespace
            && !re.is_match(org.effective_namespace())
            && !re.is_match(cur.effective_namespace())
        {
            return false;
        }
        if let Some(re) = &self.name
            && !re.is_match(&org.name)
            && !re.is_match(&cur.name)
        {
            return false;
        }
        // kustomize 5.5 matches group, version and kind as anchored regular expressions too.
        let gvk: &Gvk = &cur.gvk;
        for (re, value) in [(&self.group, &gvk.group), (&self.version, &gvk.version), (&self.kind, &gvk.kind)] {
            if re.as_ref().is_some_and(|re| !re.is_match(value)) {
                return false;
            }
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
