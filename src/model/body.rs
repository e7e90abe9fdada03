//! A loaded BERT-family body: config, weights, tokenizer checked against each other.

use super::batching::make_batch;
use super::bert::{Batch, BertModel};
use super::config::{Arch, ModelConfig};
use super::distilbert::DistilBertModel;
use super::tokenize::TextTokenizer;
use super::weights::{Vb, Weights};
use crate::error::{Error, Result};
use candle_core::Tensor;
use std::path::Path;

pub enum Net {
    Bert(BertModel),
    DistilBert(DistilBertModel),
}

/// The transformer body plus what is needed to feed it.
pub struct Body {
    pub cfg: ModelConfig,
    pub net: Net,
    /// Builder at the checkpoint's root (heads live next to the body).
    pub root: Vb,
    /// Builder at the body's own prefix (`bert.`, `roberta.`, or the root).
    pub vb: Vb,
}

/// Run `layers` over `x`; also return the hidden states after the layers in
/// `taps` (0: `x` itself), in `taps`' order.
pub fn run_layers<L>(
    mut x: Tensor,
    layers: &[L],
    taps: &[usize],
    forward: impl Fn(&L, &Tensor) -> candle_core::Result<Tensor>,
) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
    let mut tapped: Vec<Option<Tensor>> = vec![None; taps.len()];
    let mut keep = |i: usize, x: &Tensor| {
        for (t, slot) in taps.iter().zip(tapped.iter_mut()) {
            if *t == i {
                *slot = Some(x.clone());
            }
        }
    };
    keep(0, &x);
    for (i, layer) in layers.iter().enumerate() {
        x = forward(layer, &x)?;
        keep(i + 1, &x);
    }
    let tapped = tapped
        .into_iter()
        .map(|t| t.ok_or_else(|| candle_core::Error::Msg("layer tap past the last layer".into())))
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok((x, tapped))
}

/// Refuse pickle-only checkpoints and name the weights file otherwise.
pub fn weights_file(dir: &Path) -> Result<std::path::PathBuf> {
    let st = dir.join("model.safetensors");
    if st.exists() {
        return Ok(st);
    }
    for pickle in [
        "pytorch_model.bin",
        "tf_model.h5",
        "model.ckpt.index",
        "flax_model.msgpack",
    ] {
        let p = dir.join(pickle);
        if p.exists() {
            return Err(Error::model(
                p,
                "only safetensors weights are loaded (pickle/TF checkpoints could execute code or need another runtime); \
                 convert it with `transformers` (`model.save_pretrained(dir, safe_serialization=True)`)",
            ));
        }
    }
    Err(Error::model(st, "model.safetensors is missing"))
}

impl Body {
    /// Load `config.json` + `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let cfg_path = dir.join("config.json");
        if !cfg_path.exists() {
            return Err(Error::model(cfg_path, "config.json is missing"));
        }
        let cfg = ModelConfig::load(&cfg_path)?;
        let weights = Weights::load(&weights_file(dir)?)?;
        let root = Vb::new(weights, "");
        let own = match cfg.arch {
            Arch::Bert => "bert",
            Arch::Roberta => "roberta",
            Arch::DistilBert => "distilbert",
        };
        let prefix = ["", own, "model", "bert", "roberta", "xlm-roberta"]
            .into_iter()
            .find(|p| {
                let vb = if p.is_empty() { root.clone() } else { root.pp(p) };
                vb.pp("embeddings").pp("word_embeddings").contains("weight")
            })
            .ok_or_else(|| {
                Error::model(
                    root.path(),
                    format!(
                        "tensor `embeddings.word_embeddings.weight` is missing (also under `{own}.`): not a {} checkpoint",
                        cfg.model_type
                    ),
                )
            })?;
        let vb = if prefix.is_empty() {
            root.clone()
        } else {
            root.pp(prefix)
        };
        let net = match cfg.arch {
            Arch::Bert | Arch::Roberta => Net::Bert(BertModel::load(vb.clone(), &cfg)?),
            Arch::DistilBert => Net::DistilBert(DistilBertModel::load(vb.clone(), &cfg)?),
        };
        Ok(Self { cfg, net, root, vb })
    }

    /// Check that every id the tokenizer can emit has a row in the embedding matrix.
    pub fn check_tokenizer(&self, tok: &TextTokenizer) -> Result<()> {
        let rows = match &self.net {
            Net::Bert(m) => m.embeddings.vocab_rows(),
            Net::DistilBert(m) => m.embeddings.vocab_rows(),
        };
        if let Some(max_id) = tok.max_token_id() {
            if max_id as usize >= rows {
                return Err(Error::model(
                    tok.path(),
                    format!(
                        "tokenizer vocabulary ({} tokens, largest id {max_id}) does not fit the model's embedding matrix ({rows} rows, {})",
                        tok.vocab_size(),
                        self.root.path().display()
                    ),
                ));
            }
        }
        if tok.max_len() > self.cfg.max_positions() {
            return Err(Error::model(
                tok.path(),
                format!(
                    "max sequence length {} exceeds the model's {} positions",
                    tok.max_len(),
                    self.cfg.max_positions()
                ),
            ));
        }
        Ok(())
    }

    /// Pad `seqs` into one batch.
    pub fn batch(&self, seqs: &[&[u32]]) -> candle_core::Result<Batch> {
        let pad_pos = match self.cfg.arch {
            Arch::Roberta => self.cfg.pad_token_id,
            _ => 0,
        };
        make_batch(
            seqs,
            self.cfg.pad_token_id,
            self.cfg.position_offset(),
            pad_pos,
        )
    }

    /// Last hidden state `[b, s, h]`.
    pub fn forward(&self, batch: &Batch) -> candle_core::Result<Tensor> {
        match &self.net {
            Net::Bert(m) => m.forward(batch),
            Net::DistilBert(m) => m.forward(batch),
        }
    }

    /// The last hidden state and the hidden states after the layers in `taps`.
    pub fn forward_taps(
        &self,
        batch: &Batch,
        taps: &[usize],
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        match &self.net {
            Net::Bert(m) => m.forward_taps(batch, taps),
            Net::DistilBert(m) => m.forward_taps(batch, taps),
        }
    }

    /// Number of transformer layers.
    pub fn num_layers(&self) -> usize {
        match &self.net {
            Net::Bert(m) => m.num_layers(),
            Net::DistilBert(m) => m.num_layers(),
        }
    }
}
