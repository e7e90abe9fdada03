#!/usr/bin/env python3
"""The peer for the throughput baseline: Python sentence-transformers on the
same model files and corpus as `whyline embed` (see scripts/bench_throughput.sh).

usage: throughput_peer.py MODEL_DIR CORPUS OUT.npy [THREADS] [BATCH]
Prints one JSON line: texts, load_s, encode_s, texts_per_s.
"""
import json
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

model_dir, corpus, out = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 32
torch.set_num_threads(threads)
with open(corpus, encoding="utf-8") as f:
    texts = f.read().split("\n")
if texts and texts[-1] == "":
    texts.pop()
model = SentenceTransformer(model_dir, device="cpu")
t1 = time.perf_counter()
emb = model.encode(texts, batch_size=batch, convert_to_numpy=True, normalize_embeddings=True)
t2 = time.perf_counter()
np.save(out, emb.astype(np.float32))
print(json.dumps({
    "impl": f"sentence-transformers (torch {torch.__version__}, {threads} threads)",
    "texts": len(texts),
    "load_s": round(t1 - t0, 3),
    "encode_s": round(t2 - t1, 3),
    "texts_per_s": round(len(texts) / (t2 - t1), 1),
}))
