//! This machine's f32 FMA peak: each thread runs 12 independent chains of
//! 8-wide fused multiply-adds (enough to cover the FMA latency on two pipes),
//! so the loop is bound by FMA throughput only. The encoder's achieved
//! GFLOP/s are quoted against this figure (benches/README.md). On CPUs with
//! AVX-512 it also measures 16-wide FMAs and, with AVX-512 VNNI, the int8
//! multiply-add `vpdpbusd` (64 products per instruction) that
//! `--precision int8` runs on: the ceilings of the f32 and int8 encoders.
//!
//! `cargo run --release --example fma_peak -- [THREADS]` (x86-64 with AVX2 + FMA).

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    #[cfg(target_arch = "x86_64")]
    {
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            eprintln!("fma_peak: needs AVX2 and FMA");
            return;
        }
        const ITERS: u64 = 400_000_000;
        let t = std::time::Instant::now();
        let sums: Vec<f32> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| s.spawn(|| unsafe { chains(ITERS) }))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let secs = t.elapsed().as_secs_f64();
        let flops = 2.0 * 8.0 * 12.0 * ITERS as f64 * threads as f64;
        println!(
            "{threads} thread(s): {:.1} GFLOP/s f32 FMA peak ({secs:.2} s; checksum {})",
            flops / secs / 1e9,
            sums.iter().sum::<f32>()
        );
        if std::is_x86_feature_detected!("avx512f") {
            let (secs, sum) = timed(threads, |n| unsafe { chains512(n) }, ITERS);
            let flops = 2.0 * 16.0 * 12.0 * ITERS as f64 * threads as f64;
            println!(
                "{threads} thread(s): {:.1} GFLOP/s f32 FMA peak, 512-bit ({secs:.2} s; checksum {sum})",
                flops / secs / 1e9
            );
        }
        if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512bw")
        {
            let (secs, sum) = timed(threads, |n| unsafe { dpbusd(n) as f32 }, ITERS);
            let ops = 2.0 * 64.0 * 12.0 * ITERS as f64 * threads as f64;
            println!(
                "{threads} thread(s): {:.1} GOP/s int8 multiply-add peak, vpdpbusd ({secs:.2} s; checksum {sum})",
                ops / secs / 1e9
            );
        }
    }
}

/// Run `f(iters)` on `threads` threads at once: (seconds, sum of results).
#[cfg(target_arch = "x86_64")]
fn timed(threads: usize, f: impl Fn(u64) -> f32 + Sync, iters: u64) -> (f64, f32) {
    let t = std::time::Instant::now();
    let sums: Vec<f32> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(|| f(iters))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (t.elapsed().as_secs_f64(), sums.iter().sum())
}

/// 12 independent chains of 16-wide FMAs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn chains512(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let b = _mm512_set1_ps(1.000_000_1);
    let c = _mm512_set1_ps(1e-7);
    let mut x: [__m512; 12] = std::array::from_fn(|i| _mm512_set1_ps(i as f32));
    for _ in 0..iters {
        for v in x.iter_mut() {
            *v = _mm512_fmadd_ps(*v, b, c);
        }
    }
    x.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
}

/// 12 independent chains of `vpdpbusd` (u8 × i8, 4 products per 32-bit lane).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn dpbusd(iters: u64) -> i32 {
    use std::arch::x86_64::*;
    let a = _mm512_set1_epi8(3);
    let b = _mm512_set1_epi8(-1);
    let mut x: [__m512i; 12] = std::array::from_fn(|i| _mm512_set1_epi32(i as i32));
    for _ in 0..iters {
        for v in x.iter_mut() {
            *v = _mm512_dpbusd_epi32(*v, a, b);
        }
    }
    x.iter()
        .map(|&v| _mm512_reduce_add_epi32(v))
        .fold(0, i32::wrapping_add)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chains(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let b = _mm256_set1_ps(1.000_000_1);
    let c = _mm256_set1_ps(1e-7);
    let mut x0 = _mm256_set1_ps(0.0);
    let mut x1 = _mm256_set1_ps(1.0);
    let mut x2 = _mm256_set1_ps(2.0);
    let mut x3 = _mm256_set1_ps(3.0);
    let mut x4 = _mm256_set1_ps(4.0);
    let mut x5 = _mm256_set1_ps(5.0);
    let mut x6 = _mm256_set1_ps(6.0);
    let mut x7 = _mm256_set1_ps(7.0);
    let mut x8 = _mm256_set1_ps(8.0);
    let mut x9 = _mm256_set1_ps(9.0);
    let mut x10 = _mm256_set1_ps(10.0);
    let mut x11 = _mm256_set1_ps(11.0);
    for _ in 0..iters {
        x0 = _mm256_fmadd_ps(x0, b, c);
        x1 = _mm256_fmadd_ps(x1, b, c);
        x2 = _mm256_fmadd_ps(x2, b, c);
        x3 = _mm256_fmadd_ps(x3, b, c);
        x4 = _mm256_fmadd_ps(x4, b, c);
        x5 = _mm256_fmadd_ps(x5, b, c);
        x6 = _mm256_fmadd_ps(x6, b, c);
        x7 = _mm256_fmadd_ps(x7, b, c);
        x8 = _mm256_fmadd_ps(x8, b, c);
        x9 = _mm256_fmadd_ps(x9, b, c);
        x10 = _mm256_fmadd_ps(x10, b, c);
        x11 = _mm256_fmadd_ps(x11, b, c);
    }
    let all = [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11];
    let mut out = [0f32; 8];
    let mut s = 0.0;
    for v in all {
        _mm256_storeu_ps(out.as_mut_ptr(), v);
        s += out[0];
    }
    s
}
