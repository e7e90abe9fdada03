//! Sequence-classification checkpoints: `BertForSequenceClassification`,
//! `DistilBertForSequenceClassification`, `RobertaForSequenceClassification`
//! and `XLMRobertaForSequenceClassification`, as transformers computes them.
//!
//! Why: a researcher can point whyline at a fine-tuned emotion or intent model
//! (e.g. a GoEmotions RoBERTa) and use it as a facet classifier. Labels come
//! from `id2label` (checked against the head), and `problem_type` picks
//! sigmoid (multi-label) or softmax (single-label).

use super::batching::plan;
use super::body::Body;
use super::config::Arch;
use super::tokenize::TextTokenizer;
use super::weights::{tensor_err, Vb};
use crate::error::{Error, Result};
use crate::util::sha256_hex;
use candle_core::{Module, Tensor};
use candle_nn::Linear;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The classification head on top of the body's first token.
enum Head {
    /// `bert.pooler.dense` + tanh, then `classifier` (modeling_bert.py `BertPooler`).
    Bert { pooler: Linear, classifier: Linear },
    /// `pre_classifier` + ReLU, then `classifier` (modeling_distilbert.py).
    DistilBert { pre: Linear, classifier: Linear },
    /// `classifier.dense` + tanh, then `classifier.out_proj` (modeling_roberta.py
    /// `RobertaClassificationHead`, on `<s>`).
    Roberta { dense: Linear, out_proj: Linear },
}

impl Head {
    fn load(body: &Body, n: usize, cfg_path: &Path) -> Result<Self> {
        let h = body.cfg.hidden_size;
        let root = &body.root;
        let check_rows = |vb: &Vb| -> Result<()> {
            if let Some(d) = vb.dims("weight") {
                if d.first() != Some(&n) {
                    return Err(Error::model(
                        cfg_path,
                        format!(
                            "id2label has {n} labels but `{}` has {} rows ({})",
                            vb.name("weight"),
                            d.first().copied().unwrap_or(0),
                            vb.path().display()
                        ),
                    ));
                }
            }
            Ok(())
        };
        Ok(match body.cfg.arch {
            Arch::Bert => {
                let cls = root.pp("classifier");
                check_rows(&cls)?;
                Head::Bert {
                    pooler: body.vb.pp("pooler").pp("dense").linear(h, h)?,
                    classifier: cls.linear(h, n)?,
                }
            }
            Arch::DistilBert => {
                let cls = root.pp("classifier");
                check_rows(&cls)?;
                Head::DistilBert {
                    pre: root.pp("pre_classifier").linear(h, h)?,
                    classifier: cls.linear(h, n)?,
                }
            }
            Arch::Roberta => {
                let out = root.pp("classifier").pp("out_proj");
                check_rows(&out)?;
                Head::Roberta {
                    dense: root.pp("classifier").pp("dense").linear(h, h)?,
                    out_proj: out.linear(h, n)?,
                }
            }
        })
    }

    /// `[b, s, h]` -> logits `[b, n]`.
    fn forward(&self, hidden: &Tensor) -> candle_core::Result<Tensor> {
        let first = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        match self {
            Head::Bert { pooler, classifier } => {
                classifier.forward(&pooler.forward(&first)?.tanh()?)
            }
            Head::DistilBert { pre, classifier } => {
                classifier.forward(&pre.forward(&first)?.relu()?)
            }
            Head::Roberta { dense, out_proj } => out_proj.forward(&dense.forward(&first)?.tanh()?),
        }
    }
}

/// A fine-tuned `*ForSequenceClassification` checkpoint.
pub struct SeqClassifier {
    body: Body,
    head: Head,
    tok: TextTokenizer,
    labels: Vec<String>,
    multi_label: bool,
    dir: PathBuf,
    fingerprint: String,
    batch_size: usize,
}

impl SeqClassifier {
    /// Load `config.json` (with `id2label`, `problem_type`), `model.safetensors`
    /// and `tokenizer.json` from `dir`; inputs are truncated at the model's
    /// position limit (at most 512 tokens).
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, None)
    }

    /// As [`SeqClassifier::load`], truncating at `max_seq_length` tokens.
    pub fn load_with(dir: &Path, max_seq_length: Option<usize>) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a model directory"));
        }
        let cfg_path = dir.join("config.json");
        let body = Body::load(dir)?;
        let labels = body.cfg.id2label.clone().ok_or_else(|| {
            Error::model(
                &cfg_path,
                "no `id2label`: a classifier needs its label names",
            )
        })?;
        if labels.is_empty() {
            return Err(Error::model(&cfg_path, "`id2label` is empty"));
        }
        let multi_label = match body.cfg.problem_type.as_deref() {
            Some("multi_label_classification") => true,
            Some("single_label_classification") | None => false,
            Some(other) => {
                return Err(Error::model(
                    &cfg_path,
                    format!("problem_type `{other}` is not a classification (expected single_label_classification or multi_label_classification)"),
                ))
            }
        };
        let head = Head::load(&body, labels.len(), &cfg_path)?;
        let max_len = max_seq_length.unwrap_or(512).min(body.cfg.max_positions());
        let tok = TextTokenizer::load(&dir.join("tokenizer.json"), max_len, false)?;
        body.check_tokenizer(&tok)?;
        let mut parts = vec!["whyline-seqcls-v1".to_string()];
        for f in ["model.safetensors", "tokenizer.json", "config.json"] {
            let p = dir.join(f);
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
            parts.push(format!("{f}={}", sha256_hex(&bytes)));
        }
        parts.push(format!("max_len={max_len}"));
        Ok(Self {
            body,
            head,
            tok,
            labels,
            multi_label,
            dir: dir.to_path_buf(),
            fingerprint: sha256_hex(parts.join("\n").as_bytes())[..32].to_string(),
            batch_size: 32,
        })
    }

    /// Label names, in logit order (`id2label`).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// `problem_type == multi_label_classification`: sigmoid per label.
    pub fn multi_label(&self) -> bool {
        self.multi_label
    }
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn max_seq_length(&self) -> usize {
        self.tok.max_len()
    }

    /// Token ids as the model sees them (special tokens, truncated, unpadded).
    pub fn input_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        self.tok.encode(texts)
    }

    /// Raw logits, one row per text, batched with padding (`batch_size` texts per pass).
    pub fn logits_batched(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        if batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        let ids = self.tok.encode(texts)?;
        let batches = plan(&ids, texts, batch_size);
        let results: Vec<Result<Vec<Vec<f32>>>> = batches
            .par_iter()
            .map(|idx| {
                let seqs: Vec<&[u32]> = idx.iter().map(|&i| ids[i].as_slice()).collect();
                let run = || -> candle_core::Result<Vec<Vec<f32>>> {
                    let batch = self.body.batch(&seqs)?;
                    let hidden = self.body.forward(&batch)?;
                    self.head.forward(&hidden)?.to_vec2()
                };
                run().map_err(tensor_err("classifier forward"))
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

    /// Raw logits, one row per text.
    pub fn logits(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.logits_batched(texts, self.batch_size)
    }

    /// Probabilities: sigmoid per label (multi-label) or softmax over labels.
    pub fn predict_proba(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let logits = self.logits(texts)?;
        Ok(logits
            .into_iter()
            .map(|row| {
                if self.multi_label {
                    row.iter().map(|&x| 1.0 / (1.0 + (-x).exp())).collect()
                } else {
                    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let e: Vec<f32> = row.iter().map(|&x| (x - m).exp()).collect();
                    let s: f32 = e.iter().sum();
                    e.into_iter().map(|x| x / s).collect()
                }
            })
            .collect())
    }
}
