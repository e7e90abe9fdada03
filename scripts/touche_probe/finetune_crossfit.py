"""finetune.py cross-fitted: 5 folds by id hash, each fold's epoch (of the last 3) by its own loss, dev logits averaged, thresholds on the out-of-fold predictions."""
# Everything but the training loop (layer count from argv[1], states, Net, batch, f1s, tune) comes from finetune.py.
import hashlib, sys
import numpy as np, torch
from finetune import tr_rows, dv_rows, Htr, Hdv, ytr, ydv, L, Net, batch, f1s, tune, main
def run(seed,lr_layer,lr_head,epochs,hidden):
    fold=np.array([int(hashlib.sha256(r['id'].encode()).hexdigest(),16)%5 for r in tr_rows])
    oof=torch.zeros(len(tr_rows),L); dvl=torch.zeros(len(dv_rows),L)
    for k in range(5):
        tri=np.where(fold!=k)[0]; vai=np.where(fold==k)[0]
        torch.manual_seed(seed*10+k); g=torch.Generator().manual_seed(seed*10+k)
        net=Net(hidden)
        opt=torch.optim.AdamW([{'params':net.layers.parameters(),'lr':lr_layer},{'params':net.head.parameters(),'lr':lr_head}],weight_decay=0.01)
        steps=epochs*((len(tri)+31)//32); sched=torch.optim.lr_scheduler.OneCycleLR(opt,max_lr=[lr_layer or 1e-12,lr_head],total_steps=steps,pct_start=0.1,anneal_strategy='linear')
        if lr_layer==0:
            for q in net.layers.parameters(): q.requires_grad=False
        def pred(H,idx):
            net.eval()
            with torch.no_grad(): return torch.cat([net(*batch(H,idx[i:i+128])) for i in range(0,len(idx),128)])
        best=(1e9,)
        for ep in range(epochs):
            net.train(); perm=tri[torch.randperm(len(tri),generator=g).numpy()]
            for i in range(0,len(perm),32):
                b=perm[i:i+32]; X,M=batch(Htr,b); opt.zero_grad()
                loss=torch.nn.functional.binary_cross_entropy_with_logits(net(X,M),ytr[b]); loss.backward(); opt.step(); sched.step()
            if ep>=epochs-3:
                lv=pred(Htr,vai); vl=torch.nn.functional.binary_cross_entropy_with_logits(lv,ytr[vai]).item()
                if vl<best[0]: best=(vl,lv,pred(Hdv,np.arange(len(Hdv))),ep)
        oof[vai]=best[1]; dvl+=best[2]/5
        print(f' fold {k} best ep{best[3]} loss {best[0]:.4f}',flush=True)
    th=tune(oof,ytr)
    print(f'CV seed {seed} lr_layer {lr_layer}: oof {f1s(ytr,(oof>=th).float()).mean().item():.4f} dev {f1s(ydv,(dvl>=th).float()).mean().item():.4f}',flush=True)
main(run)
