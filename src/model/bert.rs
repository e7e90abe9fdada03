//! BERT and RoBERTa bodies (also MiniLM, XLM-R: same weights, same graph).
//!
//! Ported from transformers' `modeling_bert.py` / `modeling_roberta.py`
//! (`BertEmbeddings`, `BertSelfAttention`, `BertLayer`), the candle way:
//! every block has `load(vb, cfg)` and `forward`.

use super::config::{Activation, ModelConfig};
use super::weights::Vb;
use crate::error::Result;
use candle_core::{Module, Tensor};
use candle_nn::{LayerNorm, Linear};

type CResult<T> = candle_core::Result<T>;

/// Inputs of one padded batch.
pub struct Batch {
    /// `[b, s]` u32 token ids.
    pub input_ids: Tensor,
    /// `[b, s]` u32 position ids (already offset for RoBERTa).
    pub position_ids: Tensor,
    /// `[b, s]` f32, 1 for real tokens and 0 for padding.
    pub mask: Tensor,
}

impl Batch {
    /// Additive attention bias `[b, 1, 1, s]`: 0 for tokens, a large negative for padding
    /// (transformers adds `finfo(float32).min`; both give exactly 0 after softmax).
    pub fn attention_bias(&self) -> CResult<Tensor> {
        let (b, s) = self.mask.dims2()?;
        ((self.mask.clone() - 1.0)? * 3.0e38)?.reshape((b, 1, 1, s))
    }
}

/// Multi-head scaled dot-product attention over projected q, k, v `[b, s, h]`.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    heads: usize,
    bias: &Tensor,
) -> CResult<Tensor> {
    let (b, s, h) = q.dims3()?;
    let hd = h / heads;
    let split = |x: &Tensor| -> CResult<Tensor> {
        x.reshape((b, s, heads, hd))?.transpose(1, 2)?.contiguous()
    };
    let (q, k, v) = (split(q)?, split(k)?, split(v)?);
    let scale = 1.0 / (hd as f64).sqrt();
    let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(bias)?;
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    probs
        .matmul(&v)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b, s, h))
}

/// `BertEmbeddings`: word + position + token type (0), then LayerNorm.
pub struct BertEmbeddings {
    word: Tensor,
    position: Tensor,
    token_type0: Option<Tensor>,
    norm: LayerNorm,
}

impl BertEmbeddings {
    pub fn load(vb: Vb, cfg: &ModelConfig) -> Result<Self> {
        let h = cfg.hidden_size;
        let word = vb
            .pp("word_embeddings")
            .get(&[cfg.vocab_size, h], "weight")?;
        let position = vb
            .pp("position_embeddings")
            .get(&[cfg.max_position_embeddings, h], "weight")?;
        let token_type0 = if cfg.type_vocab_size > 0 {
            let t = vb
                .pp("token_type_embeddings")
                .get(&[cfg.type_vocab_size, h], "weight")?;
            Some(
                t.get(0)
                    .map_err(super::weights::tensor_err("token_type_embeddings"))?,
            )
        } else {
            None
        };
        let norm = vb.pp("LayerNorm").layer_norm(h, cfg.layer_norm_eps)?;
        Ok(Self {
            word,
            position,
            token_type0,
            norm,
        })
    }

    /// Rows of the word-embedding matrix (checked against the tokenizer).
    pub fn vocab_rows(&self) -> usize {
        self.word.dims()[0]
    }

    pub fn forward(&self, batch: &Batch) -> CResult<Tensor> {
        let (b, s) = batch.input_ids.dims2()?;
        let h = self.word.dims()[1];
        let ids = batch.input_ids.flatten_all()?;
        let pos = batch.position_ids.flatten_all()?;
        let mut x = (self.word.index_select(&ids, 0)? + self.position.index_select(&pos, 0)?)?;
        if let Some(tt) = &self.token_type0 {
            x = x.broadcast_add(tt)?;
        }
        self.norm.forward(&x.reshape((b, s, h))?)
    }
}

/// A post-norm transformer layer, BERT's `BertLayer` and DistilBERT's
/// `TransformerBlock` alike (the same graph under other weight names):
/// self-attention, add & norm, feed-forward, add & norm.
pub struct PostNormLayer {
    pub(super) query: Linear,
    pub(super) key: Linear,
    pub(super) value: Linear,
    pub(super) attn_out: Linear,
    pub(super) attn_norm: LayerNorm,
    pub(super) ffn_in: Linear,
    pub(super) ffn_out: Linear,
    pub(super) out_norm: LayerNorm,
    pub(super) heads: usize,
    pub(super) act: Activation,
}

impl PostNormLayer {
    /// Under BERT's weight names (`attention.self.query`, ...).
    pub fn load_bert(vb: Vb, cfg: &ModelConfig) -> Result<Self> {
        let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
        let att = vb.pp("attention");
        let sa = att.pp("self");
        Ok(Self {
            query: sa.pp("query").linear(h, h)?,
            key: sa.pp("key").linear(h, h)?,
            value: sa.pp("value").linear(h, h)?,
            attn_out: att.pp("output").pp("dense").linear(h, h)?,
            attn_norm: att
                .pp("output")
                .pp("LayerNorm")
                .layer_norm(h, cfg.layer_norm_eps)?,
            ffn_in: vb.pp("intermediate").pp("dense").linear(h, i)?,
            ffn_out: vb.pp("output").pp("dense").linear(i, h)?,
            out_norm: vb
                .pp("output")
                .pp("LayerNorm")
                .layer_norm(h, cfg.layer_norm_eps)?,
            heads: cfg.num_heads,
            act: cfg.activation,
        })
    }

    pub fn forward(&self, x: &Tensor, bias: &Tensor) -> CResult<Tensor> {
        let ctx = attention(
            &self.query.forward(x)?,
            &self.key.forward(x)?,
            &self.value.forward(x)?,
            self.heads,
            bias,
        )?;
        let x = self
            .attn_norm
            .forward(&(self.attn_out.forward(&ctx)? + x)?)?;
        let inner = self.act.apply(&self.ffn_in.forward(&x)?)?;
        self.out_norm.forward(&(self.ffn_out.forward(&inner)? + x)?)
    }
}

/// `BertModel` / `RobertaModel` without the pooler: last hidden state `[b, s, h]`.
pub struct BertModel {
    pub embeddings: BertEmbeddings,
    layers: Vec<PostNormLayer>,
}

impl BertModel {
    pub fn load(vb: Vb, cfg: &ModelConfig) -> Result<Self> {
        let embeddings = BertEmbeddings::load(vb.pp("embeddings"), cfg)?;
        let enc = vb.pp("encoder").pp("layer");
        let layers = (0..cfg.num_layers)
            .map(|i| PostNormLayer::load_bert(enc.pp(i), cfg))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { embeddings, layers })
    }

    pub fn forward(&self, batch: &Batch) -> CResult<Tensor> {
        Ok(self.forward_taps(batch, &[])?.0)
    }

    /// The last hidden state and, for each layer in `taps` (0: the embedding
    /// layer), the hidden state after it, `[b, s, h]` each.
    pub fn forward_taps(&self, batch: &Batch, taps: &[usize]) -> CResult<(Tensor, Vec<Tensor>)> {
        let bias = batch.attention_bias()?;
        let x = self.embeddings.forward(batch)?;
        super::body::run_layers(x, &self.layers, taps, |l, x| l.forward(x, &bias))
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
}
