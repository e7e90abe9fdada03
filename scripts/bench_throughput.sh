#!/usr/bin/env bash
# Throughput of `whyline embed` (fast and candle encoders) against Python
# sentence-transformers and ONNX Runtime fp32/int8, side by side in one run, on
# the 5,000-sentence corpus from ../shared/eval.
#
#   scripts/bench_throughput.sh [THREADS]      (default 2)
#
# Env: WHYLINE (binary; default target/release/whyline, else target/debug/whyline),
#      PEER_PYTHON (a python with sentence-transformers, and onnxruntime + onnx for
#      the ONNX Runtime peers, which are skipped without it; default python3).
# The ONNX models are exported once into target/bench/onnx (benches/ort_export.py).
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
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
OUT=target/bench
mkdir -p "$OUT"
if [ -z "${EVAL_DIR:-}" ]; then
  if [ -d ../shared/eval ]; then EVAL_DIR=../shared/eval; else EVAL_DIR=../../shared/eval; fi
fi
python3 scripts/make_throughput_corpus.py "$EVAL_DIR" "$OUT/throughput-5000.txt"
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

rows=()
# row LABEL TIMEFILE SECONDS RATE
row() { rows+=("| $1 | $(wall "$2") | ${3}s | $4 | $(cpu "$2") | $(pct "$2") | $(rss "$2") MiB |"); }

echo "== whyline fast encoder ($BIN, --threads $THREADS)"
/usr/bin/time -v "$BIN" --threads "$THREADS" embed --no-cache --batch-size 32 \
  --input "$OUT/throughput-5000.txt" --out "$OUT/whyline.npy" 2> "$OUT/whyline.time"
W_LINE=$(grep "whyline embed" "$OUT/whyline.time"); echo "$W_LINE"
W_S=$(echo "$W_LINE" | sed -E 's/.*embed ([0-9.]+)s.*/\1/'); W_RATE=$(echo "$W_LINE" | sed -E 's/.* ([0-9.]+) texts\/s.*/\1/')
row "whyline embed --no-cache (fast, default)" "$OUT/whyline.time" "$W_S" "$W_RATE"

echo "== whyline candle encoder (WHYLINE_ENCODER=candle)"
WHYLINE_ENCODER=candle /usr/bin/time -v "$BIN" --threads "$THREADS" embed --no-cache --batch-size 32 \
  --input "$OUT/throughput-5000.txt" --out "$OUT/whyline-candle.npy" 2> "$OUT/candle.time"
C_LINE=$(grep "whyline embed" "$OUT/candle.time"); echo "$C_LINE"
row "whyline embed --no-cache (WHYLINE_ENCODER=candle)" "$OUT/candle.time" \
  "$(echo "$C_LINE" | sed -E 's/.*embed ([0-9.]+)s.*/\1/')" "$(echo "$C_LINE" | sed -E 's/.* ([0-9.]+) texts\/s.*/\1/')"

echo "== whyline fast encoder, --precision int8"
/usr/bin/time -v "$BIN" --threads "$THREADS" --precision int8 embed --no-cache --batch-size 32 \
  --input "$OUT/throughput-5000.txt" --out "$OUT/whyline-int8.npy" 2> "$OUT/int8.time"
I_LINE=$(grep "whyline embed" "$OUT/int8.time"); echo "$I_LINE"
I_RATE=$(echo "$I_LINE" | sed -E 's/.* ([0-9.]+) texts\/s.*/\1/')
row "whyline embed --no-cache --precision int8" "$OUT/int8.time" \
  "$(echo "$I_LINE" | sed -E 's/.*embed ([0-9.]+)s.*/\1/')" "$I_RATE"

# peer NAME TIMEFILE CMD...: runs a Python peer, adds its row, sets P_RATE
peer() {
  local name=$1 tf=$2; shift 2
  echo "== $name"
  local json
  json=$(/usr/bin/time -v "$@" 2> "$tf" | tail -1) || { echo "($name failed, see $tf)"; P_RATE=""; return; }
  echo "$json"
  P_RATE=$(echo "$json" | sed -E 's/.*"texts_per_s": ([0-9.]+).*/\1/')
  row "$(echo "$json" | sed -E 's/.*"impl": "([^"]*)".*/\1/')" "$tf" \
    "$(echo "$json" | sed -E 's/.*"encode_s": ([0-9.]+).*/\1/')" "$P_RATE"
}

peer "sentence-transformers ($PY, $THREADS threads)" "$OUT/peer.time" \
  "$PY" benches/throughput_peer.py "$MODEL" "$OUT/throughput-5000.txt" "$OUT/peer.npy" "$THREADS" 32
ST_RATE=$P_RATE; ST_RSS=$(rss "$OUT/peer.time" 2>/dev/null || echo "")

ORT_RATE=""; ORT8_RATE=""
if "$PY" -c "import onnxruntime" 2>/dev/null; then
  "$PY" benches/ort_export.py "$MODEL" "$OUT/onnx" > /dev/null 2> "$OUT/ort_export.log" || echo "(ONNX export failed, see $OUT/ort_export.log)"
  if [ -f "$OUT/onnx/model.onnx" ]; then
    peer "ONNX Runtime fp32" "$OUT/ort.time" "$PY" benches/ort_peer.py "$MODEL" "$OUT/onnx/model.onnx" \
      "$OUT/throughput-5000.txt" "$OUT/ort.npy" "$THREADS" 32 fp32
    ORT_RATE=$P_RATE
    peer "ONNX Runtime int8" "$OUT/ort8.time" "$PY" benches/ort_peer.py "$MODEL" "$OUT/onnx/model-int8.onnx" \
      "$OUT/throughput-5000.txt" "$OUT/ort8.npy" "$THREADS" 32 "int8 (quantize_dynamic)"
    ORT8_RATE=$P_RATE
  fi
else
  echo "(no onnxruntime in $PY: ONNX Runtime peers skipped)"
fi

COS=$("$PY" - "$OUT" <<'PYEOF' 2>/dev/null || echo "?"
import os, sys, numpy as np
d = sys.argv[1]
w = np.load(f"{d}/whyline.npy")
out = []
for name, f in [("candle", "whyline-candle.npy"), ("whyline int8", "whyline-int8.npy"), ("sentence-transformers", "peer.npy"),
                ("ORT fp32", "ort.npy"), ("ORT int8", "ort8.npy")]:
    if os.path.exists(f"{d}/{f}"):
        b = np.load(f"{d}/{f}")
        out.append(f"vs {name}: min cosine {float((w * b).sum(1).min()):.7f}, max |diff| {float(np.abs(w - b).max()):.2e}")
print("; ".join(out))
PYEOF
)
ratio() { if [ -n "$2" ]; then echo "scale=2; $1 / $2" | bc; else echo "n/a"; fi; }
W_RSS=$(rss "$OUT/whyline.time")
RATIOS="whyline fast: $(ratio "$W_RATE" "$ORT_RATE")x ONNX Runtime fp32, $(ratio "$W_RATE" "$ST_RATE")x sentence-transformers, $(ratio "$W_RATE" "$ORT8_RATE")x ONNX Runtime int8; peak RSS $(ratio "$W_RSS" "$ST_RSS")x sentence-transformers'"
RATIOS="$RATIOS
whyline int8: $(ratio "$I_RATE" "$ORT_RATE")x ONNX Runtime fp32, $(ratio "$I_RATE" "$W_RATE")x whyline fast f32"
echo "$RATIOS"

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
  echo "# whyline embed vs sentence-transformers and ONNX Runtime — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "corpus: $N sentences, $TOKENS tokens on average; batch 32 (whyline fast: packed batches of ${WHYLINE_PACK_TOKENS:-1024} tokens); $THREADS threads"
  echo
  echo "| implementation | wall (incl. load) | embed only | sentences/s (embed) | CPU time (user+sys) | CPU share | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "$RATIOS"
  echo
  echo "agreement on the corpus (whyline fast $COS)"
  echo
  echo "$CACHE_LINE"
} | tee "$OUT/throughput.md"
