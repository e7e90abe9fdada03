"""Fine-tune the encoder's last N layers (argv[1]; FFN_ONLY=1: only their feed-forward blocks) with a classifier head, against the same head on the frozen layer."""
import json, torch, numpy as np, sys, hashlib, copy, time, os
from transformers import AutoModel, AutoTokenizer
torch.set_num_threads(2)
p=os.path.expanduser(os.environ.get('WHYLINE_MODEL','~/.cache/whyline/models/all-MiniLM-L6-v2'))
EVAL=os.environ.get('EVAL','../shared/eval')
tok=AutoTokenizer.from_pretrained(p); m=AutoModel.from_pretrained(p).eval()
def rows(split): return [json.loads(l) for l in open(f'{EVAL}/touche-{split}.jsonl')]
tr_rows,dv_rows=rows('train'),rows('dev')
labels=sorted({l for r in tr_rows for l in r['labels']}); L=len(labels); li={l:i for i,l in enumerate(labels)}
def Y(rs):
    y=np.zeros((len(rs),L),np.float32)
    for i,r in enumerate(rs):
        for l in r['labels']: y[i,li[l]]=1
    return torch.tensor(y)
ytr,ydv=Y(tr_rows),Y(dv_rows)
NL=int(sys.argv[1]) if len(sys.argv)>1 else 1   # layers fine-tuned
import os
FFN_ONLY=os.environ.get('FFN_ONLY')=='1'
def states(rs):
    out=[]
    with torch.no_grad():
        for i in range(0,len(rs),64):
            b=tok([r['text'] for r in rs[i:i+64]],padding=True,truncation=True,max_length=256,return_tensors='pt')
            o=m(**b,output_hidden_states=True); h=o.hidden_states[6-NL]
            for j in range(h.shape[0]):
                n=int(b['attention_mask'][j].sum()); out.append(h[j,:n].clone())
    return out
t=time.time(); Htr,Hdv=states(tr_rows),states(dv_rows); print('states',time.time()-t,flush=True)
def batch(H,idx):
    T=max(len(H[i]) for i in idx); X=torch.zeros(len(idx),T,384); M=torch.zeros(len(idx),T)
    for j,i in enumerate(idx): n=len(H[i]); X[j,:n]=H[i]; M[j,:n]=1
    return X,M
class Net(torch.nn.Module):
    def __init__(s,hidden):
        super().__init__(); s.layers=torch.nn.ModuleList([copy.deepcopy(m.encoder.layer[6-NL+k]) for k in range(NL)])
        s.head=torch.nn.Sequential(torch.nn.Linear(384,hidden),torch.nn.GELU(),torch.nn.Dropout(0.3),torch.nn.Linear(hidden,L)) if hidden else torch.nn.Sequential(torch.nn.Dropout(0.1),torch.nn.Linear(384,L))
    def forward(s,X,M):
        ext=(1.0-M[:,None,None,:])*-1e9
        h=X
        for lay in s.layers:
            o=lay(h,attention_mask=ext); h=o[0] if isinstance(o,tuple) else o
        e=(h*M[...,None]).sum(1)/M.sum(1,keepdim=True); e=torch.nn.functional.normalize(e,dim=-1)
        return s.head(e)
def f1s(y,p):
    tp=(y*p).sum(0); fp=((1-y)*p).sum(0); fn=(y*(1-p)).sum(0)
    return 2*tp/torch.clamp(2*tp+fp+fn,min=1)
def tune(lv,y):
    th=torch.zeros(L)
    for j in range(L):
        best=-1
        for c in torch.quantile(lv[:,j],torch.linspace(0.3,0.995,150)):
            f=f1s(y[:,j:j+1],(lv[:,j:j+1]>=c).float())[0]
            if f>best: best,th[j]=f,c
    return th
def run(seed,lr_layer,lr_head,epochs,hidden):
    fold=np.array([int(hashlib.sha256(r['id'].encode()).hexdigest(),16)%5 for r in tr_rows])
    tri=np.where(fold!=0)[0]; vai=np.where(fold==0)[0]
    torch.manual_seed(seed); g=torch.Generator().manual_seed(seed)
    net=Net(hidden)
    opt=torch.optim.AdamW([{'params':net.layers.parameters(),'lr':lr_layer},{'params':net.head.parameters(),'lr':lr_head}],weight_decay=0.01)
    steps=epochs*((len(tri)+31)//32); sched=torch.optim.lr_scheduler.OneCycleLR(opt,max_lr=[lr_layer or 1e-12,lr_head],total_steps=steps,pct_start=0.1,anneal_strategy='linear')
    if FFN_ONLY:
        for lay in net.layers:
            for q in lay.attention.parameters(): q.requires_grad=False
    if lr_layer==0:
        for q in net.layers.parameters(): q.requires_grad=False
    best=(1e9,)
    def pred(H,idx):
        net.eval()
        with torch.no_grad(): return torch.cat([net(*batch(H,idx[i:i+128])) for i in range(0,len(idx),128)])
    for ep in range(epochs):
        net.train(); perm=tri[torch.randperm(len(tri),generator=g).numpy()]; t=time.time()
        for i in range(0,len(perm),32):
            b=perm[i:i+32]; X,M=batch(Htr,b); opt.zero_grad()
            loss=torch.nn.functional.binary_cross_entropy_with_logits(net(X,M),ytr[b]); loss.backward(); opt.step(); sched.step()
        lv=pred(Htr,vai); vl=torch.nn.functional.binary_cross_entropy_with_logits(lv,ytr[vai]).item()
        th=tune(lv,ytr[vai]); vf=f1s(ytr[vai],(lv>=th).float()).mean().item()
        dl=pred(Hdv,np.arange(len(Hdv))); df=f1s(ydv,(dl>=th).float()).mean().item()
        print(f' ep{ep} {time.time()-t:.0f}s val_loss {vl:.4f} val_f1 {vf:.4f} dev_f1 {df:.4f}',flush=True)
        if vl<best[0]: best=(vl,vf,df,ep)
    print(f'seed {seed} lr_layer {lr_layer} hidden {hidden}: best-by-loss ep{best[3]} val {best[1]:.4f} dev {best[2]:.4f}',flush=True)
def main(run):
    for cfg in sys.argv[2:]:
        kw=eval('dict('+cfg+')'); run(**kw)
if __name__=='__main__':
    main(run)
