//! Training and running small dense heads (linear or one hidden layer) on
//! frozen encoder embeddings, with candle's CPU kernels and autograd.
//!
//! Why here: only `model/` may name candle types, and candle's matmul is
//! compiled at opt-level 3 even in debug builds. Everything crossing this
//! module's boundary is plain Rust (`&[f32]`, [`DenseHead`]).
//!
//! Determinism: weights are initialised and mini-batches ordered by a seeded
//! splitmix64 generator; dropout masks come from the same generator; candle's
//! CPU reductions and gemm split work over output blocks, so the same seed
//! gives the same weights.

use crate::error::{Error, Result};
use crate::util::SplitMix64;
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// A trained dense head. `hidden == 0` means linear (`w2`: labels x dim).
/// Otherwise `w1`: hidden x dim, `b1`: hidden, `w2`: labels x hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHead {
    pub dim: usize,
    pub hidden: usize,
    pub n_labels: usize,
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
}

impl DenseHead {
    /// Input width of the output layer.
    pub fn inner(&self) -> usize {
        if self.hidden == 0 {
            self.dim
        } else {
            self.hidden
        }
    }

    /// Check that every weight has the shape its sizes announce.
    pub fn check(&self) -> Result<()> {
        let want = [
            ("w1", self.w1.len(), self.hidden * self.dim),
            ("b1", self.b1.len(), self.hidden),
            ("w2", self.w2.len(), self.n_labels * self.inner()),
            ("b2", self.b2.len(), self.n_labels),
        ];
        for (name, got, exp) in want {
            if got != exp {
                return Err(Error::Tensor {
                    name: name.into(),
                    msg: format!("has {got} values, expected {exp}"),
                });
            }
        }
        Ok(())
    }
}

/// What the head is trained to predict.
#[derive(Debug, Clone)]
pub enum Objective {
    /// Independent sigmoid per label; binary cross-entropy with a weight on
    /// positives per label (class weighting for rare labels).
    MultiLabel { pos_weight: Vec<f32> },
    /// Softmax over labels; cross-entropy with a weight per class.
    SingleLabel { class_weight: Vec<f32> },
}

/// Optimiser settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// 0 = linear head.
    pub hidden: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    pub dropout: f32,
    pub seed: u64,
    /// Single-label only: the target puts `1 - eps` on the gold class and
    /// spreads `eps` evenly over all classes (0 = plain one-hot targets).
    pub label_smoothing: f32,
    /// Cosine learning-rate decay from `lr` to 0 over `max_epochs` (per step).
    pub cosine_lr: bool,
}

/// A training run's random stream: [`SplitMix64`] from `seed` XOR the
/// golden-ratio constant (the stream heads have been trained with).
pub fn seeded(seed: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15)
}

/// `n` inverted-dropout multipliers: `1 / (1 - p)` kept, 0 dropped.
pub(super) fn dropout_mask(rng: &mut SplitMix64, n: usize, p: f32) -> Vec<f32> {
    let keep = 1.0 - p;
    (0..n)
        .map(|_| {
            if rng.next_f32() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect()
}

pub(super) fn terr(name: &str) -> impl Fn(candle_core::Error) -> Error + '_ {
    move |e| Error::Tensor {
        name: name.to_string(),
        msg: e.to_string(),
    }
}

pub(super) fn uniform(rng: &mut SplitMix64, n: usize, bound: f32) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.next_f32() * 2.0 - 1.0) * bound)
        .collect()
}

/// softplus(z) = log(1 + e^z), computed stably as relu(z) + log(1 + e^-|z|).
pub(super) fn softplus(z: &Tensor) -> candle_core::Result<Tensor> {
    z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?
}

pub(super) struct Params {
    pub(super) w1: Option<Var>,
    pub(super) b1: Option<Var>,
    pub(super) w2: Var,
    pub(super) b2: Var,
}

pub(super) fn forward(
    p: &Params,
    x: &Tensor,
    mask: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let h = match (&p.w1, &p.b1) {
        (Some(w1), Some(b1)) => {
            let h = x
                .matmul(&w1.as_tensor().t()?)?
                .broadcast_add(b1.as_tensor())?
                .relu()?;
            match mask {
                Some(m) => (h * m)?,
                None => h,
            }
        }
        _ => x.clone(),
    };
    h.matmul(&p.w2.as_tensor().t()?)?
        .broadcast_add(p.b2.as_tensor())
}

/// The training loss of logits `z` against targets `yb` (rows of `n_labels`),
/// with per-label weights `wt` (`1 x n_labels`): weighted binary
/// cross-entropy for multi-label, weighted (optionally smoothed) cross-entropy
/// for single-label.
pub(super) fn objective_loss(
    objective: &Objective,
    z: &Tensor,
    yb: &Tensor,
    wt: &Tensor,
    label_smoothing: f32,
    n_labels: usize,
) -> candle_core::Result<Tensor> {
    match objective {
        Objective::MultiLabel { .. } => {
            // pw * y * softplus(-z) + (1 - y) * softplus(z)
            let pos = (yb.broadcast_mul(wt)? * softplus(&z.neg()?)?)?;
            let neg = ((1.0 - yb)? * softplus(z)?)?;
            (pos + neg)?.mean_all()
        }
        Objective::SingleLabel { .. } => {
            let ls = candle_nn::ops::log_softmax(z, D::Minus1)?;
            // row weight = the gold class's weight
            let rw = yb.broadcast_mul(wt)?.sum_keepdim(1)?;
            let eps = f64::from(label_smoothing.clamp(0.0, 1.0));
            let target = if eps > 0.0 {
                ((yb * (1.0 - eps))? + eps / n_labels as f64)?
            } else {
                yb.clone()
            };
            let per_row = (target * ls)?.sum_keepdim(1)?;
            let num = (per_row * &rw)?.sum_all()?.neg()?;
            let den = rw.sum_all()?;
            num.broadcast_div(&den)
        }
    }
}

/// The current weights, with the input scale folded into the first layer so
/// that the head reads unscaled embeddings.
pub(super) fn snapshot(
    p: &Params,
    dim: usize,
    hidden: usize,
    n_labels: usize,
    scale: f32,
) -> candle_core::Result<DenseHead> {
    let flat = |v: &Var| v.as_tensor().flatten_all()?.to_vec1::<f32>();
    let scaled = |v: Vec<f32>| v.into_iter().map(|x| x * scale).collect::<Vec<f32>>();
    let (w1, b1) = match (&p.w1, &p.b1) {
        (Some(w), Some(b)) => (scaled(flat(w)?), flat(b)?),
        _ => (Vec::new(), Vec::new()),
    };
    let w2 = if hidden == 0 {
        scaled(flat(&p.w2)?)
    } else {
        flat(&p.w2)?
    };
    Ok(DenseHead {
        dim,
        hidden,
        n_labels,
        w1,
        b1,
        w2,
        b2: flat(&p.b2)?,
    })
}

/// Train a head on `x` (`n` rows of `dim`, row-major) against targets `y`
/// (`n` rows of `n_labels`: multi-hot, or one-hot for single-label).
/// After each epoch `on_epoch(epoch, head, mean_loss)` is called; it returns
/// `false` to stop (early stopping lives with the caller, who keeps the best head).
pub fn train_head(
    x: &[f32],
    dim: usize,
    y: &[f32],
    n_labels: usize,
    objective: &Objective,
    cfg: &TrainConfig,
    on_epoch: &mut dyn FnMut(usize, &DenseHead, f64) -> Result<bool>,
) -> Result<DenseHead> {
    if dim == 0
        || n_labels == 0
        || !x.len().is_multiple_of(dim)
        || y.len() != x.len() / dim * n_labels
    {
        return Err(Error::Tensor {
            name: "train".into(),
            msg: format!(
                "inconsistent sizes: x {} (dim {dim}), y {} ({n_labels} labels)",
                x.len(),
                y.len()
            ),
        });
    }
    if cfg.batch_size == 0 {
        return Err(Error::Config("batch size must be at least 1".into()));
    }
    let n = x.len() / dim;
    let dev = Device::Cpu;
    let mut rng = seeded(cfg.seed);
    let inner = if cfg.hidden == 0 { dim } else { cfg.hidden };
    let mk = |v: Vec<f32>, shape: &[usize]| -> Result<Var> {
        Var::from_tensor(&Tensor::from_vec(v, shape, &dev).map_err(terr("init"))?)
            .map_err(terr("init"))
    };
    let (w1, b1) = if cfg.hidden > 0 {
        let bound = 1.0 / (dim as f32).sqrt();
        (
            Some(mk(
                uniform(&mut rng, cfg.hidden * dim, bound),
                &[cfg.hidden, dim],
            )?),
            Some(mk(vec![0.0; cfg.hidden], &[cfg.hidden])?),
        )
    } else {
        (None, None)
    };
    let bound = 1.0 / (inner as f32).sqrt();
    let w2 = mk(
        uniform(&mut rng, n_labels * inner, bound),
        &[n_labels, inner],
    )?;
    let b2 = mk(vec![0.0; n_labels], &[n_labels])?;
    let params = Params { w1, b1, w2, b2 };
    let mut vars = vec![params.w2.clone(), params.b2.clone()];
    if let (Some(a), Some(b)) = (&params.w1, &params.b1) {
        vars.push(a.clone());
        vars.push(b.clone());
    }
    let mut opt = AdamW::new(
        vars,
        ParamsAdamW {
            lr: cfg.lr,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )
    .map_err(terr("optimiser"))?;

    // Embeddings are unit vectors (components ~ 1/sqrt(dim)); training on
    // sqrt(dim)-scaled inputs keeps the weights near unit scale, where Adam's
    // fixed step size converges quickly. The scale is folded back on snapshot.
    let scale = (dim as f32).sqrt();
    let xt = (Tensor::from_slice(x, (n, dim), &dev).map_err(terr("x"))? * f64::from(scale))
        .map_err(terr("x"))?;
    let yt = Tensor::from_slice(y, (n, n_labels), &dev).map_err(terr("y"))?;
    let weights = match objective {
        Objective::MultiLabel { pos_weight: w } | Objective::SingleLabel { class_weight: w } => w,
    };
    if weights.len() != n_labels {
        return Err(Error::Config("one class weight per label expected".into()));
    }
    let wt = Tensor::from_slice(weights, (1, n_labels), &dev).map_err(terr("weights"))?;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut last = snapshot(&params, dim, cfg.hidden, n_labels, scale).map_err(terr("snapshot"))?;
    let steps_per_epoch = n.div_ceil(cfg.batch_size);
    let total_steps = (cfg.max_epochs * steps_per_epoch).max(1) as f64;
    let mut step_no = 0usize;
    for epoch in 1..=cfg.max_epochs {
        rng.shuffle(&mut order);
        let mut total = 0f64;
        let mut batches = 0usize;
        for chunk in order.chunks(cfg.batch_size) {
            let bs = chunk.len();
            let mask: Option<Vec<f32>> = (cfg.hidden > 0 && cfg.dropout > 0.0)
                .then(|| dropout_mask(&mut rng, bs * cfg.hidden, cfg.dropout));
            if cfg.cosine_lr {
                let t = step_no as f64 / total_steps;
                opt.set_learning_rate(cfg.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()));
            }
            step_no += 1;
            let step = || -> candle_core::Result<f64> {
                let idx = Tensor::from_slice(chunk, bs, &dev)?;
                let xb = xt.index_select(&idx, 0)?;
                let yb = yt.index_select(&idx, 0)?;
                let mask = match mask {
                    Some(m) => Some(Tensor::from_vec(m, (bs, cfg.hidden), &dev)?),
                    None => None,
                };
                let z = forward(&params, &xb, mask.as_ref())?;
                let loss = objective_loss(objective, &z, &yb, &wt, cfg.label_smoothing, n_labels)?;
                opt.backward_step(&loss)?;
                loss.to_dtype(DType::F64)?.to_scalar::<f64>()
            };
            total += step().map_err(terr("train step"))?;
            batches += 1;
        }
        last = snapshot(&params, dim, cfg.hidden, n_labels, scale).map_err(terr("snapshot"))?;
        if !on_epoch(epoch, &last, total / batches.max(1) as f64)? {
            break;
        }
    }
    Ok(last)
}

/// `head`'s weights as tensors for [`forward`].
fn head_params(head: &DenseHead) -> candle_core::Result<Params> {
    let dev = Device::Cpu;
    let t = |v: &[f32], s: &[usize]| -> candle_core::Result<Var> {
        Var::from_tensor(&Tensor::from_slice(v, s, &dev)?)
    };
    let (w1, b1) = if head.hidden > 0 {
        (
            Some(t(&head.w1, &[head.hidden, head.dim])?),
            Some(t(&head.b1, &[head.hidden])?),
        )
    } else {
        (None, None)
    };
    Ok(Params {
        w1,
        b1,
        w2: t(&head.w2, &[head.n_labels, head.inner()])?,
        b2: t(&head.b2, &[head.n_labels])?,
    })
}

/// Logits of `head` for `x` (`n` rows of `head.dim`), row-major `n x n_labels`.
pub fn head_logits(head: &DenseHead, x: &[f32]) -> Result<Vec<f32>> {
    head.check()?;
    if head.dim == 0 || !x.len().is_multiple_of(head.dim) {
        return Err(Error::Tensor {
            name: "input".into(),
            msg: format!("{} values is not a multiple of dim {}", x.len(), head.dim),
        });
    }
    let n = x.len() / head.dim;
    if n == 0 {
        return Ok(Vec::new());
    }
    let run = || -> candle_core::Result<Vec<f32>> {
        let xt = Tensor::from_slice(x, (n, head.dim), &Device::Cpu)?;
        forward(&head_params(head)?, &xt, None)?
            .flatten_all()?
            .to_vec1::<f32>()
    };
    run().map_err(terr("head forward"))
}

/// Logits of `head` for `n` rows, `block` rows per forward pass, the weights
/// loaded once: `fill(start, end, x)` appends rows `start..end` (`head.dim`
/// values each) to the empty `x`. Every pass runs on exactly `block` rows
/// (the last one padded with zeros), so the matrix product takes the same
/// path each time and a row's logits do not depend on the rows around it.
pub fn head_logits_blocked(
    head: &DenseHead,
    n: usize,
    block: usize,
    mut fill: impl FnMut(usize, usize, &mut Vec<f32>) -> Result<()>,
) -> Result<Vec<f32>> {
    head.check()?;
    let (dim, block) = (head.dim, block.max(1));
    let params = head_params(head).map_err(terr("head weights"))?;
    let mut z = Vec::with_capacity(n * head.n_labels);
    let mut x = Vec::with_capacity(block * dim);
    for start in (0..n).step_by(block) {
        let end = (start + block).min(n);
        x.clear();
        fill(start, end, &mut x)?;
        if x.len() != (end - start) * dim {
            return Err(Error::Tensor {
                name: "input".into(),
                msg: format!("{} values for {} rows of dim {dim}", x.len(), end - start),
            });
        }
        x.resize(block * dim, 0.0);
        let run = || -> candle_core::Result<Vec<f32>> {
            let xt = Tensor::from_slice(&x, (block, dim), &Device::Cpu)?;
            forward(&params, &xt, None)?.flatten_all()?.to_vec1::<f32>()
        };
        let logits = run().map_err(terr("head forward"))?;
        z.extend_from_slice(&logits[..(end - start) * head.n_labels]);
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<f32>, Vec<f32>) {
        // two separable classes in 4-d
        let mut rng = seeded(7);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let c = i % 2;
            for d in 0..4 {
                let centre = if d == c { 1.0 } else { 0.0 };
                x.push(centre + (rng.next_f32() - 0.5) * 0.3);
            }
            y.extend(if c == 0 { [1.0, 0.0] } else { [0.0, 1.0] });
        }
        (x, y)
    }

    fn cfg(hidden: usize, seed: u64) -> TrainConfig {
        TrainConfig {
            hidden,
            lr: 1e-2,
            weight_decay: 0.0,
            batch_size: 32,
            max_epochs: 20,
            dropout: 0.1,
            seed,
            label_smoothing: 0.0,
            cosine_lr: false,
        }
    }

    #[test]
    fn learns_a_separable_problem_and_is_deterministic() {
        let (x, y) = toy();
        for hidden in [0, 8] {
            let obj = Objective::SingleLabel {
                class_weight: vec![1.0, 1.0],
            };
            let a =
                train_head(&x, 4, &y, 2, &obj, &cfg(hidden, 3), &mut |_, _, _| Ok(true)).unwrap();
            let b =
                train_head(&x, 4, &y, 2, &obj, &cfg(hidden, 3), &mut |_, _, _| Ok(true)).unwrap();
            assert_eq!(a, b, "same seed, same weights");
            let z = head_logits(&a, &x).unwrap();
            let correct = (0..200)
                .filter(|&i| (z[2 * i + 1] > z[2 * i]) == (i % 2 == 1))
                .count();
            assert!(correct >= 195, "{correct}");
            let obj = Objective::MultiLabel {
                pos_weight: vec![1.0, 1.0],
            };
            let m =
                train_head(&x, 4, &y, 2, &obj, &cfg(hidden, 3), &mut |_, _, _| Ok(true)).unwrap();
            let z = head_logits(&m, &x).unwrap();
            assert!(z[0] > 0.0 && z[1] < 0.0, "{:?}", &z[..2]);
        }
    }

    #[test]
    fn rejects_inconsistent_sizes() {
        let obj = Objective::SingleLabel {
            class_weight: vec![1.0],
        };
        assert!(train_head(
            &[1.0; 5],
            4,
            &[1.0],
            1,
            &obj,
            &cfg(0, 1),
            &mut |_, _, _| Ok(true)
        )
        .is_err());
        let h = DenseHead {
            dim: 2,
            hidden: 0,
            n_labels: 1,
            w1: vec![],
            b1: vec![],
            w2: vec![1.0],
            b2: vec![0.0],
        };
        assert!(head_logits(&h, &[1.0, 2.0]).is_err());
    }
}
