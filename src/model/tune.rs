//! Fine-tuning the encoder's last transformer layer together with a dense
//! head (`whyline fit --tune-top`), and running such a tuned layer.
//!
//! Why: a head on frozen MiniLM features stops short on some facets (the
//! Touché values, see docs/measurements.md, "Facet heads"); letting the last
//! layer's attention move with the head is the change that lifts them. Only
//! the last layer is trained, on the hidden states *entering* it (computed
//! once by the frozen encoder), so an epoch costs that one layer's forward
//! and backward pass, not the whole encoder's, and the trained layer is a
//! few MB next to the head instead of a whole checkpoint.
//!
//! The layer and pooling are the encoder's own (BERT post-norm layer, GELU,
//! mean pooling over the tokens, L2 normalisation), so before training the
//! vectors equal the encoder's sentence embeddings. A text always runs alone
//! ([`top_embed`]): its vector never depends on the other texts of a batch,
//! so predictions are the same whatever the corpus, order or thread count.
//!
//! Determinism: as [`super::train`]: seeded splitmix64 for the head's
//! initial weights, batch order and dropout; the layer starts from the
//! encoder's weights.

use super::train::{
    dropout_mask, forward, objective_loss, seeded, snapshot, terr, uniform, DenseHead, Objective,
    Params, TrainConfig,
};
use crate::error::{Error, Result};
use crate::util::SplitMix64;
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// Tensor names of one BERT layer, relative to `encoder.layer.N.`, in the
/// order [`TopLayer::tensors`] holds them.
pub const TOP_TENSORS: [&str; 16] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];

/// One BERT encoder layer as plain vectors (row-major, PyTorch layout).
#[derive(Debug, Clone, PartialEq)]
pub struct TopLayer {
    /// Index of the layer in the encoder (0-based); its input is the hidden
    /// states after `layer` layers.
    pub layer: usize,
    pub hidden: usize,
    pub heads: usize,
    pub inner: usize,
    pub eps: f64,
    /// In [`TOP_TENSORS`] order.
    pub tensors: Vec<Vec<f32>>,
}

impl TopLayer {
    /// Shapes in [`TOP_TENSORS`] order.
    pub fn shapes(&self) -> Vec<Vec<usize>> {
        let (h, i) = (self.hidden, self.inner);
        let mut v = Vec::with_capacity(16);
        for _ in 0..4 {
            v.push(vec![h, h]);
            v.push(vec![h]);
        }
        v.push(vec![h]);
        v.push(vec![h]);
        v.push(vec![i, h]);
        v.push(vec![i]);
        v.push(vec![h, i]);
        v.push(vec![h]);
        v.push(vec![h]);
        v.push(vec![h]);
        v
    }

    /// Full name of tensor `i` (`encoder.layer.5.attention.self.query.weight`).
    pub fn name(&self, i: usize) -> String {
        format!("encoder.layer.{}.{}", self.layer, TOP_TENSORS[i])
    }

    pub fn check(&self) -> Result<()> {
        if self.heads == 0 || self.hidden == 0 || !self.hidden.is_multiple_of(self.heads) {
            return Err(Error::Tensor {
                name: "top layer".into(),
                msg: format!("{} hidden units over {} heads", self.hidden, self.heads),
            });
        }
        if self.tensors.len() != TOP_TENSORS.len() {
            return Err(Error::Tensor {
                name: "top layer".into(),
                msg: format!(
                    "{} tensors, expected {}",
                    self.tensors.len(),
                    TOP_TENSORS.len()
                ),
            });
        }
        for (i, (t, s)) in self.tensors.iter().zip(self.shapes()).enumerate() {
            if t.len() != s.iter().product::<usize>() {
                return Err(Error::Tensor {
                    name: self.name(i),
                    msg: format!("{} values, expected shape {s:?}", t.len()),
                });
            }
        }
        Ok(())
    }

    /// Round every weight to the nearest f16 (how the layer is stored), so
    /// that what is evaluated during fitting is what is shipped.
    pub fn round_to_f16(&mut self) -> Result<()> {
        for t in &mut self.tensors {
            for v in t.iter_mut() {
                *v = crate::util::f16_to_f32(crate::util::f16_bits(*v));
            }
        }
        Ok(())
    }

    fn tensors_on_cpu(&self) -> candle_core::Result<Vec<Tensor>> {
        self.tensors
            .iter()
            .zip(self.shapes())
            .map(|(v, s)| Tensor::from_slice(v, s.as_slice(), &Device::Cpu))
            .collect()
    }
}

/// Settings of [`tune_top`]: the head's (as [`super::train::train_head`])
/// plus the layer's own learning rate and weight decay.
#[derive(Debug, Clone)]
pub struct TuneConfig {
    pub head: TrainConfig,
    pub layer_lr: f64,
    pub layer_weight_decay: f64,
    /// Dropout inside the layer while training (BERT's own: attention
    /// probabilities and both dense outputs; MiniLM was trained with 0.1).
    pub layer_dropout: f32,
}

fn layer_norm(x: &Tensor, g: &Tensor, b: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let c = x.broadcast_sub(&mean)?;
    let var = c.sqr()?.mean_keepdim(D::Minus1)?;
    c.broadcast_div(&(var + eps)?.sqrt()?)?
        .broadcast_mul(g)?
        .broadcast_add(b)
}

fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    x.broadcast_matmul(&w.t()?)?.broadcast_add(b)
}

/// Dropout masks of one training batch, as BERT applies them: on the
/// attention probabilities and on the outputs of the two dense blocks before
/// their residual sums (scaled by `1 / keep`).
struct LayerDrop {
    probs: Tensor,
    attn_out: Tensor,
    ffn_out: Tensor,
}

impl LayerDrop {
    fn new(
        rng: &mut SplitMix64,
        p: f32,
        (b, s, h, heads): (usize, usize, usize, usize),
    ) -> candle_core::Result<Self> {
        let mut m = |n: usize| dropout_mask(rng, n, p);
        let dev = Device::Cpu;
        Ok(LayerDrop {
            probs: Tensor::from_vec(m(b * heads * s * s), (b, heads, s, s), &dev)?,
            attn_out: Tensor::from_vec(m(b * s * h), (b, s, h), &dev)?,
            ffn_out: Tensor::from_vec(m(b * s * h), (b, s, h), &dev)?,
        })
    }
}

/// The layer over `x` (`[b, s, h]`, `mask` `[b, s]`: 1 token, 0 padding),
/// mean-pooled over the tokens and L2-normalised: `[b, h]`.
fn layer_embed(
    p: &[Tensor],
    heads: usize,
    eps: f64,
    x: &Tensor,
    mask: &Tensor,
    drop: Option<&LayerDrop>,
) -> candle_core::Result<Tensor> {
    let (b, s, h) = x.dims3()?;
    let hd = h / heads;
    let split = |t: Tensor| -> candle_core::Result<Tensor> {
        t.reshape((b, s, heads, hd))?.transpose(1, 2)?.contiguous()
    };
    let q = split(linear(x, &p[0], &p[1])?)?;
    let k = split(linear(x, &p[2], &p[3])?)?;
    let v = split(linear(x, &p[4], &p[5])?)?;
    let bias = ((mask - 1.0)? * 1e9)?.reshape((b, 1, 1, s))?;
    let scores =
        (q.matmul(&k.t()?.contiguous()?)? * (1.0 / (hd as f64).sqrt()))?.broadcast_add(&bias)?;
    let mut probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
    let attn = |t: Tensor, d: Option<&Tensor>| match d {
        Some(m) => t * m,
        None => Ok(t),
    };
    probs = attn(probs, drop.map(|d| &d.probs))?;
    let ctx = probs
        .matmul(&v)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b, s, h))?;
    let a = attn(linear(&ctx, &p[6], &p[7])?, drop.map(|d| &d.attn_out))?;
    let x = layer_norm(&(a + x)?, &p[8], &p[9], eps)?;
    let up = linear(&x, &p[10], &p[11])?.gelu_erf()?;
    let f = attn(linear(&up, &p[12], &p[13])?, drop.map(|d| &d.ffn_out))?;
    let x = layer_norm(&(f + &x)?, &p[14], &p[15], eps)?;
    let m = mask.unsqueeze(2)?;
    let pooled = x.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)?;
    let norm = (pooled.sqr()?.sum_keepdim(1)?.sqrt()? + 1e-12)?;
    pooled.broadcast_div(&norm)
}

/// Token counts of `states` (each `tokens x hidden` values).
fn token_counts(states: &[Vec<f32>], h: usize) -> Result<Vec<usize>> {
    states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.is_empty() || !s.len().is_multiple_of(h) {
                Err(Error::Tensor {
                    name: format!("hidden states of text {i}"),
                    msg: format!("{} values is not a positive multiple of {h}", s.len()),
                })
            } else {
                Ok(s.len() / h)
            }
        })
        .collect()
}

/// Padded batch of `idx`'s states: `[b, s, h]` and the mask `[b, s]`.
fn pad(
    states: &[Vec<f32>],
    lens: &[usize],
    idx: &[usize],
    h: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let s = idx.iter().map(|&i| lens[i]).max().unwrap_or(1);
    let b = idx.len();
    let mut x = vec![0f32; b * s * h];
    let mut m = vec![0f32; b * s];
    for (j, &i) in idx.iter().enumerate() {
        x[j * s * h..j * s * h + lens[i] * h].copy_from_slice(&states[i]);
        m[j * s..j * s + lens[i]].iter_mut().for_each(|v| *v = 1.0);
    }
    Ok((
        Tensor::from_vec(x, (b, s, h), &Device::Cpu)?,
        Tensor::from_vec(m, (b, s), &Device::Cpu)?,
    ))
}

/// Sentence vectors of texts through `top`: `states[i]` holds text `i`'s
/// hidden states entering the layer (`tokens x hidden`, every token of the
/// text); each text runs alone, so its vector does not depend on the others.
pub fn top_embed(top: &TopLayer, states: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
    use rayon::prelude::*;
    top.check()?;
    let h = top.hidden;
    let lens = token_counts(states, h)?;
    let p = top.tensors_on_cpu().map_err(terr("top layer"))?;
    (0..states.len())
        .into_par_iter()
        .map(|i| {
            let run = || -> candle_core::Result<Vec<f32>> {
                let (x, m) = pad(states, &lens, &[i], h)?;
                layer_embed(&p, top.heads, top.eps, &x, &m, None)?
                    .flatten_all()?
                    .to_vec1::<f32>()
            };
            run().map_err(terr("top layer forward"))
        })
        .collect()
}

/// Fine-tune `init` and a new head on `states` (each text's hidden states
/// entering the layer) against `y` (`states.len()` rows of `n_labels`).
/// Batches hold texts of similar length (less padding), in a seeded random
/// order. After each epoch `on_epoch(epoch, layer, head, mean_loss)` is
/// called; `false` stops (the caller keeps the best epoch).
pub fn tune_top(
    states: &[Vec<f32>],
    init: &TopLayer,
    y: &[f32],
    n_labels: usize,
    objective: &Objective,
    cfg: &TuneConfig,
    on_epoch: &mut dyn FnMut(usize, &TopLayer, &DenseHead, f64) -> Result<bool>,
) -> Result<(TopLayer, DenseHead)> {
    init.check()?;
    let h = init.hidden;
    let n = states.len();
    let hc = &cfg.head;
    if n == 0 || n_labels == 0 || y.len() != n * n_labels {
        return Err(Error::Tensor {
            name: "tune".into(),
            msg: format!("{n} texts, {} targets for {n_labels} labels", y.len()),
        });
    }
    if hc.batch_size == 0 {
        return Err(Error::Config("batch size must be at least 1".into()));
    }
    let lens = token_counts(states, h)?;
    let dev = Device::Cpu;
    let mut rng = seeded(hc.seed);
    let mk = |v: Vec<f32>, shape: &[usize]| -> Result<Var> {
        Var::from_tensor(&Tensor::from_vec(v, shape, &dev).map_err(terr("init"))?)
            .map_err(terr("init"))
    };
    let layer_vars: Vec<Var> = init
        .tensors
        .iter()
        .zip(init.shapes())
        .map(|(v, s)| mk(v.clone(), &s))
        .collect::<Result<_>>()?;
    let inner = if hc.hidden == 0 { h } else { hc.hidden };
    let (w1, b1) = if hc.hidden > 0 {
        let bound = 1.0 / (h as f32).sqrt();
        (
            Some(mk(
                uniform(&mut rng, hc.hidden * h, bound),
                &[hc.hidden, h],
            )?),
            Some(mk(vec![0.0; hc.hidden], &[hc.hidden])?),
        )
    } else {
        (None, None)
    };
    let bound = 1.0 / (inner as f32).sqrt();
    let params = Params {
        w1,
        b1,
        w2: mk(
            uniform(&mut rng, n_labels * inner, bound),
            &[n_labels, inner],
        )?,
        b2: mk(vec![0.0; n_labels], &[n_labels])?,
    };
    let mut head_vars = vec![params.w2.clone(), params.b2.clone()];
    if let (Some(a), Some(b)) = (&params.w1, &params.b1) {
        head_vars.push(a.clone());
        head_vars.push(b.clone());
    }
    let adam = |vars: Vec<Var>, lr: f64, wd: f64| {
        AdamW::new(
            vars,
            ParamsAdamW {
                lr,
                weight_decay: wd,
                ..Default::default()
            },
        )
        .map_err(terr("optimiser"))
    };
    let mut opt_head = adam(head_vars, hc.lr, hc.weight_decay)?;
    let mut opt_layer = adam(layer_vars.clone(), cfg.layer_lr, cfg.layer_weight_decay)?;
    // As train_head: the head reads sqrt(h)-scaled unit vectors, folded back
    // into its first layer on snapshot.
    let scale = (h as f32).sqrt();
    let weights = match objective {
        Objective::MultiLabel { pos_weight: w } | Objective::SingleLabel { class_weight: w } => w,
    };
    if weights.len() != n_labels {
        return Err(Error::Config("one class weight per label expected".into()));
    }
    let wt = Tensor::from_slice(weights, (1, n_labels), &dev).map_err(terr("weights"))?;
    let snap_layer = |vars: &[Var]| -> Result<TopLayer> {
        let tensors = vars
            .iter()
            .map(|v| v.as_tensor().flatten_all()?.to_vec1::<f32>())
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(terr("snapshot"))?;
        Ok(TopLayer {
            tensors,
            ..init.clone()
        })
    };
    let mut last = (
        snap_layer(&layer_vars)?,
        snapshot(&params, h, hc.hidden, n_labels, scale).map_err(terr("snapshot"))?,
    );
    let batches_per_epoch = n.div_ceil(hc.batch_size);
    let total_steps = (hc.max_epochs * batches_per_epoch).max(1) as f64;
    let mut step_no = 0usize;
    for epoch in 1..=hc.max_epochs {
        // shuffle, then a stable sort by length: batches of similar lengths
        // whose members change every epoch; then the batches in random order
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        order.sort_by_key(|&i| lens[i]);
        let mut batches: Vec<&[usize]> = order.chunks(hc.batch_size).collect();
        rng.shuffle(&mut batches);
        let mut total = 0f64;
        for chunk in &batches {
            let bs = chunk.len();
            let mask: Option<Vec<f32>> = (hc.hidden > 0 && hc.dropout > 0.0)
                .then(|| dropout_mask(&mut rng, bs * hc.hidden, hc.dropout));
            if hc.cosine_lr {
                let f = 0.5 * (1.0 + (std::f64::consts::PI * step_no as f64 / total_steps).cos());
                opt_head.set_learning_rate(hc.lr * f);
                opt_layer.set_learning_rate(cfg.layer_lr * f);
            }
            step_no += 1;
            let s_max = chunk.iter().map(|&i| lens[i]).max().unwrap_or(1);
            let drop = if cfg.layer_dropout > 0.0 {
                Some(
                    LayerDrop::new(&mut rng, cfg.layer_dropout, (bs, s_max, h, init.heads))
                        .map_err(terr("dropout"))?,
                )
            } else {
                None
            };
            let mut step = || -> candle_core::Result<f64> {
                let (x, m) = pad(states, &lens, chunk, h)?;
                let lt: Vec<Tensor> = layer_vars.iter().map(|v| v.as_tensor().clone()).collect();
                let e = (layer_embed(&lt, init.heads, init.eps, &x, &m, drop.as_ref())?
                    * f64::from(scale))?;
                let mut rows = Vec::with_capacity(bs * n_labels);
                for &i in chunk.iter() {
                    rows.extend_from_slice(&y[i * n_labels..(i + 1) * n_labels]);
                }
                let yb = Tensor::from_vec(rows, (bs, n_labels), &dev)?;
                let mask = match &mask {
                    Some(mv) => Some(Tensor::from_slice(mv, (bs, hc.hidden), &dev)?),
                    None => None,
                };
                let z = forward(&params, &e, mask.as_ref())?;
                let loss = objective_loss(objective, &z, &yb, &wt, hc.label_smoothing, n_labels)?;
                let grads = loss.backward()?;
                opt_head.step(&grads)?;
                opt_layer.step(&grads)?;
                loss.to_dtype(DType::F64)?.to_scalar::<f64>()
            };
            total += step().map_err(terr("tune step"))?;
        }
        last = (
            snap_layer(&layer_vars)?,
            snapshot(&params, h, hc.hidden, n_labels, scale).map_err(terr("snapshot"))?,
        );
        if !on_epoch(epoch, &last.0, &last.1, total / batches.len().max(1) as f64)? {
            break;
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random 8-wide, 2-head layer (near-identity attention output).
    fn toy_layer(seed: u64) -> TopLayer {
        let mut rng = seeded(seed);
        let mut t = TopLayer {
            layer: 0,
            hidden: 8,
            heads: 2,
            inner: 16,
            eps: 1e-12,
            tensors: Vec::new(),
        };
        t.tensors = t
            .shapes()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let n: usize = s.iter().product();
                if i == 8 || i == 14 {
                    vec![1.0; n] // layer norm gains
                } else {
                    uniform(&mut rng, n, 0.3)
                }
            })
            .collect();
        t
    }

    fn cfg(seed: u64) -> TuneConfig {
        TuneConfig {
            head: TrainConfig {
                hidden: 8,
                lr: 1e-2,
                weight_decay: 0.0,
                batch_size: 4,
                max_epochs: 30,
                dropout: 0.0,
                seed,
                label_smoothing: 0.0,
                cosine_lr: false,
            },
            layer_lr: 1e-3,
            layer_weight_decay: 0.0,
            layer_dropout: 0.1,
        }
    }

    /// Texts of 2-5 tokens whose label is the sign of the first feature of
    /// their mean state.
    fn toy_data() -> (Vec<Vec<f32>>, Vec<f32>) {
        let mut rng = seeded(7);
        let mut states = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            let tokens = 2 + i % 4;
            let shift = if i % 2 == 0 { 1.5 } else { -1.5 };
            let mut s = uniform(&mut rng, tokens * 8, 1.0);
            for t in 0..tokens {
                s[t * 8] += shift;
            }
            states.push(s);
            y.extend_from_slice(if i % 2 == 0 { &[1.0, 0.0] } else { &[0.0, 1.0] });
        }
        (states, y)
    }

    #[test]
    fn a_text_s_vector_does_not_depend_on_the_other_texts() {
        let top = toy_layer(1);
        let (states, _) = toy_data();
        let all = top_embed(&top, &states).unwrap();
        let one = top_embed(&top, &states[3..4]).unwrap();
        assert_eq!(all[3], one[0]);
        let norm: f32 = all[0].iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit vectors, got norm {norm}");
    }

    #[test]
    fn tuning_learns_and_is_deterministic() {
        let (states, y) = toy_data();
        let obj = Objective::SingleLabel {
            class_weight: vec![1.0, 1.0],
        };
        let mut losses = Vec::new();
        let (layer, head) = tune_top(
            &states,
            &toy_layer(1),
            &y,
            2,
            &obj,
            &cfg(3),
            &mut |_, _, _, l| {
                losses.push(l);
                Ok(true)
            },
        )
        .unwrap();
        assert!(
            losses.last().unwrap() < &(losses[0] * 0.5),
            "loss should fall: {losses:?}"
        );
        assert_ne!(layer.tensors, toy_layer(1).tensors, "the layer moved");
        let x: Vec<f32> = top_embed(&layer, &states).unwrap().concat();
        let z = super::super::train::head_logits(&head, &x).unwrap();
        let correct = (0..states.len())
            .filter(|&i| (z[2 * i] > z[2 * i + 1]) == (i % 2 == 0))
            .count();
        assert!(correct >= 36, "{correct} of 40 right");
        let again = tune_top(
            &states,
            &toy_layer(1),
            &y,
            2,
            &obj,
            &cfg(3),
            &mut |_, _, _, _| Ok(true),
        )
        .unwrap();
        assert_eq!(again.0, layer);
        assert_eq!(again.1, head);
    }

    #[test]
    fn rejects_ragged_states() {
        let top = toy_layer(1);
        let err = top_embed(&top, &[vec![0.0; 12]]).unwrap_err();
        assert!(err.to_string().contains("text 0"), "{err}");
    }
}
