import json,sys
a=json.load(open(sys.argv[1]+'/summary.json'))['rules']; b=json.load(open(sys.argv[2]+'/summary.json'))['rules']
for s in sorted(set(a)|set(b)):
    ra,rb=a.get(s,{}),b.get(s,{})
    keys=sorted(set(ra)|set(rb))
    ch=[(k,ra.get(k,0),rb.get(k,0)) for k in keys if ra.get(k,0)!=rb.get(k,0)]
    print(f'### {s}')
    print('| rule severity | before | after |'); print('|---|---|---|')
    for k,x,y in ch: print(f'| {k} | {x} | {y} |')
