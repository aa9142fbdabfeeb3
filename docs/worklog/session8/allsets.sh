#!/bin/bash
# allsets.sh BIN OUT: json per fleet of every test bed: corpus (with mappings) + tune/s7a (counts7.sh) + r2, r3, heldout5..10
BIN=$1; OUT=$(realpath -m $2); mkdir -p $OUT
bash /work/main/docs/worklog/session7/counts7.sh $BIN $OUT > $OUT/counts.txt
for set in r2 r3 heldout5 heldout6 heldout7 heldout8 heldout9 heldout10 heldout11 heldout12 heldout13 heldout14 heldout15 heldout16; do
  d=/work/fleets-$set; [ -d $d ] || continue
  cd $d; for f in */; do n=${f%/}; case $n in reports|tools) continue;; esac; timeout 120 $BIN check --format json --fail-on none $n > $OUT/${set}__$n.json 2>/dev/null; done
done
