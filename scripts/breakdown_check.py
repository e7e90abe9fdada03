#!/usr/bin/env python3
"""Do the breakdowns name the value a theme is concentrated in, and only that?

  scripts/breakdown_check.py WORKDIR [BINARY] [planted|cfpb|both]   (default: both)
  PER=100 scripts/breakdown_check.py ...                             (messages per intent)
  TAGS=1 scripts/breakdown_check.py WORKDIR BINARY planted            (a list column)

Planted (README, "Where an insight comes up most"): for seeds 1-5, 20 Banking77 intents x
PER messages (default 40; intents and messages drawn with the seed), each message one
document with a `channel` drawn at random: app 50%, web 30%, phone 20%. Two intents get
more phone: "strong" 60% (3 times the base rate), "mild" 40% (2 times), the rest app and
web in the same 5:3 proportion. The same samples with every intent at the base rates are
the null runs. The texts, encoder, clustering and test are the real ones; only the channels
are drawn. `whyline run FILE --out DIR --no-facets --by channel`; then, for every theme,
its plurality intent by documents. Counts how many planted intents were found (a theme
whose plurality is the intent names `phone`), and how many values were named for themes
whose plurality intent was not planted (false alarms; in the null runs, every named value).
With TAGS=1 the channel is one of a list, `tags`: [channel] plus each of `vip`, `returning`
and `promo` with probability 0.3, drawn independently of the intent (broken down with
`--by tags`; a list's values are each tested).

Real (`cfpb`): the 1,226 CFPB complaints of ../shared/data/cfpb_complaints with their
`product`, broken down by it; prints each named value beside the theme's plurality product
and issue. Then the same complaints with the products shuffled among them (seeds 1-5): any
value named there is a false alarm.
"""
import collections
import json
import os
import random
import subprocess
import sys

SHARED = os.environ.get("WHYLINE_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
work = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "target", "release", "whyline")
what = sys.argv[3] if len(sys.argv) > 3 else "both"
PER = int(os.environ.get("PER", "40"))
TAGS = os.environ.get("TAGS", "") not in ("", "0")
os.makedirs(work, exist_ok=True)


def run(path, out, column):
    subprocess.run([binary, "run", path, "--out", out, "--no-facets", "-q", "--by", column, "--date", ""],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ins = json.load(open(os.path.join(out, "insights.json")))
    seg_doc = {}
    for line in open(os.path.join(out, "segments.jsonl")):
        s = json.loads(line)
        # the record's own id (the document id is a hash of it)
        seg_doc[s["id"]] = (s.get("meta") or {}).get("id", s["doc"])
    return ins, seg_doc


def themes(ins):
    return ins["insights"] + ins["weak_signals"]


def plurality(label, docs):
    """The most frequent label among the documents and its count; ties go to the
    label first in sort order, so that the figures do not depend on set order."""
    c = collections.Counter(label.get(d, "?") for d in docs)
    return min(c.items(), key=lambda kv: (-kv[1], kv[0]))


def channel(rnd, phone):
    u = rnd.random()
    if u < phone:
        return "phone"
    return "app" if rnd.random() < 5 / 8 else "web"


if what in ("planted", "both"):
    by = collections.defaultdict(list)
    for line in open(os.path.join(SHARED, "eval", "banking77-train.jsonl")):
        r = json.loads(line)
        by[r["label"]].append(r)
    labels = sorted(k for k in by if len(by[k]) >= PER)
    totals = collections.Counter()
    for seed in range(1, 6):
        rnd = random.Random(seed)
        ints = sorted(rnd.sample(labels, 20))
        strong, mild = rnd.sample(ints, 2)
        msgs = [(k, r) for k in ints for r in rnd.sample(by[k], PER)]
        for kind in ("planted", "null"):
            rd = random.Random(seed * 100 + (kind == "null"))
            gold = {}
            path = os.path.join(work, f"b77_{PER}_{kind}_{seed}{'_tags' if TAGS else ''}.jsonl")
            with open(path, "w") as f:
                for k, r in msgs:
                    phone = 0.2
                    if kind == "planted" and k == strong:
                        phone = 0.6
                    if kind == "planted" and k == mild:
                        phone = 0.4
                    row = {"id": r["id"], "text": r["text"], "channel": channel(rd, phone)}
                    if TAGS:
                        row["tags"] = [row.pop("channel")] + [t for t in ("vip", "returning", "promo") if rd.random() < 0.3]
                    f.write(json.dumps(row) + "\n")
                    gold[r["id"]] = k
            ins, seg_doc = run(path, os.path.join(work, f"out_{PER}_{kind}_{seed}{'_tags' if TAGS else ''}"),
                               "tags" if TAGS else "channel")
            found = set()
            false = []
            for i in themes(ins):
                docs = {seg_doc[m] for m in i["members"]}
                top, n = plurality(gold, docs)
                for s in i.get("by", []):
                    line = (f"   {i['theme']} plurality {top} ({n} of {len(docs)}): {s['value']} {s['documents']} of {s['of']}"
                            f" ({s['share']:.2f} vs {s['corpus_share']:.2f}, {s['lift']:.2f}x, p {s['p']})")
                    if kind == "planted" and top in (strong, mild) and s["value"] == "phone":
                        found.add(top)
                        print(line + " [planted]")
                    else:
                        false.append(line)
                        print(line + " [false alarm]")
            totals[f"{kind}_themes"] += len(themes(ins))
            totals[f"{kind}_false"] += len(false)
            if kind == "planted":
                totals["strong_found"] += strong in found
                totals["mild_found"] += mild in found
            print(f"seed {seed} {kind}: {len(themes(ins))} themes; strong={strong} mild={mild}"
                  f" found {sorted(found)}; false alarms {len(false)}")
    print(f"planted{' (tags)' if TAGS else ''}, {PER} per intent: strong (3x) found {totals['strong_found']} of 5, mild (2x)"
          f" {totals['mild_found']} of 5; false alarms {totals['planted_false']} over {totals['planted_themes']} themes;"
          f" null runs: {totals['null_false']} over {totals['null_themes']} themes")

if what in ("cfpb", "both"):
    rows = [json.loads(l) for l in open(os.path.join(SHARED, "data", "cfpb_complaints", "complaints.jsonl"))]
    product = {str(r["complaint_id"]): r["product"] for r in rows}
    issue = {str(r["complaint_id"]): r["issue"] for r in rows}
    for seed in range(0, 6):
        values = [r["product"] for r in rows]
        if seed:
            random.Random(seed).shuffle(values)
        path = os.path.join(work, f"cfpb_{seed}.jsonl")
        with open(path, "w") as f:
            for r, v in zip(rows, values):
                f.write(json.dumps({"id": str(r["complaint_id"]), "text": r["narrative"], "product": v}) + "\n")
        ins, seg_doc = run(path, os.path.join(work, f"out_cfpb_{seed}"), "product")
        named = [(i, s) for i in themes(ins) for s in i.get("by", [])]
        label = "real products" if seed == 0 else f"products shuffled (seed {seed})"
        print(f"cfpb, {label}: {len(themes(ins))} themes, {len(named)} values named"
              f" ({sum(1 for i, _ in named if i in ins['insights'])} on insights)")
        if seed == 0:
            agree = 0
            for i, s in named:
                docs = {seg_doc[m] for m in i["members"]}
                top, n = plurality(product, docs)
                top_issue, k = plurality(issue, docs)
                agree += top == s["value"]
                print(f"   #{i['rank']} {i['headline'][:50]!r}: {s['value']} {s['documents']} of {s['of']}"
                      f" ({s['share']:.2f} vs {s['corpus_share']:.2f}, {s['lift']:.2f}x, p {s['p']});"
                      f" plurality product {top} ({n}), issue {top_issue} ({k})")
            print(f"   named values that are the theme's plurality product: {agree} of {len(named)}")
        else:
            for i, s in named:
                print(f"   false alarm: #{i['rank']} {s['value']} {s['documents']} of {s['of']} (lift {s['lift']:.2f}, p {s['p']})")
