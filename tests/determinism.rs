//! Same input, same vectors: whatever the batch size, thread count or input
//! order (max |diff| <= 1e-6), on the real default encoder; the fast backend
//! gives byte-identical vectors whatever the thread count.

mod common;

use whyline::model::{load_encoder, Backend, LoadOptions, SentenceEncoder};

fn texts() -> Vec<String> {
    let p = common::reference_dir().join("minilm-l6-v2-embeddings.jsonl");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

fn encoder() -> SentenceEncoder {
    load_encoder(None, &LoadOptions::default()).unwrap()
}

#[test]
fn batch_size_1_7_64_give_the_same_vectors() {
    let enc = encoder();
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let b1 = enc.embed_batched(&t, 1).unwrap();
    let b7 = enc.embed_batched(&t, 7).unwrap();
    let b64 = enc.embed_batched(&t, 64).unwrap();
    let (d7, d64) = (max_diff(&b1, &b7), max_diff(&b1, &b64));
    eprintln!("max |diff| batch 1 vs 7: {d7:e}, 1 vs 64: {d64:e}");
    assert!(d7 <= 1e-6, "batch 1 vs 7: {d7}");
    assert!(d64 <= 1e-6, "batch 1 vs 64: {d64}");
}

#[test]
fn one_and_two_threads_give_the_same_vectors() {
    let enc = encoder();
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let run = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| enc.embed_batched(&t, 16).unwrap())
    };
    let (one, two) = (run(1), run(2));
    let d = max_diff(&one, &two);
    eprintln!("max |diff| 1 vs 2 threads: {d:e}");
    assert!(d <= 1e-6, "1 vs 2 threads: {d}");
}

#[test]
fn input_order_does_not_change_vectors() {
    let enc = encoder();
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let fwd = enc.embed_batched(&t, 32).unwrap();
    let rev_in: Vec<&str> = t.iter().rev().copied().collect();
    let mut rev = enc.embed_batched(&rev_in, 32).unwrap();
    rev.reverse();
    assert_eq!(fwd, rev, "reversed input must give bit-identical vectors");
}

#[test]
fn fast_backend_is_byte_identical_across_thread_counts() {
    let mut enc = encoder();
    enc.set_backend(Backend::Fast).unwrap();
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let run = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| enc.embed_batched(&t, 32).unwrap())
    };
    let (one, two, three) = (run(1), run(2), run(3));
    assert!(
        one == two,
        "1 vs 2 threads: max |diff| {}",
        max_diff(&one, &two)
    );
    assert!(
        one == three,
        "1 vs 3 threads: max |diff| {}",
        max_diff(&one, &three)
    );
}

#[test]
fn fast_backend_pack_size_does_not_change_vectors() {
    let mut enc = encoder();
    enc.set_backend(Backend::Fast).unwrap();
    let owned = texts();
    let t: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut runs = Vec::new();
    for n in [1, 300, 2048, 100_000] {
        enc.set_pack_tokens(n).unwrap();
        runs.push(enc.embed_batched(&t, 32).unwrap());
    }
    for (i, r) in runs.iter().enumerate().skip(1) {
        let d = max_diff(&runs[0], r);
        eprintln!("pack sizes run 0 vs {i}: max |diff| {d:e}");
        assert!(d <= 1e-6, "pack size run {i}: {d}");
    }
    assert!(enc.set_pack_tokens(0).is_err());
}

/// Layer features (`Embedder::embed_layers`, read by heads fitted with
/// `--layers`): the embedding comes first, bit for bit; the pooled state after
/// the last layer is the embedding again (mean pooling, L2-normalised); the
/// fast and candle backends agree on every layer, and each layer's part is a
/// unit vector.
#[test]
fn layer_features_start_with_the_embedding_and_agree_across_backends() {
    use whyline::embed::Embedder;
    let mut enc = encoder();
    enc.set_backend(Backend::Fast).unwrap();
    let owned = texts();
    let t: Vec<&str> = owned.iter().take(64).map(String::as_str).collect();
    let dim = enc.dim();
    let layers = [5, 0, 6];
    let plain = enc.embed_batched(&t, 16).unwrap();
    let fast = enc.embed_layers(&t, &layers, 1000, &mut |_| {}).unwrap();
    for (p, f) in plain.iter().zip(&fast) {
        assert_eq!(f.len(), dim * 4);
        assert_eq!(
            &f[..dim],
            &p[..],
            "the embedding part must not depend on the taps"
        );
        let last = &f[3 * dim..];
        let d = p
            .iter()
            .zip(last)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d <= 1e-6, "layer 6 pooled vs embedding: {d}");
        for part in f.chunks(dim) {
            let n = part.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-4, "norm {n}");
        }
    }
    enc.set_backend(Backend::Candle).unwrap();
    let slow = enc.embed_layers(&t, &layers, 1000, &mut |_| {}).unwrap();
    let d = max_diff(&fast, &slow);
    eprintln!("layer features fast vs candle: max |diff| {d:e}");
    assert!(d <= 1e-5, "fast vs candle layer features: {d}");
    let err = enc.embed_layers(&t, &[7], 1000, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("6 layers"), "{err}");
}
