//! How long would `fit` take to fine-tune the encoder's last layer with a
//! head, on candle's CPU autograd? The probe behind README's "Probes for that
//! lever": in Python, fine-tuning MiniLM's last layer lifted Touché dev
//! macro-F1 by +0.02 over the same head on the frozen layer; this measures
//! the Rust side's cost before anything is built.
//!
//! One MiniLM-sized layer (384 hidden, 12 heads, 1,536 inner) plus mean
//! pooling, L2 normalisation and a 512-unit head over 20 labels, trained with
//! AdamW on padded batches of 32 whose token lengths are the real lengths of
//! a labelled file's texts (tokenised by the default encoder). The inputs and
//! labels are random: only the time is measured, not what is learnt.
//!
//! `cargo run --release --example top_layer_train_speed -- ../shared/eval/touche-train.jsonl [BATCHES] [--sorted]`
//!
//! `--sorted` batches texts of similar length together (less padding), as a
//! real `fit` would.

use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::io::BufRead;
use std::time::Instant;

// The same allocator as the `whyline` binary, which `fit` would run in.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const H: usize = 384;
const HEADS: usize = 12;
const INNER: usize = 1536;
const LABELS: usize = 20;
const HIDDEN: usize = 512;
const BATCH: usize = 32;

fn layer_norm(x: &Tensor, g: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let c = x.broadcast_sub(&mean)?;
    let var = c.sqr()?.mean_keepdim(D::Minus1)?;
    c.broadcast_div(&(var + 1e-12)?.sqrt()?)?
        .broadcast_mul(g)?
        .broadcast_add(b)
}

fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    x.broadcast_matmul(&w.t()?)?.broadcast_add(b)
}

struct P {
    vars: Vec<Var>,
}

impl P {
    fn t(&self, i: usize) -> &Tensor {
        self.vars[i].as_tensor()
    }
}

/// x: [b, s, h], mask: [b, s] (1 token, 0 pad) -> logits [b, labels].
fn forward(p: &P, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let (b, s, _) = x.dims3()?;
    let hd = H / HEADS;
    let split = |t: Tensor| -> candle_core::Result<Tensor> {
        t.reshape((b, s, HEADS, hd))?.transpose(1, 2)?.contiguous()
    };
    let q = split(linear(x, p.t(0), p.t(1))?)?;
    let k = split(linear(x, p.t(2), p.t(3))?)?;
    let v = split(linear(x, p.t(4), p.t(5))?)?;
    let bias = ((mask - 1.0)? * 1e9)?.reshape((b, 1, 1, s))?;
    let scores = (q.matmul(&k.t()?)? * (1.0 / (hd as f64).sqrt()))?.broadcast_add(&bias)?;
    let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
    let ctx = probs
        .matmul(&v)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b, s, H))?;
    let x = layer_norm(&(linear(&ctx, p.t(6), p.t(7))? + x)?, p.t(8), p.t(9))?;
    let up = linear(&x, p.t(10), p.t(11))?.gelu_erf()?;
    let x = layer_norm(&(linear(&up, p.t(12), p.t(13))? + &x)?, p.t(14), p.t(15))?;
    let m = mask.unsqueeze(2)?;
    let pooled = x.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)?;
    let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?;
    let e = pooled.broadcast_div(&norm)?;
    linear(&linear(&e, p.t(16), p.t(17))?.gelu_erf()?, p.t(18), p.t(19))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sorted = std::env::args().any(|a| a == "--sorted");
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(file) = args.first() else {
        eprintln!("usage: top_layer_train_speed FILE.jsonl [BATCHES]");
        return Ok(());
    };
    let batches: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let mut texts = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(file)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        texts.push(v["text"].as_str().unwrap_or("").to_string());
    }
    let enc = whyline::model::load_encoder(None, &Default::default())?;
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let mut lens = enc.token_counts(&refs)?;
    let tokens: usize = lens.iter().sum();
    let dev = Device::Cpu;
    let shapes: [&[usize]; 20] = [
        &[H, H],
        &[H],
        &[H, H],
        &[H],
        &[H, H],
        &[H],
        &[H, H],
        &[H],
        &[H],
        &[H],
        &[INNER, H],
        &[INNER],
        &[H, INNER],
        &[H],
        &[H],
        &[H],
        &[HIDDEN, H],
        &[HIDDEN],
        &[LABELS, HIDDEN],
        &[LABELS],
    ];
    let vars = shapes
        .iter()
        .map(|s| Var::from_tensor(&(Tensor::randn(0f32, 0.02, *s, &dev)?)))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let p = P { vars };
    let mut opt = AdamW::new(
        p.vars.clone(),
        ParamsAdamW {
            lr: 1e-4,
            ..Default::default()
        },
    )?;
    // Batches in file order (as an epoch without length sorting would see
    // them), or of similar lengths, taken evenly from the whole range.
    if sorted {
        lens.sort_unstable();
        let chunks: Vec<Vec<usize>> = lens.chunks(BATCH).map(<[usize]>::to_vec).collect();
        let step = (chunks.len() / batches.max(1)).max(1);
        lens = chunks.iter().step_by(step).flatten().copied().collect();
    }
    let t = Instant::now();
    let mut seen = 0;
    for (k, chunk) in lens.chunks(BATCH).take(batches).enumerate() {
        let s = chunk.iter().copied().max().unwrap_or(1);
        let b = chunk.len();
        let x = Tensor::randn(0f32, 1.0, (b, s, H), &dev)?;
        let mut m = vec![0f32; b * s];
        for (i, &n) in chunk.iter().enumerate() {
            m[i * s..i * s + n].iter_mut().for_each(|v| *v = 1.0);
        }
        let mask = Tensor::from_vec(m, (b, s), &dev)?;
        let y = Tensor::rand(0f32, 1.0, (b, LABELS), &dev)?
            .ge(0.8)?
            .to_dtype(DType::F32)?;
        let logits = forward(&p, &x, &mask)?;
        let loss = candle_nn::loss::binary_cross_entropy_with_logit(&logits, &y)?;
        opt.backward_step(&loss)?;
        seen += b;
        if k == 0 {
            eprintln!("first batch done ({s} tokens padded)");
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let per_text = secs / seen as f64;
    println!(
        "{} texts in {batches} batches of {BATCH}{}: {secs:.1} s, {:.1} ms per text; one epoch of {} texts ({} tokens, {:.1} per text): ~{:.0} s",
        seen,
        if sorted { " (length-sorted)" } else { "" },
        per_text * 1e3,
        texts.len(),
        tokens,
        tokens as f64 / texts.len() as f64,
        per_text * texts.len() as f64
    );
    Ok(())
}
