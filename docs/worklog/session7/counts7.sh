#!/bin/bash
# counts7.sh BIN OUTDIR : per-rule/severity counts of BIN on the corpus (with its tenant/source
# mappings, as session 6's counts.sh), the re-fetched tuning fleets and the session-7 sweep home labs.
set -u
BIN=$1; OUT=$2; mkdir -p "$OUT"
C=/work/shared/corpus
src() { case "$1" in
  fluxcd__flux2-multi-tenancy) echo "--source GitRepository/apps/dev-team=$C/fluxcd__flux2-multi-tenancy__dev-team";;
  controlplaneio-fluxcd__d1-fleet) echo "--source https://github.com/controlplaneio-fluxcd/d1-apps=$C/controlplaneio-fluxcd__d1-apps --source https://github.com/controlplaneio-fluxcd/d1-infra=$C/controlplaneio-fluxcd__d1-infra";;
esac; }
for r in $C/*/; do n=$(basename $r); timeout 120 $BIN check --format json --fail-on none $r $(src $n) > $OUT/corpus__$n.json 2>/dev/null; done
for set in tune s7a; do for d in /work/fleets-$set/*/; do n=$(basename $d); timeout 120 $BIN check --format json --fail-on none $d > $OUT/${set}__$n.json 2>/dev/null; done; done
python3 - "$OUT" <<'PY'
import json,sys,glob,collections,os
out=sys.argv[1]
sev=collections.defaultdict(collections.Counter); rules=collections.defaultdict(collections.Counter)
for f in sorted(glob.glob(out+'/*.json')):
    s=os.path.basename(f).split('__')[0]
    try: j=json.load(open(f))
    except Exception: sev[s]['unreadable']+=1; continue
    for x in j.get('findings',[]):
        sev[s][x['severity']]+=1; rules[s][(x['rule'],x['severity'])]+=1
json.dump({'sev':{k:dict(v) for k,v in sev.items()},'rules':{k:{f'{a} {b}':n for (a,b),n in v.items()} for k,v in rules.items()}},open(out+'/summary.json','w'),indent=1,sort_keys=True)
for s in sev: print(s, dict(sev[s]))
PY
