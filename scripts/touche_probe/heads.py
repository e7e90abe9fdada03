"""MLP heads on pooled features, 5-fold cross-fit, per-label thresholds out of fold; prints out-of-fold/dev macro-F1 per seed."""
import json, torch, numpy as np, sys, hashlib, os
EVAL=os.environ.get('EVAL','../shared/eval'); OUT=os.environ.get('OUT','/tmp/touche-probe')
torch.set_num_threads(2)
def load(split):
    rows=[json.loads(l) for l in open(f'{EVAL}/touche-{split}.jsonl')]
    return rows, np.load(f'{OUT}/{split}.npz')
tr_rows,tr=load('train'); dv_rows,dv=load('dev')
labels=sorted({l for r in tr_rows for l in r['labels']})
L=len(labels); li={l:i for i,l in enumerate(labels)}
def Y(rows):
    y=np.zeros((len(rows),L),np.float32)
    for i,r in enumerate(rows):
        for l in r['labels']: y[i,li[l]]=1
    return y
ytr,ydv=Y(tr_rows),Y(dv_rows)
def feats(z,spec):
    parts=[]
    for s in spec.split('+'):
        x=z[s].astype(np.float32)
        if s=='mean': x=x/np.linalg.norm(x,axis=1,keepdims=True)
        parts.append(x)
    return np.concatenate(parts,1)
def f1s(y,p):
    tp=(y*p).sum(0); fp=((1-y)*p).sum(0); fn=(y*(1-p)).sum(0)
    return 2*tp/np.maximum(2*tp+fp+fn,1)
def run(spec,seed,hidden=2560,drop=0.4,epochs=30,lr=1e-3,wd=0.0):
    Xtr=feats(tr,spec); Xdv=feats(dv,spec)
    mu=Xtr.mean(0); sd=Xtr.std(0)+1e-6
    if spec!='mean': Xtr=(Xtr-mu)/sd; Xdv=(Xdv-mu)/sd
    Xtr=torch.tensor(Xtr); Xdv=torch.tensor(Xdv); Yt=torch.tensor(ytr)
    n=len(Xtr); fold=np.array([int(hashlib.sha256(r['id'].encode()).hexdigest(),16)%5 for r in tr_rows])
    oof=np.zeros((n,L),np.float32); dvl=np.zeros((len(Xdv),L),np.float32)
    for k in range(5):
        torch.manual_seed(seed*10+k)
        tri=np.where(fold!=k)[0]; vai=np.where(fold==k)[0]
        net=torch.nn.Sequential(torch.nn.Linear(Xtr.shape[1],hidden),torch.nn.GELU(),torch.nn.Dropout(drop),torch.nn.Linear(hidden,L))
        opt=torch.optim.AdamW(net.parameters(),lr=lr,weight_decay=wd)
        steps=epochs*((len(tri)+63)//64); sched=torch.optim.lr_scheduler.CosineAnnealingLR(opt,steps)
        best=(1e9,None); g=torch.Generator().manual_seed(seed*10+k)
        for ep in range(epochs):
            net.train(); perm=tri[torch.randperm(len(tri),generator=g).numpy()]
            for i in range(0,len(perm),64):
                b=perm[i:i+64]; opt.zero_grad()
                loss=torch.nn.functional.binary_cross_entropy_with_logits(net(Xtr[b]),Yt[b]); loss.backward(); opt.step(); sched.step()
            net.eval()
            with torch.no_grad():
                lv=net(Xtr[vai]); vl=torch.nn.functional.binary_cross_entropy_with_logits(lv,Yt[vai]).item()
                if vl<best[0]: best=(vl,lv.numpy(),net(Xdv).numpy(),ep)
        oof[vai]=best[1]; dvl+=best[2]/5
    # thresholds per label on oof
    th=np.zeros(L)
    for j in range(L):
        cands=np.unique(np.quantile(oof[:,j],np.linspace(0.3,0.995,200)))
        bestf=-1
        for c in cands:
            f=f1s(ytr[:,j:j+1],(oof[:,j:j+1]>=c).astype(np.float32))[0]
            if f>bestf: bestf,th[j]=f,c
    np.savez(f'{OUT}/mlp_{spec}_{seed}.npz',oof=oof,dvl=dvl,th=th)
    oof_f1=f1s(ytr,(oof>=th).astype(np.float32)).mean()
    dv_f1=f1s(ydv,(dvl>=th).astype(np.float32)).mean()
    return oof_f1,dv_f1
if __name__=='__main__':
    spec=sys.argv[1]; kw=eval('dict('+(sys.argv[2] if len(sys.argv)>2 else '')+')')
    res=[run(spec,s,**kw) for s in (42,7,1)]
    print(spec,kw,' '.join(f'{o:.4f}/{d:.4f}' for o,d in res),'mean dev %.4f oof %.4f'%(np.mean([d for o,d in res]),np.mean([o for o,d in res])),flush=True)
