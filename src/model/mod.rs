//! Model: local transformer models through candle (the only module that names
//! candle, tokenizers or hf-hub types).
//!
//! Why: everything whyline concludes rests on the numbers these models
//! produce, so they run in-process (no Python, no cloud), match the reference
//! implementations (see `tests/model_parity.rs`), and refuse a bad checkpoint
//! with an error that names the file instead of panicking.
//!
//! - [`load_encoder`] resolves a model spec (path, manifest id, or the default)
//!   to a directory (see [`store`]) and loads a [`SentenceEncoder`].
//! - The sentence encoder runs on [`Backend::Fast`] (a packed fp32 encoder on
//!   `gemm`, see `fast.rs`) unless `WHYLINE_ENCODER=candle` picks candle's graph.
//! - [`SeqClassifier`] runs `*ForSequenceClassification` checkpoints.

mod batching;
mod bert;
mod body;
pub mod config;
mod distilbert;
mod encoder;
mod fast;
mod qgemm;
mod seqcls;
mod simd;
pub mod store;
mod tokenize;
pub mod train;
pub mod tune;
mod weights;

pub use encoder::{Backend, LazyEncoder, Pooling, SentenceEncoder};
pub use fast::{matmul_abt, sgemm};
pub use qgemm::{qgemm, QActs, QWeights};
pub use seqcls::SeqClassifier;
pub use store::{Manifest, ModelStore};

use crate::error::Result;

/// The encoder used when none is named.
pub const DEFAULT_ENCODER: &str = "all-MiniLM-L6-v2";

/// How to find and run a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Texts per forward pass (sentence-transformers' default is 32).
    pub batch_size: usize,
    /// Override the model's `max_seq_length`.
    pub max_seq_length: Option<usize>,
    /// No progress bars.
    pub quiet: bool,
    /// Never touch the network (also set by `HF_HUB_OFFLINE=1`).
    pub offline: bool,
    /// Model cache root; default `$WHYLINE_HOME` or `<XDG cache>/whyline`.
    pub home: Option<std::path::PathBuf>,
    /// Arithmetic of the sentence encoder's dense layers.
    pub precision: Precision,
}

/// Arithmetic of the sentence encoder's dense layers (`--precision`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats: agrees with sentence-transformers to ~1e-7.
    #[default]
    F32,
    /// 8-bit integer products (weights per output column, activations per
    /// token); its own embedding-cache entries, since its vectors differ
    /// slightly from f32's (see README, "Precision").
    Int8,
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::Int8 => "int8",
        })
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_seq_length: None,
            quiet: true,
            offline: false,
            home: None,
            precision: Precision::F32,
        }
    }
}

/// Load a sentence encoder. `spec`: `None` for the default model (pulled into
/// the cache on first use), a directory path, or a manifest id / Hub repo id.
pub fn load_encoder(spec: Option<&str>, opts: &LoadOptions) -> Result<SentenceEncoder> {
    let store = ModelStore::open(opts)?;
    let dir = store.resolve(spec.unwrap_or(DEFAULT_ENCODER))?;
    SentenceEncoder::load_dir(&dir, opts)
}

/// As [`load_encoder`], but the weights load only when a text must be embedded
/// (put a [`crate::embed::CachedEmbedder`] in front of it).
pub fn open_encoder_lazy(spec: Option<&str>, opts: &LoadOptions) -> Result<LazyEncoder> {
    let store = ModelStore::open(opts)?;
    let dir = store.resolve(spec.unwrap_or(DEFAULT_ENCODER))?;
    LazyEncoder::open(&dir, opts)
}
