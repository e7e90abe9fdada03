//! Pipeline: the main job, `whyline run`.
//!
//! ```text
//! ingest -> segment -> embed (cached) -> facets -> cluster -> insight -> report
//! ```
//!
//! Why: one orchestrator composes the stage modules, times them, reports
//! progress through a small trait (the CLI draws bars; tests stay silent),
//! and writes every output through a locked staging folder
//! ([`output`]). [`analyse`] is the part after segmentation, on plain
//! types, so it can be driven by tests and benches without files.

pub mod output;
mod run;

pub use run::{run, RunOptions, RunSummary};

use crate::classify::{FacetClassifier, FacetPrediction};
use crate::cluster::{self, Clustering};
use crate::config::Config;
use crate::embed::Embedder;
use crate::error::Result;
use crate::insight::{self, FacetResult, Insights};
use crate::segment::Segment;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Progress of the stages; every method has a silent default.
pub trait Progress: Sync {
    /// A stage starts; `total` items (0 when unknown).
    fn begin(&self, _stage: &str, _total: u64) {}
    /// Items done so far in the current stage.
    fn advance(&self, _done: u64) {}
    /// The current stage is done.
    fn end(&self) {}
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {}

/// Result of [`analyse`].
pub struct Analysis {
    /// All segments, in canonical order.
    pub segments: Vec<Segment>,
    /// Indices of analysed segments.
    pub analysed: Vec<usize>,
    pub facets: Vec<FacetResult>,
    pub clustering: Clustering,
    pub insights: Insights,
    /// Stage timings in milliseconds (run.json only).
    pub timings_ms: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
}

/// Canonical segment order: by source, position, then id. Independent of the
/// order in which inputs were listed.
pub fn canonical_order(segments: &mut [Segment]) {
    segments.sort_by(|a, b| {
        (&*a.source, a.line, a.record, a.span[0], a.id.as_str()).cmp(&(
            &*b.source,
            b.line,
            b.record,
            b.span[0],
            b.id.as_str(),
        ))
    });
}

/// Texts handed to the embedder per call by [`analyse`].
pub const EMBED_CHUNK: usize = 2048;

/// Embed texts, each distinct text once, with progress per batch.
pub fn embed_unique(
    embedder: &dyn Embedder,
    texts: &[&str],
    batch: usize,
    progress: &dyn Progress,
) -> Result<Vec<Vec<f32>>> {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut uniq: Vec<&str> = Vec::new();
    let slot: Vec<usize> = texts
        .iter()
        .map(|t| {
            *index.entry(t).or_insert_with(|| {
                uniq.push(t);
                uniq.len() - 1
            })
        })
        .collect();
    progress.begin("embed", uniq.len() as u64);
    // One cache lookup for every distinct text (not one per chunk: each
    // lookup reads the cache shards), then the misses in chunks for progress.
    let vecs = embedder.embed_chunked(&uniq, batch, &mut |done| progress.advance(done as u64))?;
    progress.end();
    Ok(slot.into_iter().map(|s| vecs[s].clone()).collect())
}

/// Everything after segmentation: embed, facets, cluster, insights.
pub fn analyse(
    mut segments: Vec<Segment>,
    embedder: &dyn Embedder,
    facets: &[Box<dyn FacetClassifier>],
    cfg: &Config,
    progress: &dyn Progress,
) -> Result<Analysis> {
    let mut timings = BTreeMap::new();
    let mut warnings = Vec::new();
    canonical_order(&mut segments);
    let analysed: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].is_signal())
        .collect();
    let texts: Vec<&str> = analysed
        .iter()
        .map(|&i| segments[i].text.as_str())
        .collect();

    let t = Instant::now();
    // Texts per embedding call (and per cache write, and per progress step):
    // the encoder batches and parallelises inside a call, so a call must hold
    // many batches; `model.batch_size` is the encoder's own forward batch.
    let embeddings = embed_unique(embedder, &texts, EMBED_CHUNK, progress)?;
    timings.insert("embed".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    let mut facet_results = Vec::new();
    if !facets.is_empty() && !texts.is_empty() {
        progress.begin("facets", facets.len() as u64);
        // The facets share the embeddings and run side by side (each facet's
        // predictions do not depend on the others, so the order of completion
        // changes nothing); results keep the configured facet order.
        let results: Vec<Result<Vec<FacetPrediction>>> = facets
            .par_iter()
            .map(|f| f.predict(&embeddings, &texts))
            .collect();
        for (f, preds) in facets.iter().zip(results) {
            facet_results.push(FacetResult {
                facet: f.facet().to_string(),
                fingerprint: f.fingerprint(),
                labels: f.labels().to_vec(),
                mode: f.mode(),
                predictions: preds?,
            });
        }
        progress.advance(facets.len() as u64);
        progress.end();
    }
    timings.insert("facets".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    progress.begin("cluster", 0);
    let keys: Vec<&str> = analysed.iter().map(|&i| segments[i].id.as_str()).collect();
    let clustering = cluster::cluster(&embeddings, &keys, &cfg.cluster);
    progress.end();
    timings.insert("cluster".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    progress.begin("insights", 0);
    let outcome = resolve_outcome(&segments, cfg.outcome.as_deref());
    if let Some(col) = cfg.outcome.as_deref().filter(|c| !c.is_empty()) {
        if outcome.as_ref().is_none_or(|o| o.values.is_empty()) {
            warnings.push(format!(
                "outcome column {col:?} not found in any document: impact not computed"
            ));
        }
    }
    let insights = insight::build(
        &insight::Input {
            segments: &segments,
            analysed: &analysed,
            embeddings: &embeddings,
            facets: &facet_results,
            clustering: &clustering,
            outcome: outcome.as_ref().filter(|o| !o.values.is_empty()),
        },
        &cfg.insight,
    );
    progress.end();
    timings.insert("insights".into(), t.elapsed().as_millis() as u64);
    if facets.is_empty() {
        warnings.push("facet classifiers did not run: no emotions, motivations or topics".into());
    }
    Ok(Analysis {
        segments,
        analysed,
        facets: facet_results,
        clustering,
        insights,
        timings_ms: timings,
        warnings,
    })
}

/// The configured outcome column, or the first known one present.
fn resolve_outcome(segments: &[Segment], column: Option<&str>) -> Option<insight::Outcome> {
    match column {
        Some("") => None,
        Some(c) => Some(insight::outcome_from_segments(segments, c)),
        None => insight::OUTCOME_COLUMNS.iter().find_map(|c| {
            let o = insight::outcome_from_segments(segments, c);
            (!o.values.is_empty()).then_some(o)
        }),
    }
}

#[derive(Serialize)]
struct FacetOut<'a> {
    labels: &'a [String],
    scores: BTreeMap<&'a str, f64>,
}

#[derive(Serialize)]
struct SegmentRow<'a> {
    #[serde(flatten)]
    segment: &'a Segment,
    facets: BTreeMap<&'a str, FacetOut<'a>>,
    theme: Option<String>,
}

/// `segments.jsonl`: every segment with its facets and theme.
pub fn segments_jsonl(a: &Analysis) -> String {
    let mut pos = vec![None; a.segments.len()];
    for (k, &i) in a.analysed.iter().enumerate() {
        pos[i] = Some(k);
    }
    let mut out = String::new();
    for (i, s) in a.segments.iter().enumerate() {
        let mut facets = BTreeMap::new();
        let mut theme = None;
        if let Some(k) = pos[i] {
            for f in &a.facets {
                if let Some(p) = f.predictions.get(k) {
                    let scores = f
                        .labels
                        .iter()
                        .zip(&p.scores)
                        .map(|(l, s)| (l.as_str(), ((*s as f64) * 1e4).round() / 1e4))
                        .collect();
                    facets.insert(
                        f.facet.as_str(),
                        FacetOut {
                            labels: &p.labels,
                            scores,
                        },
                    );
                }
            }
            theme = a.clustering.assignment[k].map(insight::theme_id);
        }
        let row = SegmentRow {
            segment: s,
            facets,
            theme,
        };
        if let Ok(line) = serde_json::to_string(&row) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
