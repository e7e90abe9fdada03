//! Facet predictions kept between runs, beside the embeddings.
//!
//! Why: a nightly re-run sees mostly texts it has already classified; their
//! embeddings come from the cache, and so can their labels and scores. A
//! prediction is stored under (encoder fingerprint, the classifier's layers
//! and fingerprint, whyline's version, exact text) in the embedding cache's
//! shard files (`facets-<hash>` next to the encoders' folders), so `whyline
//! cache stats|prune` see and bound it like embeddings. A stored prediction
//! is the computed one bit for bit (scores as f32, labels as indices), so a
//! run from the cache writes the same bytes as a run without it.

use super::{FacetClassifier, FacetPrediction};
use crate::embed::EmbeddingCache;
use crate::error::Result;

/// Version of the record layout below; part of every key.
const FORMAT: &str = "facet-predictions-v1";

/// Facet predictions in an [`EmbeddingCache`].
#[derive(Debug, Clone)]
pub struct FacetCache {
    store: EmbeddingCache,
}

impl FacetCache {
    pub fn new(store: EmbeddingCache) -> Self {
        Self { store }
    }

    /// Folder name for one classifier reading one encoder's vectors: a hash,
    /// so any change to either (weights, thresholds, taxonomy, layers) or to
    /// whyline's version starts afresh.
    pub fn fingerprint(encoder: &str, f: &dyn FacetClassifier) -> String {
        let desc = format!(
            "{FORMAT}\x1f{}\x1f{encoder}\x1f{:?}\x1f{}\x1f{}",
            env!("CARGO_PKG_VERSION"),
            f.layers(),
            f.facet(),
            f.fingerprint()
        );
        format!("facets-{}", &crate::util::sha256_hex(desc.as_bytes())[..32])
    }

    /// Cached predictions of `f` for `texts` (None where not cached).
    pub fn get(
        &self,
        encoder: &str,
        f: &dyn FacetClassifier,
        texts: &[&str],
    ) -> Result<Vec<Option<FacetPrediction>>> {
        let labels = f.labels();
        let got =
            self.store
                .get_many(&Self::fingerprint(encoder, f), width(labels.len()), texts)?;
        Ok(got
            .into_iter()
            .map(|r| r.and_then(|r| decode(labels, &r)))
            .collect())
    }

    /// Store predictions of `f` (those naming a label `f` does not have are skipped).
    pub fn put(
        &self,
        encoder: &str,
        f: &dyn FacetClassifier,
        items: &[(&str, &FacetPrediction)],
    ) -> Result<()> {
        let labels = f.labels();
        let recs: Vec<(&str, Vec<f32>)> = items
            .iter()
            .filter_map(|(t, p)| encode(labels, p).map(|r| (*t, r)))
            .collect();
        let refs: Vec<(&str, &[f32])> = recs.iter().map(|(t, r)| (*t, r.as_slice())).collect();
        self.store.put_many(&Self::fingerprint(encoder, f), &refs)
    }
}

/// Values per record with `n` labels: the scores, the number of predicted
/// labels, their indices (padded with -1).
fn width(n: usize) -> usize {
    2 * n + 1
}

fn encode(labels: &[String], p: &FacetPrediction) -> Option<Vec<f32>> {
    let n = labels.len();
    if p.scores.len() != n || p.labels.len() > n {
        return None;
    }
    let mut r = Vec::with_capacity(width(n));
    r.extend_from_slice(&p.scores);
    r.push(p.labels.len() as f32);
    for l in &p.labels {
        r.push(labels.iter().position(|x| x == l)? as f32);
    }
    r.resize(width(n), -1.0);
    Some(r)
}

fn decode(labels: &[String], r: &[f32]) -> Option<FacetPrediction> {
    let n = labels.len();
    if r.len() != width(n) {
        return None;
    }
    let count = r[n];
    if !(0.0..=n as f32).contains(&count) || count.fract() != 0.0 {
        return None;
    }
    let chosen = r[n + 1..n + 1 + count as usize]
        .iter()
        .map(|&i| {
            let ok = i >= 0.0 && i.fract() == 0.0 && (i as usize) < n;
            ok.then(|| labels[i as usize].clone())
        })
        .collect::<Option<Vec<String>>>()?;
    Some(FacetPrediction {
        labels: chosen,
        scores: r[..n].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["joy", "anger", "fear"].map(String::from).to_vec()
    }

    #[test]
    fn prediction_records_round_trip_bit_for_bit() {
        let p = FacetPrediction {
            labels: vec!["fear".into(), "joy".into()],
            scores: vec![f32::from_bits(0x3e99_999b), 1e-9, 0.9],
        };
        let r = encode(&labels(), &p).unwrap();
        assert_eq!(r.len(), 7);
        assert_eq!(decode(&labels(), &r), Some(p));
        let none = FacetPrediction {
            labels: vec![],
            scores: vec![0.1, 0.2, 0.3],
        };
        assert_eq!(
            decode(&labels(), &encode(&labels(), &none).unwrap()),
            Some(none)
        );
    }

    #[test]
    fn foreign_or_damaged_prediction_records_are_not_used() {
        let stranger = FacetPrediction {
            labels: vec!["surprise".into()],
            scores: vec![0.1, 0.2, 0.3],
        };
        assert_eq!(encode(&labels(), &stranger), None);
        let short = FacetPrediction {
            labels: vec![],
            scores: vec![0.1],
        };
        assert_eq!(encode(&labels(), &short), None);
        // a count or index out of range, a record of another width
        assert_eq!(
            decode(&labels(), &[0.1, 0.2, 0.3, 4.0, 0.0, 1.0, 2.0]),
            None
        );
        assert_eq!(
            decode(&labels(), &[0.1, 0.2, 0.3, 1.0, 3.0, -1.0, -1.0]),
            None
        );
        assert_eq!(decode(&labels(), &[0.1, 0.2, 0.3, 1.0]), None);
    }
}
