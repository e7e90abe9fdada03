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

use crate::classify::{FacetCache, FacetClassifier, FacetPrediction};
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
    /// The warnings a report's reader needs to weigh its insights (also in
    /// `warnings`): shown at the top of `report.md` and `report.html`.
    pub cautions: Vec<String>,
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

/// Texts embedded and classified together by [`analyse`] when a head reads
/// layer features (dropped once the facets have read them): ~230 MB of
/// MiniLM features with layers 5 and 4; each chunk reads the cache once.
pub const FEATURE_CHUNK: usize = 50_000;

/// Progress of one chunk reported as part of a stage that spans all chunks.
struct Offset<'a> {
    inner: &'a dyn Progress,
    base: u64,
}

impl Progress for Offset<'_> {
    fn advance(&self, done: u64) {
        self.inner.advance(self.base + done);
    }
}

/// Embed texts, each distinct text once, with progress per batch.
pub fn embed_unique(
    embedder: &dyn Embedder,
    texts: &[&str],
    batch: usize,
    progress: &dyn Progress,
) -> Result<Vec<Vec<f32>>> {
    embed_unique_layers(embedder, texts, &[], batch, progress)
}

/// As [`embed_unique`], each vector followed by the pooled hidden states of
/// `layers` (see [`Embedder::embed_layers`]).
pub fn embed_unique_layers(
    embedder: &dyn Embedder,
    texts: &[&str],
    layers: &[usize],
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
    let vecs = embedder.embed_layers(&uniq, layers, batch, &mut |done| {
        progress.advance(done as u64)
    })?;
    progress.end();
    Ok(slot.into_iter().map(|s| vecs[s].clone()).collect())
}

/// Everything after segmentation: embed, facets, cluster, insights.
pub fn analyse(
    segments: Vec<Segment>,
    embedder: &dyn Embedder,
    facets: &[Box<dyn FacetClassifier>],
    cfg: &Config,
    progress: &dyn Progress,
) -> Result<Analysis> {
    analyse_cached(segments, embedder, facets, None, cfg, progress)
}

/// [`analyse`], with facet predictions taken from `cache` where it has them
/// and the new ones stored there (the results are the same either way: a
/// cached prediction is the computed one, bit for bit).
pub fn analyse_cached(
    segments: Vec<Segment>,
    embedder: &dyn Embedder,
    facets: &[Box<dyn FacetClassifier>],
    cache: Option<&FacetCache>,
    cfg: &Config,
    progress: &dyn Progress,
) -> Result<Analysis> {
    analyse_in_chunks(
        segments,
        embedder,
        facets,
        cache,
        cfg,
        progress,
        FEATURE_CHUNK,
    )
}

/// Per facet, per text: the prediction once known.
type Known = Vec<Vec<Option<FacetPrediction>>>;

/// Run each facet on the texts among `rows` it has no prediction for.
/// `x[p]` holds the vectors of text `rows[p]` (the embedding, then the
/// layers `have`); `computed[f]` collects the rows facet `f` predicted.
fn classify_missing(
    facets: &[Box<dyn FacetClassifier>],
    known: &mut Known,
    computed: &mut [Vec<usize>],
    rows: &[usize],
    x: &[Vec<f32>],
    texts: &[&str],
    (dim, have): (usize, &[usize]),
) -> Result<()> {
    // The facets share the vectors and run side by side (each facet's
    // predictions do not depend on the others, so the order of completion
    // changes nothing); results keep the configured order.
    let results: Vec<Result<Vec<(usize, FacetPrediction)>>> = facets
        .par_iter()
        .zip(known.par_iter())
        .map(|(f, kn)| {
            let miss: Vec<usize> = (0..rows.len()).filter(|&p| kn[rows[p]].is_none()).collect();
            if miss.is_empty() {
                return Ok(Vec::new());
            }
            let preds = if miss.len() == rows.len() {
                let xf = crate::classify::select_layers(x, dim, have, f.layers())?;
                f.predict(&xf, texts)?
            } else {
                let xs: Vec<Vec<f32>> = miss.iter().map(|&p| x[p].clone()).collect();
                let ts: Vec<&str> = miss.iter().map(|&p| texts[p]).collect();
                let xf = crate::classify::select_layers(&xs, dim, have, f.layers())?;
                f.predict(&xf, &ts)?
            };
            if preds.len() != miss.len() {
                return Err(crate::Error::Other(format!(
                    "facet {}: {} predictions for {} texts",
                    f.facet(),
                    preds.len(),
                    miss.len()
                )));
            }
            Ok(miss.iter().map(|&p| rows[p]).zip(preds).collect())
        })
        .collect();
    for ((kn, done), r) in known.iter_mut().zip(computed.iter_mut()).zip(results) {
        for (i, p) in r? {
            kn[i] = Some(p);
            done.push(i);
        }
    }
    Ok(())
}

/// Documents judged for their language need this many words.
const LANGUAGE_MIN_WORDS: usize = 8;

/// A warning when a tenth or more of the documents (of those with enough
/// words to judge, at least 5) do not read as English: the default encoder
/// and the shipped heads were trained on English text, so such documents
/// cluster by language and vocabulary, not by what they say.
/// A corpus below this many analysed segments is small for the caution of
/// [`small_corpus_caution`] (where the resolution is raised in full).
const SMALL_CORPUS: usize = cluster::RAISE_FULL_AT;

/// On a small corpus, many outliers may be a topic Louvain could not keep:
/// at resolution 3 no theme holds a third of the graph, so a topic with a
/// third or more of a few dozen sentences is split, and a tight one (answers
/// repeated word for word) can shatter below the size floor (README, "Small
/// corpora"). Said when at least 10 segments and a quarter of the analysed
/// ones are in no theme (0–12% on Banking77 samples of 50–150 messages; 45%
/// on a 24-respondent survey whose crash answers were 43% of it).
fn small_corpus_caution(analysed: usize, outliers: usize) -> Option<String> {
    (analysed < SMALL_CORPUS && outliers >= 10 && outliers * 4 >= analysed).then(|| {
        format!(
            "{outliers} of {analysed} analysed segments ({:.0}%) are in no theme: on a corpus \
             this small a topic holding a third or more of the sentences can be split or left \
             among the outliers (README, \"Small corpora\"); `[cluster] resolution = 1.5` in \
             whyline.toml gives fewer, larger themes",
            100.0 * outliers as f64 / analysed as f64
        )
    })
}

fn language_warning(segments: &[Segment], analysed: &[usize]) -> Option<String> {
    let counts: Vec<(usize, usize)> = analysed
        .par_iter()
        .map(|&i| crate::segment::english_word_counts(&segments[i].text))
        .collect();
    let mut per_doc: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (&i, (k, a)) in analysed.iter().zip(counts) {
        let e = per_doc.entry(&segments[i].doc).or_default();
        *e = (e.0 + k, e.1 + a);
    }
    let judged: Vec<&(usize, usize)> = per_doc
        .values()
        .filter(|c| c.1 >= LANGUAGE_MIN_WORDS)
        .collect();
    let other = judged
        .iter()
        .filter(|&&&c| !crate::segment::reads_as_english(c))
        .count();
    (judged.len() >= 5 && other * 10 >= judged.len()).then(|| {
        format!(
            "{other} of {} documents ({:.0}%) do not read as English (under half their words are \
             common English words): the default encoder ({}) and the shipped emotion and \
             motivation heads read English, so these documents group by language rather than \
             by what they say; give a multilingual encoder (--encoder) and heads trained on it \
             (README, \"Models\")",
            judged.len(),
            100.0 * other as f64 / judged.len() as f64,
            crate::model::DEFAULT_ENCODER
        )
    })
}

/// [`analyse`] with `chunk` texts embedded and classified together (the
/// results do not depend on it; tests use small chunks).
fn analyse_in_chunks(
    mut segments: Vec<Segment>,
    embedder: &dyn Embedder,
    facets: &[Box<dyn FacetClassifier>],
    cache: Option<&FacetCache>,
    cfg: &Config,
    progress: &dyn Progress,
    chunk: usize,
) -> Result<Analysis> {
    let mut timings = BTreeMap::new();
    let mut warnings = Vec::new();
    canonical_order(&mut segments);
    let analysed: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].is_signal())
        .collect();
    // What the encoder and the facets read: the text without redaction
    // masks (the segments keep theirs, for quotes and keywords).
    let encoder_texts: Vec<std::borrow::Cow<'_, str>> = analysed
        .iter()
        .map(|&i| crate::util::encoder_text(&segments[i].text))
        .collect();
    let texts = crate::util::strs(&encoder_texts);
    let n = texts.len();
    let default_encoder = cfg.model.encoder.as_deref().is_none_or(|e| {
        e.trim_end_matches('/')
            .ends_with(crate::model::DEFAULT_ENCODER)
    });
    let mut cautions = Vec::new();
    if default_encoder {
        cautions.extend(language_warning(&segments, &analysed));
    }
    warnings.extend(cautions.iter().cloned());

    let t = Instant::now();
    // Predictions a previous run left in the cache: their texts need only
    // their embedding (for clustering), not the facets' layer features.
    let mut known: Known = Vec::with_capacity(facets.len());
    for f in facets {
        let got = match cache.filter(|_| n > 0) {
            Some(c) => c
                .get(embedder.fingerprint(), f.as_ref(), &texts)
                .unwrap_or_else(|e| {
                    warnings.push(format!(
                        "facet cache not read for {} ({e}): classifying every text",
                        f.facet()
                    ));
                    vec![None; n]
                }),
            None => vec![None; n],
        };
        known.push(got);
    }
    let mut facet_time = t.elapsed();
    let mut computed: Vec<Vec<usize>> = vec![Vec::new(); facets.len()];

    // Trained heads may read pooled hidden states of earlier layers after the
    // embedding (`fit --layers`): computed in the same encoder pass. They are
    // 3-4 times the size of the embeddings, so the texts that need them go
    // through embed and facets in chunks and only the embeddings (for
    // clustering and insights) are kept: memory stays bounded by the chunk,
    // not the corpus. The other texts are embedded in one call (each call
    // reads the cache once).
    let layers = crate::classify::layers_needed(facets.iter().map(|f| f.as_ref()));
    let dim = embedder.dim();
    let needs_layers = |i: usize| {
        facets
            .iter()
            .zip(&known)
            .any(|(f, kn)| !f.layers().is_empty() && kn[i].is_none())
    };
    let (deep, plain): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| !layers.is_empty() && needs_layers(i));
    let deep_chunks: Vec<&[usize]> = deep.chunks(chunk.max(1)).collect();
    // Progress counts distinct texts (each is embedded once per call).
    let distinct = |rows: &[usize]| {
        rows.iter()
            .map(|&i| texts[i])
            .collect::<std::collections::HashSet<_>>()
            .len() as u64
    };
    let total = distinct(&plain) + deep_chunks.iter().map(|c| distinct(c)).sum::<u64>();
    progress.begin("embed", total);
    let mut done = 0;
    let mut embeddings: Vec<Vec<f32>> = vec![Vec::new(); n];
    // Texts per embedding call (and per cache write, and per progress step):
    // the encoder batches and parallelises inside a call, so a call must hold
    // many batches; `model.batch_size` is the encoder's own forward batch.
    if !plain.is_empty() {
        let ts: Vec<&str> = plain.iter().map(|&i| texts[i]).collect();
        let x = embed_unique_layers(
            embedder,
            &ts,
            &[],
            EMBED_CHUNK,
            &Offset {
                inner: progress,
                base: done,
            },
        )?;
        done += distinct(&plain);
        let tf = Instant::now();
        // a facet reading layers has every one of these texts already
        classify_missing(
            facets,
            &mut known,
            &mut computed,
            &plain,
            &x,
            &ts,
            (dim, &[]),
        )?;
        facet_time += tf.elapsed();
        for (&i, v) in plain.iter().zip(x) {
            embeddings[i] = v;
        }
    }
    for rows in deep_chunks {
        let ts: Vec<&str> = rows.iter().map(|&i| texts[i]).collect();
        let x = embed_unique_layers(
            embedder,
            &ts,
            &layers,
            EMBED_CHUNK,
            &Offset {
                inner: progress,
                base: done,
            },
        )?;
        done += distinct(rows);
        let tf = Instant::now();
        classify_missing(
            facets,
            &mut known,
            &mut computed,
            rows,
            &x,
            &ts,
            (dim, &layers),
        )?;
        facet_time += tf.elapsed();
        for (&i, v) in rows.iter().zip(&x) {
            embeddings[i] = v[..dim.min(v.len())].to_vec();
        }
    }
    progress.end();
    let tf = Instant::now();
    if let Some(c) = cache {
        for ((f, kn), rows) in facets.iter().zip(&known).zip(&computed) {
            let mut seen = std::collections::HashSet::new();
            let items: Vec<(&str, &FacetPrediction)> = rows
                .iter()
                .filter(|&&i| seen.insert(texts[i]))
                .filter_map(|&i| kn[i].as_ref().map(|p| (texts[i], p)))
                .collect();
            if let Err(e) = c.put(embedder.fingerprint(), f.as_ref(), &items) {
                warnings.push(format!("facet cache not written for {} ({e})", f.facet()));
            }
        }
    }
    let mut predictions: Vec<Vec<FacetPrediction>> = Vec::with_capacity(facets.len());
    for (f, kn) in facets.iter().zip(known) {
        predictions.push(kn.into_iter().collect::<Option<Vec<_>>>().ok_or_else(|| {
            crate::Error::Other(format!("facet {}: a text was left unclassified", f.facet()))
        })?);
    }
    facet_time += tf.elapsed();
    timings.insert(
        "embed".into(),
        t.elapsed().saturating_sub(facet_time).as_millis() as u64,
    );

    let mut facet_results = Vec::new();
    if !facets.is_empty() && !texts.is_empty() {
        progress.begin("facets", facets.len() as u64);
        for (f, preds) in facets.iter().zip(predictions) {
            facet_results.push(FacetResult {
                facet: f.facet().to_string(),
                fingerprint: f.fingerprint(),
                labels: f.labels().to_vec(),
                mode: f.mode(),
                predictions: preds,
            });
        }
        progress.advance(facets.len() as u64);
        progress.end();
    }
    timings.insert("facets".into(), facet_time.as_millis() as u64);

    let t = Instant::now();
    progress.begin("cluster", cluster::knn::tile_count(analysed.len()));
    let keys: Vec<String> = analysed
        .iter()
        .map(|&i| cluster_key(&segments[i]))
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let clustering =
        cluster::cluster_with_progress(&embeddings, &keys, &cfg.cluster, &|d| progress.advance(d));
    progress.end();
    drop(texts);
    drop(encoder_texts);
    let mut analysed = analysed;
    let (clustering, chatter) = set_apart_chatter(
        &mut segments,
        &mut analysed,
        &mut embeddings,
        &mut facet_results,
        clustering,
        embedder,
        &cfg.cluster,
        progress,
    )?;
    if chatter > 0 {
        warnings.push(format!(
            "{chatter} theme(s) of small talk set apart as noise `chatter` (README, \"Small talk the rules miss\")"
        ));
    }
    if let Some(c) = small_corpus_caution(analysed.len(), clustering.outliers()) {
        warnings.push(c.clone());
        cautions.push(c);
    }
    timings.insert("cluster".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    progress.begin("insights", 0);
    let outcome = resolve_outcome(&segments, cfg.outcome.as_deref());
    warnings.extend(column_warning(
        ("outcome", "a number", "impact", "is"),
        outcome.as_ref().map(|o| {
            (
                o.column.as_str(),
                o.unread,
                o.values.is_empty(),
                o.first_unread.as_deref(),
            )
        }),
        cfg.outcome.as_deref(),
    ));
    let dates = insight::trend::resolve_dates(&segments, cfg.date.as_deref());
    warnings.extend(column_warning(
        ("date", "a date", "trends", "are"),
        dates.as_ref().map(|d| {
            (
                d.column.as_str(),
                d.unread,
                d.days.is_empty(),
                d.first_unread.as_deref(),
            )
        }),
        cfg.date.as_deref(),
    ));
    let named_by: Option<Vec<String>> = cfg.by.as_ref().map(crate::config::Fields::names);
    let groups = insight::breakdown::resolve_groups(&segments, named_by.as_deref());
    let analysed_docs: std::collections::BTreeSet<&str> =
        analysed.iter().map(|&i| &*segments[i].doc).collect();
    warnings.extend(
        groups
            .iter()
            .filter_map(|g| breakdown_warning(g, &analysed_docs)),
    );
    let insights = insight::build(
        &insight::Input {
            segments: &segments,
            analysed: &analysed,
            embeddings: &embeddings,
            facets: &facet_results,
            clustering: &clustering,
            outcome: outcome.as_ref().filter(|o| !o.values.is_empty()),
            dates: dates.as_ref().filter(|d| !d.days.is_empty()),
            groups: &groups,
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
        cautions,
    })
}

/// The warning for a document column a run reads (the outcome, the date):
/// values it could not read, or a column named in the configuration and found
/// in no document. `what`: the column's role, what its values must be, what
/// they feed and its verb ("outcome", "a number", "impact", "is"); `read`:
/// the column as found, its unread values, whether none was read, and the
/// first unread one.
fn column_warning(
    (what, kind, target, verb): (&str, &str, &str, &str),
    read: Option<(&str, usize, bool, Option<&str>)>,
    named: Option<&str>,
) -> Option<String> {
    match (read, named) {
        (Some((column, unread, none, first)), _) if unread > 0 => Some(format!(
            "{what} column {column:?}: {unread} document(s) hold a value that is not {kind}, left out of the {target}{} (first: {})",
            if none { format!(", which {verb} not computed") } else { String::new() },
            first.unwrap_or("?"),
        )),
        (read, Some(col)) if !col.is_empty() && read.is_none_or(|(_, _, none, _)| none) => Some(
            format!("{what} column {col:?} not found in any document: {target} not computed"),
        ),
        _ => None,
    }
}

/// Why a breakdown column breaks nothing down: found in no document, a
/// different value in most documents (an id, free text), or fewer than two
/// values held by enough documents; None when it is used.
fn breakdown_warning(
    g: &insight::breakdown::Groups,
    analysed_docs: &std::collections::BTreeSet<&str>,
) -> Option<String> {
    use insight::breakdown::{Table, MIN_VALUE};
    let column = &g.column;
    if g.values.is_empty() {
        return Some(format!(
            "breakdown column {column:?} not found in any document: no breakdown"
        ));
    }
    if g.mostly_unique() {
        return Some(format!(
            "breakdown column {column:?} holds a different value in most documents (an id or free text?): no breakdown"
        ));
    }
    Table::new(g, analysed_docs.iter().copied()).is_none().then(|| {
        format!(
            "breakdown column {column:?}: fewer than two values held by {MIN_VALUE} documents or more: no breakdown"
        )
    })
}

/// At most this many distinct greetings, thanks, closings and fillers
/// (the first by the hash of their text, so independent of input order) are
/// embedded as the exemplars of small talk for [`cluster::chatter_themes`].
const CHATTER_EXEMPLARS: usize = 2000;

/// Small talk the noise rules missed ("thats it for today have a great
/// day", "ok sure i am waiting") gathers into themes of its own that would
/// rank among the insights. Such a theme's centroid sits among the segments
/// the rules did set apart as greetings, thanks, closings and fillers
/// ([`cluster::chatter_themes`]); its members are set apart as noise
/// `chatter` and leave the analysed segments (with their embeddings and
/// facet predictions). Returns the remaining clustering and how many themes
/// were set apart.
#[allow(clippy::too_many_arguments)]
fn set_apart_chatter(
    segments: &mut [Segment],
    analysed: &mut Vec<usize>,
    embeddings: &mut Vec<Vec<f32>>,
    facets: &mut [FacetResult],
    clustering: Clustering,
    embedder: &dyn Embedder,
    cfg: &cluster::ClusterConfig,
    progress: &dyn Progress,
) -> Result<(Clustering, usize)> {
    use crate::segment::Noise;
    if cfg.chatter_similarity <= 0.0 || clustering.themes.is_empty() {
        return Ok((clustering, 0));
    }
    let mut small_talk: Vec<(String, std::borrow::Cow<'_, str>)> = segments
        .iter()
        .filter(|s| {
            matches!(
                s.noise,
                Some(Noise::Greeting | Noise::Closing | Noise::Filler)
            )
        })
        .map(|s| {
            let t = crate::util::encoder_text(&s.text);
            (crate::util::sha256_hex(t.as_bytes()), t)
        })
        .collect();
    small_talk.sort();
    small_talk.dedup();
    small_talk.truncate(CHATTER_EXEMPLARS);
    if small_talk.len() < cluster::CHATTER_NEIGHBOURS {
        return Ok((clustering, 0));
    }
    let texts: Vec<&str> = small_talk.iter().map(|(_, t)| t.as_ref()).collect();
    progress.begin("chatter", texts.len() as u64);
    let exemplars = embedder.embed_layers(&texts, &[], EMBED_CHUNK, &mut |done| {
        progress.advance(done as u64)
    })?;
    progress.end();
    let drop = cluster::chatter_themes(&clustering.themes, &exemplars, cfg.chatter_similarity);
    if drop.is_empty() {
        return Ok((clustering, 0));
    }
    let (clustering, keep) = cluster::drop_themes(&clustering, &drop);
    fn keep_of<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut k = keep.iter();
        v.retain(|_| *k.next().unwrap_or(&true));
    }
    for (&i, &k) in analysed.iter().zip(&keep) {
        if !k {
            segments[i].noise = Some(Noise::Chatter);
        }
    }
    keep_of(analysed, &keep);
    keep_of(embeddings, &keep);
    for f in facets.iter_mut() {
        keep_of(&mut f.predictions, &keep);
    }
    Ok((clustering, drop.len()))
}

/// A segment's place in the clustering's canonical order: its text's hash,
/// then its position in its document, then its id. Not the id first: ids
/// derive from the input path as given, and the same files named another way
/// (`./calls` or `/home/me/calls`, or moved) must give the same themes.
fn cluster_key(s: &Segment) -> String {
    format!(
        "{}:{:020}:{:020}:{:020}:{}",
        &crate::util::sha256_hex(s.text.as_bytes())[..32],
        s.line.unwrap_or(0),
        s.record.unwrap_or(0),
        s.span[0],
        s.id
    )
}

/// The configured outcome column, or the first known one that holds numbers
/// (else the first that holds anything, so that the run can say why it
/// computed no impact). Known: [`insight::OUTCOME_COLUMNS`], then any column
/// [`names_a_rating`] (`Overall Rating`, `Rating (1-5)`, "How likely are you
/// to recommend us?") or that Qualtrics groups as an NPS question (`Q1`
/// beside its `Q1_NPS_GROUP`), in name order.
fn resolve_outcome(segments: &[Segment], column: Option<&str>) -> Option<insight::Outcome> {
    match column {
        Some("") => None,
        Some(c) => Some(insight::outcome_from_segments(segments, c)),
        None => {
            let mut named: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
            for s in segments {
                named.extend(
                    s.meta
                        .keys()
                        .map(String::as_str)
                        .filter(|k| names_a_rating(k)),
                );
                // Qualtrics writes an NPS question's group beside its score
                named.extend(s.meta.keys().filter_map(|k| {
                    let cut = k.len().checked_sub("_NPS_GROUP".len())?;
                    let (score, group) = (k.get(..cut)?, k.get(cut..)?);
                    (group.eq_ignore_ascii_case("_NPS_GROUP") && s.meta.contains_key(score))
                        .then_some(score)
                }));
            }
            let found: Vec<insight::Outcome> = insight::OUTCOME_COLUMNS
                .iter()
                .copied()
                .chain(named)
                .map(|c| insight::outcome_from_segments(segments, c))
                .filter(|o| !o.values.is_empty() || o.unread > 0)
                .collect();
            let numbers = found.iter().position(|o| !o.values.is_empty());
            found.into_iter().nth(numbers.unwrap_or(0))
        }
    }
}

/// Whether a column name holds the word `rating`, `stars`, `nps` or `csat`,
/// or asks the NPS or satisfaction question as forms write it in the header
/// (`recommend`, `satisfied`, `satisfaction`: "How likely are you to
/// recommend us to a friend?"); words split at anything but letters and
/// digits, so not `operating_system`.
fn names_a_rating(name: &str) -> bool {
    name.split(|c: char| !c.is_alphanumeric()).any(|w| {
        [
            "rating",
            "stars",
            "nps",
            "csat",
            "recommend",
            "satisfied",
            "satisfaction",
        ]
        .iter()
        .any(|r| w.eq_ignore_ascii_case(r))
    })
}

/// One facet's prediction for a segment.
#[derive(Serialize, schemars::JsonSchema)]
struct FacetOut<'a> {
    /// The labels predicted (above their thresholds; one for a single-label
    /// facet).
    labels: &'a [String],
    /// Every label's score, 4 decimals.
    scores: BTreeMap<&'a str, f64>,
}

/// A line of `segments.jsonl`: the segment as `whyline ingest` writes it,
/// with its facets and theme.
/// (`facets` and `theme` are always written to `segments.jsonl`; the schema
/// leaves them optional so that it reads `whyline ingest`'s lines too.)
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(title = "Segment")]
struct SegmentRow<'a> {
    #[serde(flatten)]
    segment: &'a Segment,
    /// Each facet's prediction, by facet name; empty for noise segments.
    #[serde(default)]
    facets: BTreeMap<&'a str, FacetOut<'a>>,
    /// The theme id (`theme-001`, as in `insights.json`); null for noise and
    /// outliers.
    #[serde(default)]
    theme: Option<String>,
}

/// The JSON Schema (draft 2020-12) of a line of `segments.jsonl`, as
/// [`insight::json_schema`] gives `insights.json`'s (`whyline schema
/// segment`, `docs/schema/segment.schema.json`). A line of `whyline ingest`
/// is the same without `facets` and `theme`.
pub fn segment_schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(SegmentRow<'static>))
        .unwrap_or_default();
    s.push('\n');
    s
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::LabelMode;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    /// The first four bytes of the hex sha256 of `t`: a fake encoder's seed.
    fn hash_bytes(t: &str) -> [u8; 4] {
        let h = crate::util::sha256_hex(t.as_bytes());
        let b = h.as_bytes();
        [b[0], b[1], b[2], b[3]]
    }

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// Vectors from the text's bytes; layer `l`'s part is the embedding
    /// rotated by `l` places (so each layer differs). Counts the texts it
    /// computed layer features for.
    #[derive(Default)]
    struct Layered(AtomicUsize);
    impl Embedder for Layered {
        fn fingerprint(&self) -> &str {
            "fake-layered"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| unit(hash_bytes(t).map(f32::from).to_vec()))
                .collect())
        }
        fn embed_layers(
            &self,
            texts: &[&str],
            layers: &[usize],
            _chunk: usize,
            _progress: &mut dyn FnMut(usize),
        ) -> Result<Vec<Vec<f32>>> {
            if !layers.is_empty() {
                self.0.fetch_add(texts.len(), SeqCst);
            }
            Ok(self
                .embed(texts)?
                .into_iter()
                .map(|e| {
                    let mut v = e.clone();
                    for &l in layers {
                        v.extend((0..4).map(|i| e[(i + l) % 4]));
                    }
                    v
                })
                .collect())
        }
    }

    /// Scores = its input vector's values (checks which layers it was given).
    struct Echo {
        facet: String,
        layers: Vec<usize>,
        labels: Vec<String>,
        /// Texts predicted so far.
        rows: Arc<AtomicUsize>,
    }
    impl FacetClassifier for Echo {
        fn facet(&self) -> &str {
            &self.facet
        }
        fn fingerprint(&self) -> String {
            format!("echo:{}", self.facet)
        }
        fn labels(&self) -> &[String] {
            &self.labels
        }
        fn mode(&self) -> LabelMode {
            LabelMode::MultiLabel
        }
        fn layers(&self) -> &[usize] {
            &self.layers
        }
        fn predict(&self, x: &[Vec<f32>], _texts: &[&str]) -> Result<Vec<FacetPrediction>> {
            self.rows.fetch_add(x.len(), SeqCst);
            x.iter()
                .map(|v| {
                    if v.len() != self.labels.len() {
                        return Err(crate::Error::Other(format!("{} values", v.len())));
                    }
                    // the label of the largest value
                    let top = crate::classify::decide(LabelMode::SingleLabel, v, &[], false);
                    Ok(FacetPrediction {
                        labels: top.iter().map(|&i| self.labels[i].clone()).collect(),
                        scores: v.clone(),
                    })
                })
                .collect()
        }
    }

    fn echo(facet: &str, layers: &[usize]) -> Box<dyn FacetClassifier> {
        echo_counted(facet, layers, Default::default())
    }

    fn echo_counted(
        facet: &str,
        layers: &[usize],
        rows: Arc<AtomicUsize>,
    ) -> Box<dyn FacetClassifier> {
        Box::new(Echo {
            facet: facet.into(),
            layers: layers.to_vec(),
            labels: (0..4 * (1 + layers.len()))
                .map(|i| format!("v{i}"))
                .collect(),
            rows,
        })
    }

    #[test]
    fn a_rating_column_under_another_name_is_found() {
        // was: "Overall Rating" gave no impact unless named with --outcome
        let mut segs = segments(6);
        for (i, s) in segs.iter_mut().enumerate() {
            s.meta
                .insert("Overall Rating".into(), serde_json::json!(i % 5 + 1));
            s.meta
                .insert("operating_system".into(), serde_json::json!(10));
        }
        let o = resolve_outcome(&segs, None).expect("a rating column");
        assert_eq!(o.column, "Overall Rating");
        assert_eq!(o.values.len(), 2, "6 segments of 2 documents");
        // the known names come first
        for s in segs.iter_mut() {
            s.meta.insert("score".into(), serde_json::json!(7));
        }
        assert_eq!(resolve_outcome(&segs, None).unwrap().column, "score");
        assert!(names_a_rating("Rating (1-5)") && names_a_rating("NPS"));
        assert!(!names_a_rating("operating_system") && !names_a_rating("starship"));
        // a form's NPS and satisfaction questions, asked in the header
        assert!(names_a_rating(
            "How likely are you to recommend Acme to a friend?"
        ));
        assert!(names_a_rating("How satisfied are you with Acme overall?"));
        assert!(!names_a_rating("What should we improve first?"));
    }

    #[test]
    fn many_outliers_on_a_small_corpus_carry_a_caution() {
        // was: a survey of 24 respondents lost its 18 answers about crashes
        // to the outliers (43% of its sentences, more than resolution 3 lets
        // one theme hold), and the report did not say why
        let c = small_corpus_caution(42, 19).expect("a caution");
        assert!(
            c.starts_with("19 of 42 analysed segments (45%) are in no theme"),
            "{c}"
        );
        assert!(c.contains("resolution = 1.5"), "{c}");
        // a night of calls with a few outliers, or a large corpus: none
        assert_eq!(small_corpus_caution(51, 9), None);
        assert_eq!(small_corpus_caution(30, 9), None);
        assert_eq!(small_corpus_caution(SMALL_CORPUS, 100), None);
    }

    #[test]
    fn a_breakdown_column_that_breaks_nothing_down_is_a_warning() {
        use insight::breakdown::Groups;
        let docs: Vec<String> = (0..12).map(|i| format!("d{i}")).collect();
        let analysed: std::collections::BTreeSet<&str> = docs.iter().map(String::as_str).collect();
        let with = |f: &dyn Fn(usize) -> &'static str| Groups {
            column: "plan".into(),
            values: docs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.clone(), vec![f(i).to_string()]))
                .collect(),
        };
        assert_eq!(
            breakdown_warning(&with(&|i| if i < 6 { "Free" } else { "Pro" }), &analysed),
            None
        );
        assert_eq!(
            breakdown_warning(&with(&|i| if i < 10 { "Free" } else { "Pro" }), &analysed).as_deref(),
            Some("breakdown column \"plan\": fewer than two values held by 5 documents or more: no breakdown")
        );
        let none = Groups {
            column: "plan".into(),
            values: Default::default(),
        };
        assert!(breakdown_warning(&none, &analysed)
            .unwrap()
            .contains("not found in any document"));
    }

    #[test]
    fn unread_or_missing_outcome_and_date_columns_are_warnings() {
        let date = ("date", "a date", "trends", "are");
        assert_eq!(
            column_warning(date, Some(("Date", 2, false, Some("r.csv:3: \"soon\""))), None)
                .as_deref(),
            Some("date column \"Date\": 2 document(s) hold a value that is not a date, left out of the trends (first: r.csv:3: \"soon\")")
        );
        assert_eq!(
            column_warning(date, Some(("Date", 2, true, None)), None).as_deref(),
            Some("date column \"Date\": 2 document(s) hold a value that is not a date, left out of the trends, which are not computed (first: ?)")
        );
        assert_eq!(
            column_warning(("outcome", "a number", "impact", "is"), None, Some("stars")).as_deref(),
            Some("outcome column \"stars\" not found in any document: impact not computed")
        );
        // found and read, or turned off: nothing to say
        assert_eq!(
            column_warning(date, Some(("Date", 0, false, None)), Some("date")),
            None
        );
        assert_eq!(column_warning(date, None, Some("")), None);
        assert_eq!(column_warning(date, None, None), None);
    }

    #[test]
    fn a_qualtrics_nps_question_is_the_outcome() {
        // was: its group column (`Promoter`, ...) taken, read as no numbers,
        // so no impact
        let mut segs = segments(6);
        for (i, s) in segs.iter_mut().enumerate() {
            s.meta.insert("Q1".into(), serde_json::json!(i * 2));
            s.meta
                .insert("Q1_NPS_GROUP".into(), serde_json::json!("Detractor"));
            s.meta.insert("Q3".into(), serde_json::json!(4));
        }
        let o = resolve_outcome(&segs, None).expect("the NPS question");
        assert_eq!(o.column, "Q1");
        assert_eq!(o.values.len(), 2);
        // without its group column, a `Q1` is no outcome
        for s in segs.iter_mut() {
            s.meta.remove("Q1_NPS_GROUP");
        }
        assert!(resolve_outcome(&segs, None).is_none());
    }

    #[test]
    fn a_corpus_not_in_english_is_said_to_be_read_by_an_english_model() {
        // was: a German review export clustered by language without a word
        let mut segs = segments(30);
        let german = "Die Lieferung kam viel zu spät und der Kundendienst hat nie geantwortet";
        let english = "The delivery came far too late and support never answered my emails";
        for (i, s) in segs.iter_mut().enumerate() {
            s.text = if i % 3 == 0 { german } else { english }.to_string();
            s.doc = Arc::from(format!("d{i}").as_str());
        }
        let all: Vec<usize> = (0..segs.len()).collect();
        let w = language_warning(&segs, &all).expect("a third of the documents are German");
        assert!(
            w.starts_with("10 of 30 documents (33%) do not read as English"),
            "{w}"
        );
        // English with a few foreign reviews, or too little to judge: no warning
        let few: Vec<usize> = (1..segs.len()).filter(|i| i % 3 != 0 || *i == 3).collect();
        assert_eq!(language_warning(&segs, &few), None);
        assert_eq!(language_warning(&segs, &[0, 3, 6]), None);
    }

    fn segments(n: usize) -> Vec<Segment> {
        let src: Arc<str> = Arc::from("in.txt");
        (0..n)
            .map(|i| Segment {
                id: format!("s{i:04}"),
                doc: Arc::from(format!("d{}", i / 3).as_str()),
                source: src.clone(),
                line: Some(i as u64 + 1),
                record: None,
                span: [0, 1],
                speaker: None,
                role: None,
                start_ms: None,
                end_ms: None,
                question: None,
                // a few repeated texts: duplicates across chunk borders
                text: format!("customer text number {}", i % 37),
                noise: None,
                meta: Default::default(),
            })
            .collect()
    }

    /// Texts starting "bye" near one direction, all others near another,
    /// each jittered by its hash.
    struct TwoTopics;
    impl Embedder for TwoTopics {
        fn fingerprint(&self) -> &str {
            "fake-two-topics"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    let base = if t.starts_with("bye") {
                        [1.0, 0.0, 0.0, 0.0]
                    } else {
                        [0.0, 1.0, 0.0, 0.0]
                    };
                    let j = hash_bytes(t).map(|b| (f32::from(b) - 80.0) / 800.0);
                    unit(base.iter().zip(&j).map(|(b, x)| b + x).collect())
                })
                .collect())
        }
    }

    #[test]
    fn a_theme_among_the_rules_small_talk_is_set_apart_as_chatter() {
        // 12 goodbyes the rules caught, 20 the rules missed, 20 requests
        let mut segs = segments(52);
        for (i, s) in segs.iter_mut().enumerate() {
            s.text = match i {
                0..12 => format!("bye {i}"),
                12..32 => format!("bye there {i}"),
                _ => format!("card lost {i}"),
            };
            if i < 12 {
                s.noise = Some(crate::segment::Noise::Closing);
            }
        }
        let facets = vec![echo("a", &[])];
        let mut cfg = Config::default();
        cfg.cluster.min_size = 3;
        let a =
            analyse_in_chunks(segs.clone(), &TwoTopics, &facets, None, &cfg, &Silent, 64).unwrap();
        let chatter: Vec<&Segment> = a
            .segments
            .iter()
            .filter(|s| s.noise == Some(crate::segment::Noise::Chatter))
            .collect();
        assert_eq!(chatter.len(), 20);
        assert!(chatter.iter().all(|s| s.text.starts_with("bye there")));
        // the rest stays analysed, with its embeddings and predictions
        assert_eq!(a.analysed.len(), 20);
        assert!(a
            .analysed
            .iter()
            .all(|&i| a.segments[i].text.starts_with("card")));
        assert_eq!(a.facets[0].predictions.len(), 20);
        assert_eq!(a.clustering.assignment.len(), 20);
        assert_eq!(a.clustering.themes.len(), 1);
        assert_eq!(a.insights.corpus.analysed, 20);
        assert_eq!(a.insights.noise.by_reason.get("chatter"), Some(&20));
        assert!(a.warnings.iter().any(|w| w.contains("small talk")));
        // switched off, the goodbyes stay a theme
        cfg.cluster.chatter_similarity = 0.0;
        let off = analyse_in_chunks(segs, &TwoTopics, &facets, None, &cfg, &Silent, 64).unwrap();
        assert_eq!(off.analysed.len(), 40);
        assert_eq!(off.clustering.themes.len(), 2);
    }

    #[test]
    fn the_encoder_reads_segments_without_their_redaction_masks() {
        // records every text it is given
        #[derive(Default)]
        struct Recording(std::sync::Mutex<Vec<String>>);
        impl Embedder for Recording {
            fn fingerprint(&self) -> &str {
                "fake-recording"
            }
            fn dim(&self) -> usize {
                4
            }
            fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
                let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
                seen.extend(texts.iter().map(|t| t.to_string()));
                Layered::default().embed(texts)
            }
        }
        let masked = "I called XXXX on XX/XX/2019 about my loan.";
        let mut segs = segments(12);
        segs[0].text = masked.into();
        let enc = Recording::default();
        let a = analyse(segs, &enc, &[echo("a", &[])], &Config::default(), &Silent).unwrap();
        let seen = enc.0.into_inner().unwrap();
        assert!(
            seen.iter().any(|t| t == "I called on about my loan."),
            "{seen:?}"
        );
        assert!(!seen.iter().any(|t| t.contains("XX")), "{seen:?}");
        // the segment keeps its own text (quotes, keywords, segments.jsonl)
        assert!(a.segments.iter().any(|s| s.text == masked));
    }

    #[test]
    fn layer_features_reach_each_facet_and_results_do_not_depend_on_the_chunk() {
        let facets = vec![echo("a", &[5, 4]), echo("b", &[]), echo("c", &[4])];
        let cfg = Config::default();
        let in_chunks = |chunk: usize| {
            let enc = Layered::default();
            analyse_in_chunks(segments(60), &enc, &facets, None, &cfg, &Silent, chunk).unwrap()
        };
        let (whole, small) = (in_chunks(1000), in_chunks(7));
        let emb = Layered::default()
            .embed(&[whole.segments[0].text.as_str()])
            .unwrap()
            .remove(0);
        let first = |a: &Analysis, f: usize| a.facets[f].predictions[0].scores.clone();
        assert_eq!(first(&whole, 1), emb, "no layers: the embedding");
        let rot = |l: usize| (0..4).map(|i| emb[(i + l) % 4]).collect::<Vec<f32>>();
        assert_eq!(first(&whole, 0), [emb.clone(), rot(5), rot(4)].concat());
        assert_eq!(first(&whole, 2), [emb.clone(), rot(4)].concat());
        for f in 0..3 {
            assert_eq!(whole.facets[f].predictions, small.facets[f].predictions);
        }
        assert_eq!(whole.clustering.assignment, small.clustering.assignment);
        assert_eq!(
            serde_json::to_string(&whole.insights).unwrap(),
            serde_json::to_string(&small.insights).unwrap()
        );
    }

    #[test]
    fn cached_facet_predictions_skip_the_classifier_and_its_layer_features() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FacetCache::new(crate::embed::EmbeddingCache::open(dir.path()).unwrap());
        let cfg = Config::default();
        let (ra, rb) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let facets = vec![
            echo_counted("a", &[5, 4], ra.clone()),
            echo_counted("b", &[], rb.clone()),
        ];
        let reset = || {
            ra.store(0, SeqCst);
            rb.store(0, SeqCst);
        };
        let run = |n: usize, cache: Option<&FacetCache>, enc: &Layered| {
            analyse_in_chunks(segments(n), enc, &facets, cache, &cfg, &Silent, 7).unwrap()
        };
        // no cache: the reference (60 segments, 37 distinct texts)
        let plain = run(60, None, &Layered::default());
        // the first 30 segments (30 distinct texts) fill the cache
        reset();
        run(30, Some(&cache), &Layered::default());
        assert_eq!((ra.load(SeqCst), rb.load(SeqCst)), (30, 30));
        // all 60: only the 7 new texts are classified, and only they need
        // layer features
        reset();
        let enc = Layered::default();
        let mixed = run(60, Some(&cache), &enc);
        assert_eq!((ra.load(SeqCst), rb.load(SeqCst)), (7, 7));
        assert_eq!(enc.0.load(SeqCst), 7);
        // again: nothing is classified, no layer features computed
        reset();
        let enc = Layered::default();
        let warm = run(60, Some(&cache), &enc);
        assert_eq!(
            (ra.load(SeqCst), rb.load(SeqCst), enc.0.load(SeqCst)),
            (0, 0, 0)
        );
        for a in [&mixed, &warm] {
            for f in 0..2 {
                assert_eq!(plain.facets[f].predictions, a.facets[f].predictions);
            }
            assert!(a.facets[0].predictions.iter().any(|p| !p.labels.is_empty()));
            assert_eq!(
                serde_json::to_string(&plain.insights).unwrap(),
                serde_json::to_string(&a.insights).unwrap()
            );
            assert_eq!(segments_jsonl(&plain), segments_jsonl(a));
        }
    }
}
