#!/usr/bin/env python3
"""Ranking check on cfpb-issue.jsonl: do the top-5 insights' dominant gold issues
cover the 5 most frequent gold issues (target: >= 4 of 5)?

  whyline run /work/shared/eval/cfpb-issue.jsonl --out RUNDIR
  scripts/cfpb_ranking.py /work/shared/eval/cfpb-issue.jsonl RUNDIR

A theme's dominant gold issue is the most frequent `label` among its distinct member
documents (the label travels in each segment's `meta`); that count is the target. The
plurality over member segments (a long complaint counts once per sentence in the theme) is
printed after it for reference only.
"""
import collections
import json
import os
import sys

gold_file, run = sys.argv[1], sys.argv[2]
gold = collections.Counter(json.loads(l)["label"] for l in open(gold_file))
top5 = [k for k, _ in gold.most_common(5)]
seg = {}
for l in open(os.path.join(run, "segments.jsonl")):
    s = json.loads(l)
    seg[s["id"]] = (s["doc"], s["meta"].get("label"))
ins = json.load(open(os.path.join(run, "insights.json")))
ranked = (ins["insights"] + ins["weak_signals"])[:5]
dom, seg_dom = [], []
for i in ranked:
    docs = {seg[m][0]: seg[m][1] for m in i["members"] if m in seg}
    c = collections.Counter(docs.values())
    d, n = c.most_common(1)[0]
    dom.append(d)
    seg_dom.append(collections.Counter(seg[m][1] for m in i["members"] if m in seg).most_common(1)[0][0])
    print(f"#{i['rank']} {i['headline'][:70]!r}: {len(docs)} docs, dominant issue {d!r} ({n}/{len(docs)})")
print("5 most frequent gold issues:", top5)
hit = len(set(dom) & set(top5))
print(f"covered: {hit} of 5")
print(f"(for reference, by member segments instead of documents: {len(set(seg_dom) & set(top5))} of 5)")
