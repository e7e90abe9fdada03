//! Criterion bench of the sentence encoder on the real default model:
//! 256 review/conversation sentences from the parity reference set through the
//! fast (default) and the candle backend, the embedding-cache lookup of the
//! same texts, and the f32 matrix-multiply peak of this machine (`sgemm`, the
//! same `gemm` kernels the fast encoder runs, one product per thread).
//!
//! `cargo bench --bench embed` (pulls the default model on first use). The
//! encoder's dense FLOPs per run are printed first, so time per run gives its
//! achieved GFLOP/s, to compare with the sgemm group's.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use std::sync::Arc;
use whyline::embed::{CachedEmbedder, Embedder, EmbeddingCache};
use whyline::model::{load_encoder, qgemm, sgemm, Backend, LoadOptions, QActs, QWeights};

fn texts() -> Vec<String> {
    // The shared data beside the crate (CI), or two levels up (a git worktree).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = ["../shared", "../../shared"]
        .iter()
        .map(|d| root.join(d).join("reference/minilm-l6-v2-embeddings.jsonl"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| root.join("../shared/reference/minilm-l6-v2-embeddings.jsonl"));
    std::fs::read_to_string(p)
        .expect("reference texts")
        .lines()
        .take(256)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Multiply-adds ×2 of MiniLM-L6 (h 384, FFN 1536, 6 layers) over these token
/// counts: the dense layers plus QKᵀ and P·V per sequence.
fn encoder_flops(counts: &[usize]) -> f64 {
    let (h, i, layers) = (384.0, 1536.0, 6.0);
    let tokens: f64 = counts.iter().map(|&c| c as f64).sum();
    let dense = 2.0 * h * (4.0 * h + 2.0 * i) * tokens;
    let attn: f64 = counts.iter().map(|&c| 4.0 * (c * c) as f64 * h).sum();
    layers * (dense + attn)
}

fn bench(c: &mut Criterion) {
    let mut enc = load_encoder(None, &LoadOptions::default()).expect("default encoder");
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let counts = enc.token_counts(&t).unwrap();
    eprintln!(
        "embed_256: {} tokens, {:.2} GFLOP per run (dense + attention)",
        counts.iter().sum::<usize>(),
        encoder_flops(&counts) / 1e9
    );
    let mut g = c.benchmark_group("minilm");
    g.sample_size(10);
    g.throughput(Throughput::Elements(t.len() as u64));
    enc.set_backend(Backend::Fast).unwrap();
    g.bench_function("embed_256_fast", |b| {
        b.iter(|| enc.embed_batched(&t, 32).unwrap())
    });
    enc.set_backend(Backend::Candle).unwrap();
    g.bench_function("embed_256_candle_batch32", |b| {
        b.iter(|| enc.embed_batched(&t, 32).unwrap())
    });
    enc.set_backend(Backend::Fast).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cached = CachedEmbedder::new(Arc::new(enc), EmbeddingCache::open(dir.path()).unwrap());
    cached.embed(&t).unwrap();
    g.bench_function("cache_hit_256", |b| b.iter(|| cached.embed(&t).unwrap()));
    g.finish();
}

/// f32 matrix-multiply peak: one single-threaded product per rayon thread, as
/// the encoder runs its batches. Throughput is in FLOPs (criterion's
/// "elem/s" column reads as FLOP/s).
fn bench_sgemm(c: &mut Criterion) {
    let threads = rayon::current_num_threads();
    let mut g = c.benchmark_group("sgemm");
    g.sample_size(10);
    for (m, n, k) in [(2048, 1536, 384), (2048, 384, 1536), (1024, 1024, 1024)] {
        let a: Vec<f32> = (0..m * k).map(|x| (x % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|x| (x % 5) as f32 * 0.1).collect();
        let mut outs: Vec<Vec<f32>> = (0..threads).map(|_| vec![0f32; m * n]).collect();
        g.throughput(Throughput::Elements((2 * m * n * k * threads) as u64));
        g.bench_function(format!("{m}x{n}x{k}_x{threads}threads"), |bch| {
            bch.iter(|| {
                outs.par_iter_mut().for_each(|c| sgemm(m, n, k, &a, &b, c));
            })
        });
    }
    g.finish();
}

/// The int8 product of `--precision int8` on the sgemm group's shapes, one per
/// rayon thread; "elem/s" reads as (multiply-add × 2)/s, comparable with sgemm's.
/// Activation quantisation is included, as the encoder pays it per product.
fn bench_qgemm(c: &mut Criterion) {
    let threads = rayon::current_num_threads();
    let mut g = c.benchmark_group("qgemm");
    g.sample_size(10);
    for (m, n, k) in [(2048, 1536, 384), (2048, 384, 1536), (1024, 1024, 1024)] {
        let a: Vec<f32> = (0..m * k).map(|x| (x % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|x| (x % 5) as f32 * 0.1).collect();
        let w = QWeights::new(&b, k, n);
        let mut bufs: Vec<(QActs, Vec<f32>)> = (0..threads)
            .map(|_| (QActs::default(), vec![0f32; m * n]))
            .collect();
        g.throughput(Throughput::Elements((2 * m * n * k * threads) as u64));
        g.bench_function(format!("{m}x{n}x{k}_x{threads}threads"), |bch| {
            bch.iter(|| {
                bufs.par_iter_mut().for_each(|(qa, c)| {
                    qa.quantize(&a, m, k, &[]);
                    qgemm(qa, &w, None, c)
                });
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_sgemm, bench_qgemm);
criterion_main!(benches);
