//! Criterion bench of the sentence encoder on the real default model:
//! 256 review/conversation sentences from the parity reference set, batch 32,
//! and the embedding-cache lookup of the same texts.
//!
//! `cargo bench --bench embed` (pulls the default model on first use).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;
use whyline::embed::{CachedEmbedder, Embedder, EmbeddingCache};
use whyline::model::{load_encoder, LoadOptions};

fn texts() -> Vec<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/minilm-l6-v2-embeddings.jsonl");
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

fn bench(c: &mut Criterion) {
    let enc = load_encoder(None, &LoadOptions::default()).expect("default encoder");
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("minilm");
    g.sample_size(10);
    g.throughput(Throughput::Elements(t.len() as u64));
    g.bench_function("embed_256_short_batch32", |b| {
        b.iter(|| enc.embed_batched(&t, 32).unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let cached = CachedEmbedder::new(Arc::new(enc), EmbeddingCache::open(dir.path()).unwrap());
    cached.embed(&t).unwrap();
    g.bench_function("cache_hit_256", |b| b.iter(|| cached.embed(&t).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
