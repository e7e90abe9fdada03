//! A fine-tuned sequence-classification checkpoint (BERT, DistilBERT,
//! RoBERTa `*ForSequenceClassification`) as a facet classifier.
//!
//! Why: a fully fine-tuned model beats a head on frozen embeddings; this
//! lets one be dropped in (`--model DIR`) without the pipeline noticing. It
//! runs its own encoder on the texts and ignores the shared embeddings.

use super::{decide, FacetClassifier, FacetPrediction, LabelMode};
use crate::error::Result;
use crate::model::SeqClassifier;
use std::path::Path;

/// A checkpoint behind [`FacetClassifier`]. Multi-label checkpoints use a
/// threshold of 0.5 per label (the `problem_type` convention).
pub struct CheckpointClassifier {
    facet: String,
    inner: SeqClassifier,
    thresholds: Vec<f32>,
}

impl CheckpointClassifier {
    pub fn load(facet: &str, dir: &Path) -> Result<Self> {
        let inner = SeqClassifier::load(dir)?;
        let thresholds = vec![0.5; inner.labels().len()];
        Ok(CheckpointClassifier {
            facet: facet.to_string(),
            inner,
            thresholds,
        })
    }
}

impl FacetClassifier for CheckpointClassifier {
    fn facet(&self) -> &str {
        &self.facet
    }
    fn fingerprint(&self) -> String {
        format!("checkpoint:{}", self.inner.fingerprint())
    }
    fn labels(&self) -> &[String] {
        self.inner.labels()
    }
    fn mode(&self) -> LabelMode {
        if self.inner.multi_label() {
            LabelMode::MultiLabel
        } else {
            LabelMode::SingleLabel
        }
    }
    fn predict(&self, _embeddings: &[Vec<f32>], texts: &[&str]) -> Result<Vec<FacetPrediction>> {
        let mode = self.mode();
        Ok(self
            .inner
            .predict_proba(texts)?
            .into_iter()
            .map(|scores| FacetPrediction {
                labels: decide(mode, &scores, &self.thresholds, false)
                    .into_iter()
                    .map(|i| self.inner.labels()[i].clone())
                    .collect(),
                scores,
            })
            .collect())
    }
}
