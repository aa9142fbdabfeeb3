#!/usr/bin/env bash
# The scale table of issue 13: `fleetlint check` of generated fleets against the parse-only pass
# (`fleetlint-dev load-tree`, the walk and parse `check` starts with) of the same tree, in the
# same run. One row per tenant count: wall and CPU time (user+sys) and peak RSS of both, the
# stage split `check --verbose` prints, and the ratios. Medians over --runs runs.
#
#   scripts/scale-bench.sh [--bin FLEETLINT] [--dev FLEETLINT_DEV] [--runs N] [--dir DIR]
#                          [--layout reference|simple] [--limit-gb G] [--timeout S] TENANTS...
#
# Defaults: target/release binaries (build them first: `cargo build --release -p fleetlint
# -p fleetlint-dev`), 3 runs, fleets generated once under /tmp/fleetlint-scale (reused), the
# reference layout, each run capped at 8 GiB of address space and 300 s. The machine's load
# average is printed with the table: on a shared machine wall times vary with it, CPU times and
# peak memory much less.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/fleetlint
dev=target/release/fleetlint-dev
runs=3
dir=/tmp/fleetlint-scale
layout=reference
limit_gb=8
timeout_s=300
counts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --dev) dev=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --layout) layout=$2; shift 2 ;;
    --limit-gb) limit_gb=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) counts+=("$1"); shift ;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(250 500 1000 2000 4000)
for b in "$bin" "$dev"; do
  [ -x "$b" ] || { echo "scale-bench: $b is missing (cargo build --release -p fleetlint -p fleetlint-dev)" >&2; exit 2; }
done
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# run LABEL CMD...: one capped run under /usr/bin/time; appends "wall cpu rss_mb" to $tmp/LABEL,
# the command's stderr to $tmp/LABEL.err; a killed run is recorded as "killed".
run() {
  local label=$1; shift
  local t="$tmp/time"
  set +e
  ( ulimit -v $((limit_gb * 1024 * 1024)); exec timeout "$timeout_s" /usr/bin/time -o "$t" -f '%e %U %S %M' "$@" ) \
    >"$tmp/$label.out" 2>"$tmp/$label.err"
  local rc=$?
  set -e
  if [ $rc -gt 1 ] || [ ! -s "$t" ] || grep -q 'Command' "$t"; then
    echo killed >>"$tmp/$label"
  else
    tail -1 "$t" | awk '{printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024}' >>"$tmp/$label"
  fi
}

col() { (grep -v killed "$tmp/$1" || true) | awk -v c="$2" '{print $c}' | median; }

echo "# $(date -u +%FT%TZ) $(uname -n): $bin, layout $layout, $runs runs, median"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| tenants | objects | check wall s | check cpu s | check peak MB | load / graph / rules ms | parse-only wall s | parse-only cpu s | parse-only peak MB | wall ratio | cpu ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${counts[@]}"; do
  fleet="$dir/$layout-$n"
  if [ ! -f "$fleet/.complete" ]; then
    rm -rf "$fleet"
    "$dev" gen-fleet --layout "$layout" --tenants "$n" "$fleet"
    touch "$fleet/.complete"
  fi
  rm -f "$tmp"/check* "$tmp"/parse* "$tmp/stages"
  for _ in $(seq "$runs"); do
    run parse "$dev" load-tree "$fleet"
    run check "$bin" check "$fleet" --verbose --fail-on none
    grep -o 'load [0-9.]* ms, graph [0-9.]* ms, rules [0-9.]* ms' "$tmp/check.err" \
      | awk '{print $2, $5, $8}' >>"$tmp/stages" || true
  done
  objects=$( (grep -o '[0-9]* objects;' "$tmp/check.out" || true) | awk '{s += $1} END {print s + 0}')
  if grep -q killed "$tmp/check"; then
    killed="killed ($(grep -c killed "$tmp/check")/$runs: >${timeout_s}s or >${limit_gb} GiB)"
    echo "| $n | - | $killed | | | | $(col parse 1) | $(col parse 2) | $(col parse 3) | | |"
    continue
  fi
  stages="$(awk '{print $1}' "$tmp/stages" | median) / $(awk '{print $2}' "$tmp/stages" | median) / $(awk '{print $3}' "$tmp/stages" | median)"
  cw=$(col check 1); cc=$(col check 2); pw=$(col parse 1); pc=$(col parse 2)
  echo "| $n | $objects | $cw | $cc | $(col check 3) | $stages | $pw | $pc | $(col parse 3) | $(awk -v a="$cw" -v b="$pw" 'BEGIN{printf "%.1fx", a/b}') | $(awk -v a="$cc" -v b="$pc" 'BEGIN{printf "%.1fx", a/b}') |"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
