//! A scored classifier stored on disk: a dense head (linear, MLP, or the
//! prototype matrix of a fitted zero-shot classifier) over encoder
//! embeddings, as `head.safetensors` + `head.json` (+ `labels.json`).
//!
//! Why one format for all three: a zero-shot classifier is a linear layer
//! whose rows are label prototypes divided by a temperature, so training,
//! calibration, thresholds and evaluation treat every kind the same way.

use super::{decide, FacetClassifier, FacetPrediction, LabelMode};
use crate::error::{Error, Result};
use crate::model::train::{head_logits_blocked, DenseHead};
use crate::model::tune::{top_embed, TopLayer, TOP_TENSORS};
use crate::model::{LoadOptions, Precision, SentenceEncoder};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// File format tag of `head.json`.
pub const FORMAT: &str = "whyline-head/1";

/// What produced the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadKind {
    Linear,
    Mlp,
    ZeroShot,
}

impl HeadKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            HeadKind::Linear => "linear",
            HeadKind::Mlp => "mlp",
            HeadKind::ZeroShot => "zero_shot",
        }
    }
}

/// `head.json`: everything about a head except its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMeta {
    pub format: String,
    pub facet: String,
    pub kind: HeadKind,
    pub mode: LabelMode,
    pub labels: Vec<String>,
    /// Per-label decision thresholds on the probability (multi-label).
    #[serde(default)]
    pub thresholds: Vec<f32>,
    /// Multi-label: when no label passes its threshold, predict the top one.
    #[serde(default)]
    pub min_one: bool,
    /// Optional coarser group per label (e.g. Ekman groups), for grouped metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Fingerprint of the encoder whose embeddings the head reads.
    pub encoder: String,
    /// Encoder layers whose L2-normalised mean-pooled hidden states follow
    /// the embedding in the head's input (`whyline fit --layers`); empty:
    /// the embedding alone. `dim` counts them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<usize>,
    pub dim: usize,
    pub hidden: usize,
    /// A fine-tuned copy of the encoder's last layer that the head reads
    /// instead of the shared embedding (`whyline fit --tune-top`); its
    /// weights are the `top.*` tensors of `head.safetensors` (f16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<TopMeta>,
    /// Free-form training record (data, seed, hyper-parameters, dev metrics).
    #[serde(default)]
    pub training: serde_json::Value,
}

/// `head.json`'s description of a tuned top layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopMeta {
    /// Index of the encoder layer it replaces (the encoder's last).
    pub layer: usize,
    pub heads: usize,
    /// Width of the layer's feed-forward block.
    pub inner: usize,
    pub eps: f64,
    /// The encoder it runs on, as named to `fit` (`--encoder`); absent: the
    /// default encoder. Its fingerprint must equal [`HeadMeta::encoder`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder_spec: Option<String>,
    /// Arithmetic of the encoder layers below it, as in training.
    pub precision: Precision,
}

/// A tuned top layer and the encoder beneath it (loaded on first use).
pub struct TopRunner {
    pub layer: TopLayer,
    spec: TopMeta,
    encoder_fingerprint: String,
    encoder: OnceLock<std::result::Result<SentenceEncoder, String>>,
}

impl std::fmt::Debug for TopRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopRunner")
            .field("layer", &self.spec.layer)
            .field("encoder", &self.spec.encoder_spec)
            .finish()
    }
}

/// Texts per call of the encoder beneath a tuned layer (bounds the token
/// states held at once).
const TOP_CHUNK: usize = 1024;

impl TopRunner {
    fn new(layer: TopLayer, spec: TopMeta, encoder_fingerprint: &str) -> Self {
        TopRunner {
            layer,
            spec,
            encoder_fingerprint: encoder_fingerprint.to_string(),
            encoder: OnceLock::new(),
        }
    }

    fn encoder(&self) -> Result<&SentenceEncoder> {
        let got = self.encoder.get_or_init(|| {
            let opts = LoadOptions {
                precision: self.spec.precision,
                ..LoadOptions::default()
            };
            crate::model::load_encoder(self.spec.encoder_spec.as_deref(), &opts)
                .map_err(|e| e.to_string())
                .and_then(|enc| {
                    if crate::embed::Embedder::space(&enc) == self.encoder_fingerprint {
                        Ok(enc)
                    } else {
                        Err(format!(
                            "the tuned head was trained on encoder {}, but {} is {}",
                            self.encoder_fingerprint,
                            enc.dir().display(),
                            crate::embed::Embedder::space(&enc)
                        ))
                    }
                })
        });
        got.as_ref().map_err(|e| Error::Config(e.clone()))
    }

    /// Sentence vectors of `texts` through the encoder's layers below the
    /// tuned one and the tuned layer.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let enc = self.encoder()?;
        let mut out = Vec::with_capacity(texts.len());
        for c in texts.chunks(TOP_CHUNK) {
            out.extend(top_embed(&self.layer, &enc.top_states(c)?)?);
        }
        Ok(out)
    }
}

/// A loaded head: metadata + weights.
#[derive(Debug, Clone)]
pub struct TrainedHead {
    pub meta: HeadMeta,
    pub weights: DenseHead,
    /// The tuned top layer, when [`HeadMeta::top`] is set.
    pub top: Option<Arc<TopRunner>>,
    fingerprint: String,
}

impl TrainedHead {
    pub fn new(meta: HeadMeta, weights: DenseHead) -> Result<Self> {
        weights.check()?;
        let mut h = TrainedHead {
            meta,
            weights,
            top: None,
            fingerprint: String::new(),
        };
        h.validate(Path::new("<memory>"))?;
        let (json, st) = h.to_bytes()?;
        h.fingerprint = fingerprint_of(h.meta.kind, &json, &st);
        Ok(h)
    }

    /// Attach a tuned top layer (rounded to f16, as it is stored); `spec`
    /// names the encoder beneath it.
    pub fn with_top(
        mut self,
        mut layer: TopLayer,
        encoder_spec: Option<String>,
        precision: Precision,
    ) -> Result<Self> {
        layer.check()?;
        layer.round_to_f16()?;
        let spec = TopMeta {
            layer: layer.layer,
            heads: layer.heads,
            inner: layer.inner,
            eps: layer.eps,
            encoder_spec,
            precision,
        };
        self.meta.top = Some(spec.clone());
        self.top = Some(Arc::new(TopRunner::new(layer, spec, &self.meta.encoder)));
        let (json, st) = self.to_bytes()?;
        self.fingerprint = fingerprint_of(self.meta.kind, &json, &st);
        Ok(self)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let m = &self.meta;
        let bad = |msg: String| Err(Error::model(path, msg));
        if m.format != FORMAT {
            return bad(format!("format {:?}, expected {FORMAT:?}", m.format));
        }
        if m.labels.len() != self.weights.n_labels {
            return bad(format!(
                "{} labels but the head has {} outputs",
                m.labels.len(),
                self.weights.n_labels
            ));
        }
        if m.mode == LabelMode::MultiLabel && m.thresholds.len() != m.labels.len() {
            return bad(format!(
                "{} thresholds for {} labels",
                m.thresholds.len(),
                m.labels.len()
            ));
        }
        if m.dim != self.weights.dim || m.hidden != self.weights.hidden {
            return bad("head.json sizes disagree with the weights".into());
        }
        if let Some(g) = &m.groups {
            if g.len() != m.labels.len() {
                return bad("one group per label expected".into());
            }
        }
        Ok(())
    }

    /// Serialise: (`head.json`, `head.safetensors`) bytes. Deterministic.
    pub fn to_bytes(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut json = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| Error::Other(format!("head.json: {e}")))?;
        json.push(b'\n');
        let w = &self.weights;
        let mut tensors: Vec<(&str, Vec<usize>, &[f32])> = vec![
            ("w2", vec![w.n_labels, w.inner()], &w.w2),
            ("b2", vec![w.n_labels], &w.b2),
        ];
        if w.hidden > 0 {
            tensors.push(("w1", vec![w.hidden, w.dim], &w.w1));
            tensors.push(("b1", vec![w.hidden], &w.b1));
        }
        let mut bytes: Vec<(String, Vec<usize>, Vec<u8>, safetensors::Dtype)> = tensors
            .into_iter()
            .map(|(n, s, v)| {
                (
                    n.to_string(),
                    s,
                    v.iter().flat_map(|f| f.to_le_bytes()).collect(),
                    safetensors::Dtype::F32,
                )
            })
            .collect();
        if let Some(top) = &self.top {
            for (i, (v, s)) in top.layer.tensors.iter().zip(top.layer.shapes()).enumerate() {
                bytes.push((
                    format!("top.{}", TOP_TENSORS[i]),
                    s,
                    v.iter()
                        .flat_map(|f| crate::util::f16_bits(*f).to_le_bytes())
                        .collect(),
                    safetensors::Dtype::F16,
                ));
            }
        }
        let views = bytes
            .iter()
            .map(|(n, s, b, d)| {
                safetensors::tensor::TensorView::new(*d, s.clone(), b)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| Error::Tensor {
                        name: n.clone(),
                        msg: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let st = safetensors::serialize(views, None).map_err(|e| Error::Tensor {
            name: "head.safetensors".into(),
            msg: e.to_string(),
        })?;
        Ok((json, st))
    }

    /// Write `head.json`, `head.safetensors` and `labels.json` into `dir` (atomically each).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let (json, st) = self.to_bytes()?;
        let mut labels = serde_json::to_vec_pretty(&self.meta.labels)
            .map_err(|e| Error::Other(e.to_string()))?;
        labels.push(b'\n');
        crate::util::write_atomic(&dir.join("head.safetensors"), &st)?;
        crate::util::write_atomic(&dir.join("labels.json"), &labels)?;
        crate::util::write_atomic(&dir.join("head.json"), &json)?;
        Ok(())
    }

    /// Load a head directory written by [`TrainedHead::save`].
    pub fn load(dir: &Path) -> Result<Self> {
        let jp = dir.join("head.json");
        let json = std::fs::read(&jp).map_err(|e| Error::io(&jp, e))?;
        let sp = dir.join("head.safetensors");
        let st = std::fs::read(&sp).map_err(|e| Error::io(&sp, e))?;
        Self::from_bytes(&json, &st, dir)
    }

    /// Parse the two files' bytes; `dir` is used in errors.
    pub fn from_bytes(json: &[u8], st: &[u8], dir: &Path) -> Result<Self> {
        let jp = dir.join("head.json");
        let sp = dir.join("head.safetensors");
        let meta: HeadMeta =
            serde_json::from_slice(json).map_err(|e| Error::model(&jp, e.to_string()))?;
        let tensors = safetensors::SafeTensors::deserialize(st)
            .map_err(|e| Error::model(&sp, e.to_string()))?;
        let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
            let t = tensors
                .tensor(name)
                .map_err(|e| Error::model(&sp, format!("tensor {name}: {e}")))?;
            if t.dtype() != safetensors::Dtype::F32 || t.shape() != shape {
                return Err(Error::model(
                    &sp,
                    format!(
                        "tensor {name}: {:?} {:?}, expected F32 {shape:?}",
                        t.dtype(),
                        t.shape()
                    ),
                ));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect())
        };
        let l = meta.labels.len();
        let inner = if meta.hidden == 0 {
            meta.dim
        } else {
            meta.hidden
        };
        let (w1, b1) = if meta.hidden > 0 {
            (
                read("w1", &[meta.hidden, meta.dim])?,
                read("b1", &[meta.hidden])?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let weights = DenseHead {
            dim: meta.dim,
            hidden: meta.hidden,
            n_labels: l,
            w1,
            b1,
            w2: read("w2", &[l, inner])?,
            b2: read("b2", &[l])?,
        };
        let top = match &meta.top {
            Some(spec) => {
                let mut layer = TopLayer {
                    layer: spec.layer,
                    hidden: meta.dim,
                    heads: spec.heads,
                    inner: spec.inner,
                    eps: spec.eps,
                    tensors: Vec::new(),
                };
                for (name, shape) in TOP_TENSORS.iter().zip(layer.shapes()) {
                    let name = format!("top.{name}");
                    let t = tensors
                        .tensor(&name)
                        .map_err(|e| Error::model(&sp, format!("tensor {name}: {e}")))?;
                    if t.dtype() != safetensors::Dtype::F16 || t.shape() != shape.as_slice() {
                        return Err(Error::model(
                            &sp,
                            format!(
                                "tensor {name}: {:?} {:?}, expected F16 {shape:?}",
                                t.dtype(),
                                t.shape()
                            ),
                        ));
                    }
                    layer.tensors.push(
                        t.data()
                            .chunks_exact(2)
                            .map(|c| crate::util::f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                            .collect(),
                    );
                }
                layer
                    .check()
                    .map_err(|e| Error::model(&sp, e.to_string()))?;
                Some(Arc::new(TopRunner::new(layer, spec.clone(), &meta.encoder)))
            }
            None => None,
        };
        let h = TrainedHead {
            fingerprint: fingerprint_of(meta.kind, json, st),
            meta,
            weights,
            top,
        };
        h.validate(dir)?;
        Ok(h)
    }

    /// Predictions from rows of this head's probabilities (`labels().len()`
    /// per row): its thresholds and `min_one` decide the labels, every
    /// score is kept. Used by `predict` and for `fit --oof`'s out-of-fold rows.
    pub fn predictions_from(&self, probs: &[f32]) -> Vec<FacetPrediction> {
        let l = self.meta.labels.len().max(1);
        probs
            .chunks_exact(l)
            .map(|row| FacetPrediction {
                labels: decide(
                    self.meta.mode,
                    row,
                    &self.meta.thresholds,
                    self.meta.min_one,
                )
                .into_iter()
                .map(|i| self.meta.labels[i].clone())
                .collect(),
                scores: row.to_vec(),
            })
            .collect()
    }

    /// Calibrated probabilities, row-major `n x labels`, computed
    /// [`HEAD_BLOCK`] rows at a time: the input matrix and the hidden layer
    /// exist for one block only, whatever `n` (the shipped motivation head's
    /// 2,560 hidden units took 0.5 GB for 50,000 rows at once), and each
    /// row's result does not depend on the rows around it (tested).
    pub fn probabilities(&self, embeddings: &[Vec<f32>]) -> Result<Vec<f32>> {
        let dim = self.meta.dim;
        let mut z = head_logits_blocked(&self.weights, embeddings.len(), HEAD_BLOCK, |a, b, x| {
            for (i, e) in embeddings[a..b].iter().enumerate() {
                if e.len() != dim {
                    return Err(Error::Tensor {
                        name: format!("embedding {}", a + i),
                        msg: format!("dim {}, the head expects {dim}", e.len()),
                    });
                }
                x.extend_from_slice(e);
            }
            Ok(())
        })?;
        probs_in_place(&mut z, self.meta.labels.len(), self.meta.mode);
        Ok(z)
    }
}

/// Rows per forward pass of a trained head (see [`TrainedHead::probabilities`]).
pub const HEAD_BLOCK: usize = 1024;

/// Turn logits into probabilities: softmax per row (single-label) or sigmoid.
pub fn probs_in_place(z: &mut [f32], n_labels: usize, mode: LabelMode) {
    match mode {
        LabelMode::MultiLabel => z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        LabelMode::SingleLabel => {
            for row in z.chunks_mut(n_labels.max(1)) {
                let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let mut s = 0.0;
                for v in row.iter_mut() {
                    *v = (*v - m).exp();
                    s += *v;
                }
                row.iter_mut().for_each(|v| *v /= s);
            }
        }
    }
}

fn fingerprint_of(kind: HeadKind, json: &[u8], st: &[u8]) -> String {
    let mut all = json.to_vec();
    all.extend_from_slice(st);
    format!("{}:{}", kind.as_str(), &crate::util::sha256_hex(&all)[..16])
}

impl FacetClassifier for TrainedHead {
    fn facet(&self) -> &str {
        &self.meta.facet
    }
    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
    fn labels(&self) -> &[String] {
        &self.meta.labels
    }
    fn mode(&self) -> LabelMode {
        self.meta.mode
    }
    fn layers(&self) -> &[usize] {
        &self.meta.layers
    }
    fn predict(&self, embeddings: &[Vec<f32>], texts: &[&str]) -> Result<Vec<FacetPrediction>> {
        let tuned;
        let embeddings = match &self.top {
            Some(top) => {
                tuned = top.embed(texts)?;
                &tuned
            }
            None => embeddings,
        };
        let p = self.probabilities(embeddings)?;
        let mut preds = self.predictions_from(&p);
        preds.truncate(embeddings.len());
        Ok(preds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression guard for the blocked forward pass: with every shipped
    /// head, a row gets the same bits wherever it falls (another place in
    /// another block, or with two other rows only), so facet scores never
    /// depend on corpus size, chunking or a split across machines. (In one
    /// pass over all rows they did: 0.4% of the emotion head's values moved
    /// by up to 1.6e-7 between 3,109 rows and 3 rows.)
    #[test]
    fn trained_head_rows_do_not_depend_on_their_batch() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        for name in ["emotion", "motivation", "topic-banking77"] {
            let h = TrainedHead::load(&models.join(name)).unwrap();
            let dim = h.meta.dim;
            let n = 3 * HEAD_BLOCK + 37;
            let mut s = 12_345u32;
            let rows: Vec<Vec<f32>> = (0..n)
                .map(|_| {
                    (0..dim)
                        .map(|_| {
                            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                        })
                        .collect()
                })
                .collect();
            let blocked = h.probabilities(&rows).unwrap();
            // The same rows one position later, after another row: each lands
            // at another place of another block.
            let mut shifted = vec![rows[n - 1].clone()];
            shifted.extend(rows.iter().cloned());
            let later = h.probabilities(&shifted).unwrap();
            let l = h.meta.labels.len();
            let same = blocked
                .iter()
                .zip(&later[l..])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{name}: a row's probabilities depend on its place");
            // A few rows alone give the same bits too.
            let alone = h.probabilities(&rows[5..8]).unwrap();
            assert_eq!(alone, blocked[5 * l..8 * l], "{name}");
        }
    }
}
