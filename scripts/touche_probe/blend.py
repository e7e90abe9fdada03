"""A fine-tuned last layer blended with whyline's cross-fitted frozen heads.

1. whyline's frozen recipe cross-fitted (5 folds by id hash, each member stopped on its
   own fold's macro-F1, logits averaged, thresholds on the out-of-fold predictions): what
   `fit --folds 5` ships today (0.4536 on touche-dev in whyline);
2. the last layer fine-tuned with the same head recipe on folds 1-4, its epoch chosen on
   fold 0 (finetune_recipe.py's `tuned:1e-4:32`);
3. the mean of the two models' logits, thresholds tuned on fold 0 (where both are out of
   sample: the frozen logits there are fold 0's own member's).
touche-dev is only printed. SEED (default 42) seeds everything.
"""
import os, sys
ARGS, sys.argv = sys.argv[1:], sys.argv[:1]
import numpy as np, torch
import finetune_recipe as fr
from finetune import ytr, ydv, f1s, tune, L

OUT = os.environ.get('OUT', '/tmp/touche-probe'); os.makedirs(OUT, exist_ok=True)


def frozen_crossfit():
    net = fr.Net(False); net.eval()
    with torch.no_grad():
        Etr = torch.cat([net.embed(*fr.batch(fr.Htr, np.arange(len(fr.Htr))[i:i + 128])) for i in range(0, len(fr.Htr), 128)])
        Edv = torch.cat([net.embed(*fr.batch(fr.Hdv, fr.dvi[i:i + 128])) for i in range(0, len(fr.Hdv), 128)])
    oof = torch.zeros(len(Etr), L); dvl = torch.zeros(len(Edv), L)
    for k in range(5):
        tri, vai = np.where(fr.fold != k)[0], np.where(fr.fold == k)[0]
        torch.manual_seed(fr.SEED + 1000 * k); g = torch.Generator().manual_seed(fr.SEED + 1000 * k)
        head = fr.Net(False).head
        opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-4)
        steps = fr.EPOCHS * ((len(tri) + 127) // 128); step = 0; best = (-1,)
        for ep in range(1, fr.EPOCHS + 1):
            head.train()
            perm = tri[torch.randperm(len(tri), generator=g).numpy()]
            for i in range(0, len(perm), 128):
                b = perm[i:i + 128]
                for gr in opt.param_groups:
                    gr['lr'] = 1e-3 * 0.5 * (1 + np.cos(np.pi * step / steps))
                step += 1; opt.zero_grad()
                torch.nn.functional.binary_cross_entropy_with_logits(head(Etr[b]), ytr[b]).backward(); opt.step()
            head.eval()
            with torch.no_grad():
                lv = head(Etr[vai]); ld = head(Edv)
            pv = torch.sigmoid(lv); th = tune(pv, ytr[vai]); vf = f1s(ytr[vai], (pv >= th).float()).mean().item()
            if vf > best[0]:
                best = (vf, lv, ld, ep)
            elif ep >= best[3] + fr.PATIENCE:
                break
        oof[vai] = best[1]; dvl += best[2] / 5
        print(f' frozen fold {k}: best epoch {best[3]} held {best[0]:.4f}', flush=True)
    return oof, dvl


def tuned_fold0():
    path = f'{OUT}/tuned-seed{fr.SEED}.pt'
    if os.path.exists(path):
        return torch.load(path)
    best = fr.run(True, 1e-4, 32, keep=True)
    torch.save(best, path)
    return best


def f1(y, logits, th):
    return f1s(y, (torch.sigmoid(logits) >= th).float()).mean().item()


oof, dvl = frozen_crossfit()
th = tune(torch.sigmoid(oof), ytr)
print(f'frozen cross-fit: oof {f1(ytr, oof, th):.4f} dev {f1(ydv, dvl, th):.4f}', flush=True)
tv, td = tuned_fold0()
vai = fr.vai
th = tune(torch.sigmoid(tv), ytr[vai])
print(f'tuned (fold 0 thresholds): held {f1(ytr[vai], tv, th):.4f} dev {f1(ydv, td, th):.4f}', flush=True)
for w in (0.5,):
    bv = w * tv + (1 - w) * oof[vai]; bd = w * td + (1 - w) * dvl
    th = tune(torch.sigmoid(bv), ytr[vai])
    print(f'blend w_tuned {w}: held {f1(ytr[vai], bv, th):.4f} dev {f1(ydv, bd, th):.4f}', flush=True)
th = tune(torch.sigmoid(oof[vai]), ytr[vai])
print(f'frozen cross-fit with fold-0 thresholds: held {f1(ytr[vai], oof[vai], th):.4f} dev {f1(ydv, dvl, th):.4f}', flush=True)
