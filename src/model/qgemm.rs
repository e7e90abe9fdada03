//! Int8 matrix products for the encoder's `--precision int8` mode.
//!
//! Why: a dense layer's product is ~85% of the encoder's time; on CPUs whose
//! integer multiply-add is wider than their f32 FMA, 8-bit operands do more
//! work per instruction. Accuracy is kept by scaling finely rather than
//! coarsely (ONNX Runtime's dynamic quantisation uses one scale per tensor):
//!
//! - weights: symmetric, **one scale per output column**, in `[-127, 127]`;
//! - activations: asymmetric, **one scale and zero point per row** (token),
//!   in `[0, 255]`, so layer-norm outputs and GELU outputs (mostly positive)
//!   both use all 256 levels; quantised once per product, per call (the
//!   encoder first divides channels with large ranges by a smoothing factor
//!   folded into the weights: `fast.rs`, SmoothQuant).
//!
//! Measured on all-MiniLM-L6-v2 (README, "Precision"): 7-bit weights or 7-bit
//! activations, which would let AVX2's `vpmaddubsw` add u8 × i8 pairs into
//! i16 without saturating, cost too much accuracy (minimum cosine to f32
//! 0.992 and 0.989 against 0.997), so both operands are widened to i16 and
//! multiplied with `vpmaddwd`, which cannot saturate: the AVX2 path computes
//! the exact integer sums and agrees bit for bit with the portable one.
//!
//! `out[r][c] = sa[r] · sw[c] · (Σₖ qa[r][k] · qw[k][c] − zp[r] · Σₖ qw[k][c]) + b[c]`
//!
//! The integer sums are exact, and the epilogue is the same f32 operations in
//! the same order on every path, so results do not depend on the CPU's
//! instruction set or on the thread that computes them.

/// Columns per packed panel (two AVX2 registers of i32).
const NR: usize = 16;
/// Rows per micro-tile.
const MR: usize = 4;
/// Rows of the left operand per cache block.
const MC: usize = 128;
/// Largest weight level.
const WMAX: f32 = 127.0;
/// Largest activation level.
const AMAX: f32 = 255.0;

/// A weight matrix `[k × n]` quantised and packed for [`qgemm`].
pub struct QWeights {
    k: usize,
    /// `k` rounded up to a multiple of 2.
    kp: usize,
    n: usize,
    /// Panels of `NR` columns: for each pair of rows of k, `NR × 2` values,
    /// column by column (each column's 2 consecutive k values together).
    packed: Vec<i16>,
    scale: Vec<f32>,
    colsum: Vec<i32>,
}

impl QWeights {
    /// Quantise `w` (`k × n`, row-major).
    pub fn new(w: &[f32], k: usize, n: usize) -> Self {
        assert_eq!(w.len(), k * n);
        let kp = k.div_ceil(2) * 2;
        let np = n.div_ceil(NR) * NR;
        let mut scale = vec![0f32; n];
        for (c, s) in scale.iter_mut().enumerate() {
            let m = (0..k).map(|r| w[r * n + c].abs()).fold(0f32, f32::max);
            *s = if m > 0.0 { m / WMAX } else { 1.0 };
        }
        let mut packed = vec![0i16; np * kp];
        let mut colsum = vec![0i32; n];
        for c in 0..n {
            let (panel, lane) = (c / NR, c % NR);
            for r in 0..k {
                let q = (w[r * n + c] / scale[c]).round().clamp(-WMAX, WMAX) as i16;
                colsum[c] += q as i32;
                packed[panel * NR * kp + (r / 2) * NR * 2 + lane * 2 + r % 2] = q;
            }
        }
        Self {
            k,
            kp,
            n,
            packed,
            scale,
            colsum,
        }
    }

    pub fn rows(&self) -> usize {
        self.k
    }

    pub fn cols(&self) -> usize {
        self.n
    }
}

/// Rows of activations quantised for [`qgemm`] (a reusable buffer).
#[derive(Default)]
pub struct QActs {
    m: usize,
    kp: usize,
    /// `ceil(m / MR) · MR` rows of `kp` levels in `[0, AMAX]` (padding 0).
    q: Vec<i16>,
    scale: Vec<f32>,
    zero: Vec<i32>,
    /// One row times the channel multipliers (reused across calls).
    row: Vec<f32>,
}

impl QActs {
    /// Quantise `x` (`m × k`, row-major), each row with its own scale and
    /// zero point, channel `j` first multiplied by `col_mul[j]` (empty: by 1).
    pub fn quantize(&mut self, x: &[f32], m: usize, k: usize, col_mul: &[f32]) {
        assert_eq!(x.len(), m * k);
        assert!(col_mul.is_empty() || col_mul.len() == k);
        let kp = k.div_ceil(2) * 2;
        let mp = m.div_ceil(MR) * MR;
        self.m = m;
        self.kp = kp;
        self.q.clear();
        self.q.resize(mp * kp, 0);
        self.scale.clear();
        self.zero.clear();
        let mut scaled = std::mem::take(&mut self.row);
        for (r, row) in x.chunks_exact(k.max(1)).take(m).enumerate() {
            let row = if col_mul.is_empty() {
                row
            } else {
                scaled.clear();
                scaled.extend(row.iter().zip(col_mul).map(|(v, f)| v * f));
                &scaled[..]
            };
            let (lo, hi) = row
                .iter()
                .fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let s = if hi > lo { (hi - lo) / AMAX } else { 1.0 };
            let inv = 1.0 / s;
            let zp = (-lo * inv).round().clamp(0.0, AMAX);
            let out = &mut self.q[r * kp..r * kp + k];
            for (o, &v) in out.iter_mut().zip(row) {
                *o = (v * inv + zp).round().clamp(0.0, AMAX) as i16;
            }
            self.scale.push(s);
            self.zero.push(zp as i32);
        }
        self.row = scaled;
    }
}

/// `out[m × n] = dequant(a · w) (+ bias)`, `out` row-major; one thread.
pub fn qgemm(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
    assert_eq!(a.kp, w.kp, "qgemm: inner dimensions differ");
    let (m, n) = (a.m, w.n);
    assert!(out.len() >= m * n);
    if let Some(b) = bias {
        assert_eq!(b.len(), n);
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the bounds the kernel relies on are the
        // buffer shapes built by `QWeights::new` and `QActs::quantize`.
        unsafe { avx2::run(a, w, bias, out) };
        return;
    }
    portable(a, w, bias, out);
}

/// The epilogue shared by every path: one element from its exact integer sum.
#[inline(always)]
fn dequant(acc: i32, a: &QActs, r: usize, w: &QWeights, c: usize, bias: Option<&[f32]>) -> f32 {
    let v = (acc - a.zero[r] * w.colsum[c]) as f32 * (a.scale[r] * w.scale[c]);
    match bias {
        Some(b) => v + b[c],
        None => v,
    }
}

fn portable(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
    let (m, n, kp) = (a.m, w.n, a.kp);
    for r in 0..m {
        let qa = &a.q[r * kp..(r + 1) * kp];
        for c in 0..n {
            let panel = &w.packed[(c / NR) * NR * kp..];
            let lane = c % NR;
            let mut acc = 0i32;
            for g in 0..kp / 2 {
                let wq = &panel[g * NR * 2 + lane * 2..g * NR * 2 + lane * 2 + 2];
                for j in 0..2 {
                    acc += qa[g * 2 + j] as i32 * wq[j] as i32;
                }
            }
            out[r * n + c] = dequant(acc, a, r, w, c, bias);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{dequant, QActs, QWeights, MC, MR, NR};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn run(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
        let (m, n, kp) = (a.m, w.n, a.kp);
        let panels = n.div_ceil(NR);
        let mut tile = [[0i32; NR]; MR];
        let mut r0 = 0;
        while r0 < m {
            let r1 = (r0 + MC).min(m);
            for p in 0..panels {
                let bp = w.packed.as_ptr().add(p * NR * kp);
                let mut r = r0;
                while r < r1 {
                    let ap = a.q.as_ptr().add(r * kp);
                    kernel(ap, kp, bp, &mut tile);
                    let rows = MR.min(r1 - r);
                    let cols = NR.min(n - p * NR);
                    for (i, trow) in tile.iter().enumerate().take(rows) {
                        let o = &mut out[(r + i) * n + p * NR..(r + i) * n + p * NR + cols];
                        for (j, v) in o.iter_mut().enumerate() {
                            *v = dequant(trow[j], a, r + i, w, p * NR + j, bias);
                        }
                    }
                    r += MR;
                }
            }
            r0 = r1;
        }
    }

    /// `MR × NR` exact i32 sums of one row block against one panel.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn kernel(ap: *const i16, kp: usize, bp: *const i16, tile: &mut [[i32; NR]; MR]) {
        let mut c00 = _mm256_setzero_si256();
        let mut c01 = _mm256_setzero_si256();
        let mut c10 = _mm256_setzero_si256();
        let mut c11 = _mm256_setzero_si256();
        let mut c20 = _mm256_setzero_si256();
        let mut c21 = _mm256_setzero_si256();
        let mut c30 = _mm256_setzero_si256();
        let mut c31 = _mm256_setzero_si256();
        let mut g = 0;
        while g < kp {
            // 2 values of k for 16 columns: lanes 0-7, then 8-15.
            let b0 = _mm256_loadu_si256(bp.add(g * NR) as *const __m256i);
            let b1 = _mm256_loadu_si256(bp.add(g * NR + 16) as *const __m256i);
            macro_rules! row {
                ($i:expr, $x0:ident, $x1:ident) => {{
                    // the row's 2 values of k, in every lane
                    let av =
                        _mm256_set1_epi32((ap.add($i * kp + g) as *const i32).read_unaligned());
                    let p0 = _mm256_madd_epi16(av, b0);
                    let p1 = _mm256_madd_epi16(av, b1);
                    $x0 = _mm256_add_epi32($x0, p0);
                    $x1 = _mm256_add_epi32($x1, p1);
                }};
            }
            row!(0, c00, c01);
            row!(1, c10, c11);
            row!(2, c20, c21);
            row!(3, c30, c31);
            g += 2;
        }
        let st = |t: &mut [i32; NR], x0: __m256i, x1: __m256i| {
            _mm256_storeu_si256(t.as_mut_ptr() as *mut __m256i, x0);
            _mm256_storeu_si256(t.as_mut_ptr().add(8) as *mut __m256i, x1);
        };
        st(&mut tile[0], c00, c01);
        st(&mut tile[1], c10, c11);
        st(&mut tile[2], c20, c21);
        st(&mut tile[3], c30, c31);
    }
}

/// The portable path, for tests that compare it with the dispatched one.
#[cfg(test)]
pub(crate) fn qgemm_portable(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
    portable(a, w, bias, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn int8_product_is_close_to_f32_and_identical_on_every_path() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 7, 3),
            (13, 384, 37),
            (130, 64, 17),
            (4, 1536, 16),
        ] {
            let x = data(m * k, 3);
            let w = data(k * n, 5);
            let b = data(n, 7);
            let qw = QWeights::new(&w, k, n);
            let mut qa = QActs::default();
            qa.quantize(&x, m, k, &[]);
            let mut fast = vec![0f32; m * n];
            let mut slow = vec![0f32; m * n];
            qgemm(&qa, &qw, Some(&b), &mut fast);
            qgemm_portable(&qa, &qw, Some(&b), &mut slow);
            assert_eq!(fast, slow, "{m}×{k}×{n}");
            for r in 0..m {
                for c in 0..n {
                    let exact: f32 =
                        (0..k).map(|i| x[r * k + i] * w[i * n + c]).sum::<f32>() + b[c];
                    let tol = 0.02 * (k as f32).sqrt() + 1e-3;
                    let got = fast[r * n + c];
                    assert!(
                        (got - exact).abs() < tol,
                        "{m}×{k}×{n} [{r},{c}]: {got} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn int8_rows_keep_constant_and_zero_rows() {
        let (m, k, n) = (3, 8, 2);
        let mut x = vec![0f32; m * k];
        x[k..2 * k].iter_mut().for_each(|v| *v = 0.5);
        let w = data(k * n, 9);
        let qw = QWeights::new(&w, k, n);
        let mut qa = QActs::default();
        qa.quantize(&x, m, k, &[]);
        let mut out = vec![0f32; m * n];
        qgemm(&qa, &qw, None, &mut out);
        assert_eq!(&out[..n], &[0.0, 0.0]);
        for c in 0..n {
            let exact: f32 = (0..k).map(|i| 0.5 * w[i * n + c]).sum();
            assert!(
                (out[n + c] - exact).abs() < 0.02,
                "{} vs {exact}",
                out[n + c]
            );
        }
    }
}
