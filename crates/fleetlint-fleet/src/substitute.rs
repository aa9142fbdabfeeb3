//! Flux post-build variable substitution (`fluxcd/pkg@e2cfd1a2:envsubst`, `eval.go` and
//! `parse/`; docs/flux-semantics.md#post-build-substitution).
//!
//! Only `${name}` forms are substituted (`$name` never is), `$${name}` is a literal `${name}`,
//! and the bash-like operators Flux supports are implemented: defaults (`:=`, `=`, `:-`, `-`),
//! substrings (`:off[:len]`), length (`#`), case (`^`, `^^`, `,`, `,,`), affix removal (`#`, `##`,
//! `%`, `%%`) and replacement (`/`, `//`, `/#`, `/%`). In strict mode (the default since Flux 2.9)
//! a variable without value and without default is an error, as in kustomize-controller.

/// Why a substitution failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubstError {
    /// `${name}` has no value and no default (strict mode).
    Unset {
        /// The variable.
        name: String,
    },
    /// The expression cannot be parsed (e.g. a dash in the name: "missing closing brace").
    Syntax(String),
    /// fleetlint stops evaluating: defaults nested deeper than [`MAX_NESTING`], or a pattern
    /// operator past [`MAX_STEPS`] matching steps. Flux may well evaluate it (Go grows its
    /// stacks); fleetlint cannot say what it becomes.
    Limit(String),
}

/// How deep `${a:=${b:=...}}` defaults may nest before fleetlint stops evaluating.
pub(crate) const MAX_NESTING: usize = 32;

/// How many pattern-matching steps (`#`, `%`, `/` operators) one string may cost.
pub(crate) const MAX_STEPS: u64 = 20_000_000;

impl std::fmt::Display for SubstError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubstError::Unset { name } => write!(f, "variable `{name}` not set (strict mode)"),
            SubstError::Syntax(m) => write!(f, "variable substitution failed: {m}"),
            SubstError::Limit(m) => write!(f, "not evaluated: {m}"),
        }
    }
}

/// The outcome of substituting one string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Substituted {
    /// The result.
    pub text: String,
    /// Variables referenced, in order (with duplicates removed).
    pub referenced: Vec<String>,
    /// Variables that had no value; with a default they were filled from it, without one they
    /// became empty (non-strict mode) or an error (strict mode).
    pub unset: Vec<String>,
}

/// Whether `text` contains a `${` reference at all (cheap pre-check).
#[must_use]
pub(crate) fn has_reference(text: &str) -> bool {
    text.contains("${")
}

/// Whether `name` is a valid variable name for the *defined* variables
/// (`^[_[:alpha:]][_[:alpha:][:digit:]]*$`).
#[must_use]
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Substitute `${...}` references in `input` with values from `lookup`.
///
/// # Errors
/// [`SubstError::Unset`] in strict mode for a variable without value or default, and
/// [`SubstError::Syntax`] for an expression Flux cannot parse.
pub fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<Substituted, SubstError> {
    let cx = Cx { lookup, strict, depth: 0, steps: &std::cell::Cell::new(MAX_STEPS) };
    substitute_in(input, &cx)
}

/// What one substitution carries down into nested defaults and patterns.
struct Cx<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    strict: bool,
    /// How deep in nested defaults and patterns this string is.
    depth: usize,
    /// Pattern-matching steps left for the whole top-level string.
    steps: &'a std::cell::Cell<u64>,
}

fn substitute_in(input: &str, cx: &Cx<'_>) -> Result<Substituted, SubstError> {
    if cx.depth > MAX_NESTING {
        return Err(SubstError::Limit(format!("expressions nested deeper than {MAX_NESTING} levels")));
    }
    let mut out = Substituted::default();
    let bytes = input.as_bytes();
    let mut i = 0;
    let mut text = String::with_capacity(input.len());
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'$') && bytes.get(i + 2) == Some(&b'{') {
            // `$${v}` is an escaped literal `${v}`.
            text.push('$');
            i += 2;
            continue;
        }
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            let end = matching_brace(input, i + 2).ok_or_else(|| SubstError::Syntax("missing closing brace".into()))?;
            let expr = &input[i + 2..end];
            let value = eval(expr, cx, &mut out)?;
            text.push_str(&value);
            i = end + 1;
            continue;
        }
        let ch = input[i..].chars().next().unwrap_or('\0');
        text.push(ch);
        i += ch.len_utf8().max(1);
    }
    out.text = text;
    Ok(out)
}

fn matching_brace(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn eval(expr: &str, cx: &Cx<'_>, out: &mut Substituted) -> Result<String, SubstError> {
    let (lookup, strict) = (cx.lookup, cx.strict);
    if let Some(name) = expr.strip_prefix('#') {
        check_name(name)?;
        note(&mut out.referenced, name);
        let v = value_or_unset(name, lookup, strict, out)?;
        return Ok(v.chars().count().to_string());
    }
    let name_len = expr.bytes().take_while(|b| *b == b'_' || b.is_ascii_alphanumeric()).count();
    let (name, op) = expr.split_at(name_len);
    if name.is_empty() || !is_valid_name(name) {
        return Err(SubstError::Syntax("missing closing brace".into()));
    }
    note(&mut out.referenced, name);
    let value = lookup(name);
    let nested = |s: &str, out: &mut Substituted| -> Result<String, SubstError> {
        let r = substitute_in(s, &Cx { depth: cx.depth + 1, ..*cx })?;
        for v in r.referenced {
            note(&mut out.referenced, &v);
        }
        for v in r.unset {
            note(&mut out.unset, &v);
        }
        Ok(r.text)
    };
    let defaulted = |empty_counts: bool, default: &str, out: &mut Substituted| -> Result<String, SubstError> {
        match &value {
            Some(v) if !(empty_counts && v.is_empty()) => Ok(v.clone()),
            _ => {
                if value.is_none() {
                    note(&mut out.unset, name);
                }
                nested(default, out)
            }
        }
    };
    if op.is_empty() {
        return value_or_unset(name, lookup, strict, out);
    }
    if let Some(d) = op.strip_prefix(":=").or_else(|| op.strip_prefix(":-")) {
        return defaulted(true, d, out);
    }
    if let Some(d) = op.strip_prefix('=').or_else(|| op.strip_prefix('-')) {
        return defaulted(false, d, out);
    }
    if op.starts_with(":+") || op.starts_with(":?") || op.starts_with('+') {
        return Err(SubstError::Syntax(format!("unsupported operator in `${{{expr}}}`")));
    }
    let v = value_or_unset(name, lookup, strict, out)?;
    match op {
        "^" => return Ok(map_first(&v, true)),
        "^^" => return Ok(v.to_uppercase()),
        "," => return Ok(map_first(&v, false)),
        ",," => return Ok(v.to_lowercase()),
        _ => {}
    }
    if let Some(p) = op.strip_prefix("##") {
        return trim_prefix(&v, &nested(p, out)?, true, cx.steps);
    }
    if let Some(p) = op.strip_prefix('#') {
        return trim_prefix(&v, &nested(p, out)?, false, cx.steps);
    }
    if let Some(p) = op.strip_prefix("%%") {
        return trim_suffix(&v, &nested(p, out)?, true, cx.steps);
    }
    if let Some(p) = op.strip_prefix('%') {
        return trim_suffix(&v, &nested(p, out)?, false, cx.steps);
    }
    if let Some(rest) = op.strip_prefix('/') {
        let (mode, rest) = match rest.as_bytes().first() {
            Some(b'/') => (Replace::All, &rest[1..]),
            Some(b'#') => (Replace::Prefix, &rest[1..]),
            Some(b'%') => (Replace::Suffix, &rest[1..]),
            _ => (Replace::First, rest),
        };
        let (pat, rep) = rest.split_once('/').unwrap_or((rest, ""));
        return replace(&v, &nested(pat, out)?, &nested(rep, out)?, mode, cx.steps);
    }
    if let Some(rest) = op.strip_prefix(':') {
        let (off, len) = rest.split_once(':').map_or((rest, None), |(o, l)| (o, Some(l)));
        let chars: Vec<char> = v.chars().collect();
        let n = chars.len() as i64;
        // An offset or length that is not a number leaves the value as it is ("bash returns the
        // string if the position cannot be parsed": fluxcd/pkg@6864165 `envsubst/funcs.go`
        // `toSubstr`), so `${var:position}` in a CRD description is no error.
        let Ok(off) = off.trim().parse::<i64>() else { return Ok(v) };
        let start = if off < 0 { (n + off).max(0) } else { off.min(n) };
        let end = match len {
            None => n,
            Some(l) => {
                let Ok(l) = l.trim().parse::<i64>() else { return Ok(v) };
                if l < 0 { (n + l).max(start) } else { (start + l).min(n) }
            }
        };
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
        return Ok(chars[start as usize..end as usize].iter().collect());
    }
    Err(SubstError::Syntax(format!("unsupported expression `${{{expr}}}`")))
}

fn check_name(name: &str) -> Result<(), SubstError> {
    if is_valid_name(name) { Ok(()) } else { Err(SubstError::Syntax("missing closing brace".into())) }
}

fn value_or_unset(
    name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
    out: &mut Substituted,
) -> Result<String, SubstError> {
    match lookup(name) {
        Some(v) => Ok(v),
        None => {
            note(&mut out.unset, name);
            if strict { Err(SubstError::Unset { name: name.to_string() }) } else { Ok(String::new()) }
        }
    }
}

fn note(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

fn map_first(v: &str, upper: bool) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(f) if upper => f.to_uppercase().chain(c).collect(),
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Clone, Copy)]
enum Replace {
    First,
    All,
    Prefix,
    Suffix,
}

type Steps = std::cell::Cell<u64>;

/// Shell glob match of `pat` (`*`, `?`) against all of `s`: the greedy two-pointer matcher
/// (back up to the last `*` on a mismatch), linear in memory and never recursive, each step
/// paid from `steps`.
fn glob(pat: &[char], s: &[char], steps: &Steps) -> Result<bool, SubstError> {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let left = steps
            .get()
            .checked_sub(1)
            .ok_or_else(|| SubstError::Limit(format!("pattern matching takes more than {MAX_STEPS} steps")))?;
        steps.set(left);
        match pat.get(pi) {
            Some(&'*') => {
                star = Some((pi + 1, si));
                pi += 1;
            }
            Some(&c) if c == '?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((after, from)) => {
                    pi = after;
                    si = from + 1;
                    star = Some((after, from + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(pat[pi..].iter().all(|&c| c == '*'))
}

fn is_literal(pat: &str) -> bool {
    !pat.contains(['*', '?'])
}

fn trim_prefix(v: &str, pat: &str, longest: bool, steps: &Steps) -> Result<String, SubstError> {
    if is_literal(pat) {
        return Ok(v.strip_prefix(pat).unwrap_or(v).to_string());
    }
    let s: Vec<char> = v.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    let mut lens: Vec<usize> = (0..=s.len()).collect();
    if longest {
        lens.reverse();
    }
    for n in lens {
        if glob(&p, &s[..n], steps)? {
            return Ok(s[n..].iter().collect());
        }
    }
    Ok(v.to_string())
}

fn trim_suffix(v: &str, pat: &str, longest: bool, steps: &Steps) -> Result<String, SubstError> {
    if is_literal(pat) {
        return Ok(v.strip_suffix(pat).unwrap_or(v).to_string());
    }
    let s: Vec<char> = v.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    let mut starts: Vec<usize> = (0..=s.len()).collect();
    if !longest {
        starts.reverse();
    }
    for start in starts {
        if glob(&p, &s[start..], steps)? {
            return Ok(s[..start].iter().collect());
        }
    }
    Ok(v.to_string())
}

fn replace(v: &str, pat: &str, rep: &str, mode: Replace, steps: &Steps) -> Result<String, SubstError> {
    if pat.is_empty() {
        return Ok(v.to_string());
    }
    if is_literal(pat) {
        return Ok(match mode {
            Replace::First => v.replacen(pat, rep, 1),
            Replace::All => v.replace(pat, rep),
            Replace::Prefix => v.strip_prefix(pat).map_or_else(|| v.to_string(), |rest| format!("{rep}{rest}")),
            Replace::Suffix => v.strip_suffix(pat).map_or_else(|| v.to_string(), |rest| format!("{rest}{rep}")),
        });
    }
    let s: Vec<char> = v.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    match mode {
        Replace::Prefix => {
            for n in (0..=s.len()).rev() {
                if glob(&p, &s[..n], steps)? {
                    return Ok(format!("{rep}{}", s[n..].iter().collect::<String>()));
                }
            }
            Ok(v.to_string())
        }
        Replace::Suffix => {
            for start in 0..=s.len() {
                if glob(&p, &s[start..], steps)? {
                    return Ok(format!("{}{rep}", s[..start].iter().collect::<String>()));
                }
            }
            Ok(v.to_string())
        }
        Replace::First | Replace::All => {
            let mut out = String::new();
            let mut i = 0;
            let mut replaced = false;
            while i < s.len() {
                if !(replaced && matches!(mode, Replace::First)) {
                    // Longest match starting at i.
                    let mut found = None;
                    for n in (1..=s.len() - i).rev() {
                        if glob(&p, &s[i..i + n], steps)? {
                            found = Some(n);
                            break;
                        }
                    }
                    if let Some(n) = found {
                        out.push_str(rep);
                        i += n;
                        replaced = true;
                        continue;
                    }
                }
                out.push(s[i]);
                i += 1;
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, strict: bool) -> Result<String, SubstError> {
        let lookup = |n: &str| match n {
            "CLUSTER" => Some("production".to_string()),
            "EMPTY" => Some(String::new()),
            "PATH_V" => Some("a/b/c.yaml".to_string()),
            _ => None,
        };
        substitute(input, &lookup, strict).map(|s| s.text)
    }

    #[test]
    fn plain_and_default_forms() {
        assert_eq!(run("./clusters/${CLUSTER}", true).unwrap(), "./clusters/production");
        assert_eq!(run("$CLUSTER stays", true).unwrap(), "$CLUSTER stays");
        assert_eq!(run("$${CLUSTER}", true).unwrap(), "${CLUSTER}");
        assert_eq!(run("${MISSING:=main}", true).unwrap(), "main");
        assert_eq!(run("${EMPTY:-x}", true).unwrap(), "x");
        assert_eq!(run("${EMPTY-x}", true).unwrap(), "");
        assert_eq!(run("${MISSING=${CLUSTER}}", true).unwrap(), "production");
    }

    #[test]
    fn strict_mode_reports_unset() {
        assert_eq!(run("${MISSING}", true), Err(SubstError::Unset { name: "MISSING".into() }));
        assert_eq!(run("${MISSING}", false).unwrap(), "");
        // `${a-b}` is the `-` default operator, as in bash.
        assert_eq!(run("${bad-name}", true).unwrap(), "name");
        assert!(matches!(run("${CLUSTER:+x}", true), Err(SubstError::Syntax(_))));
        assert!(matches!(run("${CLUSTER", true), Err(SubstError::Syntax(_))));
    }

    #[test]
    fn string_operators() {
        assert_eq!(run("${#CLUSTER}", true).unwrap(), "10");
        assert_eq!(run("${CLUSTER:0:4}", true).unwrap(), "prod");
        // Not a number: the value as it is (a CRD description's `${var:position}`).
        assert_eq!(run("${CLUSTER:position}", true).unwrap(), "production");
        assert_eq!(run("${CLUSTER:1:length}", true).unwrap(), "production");
        assert_eq!(run("${MISSING:position}", false).unwrap(), "");
        assert_eq!(run("${CLUSTER:-3}", true).unwrap(), "production"); // `:-` is a default
        assert_eq!(run("${CLUSTER^}", true).unwrap(), "Production");
        assert_eq!(run("${CLUSTER^^}", true).unwrap(), "PRODUCTION");
        assert_eq!(run("${PATH_V#*/}", true).unwrap(), "b/c.yaml");
        assert_eq!(run("${PATH_V##*/}", true).unwrap(), "c.yaml");
        assert_eq!(run("${PATH_V%/*}", true).unwrap(), "a/b");
        assert_eq!(run("${PATH_V%%/*}", true).unwrap(), "a");
        assert_eq!(run("${CLUSTER/o/0}", true).unwrap(), "pr0duction");
        assert_eq!(run("${CLUSTER//o/0}", true).unwrap(), "pr0ducti0n");
        assert_eq!(run("${CLUSTER/#prod/dev}", true).unwrap(), "devuction");
        assert_eq!(run("${CLUSTER/%tion/ce}", true).unwrap(), "producce");
        assert_eq!(run("${CLUSTER/#p*d/x}", true).unwrap(), "xuction");
        assert_eq!(run("${CLUSTER//?o/_}", true).unwrap(), "p_duct_n");
        assert_eq!(run("${PATH_V/%.*/}", true).unwrap(), "a/b/c");
    }

    /// Hostile expressions end with a `Limit` error instead of a stack overflow (nested
    /// defaults recursed per level, the glob matcher per pattern character) or exponential time
    /// (`*a*a*a...b` backtracking).
    #[test]
    fn hostile_expressions_are_bounded() {
        let nested = format!("{}x{}", "${v:=".repeat(100_000), "}".repeat(100_000));
        assert!(matches!(run(&nested, true), Err(SubstError::Limit(_))));
        let shallow = format!("{}x{}", "${v:=".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        assert_eq!(run(&shallow, true).unwrap(), "x");
        let long = "a".repeat(200_000);
        let lookup = |n: &str| (n == "LONG").then(|| long.clone());
        let star = format!("${{LONG//{}b/x}}", "*a".repeat(30));
        assert!(matches!(substitute(&star, &lookup, true), Err(SubstError::Limit(_))));
        let literal = format!("${{LONG/#{}/x}}", "a".repeat(100_000));
        assert_eq!(substitute(&literal, &lookup, true).unwrap().text.len(), 100_001);
        assert_eq!(substitute("${LONG//a/b}", &lookup, true).unwrap().text, "b".repeat(200_000));
    }
}
