//! A packed, padding-free fp32 encoder for the sentence-encoder path.
//!
//! Why: candle runs the same graph op by op on padded `[batch, seq, hidden]`
//! tensors, allocating a fresh tensor per op. Here the sequences of a batch
//! sit back to back (`tokens × hidden`, no padding rows), the weights are laid
//! out once at load for `gemm` (Q, K and V fused into one `hidden × 3·hidden`
//! product), biases are pre-filled into the output so the product adds onto
//! them, attention runs per sequence, and every buffer of a batch is allocated
//! once. One batch runs on one thread (`gemm` without its own parallelism);
//! batches run in parallel on the rayon pool, so the output does not depend on
//! the thread count.
//!
//! The graph is the one in [`super::bert`] / [`super::distilbert`] (ported from
//! transformers' `modeling_bert.py`), and the results agree with the candle
//! path to ~1e-7 per component (`tests/model_parity.rs`), so cached embeddings
//! stay valid across backends.

use super::config::{Activation, Arch, ModelConfig};
use super::encoder::Pooling;
use super::qgemm::{qgemm, QActs, QWeights};
use super::simd;
use super::weights::{tensor_err, Vb};
use super::Precision;
use crate::error::Result;
use gemm::Parallelism;

/// A dense layer laid out for `x · w`: `w` is `[n_in, n_out]` row-major.
struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
    /// The int8 weights when the model runs at [`Precision::Int8`] (then `w`
    /// is empty).
    q: Option<QWeights>,
    /// Int8 only: each input channel is divided by its smoothing factor before
    /// quantisation (the weight row was multiplied by it): `1 / f_k`.
    inv_smooth: Vec<f32>,
}

/// SmoothQuant's migration strength: how much of an input channel's range
/// moves into the weights (0.5 balances the two; Xiao et al. 2023).
const SMOOTH_ALPHA: f32 = 0.5;

impl Dense {
    /// Replace the f32 weights by their int8 form. `act_max[k]`: the largest
    /// |input| seen on channel k in calibration. Channels with large inputs
    /// (BERT's residual stream has a few) are scaled down by
    /// `f_k = act_max_k^α / w_max_k^(1-α)` and their weight rows up by the
    /// same factor, so one scale per token no longer has to cover them.
    fn quantize(&mut self, act_max: &[f32]) {
        let (k, n) = (self.n_in, self.n_out);
        let mut inv = vec![1f32; k];
        for (r, iv) in inv.iter_mut().enumerate() {
            let row = &mut self.w[r * n..(r + 1) * n];
            let w_max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let a_max = act_max.get(r).copied().unwrap_or(0.0);
            if w_max > 0.0 && a_max > 0.0 {
                let f = a_max.powf(SMOOTH_ALPHA) / w_max.powf(1.0 - SMOOTH_ALPHA);
                row.iter_mut().for_each(|v| *v *= f);
                *iv = 1.0 / f;
            }
        }
        self.q = Some(QWeights::new(&self.w, k, n));
        self.inv_smooth = inv;
        self.w = Vec::new();
    }
}

/// Largest |value| per input channel of each dense layer, over calibration text.
struct ActMax {
    qkv: Vec<f32>,
    out: Vec<f32>,
    up: Vec<f32>,
    down: Vec<f32>,
}

fn record_max(max: &mut [f32], x: &[f32]) {
    for row in x.chunks_exact(max.len()) {
        for (m, v) in max.iter_mut().zip(row) {
            *m = m.max(v.abs());
        }
    }
}

struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
    eps: f32,
}

struct Layer {
    qkv: Dense,
    out: Dense,
    attn_norm: Norm,
    up: Dense,
    down: Dense,
    out_norm: Norm,
}

/// The whole body as plain vectors.
pub struct FastModel {
    hidden: usize,
    heads: usize,
    act: Activation,
    pos_offset: usize,
    max_positions: usize,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Option<Vec<f32>>,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

fn to_vec(t: &candle_core::Tensor, what: &str) -> Result<Vec<f32>> {
    t.flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(tensor_err(what))
}

/// `weight [out, in]` and `bias [out]` of several linear layers side by side,
/// transposed to `[in, sum(out)]`.
fn dense(vbs: &[Vb], n_in: usize, n_out: usize) -> Result<Dense> {
    let total = n_out * vbs.len();
    let mut w = vec![0f32; n_in * total];
    let mut b = Vec::with_capacity(total);
    for (part, vb) in vbs.iter().enumerate() {
        let wt = to_vec(&vb.get(&[n_out, n_in], "weight")?, "linear weight")?;
        for o in 0..n_out {
            for i in 0..n_in {
                w[i * total + part * n_out + o] = wt[o * n_in + i];
            }
        }
        b.extend(to_vec(&vb.get(&[n_out], "bias")?, "linear bias")?);
    }
    Ok(Dense {
        w,
        b,
        n_in,
        n_out: total,
        q: None,
        inv_smooth: Vec::new(),
    })
}

fn norm(vb: &Vb, dim: usize, eps: f64) -> Result<Norm> {
    let (w, b) = if !vb.contains("weight") && vb.contains("gamma") {
        ("gamma", "beta")
    } else {
        ("weight", "bias")
    };
    Ok(Norm {
        w: to_vec(&vb.get(&[dim], w)?, "layer norm")?,
        b: to_vec(&vb.get(&[dim], b)?, "layer norm")?,
        eps: eps as f32,
    })
}

impl FastModel {
    /// Read the body's weights (`vb` at the body's prefix) into plain vectors.
    pub fn load(vb: &Vb, cfg: &ModelConfig) -> Result<Self> {
        let (h, i, eps) = (cfg.hidden_size, cfg.intermediate_size, cfg.layer_norm_eps);
        let emb = vb.pp("embeddings");
        let word = to_vec(
            &emb.pp("word_embeddings")
                .get(&[cfg.vocab_size, h], "weight")?,
            "word embeddings",
        )?;
        let position = to_vec(
            &emb.pp("position_embeddings")
                .get(&[cfg.max_position_embeddings, h], "weight")?,
            "position embeddings",
        )?;
        let token_type0 = if cfg.type_vocab_size > 0 {
            let t = to_vec(
                &emb.pp("token_type_embeddings")
                    .get(&[cfg.type_vocab_size, h], "weight")?,
                "token type embeddings",
            )?;
            Some(t[..h].to_vec())
        } else {
            None
        };
        let emb_norm = norm(&emb.pp("LayerNorm"), h, eps)?;
        let layers = (0..cfg.num_layers)
            .map(|n| match cfg.arch {
                Arch::Bert | Arch::Roberta => {
                    let l = vb.pp("encoder").pp("layer").pp(n);
                    let (att, sa) = (l.pp("attention"), l.pp("attention").pp("self"));
                    Ok(Layer {
                        qkv: dense(&[sa.pp("query"), sa.pp("key"), sa.pp("value")], h, h)?,
                        out: dense(&[att.pp("output").pp("dense")], h, h)?,
                        attn_norm: norm(&att.pp("output").pp("LayerNorm"), h, eps)?,
                        up: dense(&[l.pp("intermediate").pp("dense")], h, i)?,
                        down: dense(&[l.pp("output").pp("dense")], i, h)?,
                        out_norm: norm(&l.pp("output").pp("LayerNorm"), h, eps)?,
                    })
                }
                Arch::DistilBert => {
                    let l = vb.pp("transformer").pp("layer").pp(n);
                    let att = l.pp("attention");
                    Ok(Layer {
                        qkv: dense(&[att.pp("q_lin"), att.pp("k_lin"), att.pp("v_lin")], h, h)?,
                        out: dense(&[att.pp("out_lin")], h, h)?,
                        attn_norm: norm(&l.pp("sa_layer_norm"), h, eps)?,
                        up: dense(&[l.pp("ffn").pp("lin1")], h, i)?,
                        down: dense(&[l.pp("ffn").pp("lin2")], i, h)?,
                        out_norm: norm(&l.pp("output_layer_norm"), h, eps)?,
                    })
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            hidden: h,
            heads: cfg.num_heads,
            act: cfg.activation,
            pos_offset: cfg.position_offset(),
            max_positions: cfg.max_position_embeddings,
            word,
            position,
            token_type0,
            emb_norm,
            layers,
        })
    }

    /// Switch to `precision`. Int8 first runs `calibration` (token id
    /// sequences of ordinary text) in f32 to find each dense layer's input
    /// range per channel, then smooths and quantises the weights; the result
    /// depends only on the weights and the calibration text, never on what is
    /// embedded later.
    pub fn set_precision(&mut self, precision: Precision, calibration: &[&[u32]]) {
        if precision == Precision::F32 || self.layers.iter().any(|l| l.qkv.q.is_some()) {
            return;
        }
        let mut stats: Vec<ActMax> = self
            .layers
            .iter()
            .map(|l| ActMax {
                qkv: vec![0.0; l.qkv.n_in],
                out: vec![0.0; l.out.n_in],
                up: vec![0.0; l.up.n_in],
                down: vec![0.0; l.down.n_in],
            })
            .collect();
        for seq in calibration {
            self.forward(&[seq], Some(&mut stats), &mut |_, _| {});
        }
        for (l, s) in self.layers.iter_mut().zip(&stats) {
            l.qkv.quantize(&s.qkv);
            l.out.quantize(&s.out);
            l.up.quantize(&s.up);
            l.down.quantize(&s.down);
        }
    }

    /// Pooled, L2-normalised sentence vectors of one batch of token id
    /// sequences, each followed by the L2-normalised mean of
    /// the hidden states after each layer in `taps` (0: the embedding layer;
    /// every tap at most the number of layers): `hidden · (1 + taps.len())`
    /// values per sequence. The leading `hidden` values do not depend on
    /// `taps` (the taps only read the activations).
    pub fn embed_taps(&self, seqs: &[&[u32]], pooling: Pooling, taps: &[usize]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let mut tapped: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(taps.len()); seqs.len()];
        let x = self.forward(seqs, None, &mut |layer, x| {
            for (j, &t) in taps.iter().enumerate() {
                if t == layer {
                    let mut start = 0;
                    for (s, out) in seqs.iter().zip(tapped.iter_mut()) {
                        let rows = &x[start * h..(start + s.len()) * h];
                        start += s.len();
                        out.resize(taps.len(), Vec::new());
                        out[j] = pool(rows, h, Pooling::Mean);
                    }
                }
            }
        });
        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for (s, extra) in seqs.iter().zip(tapped) {
            let rows = &x[start * h..(start + s.len()) * h];
            start += s.len();
            let mut v = pool(rows, h, pooling);
            v.reserve(h * taps.len());
            for e in extra {
                v.extend(e);
            }
            out.push(v);
        }
        out
    }

    /// Every token's hidden states after `layer` layers (0: the embedding
    /// layer), one `tokens x hidden` vector per sequence.
    pub fn token_states(&self, seqs: &[&[u32]], layer: usize) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); seqs.len()];
        self.forward(seqs, None, &mut |i, x| {
            if i == layer {
                let mut start = 0;
                for (s, o) in seqs.iter().zip(out.iter_mut()) {
                    *o = x[start * h..(start + s.len()) * h].to_vec();
                    start += s.len();
                }
            }
        });
        out
    }

    /// The packed forward pass; `tap(i, x)` sees the hidden states after
    /// layer `i` (0: after the embedding layer).
    fn forward(
        &self,
        seqs: &[&[u32]],
        mut stats: Option<&mut Vec<ActMax>>,
        tap: &mut dyn FnMut(usize, &[f32]),
    ) -> Vec<f32> {
        let h = self.hidden;
        let lens: Vec<usize> = seqs.iter().map(|s| s.len()).collect();
        let t: usize = lens.iter().sum();
        let mut x = vec![0f32; t * h];
        let mut row = 0;
        for s in seqs {
            for (j, &id) in s.iter().enumerate() {
                let xr = &mut x[row * h..(row + 1) * h];
                let w = &self.word[id as usize * h..(id as usize + 1) * h];
                let p = (self.pos_offset + j).min(self.max_positions - 1);
                let p = &self.position[p * h..(p + 1) * h];
                for ((d, a), b) in xr.iter_mut().zip(w).zip(p) {
                    *d = a + b;
                }
                if let Some(tt) = &self.token_type0 {
                    for (d, a) in xr.iter_mut().zip(tt) {
                        *d += a;
                    }
                }
                layer_norm(xr, &self.emb_norm);
                row += 1;
            }
        }
        let inter = self.layers.first().map_or(0, |l| l.up.n_out);
        let max_len = lens.iter().copied().max().unwrap_or(0);
        let mut buf = Scratch {
            qkv: vec![0f32; t * 3 * h],
            ctx: vec![0f32; t * h],
            tmp: vec![0f32; t * h],
            inter: vec![0f32; t * inter],
            scores: vec![0f32; max_len * max_len],
            qa: QActs::default(),
        };
        tap(0, &x);
        for (i, layer) in self.layers.iter().enumerate() {
            let st = stats.as_deref_mut().map(|s| &mut s[i]);
            self.layer_forward(layer, &mut x, &lens, &mut buf, st);
            tap(i + 1, &x);
        }
        x
    }

    fn layer_forward(
        &self,
        l: &Layer,
        x: &mut [f32],
        lens: &[usize],
        buf: &mut Scratch,
        mut stats: Option<&mut ActMax>,
    ) {
        let h = self.hidden;
        if let Some(s) = stats.as_deref_mut() {
            record_max(&mut s.qkv, x);
        }
        let t = x.len() / h;
        let (heads, hd) = (self.heads, h / self.heads);
        linear(x, &l.qkv, &mut buf.qkv, t, &mut buf.qa);
        let scale = 1.0 / (hd as f32).sqrt();
        let h3 = 3 * h;
        let mut start = 0;
        for &s in lens {
            let scores = &mut buf.scores[..s * s];
            for head in 0..heads {
                let q = buf.qkv[start * h3 + head * hd..].as_ptr();
                let k = buf.qkv[start * h3 + h + head * hd..].as_ptr();
                let v = buf.qkv[start * h3 + 2 * h + head * hd..].as_ptr();
                // SAFETY: q/k/v address `s` rows of `hd` columns with row stride
                // 3h inside `qkv`; `scores` is s × s; the context block is `s`
                // rows of `hd` columns with row stride h inside `ctx`.
                unsafe {
                    // scores = scale · Q Kᵀ
                    gemm::gemm(
                        s,
                        s,
                        hd,
                        scores.as_mut_ptr(),
                        1,
                        s as isize,
                        false,
                        q,
                        1,
                        h3 as isize,
                        k,
                        h3 as isize,
                        1,
                        0.0,
                        scale,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
                for r in scores.chunks_exact_mut(s) {
                    simd::softmax_row(r);
                }
                let ctx = buf.ctx[start * h + head * hd..].as_mut_ptr();
                // SAFETY: as above.
                unsafe {
                    gemm::gemm(
                        s,
                        hd,
                        s,
                        ctx,
                        1,
                        h as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        s as isize,
                        v,
                        1,
                        h3 as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
            }
            start += s;
        }
        if let Some(s) = stats.as_deref_mut() {
            record_max(&mut s.out, &buf.ctx);
        }
        // x = norm(ctx · Wo + bo + x)
        product(&buf.ctx, &l.out, &mut buf.tmp, t, &mut buf.qa);
        add_norm(&buf.tmp, &l.out.b, x, &l.attn_norm);
        if let Some(s) = stats.as_deref_mut() {
            record_max(&mut s.up, x);
        }
        // x = norm(act(x · W1 + b1) · W2 + b2 + x)
        product(x, &l.up, &mut buf.inter, t, &mut buf.qa);
        match self.act {
            Activation::Gelu => simd::bias_gelu(&mut buf.inter, &l.up.b),
            Activation::GeluTanh => {
                add_bias(&mut buf.inter, &l.up.b);
                simd::gelu_tanh(&mut buf.inter)
            }
            Activation::Relu => {
                add_bias(&mut buf.inter, &l.up.b);
                simd::relu(&mut buf.inter)
            }
        }
        if let Some(s) = stats {
            record_max(&mut s.down, &buf.inter);
        }
        product(&buf.inter, &l.down, &mut buf.tmp, t, &mut buf.qa);
        add_norm(&buf.tmp, &l.down.b, x, &l.out_norm);
    }
}

/// Per-batch buffers, allocated once for all layers.
struct Scratch {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    inter: Vec<f32>,
    scores: Vec<f32>,
    /// Quantised activations (int8 mode).
    qa: QActs,
}

/// `out[t × n_out] = x[t × n_in] · w + b`: the bias rows are written first and
/// the product is accumulated onto them.
fn linear(x: &[f32], d: &Dense, out: &mut [f32], t: usize, qa: &mut QActs) {
    if let Some(q) = &d.q {
        qa.quantize(x, t, d.n_in, &d.inv_smooth);
        qgemm(qa, q, Some(&d.b), &mut out[..t * d.n_out]);
        return;
    }
    let out = &mut out[..t * d.n_out];
    for row in out.chunks_exact_mut(d.n_out) {
        row.copy_from_slice(&d.b);
    }
    debug_assert_eq!(x.len(), t * d.n_in);
    strided_product(t, d.n_out, d.n_in, x, &d.w, 1, d.n_out, out, true);
}

/// `out[t × n_out] = x[t × n_in] · w`, the bias left to the next pass
/// ([`add_norm`], [`simd::bias_gelu`]).
fn product(x: &[f32], d: &Dense, out: &mut [f32], t: usize, qa: &mut QActs) {
    let out = &mut out[..t * d.n_out];
    if let Some(q) = &d.q {
        qa.quantize(x, t, d.n_in, &d.inv_smooth);
        qgemm(qa, q, None, out);
        return;
    }
    assert_eq!(x.len(), t * d.n_in);
    sgemm(t, d.n_out, d.n_in, x, &d.w, out);
}

fn add_bias(xs: &mut [f32], b: &[f32]) {
    for row in xs.chunks_exact_mut(b.len()) {
        for (v, c) in row.iter_mut().zip(b) {
            *v += c;
        }
    }
}

/// `x = layer_norm((y + b) + x)`, row by row (candle's order: the linear
/// layer's bias, then the residual).
fn add_norm(y: &[f32], b: &[f32], x: &mut [f32], n: &Norm) {
    let h = b.len();
    for (xr, yr) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
        for ((a, y), c) in xr.iter_mut().zip(yr).zip(b) {
            *a += y + c;
        }
        layer_norm(xr, n);
    }
}

/// LayerNorm of one row in place: one pass for the sum and the sum of squares
/// (eight partial sums, so it vectorises), as candle's fused kernel does.
fn layer_norm(x: &mut [f32], n: &Norm) {
    let mut s = [0f32; 8];
    let mut s2 = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            s[k] += c[k];
            s2[k] += c[k] * c[k];
        }
    }
    let (mut sum, mut sum2) = (s.iter().sum::<f32>(), s2.iter().sum::<f32>());
    for v in chunks.remainder() {
        sum += v;
        sum2 += v * v;
    }
    let len = x.len() as f32;
    let mean = sum / len;
    let var = (sum2 / len - mean * mean).max(0.0);
    let inv = (var + n.eps).sqrt().recip();
    for ((v, w), b) in x.iter_mut().zip(&n.w).zip(&n.b) {
        *v = (*v - mean) * inv * w + b;
    }
}

/// Pool the rows of one sequence and L2-normalise, as [`Pooling`] does on the
/// padded tensors.
fn pool(rows: &[f32], h: usize, pooling: Pooling) -> Vec<f32> {
    let n = rows.len() / h;
    let mut v = match pooling {
        Pooling::Cls => rows[..h].to_vec(),
        Pooling::Max => {
            let mut m = vec![f32::NEG_INFINITY; h];
            for r in rows.chunks_exact(h) {
                for (a, b) in m.iter_mut().zip(r) {
                    *a = a.max(*b);
                }
            }
            m
        }
        Pooling::Mean | Pooling::MeanSqrtLen => {
            let mut m = vec![0f32; h];
            for r in rows.chunks_exact(h) {
                for (a, b) in m.iter_mut().zip(r) {
                    *a += b;
                }
            }
            let count = (n as f32).max(1e-9);
            let count = if pooling == Pooling::MeanSqrtLen {
                count.sqrt()
            } else {
                count
            };
            for a in m.iter_mut() {
                *a /= count;
            }
            m
        }
    };
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
    for a in v.iter_mut() {
        *a /= norm;
    }
    v
}

/// `c[m × n] = a[m × k] · b[k × n]` (row-major, one thread): the product the
/// fast encoder is built on, exposed so `benches/embed.rs` can measure this
/// machine's f32 matrix-multiply peak with the same kernels.
pub fn sgemm(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    strided_product(m, n, k, a, b, 1, n, c, false);
}

/// `c[m × n] = a[m × k] · b[n × k]ᵀ` (row-major, one thread): every row of `a`
/// against every row of `b`, as the clustering stage's similarity tiles need.
/// One element's value depends only on the two rows and the tile shape, never
/// on the thread that computes it.
pub fn matmul_abt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    strided_product(m, n, k, a, b, k, 1, c, false);
}

/// One-threaded `c[m × n] = a[m × k] · B[k × n]` (or `c += ...` with
/// `accumulate`), `a` and `c` row-major, where B's element (row r, column j)
/// is `b[r * b_rs + j * b_cs]` (so `b` is read as is or transposed, without a copy).
#[allow(clippy::too_many_arguments)]
fn strided_product(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    b_cs: usize,
    b_rs: usize,
    c: &mut [f32],
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let b_last = k.saturating_sub(1) * b_rs + (n - 1) * b_cs;
    assert!(a.len() >= m * k && c.len() >= m * n && (k == 0 || b.len() > b_last));
    // SAFETY: every element read or written is in bounds (checked above).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgemm_and_matmul_abt_match_naive_products() {
        let (m, n, k) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.61).cos()).collect();
        // bt = b transposed (n × k)
        let bt: Vec<f32> = (0..n * k).map(|x| b[(x % k) * n + x / k]).collect();
        let mut want = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k).map(|r| a[i * k + r] * b[r * n + j]).sum();
            }
        }
        let mut c1 = vec![f32::NAN; m * n];
        sgemm(m, n, k, &a, &b, &mut c1);
        let mut c2 = vec![f32::NAN; m * n];
        matmul_abt(m, n, k, &a, &bt, &mut c2);
        for ((x, y), w) in c1.iter().zip(&c2).zip(&want) {
            assert!((x - w).abs() < 1e-5 && (y - w).abs() < 1e-5, "{x} {y} {w}");
        }
    }
}
