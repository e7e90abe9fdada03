//! Classify: facet classifiers (emotion, motivation, topic) behind one interface.
//!
//! Why: a "why" insight rests on what customers feel, what they want and what
//! it is about. The three kinds of classifier (zero-shot from a taxonomy, a
//! trained head on the frozen encoder, a fine-tuned sequence-classification
//! checkpoint) all return calibrated per-label scores through
//! [`FacetClassifier`], so the pipeline and `eval` never care which one runs.

use crate::error::Result;
use serde::{Deserialize, Serialize};

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
    /// Predict for a batch; `embeddings[i]` is the encoder embedding of `texts[i]`.
    fn predict(&self, embeddings: &[Vec<f32>], texts: &[&str]) -> Result<Vec<FacetPrediction>>;
}
