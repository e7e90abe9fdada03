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
//! On CPUs with AVX-512 VNNI, `vpdpbusd` multiplies exactly these operands
//! (u8 activations × i8 weights), four products per 32-bit lane, and adds them
//! without saturating (each product fits in 16 bits: 255 · 127 < 2¹⁵): 64
//! multiply-adds per 512-bit instruction against an f32 FMA's 16. Operands
//! are then kept as bytes, four values of k together, and the activations'
//! quantisation and the epilogue are vectorised too (same f32 operations in
//! the same order, so the same bits as the scalar code).
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
/// The largest f32 below 0.5: `trunc(y + copysign(HALF_DOWN, y))` is
/// `f32::round(y)` (half away from zero) for every |y| < 2²³, which the scalar
/// path uses; the vector units round only to even (or toward zero).
#[cfg(target_arch = "x86_64")]
const HALF_DOWN: f32 = 0.499_999_97;
/// AVX-512 VNNI: columns per packed panel (two 512-bit registers of i32).
const NV: usize = 32;
/// AVX-512 VNNI: rows per micro-tile.
const MV: usize = 8;

/// How [`qgemm`] computes, and so how its operands are packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// Plain Rust over the 16-bit layout.
    Portable,
    /// AVX2 `vpmaddwd` over the 16-bit layout.
    Avx2,
    /// AVX-512 VNNI `vpdpbusd` over the byte layout.
    Vnni,
}

impl Path {
    /// The fastest path this CPU runs (`WHYLINE_NO_SIMD=1`: portable).
    pub(crate) fn detected() -> Path {
        static P: std::sync::OnceLock<Path> = std::sync::OnceLock::new();
        *P.get_or_init(|| {
            if std::env::var("WHYLINE_NO_SIMD").is_ok_and(|v| v == "1") {
                return Path::Portable;
            }
            [Path::Vnni, Path::Avx2]
                .into_iter()
                .find(|p| p.runs_here())
                .unwrap_or(Path::Portable)
        })
    }

    /// Every path this CPU can run (for tests that compare them).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Path> {
        [Path::Portable, Path::Avx2, Path::Vnni]
            .into_iter()
            .filter(|p| p.runs_here())
            .collect()
    }

    /// Whether this CPU has the path's instructions.
    fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Path::Portable => true,
                Path::Avx2 => std::is_x86_feature_detected!("avx2"),
                Path::Vnni => {
                    std::is_x86_feature_detected!("avx512f")
                        && std::is_x86_feature_detected!("avx512bw")
                        && std::is_x86_feature_detected!("avx512vnni")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Path::Portable
        }
    }

    /// Values of k packed together (k is padded to a multiple of it).
    fn k_group(self) -> usize {
        match self {
            Path::Vnni => 4,
            _ => 2,
        }
    }
}

/// A weight matrix `[k × n]` quantised and packed for [`qgemm`].
pub struct QWeights {
    path: Path,
    k: usize,
    /// `k` rounded up to a multiple of the path's k group (2 or 4).
    kp: usize,
    n: usize,
    /// Portable and AVX2: panels of `NR` columns; for each pair of rows of k,
    /// `NR × 2` values, column by column (each column's 2 consecutive k
    /// values together).
    packed: Vec<i16>,
    /// VNNI: panels of `NV` columns; for each group of 4 rows of k, `NV × 4`
    /// bytes, column by column.
    packed8: Vec<i8>,
    scale: Vec<f32>,
    colsum: Vec<i32>,
}

impl QWeights {
    /// Quantise `w` (`k × n`, row-major) for this CPU's fastest path.
    pub fn new(w: &[f32], k: usize, n: usize) -> Self {
        Self::for_path(w, k, n, Path::detected())
    }

    /// Quantise `w` (`k × n`, row-major), packed for `path`.
    pub(crate) fn for_path(w: &[f32], k: usize, n: usize, path: Path) -> Self {
        assert_eq!(w.len(), k * n);
        let g = path.k_group();
        let kp = k.div_ceil(g) * g;
        let nr = if path == Path::Vnni { NV } else { NR };
        let np = n.div_ceil(nr) * nr;
        let mut scale = vec![0f32; n];
        for (c, s) in scale.iter_mut().enumerate() {
            let m = (0..k).map(|r| w[r * n + c].abs()).fold(0f32, f32::max);
            *s = if m > 0.0 { m / WMAX } else { 1.0 };
        }
        let (mut packed, mut packed8) = (Vec::new(), Vec::new());
        if path == Path::Vnni {
            packed8 = vec![0i8; np * kp];
        } else {
            packed = vec![0i16; np * kp];
        }
        let mut colsum = vec![0i32; n];
        for c in 0..n {
            let (panel, lane) = (c / nr, c % nr);
            for r in 0..k {
                let q = (w[r * n + c] / scale[c]).round().clamp(-WMAX, WMAX) as i16;
                colsum[c] += q as i32;
                let at = panel * nr * kp + (r / g) * nr * g + lane * g + r % g;
                if path == Path::Vnni {
                    packed8[at] = q as i8;
                } else {
                    packed[at] = q;
                }
            }
        }
        Self {
            path,
            k,
            kp,
            n,
            packed,
            packed8,
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
    path: Option<Path>,
    m: usize,
    kp: usize,
    /// Portable and AVX2: `ceil(m / MR) · MR` rows of `kp` levels in
    /// `[0, AMAX]` (padding 0).
    q: Vec<i16>,
    /// VNNI: `ceil(m / MV) · MV` rows of `kp` levels (padding 0).
    q8: Vec<u8>,
    scale: Vec<f32>,
    zero: Vec<i32>,
    /// One row times the channel multipliers (reused across calls).
    row: Vec<f32>,
}

impl QActs {
    /// Quantise `x` (`m × k`, row-major), each row with its own scale and
    /// zero point, channel `j` first multiplied by `col_mul[j]` (empty: by 1).
    pub fn quantize(&mut self, x: &[f32], m: usize, k: usize, col_mul: &[f32]) {
        self.quantize_for(x, m, k, col_mul, Path::detected())
    }

    /// [`QActs::quantize`], packed for `path`.
    pub(crate) fn quantize_for(
        &mut self,
        x: &[f32],
        m: usize,
        k: usize,
        col_mul: &[f32],
        path: Path,
    ) {
        assert_eq!(x.len(), m * k);
        assert!(col_mul.is_empty() || col_mul.len() == k);
        let g = path.k_group();
        let kp = k.div_ceil(g) * g;
        self.path = Some(path);
        self.m = m;
        self.kp = kp;
        self.q.clear();
        self.q8.clear();
        if path == Path::Vnni {
            self.q8.resize(m.div_ceil(MV) * MV * kp, 0);
        } else {
            self.q.resize(m.div_ceil(MR) * MR * kp, 0);
        }
        self.scale.clear();
        self.zero.clear();
        let mut scaled = std::mem::take(&mut self.row);
        for (r, row) in x.chunks_exact(k.max(1)).take(m).enumerate() {
            #[cfg(target_arch = "x86_64")]
            if path == Path::Vnni {
                // SAFETY: the VNNI path is only chosen where AVX-512 is present.
                let (s, zp) =
                    unsafe { vnni::quantize_row(row, col_mul, &mut self.q8[r * kp..r * kp + k]) };
                self.scale.push(s);
                self.zero.push(zp);
                continue;
            }
            #[cfg(target_arch = "x86_64")]
            if path == Path::Avx2 {
                // SAFETY: the AVX2 path is only chosen where AVX2 is present.
                let (s, zp) =
                    unsafe { avx2::quantize_row(row, col_mul, &mut self.q[r * kp..r * kp + k]) };
                self.scale.push(s);
                self.zero.push(zp);
                continue;
            }
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
            let (s, inv, zp) = row_params(lo, hi);
            if path == Path::Vnni {
                let out = &mut self.q8[r * kp..r * kp + k];
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = level(v, inv, zp) as u8;
                }
            } else {
                let out = &mut self.q[r * kp..r * kp + k];
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = level(v, inv, zp) as i16;
                }
            }
            self.scale.push(s);
            self.zero.push(zp as i32);
        }
        self.row = scaled;
    }
}

/// A row's scale, its inverse and its zero point (a level, integral) from
/// its range (`lo <= 0 <= hi`).
#[inline(always)]
fn row_params(lo: f32, hi: f32) -> (f32, f32, f32) {
    let s = if hi > lo { (hi - lo) / AMAX } else { 1.0 };
    let inv = 1.0 / s;
    (s, inv, (-lo * inv).round().clamp(0.0, AMAX))
}

/// Channel `j` of a row times its multiplier (none when `col_mul` is empty).
#[inline(always)]
fn channel(row: &[f32], col_mul: &[f32], j: usize) -> f32 {
    if col_mul.is_empty() {
        row[j]
    } else {
        row[j] * col_mul[j]
    }
}

/// A value's level (integral, in `[0, AMAX]`): the operations every path
/// performs, in this order (the vector paths reproduce them lane by lane).
#[inline(always)]
fn level(v: f32, inv: f32, zp: f32) -> f32 {
    (v * inv + zp).round().clamp(0.0, AMAX)
}

/// `out[m × n] = dequant(a · w) (+ bias)`, `out` row-major; one thread.
pub fn qgemm(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
    assert_eq!(a.kp, w.kp, "qgemm: inner dimensions differ");
    assert_eq!(
        a.path,
        Some(w.path),
        "qgemm: operands packed for different paths"
    );
    let (m, n) = (a.m, w.n);
    assert!(out.len() >= m * n);
    if let Some(b) = bias {
        assert_eq!(b.len(), n);
    }
    match w.path {
        Path::Portable => portable(a, w, bias, out),
        // SAFETY (both): `Path::detected`/`Path::available` only name a path
        // whose instructions this CPU has; the bounds the kernels rely on are
        // the buffer shapes built by `QWeights::for_path` and
        // `QActs::quantize_for` for that path.
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => unsafe { avx2::run(a, w, bias, out) },
        #[cfg(target_arch = "x86_64")]
        Path::Vnni => unsafe { vnni::run(a, w, bias, out) },
        #[cfg(not(target_arch = "x86_64"))]
        _ => unreachable!("x86 paths are never detected elsewhere"),
    }
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
    use super::{
        channel, dequant, level, row_params, QActs, QWeights, AMAX, HALF_DOWN, MC, MR, NR,
    };
    use std::arch::x86_64::*;

    /// [`super::QActs::quantize`] of one row into 16-bit levels, 8 channels
    /// at a time with the scalar code's f32 operations (see `HALF_DOWN`).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn quantize_row(row: &[f32], col_mul: &[f32], out: &mut [i16]) -> (f32, i32) {
        let k = row.len();
        let body = k / 8 * 8;
        let scaled = |j: usize| -> __m256 {
            let x = _mm256_loadu_ps(row.as_ptr().add(j));
            if col_mul.is_empty() {
                x
            } else {
                _mm256_mul_ps(x, _mm256_loadu_ps(col_mul.as_ptr().add(j)))
            }
        };
        let one = |j: usize| channel(row, col_mul, j);
        let (mut vlo, mut vhi) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for j in (0..body).step_by(8) {
            let y = scaled(j);
            vlo = _mm256_min_ps(vlo, y);
            vhi = _mm256_max_ps(vhi, y);
        }
        let (mut los, mut his) = ([0f32; 8], [0f32; 8]);
        _mm256_storeu_ps(los.as_mut_ptr(), vlo);
        _mm256_storeu_ps(his.as_mut_ptr(), vhi);
        let mut lo = los.iter().fold(0f32, |a, &b| a.min(b));
        let mut hi = his.iter().fold(0f32, |a, &b| a.max(b));
        for j in body..k {
            (lo, hi) = (lo.min(one(j)), hi.max(one(j)));
        }
        let (s, inv, zp) = row_params(lo, hi);
        let (vinv, vzp) = (_mm256_set1_ps(inv), _mm256_set1_ps(zp));
        let sign = _mm256_castsi256_ps(_mm256_set1_epi32(i32::MIN));
        let half = _mm256_set1_ps(HALF_DOWN);
        let top = _mm256_set1_ps(AMAX);
        for j in (0..body).step_by(8) {
            let y = _mm256_add_ps(_mm256_mul_ps(scaled(j), vinv), vzp);
            let t = _mm256_add_ps(y, _mm256_or_ps(_mm256_and_ps(y, sign), half));
            let r = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(t);
            let c = _mm256_min_ps(_mm256_max_ps(r, _mm256_setzero_ps()), top);
            let i = _mm256_cvttps_epi32(c);
            // 8 × i32 in 0..=255 -> 8 × i16 (the pack works per 128-bit lane)
            let p = _mm256_permute4x64_epi64::<0b1000>(_mm256_packs_epi32(i, i));
            _mm_storeu_si128(
                out.as_mut_ptr().add(j) as *mut __m128i,
                _mm256_castsi256_si128(p),
            );
        }
        for (j, o) in out.iter_mut().enumerate().take(k).skip(body) {
            *o = level(one(j), inv, zp) as i16;
        }
        (s, zp as i32)
    }

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

#[cfg(target_arch = "x86_64")]
mod vnni {
    use super::{
        channel, dequant, level, row_params, QActs, QWeights, AMAX, HALF_DOWN, MC, MV, NV,
    };
    use std::arch::x86_64::*;

    /// [`super::QActs::quantize`] of one row (channel `j` times `col_mul[j]`,
    /// none when empty) into `out`, with the same f32 operations as the
    /// scalar code, so the same levels: returns the scale and zero point.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn quantize_row(row: &[f32], col_mul: &[f32], out: &mut [u8]) -> (f32, i32) {
        let k = row.len();
        let body = k / 16 * 16;
        let scaled = |j: usize| -> __m512 {
            let x = _mm512_loadu_ps(row.as_ptr().add(j));
            if col_mul.is_empty() {
                x
            } else {
                _mm512_mul_ps(x, _mm512_loadu_ps(col_mul.as_ptr().add(j)))
            }
        };
        let one = |j: usize| channel(row, col_mul, j);
        let (mut vlo, mut vhi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        for j in (0..body).step_by(16) {
            let y = scaled(j);
            vlo = _mm512_min_ps(vlo, y);
            vhi = _mm512_max_ps(vhi, y);
        }
        let (mut lo, mut hi) = (_mm512_reduce_min_ps(vlo), _mm512_reduce_max_ps(vhi));
        for j in body..k {
            (lo, hi) = (lo.min(one(j)), hi.max(one(j)));
        }
        let (s, inv, zp) = row_params(lo, hi);
        let (vinv, vzp) = (_mm512_set1_ps(inv), _mm512_set1_ps(zp));
        let sign = _mm512_set1_epi32(i32::MIN);
        let half = _mm512_castps_si512(_mm512_set1_ps(HALF_DOWN));
        let top = _mm512_set1_ps(AMAX);
        for j in (0..body).step_by(16) {
            let y = _mm512_add_ps(_mm512_mul_ps(scaled(j), vinv), vzp);
            let bias = _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(y), sign), half);
            let t = _mm512_add_ps(y, _mm512_castsi512_ps(bias));
            let r = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(t);
            let c = _mm512_min_ps(_mm512_max_ps(r, _mm512_setzero_ps()), top);
            let b = _mm512_cvtusepi32_epi8(_mm512_cvttps_epi32(c));
            _mm_storeu_si128(out.as_mut_ptr().add(j) as *mut __m128i, b);
        }
        for (j, o) in out.iter_mut().enumerate().take(k).skip(body) {
            *o = level(one(j), inv, zp) as u8;
        }
        (s, zp as i32)
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn run(a: &QActs, w: &QWeights, bias: Option<&[f32]>, out: &mut [f32]) {
        let (m, n, kp) = (a.m, w.n, a.kp);
        let panels = n.div_ceil(NV);
        let mut tile = [[0i32; NV]; MV];
        let mut r0 = 0;
        while r0 < m {
            let r1 = (r0 + MC).min(m);
            for p in 0..panels {
                let bp = w.packed8.as_ptr().add(p * NV * kp);
                let c0 = p * NV;
                let cols = NV.min(n - c0);
                let mut r = r0;
                while r < r1 {
                    kernel(a.q8.as_ptr().add(r * kp), kp, bp, &mut tile);
                    for (i, trow) in tile.iter().enumerate().take(MV.min(r1 - r)) {
                        let row = r + i;
                        let o = &mut out[row * n + c0..row * n + c0 + cols];
                        epilogue(trow, a, row, w, c0, bias, o);
                    }
                    r += MV;
                }
            }
            r0 = r1;
        }
    }

    /// One tile row into `o`: 16 columns at a time with the same f32
    /// operations, in the same order, as [`dequant`] (no fused multiply-add),
    /// so every path gives the same bits; a ragged end goes through `dequant`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn epilogue(
        acc: &[i32; NV],
        a: &QActs,
        row: usize,
        w: &QWeights,
        c0: usize,
        bias: Option<&[f32]>,
        o: &mut [f32],
    ) {
        let zp = _mm512_set1_epi32(a.zero[row]);
        let sa = _mm512_set1_ps(a.scale[row]);
        let mut j = 0;
        while j + 16 <= o.len() {
            let c = c0 + j;
            let s = _mm512_loadu_si512(acc.as_ptr().add(j) as *const __m512i);
            let cs = _mm512_loadu_si512(w.colsum.as_ptr().add(c) as *const __m512i);
            let d = _mm512_sub_epi32(s, _mm512_mullo_epi32(zp, cs));
            let f = _mm512_mul_ps(sa, _mm512_loadu_ps(w.scale.as_ptr().add(c)));
            let mut v = _mm512_mul_ps(_mm512_cvtepi32_ps(d), f);
            if let Some(b) = bias {
                v = _mm512_add_ps(v, _mm512_loadu_ps(b.as_ptr().add(c)));
            }
            _mm512_storeu_ps(o.as_mut_ptr().add(j), v);
            j += 16;
        }
        for (jj, v) in o.iter_mut().enumerate().skip(j) {
            *v = dequant(acc[jj], a, row, w, c0 + jj, bias);
        }
    }

    /// `MV × NV` exact i32 sums of one row block against one panel.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn kernel(ap: *const u8, kp: usize, bp: *const i8, tile: &mut [[i32; NV]; MV]) {
        let mut c = [[_mm512_setzero_si512(); 2]; MV];
        let mut g = 0;
        while g < kp {
            // 4 values of k for 32 columns: lanes 0-15, then 16-31.
            let b0 = _mm512_loadu_si512(bp.add(g * NV) as *const __m512i);
            let b1 = _mm512_loadu_si512(bp.add(g * NV + 64) as *const __m512i);
            for (i, ci) in c.iter_mut().enumerate() {
                // the row's 4 values of k, in every lane
                let av = _mm512_set1_epi32((ap.add(i * kp + g) as *const i32).read_unaligned());
                ci[0] = _mm512_dpbusd_epi32(ci[0], av, b0);
                ci[1] = _mm512_dpbusd_epi32(ci[1], av, b1);
            }
            g += 4;
        }
        for (t, ci) in tile.iter_mut().zip(&c) {
            _mm512_storeu_si512(t.as_mut_ptr() as *mut __m512i, ci[0]);
            _mm512_storeu_si512(t.as_mut_ptr().add(16) as *mut __m512i, ci[1]);
        }
    }
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
            (9, 6, 33),
            (17, 384, 1536),
            (3, 1536, 384),
        ] {
            let x = data(m * k, 3);
            let w = data(k * n, 5);
            let b = data(n, 7);
            let product = |path: Path| {
                let qw = QWeights::for_path(&w, k, n, path);
                let mut qa = QActs::default();
                qa.quantize_for(&x, m, k, &[], path);
                let mut out = vec![0f32; m * n];
                qgemm(&qa, &qw, Some(&b), &mut out);
                out
            };
            let slow = product(Path::Portable);
            for path in Path::available() {
                assert_eq!(product(path), slow, "{path:?} {m}×{k}×{n}");
            }
            let fast = product(Path::detected());
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

    /// Regression guard for the vector paths' rounding: their
    /// `trunc(y ± HALF_DOWN)` must be the scalar path's `f32::round` (half away
    /// from zero) on every value a level can come from, ties included.
    #[test]
    fn int8_vector_quantisation_rounds_like_the_scalar_path() {
        // A row spanning exactly [0, 255] has scale 1 and zero point 0, so its
        // values are its levels before rounding: ties (t + 0.5), their
        // neighbours, and values spread over the whole range.
        let mut r = vec![0.0f32, 255.0];
        for t in 0..255 {
            let x = t as f32 + 0.5;
            r.extend([
                x,
                f32::from_bits(x.to_bits() - 1),
                f32::from_bits(x.to_bits() + 1),
            ]);
        }
        let mut bits = 0x3000_0000u32;
        while bits < 0x437F_0000 {
            r.push(f32::from_bits(bits));
            bits += 4_001;
        }
        let mut rows = vec![r];
        rows.push(data(1000, 11).iter().map(|v| v * 37.0).collect());
        for row in rows {
            let k = row.len();
            let mul = data(k, 13);
            for cm in [&[][..], &mul[..]] {
                let mut b = QActs::default();
                b.quantize_for(&row, 1, k, cm, Path::Portable);
                for path in Path::available() {
                    let mut a = QActs::default();
                    a.quantize_for(&row, 1, k, cm, path);
                    let levels: Vec<i16> = if path == Path::Vnni {
                        a.q8[..k].iter().map(|&v| v as i16).collect()
                    } else {
                        a.q[..k].to_vec()
                    };
                    assert_eq!(levels, b.q[..k], "{path:?}: levels differ (k = {k})");
                    assert_eq!((&a.scale, &a.zero), (&b.scale, &b.zero), "{path:?}");
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
