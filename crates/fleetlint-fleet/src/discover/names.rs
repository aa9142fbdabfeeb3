//! Cluster names (issue 11's naming rule).

/// Segments that say nothing about which cluster a root belongs to.
const GENERIC: &[&str] = &["flux", "flux-system", "bootstrap"];

/// Cluster names (issue 11's rule): the container is the longest common parent directory of all
/// roots (with one root, its parent); a root's name is its path below the container with
/// trailing generic segments dropped; where names collide (or a name would be empty), more
/// leading segments of the path are kept until they differ, joined by `/`.
#[must_use]
pub(crate) fn cluster_names(dirs: &[&str]) -> Vec<String> {
    let split =
        |d: &str| -> Vec<String> { if d.is_empty() { Vec::new() } else { d.split('/').map(str::to_string).collect() } };
    let all: Vec<Vec<String>> = dirs.iter().map(|d| split(d)).collect();
    let container = if all.len() == 1 {
        all[0].len().saturating_sub(1)
    } else {
        let mut n = all.iter().map(Vec::len).min().unwrap_or(0);
        // The container is a parent of every root, never a root itself.
        n = n.min(all.iter().map(|s| s.len().saturating_sub(1)).min().unwrap_or(0));
        (0..n).take_while(|&i| all.iter().all(|s| s[i] == all[0][i])).count()
    };
    // Significant segments of each root: below the container, generic tail dropped.
    let trimmed: Vec<(usize, usize)> = all
        .iter()
        .map(|s| {
            let mut end = s.len();
            while end > container && GENERIC.contains(&s[end - 1].as_str()) {
                end -= 1;
            }
            (container.min(end), end)
        })
        .collect();
    let mut start: Vec<usize> = trimmed.iter().map(|(s, _)| *s).collect();
    let name_of = |i: usize, start: &[usize]| all[i][start[i]..trimmed[i].1].join("/");
    // A name left empty takes leading segments until it has one.
    for i in 0..all.len() {
        while name_of(i, &start).is_empty() && start[i] > 0 {
            start[i] -= 1;
        }
    }
    loop {
        let names: Vec<String> = (0..all.len()).map(|i| name_of(i, &start)).collect();
        let mut changed = false;
        for i in 0..all.len() {
            let collides = (0..all.len()).any(|j| j != i && names[j] == names[i]);
            if collides && start[i] > 0 {
                start[i] -= 1;
                changed = true;
            }
        }
        if !changed {
            return names
                .into_iter()
                .zip(dirs)
                .map(
                    |(n, d)| {
                        if n.is_empty() { if d.is_empty() { ".".to_string() } else { (*d).to_string() } } else { n }
                    },
                )
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_container_rule() {
        assert_eq!(cluster_names(&["clusters/a/flux", "clusters/b/flux"]), vec!["a", "b"]);
        assert_eq!(cluster_names(&["envs/prod/eu-1", "envs/prod/eu-2"]), vec!["eu-1", "eu-2"]);
        assert_eq!(cluster_names(&["envs/prod/eu-1", "envs/dev/eu-1"]), vec!["prod/eu-1", "dev/eu-1"]);
        assert_eq!(
            cluster_names(&["clusters/dev/00", "clusters/dev/01", "clusters/prod/00"]),
            vec!["dev/00", "dev/01", "prod/00"]
        );
        assert_eq!(cluster_names(&["kubernetes/cluster-0/flux", "kubernetes/nas-1/flux"]), vec!["cluster-0", "nas-1"]);
        // One root: its parent is the container.
        assert_eq!(cluster_names(&["kubernetes/flux/cluster"]), vec!["cluster"]);
        assert_eq!(cluster_names(&["cluster/flux"]), vec!["cluster"]);
        assert_eq!(cluster_names(&["apps"]), vec!["apps"]);
        assert_eq!(cluster_names(&[""]), vec!["."]);
        // Nested roots: the container is above both.
        assert_eq!(cluster_names(&["a", "a/b"]), vec!["a", "a/b"]);
    }
}
