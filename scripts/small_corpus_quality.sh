#!/usr/bin/env bash
# Theme quality on small corpora: a night of a few calls, not a development set.
#
# Louvain's resolution is raised on corpora under `[cluster] reference_size` (10,000)
# segments, and phased in between 100 and 200 of them (cluster::effective_resolution). This
# measures why: samples of Banking77 (banking77-train) with few intents and few messages
# each, from 50 to 1,540 messages (INTENTSxPER, seeds 1-3), clustered with the default
# `[cluster]` and with the raise turned off (`reference_size = 0`), same embeddings
# (`cargo bench --bench theme_quality`). Prints one line per sample and setting: themes,
# Louvain communities, outlier share, NMI, ARI.
#
#   scripts/small_corpus_quality.sh [WORKDIR]
#
# Needs ../shared (or $WHYLINE_SHARED_DIR) and the default encoder (fetched on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/whyline-small}
shared=${WHYLINE_SHARED_DIR:-../shared}
mkdir -p "$work"
python3 - "$shared" "$work" <<'PY'
import collections, json, random, sys
shared, work = sys.argv[1], sys.argv[2]
b = open(f"{shared}/eval/banking77-train.jsonl").read().splitlines()
by = collections.defaultdict(list)
for line in b:
    by[json.loads(line)["label"]].append(line)
labels = sorted(by)
for ni, per in [(10, 5), (10, 10), (15, 10), (30, 5), (20, 10), (20, 15), (40, 10), (77, 10), (77, 20)]:
    for s in (1, 2, 3):
        rnd = random.Random(s)
        ints = rnd.sample(labels, ni)
        sub = [x for k in sorted(ints) for x in rnd.sample(by[k], per)]
        rnd.shuffle(sub)
        open(f"{work}/b{ni}x{per}_{s}.jsonl", "w").write("\n".join(sub) + "\n")
PY
printf '[cluster]\n' > "$work/default.toml"
printf '[cluster]\nreference_size = 0\n' > "$work/unraised.toml"
for size in 10x5 10x10 15x10 30x5 20x10 20x15 40x10 77x10 77x20; do
  for s in 1 2 3; do
    f=b${size}_$s
    for c in default unraised; do
      WHYLINE_CONFIG="$work/$c.toml" cargo bench -q --bench theme_quality -- \
        "$work/$f.jsonl" "$work/out_$f" 2>/dev/null | grep '^whyline resolution' \
        | awk -v f="$f" -v c="$c" '{print f, c, $3, $5, $6, $7, $8, $9}'
    done
  done
done
