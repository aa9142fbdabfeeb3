//! The paths git tracks, read from the work tree's `.git/index` (no git process).
//!
//! source-controller never reads `.gitignore`: it packs the checkout, which holds every committed
//! file, excluding only the VCS files, `.sourceignore` and `spec.ignore`
//! (fluxcd/pkg@e2cfd1a2:sourceignore/sourceignore.go `LoadIgnorePatterns`, `VCSPatterns`; used by
//! fluxcd/source-controller@39b711b1:internal/controller/gitrepository_controller.go
//! `reconcileArtifact`). A file committed with `git add -f` despite a `.gitignore` pattern is in
//! the artifact, so the walk must keep every tracked path; `.gitignore` only tells which
//! *untracked* files of a work tree are scratch.
//!
//! The format is git's `Documentation/gitformat-index.txt` (<https://git-scm.com/docs/index-format>):
//! a 12-byte header (`DIRC`, version 2, 3 or 4, entry count), then the entries, sorted by path.
//! Versions 2 and 3 store each path whole, NUL-padded to a multiple of 8 bytes; version 3 adds
//! two bytes of extended flags when flag bit 0x4000 is set; version 4 prefix-compresses each path
//! against the previous one (a varint of bytes to strip, then a NUL-terminated suffix) and has no
//! padding. The object id is 20 bytes (SHA-1) or 32 (SHA-256 repositories,
//! `extensions.objectFormat = sha256`). The parser is bounded by the file's length: any count,
//! length or varint that points past the data ends the parse with `None`, never a panic.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Files at most this large are read (the index of a repository with millions of files).
const MAX_INDEX_BYTES: u64 = 512 << 20;

/// The tracked paths below one walk root.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    /// Tracked files, relative to the walk root, with `/`.
    files: HashSet<String>,
    /// Every directory that holds a tracked file (the root excluded), relative to the walk root.
    dirs: HashSet<String>,
}

impl Tracked {
    /// Whether `rel` (relative to the walk root) is a tracked file, or a directory that holds one.
    pub(crate) fn holds(&self, rel: &str) -> bool {
        self.files.contains(rel) || self.dirs.contains(rel)
    }

    /// The tracked paths below the canonical `root` of the work tree `top` with git directory
    /// `git_dir`, relative to `root`; `None` when the index cannot be read.
    pub(crate) fn of_work_tree(root: &Path, top: &Path, git_dir: &Path) -> Option<Self> {
        let prefix = root.strip_prefix(top).ok()?.to_string_lossy().replace('\\', "/");
        let bytes = read_regular(&git_dir.join("index"), MAX_INDEX_BYTES)?;
        let hash_len = if sha256_repository(git_dir) { 32 } else { 20 };
        let paths = parse_index(&bytes, hash_len)?;
        let mut tracked = Tracked::default();
        for p in paths {
            let rel = if prefix.is_empty() {
                p.as_str()
            } else {
                match p.strip_prefix(prefix.as_str()).and_then(|r| r.strip_prefix('/')) {
                    Some(r) => r,
                    None => continue,
                }
            };
            // A sparse index stores a directory entry as `dir/`: everything below is tracked.
            let rel = rel.trim_end_matches('/');
            if rel.is_empty() {
                continue;
            }
            let mut d = rel;
            while let Some((parent, _)) = d.rsplit_once('/') {
                if !tracked.dirs.insert(parent.to_string()) {
                    break;
                }
                d = parent;
            }
            tracked.files.insert(rel.to_string());
        }
        Some(tracked)
    }
}

/// The work tree's top directory and its git directory: the nearest ancestor of `root` (itself
/// included) with a `.git` directory, or a `.git` file naming the git directory (`gitdir: PATH`,
/// as worktrees and submodules write it).
pub(crate) fn find_git_dir(root: &Path) -> Option<(PathBuf, PathBuf)> {
    for dir in root.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else { continue };
        if meta.is_dir() {
            return Some((dir.to_path_buf(), dot_git));
        }
        if meta.is_file() {
            let text = read_regular(&dot_git, 4096)?;
            let text = String::from_utf8(text).ok()?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
            let target = Path::new(target);
            let git_dir = if target.is_absolute() { target.to_path_buf() } else { dir.join(target) };
            return Some((dir.to_path_buf(), git_dir));
        }
        return None;
    }
    None
}

/// Whether the repository uses SHA-256 object ids: `extensions.objectFormat = sha256` in its
/// config (a worktree's git directory shares the main one's config through `commondir`).
fn sha256_repository(git_dir: &Path) -> bool {
    let common = read_regular(&git_dir.join("commondir"), 4096)
        .and_then(|b| String::from_utf8(b).ok())
        .map(|t| {
            let t = t.trim();
            if Path::new(t).is_absolute() { PathBuf::from(t) } else { git_dir.join(t) }
        })
        .unwrap_or_else(|| git_dir.to_path_buf());
    read_regular(&common.join("config"), 1 << 20)
        .map(|b| String::from_utf8_lossy(&b).to_ascii_lowercase())
        .is_some_and(|c| c.lines().any(|l| l.replace([' ', '\t'], "") == "objectformat=sha256"))
}

/// The bytes of a regular file (never a symlink, FIFO or device), at most `cap` bytes.
fn read_regular(path: &Path, cap: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > cap {
        return None;
    }
    let mut buf = Vec::new();
    std::fs::File::open(path).ok()?.take(cap).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// The paths of an index file's entries (stages of a conflicted path repeat it). `None` when the
/// data is not an index of a known version or ends inside an entry.
pub(crate) fn parse_index(data: &[u8], hash_len: usize) -> Option<Vec<String>> {
    let mut r = Reader { data, at: 0 };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()? as usize;
    // Each entry takes at least 40 bytes of stat data, the id and the flags: a count the data
    // cannot hold is a corrupt file, not an allocation to make.
    let fixed = 40 + hash_len + 2;
    if count > data.len() / fixed {
        return None;
    }
    let mut paths = Vec::with_capacity(count);
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = r.at;
        r.take(40 + hash_len)?;
        let flags = r.u16()?;
        if version >= 3 && flags & 0x4000 != 0 {
            r.take(2)?;
        }
        let path = if version == 4 {
            let strip = usize::try_from(r.varint()?).ok()?;
            if strip > previous.len() {
                return None;
            }
            let suffix = r.until_nul()?;
            let mut p = previous[..previous.len() - strip].to_vec();
            p.extend_from_slice(suffix);
            p
        } else {
            // git's `ondisk_ce_size`: the fixed part and the name, NUL-padded (1 to 8 NULs) to a
            // multiple of 8 bytes. The name ends at its first NUL (flags hold its length, or
            // 0xfff when longer).
            let name = r.until_nul()?;
            let total = (r.at - 1 - start + 8) & !7;
            r.take((start + total).checked_sub(r.at)?)?;
            name.to_vec()
        };
        paths.push(String::from_utf8_lossy(&path).into_owned());
        previous = path;
    }
    Some(paths)
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.data.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// Bytes up to the next NUL, which is consumed.
    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.at..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        let s = &rest[..n];
        self.at += n + 1;
        Some(s)
    }

    /// git's offset varint (`varint.c` `decode_varint`): 7 bits a byte, high bit = more, and
    /// each continuation adds one before shifting. Overflow is a corrupt file.
    fn varint(&mut self) -> Option<u64> {
        let mut c = self.take(1)?[0];
        let mut val = u64::from(c & 0x7f);
        while c & 0x80 != 0 {
            val = val.checked_add(1)?;
            if val >> 57 != 0 {
                return None;
            }
            c = self.take(1)?[0];
            val = (val << 7) + u64::from(c & 0x7f);
        }
        Some(val)
    }
}

/// A version 2 index listing `paths` (sorted as git sorts them), for tests of the walk.
#[cfg(test)]
pub(crate) fn test_index(paths: &[&str]) -> Vec<u8> {
    let mut paths = paths.to_vec();
    paths.sort_unstable();
    tests::index(2, &paths.iter().map(|p| tests::entry(2, 20, p.as_bytes(), None, false)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index entry as git writes it (stat data zeroed).
    pub(super) fn entry(
        version: u32,
        hash_len: usize,
        path: &[u8],
        prefix_strip: Option<u64>,
        extended: bool,
    ) -> Vec<u8> {
        let mut e = vec![0u8; 40 + hash_len];
        let mut flags = u16::try_from(path.len().min(0x0fff)).unwrap();
        if extended {
            flags |= 0x4000;
        }
        e.extend_from_slice(&flags.to_be_bytes());
        if extended {
            e.extend_from_slice(&[0, 0]);
        }
        if version == 4 {
            let mut n = prefix_strip.unwrap_or(0);
            // git's encode_varint
            let mut buf = vec![(n & 0x7f) as u8];
            while n >> 7 != 0 {
                n = (n >> 7) - 1;
                buf.push(0x80 | (n & 0x7f) as u8);
            }
            buf.reverse();
            e.extend_from_slice(&buf);
            e.extend_from_slice(path);
            e.push(0);
        } else {
            e.extend_from_slice(path);
            let len = e.len();
            let padded = (len + 8) & !7;
            e.resize(padded, 0);
        }
        e
    }

    pub(super) fn index(version: u32, entries: &[Vec<u8>]) -> Vec<u8> {
        let mut d = b"DIRC".to_vec();
        d.extend_from_slice(&version.to_be_bytes());
        d.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_be_bytes());
        for e in entries {
            d.extend_from_slice(e);
        }
        d.extend_from_slice(&[0u8; 20]); // trailing checksum
        d
    }

    #[test]
    fn versions_2_3_and_4_give_the_same_paths() {
        let paths: [&[u8]; 3] = [b"app/kustomization.yaml", b"app/secret.yaml", b"clusters/prod/app.yaml"];
        let v2 = index(2, &paths.iter().map(|p| entry(2, 20, p, None, false)).collect::<Vec<_>>());
        let v3 = index(3, &paths.iter().map(|p| entry(3, 20, p, None, true)).collect::<Vec<_>>());
        let v4 = index(
            4,
            &[
                entry(4, 20, b"app/kustomization.yaml", Some(0), false),
                entry(4, 20, b"secret.yaml", Some(18), false),
                entry(4, 20, b"clusters/prod/app.yaml", Some(15), false),
            ],
        );
        let want: Vec<String> = paths.iter().map(|p| String::from_utf8(p.to_vec()).unwrap()).collect();
        assert_eq!(parse_index(&v2, 20).unwrap(), want);
        assert_eq!(parse_index(&v3, 20).unwrap(), want);
        assert_eq!(parse_index(&v4, 20).unwrap(), want);
        let sha256 = index(2, &paths.iter().map(|p| entry(2, 32, p, None, false)).collect::<Vec<_>>());
        assert_eq!(parse_index(&sha256, 32).unwrap(), want);
    }

    #[test]
    fn path_lengths_of_exact_multiples_and_long_names() {
        // 62 + len: a name that fills the 8-byte block exactly still gets a full block of NULs.
        let long = vec![b'a'; 5000];
        for p in [b"ab".to_vec(), b"abcdefgh".to_vec(), b"abcdefghi".to_vec(), long] {
            let d = index(2, &[entry(2, 20, &p, None, false), entry(2, 20, b"z", None, false)]);
            assert_eq!(parse_index(&d, 20).unwrap(), [String::from_utf8(p).unwrap(), "z".to_string()]);
        }
    }

    /// Truncated, overlong and hostile inputs end the parse with `None`, never a panic.
    #[test]
    fn corrupt_indexes_are_rejected_without_panic() {
        let good = index(4, &[entry(4, 20, b"a/b.yaml", Some(0), false), entry(4, 20, b"c.yaml", Some(6), false)]);
        for cut in 0..good.len() - 20 {
            let _ = parse_index(&good[..cut], 20);
        }
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_index(&huge, 20).is_none());
        assert!(parse_index(b"DIRC\0\0\0\x09\0\0\0\0", 20).is_none());
        // A strip count past the previous path.
        let bad = index(4, &[entry(4, 20, b"a", Some(0), false), entry(4, 20, b"b", Some(9), false)]);
        assert!(parse_index(&bad, 20).is_none());
        // Every byte flipped in turn: no panic.
        for i in 0..good.len() {
            let mut d = good.clone();
            d[i] ^= 0xff;
            let _ = parse_index(&d, 20);
        }
    }
}
