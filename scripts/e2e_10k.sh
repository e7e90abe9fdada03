#!/usr/bin/env bash
# 10k segments end to end: peak RSS and the share of clustering + ranking in the
# total time. Usage: scripts/e2e_10k.sh [WHYLINE_BINARY] [OUTDIR]
# (build first: cargo build --release). Cold embeddings: point WHYLINE_HOME at a
# fresh folder that holds only the model, or use a corpus not embedded before.
set -euo pipefail
BIN=${1:-target/release/whyline}
OUT=${2:-/tmp/whyline-e2e-10k}
DATA=${WHYLINE_SHARED:-/work/shared}/eval/banking77-train.jsonl
/usr/bin/time -v "$BIN" run "$DATA" --out "$OUT" --quiet 2> "$OUT.time" || true
grep -E "Maximum resident|Elapsed" "$OUT.time"
python3 - "$OUT/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timings_ms"]; c = r["counts"]
share = (t["cluster"] + t["insights"]) / t["total"]
print(f"segments={c['segments']} analysed={c['analysed']} themes={c['themes']} outliers={c['outliers']}")
print("timings_ms", t)
print(f"cluster+insights share of total: {share:.3%}")
PY
