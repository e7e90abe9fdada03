#!/usr/bin/env bash
# Theme quality and the CFPB ranking on held-out-sized subsets of the development sets.
#
# The held-out counterparts of banking77-train and cfpb-issue are smaller (Banking77's test
# split has 3,080 messages, the CFPB holdout 306 complaints), and Louvain's theme count grows
# with the corpus, so the acceptance figures measured on the full development sets say little
# about how the same comparison comes out at those sizes. This draws such subsets from the
# development sets only (2 samples of 40 messages per Banking77 intent, as in its test
# split, seeds 1-2; 3 random samples of 3,080 Banking77 messages, seeds 1-3; the 4
# quarters of cfpb-issue, every 4th complaint from offsets 0-3) and for each prints:
#   - whyline's themes against BERTopic's defaults on the same embeddings
#     (`cargo bench --bench theme_quality`, then scripts/bertopic_compare.py);
#   - for the CFPB quarters, the ranking check on a full `whyline run`
#     (scripts/cfpb_ranking.py).
#
#   scripts/subset_quality.sh [WORKDIR] [PYTHON]
#
# PYTHON must have bertopic (`pip install --no-deps bertopic` plus umap-learn hdbscan
# scikit-learn pandas numpy tqdm pyyaml plotly); without it only whyline's lines print.
# Needs ../shared (or $WHYLINE_SHARED_DIR) and a release build (`cargo build --release`).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/whyline-subsets}
py=${2:-python3}
shared=${WHYLINE_SHARED_DIR:-../shared}
mkdir -p "$work"
python3 - "$shared" "$work" <<'EOF'
import collections, json, random, sys
shared, work = sys.argv[1], sys.argv[2]
b = open(f"{shared}/eval/banking77-train.jsonl").read().splitlines()
by = collections.defaultdict(list)
for line in b:
    by[json.loads(line)["label"]].append(line)
for s in (1, 2):
    rnd = random.Random(s)
    sub = [x for k in sorted(by) for x in rnd.sample(by[k], min(40, len(by[k])))]
    rnd.shuffle(sub)
    open(f"{work}/b77bal_{s}.jsonl", "w").write("\n".join(sub) + "\n")
for s in (1, 2, 3):
    sub = random.Random(s).sample(b, 3080)
    open(f"{work}/b77_{s}.jsonl", "w").write("\n".join(sub) + "\n")
c = open(f"{shared}/eval/cfpb-issue.jsonl").read().splitlines()
for k in range(4):
    open(f"{work}/cfpb_{k}.jsonl", "w").write("\n".join(x for i, x in enumerate(c) if i % 4 == k) + "\n")
EOF
for f in b77bal_1 b77bal_2 b77_1 b77_2 b77_3 cfpb_0 cfpb_1 cfpb_2 cfpb_3; do
  echo "== $f"
  cargo bench -q --bench theme_quality -- "$work/$f.jsonl" "$work/out_$f" 2>/dev/null \
    | grep '^whyline resolution' || true
  if "$py" -c 'import bertopic' 2>/dev/null; then
    "$py" scripts/bertopic_compare.py "$work/out_$f" 2>/dev/null | grep '^bertopic' || true
  fi
  case $f in
    cfpb_*)
      rm -rf "$work/run_$f"
      ./target/release/whyline --quiet run "$work/$f.jsonl" --out "$work/run_$f" >/dev/null
      python3 scripts/cfpb_ranking.py "$work/$f.jsonl" "$work/run_$f" | grep '^covered'
      ;;
  esac
done
