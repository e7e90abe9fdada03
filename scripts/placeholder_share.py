#!/usr/bin/env python3
"""How much of each insight is made of sentences holding a placeholder (README, "Redaction masks").

  scripts/placeholder_share.py OUT_DIR [PLACEHOLDER]      (default: [NAME])

Reads a `whyline run` output folder (insights.json, segments.jsonl) and prints the share of
analysed sentences holding the placeholder, the outlier share, and per kind (insights, weak
signals) the three themes with the largest share of member sentences holding it and how
many are more than half made of them. E.g. after
`whyline run ../shared/data/goemotions/dev.tsv --out /tmp/ge`.
"""
import json
import sys

out = sys.argv[1]
pat = sys.argv[2] if len(sys.argv) > 2 else "[NAME]"
seg = {}
for line in open(f"{out}/segments.jsonl"):
    s = json.loads(line)
    seg[s["id"]] = s
ins = json.load(open(f"{out}/insights.json"))
analysed = [s for s in seg.values() if s.get("noise") is None]
base = sum(pat in s["text"] for s in analysed) / len(analysed)
outliers = sum(s.get("theme") is None for s in analysed) / len(analysed)
print(f"analysed {len(analysed)}, with {pat}: {base:.1%}; outliers {outliers:.1%}")
for kind in ("insights", "weak_signals"):
    rows = []
    for i in ins[kind]:
        m = i["members"]
        k = sum(pat in seg[x]["text"] for x in m)
        rows.append((k / len(m), i.get("rank", 0), i["headline"][:60], len(m)))
    top = sorted(rows, reverse=True)[:3]
    print(f"{kind}: {len(rows)}; largest shares:",
          "; ".join(f"{r[0]:.0%} #{r[1]} {r[2]!r} ({r[3]})" for r in top))
    print(f"  more than half: {sum(r[0] > 0.5 for r in rows)}")
