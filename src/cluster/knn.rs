//! Exact k-nearest-neighbour search by cosine similarity, in blocks.
//!
//! Why: the clustering graph needs each point's nearest neighbours; a full
//! n×n similarity matrix for 10k segments is 400 MB, so the matrix is computed
//! in tiles of one block of points against another and only the top k of each
//! row is kept (memory O(n·k)). The matrix is symmetric, so only the tiles on
//! and above the diagonal are computed. Every tile is computed by the same
//! sequential code whatever thread runs it, and merged under a total order,
//! so the result does not depend on the thread count.

use rayon::prelude::*;
use std::sync::Mutex;

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

/// Points per block of the similarity grid: a tile is one block against
/// another, 512 × 512 f32 = 1 MB of scratch per thread. The grid depends only
/// on `n`, so every similarity is computed the same way whatever the thread
/// count.
const BLOCK: usize = 512;

/// For each point, its `k` most similar other points as `(index, similarity)`,
/// most similar first; ties broken by the lower index. Similarities come from
/// matrix-multiply tiles (`model::matmul_abt`): exact, memory O(n·k + tile).
///
/// The similarity matrix is symmetric, so only the tiles on and above the
/// diagonal are computed (half the products of a full search), and each
/// pair's one value serves both its points: `j` lists `i` with the same
/// similarity, to the bit, as `i` lists `j`. A tile's candidates are merged
/// into its two blocks' lists under a total order (similarity, then index),
/// so the order in which threads finish cannot change the result.
pub fn knn(points: &[Vec<f32>], k: usize) -> Vec<Vec<(u32, f32)>> {
    knn_with_progress(points, k, &|_| {})
}

/// Tiles of the similarity grid that [`knn`] computes for `n` points: the
/// unit of [`knn_with_progress`].
pub fn tile_count(n: usize) -> u64 {
    let nb = n.div_ceil(BLOCK) as u64;
    nb * (nb + 1) / 2
}

/// [`knn`], calling `done` with the number of tiles finished so far (of
/// [`tile_count`]) as each one finishes, from whichever thread finished it.
/// The result does not depend on `done`.
pub fn knn_with_progress(
    points: &[Vec<f32>],
    k: usize,
    done: &(dyn Fn(u64) + Sync),
) -> Vec<Vec<(u32, f32)>> {
    let n = points.len();
    let k = k.min(n.saturating_sub(1));
    let dim = points.first().map(Vec::len).unwrap_or(0);
    if k == 0 || dim == 0 || points.iter().any(|p| p.len() != dim) {
        return knn_by_dots(points, k);
    }
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    let nb = n.div_ceil(BLOCK);
    let span = |b: usize| (b * BLOCK, ((b + 1) * BLOCK).min(n));
    let lists: Vec<Mutex<Vec<Best>>> = (0..nb)
        .map(|b| {
            let (s, e) = span(b);
            Mutex::new((s..e).map(|_| Best::new(k)).collect())
        })
        .collect();
    let tiles: Vec<(usize, usize)> = (0..nb).flat_map(|a| (a..nb).map(move |b| (a, b))).collect();
    let merge = |block: usize, found: Vec<Best>| {
        // a poisoned lock only means another tile panicked; its lists are whole
        let mut dst = lists[block].lock().unwrap_or_else(|e| e.into_inner());
        for (d, f) in dst.iter_mut().zip(found) {
            for (j, s) in f.items {
                d.push(j, s);
            }
        }
    };
    let tile = |sims: &mut Vec<f32>, a: usize, b: usize| {
        let (r0, r1) = span(a);
        let (c0, c1) = span(b);
        let (m, w) = (r1 - r0, c1 - c0);
        sims.resize(m * w, 0.0);
        crate::model::matmul_abt(
            m,
            w,
            dim,
            &flat[r0 * dim..r1 * dim],
            &flat[c0 * dim..c1 * dim],
            &mut sims[..m * w],
        );
        // candidates below a point's k-th best so far can never enter its
        // list: start each tile's lists from those floors
        let floors = |block: usize| -> Vec<f32> {
            let l = lists[block].lock().unwrap_or_else(|e| e.into_inner());
            l.iter().map(|b| b.floor).collect()
        };
        let mut rows: Vec<Best> = floors(a).into_iter().map(|f| Best::above(k, f)).collect();
        if a == b {
            // one value per pair: the upper triangle serves both points
            for i in 0..m {
                for j in (i + 1)..m {
                    let s = sims[i * w + j];
                    rows[i].offer((c0 + j) as u32, s);
                    rows[j].offer((r0 + i) as u32, s);
                }
            }
            merge(a, rows);
        } else {
            let mut cols: Vec<Best> = floors(b).into_iter().map(|f| Best::above(k, f)).collect();
            let mut col_floor: Vec<f32> = cols.iter().map(|c| c.floor).collect();
            for (i, row) in rows.iter_mut().enumerate() {
                let line = &sims[i * w..(i + 1) * w];
                for (c, chunk) in line.chunks(LANES).enumerate() {
                    let base = c * LANES;
                    // most chunks hold no candidate for the row or any column:
                    // one vectorised test skips them
                    if !any_candidate(chunk, row.floor, &col_floor[base..base + chunk.len()]) {
                        continue;
                    }
                    for (jj, &s) in chunk.iter().enumerate() {
                        let j = base + jj;
                        row.offer((c0 + j) as u32, s);
                        cols[j].offer((r0 + i) as u32, s);
                        col_floor[j] = cols[j].floor;
                    }
                }
            }
            merge(a, rows);
            merge(b, cols);
        }
    };
    let finished = std::sync::atomic::AtomicU64::new(0);
    tiles.into_par_iter().for_each(|(a, b)| {
        // one similarity buffer per thread, reused by its tiles (a fresh
        // megabyte per tile costs page faults); a fresh one if it is in use
        SIMS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut sims) => tile(&mut sims, a, b),
            Err(_) => tile(&mut Vec::new(), a, b),
        });
        done(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
    });
    lists
        .into_iter()
        .flat_map(|l| l.into_inner().unwrap_or_else(|e| e.into_inner()))
        .map(|b| b.items)
        .collect()
}

thread_local! {
    /// Each thread's similarity tile (see [`knn`]).
    static SIMS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Similarities tested together for candidates in [`knn`].
const LANES: usize = 16;

/// Whether any similarity in `s` reaches the row's floor or its column's
/// floor (NaN counts as reaching: it takes the exact path, as in
/// [`Best::offer`]). Branch-free over fixed-size chunks, so it vectorises.
#[inline]
fn any_candidate(s: &[f32], row_floor: f32, col_floor: &[f32]) -> bool {
    if let (Ok(s), Ok(f)) = (
        <&[f32; LANES]>::try_from(s),
        <&[f32; LANES]>::try_from(col_floor),
    ) {
        let mut hit = false;
        for i in 0..LANES {
            hit |= (s[i] >= row_floor) | (s[i] >= f[i]) | s[i].is_nan();
        }
        return hit;
    }
    s.iter()
        .zip(col_floor)
        .any(|(&x, &f)| x >= row_floor || x >= f || x.is_nan())
}

/// `a` ranks before `b`: higher similarity, then lower index (a total order,
/// so the top `k` of a set does not depend on the order it is seen in).
fn before(a: (u32, f32), b: (u32, f32)) -> bool {
    match a.1.total_cmp(&b.1) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => a.0 < b.0,
        std::cmp::Ordering::Less => false,
    }
}

/// The top `k` candidates seen so far, in rank order.
struct Best {
    k: usize,
    items: Vec<(u32, f32)>,
    /// Similarity of the k-th item once full (-inf before): a candidate below
    /// it is rejected with one comparison.
    floor: f32,
}

impl Best {
    fn new(k: usize) -> Self {
        Self::above(k, f32::NEG_INFINITY)
    }

    /// Empty, rejecting candidates below `floor` (another list's k-th best:
    /// nothing below it can be among the top `k`).
    fn above(k: usize, floor: f32) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
            floor,
        }
    }

    #[inline]
    fn offer(&mut self, j: u32, s: f32) {
        // NaN is not below the floor: it takes the exact path
        if s >= self.floor || s.is_nan() {
            self.push(j, s);
        }
    }

    fn push(&mut self, j: u32, s: f32) {
        let c = (j, s);
        if self.items.len() == self.k && self.items.last().is_none_or(|&l| !before(c, l)) {
            return;
        }
        let pos = self.items.partition_point(|&e| before(e, c));
        self.items.insert(pos, c);
        if self.items.len() > self.k {
            self.items.pop();
        }
        if let (true, Some(l)) = (self.items.len() == self.k, self.items.last()) {
            self.floor = self.floor.max(l.1);
        }
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
            let mut best = Best::new(k);
            for (j, q) in points.iter().enumerate() {
                if j != i {
                    best.offer(j as u32, dot(p, q));
                }
            }
            best.items
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
        let n = 4 * BLOCK + 300;
        let mut pts: Vec<Vec<f32>> = (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..24).map(|_| next()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect();
        pts[7] = pts[3].clone();
        pts[3 * BLOCK + 5] = pts[3].clone();
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
        assert_eq!(tiled[3][1].0, (3 * BLOCK + 5) as u32);
        assert_eq!(tiled[3 * BLOCK + 5][0].0, 3);
    }

    fn random_points(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = seed;
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..dim)
                    .map(|_| {
                        rng = rng
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((rng >> 40) as f32 / (1u64 << 24) as f32) - 0.5
                    })
                    .collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect()
    }

    #[test]
    fn knn_pairs_share_one_similarity_and_ignore_thread_count() {
        let pts = random_points(3 * BLOCK + 77, 40, 99);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| knn(&pts, 9));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| knn(&pts, 9));
        assert_eq!(one, four);
        let mut shared = 0;
        for (i, row) in one.iter().enumerate() {
            assert_eq!(row.len(), 9);
            for &(j, s) in row {
                assert_ne!(j as usize, i);
                if let Some(&(_, t)) = one[j as usize].iter().find(|x| x.0 as usize == i) {
                    assert_eq!(s.to_bits(), t.to_bits(), "pair ({i}, {j})");
                    shared += 1;
                }
            }
        }
        assert!(shared > 0);
    }

    #[test]
    fn knn_reports_each_tile_once_as_it_finishes() {
        let pts = random_points(2 * BLOCK + 10, 8, 5);
        let seen = Mutex::new(Vec::new());
        let with = knn_with_progress(&pts, 4, &|d| seen.lock().unwrap().push(d));
        assert_eq!(with, knn(&pts, 4));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        // 3 blocks: 6 tiles on and above the diagonal
        assert_eq!(tile_count(pts.len()), 6);
        assert_eq!(seen, (1..=6).collect::<Vec<u64>>());
    }

    #[test]
    fn best_keeps_the_top_k_whatever_the_order_seen() {
        let items = [
            (5u32, 0.5f32),
            (2, 0.5),
            (9, 0.9),
            (1, 0.1),
            (7, 0.5),
            (3, 0.95),
        ];
        let mut fwd = Best::new(3);
        for &(j, s) in &items {
            fwd.offer(j, s);
        }
        let mut rev = Best::new(3);
        for &(j, s) in items.iter().rev() {
            rev.offer(j, s);
        }
        assert_eq!(fwd.items, vec![(3, 0.95), (9, 0.9), (2, 0.5)]);
        assert_eq!(fwd.items, rev.items);
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.05).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }
}
