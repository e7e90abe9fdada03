"""The last layer fine-tuned under whyline's own head recipe, against the same recipe on the frozen layer.

whyline's MLP recipe (src/classify/fit.rs, src/model/train.rs): the unit sentence embedding
scaled by sqrt(384), Linear(384, 512) -> ReLU -> dropout 0.4 -> Linear(512, 20), unweighted
BCE, AdamW (lr 1e-3, weight decay 1e-4), cosine decay over the epoch budget, early stopping
on the held part's macro-F1 with per-label thresholds tuned there (patience 5).
Split: fold 0 of 5 by id hash is held out (what `fit` does on one fold of --folds 5).
argv: `frozen` and/or `tuned:LR_LAYER:BATCH` runs, e.g. `frozen:128 tuned:1e-4:32`.
touche-dev is only printed, never used to choose.
"""
import hashlib, math, sys, time
import numpy as np, torch
ARGS, sys.argv = sys.argv[1:], sys.argv[:1]  # finetune.py reads argv[1] as its layer count
from finetune import tr_rows, dv_rows, Htr, Hdv, ytr, ydv, L, batch, f1s, tune, m

SEED = int(__import__('os').environ.get('SEED', '42'))
EPOCHS, PATIENCE = 20, 5
fold = np.array([int(hashlib.sha256(r['id'].encode()).hexdigest(), 16) % 5 for r in tr_rows])
tri, vai = np.where(fold != 0)[0], np.where(fold == 0)[0]
dvi = np.arange(len(Hdv))


class Net(torch.nn.Module):
    def __init__(s, tuned):
        super().__init__()
        s.tuned = tuned
        s.layer = __import__('copy').deepcopy(m.encoder.layer[5])
        s.head = torch.nn.Sequential(torch.nn.Linear(384, 512), torch.nn.ReLU(), torch.nn.Dropout(0.4), torch.nn.Linear(512, L))

    def embed(s, X, M):
        ext = (1.0 - M[:, None, None, :]) * -1e9
        o = s.layer(X, attention_mask=ext)
        h = o[0] if isinstance(o, tuple) else o
        e = (h * M[..., None]).sum(1) / M.sum(1, keepdim=True)
        return torch.nn.functional.normalize(e, dim=-1) * math.sqrt(384)

    def forward(s, X, M):
        return s.head(s.embed(X, M))


def buckets(idx, H, bs, g):
    """Length-sorted batches in a shuffled order (what candle's --sorted does)."""
    idx = idx[torch.randperm(len(idx), generator=g).numpy()]
    idx = sorted(idx, key=lambda i: len(H[i]))
    chunks = [idx[i:i + bs] for i in range(0, len(idx), bs)]
    return [chunks[j] for j in torch.randperm(len(chunks), generator=g).tolist()]


def run(tuned, lr_layer, bs, keep=False):
    torch.manual_seed(SEED); g = torch.Generator().manual_seed(SEED)
    net = Net(tuned)
    groups = [{'params': net.head.parameters(), 'lr': 1e-3, 'weight_decay': 1e-4}]
    if tuned:
        groups.append({'params': net.layer.parameters(), 'lr': lr_layer, 'weight_decay': 0.01})
    else:
        for q in net.layer.parameters():
            q.requires_grad = False
    opt = torch.optim.AdamW(groups)
    base = [gr['lr'] for gr in opt.param_groups]
    # frozen: pool once
    if not tuned:
        with torch.no_grad():
            net.eval()
            E = {}
            for name, H, idx in (('tr', Htr, np.arange(len(Htr))), ('dv', Hdv, dvi)):
                E[name] = torch.cat([net.embed(*batch(H, idx[i:i + 128])) for i in range(0, len(idx), 128)])

    def pred(H, idx, name):
        net.eval()
        with torch.no_grad():
            if not tuned:
                return net.head(E[name][idx])
            order = sorted(range(len(idx)), key=lambda j: len(H[idx[j]]))
            out = torch.zeros(len(idx), L)
            for i in range(0, len(order), 128):
                o = order[i:i + 128]
                out[o] = net(*batch(H, idx[o]))
            return out
    steps = EPOCHS * math.ceil(len(tri) / bs); step = 0
    best = (-1,)
    for ep in range(1, EPOCHS + 1):
        net.train(); t = time.time()
        for b in buckets(tri, Htr, bs, g):
            b = np.array(b)
            for gr, lr in zip(opt.param_groups, base):
                gr['lr'] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            step += 1
            opt.zero_grad()
            z = net.head(E['tr'][b]) if not tuned else net(*batch(Htr, b))
            torch.nn.functional.binary_cross_entropy_with_logits(z, ytr[b]).backward()
            opt.step()
        lv = pred(Htr, vai, 'tr'); pv = torch.sigmoid(lv)
        th = tune(pv, ytr[vai]); vf = f1s(ytr[vai], (pv >= th).float()).mean().item()
        ld = pred(Hdv, dvi, 'dv'); pd = torch.sigmoid(ld); df = f1s(ydv, (pd >= th).float()).mean().item()
        print(f'  ep{ep} {time.time() - t:.0f}s held {vf:.4f} dev {df:.4f}', flush=True)
        if vf > best[0]:
            best = (vf, df, ep, lv, ld)
        elif ep >= best[2] + PATIENCE:
            break
    print(f'{"tuned lr_layer " + str(lr_layer) if tuned else "frozen"} batch {bs} seed {SEED}: best epoch {best[2]} held {best[0]:.4f} dev {best[1]:.4f}', flush=True)
    return best[3], best[4]


for a in ARGS if __name__ == '__main__' else []:
    p = a.split(':')
    if p[0] == 'frozen':
        run(False, 0.0, int(p[1]))
    else:
        run(True, float(p[1]), int(p[2]))
