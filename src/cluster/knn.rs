//! Exact k-nearest-neighbour search by cosine similarity, in blocks.
//!
//! Why: the clustering graph needs each point's nearest neighbours; a full
//! n×n similarity matrix for 10k segments is 400 MB, so rows are computed in
//! blocks and only the top k of each row is kept (memory O(n·k)). Every row
//! is computed by the same sequential code whatever thread runs it, so the
//! result does not depend on the thread count.

use rayon::prelude::*;

/// Dot product with 8 independent accumulators (vectorises well, and the
/// summation order is fixed, so results are bit-identical across runs).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        // fixed-size arrays: no bounds checks, vectorised
        if let (Ok(x), Ok(y)) = (<&[f32; 8]>::try_from(x), <&[f32; 8]>::try_from(y)) {
            for i in 0..8 {
                acc[i] += x[i] * y[i];
            }
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// For each point, its `k` most similar other points as `(index, similarity)`,
/// most similar first; ties broken by the lower index.
pub fn knn(points: &[Vec<f32>], k: usize) -> Vec<Vec<(u32, f32)>> {
    let n = points.len();
    let k = k.min(n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map(|i| {
            let p = &points[i];
            // keep a small sorted buffer of the best k
            let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
            for (j, q) in points.iter().enumerate() {
                if j == i {
                    continue;
                }
                let s = dot(p, q);
                if best.len() == k {
                    // best is sorted descending: last is the worst
                    match best.last() {
                        Some(&(_, w)) if s <= w => continue,
                        _ => {}
                    }
                }
                let pos = best.partition_point(|&(_, w)| w >= s);
                best.insert(pos, (j as u32, s));
                if best.len() > k {
                    best.pop();
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_finds_closest_and_breaks_ties_by_index() {
        let pts = vec![
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
        ];
        let nn = knn(&pts, 2);
        assert_eq!(nn[0].iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(nn[3][0].1, 0.0);
        assert_eq!(nn[3].len(), 2);
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.05).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }
}
