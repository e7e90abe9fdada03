//! Sentence encoder: body + pooling + L2 normalisation, as sentence-transformers
//! computes it (`Transformer` -> `Pooling` -> `Normalize`).

use super::batching::plan;
use super::body::Body;
use super::tokenize::TextTokenizer;
use super::weights::tensor_err;
use super::LoadOptions;
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::util::sha256_hex;
use candle_core::{DType, Tensor, D};
use rayon::prelude::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How token vectors become one sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    Mean,
    Cls,
    Max,
    MeanSqrtLen,
}

#[derive(Deserialize)]
struct PoolingJson {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

#[derive(Deserialize)]
struct SbertJson {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

#[derive(Deserialize)]
struct ModuleJson {
    #[serde(default)]
    path: String,
    #[serde(rename = "type", default)]
    kind: String,
}

impl Pooling {
    /// Read the pooling module's config; mean pooling if the directory has none
    /// (the sentence-transformers default for a plain transformers checkpoint).
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let mut pool_dir = dir.join("1_Pooling");
        let modules = dir.join("modules.json");
        if modules.exists() {
            let text = std::fs::read_to_string(&modules).map_err(|e| Error::io(&modules, e))?;
            let mods: Vec<ModuleJson> = serde_json::from_str(&text)
                .map_err(|e| Error::model(&modules, format!("invalid modules.json: {e}")))?;
            if let Some(m) = mods.iter().find(|m| m.kind.ends_with(".Pooling")) {
                pool_dir = dir.join(&m.path);
            }
        }
        let p = pool_dir.join("config.json");
        if !p.exists() {
            return Ok(Pooling::Mean);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let j: PoolingJson = serde_json::from_str(&text)
            .map_err(|e| Error::model(&p, format!("invalid pooling config: {e}")))?;
        let modes = [
            (j.pooling_mode_mean_tokens, Pooling::Mean),
            (j.pooling_mode_cls_token, Pooling::Cls),
            (j.pooling_mode_max_tokens, Pooling::Max),
            (j.pooling_mode_mean_sqrt_len_tokens, Pooling::MeanSqrtLen),
        ];
        let on: Vec<Pooling> = modes.iter().filter(|m| m.0).map(|m| m.1).collect();
        match on.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::model(&p, "no pooling mode is enabled")),
            _ => Err(Error::model(
                &p,
                "several pooling modes at once (concatenated vectors) are not supported",
            )),
        }
    }

    /// `[b, s, h]` hidden states and `[b, s]` mask -> `[b, h]`.
    fn apply(&self, hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1),
            Pooling::Max => {
                let m = mask.unsqueeze(2)?;
                // padded positions get -1e9, as sentence-transformers does
                let neg = ((m.clone() - 1.0)? * 1e9)?;
                hidden.broadcast_mul(&m)?.broadcast_add(&neg)?.max(1)
            }
            Pooling::Mean | Pooling::MeanSqrtLen => {
                let m = mask.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                let count = mask.sum_keepdim(1)?.clamp(1e-9, f64::MAX)?;
                let count = if *self == Pooling::MeanSqrtLen {
                    count.sqrt()?
                } else {
                    count
                };
                sum.broadcast_div(&count)
            }
        }
    }
}

/// A BERT-family sentence encoder running in-process on the CPU.
pub struct SentenceEncoder {
    body: Body,
    tok: TextTokenizer,
    pooling: Pooling,
    dir: PathBuf,
    fingerprint: String,
    batch_size: usize,
}

impl SentenceEncoder {
    /// Load a sentence-transformers (or plain transformers) directory:
    /// `config.json`, `model.safetensors`, `tokenizer.json`, optional
    /// `sentence_bert_config.json`, `modules.json`, `1_Pooling/config.json`.
    pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a model directory"));
        }
        let body = Body::load(dir)?;
        let sbert_path = dir.join("sentence_bert_config.json");
        let (st_max, lower) = if sbert_path.exists() {
            let text =
                std::fs::read_to_string(&sbert_path).map_err(|e| Error::io(&sbert_path, e))?;
            let j: SbertJson = serde_json::from_str(&text).map_err(|e| {
                Error::model(
                    &sbert_path,
                    format!("invalid sentence_bert_config.json: {e}"),
                )
            })?;
            (j.max_seq_length, j.do_lower_case)
        } else {
            (None, false)
        };
        let max_len = opts
            .max_seq_length
            .or(st_max)
            .unwrap_or(512)
            .min(body.cfg.max_positions());
        if max_len < 2 {
            return Err(Error::Config(format!(
                "max sequence length {max_len} is too short"
            )));
        }
        let tok = TextTokenizer::load(&dir.join("tokenizer.json"), max_len, lower)?;
        body.check_tokenizer(&tok)?;
        let pooling = Pooling::from_dir(dir)?;
        if opts.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        let fingerprint = fingerprint(dir, &body, pooling, max_len, lower)?;
        Ok(Self {
            body,
            tok,
            pooling,
            dir: dir.to_path_buf(),
            fingerprint,
            batch_size: opts.batch_size,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }
    pub fn max_seq_length(&self) -> usize {
        self.tok.max_len()
    }
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    /// Change the batch size (texts per forward pass); 0 is an error.
    pub fn set_batch_size(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        self.batch_size = n;
        Ok(())
    }

    /// Token count of each text after truncation, special tokens included.
    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>> {
        Ok(self.tok.encode(texts)?.iter().map(|x| x.len()).collect())
    }

    /// Embed with an explicit batch size.
    pub fn embed_batched(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        if batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        if texts.is_empty() {
            return Ok(vec![]);
        }
        let ids = self.tok.encode(texts)?;
        let batches = plan(&ids, texts, batch_size);
        let results: Vec<Result<Vec<Vec<f32>>>> = batches
            .par_iter()
            .map(|idx| {
                let seqs: Vec<&[u32]> = idx.iter().map(|&i| ids[i].as_slice()).collect();
                self.forward(&seqs)
            })
            .collect();
        let mut out = vec![Vec::new(); texts.len()];
        for (idx, res) in batches.iter().zip(results) {
            for (&i, v) in idx.iter().zip(res?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn forward(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let batch = self.body.batch(seqs)?;
            let hidden = self.body.forward(&batch)?;
            let pooled = self.pooling.apply(&hidden, &batch.mask)?;
            let norm = pooled
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12, f64::MAX)?;
            pooled.broadcast_div(&norm)?.to_dtype(DType::F32)?.to_vec2()
        };
        run().map_err(tensor_err("encoder forward"))
    }
}

impl Embedder for SentenceEncoder {
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    fn dim(&self) -> usize {
        self.body.cfg.hidden_size
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_batched(texts, self.batch_size)
    }
}

/// Fingerprint: weights + tokenizer + config + pooling + max length + casing.
fn fingerprint(
    dir: &Path,
    body: &Body,
    pooling: Pooling,
    max_len: usize,
    lower: bool,
) -> Result<String> {
    let mut parts = vec!["whyline-encoder-v1".to_string()];
    for f in ["model.safetensors", "tokenizer.json", "config.json"] {
        let p = dir.join(f);
        let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
        parts.push(format!("{f}={}", sha256_hex(&bytes)));
    }
    parts.push(format!(
        "arch={:?};pooling={pooling:?};max_len={max_len};lower={lower};norm=l2",
        body.cfg.arch
    ));
    Ok(sha256_hex(parts.join("\n").as_bytes())[..32].to_string())
}
