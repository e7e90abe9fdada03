#!/usr/bin/env python3
"""Build the 5,000-sentence throughput corpus for `whyline embed` (deterministic).

Review and conversation sentences from ../shared/eval (see its README for
sources and licences):
  - 2,000 GoEmotions Reddit comments (CC BY 4.0),
  - 2,000 Banking77 customer queries (CC BY 4.0),
  - 1,000 sentences split from CFPB complaint narratives (public domain).
Rows are picked by sha256 of their id (no randomness), one text per line.
The mean is about 17 MiniLM tokens a sentence (special tokens included);
`scripts/bench_throughput.sh` prints the exact figure.

usage: make_throughput_corpus.py [EVAL_DIR] [OUT]
"""
import hashlib
import json
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
eval_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / ".." / ".." / "shared" / "eval"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else here.parent / "target" / "bench" / "throughput-5000.txt"


def rows(name):
    with open(eval_dir / name, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def clean(t):
    return " ".join(t.split())


def pick(items, n):
    items = sorted(items, key=lambda kv: hashlib.sha256(kv[0].encode()).hexdigest())
    return [t for _, t in items[:n]]


go = pick([(r["id"], clean(r["text"])) for r in rows("goemotions-train.jsonl") if 3 <= len(r["text"].split()) <= 24], 2000)
bk = pick([(r["id"], clean(r["text"])) for r in rows("banking77-train.jsonl") if len(r["text"].split()) >= 3], 2000)
sents = []
for r in rows("cfpb-issue.jsonl"):
    for j, s in enumerate(re.split(r"(?<=[.!?])\s+", clean(r["text"]))):
        if 5 <= len(s.split()) <= 20 and "XXXX" not in s:
            sents.append((f"{r['id']}-{j}", s))
cf = pick(sents, 1000)

texts = go + bk + cf
# interleave deterministically so batches mix sources as a real corpus would
texts = [t for _, t in sorted(enumerate(texts), key=lambda it: hashlib.sha256(str(it[0]).encode()).hexdigest())]
assert len(texts) == 5000, len(texts)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(texts) + "\n", encoding="utf-8")
print(f"{out}: {len(texts)} texts, {sum(len(t.split()) for t in texts) / len(texts):.1f} words on average", file=sys.stderr)
