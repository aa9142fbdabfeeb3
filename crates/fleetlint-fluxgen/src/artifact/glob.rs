//! The two glob dialects source-watcher uses (fluxcd/source-watcher@825fa15:
//! internal/builder/builder.go `getGlobMatchingEntries`, `shouldExclude`):
//!
//! - Go's `io/fs.Glob` + `path.Match` for `Overwrite`/`Merge` copies: `*` and `?` never cross
//!   `/`, so `**` is just `*` (one path segment); `[...]` classes with `^`; `\` escapes; matches
//!   are listed directory by directory in name order (golang/go:src/io/fs/glob.go,
//!   src/path/match.go).
//! - `github.com/bmatcuk/doublestar/v4` for `exclude` patterns and `Extract` copies: a `**`
//!   segment matches any number of segments (zero included), `{a,b}` alternatives, `[!...]`.

use super::tree::SourceTree;

/// Go's `path.Match`; `Err` for a malformed pattern (`path.ErrBadPattern`).
pub(crate) fn path_match(pattern: &str, name: &str) -> Result<bool, ()> {
    let mut pattern = pattern;
    let mut name = name;
    'outer: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains('/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let (t, ok) = match_chunk(chunk, &name[i + c.len_utf8()..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
            }
        }
        // Check the rest of the pattern is well-formed before answering no.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(pattern: &str) -> (bool, &str, &str) {
    let trimmed = pattern.trim_start_matches('*');
    let star = trimmed.len() != pattern.len();
    let b = trimmed.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &trimmed[..i], &trimmed[i..])
}

fn get_esc(chunk: &str) -> Result<(char, &str), ()> {
    let mut chunk = chunk;
    match chunk.chars().next() {
        None | Some('-' | ']') => return Err(()),
        Some('\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(());
            }
        }
        _ => {}
    }
    let c = chunk.chars().next().ok_or(())?;
    let rest = &chunk[c.len_utf8()..];
    if rest.is_empty() {
        return Err(());
    }
    Ok((c, rest))
}

/// `matchChunk`: the rest of `s` after `chunk` matched its start, and whether it did.
fn match_chunk<'s>(chunk: &str, s: &'s str) -> Result<(&'s str, bool), ()> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while let Some(c0) = chunk.chars().next() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c0 {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s.chars().next().unwrap_or('\0');
                    s = &s[r.len_utf8()..];
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.starts_with(']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(rest) = chunk.strip_prefix('-') {
                        let (h, rest) = get_esc(rest)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    if c == '/' {
                        failed = true;
                    }
                    s = &s[c.len_utf8()..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut lit = c0;
                if c0 == '\\' {
                    chunk = &chunk[1..];
                    lit = chunk.chars().next().ok_or(())?;
                }
                if !failed {
                    if !s.starts_with(lit) {
                        failed = true;
                    } else {
                        s = &s[lit.len_utf8()..];
                    }
                }
                chunk = &chunk[lit.len_utf8()..];
            }
        }
    }
    if failed { Ok(("", false)) } else { Ok((s, true)) }
}

fn has_meta(p: &str) -> bool {
    p.contains(['*', '?', '[', '\\'])
}

/// Go's `fs.Glob` over a source tree; `Err` for a malformed pattern.
pub(crate) fn fs_glob<F>(tree: &SourceTree<F>, pattern: &str) -> Result<Vec<String>, ()> {
    fs_glob_depth(tree, pattern, 0)
}

fn fs_glob_depth<F>(tree: &SourceTree<F>, pattern: &str, depth: usize) -> Result<Vec<String>, ()> {
    if depth > 10_000 {
        return Err(());
    }
    path_match(pattern, "")?;
    if !has_meta(pattern) {
        return Ok(if tree.exists(pattern) { vec![pattern.to_string()] } else { Vec::new() });
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..=i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    let dir = if dir.is_empty() { "." } else { &dir[..dir.len() - 1] };
    if !has_meta(dir) {
        return glob_dir(tree, dir, file, Vec::new());
    }
    if dir == pattern {
        return Err(());
    }
    let mut matches = Vec::new();
    for d in fs_glob_depth(tree, dir, depth + 1)? {
        matches = glob_dir(tree, &d, file, matches)?;
    }
    Ok(matches)
}

fn glob_dir<F>(tree: &SourceTree<F>, dir: &str, pattern: &str, mut matches: Vec<String>) -> Result<Vec<String>, ()> {
    for name in tree.read_dir(dir) {
        if path_match(pattern, name)? {
            matches.push(if dir == "." { name.to_string() } else { format!("{dir}/{name}") });
        }
    }
    Ok(matches)
}

/// Whether a doublestar pattern is well-formed (`doublestar.Match(pattern, ".")` returns no
/// error): brackets and braces closed, no trailing backslash.
pub(crate) fn doublestar_valid(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let (mut i, mut braces) = (0, 0i32);
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return false;
                }
                i += 1;
            }
            b'[' => {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'!' || b[j] == b'^') {
                    j += 1;
                }
                if j < b.len() && b[j] == b']' {
                    j += 1;
                }
                while j < b.len() && b[j] != b']' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return false;
                }
                i = j;
            }
            b'{' => braces += 1,
            b'}' => {
                braces -= 1;
                if braces < 0 {
                    return false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    braces == 0
}

/// Expand `{a,b}` alternatives (nested too) into plain patterns.
fn expand_braces(pattern: &str) -> Vec<String> {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                // Find the matching close and the top-level commas.
                let (mut depth, mut j) = (0, i);
                let mut commas = Vec::new();
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return vec![pattern.to_string()];
                }
                let (prefix, suffix) = (&pattern[..i], &pattern[j + 1..]);
                let mut bounds = vec![i];
                bounds.extend(commas);
                bounds.push(j);
                let mut out = Vec::new();
                for w in bounds.windows(2) {
                    let alt = &pattern[w[0] + 1..w[1]];
                    out.extend(expand_braces(&format!("{prefix}{alt}{suffix}")));
                }
                return out;
            }
            _ => {}
        }
        i += 1;
    }
    vec![pattern.to_string()]
}

/// doublestar's `Match` (a well-formed pattern is assumed; see [`doublestar_valid`]).
pub(crate) fn doublestar_match(pattern: &str, path: &str) -> bool {
    let path: Vec<&str> = path.split('/').collect();
    expand_braces(pattern).iter().any(|p| {
        let segs: Vec<&str> = p.split('/').collect();
        match_segments(&segs, &path)
    })
}

fn match_segments(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|k| match_segments(rest, &path[k..])),
        Some((seg, rest)) => match path.split_first() {
            Some((name, path_rest)) => segment_match(seg, name) && match_segments(rest, path_rest),
            None => false,
        },
    }
}

/// One segment with `*`, `?`, `[...]` (`!` or `^` negates) and `\` escapes.
fn segment_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(&c) = n.first() else { return false };
                let mut i = 1;
                let negated = matches!(p.get(1), Some('!' | '^'));
                if negated {
                    i += 1;
                }
                let mut matched = false;
                let mut first = true;
                while i < p.len() && (p[i] != ']' || first) {
                    first = false;
                    let mut lo = p[i];
                    if lo == '\\' && i + 1 < p.len() {
                        i += 1;
                        lo = p[i];
                    }
                    let mut hi = lo;
                    if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|h| *h != ']') {
                        hi = p[i + 2];
                        i += 2;
                    }
                    if lo <= c && c <= hi {
                        matched = true;
                    }
                    i += 1;
                }
                matched != negated && go(&p[(i + 1).min(p.len())..], &n[1..])
            }
            Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && go(&p[2..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// doublestar's `Glob` over a source tree: every file and directory (below the root) that
/// matches, in walk order.
pub(crate) fn doublestar_glob<F>(tree: &SourceTree<F>, pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    tree.walk(".", &mut |path, _| {
        if doublestar_match(pattern, path) {
            out.push(path.to_string());
        }
        true
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_match() {
        assert_eq!(path_match("*.yaml", "a.yaml"), Ok(true));
        assert_eq!(path_match("*", "a/b"), Ok(false));
        assert_eq!(path_match("**", "a"), Ok(true));
        assert_eq!(path_match("**", ".hidden"), Ok(true));
        assert_eq!(path_match("a?c", "abc"), Ok(true));
        assert_eq!(path_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(path_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(path_match("\\*", "*"), Ok(true));
        assert_eq!(path_match("[", "a"), Err(()));
        assert_eq!(path_match("a[", "b"), Err(()));
    }

    #[test]
    fn doublestar() {
        assert!(doublestar_match("**/*.md", "README.md"));
        assert!(doublestar_match("**/*.md", "a/b/c.md"));
        assert!(doublestar_match("*.md", "c.md"));
        assert!(!doublestar_match("*.md", "a/c.md"));
        assert!(doublestar_match("tests/**", "tests"));
        assert!(doublestar_match("tests/**", "tests/a/b"));
        assert!(doublestar_match("*.{yaml,yml}", "a.yml"));
        assert!(doublestar_match("[!a]*", "b.txt"));
        assert!(!doublestar_match("[!a]*", "a.txt"));
        assert!(doublestar_valid("a/{b,c}/*"));
        assert!(!doublestar_valid("a/{b"));
        assert!(!doublestar_valid("[a"));
    }
}
