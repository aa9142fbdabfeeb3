#!/usr/bin/env bash
# Packages a fleetlint binary as a release archive: OUT_DIR/fleetlint-VERSION-TARGET.tar.gz
# (a directory fleetlint-VERSION-TARGET/ holding the binary, README.md and CHANGELOG.md) and
# OUT_DIR/fleetlint-VERSION-TARGET.tar.gz.sha256 (one `sha256sum` line, the format of the
# release's SHA256SUMS and of action/releases.sha256). Used by .github/workflows/release.yml;
# crates/fleetlint/tests/github_action.rs packages a local build with it, so the Action's
# installer is tested on what a release contains.
#
# Usage: scripts/package-release.sh VERSION TARGET BINARY OUT_DIR
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 VERSION TARGET BINARY OUT_DIR" >&2
  exit 2
fi
version=${1#v}
target=$2
binary=$3
out_dir=$4
repo_root=$(cd "$(dirname "$0")/.." && pwd)

name="fleetlint-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out_dir"
install -m 0755 "$binary" "$stage/$name/fleetlint"
cp "$repo_root/README.md" "$repo_root/CHANGELOG.md" "$stage/$name/"

# Entries in a stable order (GNU tar and bsdtar both read the list from -T).
archive="$out_dir/$name.tar.gz"
(cd "$stage" && find "$name" -print | LC_ALL=C sort | tar -czf - --no-recursion -T - >"$archive.tmp")
mv "$archive.tmp" "$archive"

if command -v sha256sum >/dev/null 2>&1; then
  sum=$(sha256sum "$archive" | cut -d ' ' -f 1)
else
  sum=$(shasum -a 256 "$archive" | cut -d ' ' -f 1)
fi
echo "$sum  $name.tar.gz" >"$archive.sha256"
echo "$archive"
