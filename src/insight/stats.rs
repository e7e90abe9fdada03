//! Small statistics: a seeded RNG, a bootstrap interval for impact, the
//! Wilson interval for prevalence, Holm's correction and the hypergeometric
//! tail for the breakdowns.
//!
//! Why: the ranking's confidence intervals must be reproducible byte for
//! byte, so the random source is a fixed, documented generator (SplitMix64)
//! seeded from the configuration and the theme, never from the clock.

use crate::util::SplitMix64;

/// Seed derived from a string (first 8 bytes of its sha256) and a base seed.
pub fn seed_for(base: u64, what: &str) -> u64 {
    let h = crate::util::sha256_hex(what.as_bytes());
    let v = u64::from_str_radix(&h[..16], 16).unwrap_or(0);
    v ^ base
}

/// Impact of a group on an average: `mean(all) - mean(all without group)`.
/// Negative when the group pulls the average down.
pub fn impact(inside: &[f64], outside: &[f64]) -> Option<f64> {
    if inside.is_empty() || outside.is_empty() {
        return None;
    }
    let si: f64 = inside.iter().sum();
    let so: f64 = outside.iter().sum();
    let n = (inside.len() + outside.len()) as f64;
    Some((si + so) / n - so / outside.len() as f64)
}

/// Stratified percentile bootstrap of [`impact`]: resample the group and the
/// rest separately (sizes kept), `rounds` times; returns the central
/// `level` interval (e.g. 0.95).
pub fn bootstrap_impact(
    inside: &[f64],
    outside: &[f64],
    rounds: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    if inside.is_empty() || outside.is_empty() || rounds == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let ni = inside.len();
    let no = outside.len();
    let n = (ni + no) as f64;
    let mut est = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut si = 0.0;
        for _ in 0..ni {
            si += inside[rng.below(ni)];
        }
        let mut so = 0.0;
        for _ in 0..no {
            so += outside[rng.below(no)];
        }
        est.push((si + so) / n - so / no as f64);
    }
    est.sort_by(|a, b| a.total_cmp(b));
    let alpha = (1.0 - level) / 2.0;
    let lo = est[((alpha * rounds as f64).floor() as usize).min(rounds - 1)];
    let hi = est[(((1.0 - alpha) * rounds as f64).ceil() as usize)
        .saturating_sub(1)
        .min(rounds - 1)];
    Some((lo, hi))
}

/// Wilson score interval for a proportion `k / n` at z (1.96 for 95%).
pub fn wilson(k: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// Holm's step-down correction of `p` (the i-th smallest of m times
/// m − i, kept monotone, at most 1), in place.
pub fn holm(p: &mut [f64]) {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        p[i] = running;
    }
}

/// Four significant digits, so that the JSON is short and stable: the
/// double nearest the rounded decimal, which JSON writes as `1.727e-21`
/// rather than `1.7270000000000002e-21`.
pub fn sig4(p: f64) -> f64 {
    if p <= 0.0 || !p.is_finite() {
        return 0.0;
    }
    format!("{p:.3e}").parse().unwrap_or(p)
}

/// `ln(k!)` for k = 0..=n, for [`hypergeometric_upper`].
pub fn ln_factorials(n: usize) -> Vec<f64> {
    let mut t = Vec::with_capacity(n + 1);
    let mut acc = 0.0;
    t.push(0.0);
    for k in 1..=n {
        acc += (k as f64).ln();
        t.push(acc);
    }
    t
}

/// P(X ≥ a) for X hypergeometric: `n` draws without replacement from `big_n`
/// items of which `k` are marked (Fisher's exact test, one-sided, for a
/// group over-represented in a sample). `lf`: [`ln_factorials`] of at least
/// `big_n`. Summed in log space, so tails far below 1e-300 read as 0.
pub fn hypergeometric_upper(a: usize, n: usize, k: usize, big_n: usize, lf: &[f64]) -> f64 {
    if n > big_n || k > big_n || lf.len() <= big_n {
        return 1.0;
    }
    let lo = n.saturating_sub(big_n - k);
    let hi = n.min(k);
    if a <= lo {
        return 1.0;
    }
    if a > hi {
        return 0.0;
    }
    let ln_choose = |x: usize, y: usize| lf[x] - lf[y] - lf[x - y];
    let total = ln_choose(big_n, n);
    let terms: Vec<f64> = (a..=hi)
        .map(|j| ln_choose(k, j) + ln_choose(big_n - k, n - j) - total)
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - top).exp()).sum();
    (top + sum.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // reference values of SplitMix64 seeded with 0
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn impact_sign_follows_the_group() {
        let low = [1.0, 1.0, 2.0];
        let rest = [4.0, 5.0, 5.0, 4.0];
        let d = impact(&low, &rest).unwrap();
        assert!(d < 0.0);
        let (lo, hi) = bootstrap_impact(&low, &rest, 500, 0.95, 7).unwrap();
        assert!(lo <= d && d <= hi && hi < 0.0);
        // same seed, same interval
        assert_eq!(bootstrap_impact(&low, &rest, 500, 0.95, 7), Some((lo, hi)));
    }

    #[test]
    fn wilson_brackets_the_proportion() {
        let (lo, hi) = wilson(10, 100, 1.96);
        assert!(lo < 0.1 && hi > 0.1);
        assert!((lo - 0.0552).abs() < 1e-3);
    }

    #[test]
    fn holm_multiplies_by_the_hypotheses_left_and_stays_monotone() {
        let mut p = vec![0.01, 0.04, 0.03, 0.5];
        holm(&mut p);
        // sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1: 0.04, 0.09, 0.08 -> 0.09, 0.5
        let want = [0.04, 0.09, 0.09, 0.5];
        for (g, w) in p.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{p:?}");
        }
    }

    #[test]
    fn hypergeometric_tail_matches_the_exact_sums() {
        let lf = ln_factorials(100);
        // 20 items, 5 marked, 4 drawn: P(X >= 2) = 1 - [C(15,4) + 5 C(15,3)] / C(20,4)
        let exact = 1.0 - (1365.0 + 5.0 * 455.0) / 4845.0;
        assert!((hypergeometric_upper(2, 4, 5, 20, &lf) - exact).abs() < 1e-12);
        // all four marked: C(5,4) / C(20,4)
        assert!((hypergeometric_upper(4, 4, 5, 20, &lf) - 5.0 / 4845.0).abs() < 1e-12);
        assert_eq!(hypergeometric_upper(0, 4, 5, 20, &lf), 1.0);
        assert_eq!(hypergeometric_upper(5, 4, 5, 20, &lf), 0.0);
        // out of range: no panic, no evidence
        assert_eq!(hypergeometric_upper(3, 30, 5, 20, &lf), 1.0);
        assert_eq!(hypergeometric_upper(3, 4, 5, 200, &lf), 1.0);
    }

    #[test]
    fn p_values_keep_four_digits_and_print_short() {
        assert_eq!(sig4(1.7270000000000002e-21), 1.727e-21);
        assert_eq!(
            serde_json::to_string(&sig4(1.72704e-21)).unwrap(),
            "1.727e-21"
        );
        assert_eq!(sig4(0.0123456), 0.01235);
        assert_eq!(sig4(1.0), 1.0);
        assert_eq!(sig4(0.0), 0.0);
        assert_eq!(sig4(f64::NAN), 0.0);
    }
}
