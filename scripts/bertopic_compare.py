#!/usr/bin/env python3
"""BERTopic with its defaults (UMAP + HDBSCAN + c-TF-IDF) on the SAME embeddings
whyline clustered, and the same NMI/ARI/outlier/theme-count figures.

Usage: scripts/bertopic_compare.py OUTDIR
OUTDIR is what `cargo bench --bench theme_quality -- FILE OUTDIR` wrote:
embeddings.npy, labels.txt, whyline-r*.txt. Needs `pip install --no-deps bertopic`
plus umap-learn hdbscan scikit-learn pandas numpy tqdm. Figures printed as one
line per method; NMI/ARI count BERTopic's -1 (and whyline's outliers) as one cluster.
"""
import glob
import os
import sys
import types

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

# BERTopic imports sentence-transformers at import time only for its default
# embedding backend; we pass precomputed embeddings, so a stub is enough.
if "sentence_transformers" not in sys.modules:
    try:
        import sentence_transformers  # noqa: F401
    except Exception:
        st = types.ModuleType("sentence_transformers")
        st.SentenceTransformer = object
        sys.modules["sentence_transformers"] = st

out = sys.argv[1]
emb = np.load(os.path.join(out, "embeddings.npy"))
labels = open(os.path.join(out, "labels.txt")).read().split("\n")[: len(emb)]
texts = None
if len(sys.argv) > 2:
    import json
    texts = [json.loads(l)["text"] for l in open(sys.argv[2])]


def report(name, pred):
    pred = np.asarray(pred)
    inl = pred >= 0
    print(
        f"{name}: themes={len(set(pred[inl]))} outliers={np.mean(~inl):.3f} "
        f"NMI={normalized_mutual_info_score(labels, pred):.4f} ARI={adjusted_rand_score(labels, pred):.4f} "
        f"NMI_inliers={normalized_mutual_info_score(np.asarray(labels)[inl], pred[inl]):.4f} "
        f"ARI_inliers={adjusted_rand_score(np.asarray(labels)[inl], pred[inl]):.4f}"
    )


for f in sorted(glob.glob(os.path.join(out, "whyline-r*.txt"))):
    pred = [int(x) for x in open(f).read().split()]
    report("whyline " + os.path.basename(f)[8:-4], pred)

from bertopic import BERTopic  # noqa: E402

if texts is None:
    texts = [f"doc {i}" for i in range(len(emb))]
for seed in (42, 7):
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(texts, embeddings=emb)
    report(f"bertopic-defaults(umap seed {seed})", topics)
