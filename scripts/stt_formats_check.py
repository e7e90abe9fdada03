#!/usr/bin/env python3
"""Check that speech-to-text services' JSON reads like the transcript it came from.

  scripts/stt_formats_check.py [WHYLINE] [WORKDIR]

Writes each of the 30 MultiDoGO calls of examples/calls (Agent:/Customer: text files) as
AWS Transcribe Call Analytics, AssemblyAI and Deepgram JSON (one turn per utterance, 2 s
apart), as the sentence lists of AssemblyAI's `/sentences` endpoint, Fireflies and Twilio
Conversation Intelligence (each turn split into its sentences), and as Recall.ai's
meeting-bot transcript (each turn's words, the agent the meeting's host); runs `WHYLINE
ingest` (default target/release/whyline) on each folder and on the text files, and
compares segment by segment: text, noise reason and role. Call Analytics names its
participants AGENT and CUSTOMER; Recall marks the host; the others name them by letter,
number, channel or a person's name, so their roles come from whyline's heuristic. Exit
status 1 when any analysed text differs from the text files'.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def calls():
    d = os.path.join(ROOT, "examples", "calls")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".txt"):
            continue
        turns = []
        for line in open(os.path.join(d, name), encoding="utf-8"):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            head, _, rest = line.partition(":")
            if rest and head in ("Agent", "Customer"):
                turns.append([head, rest.strip()])
            elif turns:
                turns[-1][1] += " " + line.strip()
        yield name[:-4], turns


def write(work):
    for d in ("ca", "aai", "dg"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    for name, turns in calls():
        ca = {
            "JobStatus": "COMPLETED",
            "LanguageCode": "en-US",
            "Participants": [{"ParticipantRole": "AGENT"}, {"ParticipantRole": "CUSTOMER"}],
            "Transcript": [
                {
                    "Id": str(i),
                    "BeginOffsetMillis": i * 2000,
                    "EndOffsetMillis": i * 2000 + 1800,
                    "Content": t,
                    "ParticipantRole": sp.upper(),
                    "Sentiment": "NEUTRAL",
                }
                for i, (sp, t) in enumerate(turns)
            ],
        }
        aai = {
            "id": name,
            "status": "completed",
            "text": " ".join(t for _, t in turns),
            "audio_duration": len(turns) * 2,
            "utterances": [
                {
                    "speaker": "A" if sp == "Agent" else "B",
                    "start": i * 2000,
                    "end": i * 2000 + 1800,
                    "text": t,
                    "confidence": 0.9,
                    "words": [],
                }
                for i, (sp, t) in enumerate(turns)
            ],
        }
        dg = {
            "metadata": {"channels": 1},
            "results": {
                "channels": [{"alternatives": [{"transcript": "", "words": []}]}],
                "utterances": [
                    {
                        "speaker": 0 if sp == "Agent" else 1,
                        "channel": 0,
                        "start": i * 2.0,
                        "end": i * 2.0 + 1.8,
                        "transcript": t,
                        "words": [],
                    }
                    for i, (sp, t) in enumerate(turns)
                ],
            },
        }
        # one entry per sentence, 0.5 s apart within a turn
        sentences = [
            (i, j, sp, x)
            for i, (sp, t) in enumerate(turns)
            for j, x in enumerate(re.split(r"(?<=[.!?])\s+", t.strip()))
            if x
        ]
        aai_sentences = {
            "sentences": [
                {
                    "text": x,
                    "start": i * 2000 + j * 500,
                    "end": i * 2000 + j * 500 + 400,
                    "confidence": 0.9,
                    "speaker": "A" if sp == "Agent" else "B",
                    "channel": None,
                    "words": [],
                }
                for i, j, sp, x in sentences
            ],
            "id": name,
            "confidence": 0.9,
            "audio_duration": len(turns) * 2,
        }
        fireflies = {
            "data": {
                "transcript": {
                    "id": name,
                    "title": name,
                    "sentences": [
                        {
                            "index": n,
                            "speaker_name": "Sam Lee" if sp == "Agent" else "Jo Park",
                            "speaker_id": 0 if sp == "Agent" else 1,
                            "text": x,
                            "raw_text": x.lower(),
                            "start_time": i * 2 + j * 0.5,
                            "end_time": i * 2 + j * 0.5 + 0.4,
                        }
                        for n, (i, j, sp, x) in enumerate(sentences)
                    ],
                }
            }
        }
        twilio = {
            "sentences": [
                {
                    "media_channel": 1 if sp == "Agent" else 2,
                    "sentence_index": n,
                    "start_time": str(i * 2 + j * 0.5),
                    "end_time": str(i * 2 + j * 0.5 + 0.4),
                    "transcript": x,
                    "sid": f"GX{n:032d}",
                    "confidence": "0.9",
                    "words": [],
                }
                for n, (i, j, sp, x) in enumerate(sentences)
            ],
            "meta": {"page": 0, "page_size": 50},
        }
        recall = [
            {
                "participant": {
                    "id": 100 if sp == "Agent" else 200,
                    "name": "Sam Lee" if sp == "Agent" else "Jo Park",
                    "is_host": sp == "Agent",
                    "platform": "zoom",
                    "extra_data": {},
                },
                "words": [
                    {
                        "text": w,
                        "start_timestamp": {"relative": i * 2 + k * 0.1, "absolute": None},
                        "end_timestamp": {"relative": i * 2 + k * 0.1 + 0.1, "absolute": None},
                    }
                    for k, w in enumerate(t.split())
                ],
            }
            for i, (sp, t) in enumerate(turns)
        ]
        for d, v in (
            ("ca", ca),
            ("aai", aai),
            ("dg", dg),
            ("aai-sentences", aai_sentences),
            ("fireflies", fireflies),
            ("twilio", twilio),
            ("recall", recall),
        ):
            os.makedirs(os.path.join(work, d), exist_ok=True)
            with open(os.path.join(work, d, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(v, f, indent=1)


def ingest(whyline, path):
    out = subprocess.run([whyline, "ingest", path], capture_output=True, text=True, check=True)
    rows = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    return [(r["text"], r["noise"], r["role"]) for r in rows]


def compare(whyline, work, folders):
    """Ingest each `(folder, name)` under `work` and the text files; print how they
    compare; True when every folder's analysed texts are the text files'."""
    base = ingest(whyline, os.path.join(ROOT, "examples", "calls"))
    analysed = [t for t, n, _ in base if n is None]
    ok = True
    for d, name in folders:
        got = ingest(whyline, os.path.join(work, d))
        same = sum(a == b for a, b in zip(base, got))
        mine = [t for t, n, _ in got if n is None]
        print(
            f"{name}: {len(got)} segments (text files: {len(base)}), "
            f"{same} identical in text, noise and role; analysed {len(mine)} "
            f"(text files: {len(analysed)}), same texts: {mine == analysed}"
        )
        ok &= mine == analysed
    return ok


def main():
    whyline = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/whyline")
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="whyline-stt-")
    write(work)
    folders = (
        ("ca", "Call Analytics"),
        ("aai", "AssemblyAI"),
        ("dg", "Deepgram"),
        ("aai-sentences", "AssemblyAI /sentences"),
        ("fireflies", "Fireflies"),
        ("twilio", "Twilio Conversation Intelligence"),
        ("recall", "Recall.ai"),
    )
    sys.exit(0 if compare(whyline, work, folders) else 1)


if __name__ == "__main__":
    main()
