//! The tokenizer, configured the way sentence-transformers runs it.
//!
//! Why: a checkpoint's own `tokenizer.json` often pads every input to a fixed
//! length and truncates at 128 (all-MiniLM-L6-v2 does); sentence-transformers
//! ignores that, truncates at `max_seq_length` and pads only to the longest
//! text of a batch. We override both settings, encode without padding, and
//! pad per batch ourselves (see [`super::batching`]).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

pub struct TextTokenizer {
    tok: Tokenizer,
    path: PathBuf,
    max_len: usize,
    lowercase: bool,
}

impl TextTokenizer {
    /// Load `tokenizer.json`; truncate at `max_len` tokens (special tokens included).
    pub fn load(path: &Path, max_len: usize, lowercase: bool) -> Result<Self> {
        if !path.exists() {
            return Err(Error::model(path, "tokenizer.json is missing"));
        }
        let mut tok = Tokenizer::from_file(path)
            .map_err(|e| Error::model(path, format!("cannot load tokenizer: {e}")))?;
        tok.with_padding(None);
        tok.with_truncation(Some(TruncationParams {
            direction: TruncationDirection::Right,
            max_length: max_len,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
        }))
        .map_err(|e| Error::model(path, format!("cannot set truncation: {e}")))?;
        Ok(Self {
            tok,
            path: path.to_path_buf(),
            max_len,
            lowercase,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.tok.get_vocab_size(true)
    }

    /// Largest token id the tokenizer can emit.
    pub fn max_token_id(&self) -> Option<u32> {
        self.tok.get_vocab(true).values().copied().max()
    }

    /// Token ids of each text, with special tokens, truncated, unpadded.
    /// Runs on the current rayon pool.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let inputs: Vec<String> = texts
            .iter()
            .map(|t| {
                if self.lowercase {
                    t.to_lowercase()
                } else {
                    t.to_string()
                }
            })
            .collect();
        let enc = self
            .tok
            .encode_batch(inputs, true)
            .map_err(|e| Error::model(&self.path, format!("tokenization failed: {e}")))?;
        Ok(enc.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }
}
