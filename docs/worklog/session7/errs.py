import json,glob,os,collections,sys
# errs.py OUTDIR [-v]: per fleet clusters, error/warning counts, error rules
tot=collections.Counter(); W=0
for f in sorted(glob.glob(sys.argv[1]+'/*.json')):
    n=os.path.basename(f)[:-5]
    try: j=json.load(open(f))
    except Exception as e: print(n,'UNREADABLE'); continue
    errs=[x for x in j['findings'] if x['severity']=='error']
    c=collections.Counter(x['rule'] for x in errs); w=sum(1 for x in j['findings'] if x['severity']=='warning'); W+=w
    tot.update(c)
    print(f"{n:45} clusters={len(j['clusters'])} E={len(errs)} W={w} {dict(c)}")
    if '-v' in sys.argv:
        for x in errs: print('   ',x['rule'],f"{x.get('file')}:{x.get('line')}",x['message'][:220])
print('errors',sum(tot.values()),dict(tot),'warnings',W)
