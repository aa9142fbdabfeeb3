//! Which rules run and how loud they are: `select`, `extendSelect`, `ignore`, per-rule
//! `severity` and `perFileIgnores` of `.fleetlint.yaml`, and `--select`/`--ignore` on the
//! command line. A selector names rules by code (`ISO001`), code prefix (`ISO`, `ISO00`), name
//! (`tenant-reconciler-without-service-account`), group (`tenant-isolation`) or `ALL`, like
//! ruff's rule selectors.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use crate::finding::{Category, Finding, Severity};
use crate::rule::RuleId;

/// Rule selection as written by the user (configuration merged with the command line).
#[derive(Clone, Debug, Default)]
pub struct SelectionSettings {
    /// Rules to run; `None` runs every rule.
    pub select: Option<Vec<String>>,
    /// Rules added to `select`.
    pub extend_select: Vec<String>,
    /// Rules not to run (wins over `select`).
    pub ignore: Vec<String>,
    /// Severity per selector; the most specific selector wins (code or name, then the longest
    /// prefix, then group, then `ALL`).
    pub severity: BTreeMap<String, Severity>,
    /// Glob (relative to the checked root, `/`-separated) -> selectors of findings to leave out
    /// in the matching files.
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
}

/// The resolved selection.
#[derive(Clone, Debug)]
pub struct Selection {
    enabled: Vec<RuleId>,
    severity: Vec<(RuleId, Severity)>,
    per_file: Vec<(GlobMatcher, Vec<RuleId>)>,
}

impl Default for Selection {
    /// Every built-in rule that runs unless selected otherwise, at its own severity.
    fn default() -> Self {
        let enabled = crate::catalog().into_iter().filter(|r| !opt_in(*r)).collect();
        Self { enabled, severity: Vec::new(), per_file: Vec::new() }
    }
}

/// How specific a selector is for a rule it matches: higher wins.
fn specificity(selector: &str, rule: RuleId) -> Option<usize> {
    let m = rule.meta();
    if selector.eq_ignore_ascii_case("ALL") {
        return Some(0);
    }
    if selector.eq_ignore_ascii_case(m.code) || selector == m.name {
        return Some(100);
    }
    if selector == m.category.as_str() {
        return Some(1);
    }
    let upper = selector.to_ascii_uppercase();
    let is_prefix = !upper.is_empty()
        && upper.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && m.code.starts_with(upper.as_str());
    is_prefix.then_some(1 + upper.len())
}

/// Whether a rule runs only when selected: the built-in policy pack (POL100-POL899), whose
/// conventions (pinned chart versions, resource requests) are a platform team's choice, not a
/// defect of every fleet. `select: [ALL]`, `extendSelect: [POL1]` or a code enable them.
fn opt_in(rule: RuleId) -> bool {
    rule.code().strip_prefix("POL").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (100..=899).contains(&n))
}

impl Selection {
    /// Resolve `settings` against `rules` (the built-in catalog and any rule loaded at run time).
    ///
    /// # Errors
    /// A message naming a selector that matches no rule, or a glob that does not parse.
    pub fn new(settings: &SelectionSettings, rules: &[RuleId]) -> Result<Self, String> {
        let matching = |what: &str, selector: &str| -> Result<Vec<RuleId>, String> {
            let found: Vec<RuleId> = rules.iter().copied().filter(|r| specificity(selector, *r).is_some()).collect();
            if found.is_empty() {
                return Err(format!(
                    "{what}: `{selector}` matches no rule (a code such as ISO001, a prefix such as ISO, a rule name, a group such as tenant-isolation, or ALL; see `fleetlint rules`)"
                ));
            }
            Ok(found)
        };
        let mut enabled: Vec<RuleId> = match &settings.select {
            None => rules.iter().copied().filter(|r| !opt_in(*r)).collect(),
            Some(list) => {
                let mut out = Vec::new();
                for s in list {
                    out.extend(matching("select", s)?);
                }
                out
            }
        };
        for s in &settings.extend_select {
            enabled.extend(matching("extendSelect", s)?);
        }
        for s in &settings.ignore {
            let ignored = matching("ignore", s)?;
            enabled.retain(|r| !ignored.contains(r));
        }
        // An internal error is never silenced: the report would be incomplete without saying so.
        enabled.push(crate::INTERNAL_ERROR);
        enabled.sort();
        enabled.dedup();
        let mut severity = Vec::new();
        for s in settings.severity.keys() {
            matching("severity", s)?;
        }
        for &rule in rules {
            let best = settings
                .severity
                .iter()
                .filter_map(|(s, sev)| specificity(s, rule).map(|n| (n, *sev)))
                .max_by_key(|(n, _)| *n);
            if let Some((_, sev)) = best {
                severity.push((rule, sev));
            }
        }
        let mut per_file = Vec::new();
        for (glob, selectors) in &settings.per_file_ignores {
            // `*` stays within a path segment, `**` crosses them (as in .gitignore and ruff).
            let matcher = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("perFileIgnores: `{glob}` is not a glob: {e}"))?
                .compile_matcher();
            let mut codes = Vec::new();
            for s in selectors {
                codes.extend(matching(&format!("perFileIgnores `{glob}`"), s)?);
            }
            per_file.push((matcher, codes));
        }
        Ok(Self { enabled, severity, per_file })
    }

    /// Whether `rule` runs.
    #[must_use]
    pub fn enabled(&self, rule: RuleId) -> bool {
        rule.meta().category == Category::Internal || self.enabled.contains(&rule)
    }

    /// The rules that run, by code.
    #[must_use]
    pub fn rules(&self) -> &[RuleId] {
        &self.enabled
    }

    /// Whether a finding of `rule` in the file at `path` (relative to its tree) is left out by
    /// `perFileIgnores`.
    #[must_use]
    pub fn ignored_in(&self, rule: RuleId, path: &str) -> bool {
        self.per_file.iter().any(|(glob, rules)| rules.contains(&rule) && glob.is_match(path))
    }

    /// Apply the configured severity to `f`.
    pub fn set_severity(&self, f: &mut Finding) {
        if let Some((_, s)) = self.severity.iter().find(|(r, _)| *r == f.rule) {
            f.severity = *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(s: &Selection) -> Vec<&'static str> {
        s.rules().iter().map(|r| r.code()).collect()
    }

    fn settings() -> SelectionSettings {
        SelectionSettings::default()
    }

    #[test]
    fn selectors_match_code_prefix_name_group_and_all() {
        let all = crate::catalog();
        let s = Selection::new(&SelectionSettings { select: Some(vec!["ISO001".into()]), ..settings() }, &all).unwrap();
        assert_eq!(codes(&s), ["FLT001", "ISO001"]);
        let s = Selection::new(&SelectionSettings { select: Some(vec!["XNS".into()]), ..settings() }, &all).unwrap();
        assert!(codes(&s).iter().filter(|c| **c != "FLT001").all(|c| c.starts_with("XNS")));
        assert_eq!(codes(&s).len(), 1 + all.iter().filter(|r| r.code().starts_with("XNS")).count());
        let by_name = SelectionSettings { select: Some(vec!["dependson-cycle".into()]), ..settings() };
        assert_eq!(codes(&Selection::new(&by_name, &all).unwrap()), ["FLT001", "ORD002"]);
        let by_group = SelectionSettings { select: Some(vec!["dependency-order".into()]), ..settings() };
        assert!(codes(&Selection::new(&by_group, &all).unwrap()).contains(&"ORD007"));
        let ignore = SelectionSettings { ignore: Some("ALL".into()).into_iter().collect(), ..settings() };
        assert_eq!(codes(&Selection::new(&ignore, &all).unwrap()), ["FLT001"]);
    }

    #[test]
    fn ignore_wins_and_extend_select_adds() {
        let all = crate::catalog();
        let s = SelectionSettings {
            select: Some(vec!["ISO".into()]),
            extend_select: vec!["ORD002".into()],
            ignore: vec!["ISO00".into()],
            ..settings()
        };
        assert_eq!(codes(&Selection::new(&s, &all).unwrap()), ["FLT001", "ISO010", "ORD002"]);
    }

    #[test]
    fn the_most_specific_severity_wins() {
        let all = crate::catalog();
        let mut severity = BTreeMap::new();
        severity.insert("ISO".to_string(), Severity::Info);
        severity.insert("ISO001".to_string(), Severity::Warning);
        severity.insert("ALL".to_string(), Severity::Error);
        let s = Selection::new(&SelectionSettings { severity, ..settings() }, &all).unwrap();
        let sev = |code: &str| s.severity.iter().find(|(r, _)| r.code() == code).map(|(_, s)| *s);
        assert_eq!(sev("ISO001"), Some(Severity::Warning));
        assert_eq!(sev("ISO002"), Some(Severity::Info));
        assert_eq!(sev("HYG001"), Some(Severity::Error));
    }

    #[test]
    fn unknown_selectors_and_bad_globs_are_errors() {
        let all = crate::catalog();
        let err = Selection::new(&SelectionSettings { select: Some(vec!["NOPE".into()]), ..settings() }, &all);
        assert!(err.unwrap_err().contains("`NOPE` matches no rule"));
        let mut pfi = BTreeMap::new();
        pfi.insert("a/[".to_string(), vec!["ISO".to_string()]);
        let err = Selection::new(&SelectionSettings { per_file_ignores: pfi, ..settings() }, &all);
        assert!(err.unwrap_err().starts_with("perFileIgnores: `a/[`"));
    }
}
