#!/usr/bin/env bash
# Theme quality on small corpora where one topic holds a large share, or where answers
# repeat (a survey's "The app keeps crashing." said by several respondents).
#
# At Louvain resolution r a community holding a share f of the k-NN graph's edge weight
# adds f - r*f^2 to modularity, which is negative for f > 1/r: at the default r = 3 no
# theme can hold a third of the graph, so such a topic is split, and a tight one (copies at
# cosine 1) can shatter below the size floor into the outliers. This measures how often
# that bites on real embeddings. Samples from banking77-train (seeds 1-3 or 1-2):
#   dINTxPER_s:       INT intents x PER messages, 30% of them said twice, 10% three times;
#   domD_INTxPER_s:   D messages of one intent beside INT intents x PER messages.
# Prints per sample: themes, outlier share, NMI, ARI (`cargo bench --bench theme_quality`,
# copies counted as messages), and for dom* how the dominant intent spread (its outliers,
# the themes holding it, the largest).
#
#   scripts/dominant_topic_quality.sh [WORKDIR]
#
# Needs ../shared (or $WHYLINE_SHARED_DIR) and the default encoder (fetched on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/whyline-dominant}
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
for ni, per in [(3, 10), (5, 10), (10, 5), (10, 10), (20, 10), (40, 10)]:
    for s in (1, 2, 3):
        rnd = random.Random(s)
        ints = rnd.sample(labels, ni)
        sub = [x for k in sorted(ints) for x in rnd.sample(by[k], per)]
        out = []
        for x in sub:
            r = rnd.random()
            out += [x] * (3 if r < 0.1 else 2 if r < 0.4 else 1)
        rnd.shuffle(out)
        open(f"{work}/d{ni}x{per}_{s}.jsonl", "w").write("\n".join(out) + "\n")
for d in (20, 30, 50, 80):
    for others, per in [(5, 10), (10, 10)]:
        for s in (1, 2):
            rnd = random.Random(s)
            ints = rnd.sample(labels, others + 1)
            sub = rnd.sample(by[ints[0]], d)
            sub += [x for k in sorted(ints[1:]) for x in rnd.sample(by[k], per)]
            rnd.shuffle(sub)
            name = f"{work}/dom{d}_{others}x{per}_{s}"
            open(f"{name}.jsonl", "w").write("\n".join(sub) + "\n")
            open(f"{name}.dom", "w").write(ints[0])
PY
for f in "$work"/d*.jsonl; do
  b=$(basename "$f" .jsonl)
  line=$(cargo bench -q --bench theme_quality -- "$f" "$work/out_$b" 2>/dev/null \
    | grep '^whyline resolution' | awk '{print $5, $7, $8, $9}')
  spread=""
  if [ -f "$work/$b.dom" ]; then
    spread=$(python3 - "$work/out_$b" "$work/$b.dom" <<'PY'
import collections, glob, sys
out, dom = sys.argv[1], open(sys.argv[2]).read()
labels = open(f"{out}/labels.txt").read().split("\n")
themes = open(sorted(glob.glob(f"{out}/whyline*.txt"))[0]).read().split()
mine = [t for l, t in zip(labels, themes) if l == dom]
held = collections.Counter(t for t in mine if t != "-1")
print(f"dominant: {len(mine)} messages, {len(mine) - sum(held.values())} outliers, "
      f"in {len(held)} themes, largest {max(held.values()) if held else 0}")
PY
)
  fi
  echo "$b $line $spread"
done
