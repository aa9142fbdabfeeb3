#!/usr/bin/env bash
# fleetlint against kustomize on the shared corpus, side by side (issue 13): `fleetlint check`
# once per repository (process start-up included, no source mappings: each repository on its
# own) against `kubectl kustomize --load-restrictor=LoadRestrictionsNone` over every
# kustomization directory of the same repositories. The kustomize reference repository
# (kubernetes-sigs__kustomize) and the tenant-branch export (fluxcd__flux2-multi-tenancy__dev-team)
# are left out. Times are summed per tool, wall and CPU (user+sys); the ratio is kubectl's over
# fleetlint's.
#
#   scripts/corpus-ratio.sh [--bin FLEETLINT] [--corpus DIR] [--runs N] [--min-ratio R]
#
# Defaults: target/release/fleetlint (build it first), ../shared/corpus, 3 runs of fleetlint
# (its median per repository; kubectl runs once, it is the slow side), no minimum. With
# --min-ratio the script exits 1 when the wall ratio is below R. The load average is printed:
# on a shared machine both sides slow down with it.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/fleetlint
corpus=../shared/corpus
runs=3
min_ratio=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --min-ratio) min_ratio=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "corpus-ratio: unexpected argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "corpus-ratio: $bin is missing (cargo build --release -p fleetlint)" >&2; exit 2; }
[ -d "$corpus" ] || { echo "corpus-ratio: $corpus is missing" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "corpus-ratio: kubectl is missing" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# timed CMD...: "wall cpu" of one run, in seconds to the millisecond (bash's `time`; output
# discarded, failures are results too).
timed() {
  local TIMEFORMAT='%3R %3U %3S'
  { time "$@" >/dev/null 2>&1 || true; } 2>"$tmp/t"
  tail -1 "$tmp/t" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "# $(date -u +%FT%TZ) $(uname -n): $bin ($runs runs, median) vs $(kubectl version --client 2>/dev/null | head -1)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| repository | fleetlint wall s | fleetlint cpu s | kustomization dirs | kubectl wall s | kubectl cpu s | wall ratio |"
echo "|---|---|---|---|---|---|---|"
fw_sum=0; fc_sum=0; kw_sum=0; kc_sum=0; dirs_sum=0
for repo in "$corpus"/*/; do
  name=$(basename "$repo")
  case "$name" in kubernetes-sigs__kustomize|fluxcd__flux2-multi-tenancy__dev-team) continue ;; esac
  : >"$tmp/fw"; : >"$tmp/fc"
  for _ in $(seq "$runs"); do
    read -r w c < <(timed "$bin" check "$repo" --format json --fail-on none)
    echo "$w" >>"$tmp/fw"; echo "$c" >>"$tmp/fc"
  done
  fw=$(median <"$tmp/fw"); fc=$(median <"$tmp/fc")
  kw=0; kc=0; n=0
  while IFS= read -r -d '' file; do
    read -r w c < <(timed kubectl kustomize --load-restrictor=LoadRestrictionsNone "$(dirname "$file")")
    kw=$(awk -v a="$kw" -v b="$w" 'BEGIN{print a+b}'); kc=$(awk -v a="$kc" -v b="$c" 'BEGIN{print a+b}')
    n=$((n + 1))
  done < <(find "$repo" -type f \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) -print0 | sort -z)
  echo "| $name | $fw | $fc | $n | $kw | $kc | $(awk -v a="$kw" -v b="$fw" 'BEGIN{printf "%.0fx", a/b}') |"
  fw_sum=$(awk -v a="$fw_sum" -v b="$fw" 'BEGIN{print a+b}'); fc_sum=$(awk -v a="$fc_sum" -v b="$fc" 'BEGIN{print a+b}')
  kw_sum=$(awk -v a="$kw_sum" -v b="$kw" 'BEGIN{print a+b}'); kc_sum=$(awk -v a="$kc_sum" -v b="$kc" 'BEGIN{print a+b}')
  dirs_sum=$((dirs_sum + n))
done
ratio=$(awk -v a="$kw_sum" -v b="$fw_sum" 'BEGIN{printf "%.1f", a/b}')
cpu_ratio=$(awk -v a="$kc_sum" -v b="$fc_sum" 'BEGIN{printf "%.1f", a/b}')
echo "| **total** | $fw_sum | $fc_sum | $dirs_sum | $kw_sum | $kc_sum | **${ratio}x** (cpu ${cpu_ratio}x) |"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$min_ratio" ] && awk -v r="$ratio" -v m="$min_ratio" 'BEGIN{exit !(r < m)}'; then
  echo "corpus-ratio: ${ratio}x is below ${min_ratio}x" >&2
  exit 1
fi
