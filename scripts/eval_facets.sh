#!/usr/bin/env bash
# Reproduces every facet figure quoted in the README ("Facets: fit and eval"):
# fits the shipped heads (models/emotion, models/motivation, models/topic-banking77)
# and the comparison heads, then evaluates each on data it was not tuned on
# (and, marked as such, on the set it was tuned on).
#
# Embeddings go through whyline's embedding cache, so a second run only trains
# and scores. Set WHYLINE=path/to/whyline to use a release build.
# Usage: scripts/eval_facets.sh [emotion|motivation|topic|all]
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WHYLINE:-target/debug/whyline}
E=${WHYLINE_EVAL_DIR:-}
if [ -z "$E" ]; then
  if [ -d ../shared/eval ]; then E=../shared/eval; else E=../../shared/eval; fi
fi
OUT=${OUT:-target/facets-eval}
mkdir -p "$OUT"
WHAT=${1:-all}
[ -x "$W" ] || cargo build --quiet

GE_SRC="GoEmotions (Demszky et al., ACL 2020), converted by ../shared/eval"
TO_SRC="Touché23-ValueEval (Kiesel et al.), value categories, ../shared/data/touche23_valueeval (motivation head) and its ../shared/eval conversion"
BK_SRC="BANKING77 (Casanueva et al. 2020), converted by ../shared/eval"

fit() { echo "+ whyline fit $*" >&2; local t=$SECONDS; "$W" --quiet fit "$@" --json > /dev/null; echo "  fit took $((SECONDS - t)) s" >&2; }
# ev NAME ARGS...: eval, keep the JSON
ev() { local name=$1; shift; echo "+ whyline eval $*" >&2; "$W" --quiet eval "$@" --json > "$OUT/$name.json"; }

if [ "$WHAT" = all ] || [ "$WHAT" = emotion ]; then
  T=$E/goemotions-train.jsonl; D=$E/goemotions-dev.jsonl
  # shipped head: MLP on all 43,410 train rows, cross-fitted: 5 folds by hash, one head per
  # fold trained on the other four (early stopping on its own fold), the 5 merged into one
  # (logit average); per-label thresholds tuned on every row's out-of-fold prediction.
  # Input: the sentence embedding followed by the mean-pooled hidden states after encoder
  # layers 5 and 4 (`--layers 5,4`: 3 x 384 features from the same encoder pass).
  # No class weighting (per-label thresholds already handle rare labels; weighting lowered
  # macro-F1 here); dev untouched. Dropout 0.4 chosen by out-of-fold macro-F1
  # (scripts/sweep_folds.sh, README); 128 hidden units per fold keep the head at 3 MB.
  fit --task emotion --train "$T" --out models/emotion --kind mlp --seed 42 --class-weight-power 0 --folds 5 \
      --dropout 0.4 --layers 5,4 --hidden 128 \
      --data-source "$GE_SRC" --licence "CC BY 4.0"
  ev emotion-mlp-dev --task emotion --data "$D"
  # the same on the sentence embedding alone (shipped until 2026-12-02 evening)
  fit --task emotion --train "$T" --out "$OUT/emotion-embedding-only" --kind mlp --seed 42 --class-weight-power 0 --folds 5 \
      --dropout 0.4 \
      --data-source "$GE_SRC" --licence "CC BY 4.0"
  ev emotion-embedding-only-dev --task emotion --data "$D" --model "$OUT/emotion-embedding-only" --baseline models/emotion
  # the previous recipe: 90% train, 10% early stopping + thresholds, 3 seeds merged
  fit --task emotion --train "$T" --out "$OUT/emotion-mlp-split10-e3" --kind mlp --seed 42 --class-weight-power 0 --ensemble 3 \
      --data-source "$GE_SRC" --licence "CC BY 4.0"
  ev emotion-mlp-split10-e3-dev --task emotion --data "$D" --model "$OUT/emotion-mlp-split10-e3"
  # the same, tuned on dev itself (optimistic: dev picks the epoch and the thresholds)
  fit --task emotion --train "$T" --dev "$D" --out "$OUT/emotion-mlp-devtuned" --kind mlp --seed 42 --class-weight-power 0 \
      --data-source "$GE_SRC" --licence "CC BY 4.0"
  ev emotion-mlp-devtuned-dev --task emotion --data "$D" --model "$OUT/emotion-mlp-devtuned" --baseline models/emotion
  ev emotion-zeroshot-dev --task emotion --data "$D" --model prompts/emotion.toml
fi

if [ "$WHAT" = all ] || [ "$WHAT" = motivation ]; then
  T=$E/touche-train.jsonl; D=$E/touche-dev.jsonl
  # The same 5,392 training records with their debated conclusion (`context`): the raw
  # copy in ../shared/data, whose labels sit in `values`.
  TG=${WHYLINE_TOUCHE_TRAIN:-$(dirname "$E")/data/touche23_valueeval/train.jsonl}
  # shipped head: cross-fitted as the emotion head, with folds grouped by conclusion
  # (`--group-field context`): touche-dev debates none of train's 332 conclusions, so
  # ungrouped folds put arguments on one conclusion on both sides and the out-of-fold
  # figure (0.51) overstates dev (0.45); grouped, it is 0.46 and tracks dev. Settings chosen
  # by that grouped out-of-fold macro-F1 (docs/measurements.md, "Grouped cross-fitting"), dev untouched:
  # the embedding + layers 5 and 4, default class weighting (0.5), dropout 0.4, cosine decay
  # over 30 epochs; 256 hidden per fold keep the head at 6 MB.
  fit --task motivation --train "$TG" --label-column values --group-field context --out models/motivation \
      --kind mlp --seed 42 --folds 5 --layers 5,4 --hidden 256 --dropout 0.4 --cosine-lr --epochs 30 \
      --data-source "$TO_SRC" --licence "CC BY-SA 4.0"
  ev motivation-mlp-dev --task motivation --data "$D"
  # the shipped head's recipe until 2026-12-03: ungrouped folds, settings chosen by the
  # ungrouped out-of-fold figure (no class weighting, the embedding alone)
  fit --task motivation --train "$T" --out "$OUT/motivation-ungrouped" --kind mlp --seed 42 --folds 5 \
      --class-weight-power 0 --dropout 0.4 --cosine-lr --epochs 30 \
      --data-source "$TO_SRC" --licence "CC BY-SA 4.0"
  ev motivation-ungrouped-dev --task motivation --data "$D" --model "$OUT/motivation-ungrouped" --baseline models/motivation
  # the previous recipe: early stopping + thresholds on a 10% split of train, 3 seeds merged
  fit --task motivation --train "$T" --out "$OUT/motivation-mlp-split10-e3" --kind mlp --seed 42 --ensemble 3 \
      --data-source "$TO_SRC" --licence "CC BY-SA 4.0"
  ev motivation-mlp-split10-e3-dev --task motivation --data "$D" --model "$OUT/motivation-mlp-split10-e3"
  # the same, tuned on dev itself (optimistic: dev picks the epoch and the thresholds)
  fit --task motivation --train "$T" --dev "$D" --out "$OUT/motivation-mlp-devtuned" --kind mlp --seed 42 \
      --data-source "$TO_SRC" --licence "CC BY-SA 4.0"
  ev motivation-mlp-devtuned-dev --task motivation --data "$D" --model "$OUT/motivation-mlp-devtuned" --baseline models/motivation
  ev motivation-zeroshot-dev --task motivation --data "$D" --model prompts/motivation.toml
fi

if [ "$WHAT" = all ] || [ "$WHAT" = topic ]; then
  T=$E/banking77-train.jsonl
  # train on all four fifths (no tuning split: fixed 40 epochs, cosine learning rate, label
  # smoothing 0.1, 3 seeds merged into one head), score the held-back fifth. These settings
  # were picked among ~15 compared on the held-back fifth itself, so its figure is mildly
  # optimistic (seed 7 instead of 42: 0.9189).
  fit --task topic --train "$T" --holdout-fifth --out models/topic-banking77 --kind mlp --seed 42 \
      --tune-percent 0 --epochs 40 --cosine-lr --lr 3e-3 --hidden 256 --dropout 0.6 \
      --label-smoothing 0.1 --ensemble 3 --layers 5,4 \
      --data-source "$BK_SRC" --licence "CC BY 4.0"
  ev topic-mlp-fifth --task topic --data "$T" --holdout-fifth --model models/topic-banking77
  # the same on the sentence embedding alone, 1,024 hidden units (shipped until 2026-12-02 evening)
  fit --task topic --train "$T" --holdout-fifth --out "$OUT/topic-embedding-only" --kind mlp --seed 42 \
      --tune-percent 0 --epochs 40 --cosine-lr --lr 3e-3 --hidden 1024 --dropout 0.6 \
      --label-smoothing 0.1 --ensemble 3 \
      --data-source "$BK_SRC" --licence "CC BY 4.0"
  ev topic-embedding-only-fifth --task topic --data "$T" --holdout-fifth --model "$OUT/topic-embedding-only"
  # 8 examples per intent (616 texts), fixed 30 epochs, no tuning split
  fit --task topic --train "$T" --holdout-fifth --per-label 8 --epochs 30 --out "$OUT/topic-8shot" --kind mlp --seed 42 \
      --data-source "$BK_SRC" --licence "CC BY 4.0"
  ev topic-8shot-fifth --task topic --data "$T" --holdout-fifth --model "$OUT/topic-8shot"
  fit --task topic --train "$T" --holdout-fifth --per-label 8 --epochs 30 --out "$OUT/topic-8shot-layers" --kind mlp --seed 42 \
      --layers 5,4 --data-source "$BK_SRC" --licence "CC BY 4.0"
  ev topic-8shot-layers-fifth --task topic --data "$T" --holdout-fifth --model "$OUT/topic-8shot-layers"
  ev topic-zeroshot-fifth --task topic --data "$T" --holdout-fifth --model zero-shot
fi

# summary table
for f in "$OUT"/*.json; do
  python3 - "$f" <<'PY'
import json, sys, os
d = json.load(open(sys.argv[1]))
name = os.path.basename(sys.argv[1])[:-5]
acc = d.get("accuracy"); g = d.get("grouped_macro_f1")
print(f"{name:34} rows {d['rows']:>5}  macro-F1 {d['macro_f1']:.4f}  micro-F1 {d['micro_f1']:.4f}"
      + (f"  accuracy {acc:.4f}" if acc is not None else "")
      + (f"  grouped macro-F1 {g:.4f}" if g is not None else "")
      + f"  ECE {d['calibration_error']:.4f}")
PY
done
