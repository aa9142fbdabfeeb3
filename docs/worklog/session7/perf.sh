#!/bin/bash
# perf.sh BIN : total wall/CPU/peak RSS of BIN check over the corpus and the tuning fleets, 3 runs
BIN=$1
for i in 1 2 3; do
  /usr/bin/time -f "%e %U %S %M" bash -c "for d in /work/shared/corpus/*/ /work/fleets-tune/*/ /work/fleets-s7a/*/; do $BIN check --format json --fail-on none \$d >/dev/null 2>&1; done" 2>&1 | tail -1
done
