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

/// Rows of queries per similarity tile, and columns per tile: 256 × 2048
/// f32 = 2 MB of scratch per thread. The tile grid depends only on `n`, so
/// every similarity is computed the same way whatever the thread count.
const TILE_ROWS: usize = 256;
const TILE_COLS: usize = 2048;

/// For each point, its `k` most similar other points as `(index, similarity)`,
/// most similar first; ties broken by the lower index. Similarities come from
/// matrix-multiply tiles (`model::matmul_abt`): exact, memory O(n·k + tile).
pub fn knn(points: &[Vec<f32>], k: usize) -> Vec<Vec<(u32, f32)>> {
    let n = points.len();
    let k = k.min(n.saturating_sub(1));
    let dim = points.first().map(Vec::len).unwrap_or(0);
    if k == 0 || dim == 0 || points.iter().any(|p| p.len() != dim) {
        return knn_by_dots(points, k);
    }
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    let blocks: Vec<Vec<Vec<(u32, f32)>>> = (0..n.div_ceil(TILE_ROWS))
        .into_par_iter()
        .map(|rb| {
            let r0 = rb * TILE_ROWS;
            let r1 = (r0 + TILE_ROWS).min(n);
            let m = r1 - r0;
            let mut best: Vec<Vec<(u32, f32)>> = vec![Vec::with_capacity(k + 1); m];
            let mut sims = vec![0f32; m * TILE_COLS.min(n)];
            for c0 in (0..n).step_by(TILE_COLS) {
                let c1 = (c0 + TILE_COLS).min(n);
                let w = c1 - c0;
                crate::model::matmul_abt(
                    m,
                    w,
                    dim,
                    &flat[r0 * dim..r1 * dim],
                    &flat[c0 * dim..c1 * dim],
                    &mut sims[..m * w],
                );
                for (i, b) in best.iter_mut().enumerate() {
                    let gi = r0 + i;
                    for (jj, &s) in sims[i * w..(i + 1) * w].iter().enumerate() {
                        let j = c0 + jj;
                        if j != gi {
                            push_best(b, k, j as u32, s);
                        }
                    }
                }
            }
            best
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

/// Keep `best` (sorted by similarity, descending; at most `k`) the top `k`
/// seen so far. Candidates arrive in increasing index order, so an equal
/// similarity never displaces an earlier (lower) index.
fn push_best(best: &mut Vec<(u32, f32)>, k: usize, j: u32, s: f32) {
    if best.len() == k {
        match best.last() {
            Some(&(_, w)) if s <= w => return,
            _ => {}
        }
    }
    let pos = best.partition_point(|&(_, w)| w >= s);
    best.insert(pos, (j, s));
    if best.len() > k {
        best.pop();
    }
}

/// The same search with one dot product per pair: for ragged input, and as
/// the reference the tiled search is tested against.
pub fn knn_by_dots(points: &[Vec<f32>], k: usize) -> Vec<Vec<(u32, f32)>> {
    let n = points.len();
    let k = k.min(n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map(|i| {
            let p = &points[i];
            let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
            for (j, q) in points.iter().enumerate() {
                if j != i {
                    push_best(&mut best, k, j as u32, dot(p, q));
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
    fn tiled_knn_matches_dot_products_across_tile_edges() {
        // more points than one tile in each direction, with exact ties
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let n = TILE_COLS + 300;
        let mut pts: Vec<Vec<f32>> = (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..24).map(|_| next()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect();
        pts[7] = pts[3].clone();
        pts[TILE_COLS + 5] = pts[3].clone();
        let tiled = knn(&pts, 5);
        let dots = knn_by_dots(&pts, 5);
        assert_eq!(tiled.len(), n);
        for (i, (a, b)) in tiled.iter().zip(&dots).enumerate() {
            let ia: Vec<u32> = a.iter().map(|x| x.0).collect();
            let ib: Vec<u32> = b.iter().map(|x| x.0).collect();
            if ia != ib {
                // only a near-tie (summation order) may reorder neighbours
                for (x, y) in a.iter().zip(b) {
                    assert!((x.1 - y.1).abs() < 1e-5, "point {i}: {a:?} vs {b:?}");
                }
            }
        }
        // the duplicates find each other, lower index first
        assert_eq!(tiled[3][0].0, 7);
        assert_eq!(tiled[3][1].0, (TILE_COLS + 5) as u32);
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.05).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }
}
