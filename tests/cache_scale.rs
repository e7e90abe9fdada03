//! The embedding cache at nightly-job scale: 50,000 384-d entries round-trip
//! exactly, and a full re-read is one pass over 64 shard files (timings are
//! printed, not asserted: this machine is shared).

use std::time::Instant;
use whyline::embed::EmbeddingCache;

#[test]
fn fifty_thousand_entries_round_trip_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = EmbeddingCache::open(dir.path()).unwrap();
    let n = 50_000;
    let texts: Vec<String> = (0..n).map(|i| format!("sentence number {i}")).collect();
    let vecs: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            (0..384)
                .map(|j| ((i * 31 + j) % 997) as f32 / 997.0)
                .collect()
        })
        .collect();
    let items: Vec<(&str, &[f32])> = texts
        .iter()
        .zip(&vecs)
        .map(|(t, v)| (t.as_str(), v.as_slice()))
        .collect();
    let t0 = Instant::now();
    cache.put_many("scale-test", &items).unwrap();
    let put = t0.elapsed();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t1 = Instant::now();
    let got = cache.get_many("scale-test", 384, &refs).unwrap();
    let get = t1.elapsed();
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.as_deref(), Some(vecs[i].as_slice()), "entry {i}");
    }
    let stats = cache.stats().unwrap();
    assert_eq!(stats.entries, n as u64);
    eprintln!(
        "50k x 384-d: put {:.2}s, get {:.2}s, {} bytes on disk in {} files",
        put.as_secs_f64(),
        get.as_secs_f64(),
        stats.bytes,
        std::fs::read_dir(dir.path().join("embeddings-v2/scale-test"))
            .unwrap()
            .count()
    );
}
