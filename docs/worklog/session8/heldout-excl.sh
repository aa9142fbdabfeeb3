#!/bin/bash
# usage: excl.sh SELF owner/name ...   -> "ok" or "HIT" per repo (SELF = your set dir name, e.g. fleets-heldout9)
self=$1; shift
for r in "$@"; do
  o=${r%%/*}; n=${r##*/}
  hits=$(grep -ril -- "$r" /work/shared/corpus/MANIFEST.tsv /work/main/docs/worklog/ /work/fleets-*/fleets.tsv /work/fleets-*/CATALOG.md /work/fleets-*/DROPPED* /work/notes/ 2>/dev/null | grep -v "/$self/")
  hits2=$(grep -ril -- "${o}__${n}" /work/main/docs/worklog/ /work/fleets-*/fleets.tsv /work/notes/ 2>/dev/null | grep -v "/$self/")
  f=$(ls /work/fleets-* 2>/dev/null | grep -i -- "^${o}__${n}$")
  claim=$(grep -i -- "^$r " /work/heldout-tools/claims.txt 2>/dev/null | grep -v " $self$")
  if [ -n "$hits$hits2$f$claim" ]; then echo "HIT $r: $(echo $hits $hits2 $f $claim | cut -c1-200)"; else echo "ok  $r"; fi
done
