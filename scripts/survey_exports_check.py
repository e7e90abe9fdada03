#!/usr/bin/env python3
"""One survey written as Qualtrics exports it, as CSV and as JSON: does whyline read both alike?

  scripts/survey_exports_check.py WORKDIR [WHYLINE]

Writes WORKDIR/qualtrics.csv (the default CSV export: ids, question texts and import ids in
three header rows) and WORKDIR/qualtrics.json (the response-export API and JSON download:
`{"responses": [{"responseId", "values", "labels", "displayedFields", ...}]}`) for the same
240 respondents, runs `whyline ingest` on each and compares segment by segment: text, noise
reason, and the question each answer names; then the outcome each gives (`whyline run` is
not needed for that: the NPS score and group columns are read from the segments' `meta`).
Answers are real Banking77 messages (../shared/eval/banking77-train.jsonl, seeded); the
scores are made up to differ by topic, so they say nothing about Banking77.
"""
import collections
import csv
import json
import os
import random
import subprocess
import sys

work = sys.argv[1]
whyline = sys.argv[2] if len(sys.argv) > 2 else "target/release/whyline"
shared = os.environ.get("WHYLINE_SHARED_DIR", "../shared")
os.makedirs(work, exist_ok=True)
rnd = random.Random(7)
by = collections.defaultdict(list)
for line in open(f"{shared}/eval/banking77-train.jsonl"):
    r = json.loads(line)
    by[r["label"]].append(r["text"])
topics = ["card_arrival", "exchange_rate", "top_up_failed", "lost_or_stolen_card", "request_refund"]
score_of = {"card_arrival": 3, "exchange_rate": 6, "top_up_failed": 2, "lost_or_stolen_card": 5,
            "request_refund": 4}
rows = []
for i in range(240):
    t = topics[i % len(topics)]
    nps = max(0, min(10, score_of[t] + rnd.randint(-2, 3)))
    group = "Detractor" if nps <= 6 else "Passive" if nps <= 8 else "Promoter"
    reason = rnd.choice(by[t])
    more = rnd.choice(by[rnd.choice(topics)]) if i % 3 == 0 else ""
    rows.append((f"R_{i:04d}", nps, group, reason, more))

questions = ["How likely are you to recommend us to a friend or colleague?",
             "What is the main reason for your score?", "Is there anything else you would like to tell us?"]
with open(f"{work}/qualtrics.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["ResponseId", "Q1", "Q1_NPS_GROUP", "Q2", "Q4"])
    w.writerow(["Response ID", questions[0], questions[0] + " - Group", questions[1], questions[2]])
    w.writerow([json.dumps({"ImportId": k}) for k in ["_recordId", "QID1", "QID1_NPS_GROUP", "QID2_TEXT", "QID4_TEXT"]])
    for r in rows:
        w.writerow(r)
responses = []
for rid, nps, group, reason, more in rows:
    values = {"QID1": nps, "QID1_NPS_GROUP": {"Detractor": 1, "Passive": 2, "Promoter": 3}[group],
              "QID2_TEXT": reason}
    if more:
        values["QID4_TEXT"] = more
    responses.append({"responseId": rid, "values": values,
                      "labels": {"QID1": str(nps), "QID1_NPS_GROUP": group},
                      "displayedFields": ["QID1", "QID2_TEXT", "QID4_TEXT"],
                      "displayedValues": {"QID1": list(range(11))}})
json.dump({"responses": responses}, open(f"{work}/qualtrics.json", "w"), indent=1)


def ingest(name):
    p = subprocess.run([whyline, "ingest", f"{work}/{name}"], capture_output=True, text=True)
    segs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return segs, p.stderr.strip().splitlines()


a, a_err = ingest("qualtrics.csv")
b, b_err = ingest("qualtrics.json")
question_ids = {questions[1]: "QID2", questions[2]: "QID4"}
same = sum(1 for x, y in zip(a, b) if x["text"] == y["text"] and x["noise"] == y["noise"]
           and question_ids.get(x.get("question")) == y.get("question"))
print(f"csv: {len(a)} segments, {sum(s['noise'] is None for s in a)} analysed; stderr: {a_err}")
print(f"json: {len(b)} segments, {sum(s['noise'] is None for s in b)} analysed; stderr: {b_err}")
print(f"identical (text, noise, question by id): {same} of {max(len(a), len(b))}")
for name, segs, score, group in [("csv", a, "Q1", "Q1_NPS_GROUP"), ("json", b, "QID1", "QID1_NPS_GROUP")]:
    docs = {s["doc"]: s["meta"] for s in segs}
    vals = [m.get(score) for m in docs.values()]
    groups = collections.Counter(m.get(group) for m in docs.values())
    print(f"{name}: {len(docs)} respondents, `{score}` numeric in {sum(isinstance(v, int) for v in vals)}, "
          f"`{group}` {dict(sorted(groups.items()))}")
