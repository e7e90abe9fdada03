"""Average the logits of the two views (embedding; embedding + layers 5, 4), thresholds re-tuned out of fold."""
import numpy as np, sys
sys.argv=[sys.argv[0],'mean']
from heads import ytr, ydv, f1s, L, OUT
def tune(oof):
    th=np.zeros(L)
    for j in range(L):
        bestf=-1
        for c in np.unique(np.quantile(oof[:,j],np.linspace(0.3,0.995,200))):
            f=f1s(ytr[:,j:j+1],(oof[:,j:j+1]>=c).astype(np.float32))[0]
            if f>bestf: bestf,th[j]=f,c
    return th
for s in (42,7,1):
    a=np.load(f'{OUT}/mlp_mean_{s}.npz'); b=np.load(f'{OUT}/mlp_mean+l45_{s}.npz')
    for name,o,d in [('mean',a['oof'],a['dvl']),('l45',b['oof'],b['dvl']),('avg',(a['oof']+b['oof'])/2,(a['dvl']+b['dvl'])/2)]:
        th=tune(o); print(s,name,'oof %.4f dev %.4f'%(f1s(ytr,(o>=th).astype(np.float32)).mean(),f1s(ydv,(d>=th).astype(np.float32)).mean()))
