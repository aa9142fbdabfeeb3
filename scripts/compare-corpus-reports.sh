#!/usr/bin/env bash
# Compare `fleetlint check --format json` of two binaries on every repository of a corpus, apart
# from what changes run to run (summary.elapsed_ms, summary.timings_ms, tool.version).
#
#   scripts/compare-corpus-reports.sh OLD_BINARY NEW_BINARY [CORPUS]
#
# CORPUS defaults to ../shared/corpus. The source mappings the end-to-end tests use are passed to
# both binaries (the multi-tenancy tenant repo, d1's apps and infra repos). Prints one line per
# repository (same / differs) and the differing findings; exits 1 when any report differs.
set -euo pipefail
old=$1 new=$2
corpus=${3:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus}
command -v jq >/dev/null || { echo "compare-corpus-reports: jq is required" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
sources_for() {
  case "$1" in
    fluxcd__flux2-multi-tenancy) echo "--source GitRepository/apps/dev-team=$corpus/fluxcd__flux2-multi-tenancy__dev-team" ;;
    controlplaneio-fluxcd__d1-fleet) echo "--source https://github.com/controlplaneio-fluxcd/d1-apps=$corpus/controlplaneio-fluxcd__d1-apps --source https://github.com/controlplaneio-fluxcd/d1-infra=$corpus/controlplaneio-fluxcd__d1-infra" ;;
  esac
}
strip='del(.summary.elapsed_ms, .summary.timings_ms, .tool.version)'
for repo in "$corpus"/*/; do
  name=$(basename "$repo")
  # shellcheck disable=SC2046
  "$old" check --format json --fail-on none "$repo" $(sources_for "$name") 2>/dev/null | jq -S "$strip" > "$tmp/old.json" || true
  # shellcheck disable=SC2046
  "$new" check --format json --fail-on none "$repo" $(sources_for "$name") 2>/dev/null | jq -S "$strip" > "$tmp/new.json" || true
  if cmp -s "$tmp/old.json" "$tmp/new.json"; then
    echo "same     $name"
  else
    status=1
    echo "differs  $name"
    diff <(jq -c '.findings[]' "$tmp/old.json") <(jq -c '.findings[]' "$tmp/new.json") | head -40 || true
    diff <(jq -S 'del(.findings)' "$tmp/old.json") <(jq -S 'del(.findings)' "$tmp/new.json") | head -20 || true
  fi
done
exit $status
