"""Pooled MiniLM features of touche-train/dev: sentence embedding (mean), layers 5+4 mean-pooled (l45), last-layer max (mx), CLS (cls)."""
import json, torch, numpy as np
from transformers import AutoModel, AutoTokenizer
torch.set_num_threads(2)
import os
p=os.path.expanduser(os.environ.get('WHYLINE_MODEL','~/.cache/whyline/models/all-MiniLM-L6-v2'))
EVAL=os.environ.get('EVAL','../shared/eval'); OUT=os.environ.get('OUT','/tmp/touche-probe'); os.makedirs(OUT,exist_ok=True)
tok=AutoTokenizer.from_pretrained(p); m=AutoModel.from_pretrained(p).eval()
for split in ['train','dev']:
    rows=[json.loads(l) for l in open(f'{EVAL}/touche-{split}.jsonl')]
    texts=[r['text'] for r in rows]
    mean=[];l45=[];mx=[];cls=[]
    with torch.no_grad():
        for i in range(0,len(texts),64):
            b=tok(texts[i:i+64],padding=True,truncation=True,max_length=256,return_tensors='pt')
            o=m(**b,output_hidden_states=True)
            msk=b['attention_mask'].unsqueeze(-1).float()
            hs=o.hidden_states
            def mp(h): return (h*msk).sum(1)/msk.sum(1)
            last=hs[-1]
            mean.append(mp(last)); l45.append(torch.cat([mp(hs[5]),mp(hs[4])],1))
            mx.append((last-1e4*(1-msk)).max(1).values); cls.append(last[:,0])
    np.savez(f'{OUT}/{split}.npz',mean=torch.cat(mean).numpy(),l45=torch.cat(l45).numpy(),mx=torch.cat(mx).numpy(),cls=torch.cat(cls).numpy())
    print(split,len(texts))
