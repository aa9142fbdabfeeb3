//! Kyverno's wildcard matching: `*` matches any run of characters, `?` exactly one.
//!
//! kyverno/kyverno@111e07bbec:ext/wildcard/match.go (`Match`) calls
//! IGLOU-EU/go-wildcard v1.0.3 (`Match`, from MinIO): an empty pattern matches only the empty
//! string, `*` alone matches everything, otherwise a rune-wise match in which `?` consumes exactly
//! one rune. Kyverno uses it for names, namespaces, kinds, annotations, pattern values and the
//! `In`-family operators. This is the same language, matched without the original's exponential
//! recursion.

/// Whether `name` matches the wildcard `pattern`.
#[must_use]
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return name.is_empty();
    }
    if pattern == "*" {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some('?') => {
                pi += 1;
                si += 1;
            }
            Some(c) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `s` contains a wildcard character (`ext/wildcard/utils.go`, `ContainsWildcard`).
#[must_use]
pub(crate) fn contains_wildcard(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn go_wildcard_semantics() {
        assert!(matches("", ""));
        assert!(!matches("", "a"));
        assert!(matches("*", ""));
        assert!(matches("?*", "a"));
        assert!(!matches("?*", ""));
        assert!(matches("kube-*", "kube-system"));
        assert!(!matches("kube-*", "kube"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("*.example.com", "x.y.example.com"));
        assert!(matches("*:latest", "nginx:latest"));
        assert!(!matches("*:latest", "nginx:1.2"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("ü?", "üx"));
    }
}
