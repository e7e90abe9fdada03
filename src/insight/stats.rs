//! Small statistics: a seeded RNG, a bootstrap interval for impact, and the
//! Wilson interval for prevalence.
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
}
