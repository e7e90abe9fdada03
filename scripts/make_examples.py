#!/usr/bin/env python3
"""Build the bundled example corpus in examples/ from the shared development data
(deterministic; re-run to regenerate). Sources and licences: examples/README.

- examples/calls/*.txt: MultiDoGO customer-service conversations (CDLA-Permissive-1.0),
  customer turns verbatim; the dataset keeps only customer turns, so each transcript
  gets two SYNTHETIC agent lines (an opening and a closing question, marked in the
  README) so that role handling is exercised. No timestamps are invented.
- examples/complaints.csv: CFPB complaint narratives (US public domain) with CFPB's
  own columns and one derived outcome column `outcome` = 1 when the company closed
  the complaint with monetary or non-monetary relief, else 0.
"""
import csv
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
OUT = os.path.join(ROOT, "examples")
os.makedirs(os.path.join(OUT, "calls"), exist_ok=True)

AGENT_OPEN = "Agent: Thank you for calling, how can I help you today?"
AGENT_CLOSE = "Agent: Is there anything else I can help you with?"

n_calls = 0
for domain, per in (("finance", 14), ("insurance", 8), ("airline", 8)):
    convs = {}
    with open(os.path.join(DATA, "multidogo", domain, "dev.tsv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quotechar='"'):
            convs.setdefault(row["conversationId"], []).append(
                (float(row["turnNumber"]), " ".join(row["utterance"].split()))
            )
    chosen = [c for c in sorted(convs) if len(convs[c]) >= 5][:per]
    for cid in chosen:
        turns = sorted(convs[cid])
        lines = [AGENT_OPEN] + [f"Customer: {t}" for _, t in turns if t]
        lines.insert(len(lines) - 1, AGENT_CLOSE)
        with open(os.path.join(OUT, "calls", f"{domain}-{cid[:8]}.txt"), "w", encoding="utf-8") as g:
            g.write("\n".join(lines) + "\n")
        n_calls += 1

rows = [json.loads(l) for l in open(os.path.join(DATA, "cfpb_complaints", "complaints.jsonl"), encoding="utf-8")]
rows.sort(key=lambda r: r["complaint_id"])
picked = rows[::8]
cols = ["complaint_id", "date_received", "product", "issue", "company", "state",
        "company_response", "timely_response", "outcome", "narrative"]
with open(os.path.join(OUT, "complaints.csv"), "w", newline="", encoding="utf-8") as g:
    w = csv.writer(g)
    w.writerow(cols)
    for r in picked:
        relief = 1 if r["company_response"] in ("Closed with monetary relief", "Closed with non-monetary relief") else 0
        w.writerow([r["complaint_id"], r["date_received"], r["product"], r["issue"], r["company"],
                    r["state"], r["company_response"], r["timely_response"], relief, r["narrative"]])
print(f"{n_calls} transcripts, {len(picked)} complaints")
