#!/bin/bash
# runset.sh BIN SETDIR OUTDIR : json report per fleet folder of SETDIR
BIN=$1; SET=$2; OUT=$3; mkdir -p $OUT
cd $SET; for d in */; do n=${d%/}; timeout 120 $BIN check --format json --fail-on none $n > $OUT/$n.json 2>$OUT/$n.err; echo $? > $OUT/$n.rc; done
