//! whyline: turns what customers say into ranked answers to *why* they behave
//! as they do.
//!
//! The library owns all logic; `src/main.rs` is a thin CLI over it. One module
//! per pipeline stage, with plain serialisable types between stages so that any
//! stage can be cached, resumed or tested alone:
//!
//! ```text
//! ingest -> segment -> embed (model) -> classify (facets) -> cluster -> insight -> report
//!                                                 \-> eval (labelled sets)
//! ```
//!
//! Only [`model`] names candle, tokenizers or hf-hub types.

pub mod classify;
pub mod cluster;
pub mod config;
pub mod embed;
pub mod error;
pub mod eval;
pub mod exit;
pub mod ingest;
pub mod insight;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod segment;
pub mod util;

pub use error::{Error, Location, Result};

/// The crate version, as recorded in `run.json` and model cards.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
