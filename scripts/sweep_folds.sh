#!/usr/bin/env bash
# Compare fit settings by their out-of-fold macro-F1 (`fit --folds`), the clean way to
# choose among them: the figure comes from the training file alone. Each setting's dev
# macro-F1 is printed next to it, for the record, not for choosing.
#
# Usage: scripts/sweep_folds.sh TASK TRAIN DEV SEEDS -- SETTING...
#   each SETTING is one quoted string of extra `whyline fit` flags ("" = the defaults), e.g.
#   scripts/sweep_folds.sh motivation ../shared/eval/touche-train.jsonl \
#     ../shared/eval/touche-dev.jsonl "42 7 1" -- "" "--class-weight-power 0"
# Set WHYLINE=path/to/whyline to use a release build; heads go to $OUT (target/sweep).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WHYLINE:-target/debug/whyline}
OUT=${OUT:-target/sweep}
[ -x "$W" ] || cargo build --quiet
task=$1 train=$2 dev=$3 seeds=$4
shift 4
[ "${1:-}" = "--" ] && shift
mkdir -p "$OUT"
n=0
for setting in "$@"; do
  n=$((n + 1))
  for seed in $seeds; do
    dir="$OUT/$task-$n-$seed"
    # shellcheck disable=SC2086
    fit=$("$W" --quiet fit --task "$task" --train "$train" --out "$dir" --kind mlp --folds 5 \
      --seed "$seed" $setting --json)
    ev=$("$W" --quiet eval --task "$task" --data "$dev" --model "$dir" --json)
    python3 - "$fit" "$ev" "$setting" "$seed" <<'PY'
import json, sys
fit, ev = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"oof {fit['summary']['tune_value']:.4f}  dev {ev['macro_f1']:.4f}  seed {sys.argv[4]:>3}  "
      f"{fit['seconds']:5.0f} s  [{sys.argv[3] or 'defaults'}]")
PY
  done
done
