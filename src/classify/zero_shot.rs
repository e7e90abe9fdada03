//! Zero-shot classification from a taxonomy: each label's prototype is the
//! mean embedding of its name, description and examples; a text's cosine
//! similarity to each prototype becomes a score through a temperature
//! (softmax for single-label facets, a sigmoid around a bias for
//! multi-label ones).
//!
//! Why: a facet works before anyone has labelled data, and fitting just the
//! temperature and bias on labelled data calibrates the scores without
//! touching the label definitions.

use super::head::{HeadKind, HeadMeta, TrainedHead, FORMAT};
use super::taxonomy::Taxonomy;
use super::LabelMode;
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::model::train::DenseHead;

/// Default cosine bias of the multi-label sigmoid when nothing was fitted.
pub const DEFAULT_BIAS: f32 = 0.3;

/// Label prototypes (`labels x dim`, unit rows) of a taxonomy.
pub fn prototypes(embedder: &dyn Embedder, tax: &Taxonomy) -> Result<Vec<Vec<f32>>> {
    let mut texts = Vec::new();
    let mut owner = Vec::new();
    for i in 0..tax.labels.len() {
        for t in tax.prototype_texts(i) {
            texts.push(t);
            owner.push(i);
        }
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embs = embedder.embed(&refs)?;
    let dim = embedder.dim();
    let mut protos = vec![vec![0f32; dim]; tax.labels.len()];
    for (e, &i) in embs.iter().zip(&owner) {
        if e.len() != dim {
            return Err(Error::Tensor {
                name: "prototype".into(),
                msg: format!("embedding dim {} != {dim}", e.len()),
            });
        }
        let n = norm(e);
        for (p, v) in protos[i].iter_mut().zip(e) {
            *p += v / n;
        }
    }
    for p in &mut protos {
        let n = norm(p);
        p.iter_mut().for_each(|v| *v /= n);
    }
    Ok(protos)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12)
}

/// A zero-shot classifier as a head: logits = (cos - bias) / temperature.
/// `thresholds` None = multi-label predicts only the top label (no labelled
/// data to tune on); single-label ignores thresholds.
pub fn zero_shot_head(
    protos: &[Vec<f32>],
    tax: &Taxonomy,
    encoder: &str,
    temperature: f32,
    bias: f32,
    thresholds: Option<Vec<f32>>,
    training: serde_json::Value,
) -> Result<TrainedHead> {
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(Error::Config(format!(
            "temperature must be > 0, got {temperature}"
        )));
    }
    let dim = protos.first().map(Vec::len).unwrap_or(0);
    let l = protos.len();
    let bias = if tax.mode == LabelMode::SingleLabel {
        0.0
    } else {
        bias
    };
    let weights = DenseHead {
        dim,
        hidden: 0,
        n_labels: l,
        w1: Vec::new(),
        b1: Vec::new(),
        w2: protos.iter().flatten().map(|v| v / temperature).collect(),
        b2: vec![-bias / temperature; l],
    };
    let thresholds = match tax.mode {
        LabelMode::SingleLabel => Vec::new(),
        // 1.0 can never be exceeded by a sigmoid: only the top label (min_one).
        LabelMode::MultiLabel => thresholds.unwrap_or_else(|| vec![1.0; l]),
    };
    TrainedHead::new(
        HeadMeta {
            format: FORMAT.into(),
            facet: tax.facet.clone(),
            kind: HeadKind::ZeroShot,
            mode: tax.mode,
            labels: tax.label_names(),
            thresholds,
            min_one: true,
            groups: tax.groups(),
            encoder: encoder.to_string(),
            layers: Vec::new(),
            dim,
            hidden: 0,
            top: None,
            training,
        },
        weights,
    )
}

/// Cosine similarities `n x labels` of unit embeddings to prototypes.
pub fn cosines(x: &[f32], dim: usize, protos: &[Vec<f32>]) -> Vec<f32> {
    x.chunks(dim.max(1))
        .flat_map(|row| {
            let n = norm(row);
            protos
                .iter()
                .map(move |p| p.iter().zip(row).map(|(a, b)| a * b).sum::<f32>() / n)
        })
        .collect()
}

/// Fit temperature (and the multi-label bias) by minimising the mean
/// negative log-likelihood of the labels on a grid. Returns (temperature, bias).
pub fn fit_calibration(
    cos: &[f32],
    targets: &[f32],
    n_labels: usize,
    mode: LabelMode,
) -> (f32, f32) {
    let temps: Vec<f32> = (1..=40).map(|i| i as f32 * 0.005).collect();
    let biases: Vec<f32> = match mode {
        LabelMode::SingleLabel => vec![0.0],
        LabelMode::MultiLabel => (0..=16).map(|i| i as f32 * 0.05).collect(),
    };
    let mut best = (f64::INFINITY, 0.05f32, 0.0f32);
    for &t in &temps {
        for &b in &biases {
            let nll = match mode {
                LabelMode::SingleLabel => cos
                    .chunks(n_labels)
                    .zip(targets.chunks(n_labels))
                    .map(|(c, y)| {
                        let m = c.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                        let lse = c.iter().map(|v| ((v - m) / t).exp()).sum::<f32>().ln();
                        let gold = c.iter().zip(y).map(|(v, y)| (v - m) / t * y).sum::<f32>();
                        f64::from(lse - gold)
                    })
                    .sum::<f64>(),
                LabelMode::MultiLabel => cos
                    .iter()
                    .zip(targets)
                    .map(|(c, y)| {
                        let z = (c - b) / t;
                        // softplus(-z) for positives, softplus(z) for negatives
                        let s = if *y > 0.5 { -z } else { z };
                        f64::from(s.max(0.0) + (-s.abs()).exp().ln_1p())
                    })
                    .sum::<f64>(),
            };
            if nll < best.0 {
                best = (nll, t, b);
            }
        }
    }
    (best.1, best.2)
}
