//! Sentence encoder: body + pooling + L2 normalisation, as sentence-transformers
//! computes it (`Transformer` -> `Pooling` -> `Normalize`).
//!
//! Two backends compute the same vectors (to ~1e-7, so the embedding cache key
//! does not name the backend): [`Backend::Fast`], the packed fp32 encoder of
//! `fast.rs` (default), and [`Backend::Candle`], candle's padded graph (kept as
//! the reference and for comparison; `WHYLINE_ENCODER=candle`).

use super::batching::{plan, plan_tokens};
use super::body::Body;
use super::config::ModelConfig;
use super::fast::FastModel;
use super::tokenize::TextTokenizer;
use super::tune::{TopLayer, TOP_TENSORS};
use super::weights::tensor_err;
use super::{LoadOptions, Precision};
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

/// Ordinary sentences of the kinds whyline reads (reviews, support messages,
/// complaints, interview and call turns), written for this purpose: int8
/// mode measures each layer's input ranges on them (see `fast.rs`).
const CALIBRATION: &str = include_str!("calibration.txt");

/// The fast encoder's weights at `precision` (int8: calibrated on [`CALIBRATION`]).
fn fast_model(body: &Body, tok: &TextTokenizer, precision: Precision) -> Result<FastModel> {
    let mut m = FastModel::load(&body.vb, &body.cfg)?;
    if precision != Precision::F32 {
        let lines: Vec<&str> = CALIBRATION
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let ids = tok.encode(&lines)?;
        let seqs: Vec<&[u32]> = ids.iter().map(|s| s.as_slice()).collect();
        m.set_precision(precision, &seqs);
    }
    Ok(m)
}

/// Which implementation runs the transformer body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Packed, padding-free fp32 encoder on `gemm` (`fast.rs`).
    Fast,
    /// candle's padded tensor graph (`bert.rs`, `distilbert.rs`).
    Candle,
}

impl Backend {
    /// `WHYLINE_ENCODER`: `fast` (default) or `candle`.
    pub fn from_env() -> Result<Self> {
        match std::env::var("WHYLINE_ENCODER").as_deref() {
            Err(_) | Ok("") | Ok("fast") => Ok(Self::Fast),
            Ok("candle") => Ok(Self::Candle),
            Ok(other) => Err(Error::Config(format!(
                "WHYLINE_ENCODER={other}: expected `fast` or `candle`"
            ))),
        }
    }
}

/// Tokens per packed batch of the fast backend (`WHYLINE_PACK_TOKENS`): 512–1024 ran
/// 2–5% faster than 2048 on the 5,000-sentence corpus (activations stay in L2).
pub const DEFAULT_PACK_TOKENS: usize = 1024;

fn pack_tokens_from_env() -> Result<usize> {
    match std::env::var("WHYLINE_PACK_TOKENS") {
        Err(_) => Ok(DEFAULT_PACK_TOKENS),
        Ok(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::Config(format!(
                "WHYLINE_PACK_TOKENS={v}: expected a positive number of tokens"
            ))),
        },
    }
}

/// A BERT-family sentence encoder running in-process on the CPU.
pub struct SentenceEncoder {
    body: Body,
    fast: Option<FastModel>,
    backend: Backend,
    pack_tokens: usize,
    tok: TextTokenizer,
    pooling: Pooling,
    dir: PathBuf,
    fingerprint: String,
    space: String,
    batch_size: usize,
    precision: Precision,
}

impl SentenceEncoder {
    /// Load a sentence-transformers (or plain transformers) directory:
    /// `config.json`, `model.safetensors`, `tokenizer.json`, optional
    /// `sentence_bert_config.json`, `modules.json`, `1_Pooling/config.json`.
    pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        let spec = EncoderSpec::read(dir, opts)?;
        Self::from_spec(spec)
    }

    fn from_spec(spec: EncoderSpec) -> Result<Self> {
        let body = Body::load(&spec.dir)?;
        let tok = TextTokenizer::load(&spec.dir.join("tokenizer.json"), spec.max_len, spec.lower)?;
        body.check_tokenizer(&tok)?;
        let backend = Backend::from_env()?;
        if backend == Backend::Candle && spec.precision != Precision::F32 {
            return Err(Error::Config(format!(
                "--precision {}: only the fast encoder has it (WHYLINE_ENCODER=candle is f32 only)",
                spec.precision
            )));
        }
        let fast = match backend {
            Backend::Fast => Some(fast_model(&body, &tok, spec.precision)?),
            Backend::Candle => None,
        };
        Ok(Self {
            body,
            fast,
            backend,
            pack_tokens: pack_tokens_from_env()?,
            tok,
            pooling: spec.pooling,
            dir: spec.dir,
            fingerprint: spec.fingerprint,
            space: spec.space,
            batch_size: spec.batch_size,
            precision: spec.precision,
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

    /// Arithmetic of the dense layers (fixed at load).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Switch backends (loads the fast encoder's weights on first use).
    pub fn set_backend(&mut self, backend: Backend) -> Result<()> {
        if backend == Backend::Candle && self.precision != Precision::F32 {
            return Err(Error::Config(format!(
                "--precision {}: only the fast encoder has it",
                self.precision
            )));
        }
        if backend == Backend::Fast && self.fast.is_none() {
            self.fast = Some(fast_model(&self.body, &self.tok, self.precision)?);
        }
        self.backend = backend;
        Ok(())
    }

    /// Tokens per packed batch of the fast backend.
    pub fn pack_tokens(&self) -> usize {
        self.pack_tokens
    }

    /// Change the fast backend's token budget per batch; 0 is an error.
    pub fn set_pack_tokens(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::Config("pack tokens must be at least 1".into()));
        }
        self.pack_tokens = n;
        Ok(())
    }

    /// Token count of each text after truncation, special tokens included.
    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>> {
        Ok(self.tok.encode(texts)?.iter().map(|x| x.len()).collect())
    }

    /// Embed with an explicit batch size (texts per batch of the candle
    /// backend; the fast backend packs batches by [`Self::pack_tokens`]).
    pub fn embed_batched(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        self.embed_taps(texts, batch_size, &[])
    }

    /// Number of transformer layers (the largest layer [`Self::embed_taps`] takes).
    pub fn num_layers(&self) -> usize {
        self.body.num_layers()
    }

    /// As [`Self::embed_batched`], each embedding followed by the
    /// L2-normalised mean-pooled hidden states after each layer in `taps`
    /// (0: the embedding layer): `dim · (1 + taps.len())` values per text,
    /// the first `dim` equal to the embedding.
    pub fn embed_taps(
        &self,
        texts: &[&str],
        batch_size: usize,
        taps: &[usize],
    ) -> Result<Vec<Vec<f32>>> {
        if let Some(&t) = taps.iter().find(|&&t| t > self.num_layers()) {
            return Err(Error::Config(format!(
                "layer {t} asked for, but the encoder in {} has {} layers",
                self.dir.display(),
                self.num_layers()
            )));
        }
        if batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        if texts.is_empty() {
            return Ok(vec![]);
        }
        let ids = self.tok.encode(texts)?;
        if let (Backend::Fast, Some(fast)) = (self.backend, &self.fast) {
            let batches = plan_tokens(&ids, texts, self.pack_tokens);
            // One batch per rayon task, single-threaded inside: the vectors do
            // not depend on the thread count.
            let results: Vec<Vec<Vec<f32>>> = batches
                .par_iter()
                .map(|idx| {
                    let seqs: Vec<&[u32]> = idx.iter().map(|&i| ids[i].as_slice()).collect();
                    fast.embed_taps(&seqs, self.pooling, taps)
                })
                .collect();
            let mut out = vec![Vec::new(); texts.len()];
            for (idx, res) in batches.iter().zip(results) {
                for (&i, v) in idx.iter().zip(res) {
                    out[i] = v;
                }
            }
            return Ok(out);
        }
        let batches = plan(&ids, texts, batch_size);
        let run = |idx: &Vec<usize>| {
            let seqs: Vec<&[u32]> = idx.iter().map(|&i| ids[i].as_slice()).collect();
            self.forward(&seqs, taps)
        };
        // Batches run in parallel on the rayon pool (candle's matrix products
        // nest into the same pool, so threads never exceed --threads).
        // WHYLINE_SERIAL_BATCHES=1 runs them one after another instead, each
        // parallel inside: kept to re-measure the choice (benches/README.md).
        let results: Vec<Result<Vec<Vec<f32>>>> = if serial_batches() {
            batches.iter().map(run).collect()
        } else {
            batches.par_iter().map(run).collect()
        };
        let mut out = vec![Vec::new(); texts.len()];
        for (idx, res) in batches.iter().zip(results) {
            for (&i, v) in idx.iter().zip(res?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Every token's hidden states entering the last layer (after
    /// `num_layers() - 1` layers), `tokens x hidden` values per text: the
    /// input of a tuned top layer (see [`super::tune`]). Each text runs
    /// alone, so its states never depend on the other texts.
    pub fn top_states(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let layer = self.num_layers().saturating_sub(1);
        let Some(fast) = &self.fast else {
            return Err(Error::Config(
                "a tuned top layer reads the fast encoder's hidden states; unset WHYLINE_ENCODER=candle".into(),
            ));
        };
        let ids = self.tok.encode(texts)?;
        Ok(ids
            .par_iter()
            .map(|s| {
                fast.token_states(&[s.as_slice()], layer)
                    .pop()
                    .unwrap_or_default()
            })
            .collect())
    }

    /// The encoder's last layer as a [`TopLayer`] (the starting point of
    /// `fit --tune-top`): BERT-style layers with exact GELU only.
    pub fn top_layer(&self) -> Result<TopLayer> {
        use super::config::{Activation, Arch};
        let cfg = &self.body.cfg;
        if !matches!(cfg.arch, Arch::Bert | Arch::Roberta) || cfg.activation != Activation::Gelu {
            return Err(Error::model(
                &self.dir,
                format!(
                    "tuning the top layer needs a BERT-style encoder with exact GELU ({} has {:?})",
                    cfg.model_type, cfg.activation
                ),
            ));
        }
        let layer = self.num_layers().saturating_sub(1);
        let mut top = TopLayer {
            layer,
            hidden: cfg.hidden_size,
            heads: cfg.num_heads,
            inner: cfg.intermediate_size,
            eps: cfg.layer_norm_eps,
            tensors: Vec::new(),
        };
        let vb = self.body.vb.pp("encoder").pp("layer").pp(layer);
        for (name, shape) in TOP_TENSORS.iter().zip(top.shapes()) {
            let (scope, leaf) = name.rsplit_once('.').unwrap_or(("", name));
            let mut v = vb.clone();
            for part in scope.split('.') {
                v = v.pp(part);
            }
            let t = v.get(&shape, leaf)?;
            top.tensors.push(
                t.flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .map_err(tensor_err("top layer"))?,
            );
        }
        top.check()?;
        Ok(top)
    }

    fn forward(&self, seqs: &[&[u32]], taps: &[usize]) -> Result<Vec<Vec<f32>>> {
        let l2 = |pooled: Tensor| -> candle_core::Result<Vec<Vec<f32>>> {
            let norm = pooled
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12, f64::MAX)?;
            pooled.broadcast_div(&norm)?.to_dtype(DType::F32)?.to_vec2()
        };
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let batch = self.body.batch(seqs)?;
            let (hidden, tapped) = self.body.forward_taps(&batch, taps)?;
            let mut out = l2(self.pooling.apply(&hidden, &batch.mask)?)?;
            for t in &tapped {
                let extra = l2(Pooling::Mean.apply(t, &batch.mask)?)?;
                for (v, e) in out.iter_mut().zip(extra) {
                    v.extend(e);
                }
            }
            Ok(out)
        };
        run().map_err(tensor_err("encoder forward"))
    }
}

impl Embedder for SentenceEncoder {
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    fn space(&self) -> &str {
        &self.space
    }
    fn dim(&self) -> usize {
        self.body.cfg.hidden_size
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_batched(texts, self.batch_size)
    }
    fn embed_layers(
        &self,
        texts: &[&str],
        layers: &[usize],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for c in texts.chunks(chunk.max(1)) {
            out.extend(self.embed_taps(c, self.batch_size, layers)?);
            progress(out.len());
        }
        Ok(out)
    }
}

fn serial_batches() -> bool {
    static SERIAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SERIAL.get_or_init(|| std::env::var("WHYLINE_SERIAL_BATCHES").is_ok_and(|v| v == "1"))
}

/// What an encoder directory says, read without loading the weights.
struct EncoderSpec {
    dir: PathBuf,
    dim: usize,
    max_len: usize,
    lower: bool,
    pooling: Pooling,
    fingerprint: String,
    /// The f32 fingerprint (see [`Embedder::space`]).
    space: String,
    batch_size: usize,
    precision: Precision,
}

impl EncoderSpec {
    fn read(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a model directory"));
        }
        if opts.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        let cfg_path = dir.join("config.json");
        if !cfg_path.exists() {
            return Err(Error::model(cfg_path, "config.json is missing"));
        }
        let cfg = ModelConfig::load(&cfg_path)?;
        super::body::weights_file(dir)?;
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
            .min(cfg.max_positions());
        if max_len < 2 {
            return Err(Error::Config(format!(
                "max sequence length {max_len} is too short"
            )));
        }
        let pooling = Pooling::from_dir(dir)?;
        let mut parts = vec!["whyline-encoder-v1".to_string()];
        for f in ["model.safetensors", "tokenizer.json", "config.json"] {
            parts.push(format!("{f}={}", file_sha256(dir, f)?));
        }
        parts.push(format!(
            "arch={:?};pooling={pooling:?};max_len={max_len};lower={lower};norm=l2",
            cfg.arch
        ));
        // f32 keeps its historical fingerprint (existing caches stay valid);
        // int8 vectors differ in the third decimal, so they get their own.
        let space = sha256_hex(parts.join("\n").as_bytes())[..32].to_string();
        if opts.precision != Precision::F32 {
            parts.push(format!("precision={}", opts.precision));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            dim: cfg.hidden_size,
            max_len,
            lower,
            pooling,
            fingerprint: sha256_hex(parts.join("\n").as_bytes())[..32].to_string(),
            space,
            batch_size: opts.batch_size,
            precision: opts.precision,
        })
    }
}

/// sha256 of a model file: taken from the manifest for a verified cache
/// install (same size), otherwise computed.
fn file_sha256(dir: &Path, f: &str) -> Result<String> {
    let p = dir.join(f);
    if let Some(m) = super::store::installed_manifest(dir) {
        if let Some(entry) = m.files.iter().find(|e| e.path == f) {
            if std::fs::metadata(&p).map(|md| md.len()).ok() == Some(entry.size) {
                return Ok(entry.sha256.clone());
            }
        }
    }
    super::store::sha256_file(&p)
}

/// A [`SentenceEncoder`] that loads its weights on the first text it must
/// embed: with a warm [`crate::embed::CachedEmbedder`] in front, a re-run
/// never loads the model at all.
pub struct LazyEncoder {
    spec: EncoderSpec,
    cell: std::sync::OnceLock<std::result::Result<SentenceEncoder, String>>,
}

impl LazyEncoder {
    /// Read the directory's configuration (cheap); weights load on demand.
    pub fn open(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        Ok(Self {
            spec: EncoderSpec::read(dir, opts)?,
            cell: std::sync::OnceLock::new(),
        })
    }

    /// The loaded encoder (loading it now if needed).
    pub fn get(&self) -> Result<&SentenceEncoder> {
        let r = self.cell.get_or_init(|| {
            let spec = EncoderSpec {
                dir: self.spec.dir.clone(),
                fingerprint: self.spec.fingerprint.clone(),
                space: self.spec.space.clone(),
                ..self.spec
            };
            SentenceEncoder::from_spec(spec).map_err(|e| e.to_string())
        });
        r.as_ref()
            .map_err(|e| Error::model(&self.spec.dir, e.clone()))
    }

    pub fn is_loaded(&self) -> bool {
        self.cell.get().is_some()
    }

    pub fn dir(&self) -> &Path {
        &self.spec.dir
    }
}

impl Embedder for LazyEncoder {
    fn fingerprint(&self) -> &str {
        &self.spec.fingerprint
    }
    fn space(&self) -> &str {
        &self.spec.space
    }
    fn dim(&self) -> usize {
        self.spec.dim
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(vec![]);
        }
        self.get()?.embed(texts)
    }
    fn embed_layers(
        &self,
        texts: &[&str],
        layers: &[usize],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(vec![]);
        }
        self.get()?.embed_layers(texts, layers, chunk, progress)
    }
}
