//! DistilBERT body: BERT's graph under different weight names and without
//! token types. Ported from transformers' `modeling_distilbert.py`
//! (`Embeddings`, `MultiHeadSelfAttention`, `TransformerBlock`).

use super::bert::{Batch, PostNormLayer};
use super::config::ModelConfig;
use super::weights::Vb;
use crate::error::Result;
use candle_core::{Module, Tensor};
use candle_nn::LayerNorm;

type CResult<T> = candle_core::Result<T>;

pub struct DistilBertEmbeddings {
    word: Tensor,
    position: Tensor,
    norm: LayerNorm,
}

impl DistilBertEmbeddings {
    pub fn load(vb: Vb, cfg: &ModelConfig) -> Result<Self> {
        let h = cfg.hidden_size;
        Ok(Self {
            word: vb
                .pp("word_embeddings")
                .get(&[cfg.vocab_size, h], "weight")?,
            position: vb
                .pp("position_embeddings")
                .get(&[cfg.max_position_embeddings, h], "weight")?,
            norm: vb.pp("LayerNorm").layer_norm(h, cfg.layer_norm_eps)?,
        })
    }

    pub fn vocab_rows(&self) -> usize {
        self.word.dims()[0]
    }

    pub fn forward(&self, batch: &Batch) -> CResult<Tensor> {
        let (b, s) = batch.input_ids.dims2()?;
        let h = self.word.dims()[1];
        let ids = batch.input_ids.flatten_all()?;
        let pos = batch.position_ids.flatten_all()?;
        let x = (self.word.index_select(&ids, 0)? + self.position.index_select(&pos, 0)?)?;
        self.norm.forward(&x.reshape((b, s, h))?)
    }
}

/// DistilBERT's `TransformerBlock`: BERT's layer under other weight names.
fn load_layer(vb: Vb, cfg: &ModelConfig) -> Result<PostNormLayer> {
    let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
    let att = vb.pp("attention");
    Ok(PostNormLayer {
        query: att.pp("q_lin").linear(h, h)?,
        key: att.pp("k_lin").linear(h, h)?,
        value: att.pp("v_lin").linear(h, h)?,
        attn_out: att.pp("out_lin").linear(h, h)?,
        attn_norm: vb.pp("sa_layer_norm").layer_norm(h, cfg.layer_norm_eps)?,
        ffn_in: vb.pp("ffn").pp("lin1").linear(h, i)?,
        ffn_out: vb.pp("ffn").pp("lin2").linear(i, h)?,
        out_norm: vb
            .pp("output_layer_norm")
            .layer_norm(h, cfg.layer_norm_eps)?,
        heads: cfg.num_heads,
        act: cfg.activation,
    })
}

/// `DistilBertModel`: last hidden state `[b, s, h]`.
pub struct DistilBertModel {
    pub embeddings: DistilBertEmbeddings,
    layers: Vec<PostNormLayer>,
}

impl DistilBertModel {
    pub fn load(vb: Vb, cfg: &ModelConfig) -> Result<Self> {
        let embeddings = DistilBertEmbeddings::load(vb.pp("embeddings"), cfg)?;
        let t = vb.pp("transformer").pp("layer");
        let layers = (0..cfg.num_layers)
            .map(|i| load_layer(t.pp(i), cfg))
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
