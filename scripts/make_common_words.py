#!/usr/bin/env python3
"""Build src/common_words.txt: the common English words that the segment stage
uses to tell a name or a code from a word ("details" noise: a turn that only
gives a name, a number, a code or an email).

A word is common when it appears in at least MIN_DOCS texts of two corpora in
which personal names are masked, so that names stay out of the list:
- GoEmotions train (../shared/eval/goemotions-train.jsonl; Reddit comments with
  names replaced by [NAME]; Demszky et al. 2020, CC BY 4.0);
- CFPB complaint narratives (../shared/data/cfpb_complaints*/complaints.jsonl;
  names scrubbed to XXXX by the CFPB; US government work, public domain).
Banking77 and MultiDoGO are left out on purpose: they measure the rule.

Deterministic: words are sorted. Usage: python3 scripts/make_common_words.py [SHARED]
"""
import json
import pathlib
import re
import sys

MIN_DOCS = 5
shared = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
counts = {}


def words(text):
    text = text.replace("'", "").replace("\u2019", "")
    return set(re.findall(r"[a-z]+", text.lower()))


def add(text):
    for w in words(text):
        counts[w] = counts.get(w, 0) + 1


for line in open(shared / "eval/goemotions-train.jsonl", encoding="utf-8"):
    t = json.loads(line)["text"]
    for mask in ("[NAME]", "[RELIGION]"):
        t = t.replace(mask, " ")
    add(t)
for name in ("cfpb_complaints", "cfpb_complaints_product4"):
    for line in open(shared / "data" / name / "complaints.jsonl", encoding="utf-8"):
        add(json.loads(line)["narrative"])

# masks are not words ("xxxx" is a scrubbed name or number)
keep = sorted(w for w, c in counts.items() if c >= MIN_DOCS and not re.fullmatch(r"x{2,}", w))
out = pathlib.Path(__file__).resolve().parent.parent / "src/common_words.txt"
with open(out, "w", encoding="utf-8") as f:
    f.write(
        "# Common English words, one a line: words in at least %d texts of GoEmotions train\n"
        "# (Demszky et al. 2020, CC BY 4.0; names masked as [NAME]) and the CFPB complaint\n"
        "# narratives (public domain; names scrubbed to XXXX). Built by\n"
        "# scripts/make_common_words.py; used by src/segment.rs to tell names and codes from words.\n"
        % MIN_DOCS
    )
    for w in keep:
        f.write(w + "\n")
print(f"{len(keep)} words -> {out}")
