//! Agreement between a clustering and gold labels: NMI and ARI.
//!
//! Why: theme quality is an acceptance figure (NMI/ARI against Banking77
//! intents and CFPB issues, compared with BERTopic); the same formulas as
//! scikit-learn (`normalized_mutual_info_score` with the arithmetic mean,
//! `adjusted_rand_score`) so that figures are comparable.

use std::collections::BTreeMap;

type Contingency = (BTreeMap<(usize, usize), f64>, Vec<f64>, Vec<f64>);

fn contingency<A: Ord + Clone, B: Ord + Clone>(a: &[A], b: &[B]) -> Contingency {
    let mut ia: BTreeMap<A, usize> = BTreeMap::new();
    let mut ib: BTreeMap<B, usize> = BTreeMap::new();
    for x in a {
        let len = ia.len();
        ia.entry(x.clone()).or_insert(len);
    }
    for x in b {
        let len = ib.len();
        ib.entry(x.clone()).or_insert(len);
    }
    let mut table = BTreeMap::new();
    let mut ra = vec![0.0; ia.len()];
    let mut rb = vec![0.0; ib.len()];
    for (x, y) in a.iter().zip(b) {
        let (i, j) = (ia[x], ib[y]);
        *table.entry((i, j)).or_insert(0.0) += 1.0;
        ra[i] += 1.0;
        rb[j] += 1.0;
    }
    (table, ra, rb)
}

fn entropy(counts: &[f64], n: f64) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| {
            let p = c / n;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information (arithmetic-mean normalisation), in [0, 1].
/// Returns 1.0 when both labelings are a single cluster.
pub fn nmi<A: Ord + Clone, B: Ord + Clone>(truth: &[A], pred: &[B]) -> f64 {
    let n = truth.len().min(pred.len()) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (table, ra, rb) = contingency(truth, pred);
    let (ha, hb) = (entropy(&ra, n), entropy(&rb, n));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    let mut mi = 0.0;
    for (&(i, j), &c) in &table {
        mi += c / n * ((c * n) / (ra[i] * rb[j])).ln();
    }
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        0.0
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

fn comb2(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

/// Adjusted Rand index (1 = identical partitions, ~0 = chance).
pub fn ari<A: Ord + Clone, B: Ord + Clone>(truth: &[A], pred: &[B]) -> f64 {
    let n = truth.len().min(pred.len()) as f64;
    if n < 2.0 {
        return 1.0;
    }
    let (table, ra, rb) = contingency(truth, pred);
    let sum_ij: f64 = table.values().map(|&c| comb2(c)).sum();
    let sum_a: f64 = ra.iter().map(|&c| comb2(c)).sum();
    let sum_b: f64 = rb.iter().map(|&c| comb2(c)).sum();
    let expected = sum_a * sum_b / comb2(n);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (sum_ij - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_names() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = ["x", "x", "y", "y", "z", "z"];
        assert!((nmi(&a, &b) - 1.0).abs() < 1e-12);
        assert!((ari(&a, &b) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn matches_scikit_learn_on_a_small_case() {
        // sklearn: normalized_mutual_info_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.5158037429793889
        //          adjusted_rand_score(...)                                = 0.24242424242424246
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 1, 2, 2];
        assert!((nmi(&a, &b) - 0.515_803_742_979_388_9).abs() < 1e-9);
        assert!((ari(&a, &b) - 0.242_424_242_424_242_46).abs() < 1e-9);
    }

    #[test]
    fn independent_partitions_score_low() {
        let a = [0, 1, 0, 1, 0, 1, 0, 1];
        let b = [0, 0, 1, 1, 0, 0, 1, 1];
        assert!(nmi(&a, &b) < 1e-9);
        assert!(ari(&a, &b) < 0.0);
    }
}
