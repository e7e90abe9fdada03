#!/usr/bin/env python3
"""ONNX Runtime peer for scripts/bench_throughput.sh: the encoder exported by
benches/ort_export.py, run the way sentence-transformers runs it (texts sorted
by length, batches padded to their longest member, mean pooling over the
attention mask, L2 normalisation), on the same corpus and thread count.

usage: ort_peer.py MODEL_DIR MODEL.onnx CORPUS OUT.npy [THREADS] [BATCH] [LABEL]
Prints one JSON line: impl, texts, load_s, encode_s, texts_per_s.
"""
import json
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

model_dir, onnx_path, corpus, out = sys.argv[1:5]
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
batch = int(sys.argv[6]) if len(sys.argv) > 6 else 32
label = sys.argv[7] if len(sys.argv) > 7 else "fp32"
with open(corpus, encoding="utf-8") as f:
    texts = f.read().split("\n")
if texts and texts[-1] == "":
    texts.pop()
max_len = 256
try:
    with open(f"{model_dir}/sentence_bert_config.json", encoding="utf-8") as f:
        max_len = json.load(f).get("max_seq_length", 256)
except OSError:
    pass
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.no_padding()
tok.enable_truncation(max_len)
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
t1 = time.perf_counter()

# Time from here includes tokenising, as sentence-transformers' encode() does.
enc = tok.encode_batch(texts)
order = sorted(range(len(texts)), key=lambda i: -len(enc[i].ids))
emb = np.zeros((len(texts), 0), dtype=np.float32)
parts = {}
for s in range(0, len(order), batch):
    idx = order[s : s + batch]
    seq = max(len(enc[i].ids) for i in idx)
    ids = np.zeros((len(idx), seq), dtype=np.int64)
    mask = np.zeros((len(idx), seq), dtype=np.int64)
    for r, i in enumerate(idx):
        e = enc[i].ids
        ids[r, : len(e)] = e
        mask[r, : len(e)] = 1
    (hidden,) = sess.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    for r, i in enumerate(idx):
        parts[i] = pooled[r]
emb = np.stack([parts[i] for i in range(len(texts))]).astype(np.float32)
t2 = time.perf_counter()
np.save(out, emb)
print(json.dumps({
    "impl": f"ONNX Runtime {ort.__version__} {label} ({threads} threads)",
    "texts": len(texts),
    "load_s": round(t1 - t0, 3),
    "encode_s": round(t2 - t1, 3),
    "texts_per_s": round(len(texts) / (t2 - t1), 1),
}))
