#!/usr/bin/env python3
"""How much whyline's themes move when a corpus changes a little, as it does from
night to night: run a JSONL corpus whole and without 1% of its records (every 100th,
at offsets 0, 33 and 66), then compare the themes of the analysed sentences each
smaller run shares with the whole run (ARI, outliers as one group), with each run's
outlier share and theme count.

  scripts/stability_drop.py WHYLINE_BINARY FILE.jsonl WORKDIR

Records are matched by their `id` field and sentence text. Deterministic.
"""
import collections
import json
import os
import subprocess
import sys

binary, src, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
recs = open(src, encoding="utf-8").read().splitlines()
variants = {"full": recs}
for off in (0, 33, 66):
    variants[f"v{off}"] = [r for i, r in enumerate(recs) if i % 100 != off]


def themes(out):
    m = {}
    for line in open(os.path.join(out, "segments.jsonl"), encoding="utf-8"):
        s = json.loads(line)
        if s["noise"] is None:
            m[(s["meta"].get("id"), s["text"])] = s["theme"] or "-"
    return m


def ari(a, b):
    c2 = lambda x: x * (x - 1) / 2
    s = sum(c2(v) for v in collections.Counter(zip(a, b)).values())
    sa = sum(c2(v) for v in collections.Counter(a).values())
    sb = sum(c2(v) for v in collections.Counter(b).values())
    e = sa * sb / c2(len(a))
    return (s - e) / ((sa + sb) / 2 - e)


runs = {}
for name, rows in variants.items():
    path = os.path.join(work, f"{name}.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    out = os.path.join(work, f"run-{name}")
    subprocess.run([binary, "--quiet", "run", path, "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs[name] = themes(out)
full = runs["full"]
for name, m in runs.items():
    share = sum(v == "-" for v in m.values()) / len(m)
    n_themes = len(set(m.values()) - {"-"})
    line = f"{name}: {len(m)} analysed, {n_themes} themes, outliers {share:.3f}"
    if name != "full":
        keys = [k for k in m if k in full]
        line += f", ARI to full {ari([full[k] for k in keys], [m[k] for k in keys]):.3f} on {len(keys)} shared"
    print(line)
