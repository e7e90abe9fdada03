#!/usr/bin/env python3
"""Do the insights' trends find a theme that grows, and only that one?

  scripts/trend_check.py WORKDIR [BINARY] [planted|cfpb|both]   (default: planted)
  PER=100 scripts/trend_check.py ...                             (messages per intent)

Planted trends on real texts (README, "Trends over time"): for seeds 1-5, 20 Banking77
intents x PER messages (default 40; banking77-train intents with that many or more, intents and messages drawn
with the seed), each message one document dated in 2026. 18 intents get days drawn
uniformly over the year; one intent ("rising") gets days drawn with a density growing over
the year and one ("falling") the mirror: "strong", density 2t (t from 0 to 1 over the
year: 3 times as many in the second half as in the first, a reason that emerges), and
"mild", density 1 + 3t (1.86 times). The same samples with every intent uniform are the
null runs. The texts are real and the
encoder, clustering and test are the real ones; only the dates are drawn.

`whyline run FILE --out DIR --no-facets` on each file; then, for every theme with a trend,
its plurality intent by documents. Prints per run the themes named rising or falling, and
totals: how many planted intents were found (a theme whose plurality is the intent named
in its direction), and how many themes were named rising or falling whose plurality is an
intent with uniform dates (false alarms; the null runs count all of them).

Real dates, no planted trend: with `cfpb` as a third argument it also runs the 1,226 CFPB
complaints of ../shared/data/cfpb_complaints (their `date_received`, 2015-2020) and prints
the themes named rising or falling beside the same rank-sum test run on the complaints'
gold issues and companies (each Holm-corrected over the issues or the companies with 5 or
more complaints), to read whether a named theme's plurality issue and company move the
same way.
"""
import collections
import json
import math
import os
import random
import subprocess
import sys

SHARED = os.environ.get("WHYLINE_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
work = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "target", "release", "whyline")
what = sys.argv[3] if len(sys.argv) > 3 else "planted"
cfpb = what in ("cfpb", "both")
PER = int(os.environ.get("PER", "40"))
os.makedirs(work, exist_ok=True)

by = collections.defaultdict(list)
for line in open(os.path.join(SHARED, "eval", "banking77-train.jsonl")):
    r = json.loads(line)
    by[r["label"]].append(r)
labels = sorted(k for k in by if len(by[k]) >= PER)
DAY0 = 20454  # 2026-01-01


def day(rnd, shape):
    kind, _, strength = shape.partition("-")
    if kind == "uniform":
        t = rnd.random()
    elif strength == "strong":
        # density 2t on [0, 1]: inverse of the CDF t^2
        t = math.sqrt(rnd.random())
    else:
        # density 1 + 3t on [0, 1]: inverse of the CDF (t + 1.5 t^2) / 2.5
        u = rnd.random() * 2.5
        t = (-1 + math.sqrt(1 + 6 * u)) / 3
    if kind == "falling":
        t = 1 - t
    return DAY0 + min(364, int(t * 365))


def iso(d):
    import datetime
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=d)).isoformat()


def plurality(label, docs):
    """The most frequent label among the documents and its count; ties go to the
    label first in sort order, so that the figures do not depend on set order."""
    c = collections.Counter(label.get(d, "?") for d in docs)
    return min(c.items(), key=lambda kv: (-kv[1], kv[0]))


def run(path, out):
    subprocess.run([binary, "run", path, "--out", out, "--no-facets", "-q"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ins = json.load(open(os.path.join(out, "insights.json")))
    seg_doc = {}
    for line in open(os.path.join(out, "segments.jsonl")):
        s = json.loads(line)
        # the record's own id (the document id is a hash of it)
        seg_doc[s["id"]] = (s.get("meta") or {}).get("id", s["doc"])
    return ins, seg_doc


totals = collections.Counter()
for seed in range(1, 6) if what in ("planted", "both") else []:
    rnd = random.Random(seed)
    ints = sorted(rnd.sample(labels, 20))
    rising, falling = rnd.sample(ints, 2)
    msgs = [(k, r) for k in ints for r in rnd.sample(by[k], PER)]
    for kind in ("strong", "mild", "null"):
        rd = random.Random(seed * 100 + ["strong", "mild", "null"].index(kind))
        rows = []
        gold = {}
        for k, r in msgs:
            shape = "uniform"
            if kind != "null" and k == rising:
                shape = "rising-" + kind
            if kind != "null" and k == falling:
                shape = "falling-" + kind
            rows.append({"id": r["id"], "text": r["text"], "date": iso(day(rd, shape))})
            gold[r["id"]] = k
        path = os.path.join(work, f"b77_{PER}_{kind}_{seed}.jsonl")
        with open(path, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        ins, seg_doc = run(path, os.path.join(work, f"out_{PER}_{kind}_{seed}"))
        tested = 0
        named = []
        for i in ins["insights"] + ins["weak_signals"]:
            t = i.get("trend")
            if not t:
                continue
            tested += 1
            docs = {seg_doc[m] for m in i["members"]}
            top, n = plurality(gold, docs)
            if t["direction"] != "steady":
                named.append((i["theme"], t["direction"], top, n, len(docs), t["early_share"], t["late_share"], t["p"]))
        found = {d for (_, d, top, *_rest) in named if (d == "rising" and top == rising) or (d == "falling" and top == falling)}
        false = [x for x in named if x[2] not in (rising, falling) or kind == "null"]
        totals[f"{kind}_tested"] += tested
        totals[f"{kind}_false"] += len(false)
        if kind != "null":
            totals[f"{kind}_found"] += len(found)
            totals[f"{kind}_planted"] += 2
        print(f"seed {seed} {kind}: {len(ins['insights']) + len(ins['weak_signals'])} themes, {tested} tested;"
              f" rising={rising if kind != 'null' else '-'} falling={falling if kind != 'null' else '-'}")
        for x in named:
            print(f"   {x[0]} {x[1]}: plurality {x[2]} ({x[3]} of {x[4]} docs), shares {x[5]:.3f} -> {x[6]:.3f}, p {x[7]}")
for kind in ("strong", "mild") if totals else []:
    print(f"{kind}: planted intents found {totals[kind + '_found']} of {totals[kind + '_planted']};"
          f" false alarms {totals[kind + '_false']} of {totals[kind + '_tested']} themes tested")
if totals:
    print(f"null: false alarms {totals['null_false']} of {totals['null_tested']} themes tested")

if cfpb:
    rows = [json.loads(l) for l in open(os.path.join(SHARED, "data", "cfpb_complaints", "complaints.jsonl"))]
    path = os.path.join(work, "cfpb.jsonl")
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps({"id": str(r["complaint_id"]), "text": r["narrative"],
                                "date_received": r["date_received"]}) + "\n")
    ins, seg_doc = run(path, os.path.join(work, "out_cfpb"))
    issue = {str(r["complaint_id"]): r["issue"] for r in rows}
    company = {str(r["complaint_id"]): r["company"] for r in rows}
    dates = {str(r["complaint_id"]): tuple(int(x) for x in r["date_received"].split("/")) for r in rows}
    print(f"cfpb: dates {ins['corpus'].get('dates', {}).get('unit')} from {ins['corpus'].get('dates', {}).get('first')}"
          f" to {ins['corpus'].get('dates', {}).get('last')}")
    # gold: rank-sum test of each issue's complaints' dates against the rest
    order = sorted(dates, key=lambda d: dates[d])
    rank = {}
    i = 0
    ties = 0.0
    while i < len(order):
        j = i
        while j < len(order) and dates[order[j]] == dates[order[i]]:
            j += 1
        t = j - i
        ties += t ** 3 - t
        for d in order[i:j]:
            rank[d] = i + (t + 1) / 2
        i = j
    n = len(order)

    def gold_trends(label, what):
        gold = []
        for k in sorted(set(label.values())):
            docs = [d for d in order if label[d] == k]
            n1 = len(docs)
            if n1 < 5 or n - n1 < 5:
                continue
            var = n1 * (n - n1) / 12 * ((n + 1) - ties / (n * (n - 1)))
            z = (sum(rank[d] for d in docs) - n1 * (n + 1) / 2) / math.sqrt(var)
            gold.append([k, n1, z, math.erfc(abs(z) / math.sqrt(2))])
        gold.sort(key=lambda g: g[3])
        m = len(gold)
        run_max = 0.0
        for r, g in enumerate(gold):
            run_max = max(run_max, min(1.0, (m - r) * g[3]))
            g[3] = run_max
        print(f"gold {what} tested {m}; moving (Holm p < 0.05): " + "; ".join(
            f"{g[0]} ({g[1]}, z {g[2]:+.2f}, p {g[3]:.3g})" for g in gold if g[3] < 0.05))
        return {g[0]: ("rising" if g[2] > 0 else "falling") for g in gold if g[3] < 0.05}

    moving = gold_trends(issue, "issues")
    moving_co = gold_trends(company, "companies")
    for i in ins["insights"] + ins["weak_signals"]:
        t = i.get("trend")
        if not t or t["direction"] == "steady":
            continue
        docs = {seg_doc[m] for m in i["members"]}
        top, k = plurality(issue, docs)
        co, kc = plurality(company, docs)
        print(f"   {i['theme']} {i['headline'][:50]!r} {t['direction']} (p {t['p']}, shares {t['early_share']:.3f} -> {t['late_share']:.3f}):"
              f" plurality issue {top} ({k} of {len(docs)}; gold {moving.get(top, 'steady')}),"
              f" company {co} ({kc}; gold {moving_co.get(co, 'steady')})")
