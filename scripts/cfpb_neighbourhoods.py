#!/usr/bin/env python3
"""Where the CFPB issue signal sits, and how document-level themes would rank.

  whyline embed --input ../shared/eval/cfpb-issue.jsonl --text-field text --out cfpb.emb
  scripts/cfpb_neighbourhoods.py ../shared/eval/cfpb-issue.jsonl cfpb.emb

1. Supervised bound: for each of the 5 most frequent gold issues, the complaints nearest to
   that issue's own centroid (whole-complaint embeddings); is the issue still the plurality
   among the nearest N? This says at what theme size the issue can carry a theme at all.
2. k-means on whole complaints (k = 10..60, five seeds each, numpy): how many of the 5 most
   frequent issues the five largest clusters' plurality issues cover (the measure of
   scripts/cfpb_ranking.py, with clusters ranked by size).
Diagnostics for the README's "Ranking against CFPB's issue labels"; numpy only.
"""
import collections
import json
import sys

import numpy as np

gold_file, emb_file = sys.argv[1:3]
y = [json.loads(line)["label"] for line in open(gold_file)]
X = np.array([json.loads(line)["embedding"] for line in open(emb_file)], dtype=np.float32)
if len(X) != len(y):
    sys.exit(f"{emb_file} has {len(X)} rows, {gold_file} {len(y)}")
X /= np.linalg.norm(X, axis=1, keepdims=True)
top = [k for k, _ in collections.Counter(y).most_common(5)]

print("1. nearest N complaints to each issue's centroid: plurality issue (own issue's count)")
for lab in top:
    c = X[[v == lab for v in y]].mean(0)
    order = np.argsort(-(X @ (c / np.linalg.norm(c))))
    cells = []
    for n in (25, 50, 100, 200):
        cnt = collections.Counter(y[i] for i in order[:n])
        p, m = cnt.most_common(1)[0]
        cells.append(f"N={n}: {'own' if p == lab else p[:24]!r} {m} (own {cnt[lab]})")
    print(f"  {lab[:45]:45s} " + "; ".join(cells))


def kmeans(k, seed):
    r = np.random.default_rng(seed)
    C = X[r.choice(len(X), k, replace=False)].copy()
    for _ in range(50):
        a = np.argmax(X @ C.T, 1)
        for j in range(k):
            if (a == j).any():
                m = X[a == j].mean(0)
                C[j] = m / np.linalg.norm(m)
    return a


print("2. k-means on whole complaints: top-5 issues covered by the 5 largest clusters, seeds 0-4")
for k in (10, 15, 20, 27, 40, 60):
    cover = []
    for seed in range(5):
        a = kmeans(k, seed)
        largest = [j for j, _ in collections.Counter(a).most_common(5)]
        dom = {collections.Counter(y[i] for i in np.where(a == j)[0]).most_common(1)[0][0] for j in largest}
        cover.append(len(dom & set(top)))
    print(f"  k={k}: {cover}")
