#!/usr/bin/env python3
"""Check that help-desk exports read like the conversation they hold.

  scripts/helpdesk_formats_check.py [WHYLINE] [WORKDIR]

Writes each of the 30 MultiDoGO calls of examples/calls (Agent:/Customer: text files) as
the JSON three help desks' APIs return for a conversation, as documented:
- Intercom: the first message in `source`, the rest as `comment` parts of
  `conversation_parts`, HTML bodies, authors `{"type": "admin"|"user", "name"}`, plus an
  assignment event and an internal note;
- Zendesk: a ticket (`requester_id` the customer) with its `comments`, authors by
  `author_id`, plus a private comment;
- Help Scout: `_embedded.threads` newest first, `customer`/`reply` threads by
  `createdBy` people, plus a note;
runs `WHYLINE ingest` (default target/release/whyline) on each folder and on the text
files, and compares segment by segment: text, noise reason and role. Exit status 1 when
any analysed text differs from the text files'.
"""
import html
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from stt_formats_check import calls, compare  # noqa: E402


def stamp(i):
    return f"2026-11-01T09:{i // 60:02d}:{i % 60:02d}Z"


def write(work):
    for d in ("intercom", "zendesk", "helpscout"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    for n, (name, turns) in enumerate(calls()):
        customer = f"Customer {n}"

        def author(sp):
            if sp == "Agent":
                return {"type": "admin", "id": "7", "name": "Sam"}
            return {"type": "user", "id": f"u{n}", "name": customer}

        first, rest = turns[0], turns[1:]
        parts = [{"type": "conversation_part", "part_type": "assignment", "body": None,
                  "author": {"type": "bot", "name": "Operator"}}]
        for i, (sp, t) in enumerate(rest):
            parts.append({"type": "conversation_part", "part_type": "comment",
                          "body": f"<p>{html.escape(t)}</p>", "author": author(sp),
                          "created_at": 1793527200 + i})
            if i == 1:
                parts.append({"type": "conversation_part", "part_type": "note",
                              "body": "<p>internal: check the account</p>",
                              "author": author("Agent")})
        intercom = {
            "type": "conversation", "id": name,
            "source": {"type": "conversation", "body": f"<p>{html.escape(first[1])}</p>",
                       "author": author(first[0]),
                       "delivered_as": "admin_initiated" if first[0] == "Agent"
                       else "customer_initiated"},
            "conversation_parts": {"type": "conversation_part.list",
                                   "conversation_parts": parts,
                                   "total_count": len(parts)},
        }
        ids = {"Agent": 381, "Customer": 20978300 + n}
        comments = [{"id": i, "type": "Comment", "author_id": ids[sp], "body": t,
                     "public": True, "created_at": stamp(i)}
                    for i, (sp, t) in enumerate(turns)]
        comments.insert(2, {"id": 999, "type": "Comment", "author_id": 381,
                            "body": "internal: refund approved", "public": False,
                            "created_at": stamp(1)})
        zendesk = {"ticket": {"id": n, "subject": name, "requester_id": ids["Customer"]},
                   "comments": comments}
        threads = []
        for i, (sp, t) in enumerate(turns):
            who = ({"id": 9, "type": "user", "first": "Sam", "last": "Lee"} if sp == "Agent"
                   else {"id": 200 + n, "type": "customer", "first": "Customer", "last": str(n)})
            threads.append({"id": i, "type": "reply" if sp == "Agent" else "customer",
                            "body": f"<p>{html.escape(t)}</p>", "createdBy": who,
                            "createdAt": stamp(i)})
        threads.insert(1, {"id": 999, "type": "note", "body": "escalate",
                           "createdBy": {"id": 9, "type": "user", "first": "Sam"},
                           "createdAt": stamp(0)})
        helpscout = {"id": n, "number": 3000 + n, "subject": name,
                     "_embedded": {"threads": list(reversed(threads))}}
        for d, v in (("intercom", intercom), ("zendesk", zendesk), ("helpscout", helpscout)):
            with open(os.path.join(work, d, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(v, f, indent=1)


def main():
    whyline = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/whyline")
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="whyline-helpdesk-")
    write(work)
    folders = (("intercom", "Intercom"), ("zendesk", "Zendesk"), ("helpscout", "Help Scout"))
    sys.exit(0 if compare(whyline, work, folders) else 1)


if __name__ == "__main__":
    main()
