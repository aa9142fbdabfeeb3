#!/usr/bin/env bash
# Installs fleetlint for the GitHub Action (action.yml, step "Install fleetlint").
#
# The release to install is FLEETLINT_VERSION, or the version of this action's own checkout
# (Cargo.toml's workspace version) when empty. When action/releases.sha256 pins the checksum of
# that release's archive for this runner, the archive is downloaded from the GitHub release and
# verified against the pinned checksum (a mismatch fails the step: never run an unverified
# binary). Otherwise, or when the download fails, fleetlint is built from this checkout with
# `cargo install --locked`, which is only the same program when the checkout is that version.
#
# Inputs (environment): GITHUB_ACTION_PATH, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH,
# GITHUB_OUTPUT, FLEETLINT_VERSION. Outputs: version, source (release|cargo), path.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
repository=fleetlint/fleetlint

# The first `version = "..."` of the root Cargo.toml is [workspace.package]'s.
checkout_version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n 1)
version=${FLEETLINT_VERSION:-$checkout_version}
version=${version#v}
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  echo "::error title=fleetlint::version '$version' is not a release version (like 0.1.0)"
  exit 2
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  *) target= ;;
esac

install_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/fleetlint-bin"
mkdir -p "$install_dir"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# Sets installed=release when it installed the verified release binary. Called as a plain
# command (not in a condition) so that `set -e` still stops on an unexpected failure.
installed=
from_release() {
  local archive="fleetlint-$version-$target.tar.gz"
  local pinned
  pinned=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$action_dir/action/releases.sha256")
  if [[ -z $pinned ]]; then
    echo "No pinned checksum for $archive in action/releases.sha256"
    return 0
  fi
  local url="https://github.com/$repository/releases/download/v$version/$archive"
  local work="$RUNNER_TEMP/fleetlint-download"
  rm -rf "$work" && mkdir -p "$work"
  echo "Downloading $url"
  if ! curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$work/$archive" "$url"; then
    echo "::warning title=fleetlint::could not download $url; building from source instead"
    return 0
  fi
  local actual
  actual=$(sha256_of "$work/$archive")
  if [[ $actual != "$pinned" ]]; then
    echo "::error title=fleetlint::checksum mismatch for $archive: expected $pinned (action/releases.sha256), got $actual"
    exit 1
  fi
  tar -xzf "$work/$archive" -C "$work"
  install -m 0755 "$work/fleetlint-$version-$target/fleetlint" "$install_dir/fleetlint"
  installed=release
}

from_source() {
  if [[ $version != "$checkout_version" ]]; then
    echo "::error title=fleetlint::no verified release binary of fleetlint $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}, and this action's checkout is version $checkout_version, not $version"
    exit 2
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "::error title=fleetlint::building fleetlint from source needs cargo (a Rust toolchain) on the runner"
    exit 2
  fi
  echo "Building fleetlint $version from $action_dir with cargo install --locked"
  cargo install --locked --path "$action_dir/crates/fleetlint" --root "$RUNNER_TEMP/fleetlint-cargo"
  install -m 0755 "$RUNNER_TEMP/fleetlint-cargo/bin/fleetlint" "$install_dir/fleetlint"
  installed=cargo
}

if [[ -n $target ]]; then
  from_release
else
  echo "No fleetlint release is built for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
fi
if [[ -z $installed ]]; then
  from_source
fi

echo "$install_dir" >>"$GITHUB_PATH"
{
  echo "source=$installed"
  echo "version=$version"
  echo "path=$install_dir/fleetlint"
} >>"$GITHUB_OUTPUT"
"$install_dir/fleetlint" --version
