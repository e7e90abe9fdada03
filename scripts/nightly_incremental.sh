#!/usr/bin/env bash
# A nightly re-run after 10% new documents, against the cold run, in one invocation.
#
#   scripts/nightly_incremental.sh [WHYLINE_BINARY] [WORKDIR]
#
# Night 1: the first 10/11 of banking77-train (9,094 support messages, one document
# each) in night1.jsonl, run cold: a fresh WHYLINE_HOME holding only the model, so
# every embedding is computed. Night 2: the same file plus new.jsonl (the other 909
# messages, +10%), run with the cache night 1 left. Prints both wall times, the
# ratio, and each run's stage timings (run.json). Build first: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/whyline}
W=${2:-/tmp/whyline-nightly}
if [ -z "${EVAL_DIR:-}" ]; then
  if [ -d ../shared/eval ]; then EVAL_DIR=../shared/eval; else EVAL_DIR=../../shared/eval; fi
fi
MODEL="$("$BIN" -q models path)"
rm -rf "$W"; mkdir -p "$W/home/models" "$W/night1" "$W/night2"
# a fresh home with only the model (copied, so the embedding cache starts empty)
cp -r "$(dirname "$MODEL")"/. "$W/home/models/"
SRC="$EVAL_DIR/banking77-train.jsonl"
TOTAL=$(wc -l < "$SRC")
OLD=$(( TOTAL * 10 / 11 ))
head -n "$OLD" "$SRC" > "$W/night1/night1.jsonl"
cp "$W/night1/night1.jsonl" "$W/night2/night1.jsonl"
tail -n +"$(( OLD + 1 ))" "$SRC" > "$W/night2/new.jsonl"
run() { # run NAME DIR
  local t0 t1
  t0=$(date +%s.%N)
  WHYLINE_HOME="$W/home" "$BIN" --quiet run "$2" --out "$W/out-$1" > "$W/$1.log" 2>&1 || true
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
C=$(run cold "$W/night1")
N=$(run night2 "$W/night2")
python3 - "$W" "$C" "$N" "$OLD" "$TOTAL" <<'PY'
import json, sys
w, cold, warm, old, total = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"night 1 (cold, {old} documents): {cold:.2f} s")
print(f"night 2 (+{total - old} new documents, +{(total - old) / old:.1%}): {warm:.2f} s")
print(f"ratio: {warm / cold:.1%} of the cold run (target <= 20%)")
for name in ("cold", "night2"):
    r = json.load(open(f"{w}/out-{name}/run.json"))
    print(name, "timings_ms", r.get("timings_ms"))
PY
