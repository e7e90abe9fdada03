//! `config.json` of a Hugging Face checkpoint, for the BERT family.
//!
//! Why: BERT/MiniLM, RoBERTa/XLM-R and DistilBERT spell the same hyper-parameters
//! differently; the serde structs below mirror each file as written, and
//! [`ModelConfig`] is the one normalised view the layers are built from.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Which body the checkpoint has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// BERT, MiniLM, MPNet-free BERT clones: absolute positions from 0.
    Bert,
    /// RoBERTa / XLM-RoBERTa / CamemBERT: positions start at `pad_token_id + 1`.
    Roberta,
    /// DistilBERT: no token types, different weight names.
    DistilBert,
}

/// Feed-forward activation, as named in `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu`: the exact erf form (PyTorch's default).
    Gelu,
    /// `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`: the tanh approximation.
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(s: &str, path: &Path) -> Result<Self> {
        match s {
            "gelu" => Ok(Self::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Self::GeluTanh),
            "relu" => Ok(Self::Relu),
            other => Err(Error::model(
                path,
                format!("unsupported activation `{other}` (supported: gelu, gelu_new, relu)"),
            )),
        }
    }

    pub fn apply(&self, x: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
        match self {
            Self::Gelu => x.gelu_erf(),
            Self::GeluTanh => x.gelu(),
            Self::Relu => x.relu(),
        }
    }
}

/// `config.json` of `BertModel` / `RobertaModel` / `XLMRobertaModel` (mirrors the file).
#[derive(Debug, Deserialize)]
struct BertJson {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    #[serde(default = "default_gelu")]
    hidden_act: String,
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    pad_token_id: Option<u32>,
    #[serde(default)]
    position_embedding_type: Option<String>,
}

/// `config.json` of `DistilBertModel` (mirrors the file).
#[derive(Debug, Deserialize)]
struct DistilBertJson {
    vocab_size: usize,
    dim: usize,
    n_layers: usize,
    n_heads: usize,
    hidden_dim: usize,
    #[serde(default = "default_gelu")]
    activation: String,
    max_position_embeddings: usize,
    #[serde(default)]
    pad_token_id: Option<u32>,
}

/// The parts of `config.json` every architecture shares.
#[derive(Debug, Deserialize)]
struct CommonJson {
    model_type: Option<String>,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    id2label: Option<BTreeMap<String, String>>,
    #[serde(default)]
    label2id: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    problem_type: Option<String>,
}

fn default_gelu() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

/// Normalised hyper-parameters of a BERT-family body (plus the head's labels).
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub arch: Arch,
    pub model_type: String,
    pub architectures: Vec<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub intermediate_size: usize,
    pub activation: Activation,
    pub max_position_embeddings: usize,
    /// 0 for DistilBERT (no token-type embeddings).
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub pad_token_id: u32,
    /// `id2label` ordered by id (checked: ids are exactly 0..n).
    pub id2label: Option<Vec<String>>,
    pub problem_type: Option<String>,
}

impl ModelConfig {
    /// Read `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let bad = |e: serde_json::Error| Error::model(path, format!("invalid config.json: {e}"));
        let common: CommonJson = serde_json::from_str(text).map_err(bad)?;
        let model_type = common.model_type.clone().unwrap_or_default();
        let id2label = parse_id2label(&common, path)?;
        let mut cfg = match model_type.as_str() {
            "bert" | "roberta" | "xlm-roberta" | "camembert" => {
                let j: BertJson = serde_json::from_str(text).map_err(bad)?;
                if let Some(p) = &j.position_embedding_type {
                    if p != "absolute" {
                        return Err(Error::model(
                            path,
                            format!("unsupported position_embedding_type `{p}` (only absolute)"),
                        ));
                    }
                }
                let arch = if model_type == "bert" {
                    Arch::Bert
                } else {
                    Arch::Roberta
                };
                ModelConfig {
                    arch,
                    model_type: model_type.clone(),
                    architectures: vec![],
                    vocab_size: j.vocab_size,
                    hidden_size: j.hidden_size,
                    num_layers: j.num_hidden_layers,
                    num_heads: j.num_attention_heads,
                    intermediate_size: j.intermediate_size,
                    activation: Activation::parse(&j.hidden_act, path)?,
                    max_position_embeddings: j.max_position_embeddings,
                    type_vocab_size: j.type_vocab_size,
                    layer_norm_eps: j.layer_norm_eps,
                    pad_token_id: j
                        .pad_token_id
                        .unwrap_or(if arch == Arch::Roberta { 1 } else { 0 }),
                    id2label: None,
                    problem_type: None,
                }
            }
            "distilbert" => {
                let j: DistilBertJson = serde_json::from_str(text).map_err(bad)?;
                ModelConfig {
                    arch: Arch::DistilBert,
                    model_type: model_type.clone(),
                    architectures: vec![],
                    vocab_size: j.vocab_size,
                    hidden_size: j.dim,
                    num_layers: j.n_layers,
                    num_heads: j.n_heads,
                    intermediate_size: j.hidden_dim,
                    activation: Activation::parse(&j.activation, path)?,
                    max_position_embeddings: j.max_position_embeddings,
                    type_vocab_size: 0,
                    layer_norm_eps: 1e-12,
                    pad_token_id: j.pad_token_id.unwrap_or(0),
                    id2label: None,
                    problem_type: None,
                }
            }
            "" => return Err(Error::model(path, "config.json has no `model_type`")),
            other => {
                return Err(Error::model(
                    path,
                    format!(
                        "unsupported model_type `{other}` (supported: bert, roberta, xlm-roberta, camembert, distilbert)"
                    ),
                ))
            }
        };
        if cfg.num_heads == 0 || cfg.hidden_size % cfg.num_heads != 0 {
            return Err(Error::model(
                path,
                format!(
                    "hidden size {} is not divisible by {} attention heads",
                    cfg.hidden_size, cfg.num_heads
                ),
            ));
        }
        cfg.architectures = common.architectures;
        cfg.id2label = id2label;
        cfg.problem_type = common.problem_type;
        Ok(cfg)
    }

    /// First position id: RoBERTa counts positions from `pad_token_id + 1`.
    pub fn position_offset(&self) -> usize {
        match self.arch {
            Arch::Roberta => self.pad_token_id as usize + 1,
            _ => 0,
        }
    }

    /// Longest input the position table allows.
    pub fn max_positions(&self) -> usize {
        self.max_position_embeddings
            .saturating_sub(self.position_offset())
    }
}

/// `id2label` as a dense, ordered list; checks it against `label2id`.
fn parse_id2label(common: &CommonJson, path: &Path) -> Result<Option<Vec<String>>> {
    let Some(map) = &common.id2label else {
        return Ok(None);
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (k, v) in map {
        let id: usize = k
            .parse()
            .map_err(|_| Error::model(path, format!("id2label: key `{k}` is not an integer id")))?;
        pairs.push((id, v.clone()));
    }
    pairs.sort();
    for (i, (id, _)) in pairs.iter().enumerate() {
        if *id != i {
            return Err(Error::model(
                path,
                format!(
                    "id2label: ids must be 0..{} without gaps, found id {id} at position {i}",
                    pairs.len()
                ),
            ));
        }
    }
    let labels: Vec<String> = pairs.into_iter().map(|(_, v)| v).collect();
    let mut seen = std::collections::BTreeSet::new();
    for l in &labels {
        if !seen.insert(l) {
            return Err(Error::model(
                path,
                format!("id2label: label `{l}` appears twice"),
            ));
        }
    }
    if let Some(l2i) = &common.label2id {
        for (i, l) in labels.iter().enumerate() {
            let ok = l2i.get(l).and_then(|v| v.as_u64()) == Some(i as u64);
            if !ok {
                return Err(Error::model(
                    path,
                    format!("label2id disagrees with id2label for `{l}` (id {i})"),
                ));
            }
        }
        if l2i.len() != labels.len() {
            return Err(Error::model(
                path,
                format!(
                    "label2id has {} labels but id2label has {}",
                    l2i.len(),
                    labels.len()
                ),
            ));
        }
    }
    Ok(Some(labels))
}
