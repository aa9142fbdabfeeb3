import json,glob,os,sys,collections
A,B,prefix=sys.argv[1],sys.argv[2],sys.argv[3]
def load(d):
    out={}
    for f in glob.glob(f'{d}/{prefix}__*.json'):
        try: out[os.path.basename(f)]=json.load(open(f))['findings']
        except Exception: out[os.path.basename(f)]=[]
    return out
a,b=load(A),load(B)
key=lambda x:(x['rule'],x['severity'],x.get('file'),x.get('line'),x['message'][:80])
for n in sorted(set(a)|set(b)):
    ka=collections.Counter(key(x) for x in a.get(n,[])); kb=collections.Counter(key(x) for x in b.get(n,[]))
    gone=ka-kb; new=kb-ka
    if gone or new:
        print('==',n)
        for k in sorted(gone): print('  -',k[0],k[1],f'{k[2]}:{k[3]}',k[4])
        for k in sorted(new): print('  +',k[0],k[1],f'{k[2]}:{k[3]}',k[4])
