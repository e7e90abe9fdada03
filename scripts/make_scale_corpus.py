#!/usr/bin/env python3
"""Corpora of 10k, 50k and 200k distinct texts for the scale run (scripts/scale_run.sh).

The real texts of ../shared/eval (every file but cfpb-product, which repeats
cfpb-issue's narratives), de-duplicated and shuffled with a fixed seed: 66,977
texts. Two variants of each ("Honestly, ...", "To be clear, ...") make 200,883
distinct texts, so the run embeds every one of them (whyline embeds a repeated
text once). Usage: make_scale_corpus.py EVAL_DIR OUT_DIR
"""
import glob
import json
import os
import random
import sys

eval_dir, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
texts, seen = [], set()
for p in sorted(glob.glob(os.path.join(eval_dir, "*.jsonl"))):
    if "cfpb-product" in p:
        continue
    for line in open(p, encoding="utf-8"):
        t = json.loads(line)["text"].strip()
        if t and t not in seen:
            seen.add(t)
            texts.append(t)
random.seed(7)
random.shuffle(texts)
out = list(texts)
for pre in ["Honestly, ", "To be clear, "]:
    for t in texts:
        v = pre + t[0].lower() + t[1:]
        if v not in seen:
            seen.add(v)
            out.append(v)
print(f"{len(texts)} distinct real texts, {len(out)} with variants", file=sys.stderr)
for n in [10_000, 50_000, 200_000]:
    with open(os.path.join(out_dir, f"corpus-{n // 1000}k.jsonl"), "w", encoding="utf-8") as f:
        for i, t in enumerate(out[:n]):
            f.write(json.dumps({"id": f"r{i}", "text": t}) + "\n")
