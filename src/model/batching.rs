//! Length-sorted batches, padded to their longest member.
//!
//! Why: padding costs compute, so texts of similar length go together (as
//! sentence-transformers does). Ties are broken by the text itself, then the
//! input position, so the batch a text lands in does not depend on input order.
//! The fast encoder packs batches by a token budget instead ([`plan_tokens`]).

use super::bert::Batch;
use candle_core::{Device, Tensor};

/// Indices of `ids` in processing order: by length, then text, then position.
fn order(ids: &[Vec<u32>], texts: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&a, &b| {
        ids[a]
            .len()
            .cmp(&ids[b].len())
            .then_with(|| texts[a].cmp(texts[b]))
            .then(a.cmp(&b))
    });
    order
}

/// Indices of `ids` in processing order, cut into batches of at most `batch_size`.
pub fn plan(ids: &[Vec<u32>], texts: &[&str], batch_size: usize) -> Vec<Vec<usize>> {
    order(ids, texts)
        .chunks(batch_size.max(1))
        .map(|c| c.to_vec())
        .collect()
}

/// Processing order cut into packed batches of at most `budget` tokens (a
/// longer text gets a batch of its own).
pub fn plan_tokens(ids: &[Vec<u32>], texts: &[&str], budget: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur = Vec::new();
    let mut tokens = 0;
    for i in order(ids, texts) {
        let n = ids[i].len();
        if !cur.is_empty() && tokens + n > budget {
            out.push(std::mem::take(&mut cur));
            tokens = 0;
        }
        cur.push(i);
        tokens += n;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Build the padded tensors for one batch. Position ids count real tokens from
/// `offset` (RoBERTa: `pad_token_id + 1`); padding gets `pad_id` / position `pad_pos`.
pub fn make_batch(
    seqs: &[&[u32]],
    pad_id: u32,
    offset: usize,
    pad_pos: u32,
) -> candle_core::Result<Batch> {
    let b = seqs.len();
    let s = seqs.iter().map(|x| x.len()).max().unwrap_or(0).max(1);
    let mut ids = Vec::with_capacity(b * s);
    let mut pos = Vec::with_capacity(b * s);
    let mut mask = Vec::with_capacity(b * s);
    for seq in seqs {
        for j in 0..s {
            if let Some(&t) = seq.get(j) {
                ids.push(t);
                pos.push((offset + j) as u32);
                mask.push(1f32);
            } else {
                ids.push(pad_id);
                pos.push(pad_pos);
                mask.push(0f32);
            }
        }
    }
    let dev = Device::Cpu;
    Ok(Batch {
        input_ids: Tensor::from_vec(ids, (b, s), &dev)?,
        position_ids: Tensor::from_vec(pos, (b, s), &dev)?,
        mask: Tensor::from_vec(mask, (b, s), &dev)?,
    })
}
