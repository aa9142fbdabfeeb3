#!/bin/bash
# counts.sh BIN OUTDIR : run BIN over corpus, /work/fleets (fleets.tsv with sources) and the held-out sets
# (HELDOUT_DIRS, default: unseen, heldout2, heldout3, heldout4);
# writes OUTDIR/<set>__<folder>.json and prints per-set severity totals and per-rule counts.
set -u
BIN=$1; OUT=$2; mkdir -p "$OUT"
C=/work/shared/corpus
src() { case "$1" in
  fluxcd__flux2-multi-tenancy) echo "--source GitRepository/apps/dev-team=$C/fluxcd__flux2-multi-tenancy__dev-team";;
  controlplaneio-fluxcd__d1-fleet) echo "--source https://github.com/controlplaneio-fluxcd/d1-apps=$C/controlplaneio-fluxcd__d1-apps --source https://github.com/controlplaneio-fluxcd/d1-infra=$C/controlplaneio-fluxcd__d1-infra";;
esac; }
for r in $C/*/; do n=$(basename $r); timeout 120 $BIN check --format json --fail-on none $r $(src $n) > $OUT/corpus__$n.json 2>/dev/null; done
cd /work/fleets
tail -n +2 fleets.tsv | while IFS=$'\t' read -r folder repo commit sources role rest; do
  [ "$role" = fleet ] || continue
  args=(); for s in $sources; do [ "$s" = "-" ] || args+=(--source "$s"); done
  timeout 120 $BIN check --format json --fail-on none "$folder" "${args[@]}" > $OUT/fleets__$folder.json 2>/dev/null
done
HELDOUT_DIRS=${HELDOUT_DIRS:-/work/fleets-unseen /work/fleets-heldout2 /work/fleets-heldout3 /work/fleets-heldout4}
for d in $(for h in $HELDOUT_DIRS; do printf '%s ' "$h"/*/; done); do
  n=$(basename $d); [ -f "$d/../CATALOG.md" ] || continue
  case $n in repros|reports|tools) continue;; esac
  set=$(basename $(dirname $d))
  timeout 120 $BIN check --format json --fail-on none $d > $OUT/${set}__$n.json 2>/dev/null
done
python3 - "$OUT" <<'PY'
import json,sys,glob,collections,os
out=sys.argv[1]
sev=collections.defaultdict(collections.Counter); rules=collections.defaultdict(collections.Counter); clusters={}
for f in sorted(glob.glob(out+'/*.json')):
    s=os.path.basename(f).split('__')[0]
    try: j=json.load(open(f))
    except Exception: sev[s]['unreadable']+=1; continue
    for x in j.get('findings',[]):
        sev[s][x['severity']]+=1; rules[s][(x['rule'],x['severity'])]+=1
    clusters[os.path.basename(f)[:-5]]=[c['name'] for c in j.get('clusters',[])]
json.dump({'sev':{k:dict(v) for k,v in sev.items()},'rules':{k:{f'{a} {b}':n for (a,b),n in v.items()} for k,v in rules.items()},'clusters':clusters},open(out+'/summary.json','w'),indent=1,sort_keys=True)
for s in sev: print(s, dict(sev[s]))
PY
