#!/usr/bin/env bash
# Throughput baseline of `whyline embed` against Python sentence-transformers,
# side by side in one run, on the 5,000-sentence corpus from ../shared/eval.
#
#   scripts/bench_throughput.sh [THREADS]      (default 2)
#
# Env: WHYLINE (binary; default target/release/whyline, else target/debug/whyline),
#      PEER_PYTHON (a python with sentence-transformers; default python3).
# Both read the same model files (`whyline models path`); both run with
# --no-cache / no cache, batch size 32, THREADS threads. Peak memory is
# /usr/bin/time -v's "Maximum resident set size". Results: target/bench/throughput.md
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${1:-2}"
BIN="${WHYLINE:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/whyline ]; then BIN=target/release/whyline; else BIN=target/debug/whyline; fi
fi
PY="${PEER_PYTHON:-python3}"
OUT=target/bench
mkdir -p "$OUT"
python3 scripts/make_throughput_corpus.py "${EVAL_DIR:-../../shared/eval}" "$OUT/throughput-5000.txt"
MODEL="$("$BIN" -q models path)"
N=$(wc -l < "$OUT/throughput-5000.txt")
TOKENS=$("$PY" - "$MODEL/tokenizer.json" "$OUT/throughput-5000.txt" <<'PYEOF' 2>/dev/null || echo "?"
import sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1]); t.no_padding(); t.enable_truncation(256)
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
print(f"{sum(len(e.ids) for e in t.encode_batch(lines)) / len(lines):.1f}")
PYEOF
)

rss() { grep "Maximum resident set size" "$1" | awk '{printf "%.0f", $NF/1024}'; }
wall() { grep "Elapsed (wall clock)" "$1" | awk '{print $NF}'; }
cpu() { awk -F: '/User time|System time/ {s += $2} END {printf "%.1fs", s}' "$1"; }
pct() { grep "Percent of CPU" "$1" | awk '{print $NF}'; }

echo "== whyline ($BIN, --threads $THREADS)"
/usr/bin/time -v "$BIN" --threads "$THREADS" embed --no-cache --batch-size 32 \
  --input "$OUT/throughput-5000.txt" --out "$OUT/whyline.npy" 2> "$OUT/whyline.time"
grep "whyline embed" "$OUT/whyline.time"
W_LINE=$(grep "whyline embed" "$OUT/whyline.time")

echo "== sentence-transformers ($PY, $THREADS threads)"
PEER_JSON=$(/usr/bin/time -v "$PY" benches/throughput_peer.py "$MODEL" "$OUT/throughput-5000.txt" "$OUT/peer.npy" "$THREADS" 32 2> "$OUT/peer.time" | tail -1)
echo "$PEER_JSON"

COS=$("$PY" - "$OUT/whyline.npy" "$OUT/peer.npy" <<'PYEOF' 2>/dev/null || echo "?"
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"min cosine {float((a * b).sum(1).min()):.7f}, max |diff| {float(np.abs(a - b).max()):.2e}")
PYEOF
)

echo "== whyline cache: cold run (fills a fresh cache), then warm re-run"
CACHE_HOME=$(mktemp -d)
t0=$(date +%s.%N)
WHYLINE_HOME="$CACHE_HOME" "$BIN" --threads "$THREADS" -q embed --model "$MODEL" \
  --input "$OUT/throughput-5000.txt" --out "$OUT/cold.npy"
t1=$(date +%s.%N)
WHYLINE_HOME="$CACHE_HOME" "$BIN" --threads "$THREADS" -q embed --model "$MODEL" \
  --input "$OUT/throughput-5000.txt" --out "$OUT/warm.npy"
t2=$(date +%s.%N)
rm -rf "$CACHE_HOME"
COLD=$(echo "$t1 - $t0" | bc); WARM=$(echo "$t2 - $t1" | bc)
if cmp -s "$OUT/cold.npy" "$OUT/warm.npy"; then SAME="byte-identical"; else SAME="DIFFERENT BYTES"; fi
CACHE_LINE="cache: cold run ${COLD}s, warm re-run ${WARM}s (speed-up $(echo "scale=0; $COLD / $WARM" | bc)x), outputs $SAME"
echo "$CACHE_LINE"

{
  echo "# whyline embed vs sentence-transformers — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "corpus: $N sentences, $TOKENS tokens on average; batch 32; $THREADS threads"
  echo
  echo "| implementation | wall (incl. load) | embed only | sentences/s (embed) | CPU time (user+sys) | CPU share | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  echo "| whyline embed --no-cache | $(wall "$OUT/whyline.time") | $(echo "$W_LINE" | sed -E 's/.*embed ([0-9.]+)s.*/\1/')s | $(echo "$W_LINE" | sed -E 's/.* ([0-9.]+) texts\/s.*/\1/') | $(cpu "$OUT/whyline.time") | $(pct "$OUT/whyline.time") | $(rss "$OUT/whyline.time") MiB |"
  echo "| $(echo "$PEER_JSON" | sed -E 's/.*"impl": "([^"]*)".*/\1/') | $(wall "$OUT/peer.time") | $(echo "$PEER_JSON" | sed -E 's/.*"encode_s": ([0-9.]+).*/\1/')s | $(echo "$PEER_JSON" | sed -E 's/.*"texts_per_s": ([0-9.]+).*/\1/') | $(cpu "$OUT/peer.time") | $(pct "$OUT/peer.time") | $(rss "$OUT/peer.time") MiB |"
  echo
  echo "agreement on the corpus: $COS"
  echo
  echo "$CACHE_LINE"
} | tee "$OUT/throughput.md"
