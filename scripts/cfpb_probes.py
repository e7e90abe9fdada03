#!/usr/bin/env python3
"""Probes of the CFPB ranking target that did not reach it (docs/measurements.md,
"The CFPB ranking, stability and noise"): can a different ranking of the same themes, or document-level themes from
other representations, put 4 of the 5 most frequent gold issues among the top 5?

  whyline run ../shared/eval/cfpb-issue.jsonl --out D
  whyline embed --input D/segments.jsonl --text-field text --out seg.npy
  whyline embed --input ../shared/eval/cfpb-issue.jsonl --text-field text --out doc.npy
  scripts/cfpb_probes.py ../shared/eval/cfpb-issue.jsonl D seg.npy doc.npy

1. Re-ranking the run's themes (numpy): greedy marginal reach (each next insight by the
   documents no earlier one covers) and MMR on theme centroids (score - lambda * the
   highest cosine to a theme already chosen).
2. Theme properties that could tell the issue-specific themes from the generic narrative
   ones without labels: centroid cosine to the corpus mean, emotional intensity and share of
   neutral-only members, and how far the theme's documents' other themes are from the
   corpus's (Jensen-Shannon divergence, as a z-score against 50 random document sets of the
   same size). Printed per theme with its plurality issue, to read, not to fit.
3. Document-level themes (needs scikit-learn): whole-complaint embedding, mean or first
   three sentences' embeddings, TF-IDF uni+bi-grams (SVD 100) and concatenations; k-means
   (k = 15, 20, 27, 40, seeds 0-4) and Ward; the five largest clusters ranked by size; then
   the best of them (whole + mean) with ten k-means++ starts per run, k = 10-30, seeds 0-7.
The coverage measure is scripts/cfpb_ranking.py's: plurality issue over distinct documents.
"""
import collections
import json
import os
import sys

import numpy as np

gold_file, run, seg_npy, doc_npy = sys.argv[1:5]
rows = [json.loads(line) for line in open(gold_file)]
y = [r["label"] for r in rows]
top5 = {k for k, _ in collections.Counter(y).most_common(5)}
segs = [json.loads(line) for line in open(os.path.join(run, "segments.jsonl"))]
E = np.load(seg_npy).astype(np.float64)
if len(E) != len(segs):
    sys.exit(f"{seg_npy} has {len(E)} rows, segments.jsonl {len(segs)}")
row_of = {s["id"]: k for k, s in enumerate(segs)}
ins = json.load(open(os.path.join(run, "insights.json")))
themes = ins["insights"] + ins["weak_signals"]


def plurality(members):
    docs = {segs[row_of[m]]["doc"]: segs[row_of[m]]["meta"].get("label") for m in members}
    return collections.Counter(docs.values()).most_common(1)[0][0], len(docs)


def covered(labels):
    return len(set(labels) & top5)


dom = [plurality(t["members"])[0] for t in themes]
docsets = [{segs[row_of[m]]["doc"] for m in t["members"]} for t in themes]
C = np.array([E[[row_of[m] for m in t["members"]]].mean(0) for t in themes])
C /= np.linalg.norm(C, axis=1, keepdims=True)
score = np.array([t["score"] for t in themes]) / 100

print("1. re-ranking the run's themes: top-5 issues covered")
print(f"  by score (as shipped): {covered(dom[:5])} of 5")
chosen, seen = [], set()
for _ in range(5):
    best = max((i for i in range(len(themes)) if i not in chosen), key=lambda i: (len(docsets[i] - seen), -i))
    chosen.append(best)
    seen |= docsets[best]
print(f"  greedy marginal reach: {covered([dom[i] for i in chosen])} of 5 (ranks {[themes[i]['rank'] for i in chosen]})")
for lam in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
    chosen = []
    for _ in range(5):
        rest = [i for i in range(len(themes)) if i not in chosen]
        chosen.append(max(rest, key=lambda i: (1 - lam) * score[i] - lam * max((C[i] @ C[j] for j in chosen), default=0.0)))
    print(f"  MMR lambda {lam}: {covered([dom[i] for i in chosen])} of 5 (ranks {[themes[i]['rank'] for i in chosen]})")

print("2. theme properties (rank, documents, centroid cos to corpus mean, intensity, neutral-only share, context JSD z, plurality issue; * = a top-5 issue)")
analysed = [k for k, s in enumerate(segs) if s.get("theme") is not None]
g = E[analysed].mean(0)
g /= np.linalg.norm(g)
docs = sorted({segs[k]["doc"] for k in analysed})
di = {d: i for i, d in enumerate(docs)}
ti = {t["theme"]: j for j, t in enumerate(themes)}
A = np.zeros((len(docs), len(themes)))
for k in analysed:
    A[di[segs[k]["doc"]], ti[segs[k]["theme"]]] = 1
base = A.mean(0)
rng = np.random.default_rng(0)


def jsd(p, q, mask):
    p, q = p[mask] / p[mask].sum(), q[mask] / q[mask].sum()
    m = (p + q) / 2

    def kl(a, b):
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / b[nz])))

    return (kl(p, m) + kl(q, m)) / 2


for j, t in enumerate(themes):
    mask = np.ones(len(themes), bool)
    mask[j] = False
    inside = A[:, j] > 0
    d = jsd(A[inside].mean(0), base, mask)
    null = [jsd(A[rng.choice(len(docs), int(inside.sum()), replace=False)].mean(0), base, mask) for _ in range(50)]
    z = (d - np.mean(null)) / max(np.std(null), 1e-12)
    members = [segs[row_of[m]] for m in t["members"]]
    neutral = sum(1 for s in members if s["facets"].get("emotion", {}).get("labels") == ["neutral"]) / len(members)
    mark = "*" if dom[j] in top5 else " "
    print(f"  {t['rank']:3d} {len(docsets[j]):4d} cos {C[j] @ g:.3f} int {t['score_parts']['intensity']:.3f} "
          f"neutral {neutral:.2f} jsd-z {z:5.1f} {mark}{dom[j][:40]}")

try:
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
except ImportError:
    sys.exit("3. skipped: scikit-learn is not installed")
print("3. document-level themes: top-5 issues covered by the five largest clusters")
D = np.load(doc_npy).astype(np.float64)
D /= np.linalg.norm(D, axis=1, keepdims=True)
M, F, n = np.zeros_like(D), np.zeros_like(D), np.zeros(len(D))
for k in analysed:
    i = segs[k]["line"] - 1
    M[i] += E[k]
    n[i] += 1
    if n[i] <= 3:
        F[i] += E[k]
M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-12)
F /= np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)
tf = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), min_df=3, sublinear_tf=True).fit_transform(r["text"] for r in rows)
T = TruncatedSVD(100, random_state=0).fit_transform(tf)
T /= np.linalg.norm(T, axis=1, keepdims=True)


def cover_of(a):
    largest = [j for j, _ in collections.Counter(a).most_common(5)]
    return covered([collections.Counter(y[i] for i in np.where(a == j)[0]).most_common(1)[0][0] for j in largest])


reps = {"whole": D, "mean": M, "first3": F, "tfidf": T, "whole+tfidf": np.hstack([D, T]), "mean+tfidf": np.hstack([M, T]), "whole+mean": np.hstack([D, M])}
for name, X in reps.items():
    cells = []
    for k in (15, 20, 27, 40):
        km = [cover_of(KMeans(k, n_init=1, random_state=s).fit_predict(X)) for s in range(5)]
        ward = cover_of(AgglomerativeClustering(k, linkage="ward").fit_predict(X))
        cells.append(f"k={k}: k-means {km} Ward {ward}")
    print(f"  {name:11s} " + " | ".join(cells), flush=True)

print("  whole+mean, ten k-means++ starts per run, seeds 0-7:")
for k in (10, 12, 15, 18, 20, 24, 27, 30):
    runs = [cover_of(KMeans(k, n_init=10, random_state=s).fit_predict(reps["whole+mean"])) for s in range(8)]
    print(f"    k={k}: {runs}", flush=True)
