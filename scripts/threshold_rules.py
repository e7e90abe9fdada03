#!/usr/bin/env python3
"""Per-label threshold rules compared on a cross-fitted head's out-of-fold predictions.

  whyline fit --task T --train TRAIN --folds 5 ... --out M --oof OOF.jsonl
  whyline eval --task T --data DEV --model M --predictions DEV.jsonl
  scripts/threshold_rules.py OOF.jsonl DEV.jsonl [OOF2.jsonl DEV2.jsonl ...]

whyline tunes each label's threshold as the F1-maximising one of 99 (0.01 steps) on the
out-of-fold scores (`argmax`). A maximum over 99 noisy points may overfit, so two rules that
prefer the middle of a flat optimum are compared with it: `smoothW` (argmax of F1 averaged
over W bins either side) and `platE` (the median threshold among those within E of the best
F1). Each rule is judged by threshold cross-validation on the out-of-fold scores alone
(thresholds from 4/5 of the rows, macro-F1 on the other fifth, 5 seeded splits): the
training data decides. The dev figure (thresholds from all out-of-fold rows, as `fit` does)
is printed for the record only. With several OOF/DEV pairs (e.g. seeds), their scores are
also averaged (a seed ensemble) and scored the same way. Decisions follow whyline's: a label
is predicted when its score's 0.01-bin reaches the threshold, and the top label when none
does (`min_one`). numpy only.
"""
import json
import sys

import numpy as np

B = 100
RULES = ["argmax", "smooth1", "smooth2", "smooth5", "plat0.002", "plat0.005", "plat0.01"]


def load(path):
    rows = [json.loads(line) for line in open(path)]
    labels = list(rows[0]["scores"])
    p = np.array([[r["scores"][x] for x in labels] for r in rows], dtype=np.float64)
    y = np.array([[x in r["gold"] for x in labels] for r in rows])
    return labels, p, y


def bins(p):
    return np.minimum((p * B).astype(int), B)


def f1_curve(b, y):
    """F1 of `bin >= k` for k = 1..B-1."""
    out = []
    for k in range(1, B):
        pred = b >= k
        tp = (pred & y).sum()
        fp = (pred & ~y).sum()
        fn = (~pred & y).sum()
        out.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return np.array(out)


def thresholds(p, y, rule):
    b = bins(p)
    ks = []
    for j in range(p.shape[1]):
        c = f1_curve(b[:, j], y[:, j])
        if rule == "argmax":
            # whyline walks from high to low and keeps the highest of tied maxima
            i = max(range(len(c)), key=lambda i: (c[i], i))
        elif rule.startswith("smooth"):
            w = int(rule[6:])
            cs = np.array([c[max(0, i - w):i + w + 1].mean() for i in range(len(c))])
            i = max(range(len(c)), key=lambda i: (cs[i], i))
        else:
            e = float(rule[4:])
            i = int(np.median(np.where(c >= c.max() - e)[0]))
        ks.append(i + 1)
    return np.array(ks)


def macro_f1(p, y, ks):
    d = bins(p) >= ks
    none = ~d.any(1)
    d[none, p[none].argmax(1)] = True
    f = []
    for j in range(y.shape[1]):
        tp = (d[:, j] & y[:, j]).sum()
        fp = (d[:, j] & ~y[:, j]).sum()
        fn = (~d[:, j] & y[:, j]).sum()
        f.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f))


def report(name, p, y, pd, yd):
    split = np.random.default_rng(0).permutation(len(p)) % 5
    print(name)
    for r in RULES:
        cv = np.mean([
            macro_f1(p[split == f], y[split == f], thresholds(p[split != f], y[split != f], r))
            for f in range(5)
        ])
        dev = macro_f1(pd, yd, thresholds(p, y, r))
        print(f"  {r:10s} threshold-CV {cv:.4f}   dev {dev:.4f}")


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    pairs = []
    for oof, dev in zip(args[::2], args[1::2]):
        lo, p, y = load(oof)
        ld, pd, yd = load(dev)
        if lo != ld:
            sys.exit(f"{oof} and {dev} have different labels")
        pairs.append((p, y, pd, yd))
        report(oof, p, y, pd, yd)
    if len(pairs) > 1:
        report(
            "average of the scores above",
            np.mean([q[0] for q in pairs], 0), pairs[0][1],
            np.mean([q[2] for q in pairs], 0), pairs[0][3],
        )


if __name__ == "__main__":
    main()
