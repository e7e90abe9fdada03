//! Classify: facet classifiers (emotion, motivation, topic) behind one interface.
//!
//! Why: a "why" insight rests on what customers feel, what they want and what
//! it is about. The three kinds of classifier (zero-shot from a taxonomy, a
//! trained head on the frozen encoder, a fine-tuned sequence-classification
//! checkpoint) all return calibrated per-label scores through
//! [`FacetClassifier`], so the pipeline and `eval` never care which one runs.

pub mod cache;
pub mod checkpoint;
pub mod fit;
pub mod head;
pub mod taxonomy;
pub mod zero_shot;

use crate::embed::Embedder;
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use cache::FacetCache;
pub use head::{HeadKind, TrainedHead};
pub use taxonomy::{Taxonomy, TaxonomyLabel};

/// Whether a facet's labels are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelMode {
    /// Softmax over labels; exactly one predicted label.
    SingleLabel,
    /// Independent per-label scores with per-label thresholds; zero or more labels.
    MultiLabel,
}

/// One text's prediction for one facet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetPrediction {
    /// Predicted labels, highest score first.
    pub labels: Vec<String>,
    /// Calibrated score per label, aligned with [`FacetClassifier::labels`].
    pub scores: Vec<f32>,
}

/// A facet classifier. Takes the shared segment embeddings (computed once for
/// all facets) and the texts (for checkpoints that run their own encoder).
pub trait FacetClassifier: Send + Sync {
    /// Facet name: `emotion`, `motivation`, `topic`, or a user's own.
    fn facet(&self) -> &str;
    /// Stable identifier of this classifier (kind + weights hash) for run.json.
    fn fingerprint(&self) -> String;
    fn labels(&self) -> &[String];
    fn mode(&self) -> LabelMode;
    /// Encoder layers whose pooled hidden states this classifier reads after
    /// the embedding (see [`Embedder::embed_layers`]); empty: the embedding.
    fn layers(&self) -> &[usize] {
        &[]
    }
    /// Predict for a batch; `embeddings[i]` is the encoder embedding of
    /// `texts[i]`, followed by the layer features of [`Self::layers`].
    fn predict(&self, embeddings: &[Vec<f32>], texts: &[&str]) -> Result<Vec<FacetPrediction>>;
}

/// Labels chosen from one row of probabilities: the top label (single-label),
/// or every label at or above its threshold, highest first; with `min_one`,
/// the top label when none passes.
pub fn decide(mode: LabelMode, probs: &[f32], thresholds: &[f32], min_one: bool) -> Vec<usize> {
    let top = || {
        probs
            .iter()
            .enumerate()
            .fold(None::<(usize, f32)>, |b, (i, &p)| match b {
                Some((_, bp)) if bp >= p => b,
                _ => Some((i, p)),
            })
            .map(|(i, _)| i)
    };
    match mode {
        LabelMode::SingleLabel => top().into_iter().collect(),
        LabelMode::MultiLabel => {
            let mut v: Vec<usize> = (0..probs.len())
                .filter(|&i| probs[i] >= thresholds.get(i).copied().unwrap_or(0.5))
                .collect();
            v.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
            if v.is_empty() && min_one {
                v.extend(top());
            }
            v
        }
    }
}

/// Embed texts in batches of `batch`, calling `progress(done)` after each
/// (through [`Embedder::embed_chunked`]: a cache is searched once, not once per batch).
pub fn embed_all(
    embedder: &dyn Embedder,
    texts: &[&str],
    batch: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<f32>>> {
    embedder.embed_chunked(texts, batch, progress)
}

/// Every encoder layer the classifiers read (see [`FacetClassifier::layers`]),
/// in first-seen order: compute these once, then cut each classifier's input
/// out with [`select_layers`].
pub fn layers_needed<'a>(facets: impl IntoIterator<Item = &'a dyn FacetClassifier>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for f in facets {
        for &l in f.layers() {
            if !out.contains(&l) {
                out.push(l);
            }
        }
    }
    out
}

/// One classifier's input from vectors computed with layers `have` (the
/// embedding, `dim` values, then `dim` per layer): the embedding followed by
/// the layers of `want`, in `want`'s order. Borrowed when nothing is cut.
pub fn select_layers<'a>(
    x: &'a [Vec<f32>],
    dim: usize,
    have: &[usize],
    want: &[usize],
) -> Result<std::borrow::Cow<'a, [Vec<f32>]>> {
    if have == want {
        return Ok(std::borrow::Cow::Borrowed(x));
    }
    let pos = want
        .iter()
        .map(|l| {
            have.iter()
                .position(|h| h == l)
                .ok_or_else(|| Error::Config(format!("layer {l} was not computed (have {have:?})")))
        })
        .collect::<Result<Vec<_>>>()?;
    x.iter()
        .enumerate()
        .map(|(i, v)| {
            if v.len() != dim * (1 + have.len()) {
                return Err(Error::Tensor {
                    name: format!("embedding {i}"),
                    msg: format!("{} values, expected {}", v.len(), dim * (1 + have.len())),
                });
            }
            let mut o = Vec::with_capacity(dim * (1 + want.len()));
            o.extend_from_slice(&v[..dim]);
            for &p in &pos {
                o.extend_from_slice(&v[dim * (1 + p)..dim * (2 + p)]);
            }
            Ok(o)
        })
        .collect::<Result<Vec<_>>>()
        .map(std::borrow::Cow::Owned)
}

/// Which classifier serves one facet in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacetSpec {
    /// Facet name (`emotion`, `motivation`, `topic`, or your own).
    pub facet: String,
    /// None: the shipped default (trained heads for emotion and motivation,
    /// zero-shot from `prompts/topic.toml` for topic). Otherwise a head
    /// directory (`head.json`), a sequence-classification checkpoint
    /// directory (`config.json`), or a taxonomy file (`.toml`/`.json`,
    /// zero-shot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// The facets of a run, in output order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacetsConfig {
    pub facets: Vec<FacetSpec>,
}

impl Default for FacetsConfig {
    fn default() -> Self {
        FacetsConfig {
            facets: ["emotion", "motivation", "topic"]
                .iter()
                .map(|f| FacetSpec {
                    facet: f.to_string(),
                    model: None,
                })
                .collect(),
        }
    }
}

/// Where shipped heads live: `$WHYLINE_MODELS`, else `./models`, else the
/// source tree's `models/`.
pub fn shipped_model_dir(facet: &str) -> PathBuf {
    if let Some(d) = std::env::var_os("WHYLINE_MODELS") {
        return PathBuf::from(d).join(facet);
    }
    let local = Path::new("models").join(facet);
    if local.join("head.json").is_file() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(facet)
}

/// Load the classifiers of a run. Each head is checked against the encoder
/// fingerprint; zero-shot prototypes are embedded with `embedder`.
pub fn load_facets(
    embedder: &dyn Embedder,
    cfg: &FacetsConfig,
) -> Result<Vec<Box<dyn FacetClassifier>>> {
    cfg.facets
        .iter()
        .map(|s| load_classifier(embedder, &s.facet, s.model.as_deref()))
        .collect()
}

/// Load one classifier for `facet` from a spec (see [`FacetSpec::model`]).
pub fn load_classifier(
    embedder: &dyn Embedder,
    facet: &str,
    model: Option<&str>,
) -> Result<Box<dyn FacetClassifier>> {
    let zero_shot = |tax: Taxonomy| -> Result<Box<dyn FacetClassifier>> {
        let protos = zero_shot::prototypes(embedder, &tax)?;
        let h = zero_shot::zero_shot_head(
            &protos,
            &tax,
            embedder.fingerprint(),
            tax.temperature,
            zero_shot::DEFAULT_BIAS,
            None,
            serde_json::Value::Null,
        )?;
        Ok(Box::new(h))
    };
    let path = match model {
        None if facet == "topic" => return zero_shot(Taxonomy::builtin("topic")?),
        None if facet == "emotion" || facet == "motivation" => shipped_model_dir(facet),
        None => {
            return Err(Error::Config(format!(
                "facet {facet:?} has no shipped model: give a head directory or taxonomy file"
            )))
        }
        Some(m) => PathBuf::from(m),
    };
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if path.is_file() && (lower.ends_with(".toml") || lower.ends_with(".json")) {
        let mut tax = Taxonomy::load(&path)?;
        tax.facet = facet.to_string();
        return zero_shot(tax);
    }
    if path.join("head.json").is_file() {
        let h = TrainedHead::load(&path)?;
        if h.meta.encoder != embedder.space() {
            return Err(Error::model(
                path.join("head.json"),
                format!(
                    "trained on embeddings of encoder {}, but the encoder in use is {}",
                    h.meta.encoder,
                    embedder.space()
                ),
            ));
        }
        return Ok(Box::new(h));
    }
    if path.join("config.json").is_file() {
        return Ok(Box::new(checkpoint::CheckpointClassifier::load(
            facet, &path,
        )?));
    }
    Err(Error::model(
        &path,
        "not a head directory (head.json), checkpoint directory (config.json) or taxonomy file",
    ))
}

/// Run every facet on the shared vectors, facets in parallel; output in
/// facet order. `x` holds each text's embedding (`dim` values) followed by
/// the pooled hidden states of `layers` (see [`layers_needed`]).
pub fn predict_all(
    facets: &[Box<dyn FacetClassifier>],
    x: &[Vec<f32>],
    dim: usize,
    layers: &[usize],
    texts: &[&str],
) -> Result<Vec<Vec<FacetPrediction>>> {
    facets
        .par_iter()
        .map(|f| f.predict(&select_layers(x, dim, layers, f.layers())?, texts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decide_single_multi_and_min_one() {
        let p = [0.2, 0.7, 0.6];
        assert_eq!(decide(LabelMode::SingleLabel, &p, &[], false), vec![1]);
        assert_eq!(
            decide(LabelMode::MultiLabel, &p, &[0.5, 0.5, 0.5], false),
            vec![1, 2]
        );
        assert_eq!(
            decide(LabelMode::MultiLabel, &p, &[0.1, 0.9, 0.9], false),
            vec![0]
        );
        assert!(decide(LabelMode::MultiLabel, &p, &[0.9; 3], false).is_empty());
        assert_eq!(decide(LabelMode::MultiLabel, &p, &[0.9; 3], true), vec![1]);
    }

    #[test]
    fn select_layers_cuts_each_classifiers_input() {
        // dim 2; computed with layers [5, 4]
        let x = vec![vec![1.0, 2.0, 5.0, 5.5, 4.0, 4.5]];
        let all = select_layers(&x, 2, &[5, 4], &[5, 4]).unwrap();
        assert!(matches!(all, std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            select_layers(&x, 2, &[5, 4], &[]).unwrap()[0],
            vec![1.0, 2.0]
        );
        assert_eq!(
            select_layers(&x, 2, &[5, 4], &[4]).unwrap()[0],
            vec![1.0, 2.0, 4.0, 4.5]
        );
        assert_eq!(
            select_layers(&x, 2, &[5, 4], &[4, 5]).unwrap()[0],
            vec![1.0, 2.0, 4.0, 4.5, 5.0, 5.5]
        );
        assert!(select_layers(&x, 2, &[5, 4], &[3]).is_err());
        assert!(select_layers(&[vec![1.0]], 2, &[5], &[]).is_err());
    }

    #[test]
    fn thresholds_maximise_per_label_f1() {
        // label 0: positives at .8,.6; negative at .7 and .3 -> best t=0.6? at t<=.6: tp2 fp1 F1 .8
        // at t in (.7,.8]: tp1 fp0 fn1 F1 2/3 -> choose 0.6 bucket (k=0.6)
        let probs = [0.8, 0.6, 0.7, 0.3];
        let gold = vec![vec![0], vec![0], vec![], vec![]];
        let t = fit::tune_thresholds(&probs, &gold, 1);
        assert!(t[0] > 0.3 && t[0] <= 0.6, "{t:?}");
    }
}
