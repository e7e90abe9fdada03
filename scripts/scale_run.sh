#!/usr/bin/env bash
# `whyline run` at 10k, 50k and 200k documents: peak RSS and each stage's time,
# so the growth of clustering with n is visible (issue: scale).
#   scripts/scale_run.sh [WHYLINE_BINARY] [WORKDIR]     (build first: cargo build --release)
# WORKDIR gets the corpora (scripts/make_scale_corpus.py) and a fresh WHYLINE_HOME
# whose models/ links to the default one, so embeddings start cold; each size
# reuses the smaller sizes' embeddings from that cache (the 'embed' column is the
# new texts only). Takes ~20 minutes on 2 cores. SIZES="10k" runs fewer sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/whyline}")
WORK=${2:-/tmp/whyline-scale}
if [ -z "${EVAL_DIR:-}" ]; then
  if [ -d ../shared/eval ]; then EVAL_DIR=../shared/eval; else EVAL_DIR=../../shared/eval; fi
fi
python3 scripts/make_scale_corpus.py "$EVAL_DIR" "$WORK"
MODELS=$(dirname "$("$BIN" -q models path)")
rm -rf "$WORK/home"; mkdir -p "$WORK/home"; ln -s "$MODELS" "$WORK/home/models"
for n in ${SIZES:-10k 50k 200k}; do
  WHYLINE_HOME="$WORK/home" /usr/bin/time -v "$BIN" --quiet run "$WORK/corpus-$n.jsonl" \
    --out "$WORK/out-$n" > /dev/null 2> "$WORK/$n.time"
  python3 - "$n" "$WORK/out-$n/run.json" "$WORK/$n.time" <<'PY'
import json, re, sys
n, run, tm = sys.argv[1:]
r = json.load(open(run)); t = r["timings_ms"]; c = r["counts"]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tm).read()).group(1))
print(f"{n}: {c['documents']} documents, {c['segments']} segments, {c['themes']} themes, "
      f"peak RSS {rss / 1024:.0f} MiB; seconds: total {t['total'] / 1000:.1f}, embed {t['embed'] / 1000:.1f}, "
      f"facets {t['facets'] / 1000:.1f}, cluster {t['cluster'] / 1000:.1f}, insights {t['insights'] / 1000:.1f}, "
      f"report {t['report'] / 1000:.1f}")
PY
done
