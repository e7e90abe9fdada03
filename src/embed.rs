//! Embed: the sentence-embedding interface every later stage uses, and the
//! on-disk embedding cache.
//!
//! Why: classification, clustering and evaluation all consume embeddings; they
//! depend on this trait, not on candle, so they can be unit-tested with a
//! deterministic fake and so a researcher can swap the encoder without touching
//! them. The real implementation lives in [`crate::model`].

use crate::error::Result;

/// Something that turns texts into L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Stable fingerprint of the model (weights + tokenizer + pooling + max length):
    /// two embedders with the same fingerprint give the same vectors.
    fn fingerprint(&self) -> &str;
    /// Embedding dimension.
    fn dim(&self) -> usize;
    /// Embed texts; output is in input order, one vector of `dim()` per text.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}
