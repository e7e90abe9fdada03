#!/usr/bin/env python3
"""Build the mixed corpus for the noise-separation measurement, or score a run on it.

  scripts/noise_corpus.py build OUT.jsonl [N_REAL] [train]   # Banking77 + real fillers
  scripts/noise_corpus.py score OUT.jsonl RUNDIR     # after `whyline run OUT.jsonl --out RUNDIR`

Real messages: N_REAL (default 2000) Banking77 messages (every k-th of banking77-train).
Fillers (>= 500, all real text): MultiDoGO customer turns labelled openinggreeting,
closinggreeting or thankyou (dev splits of all 6 domains, first 200 per intent by
conversation id), and GoEmotions comments labelled only "neutral" with at most 8 words
(first 300 of goemotions-dev). A record counts as flagged when every one of its segments is
noise (any reason) or in no theme (outlier). Target: >= 90% of fillers, <= 10% of real.

Details (kind "details", since 2026-12-03): the first 300 customer turns by conversation id
that MultiDoGO labels contentonly: a turn giving only what the agent asked for (a name, a
number, a code, an e-mail address, an address, a city, a food item). They carry no reason;
the share set apart is reported, with no target (the `details` rule aims at names, numbers,
codes and e-mail addresses, not at every answer).

With `train` the MultiDoGO turns come from the train splits instead (a check on turns the
greeting/closing rules were not written from), and the corpus also holds real requests from
the same chats (kind "task": the first 100 customer turns by conversation id of each of the
ten most frequent task intents), which must not be flagged either.
"""
import csv
import json
import os
import sys

SHARED = os.environ.get("WHYLINE_SHARED", "/work/shared")


TASKS = ["startserviceintent", "orderpizzaintent", "orderdrinkintent", "changeseatassignment",
         "getproofofinsurance", "getboardingpass", "reportlostcard", "getseatinfo",
         "reportbrokensoftware", "checkclaimstatus"]


def build(path, n_real, split="dev"):
    real = [json.loads(l) for l in open(f"{SHARED}/eval/banking77-train.jsonl")]
    step = max(1, len(real) // n_real)
    rows = [{"id": r["id"], "text": r["text"], "kind": "real"} for r in real[::step][:n_real]]
    per = {"openinggreeting": [], "closinggreeting": [], "thankyou": [], "contentonly": []}
    if split == "train":
        per.update({t: [] for t in TASKS})
    for dom in sorted(os.listdir(f"{SHARED}/data/multidogo")):
        p = f"{SHARED}/data/multidogo/{dom}/{split}.tsv"
        if not os.path.isfile(p):
            continue
        with open(p, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t", quotechar='"'):
                if r["intent"] in per:
                    per[r["intent"]].append((r["conversationId"], r["turnNumber"], " ".join(r["utterance"].split())))
    for intent, turns in per.items():
        task = intent in TASKS
        kind = "task" if task else "details" if intent == "contentonly" else "filler"
        for cid, tn, t in sorted(turns)[: 100 if task else 300 if kind == "details" else 200]:
            rows.append({"id": f"mdg-{cid[:8]}-{tn}", "text": t, "kind": kind, "source": intent})
    n = 0
    for l in open(f"{SHARED}/eval/goemotions-dev.jsonl"):
        r = json.loads(l)
        if r["labels"] == ["neutral"] and len(r["text"].split()) <= 8:
            rows.append({"id": r["id"], "text": r["text"], "kind": "filler", "source": "goemotions-neutral"})
            n += 1
            if n >= 300:
                break
    with open(path, "w") as g:
        for r in rows:
            g.write(json.dumps(r) + "\n")
    print(f"{sum(r['kind']=='real' for r in rows)} real, {sum(r['kind']=='task' for r in rows)} task, "
          f"{sum(r['kind']=='filler' for r in rows)} fillers, {sum(r['kind']=='details' for r in rows)} details -> {path}")


def score(path, run):
    kinds = {}
    for i, l in enumerate(open(path), 1):
        r = json.loads(l)
        kinds[i] = (r["kind"], r.get("source", "banking77"))
    flagged, noise = {}, {}
    for l in open(os.path.join(run, "segments.jsonl")):
        s = json.loads(l)
        rec = s["record"]
        f = s["noise"] is not None or s["theme"] is None
        flagged[rec] = flagged.get(rec, True) and f
        noise[rec] = noise.get(rec, True) and s["noise"] is not None
    by = {}
    for rec, (k, src) in kinds.items():
        f = flagged.get(rec, True)  # a record with no segment at all was dropped as noise
        n = noise.get(rec, True)
        for key in (k, f"{k}:{src}"):
            a = by.setdefault(key, [0, 0, 0])
            a[0] += f
            a[1] += 1
            a[2] += n
    # "as noise": every segment of the record flagged by the noise stage itself (the rest of
    # "flagged" reached the outlier group through clustering).
    for key in sorted(by):
        a = by[key]
        print(f"{key}: flagged {a[0]}/{a[1]} = {a[0]/a[1]:.3f} (as noise {a[2]/a[1]:.3f})")


if sys.argv[1] == "build":
    build(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2000, sys.argv[4] if len(sys.argv) > 4 else "dev")
else:
    score(sys.argv[2], sys.argv[3])
