//! Classification metrics over label-index sets.
//!
//! Conventions (sklearn's, with `zero_division=0`): a label's precision,
//! recall or F1 is 0 when its denominator is 0; macro-F1 averages F1 over
//! every label of the label set (also those absent from the data); micro-F1
//! pools true/false positives and false negatives over all labels.

use serde::{Deserialize, Serialize};

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of gold occurrences.
    pub support: usize,
    /// Number of predicted occurrences.
    pub predicted: usize,
}

/// Counts of one label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Per-label counts from gold and predicted label-index sets.
pub fn counts(gold: &[Vec<usize>], pred: &[Vec<usize>], n_labels: usize) -> Vec<Counts> {
    let mut c = vec![Counts::default(); n_labels];
    for (g, p) in gold.iter().zip(pred) {
        for &l in p {
            if g.contains(&l) {
                c[l].tp += 1;
            } else {
                c[l].fp += 1;
            }
        }
        for &l in g {
            if !p.contains(&l) {
                c[l].fn_ += 1;
            }
        }
    }
    c
}

/// Macro-F1: unweighted mean of per-label F1 over all `n_labels` labels.
pub fn macro_f1(gold: &[Vec<usize>], pred: &[Vec<usize>], n_labels: usize) -> f64 {
    let c = counts(gold, pred, n_labels);
    if c.is_empty() {
        return 0.0;
    }
    c.iter().map(Counts::f1).sum::<f64>() / c.len() as f64
}

/// Micro-F1: F1 of the pooled counts.
pub fn micro_f1(gold: &[Vec<usize>], pred: &[Vec<usize>], n_labels: usize) -> f64 {
    let c = counts(gold, pred, n_labels);
    let tot = c.iter().fold(Counts::default(), |a, b| Counts {
        tp: a.tp + b.tp,
        fp: a.fp + b.fp,
        fn_: a.fn_ + b.fn_,
    });
    tot.f1()
}

/// Per-label scores, in label order.
pub fn per_label(gold: &[Vec<usize>], pred: &[Vec<usize>], labels: &[String]) -> Vec<LabelScore> {
    counts(gold, pred, labels.len())
        .iter()
        .zip(labels)
        .map(|(c, l)| LabelScore {
            label: l.clone(),
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
            support: c.tp + c.fn_,
            predicted: c.tp + c.fp,
        })
        .collect()
}

/// Single-label accuracy: fraction of rows whose (first) predicted label is the gold one.
pub fn accuracy(gold: &[usize], pred: &[usize]) -> f64 {
    if gold.is_empty() {
        return 0.0;
    }
    let ok = gold.iter().zip(pred).filter(|(g, p)| g == p).count();
    ok as f64 / gold.len() as f64
}

/// Confusion matrix, `m[gold][pred]`.
pub fn confusion(gold: &[usize], pred: &[usize], n_labels: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0usize; n_labels]; n_labels];
    for (&g, &p) in gold.iter().zip(pred) {
        m[g][p] += 1;
    }
    m
}

/// Expected calibration error with `bins` equal-width bins over `[0, 1]`:
/// sum over bins of (bin size / n) * |mean confidence - observed frequency|.
/// `conf[i]` is a predicted probability, `hit[i]` whether the event happened.
pub fn expected_calibration_error(conf: &[f32], hit: &[bool], bins: usize) -> f64 {
    let n = conf.len();
    if n == 0 || bins == 0 {
        return 0.0;
    }
    let mut sum_c = vec![0f64; bins];
    let mut sum_h = vec![0f64; bins];
    let mut cnt = vec![0usize; bins];
    for (&c, &h) in conf.iter().zip(hit) {
        let c = f64::from(c).clamp(0.0, 1.0);
        let b = ((c * bins as f64) as usize).min(bins - 1);
        sum_c[b] += c;
        sum_h[b] += if h { 1.0 } else { 0.0 };
        cnt[b] += 1;
    }
    (0..bins)
        .filter(|&b| cnt[b] > 0)
        .map(|b| (sum_c[b] - sum_h[b]).abs() / n as f64)
        .sum()
}

/// Map label-index sets to group-index sets (deduplicated, sorted).
pub fn to_groups(sets: &[Vec<usize>], group_of: &[usize]) -> Vec<Vec<usize>> {
    sets.iter()
        .map(|s| {
            let mut g: Vec<usize> = s.iter().map(|&l| group_of[l]).collect();
            g.sort_unstable();
            g.dedup();
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    // Hand-computed example, 3 labels, 4 rows:
    // row0 gold {0}   pred {0}     -> tp0
    // row1 gold {0,1} pred {1}     -> tp1, fn0
    // row2 gold {2}   pred {0,2}   -> fp0, tp2
    // row3 gold {1}   pred {}      -> fn1
    // label0: tp1 fp1 fn1 -> P .5 R .5 F1 .5
    // label1: tp1 fp0 fn1 -> P 1 R .5 F1 2/3
    // label2: tp1 fp0 fn0 -> F1 1
    // macro = (0.5 + 2/3 + 1)/3 = 13/18; micro: tp3 fp1 fn2 -> 6/9 = 2/3
    fn example() -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        (
            vec![vec![0], vec![0, 1], vec![2], vec![1]],
            vec![vec![0], vec![1], vec![0, 2], vec![]],
        )
    }

    #[test]
    fn macro_and_micro_f1_match_hand_computed_values() {
        let (g, p) = example();
        close(macro_f1(&g, &p, 3), 13.0 / 18.0);
        close(micro_f1(&g, &p, 3), 2.0 / 3.0);
    }

    #[test]
    fn per_label_precision_recall_support() {
        let (g, p) = example();
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let s = per_label(&g, &p, &labels);
        close(s[0].precision, 0.5);
        close(s[0].recall, 0.5);
        close(s[1].precision, 1.0);
        close(s[1].recall, 0.5);
        close(s[1].f1, 2.0 / 3.0);
        assert_eq!(s[1].support, 2);
        assert_eq!(s[0].predicted, 2);
        assert_eq!(s[2].support, 1);
    }

    #[test]
    fn absent_label_counts_as_zero_in_macro_f1() {
        // label 1 never appears nor is predicted: F1 0 by convention.
        let g = vec![vec![0], vec![0]];
        close(macro_f1(&g, &g, 2), 0.5);
    }

    #[test]
    fn accuracy_and_confusion() {
        let g = [0, 1, 1, 2];
        let p = [0, 1, 2, 2];
        close(accuracy(&g, &p), 0.75);
        let m = confusion(&g, &p, 3);
        assert_eq!(m, vec![vec![1, 0, 0], vec![0, 1, 1], vec![0, 0, 1]]);
    }

    #[test]
    fn calibration_error_hand_computed() {
        // 10 bins. 0.95,0.95 -> bin 9, conf .95, freq .5 -> |.45| * 2/4
        // 0.25 (hit), 0.15 (miss) -> bins 2 and 1: |.25-1|*1/4 + |.15-0|*1/4
        let conf = [0.95f32, 0.95, 0.25, 0.15];
        let hit = [true, false, true, false];
        let e = expected_calibration_error(&conf, &hit, 10);
        let want = 0.45 * 0.5 + 0.75 * 0.25 + 0.15 * 0.25;
        assert!((e - want).abs() < 1e-6, "{e} vs {want}");
        // Perfect calibration gives 0.
        close(
            expected_calibration_error(&[1.0, 0.0], &[true, false], 10),
            0.0,
        );
    }

    #[test]
    fn grouping_merges_labels() {
        // labels 0,1 -> group 0; label 2 -> group 1
        let gm = [0, 0, 1];
        let (g, p) = example();
        let gg = to_groups(&g, &gm);
        assert_eq!(gg, vec![vec![0], vec![0], vec![1], vec![0]]);
        let gp = to_groups(&p, &gm);
        // group0: rows 0,1 tp, row2 fp, row3 fn -> F1 4/6; group1: tp -> 1
        close(macro_f1(&gg, &gp, 2), (4.0 / 6.0 + 1.0) / 2.0);
    }
}
