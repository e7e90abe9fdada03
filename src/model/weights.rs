//! Safetensors weights with checked names, shapes and dtypes.
//!
//! Why: a researcher's checkpoint is untrusted input. Every failure here names
//! the file and the tensor (candle's own `VarBuilder` reports a shape mismatch
//! without the file), and only safetensors is ever read: no pickle, so loading
//! a model never executes code.

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// All floating-point tensors of one safetensors file, converted to f32.
pub struct Weights {
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
    /// Non-float tensors (e.g. `position_ids`), kept only to explain errors.
    other: HashMap<String, String>,
}

impl Weights {
    /// Read and validate `path` (header, offsets, dtypes).
    pub fn load(path: &Path) -> Result<Arc<Self>> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| {
            Error::model(
                path,
                format!("not a valid safetensors file (truncated or corrupt?): {e}"),
            )
        })?;
        let mut tensors = HashMap::new();
        let mut other = HashMap::new();
        for (name, view) in st.iter() {
            let dtype = match view.dtype() {
                safetensors::Dtype::F32 => DType::F32,
                safetensors::Dtype::F16 => DType::F16,
                safetensors::Dtype::BF16 => DType::BF16,
                safetensors::Dtype::F64 => DType::F64,
                d => {
                    other.insert(name.to_string(), format!("{d:?}"));
                    continue;
                }
            };
            let t = Tensor::from_raw_buffer(view.data(), dtype, view.shape(), &Device::Cpu)
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(|e| Error::model(path, format!("tensor `{name}`: {e}")))?;
            tensors.insert(name.to_string(), t);
        }
        Ok(Arc::new(Self {
            path: path.to_path_buf(),
            tensors,
            other,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Shape of a float tensor, if present.
    pub fn dims(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.get(name).map(|t| t.dims().to_vec())
    }

    /// The tensor `name`, which must be a float tensor of exactly `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let t = match self.tensors.get(name) {
            Some(t) => t,
            None => {
                let msg = match self.other.get(name) {
                    Some(d) => format!(
                        "tensor `{name}` has dtype {d}, expected a float dtype (F32, F16, BF16)"
                    ),
                    None => format!("tensor `{name}` is missing"),
                };
                return Err(Error::model(&self.path, msg));
            }
        };
        if t.dims() != shape {
            return Err(Error::model(
                &self.path,
                format!(
                    "tensor `{name}`: shape mismatch, expected {shape:?}, found {:?}",
                    t.dims()
                ),
            ));
        }
        Ok(t.clone())
    }
}

/// A scoped view of [`Weights`], like candle's `VarBuilder`: `vb.pp("encoder")`.
#[derive(Clone)]
pub struct Vb {
    weights: Arc<Weights>,
    prefix: String,
}

impl Vb {
    pub fn new(weights: Arc<Weights>, prefix: &str) -> Self {
        Self {
            weights,
            prefix: prefix.to_string(),
        }
    }

    /// A builder scoped one level deeper.
    pub fn pp(&self, name: impl std::fmt::Display) -> Self {
        let prefix = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        };
        Self {
            weights: self.weights.clone(),
            prefix,
        }
    }

    fn full(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub fn get(&self, shape: &[usize], name: &str) -> Result<Tensor> {
        self.weights.get(&self.full(name), shape)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.weights.contains(&self.full(name))
    }

    pub fn path(&self) -> &Path {
        self.weights.path()
    }

    /// Shape of tensor `name` under this scope, if present.
    pub fn dims(&self, name: &str) -> Option<Vec<usize>> {
        self.weights.dims(&self.full(name))
    }

    /// Full name of `name` under this scope (for messages).
    pub fn name(&self, name: &str) -> String {
        self.full(name)
    }

    /// `weight` [out, in] and `bias` [out] of a linear layer.
    pub fn linear(&self, in_dim: usize, out_dim: usize) -> Result<candle_nn::Linear> {
        let w = self.get(&[out_dim, in_dim], "weight")?;
        let b = self.get(&[out_dim], "bias")?;
        Ok(candle_nn::Linear::new(w, Some(b)))
    }

    /// A layer norm; accepts both `weight`/`bias` and the old `gamma`/`beta` names.
    pub fn layer_norm(&self, dim: usize, eps: f64) -> Result<candle_nn::LayerNorm> {
        let (w, b) = if !self.contains("weight") && self.contains("gamma") {
            ("gamma", "beta")
        } else {
            ("weight", "bias")
        };
        Ok(candle_nn::LayerNorm::new(
            self.get(&[dim], w)?,
            self.get(&[dim], b)?,
            eps,
        ))
    }
}

/// Map a candle error during a forward pass to a located error.
pub(crate) fn tensor_err(what: &str) -> impl Fn(candle_core::Error) -> Error + '_ {
    move |e| Error::Tensor {
        name: what.to_string(),
        msg: e.to_string(),
    }
}
