//! Element-wise kernels of the fast encoder: `exp` (softmax) and the exact
//! GELU (`0.5·x·(1 + erf(x/√2))`), 8 lanes at a time on AVX2+FMA, with a
//! scalar fallback chosen at run time.
//!
//! Why: with the matrix products in `gemm`, the softmax and GELU loops were the
//! largest remaining cost of a forward pass, and `f32::exp` does not vectorise.
//! `exp` is the Cephes polynomial (relative error ~1e-7); `erf` is
//! Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7), well inside the
//! 1e-5 agreement the fast path keeps with candle. `WHYLINE_NO_SIMD=1` forces
//! the scalar path (to test it on an AVX2 machine).

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];
const EXP_MAX: f32 = 88.376_26;
const EXP_MIN: f32 = -87.336_54;
const ERF_P: f32 = 0.327_591_1;
const ERF_A: [f32; 5] = [
    0.254_829_6,
    -0.284_496_74,
    1.421_413_8,
    -1.453_152,
    1.061_405_4,
];

/// `exp(x)` by the same polynomial as the vector kernel.
#[inline]
fn exp_scalar(x: f32) -> f32 {
    if x < EXP_MIN {
        return 0.0;
    }
    let x = x.min(EXP_MAX);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = EXP_P[0];
    for c in &EXP_P[1..] {
        p = p * r + c;
    }
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[inline]
fn gelu_scalar(x: f32) -> f32 {
    let z = x * std::f32::consts::FRAC_1_SQRT_2;
    let a = z.abs();
    let t = 1.0 / (1.0 + ERF_P * a);
    let mut p = ERF_A[4];
    for c in ERF_A[..4].iter().rev() {
        p = p * t + c;
    }
    let e = 1.0 - p * t * exp_scalar(-a * a);
    let erf = if z < 0.0 { -e } else { e };
    (erf + 1.0) * 0.5 * x
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| {
            std::env::var("WHYLINE_NO_SIMD").map_or(true, |v| v != "1")
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Softmax of one row in place (max subtracted first), as candle computes it.
pub fn softmax_row(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum;
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2() {
            // SAFETY: AVX2 and FMA were detected at run time.
            sum = unsafe { avx2::exp_sub_sum(row, max) };
        } else {
            sum = exp_sub_sum_scalar(row, max);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        sum = exp_sub_sum_scalar(row, max);
    }
    if sum == 0.0 {
        sum = 1.0;
    }
    let inv = 1.0 / sum;
    for v in row.iter_mut() {
        *v *= inv;
    }
}

fn exp_sub_sum_scalar(row: &mut [f32], max: f32) -> f32 {
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = exp_scalar(*v - max);
        sum += *v;
    }
    sum
}

fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| has_avx2() && is_x86_feature_detected!("avx512f"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `gelu(x + b)` in place, `b` added to every row of `xs` (rows of `b.len()`).
pub fn bias_gelu(xs: &mut [f32], b: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512() && b.len().is_multiple_of(16) {
            // SAFETY: AVX-512F was detected at run time.
            unsafe { avx512::bias_gelu(xs, b) };
            return;
        }
    }
    for row in xs.chunks_exact_mut(b.len()) {
        for (v, c) in row.iter_mut().zip(b) {
            *v += c;
        }
        gelu(row);
    }
}

/// Exact (erf) GELU in place.
pub fn gelu(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512() {
            // SAFETY: AVX-512F was detected at run time.
            unsafe { avx512::gelu(xs) };
            return;
        }
        if has_avx2() {
            // SAFETY: AVX2 and FMA were detected at run time.
            unsafe { avx2::gelu(xs) };
            return;
        }
    }
    for v in xs.iter_mut() {
        *v = gelu_scalar(*v);
    }
}

/// Tanh-approximation GELU in place (`gelu_new`).
pub fn gelu_tanh(xs: &mut [f32]) {
    const C: f32 = 0.797_884_6; // sqrt(2/pi)
    for v in xs.iter_mut() {
        let x = *v;
        *v = 0.5 * x * (1.0 + (C * (x + 0.044_715 * x * x * x)).tanh());
    }
}

pub fn relu(xs: &mut [f32]) {
    for v in xs.iter_mut() {
        *v = v.max(0.0);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn exp8(x: __m256) -> __m256 {
        let below = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_MIN), _CMP_LT_OQ);
        let x = _mm256_min_ps(x, _mm256_set1_ps(EXP_MAX));
        let x = _mm256_max_ps(x, _mm256_set1_ps(EXP_MIN));
        let n = _mm256_floor_ps(_mm256_fmadd_ps(
            x,
            _mm256_set1_ps(LOG2E),
            _mm256_set1_ps(0.5),
        ));
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
        let mut p = _mm256_set1_ps(EXP_P[0]);
        for c in &EXP_P[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(*c));
        }
        let y = _mm256_fmadd_ps(
            _mm256_mul_ps(p, r),
            r,
            _mm256_add_ps(r, _mm256_set1_ps(1.0)),
        );
        let e = _mm256_slli_epi32(
            _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
            23,
        );
        let out = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
        _mm256_andnot_ps(below, out)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_sub_sum(row: &mut [f32], max: f32) -> f32 {
        let m = _mm256_set1_ps(max);
        let mut acc = _mm256_setzero_ps();
        let mut chunks = row.chunks_exact_mut(8);
        for c in &mut chunks {
            let v = exp8(_mm256_sub_ps(_mm256_loadu_ps(c.as_ptr()), m));
            _mm256_storeu_ps(c.as_mut_ptr(), v);
            acc = _mm256_add_ps(acc, v);
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
        let mut sum = lanes.iter().sum::<f32>();
        for v in chunks.into_remainder() {
            *v = exp_scalar(*v - max);
            sum += *v;
        }
        sum
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gelu(xs: &mut [f32]) {
        let sign_mask = _mm256_set1_ps(-0.0);
        let one = _mm256_set1_ps(1.0);
        let mut chunks = xs.chunks_exact_mut(8);
        for c in &mut chunks {
            let x = _mm256_loadu_ps(c.as_ptr());
            let z = _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
            let a = _mm256_andnot_ps(sign_mask, z);
            let t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(ERF_P), a, one));
            let mut p = _mm256_set1_ps(ERF_A[4]);
            for k in (0..4).rev() {
                p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ERF_A[k]));
            }
            let ex = exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
            let e = _mm256_fnmadd_ps(_mm256_mul_ps(p, t), ex, one);
            // erf(z) carries the sign of z
            let erf = _mm256_or_ps(e, _mm256_and_ps(z, sign_mask));
            let g = _mm256_mul_ps(
                _mm256_mul_ps(_mm256_add_ps(erf, one), _mm256_set1_ps(0.5)),
                x,
            );
            _mm256_storeu_ps(c.as_mut_ptr(), g);
        }
        for v in chunks.into_remainder() {
            *v = gelu_scalar(*v);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::*;
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn exp16(x: __m512) -> __m512 {
        let below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_MIN), _CMP_LT_OQ);
        let x = _mm512_min_ps(x, _mm512_set1_ps(EXP_MAX));
        let x = _mm512_max_ps(x, _mm512_set1_ps(EXP_MIN));
        let n = _mm512_roundscale_ps(
            _mm512_fmadd_ps(x, _mm512_set1_ps(LOG2E), _mm512_set1_ps(0.5)),
            _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC,
        );
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
        let mut p = _mm512_set1_ps(EXP_P[0]);
        for c in &EXP_P[1..] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
        }
        let y = _mm512_fmadd_ps(
            _mm512_mul_ps(p, r),
            r,
            _mm512_add_ps(r, _mm512_set1_ps(1.0)),
        );
        let e = _mm512_slli_epi32(
            _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)),
            23,
        );
        let out = _mm512_mul_ps(y, _mm512_castsi512_ps(e));
        _mm512_maskz_mov_ps(!below, out)
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn gelu(xs: &mut [f32]) {
        let mut chunks = xs.chunks_exact_mut(16);
        for c in &mut chunks {
            let x = _mm512_loadu_ps(c.as_ptr());
            _mm512_storeu_ps(c.as_mut_ptr(), gelu16(x));
        }
        for v in chunks.into_remainder() {
            *v = gelu_scalar(*v);
        }
    }

    /// Rows of `b.len()` (a multiple of 16): `gelu(x + b)`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn bias_gelu(xs: &mut [f32], b: &[f32]) {
        for row in xs.chunks_exact_mut(b.len()) {
            for (c, bc) in row.chunks_exact_mut(16).zip(b.chunks_exact(16)) {
                let x = _mm512_add_ps(_mm512_loadu_ps(c.as_ptr()), _mm512_loadu_ps(bc.as_ptr()));
                _mm512_storeu_ps(c.as_mut_ptr(), gelu16(x));
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn gelu16(x: __m512) -> __m512 {
        let one = _mm512_set1_ps(1.0);
        let two = _mm512_set1_ps(2.0);
        {
            let z = _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
            let a = _mm512_abs_ps(z);
            let d = _mm512_fmadd_ps(_mm512_set1_ps(ERF_P), a, one);
            // 1/d: 14-bit estimate and one Newton step (~1 ulp)
            let t0 = _mm512_rcp14_ps(d);
            let t = _mm512_mul_ps(t0, _mm512_fnmadd_ps(d, t0, two));
            let mut p = _mm512_set1_ps(ERF_A[4]);
            for k in (0..4).rev() {
                p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(ERF_A[k]));
            }
            let ex = exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(a, a)));
            let e = _mm512_fnmadd_ps(_mm512_mul_ps(p, t), ex, one);
            // erf(z) carries the sign of z
            let neg = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
            let erf = _mm512_mask_sub_ps(e, neg, _mm512_setzero_ps(), e);
            _mm512_mul_ps(
                _mm512_mul_ps(_mm512_add_ps(erf, one), _mm512_set1_ps(0.5)),
                x,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erf_ref(x: f64) -> f64 {
        // Taylor series, plenty for |x| <= 3
        let mut sum = 0.0;
        let mut term = x;
        for n in 0..80 {
            sum += term / (2 * n + 1) as f64;
            term *= -x * x / (n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_matches_std() {
        for i in -2000..=200 {
            let x = i as f32 * 0.05;
            let (a, b) = (exp_scalar(x), x.exp());
            assert!(
                (a - b).abs() <= 2e-7 * b.max(1e-30),
                "exp({x}) = {a} vs {b}"
            );
        }
        assert_eq!(exp_scalar(-200.0), 0.0);
    }

    #[test]
    fn vector_and_scalar_kernels_agree() {
        let xs: Vec<f32> = (0..1003).map(|i| (i as f32 - 500.0) * 0.011).collect();
        let mut g = xs.clone();
        gelu(&mut g);
        for (x, y) in xs.iter().zip(&g) {
            let want = 0.5 * *x as f64 * (1.0 + erf_ref(*x as f64 / 2f64.sqrt()));
            // erf error <= 1.5e-7 times x/2, plus f32 rounding of the result
            let tol = 2e-7 * (x.abs() as f64).max(1.0);
            assert!((*y as f64 - want).abs() < tol, "gelu({x}) = {y} vs {want}");
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            let mut g2 = xs.clone();
            // SAFETY: AVX2 and FMA were detected.
            unsafe { avx2::gelu(&mut g2) };
            for (a, b) in g.iter().zip(&g2) {
                assert!((a - b).abs() <= 2e-7 * a.abs().max(1.0), "avx2 {b} vs {a}");
            }
        }
        let bias: Vec<f32> = (0..32).map(|i| i as f32 * 0.01 - 0.1).collect();
        let mut gb = xs[..960].to_vec();
        bias_gelu(&mut gb, &bias);
        for (i, (x, y)) in xs[..960].iter().zip(&gb).enumerate() {
            let mut want = [x + bias[i % 32]];
            gelu(&mut want);
            assert!(
                (want[0] - y).abs() <= 2e-7 * y.abs().max(1.0),
                "bias_gelu {y} vs {}",
                want[0]
            );
        }
        let mut row: Vec<f32> = xs.iter().map(|x| x * 7.0).collect();
        let want: Vec<f64> = {
            let m = row.iter().copied().fold(f32::MIN, f32::max) as f64;
            let e: Vec<f64> = row.iter().map(|x| (*x as f64 - m).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        };
        softmax_row(&mut row);
        for (a, b) in row.iter().zip(&want) {
            assert!((*a as f64 - b).abs() < 1e-7, "{a} vs {b}");
        }
    }
}
