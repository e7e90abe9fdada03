//! Insight: turn themes into ranked, explained "why" insights.
//!
//! Why: a cluster is not an answer. For each theme this stage finds what it
//! is about (c-TF-IDF keywords, a headline), what proves it (central and
//! diverse quotes with their provenance), why people say it (dominant
//! emotions and motivations, topics, stated reasons), and how much it matters
//! (reach, share, emotional intensity and impact on an outcome with a
//! bootstrap interval). A significance bar separates insights from weak
//! signals. Everything here is a pure function of its inputs: no clock, no
//! unseeded randomness, no absolute paths, so `insights.json` is byte-stable.
//!
//! Ranking score (documented in the README):
//! `score = 100 * Σ w_i * part_i / Σ w_i` over the parts that exist, with
//! - `reach = ln(1 + docs) / ln(1 + total_docs)` (distinct documents),
//! - `speakers = ln(1 + speakers) / ln(1 + total_speakers)` (distinct doc+speaker),
//! - `share = segments / max segments of any theme`,
//! - `intensity` = mean over members of the strongest non-neutral emotion score,
//! - `impact = min(1, |mean(theme docs) - mean(other docs)| / sd(outcome))`
//!   (only when an outcome column exists).

pub mod breakdown;
pub mod changes;
pub mod ctfidf;
pub mod reasons;
pub mod redact;
pub mod stats;
pub mod trend;

use crate::classify::{FacetPrediction, LabelMode};
use crate::cluster::{knn::dot, Clustering};
use crate::segment::Segment;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the `insights.json` schema (bumped on any incompatible change).
pub const SCHEMA: &str = "whyline.insights/1";

/// `[insight]` in `whyline.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InsightConfig {
    /// Keywords per theme.
    pub keywords: usize,
    /// Quotes per theme (3-5 recommended).
    pub quotes: usize,
    /// Stated reasons per theme.
    pub reasons: usize,
    /// A theme needs at least this many distinct documents to be an insight.
    pub min_documents: usize,
    /// ... and its document share's 95% Wilson lower bound must reach this,
    /// unless its impact interval excludes zero.
    pub min_share: f64,
    /// At most this many insights; the rest are weak signals.
    pub max_insights: usize,
    /// Bootstrap rounds for the impact interval.
    pub bootstrap_rounds: usize,
    /// Seed of the bootstrap (results are reproducible for a given seed).
    pub seed: u64,
    /// Mask card numbers, e-mail addresses, SSNs, phone numbers and other
    /// long numbers in quotes, reasons and headlines (see [`redact`]).
    pub redact: bool,
    /// Weights of the score parts.
    pub weights: ScoreWeights,
}

impl Default for InsightConfig {
    fn default() -> Self {
        Self {
            keywords: 8,
            quotes: 5,
            reasons: 5,
            min_documents: 3,
            min_share: 0.005,
            max_insights: 15,
            bootstrap_rounds: 1000,
            seed: 20_240_601,
            redact: true,
            weights: ScoreWeights::default(),
        }
    }
}

/// Weights of the ranking score's parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    pub reach: f64,
    pub speakers: f64,
    pub share: f64,
    pub intensity: f64,
    pub impact: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            reach: 0.35,
            speakers: 0.15,
            share: 0.2,
            intensity: 0.1,
            impact: 0.2,
        }
    }
}

/// One facet's predictions for the analysed segments.
#[derive(Debug, Clone)]
pub struct FacetResult {
    pub facet: String,
    pub fingerprint: String,
    pub labels: Vec<String>,
    pub mode: LabelMode,
    /// Aligned with the analysed segments.
    pub predictions: Vec<FacetPrediction>,
}

/// The outcome column: one value per document that has it.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub column: String,
    pub values: BTreeMap<String, f64>,
    /// Documents whose value in the column is not empty but not read as a
    /// number either ("five", "n/a"): left out of the impact, and said so.
    pub unread: usize,
    /// The first of them in canonical order: where it is and the value
    /// (`reviews.csv:7: "five"`).
    pub first_unread: Option<String>,
}

/// Everything the insight stage reads.
pub struct Input<'a> {
    /// All segments (noise included), in canonical order.
    pub segments: &'a [Segment],
    /// Indices into `segments` of the analysed (clustered) segments.
    pub analysed: &'a [usize],
    /// Embeddings of the analysed segments (aligned with `analysed`).
    pub embeddings: &'a [Vec<f32>],
    pub facets: &'a [FacetResult],
    /// Clustering of the analysed segments (aligned with `analysed`).
    pub clustering: &'a Clustering,
    pub outcome: Option<&'a Outcome>,
    /// The documents' dates, when the inputs carry them ([`trend`]).
    pub dates: Option<&'a trend::Dates>,
    /// The document columns to break the insights down by ([`breakdown`]).
    pub groups: &'a [breakdown::Groups],
}

/// A label that stands out in a theme: more common among its segments than
/// among all analysed segments, by more than chance explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LabelShare {
    /// The label, as the facet's taxonomy names it.
    pub label: String,
    /// Fraction of the theme's segments predicted with this label.
    pub share: f64,
    /// Mean score of this label over the theme's segments.
    pub mean_score: f64,
    /// `share` over the label's share of all analysed segments (2.0: twice as
    /// common in this theme as in the corpus). 0 in files written before it existed.
    #[serde(default)]
    pub lift: f64,
}

/// A survey question a theme's segments answer (see
/// [`crate::ingest::Turn::question`]): where a theme comes up, as the reason
/// for a score or as a wish for what to improve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuestionShare {
    /// The survey question, as the export writes it.
    pub question: String,
    /// The theme's segments that answer it ...
    pub segments: usize,
    /// ... as a fraction of the theme's segments ...
    pub share: f64,
    /// ... and the fraction of all analysed segments that answer it.
    pub corpus_share: f64,
}

/// A verbatim quote and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Quote {
    /// The segment id (`segments.jsonl`).
    pub segment: String,
    /// The document id.
    pub doc: String,
    /// The file, as given on the command line (relative when given so).
    pub source: String,
    /// Line in the file where the segment's turn or record starts, when known.
    pub line: Option<u64>,
    /// Record number in a table, list or JSON file, when it is one.
    pub record: Option<u64>,
    /// Who said it, when the input names speakers.
    pub speaker: Option<String>,
    /// Start time in the recording, milliseconds, when the input is timed.
    pub start_ms: Option<u64>,
    /// The question the quote answers, when its record answers several (a
    /// survey's open questions); left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The verbatim text (personal numbers and addresses masked unless `[insight] redact = false`).
    pub text: String,
}

/// A stated reason ("because ...") inside a theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reason {
    /// The words that state the reason (`because`, `due to`, ...).
    pub marker: String,
    /// The sentence and where it came from.
    pub quote: Quote,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Keyword {
    /// A word or two-word phrase, as the corpus writes it mid-sentence.
    pub term: String,
    /// Its c-TF-IDF weight in the theme.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reach {
    /// Its analysed segments.
    pub segments: usize,
    /// Distinct documents among them.
    pub documents: usize,
    /// Distinct speakers among them (a document without speakers counts as one).
    pub speakers: usize,
    /// Share of the analysed segments.
    pub segment_share: f64,
    /// Share of the documents with analysed segments.
    pub document_share: f64,
    /// 95% Wilson interval of `document_share`.
    pub document_share_ci: [f64; 2],
}

/// Impact on the outcome: how the overall average moves when the theme's
/// documents are removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Impact {
    /// The outcome column.
    pub column: String,
    /// Documents of the theme with an outcome value.
    pub documents: usize,
    /// Mean outcome of the theme's documents ...
    pub mean_theme: f64,
    /// ... of the other documents ...
    pub mean_rest: f64,
    /// ... and of all documents with an outcome.
    pub mean_all: f64,
    /// `mean_all - mean_without_theme` (negative: the theme pulls the average down).
    pub delta: f64,
    /// 95% stratified bootstrap interval of `delta`.
    pub ci: [f64; 2],
    /// True when the interval excludes zero.
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScoreParts {
    /// ln(1 + its documents) over ln(1 + all documents with analysed
    /// segments), at most 1.
    pub reach: f64,
    /// The same over distinct speakers.
    pub speakers: f64,
    /// Its segments over the largest theme's.
    pub share: f64,
    /// Mean over its segments of their highest emotion score other than
    /// `neutral` (0 without the emotion facet).
    pub intensity: f64,
    /// |mean_theme − mean_rest| over the outcome's sd, at most 1; null
    /// without an outcome.
    pub impact: Option<f64>,
}

/// One ranked theme (an insight or a weak signal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Insight {
    /// 1 for the best; weak signals continue after the insights.
    pub rank: usize,
    /// The theme id (`theme-001`: themes are numbered by size), as in `segments.jsonl`.
    pub theme: String,
    /// Two top keywords that share no word, then the most central segment that shows one.
    pub headline: String,
    /// The ranking score, 0-100 (README, "Ranking score").
    pub score: f64,
    /// The parts the score is built from.
    pub score_parts: ScoreParts,
    /// c-TF-IDF uni- and bi-grams, stop words removed, highest weight first.
    pub keywords: Vec<Keyword>,
    /// The emotion labels that stand out in the theme (at most 3).
    pub emotions: Vec<LabelShare>,
    /// The motivation labels that stand out in the theme (at most 3).
    pub motivations: Vec<LabelShare>,
    /// The topic labels that stand out in the theme (at most 2).
    pub topics: Vec<LabelShare>,
    /// The survey questions its segments answer, most answered first; left
    /// out when its records answer one question each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<QuestionShare>,
    /// Sentences stating a reason ("because", "due to", ...), most central first.
    pub reasons: Vec<Reason>,
    /// How many segments, documents and speakers the theme holds.
    pub reach: Reach,
    /// Its impact on the outcome; null without an outcome column.
    pub impact: Option<Impact>,
    /// How its share of the dated documents moved over the corpus's time
    /// line ([`trend`]); left out when the documents carry no dates, the
    /// dates span too little, or the theme holds too few of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<trend::Trend>,
    /// The values of the breakdown columns over-represented among its
    /// documents ([`breakdown`]); left out when none stands out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<breakdown::Standout>,
    /// Why it is (or is not) an insight.
    pub significance: String,
    /// Mean cosine of its members to their centroid.
    pub coherence: f64,
    /// Central and diverse verbatim quotes, each with where it came from.
    pub quotes: Vec<Quote>,
    /// Ids of its segments (`segments.jsonl`).
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CorpusSummary {
    /// Documents read (noise-only ones included).
    pub documents: usize,
    /// Documents with at least one analysed (non-noise) segment: the
    /// denominator of every `document_share`. 0 in files written before it
    /// was recorded.
    #[serde(default)]
    pub analysed_documents: usize,
    /// Segments cut from them, noise included.
    pub segments: usize,
    /// Segments analysed: embedded, labelled and clustered (not noise).
    pub analysed: usize,
    /// Themes found among the analysed segments: insights and weak signals.
    pub themes: usize,
    /// Analysed segments that belong to no theme.
    pub outliers: usize,
    /// The facets that labelled the segments (`emotion`, `motivation`, `topic`); empty when run without them.
    pub facets: Vec<String>,
    /// The outcome column impact is measured on; null when the documents carry none.
    pub outcome: Option<OutcomeSummary>,
    /// The date column and the time line trends are counted on; left out
    /// when the documents carry no dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<trend::DatesSummary>,
    /// The columns the insights are broken down by, with their values;
    /// left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<breakdown::BreakdownSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutcomeSummary {
    /// The column as the input spells it.
    pub column: String,
    /// What the column asks, where the input says it beside the column's
    /// name (Qualtrics' `Q1`: "How likely are you to recommend us?").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Documents with analysed segments and a value read as a number.
    pub documents: usize,
    /// Mean of those values.
    pub mean: f64,
    /// Their standard deviation.
    pub sd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoiseSummary {
    /// Segments set apart before clustering, by reason.
    pub by_reason: BTreeMap<String, usize>,
    /// Analysed segments that belong to no theme.
    pub outliers: usize,
    /// All segments set apart: noise by every reason plus the outliers.
    pub total: usize,
}

/// The content of `insights.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Insights {
    /// `whyline.insights/1`.
    pub schema: String,
    /// What was read and analysed.
    pub corpus: CorpusSummary,
    /// The insights, best first.
    pub insights: Vec<Insight>,
    /// Themes that did not clear the significance bar, ranked after the insights.
    pub weak_signals: Vec<Insight>,
    /// What was set apart, and why.
    pub noise: NoiseSummary,
}

/// The JSON Schema (draft 2020-12) of `insights.json`, derived from the
/// types that write it, their doc comments its descriptions: what a
/// dashboard reads the file against (`whyline schema insights`,
/// `docs/schema/insights.schema.json`).
pub fn json_schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(Insights)).unwrap_or_default();
    s.push('\n');
    s
}

/// Theme id for the theme at index `t` (themes are numbered by size).
pub fn theme_id(t: usize) -> String {
    format!("theme-{:03}", t + 1)
}

fn quote_of(s: &Segment, redact: bool) -> Quote {
    Quote {
        segment: s.id.clone(),
        doc: s.doc.to_string(),
        source: s.source.to_string(),
        line: s.line,
        record: s.record,
        speaker: s.speaker.as_deref().map(str::to_string),
        start_ms: s.start_ms,
        question: s.question.as_deref().map(str::to_string),
        text: if redact {
            redact::redact(&s.text).into_owned()
        } else {
            s.text.clone()
        },
    }
}

/// A label is listed for a theme only when at least this many of its segments carry it ...
const LABEL_MIN_SEGMENTS: usize = 3;
/// ... they are at least this share of the theme ...
const LABEL_MIN_SHARE: f64 = 0.05;
/// ... and the 95% Wilson lower bound of that share is above the label's corpus rate.
const LABEL_Z: f64 = 1.96;

/// Share of the analysed segments predicted with each of the facet's labels
/// (aligned with `f.labels`).
fn corpus_rates(f: &FacetResult) -> Vec<f64> {
    let n = f.predictions.len().max(1) as f64;
    f.labels
        .iter()
        .map(|l| {
            let k = f
                .predictions
                .iter()
                .filter(|p| p.labels.iter().any(|x| x == l))
                .count();
            k as f64 / n
        })
        .collect()
}

/// The labels that characterise a theme: those clearly more common among its
/// members than in the corpus (`rates`), most over-represented first (by the
/// lower bound of the lift, so a label seen in three segments does not outrank
/// one seen in thirty by chance), at most `top`.
fn label_shares(
    f: &FacetResult,
    rates: &[f64],
    members: &[usize],
    skip: &[&str],
    top: usize,
) -> Vec<LabelShare> {
    let n = members.len();
    let mut out: Vec<(f64, LabelShare)> = f
        .labels
        .iter()
        .enumerate()
        .filter(|(_, l)| !skip.contains(&l.as_str()))
        .filter_map(|(li, l)| {
            let mut count = 0usize;
            let mut sum = 0f64;
            for &m in members {
                if let Some(p) = f.predictions.get(m) {
                    if p.labels.iter().any(|x| x == l) {
                        count += 1;
                    }
                    sum += p.scores.get(li).copied().unwrap_or(0.0) as f64;
                }
            }
            let rate = rates.get(li).copied().unwrap_or(0.0);
            let share = count as f64 / n.max(1) as f64;
            let (lo, _) = stats::wilson(count, n, LABEL_Z);
            (count >= LABEL_MIN_SEGMENTS && share >= LABEL_MIN_SHARE && rate > 0.0 && lo > rate)
                .then(|| {
                    (
                        lo / rate,
                        LabelShare {
                            label: l.clone(),
                            share,
                            mean_score: sum / n.max(1) as f64,
                            lift: share / rate,
                        },
                    )
                })
        })
        .collect();
    out.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.share.total_cmp(&a.1.share))
            .then(a.1.label.cmp(&b.1.label))
    });
    out.truncate(top);
    out.into_iter().map(|(_, l)| l).collect()
}

fn truncate_chars(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    if let Some(p) = out.rfind(' ') {
        if p > max / 2 {
            out.truncate(p);
        }
    }
    out.push('…');
    out
}

/// The keywords a headline shows, each with its folded words: two of the top
/// four. A keyword that repeats a word already shown is left out, or, when it
/// is a bigram widening a shown word ("card" then "credit card"), takes its
/// place: "Credit card, declined", never "Card, credit card".
fn headline_terms(keywords: &[Keyword]) -> Vec<(&str, Vec<String>)> {
    let mut kw: Vec<(&str, Vec<String>)> = Vec::new();
    for k in keywords.iter().take(4) {
        let words = ctfidf::term_words(&k.term);
        let shares = |c: &(&str, Vec<String>)| c.1.iter().any(|w| words.contains(w));
        match kw.iter().position(shares) {
            None if kw.len() < 2 => kw.push((&k.term, words)),
            Some(p) if words.len() > kw[p].1.len() => {
                // the widening bigram takes the place of the first keyword it
                // overlaps (all before it share nothing) and absorbs any other
                kw.retain(|c| !shares(c));
                kw.insert(p, (&k.term, words));
            }
            _ => {}
        }
    }
    kw
}

/// The `n` members closest to the centroid, with their similarity, closest
/// first (ties: member index).
fn most_central(
    members: &[usize],
    emb: &[Vec<f32>],
    centroid: &[f32],
    n: usize,
) -> Vec<(usize, f32)> {
    let mut cand: Vec<(usize, f32)> = members
        .iter()
        .map(|&m| (m, dot(&emb[m], centroid)))
        .collect();
    cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    cand.truncate(n);
    cand
}

/// The first `count` of `items` (in their order) taking one per document
/// while items from unseen documents remain, then the rest in order; the
/// result keeps the items' order.
fn distinct_docs_first<'a, T: Copy>(
    items: &[T],
    count: usize,
    doc: impl Fn(&T) -> &'a str,
) -> Vec<T> {
    let mut docs: BTreeSet<&str> = BTreeSet::new();
    let mut take: Vec<bool> = items.iter().map(|it| docs.insert(doc(it))).collect();
    let mut n = 0;
    for t in take.iter_mut() {
        if *t {
            n += 1;
            *t = n <= count;
        }
    }
    for t in take.iter_mut() {
        if n >= count {
            break;
        }
        if !*t {
            *t = true;
            n += 1;
        }
    }
    items
        .iter()
        .zip(take)
        .filter(|(_, t)| *t)
        .map(|(it, _)| *it)
        .collect()
}

/// How many of a theme's most central members its quotes are chosen from.
const QUOTE_CANDIDATES: usize = 60;

/// Characters of the quote a headline shows.
const HEADLINE_QUOTE_CHARS: usize = 90;

/// How many of a theme's most central members the headline quote is chosen from.
const HEADLINE_CANDIDATES: usize = 20;

/// Whether the part of `text` a headline shows holds one of `words` (folded
/// as keywords are: "Refunds" matches "refund").
fn shows_a_keyword(text: &str, words: &[String]) -> bool {
    truncate_chars(text, HEADLINE_QUOTE_CHARS)
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .any(|w| ctfidf::term_words(w).iter().any(|f| words.contains(f)))
}

/// Whether a quote reads well at the head of a card: it starts with a word
/// (not "5 ) FACT IS" or "XX/XX/XXXX"), and is not written mostly in capitals.
fn reads_well(text: &str) -> bool {
    let first: String = text
        .chars()
        .skip_while(|c| !c.is_alphanumeric())
        .take_while(|c| c.is_alphanumeric())
        .collect();
    let mask = first.chars().all(|c| c == 'X');
    let starts_with_word = !mask && first.chars().next().is_some_and(char::is_alphabetic);
    // redaction masks (XXXX) count neither way
    let (upper, letters) = text
        .chars()
        .filter(|&c| c.is_alphabetic() && c != 'X')
        .fold((0usize, 0usize), |(u, l), c| {
            (u + usize::from(c.is_uppercase()), l + 1)
        });
    starts_with_word && upper * 2 <= letters
}

/// The headline's quote: the most central of the theme's
/// [`HEADLINE_CANDIDATES`] most central members whose shown part holds a
/// headline keyword, so that the quote illustrates the label, preferring
/// one that [`reads_well`]; else the most central member.
fn headline_quote(
    members: &[usize],
    emb: &[Vec<f32>],
    centroid: &[f32],
    texts: &dyn Fn(usize) -> String,
    words: &[String],
) -> Option<usize> {
    let cand = most_central(members, emb, centroid, HEADLINE_CANDIDATES);
    let shows: Vec<(usize, String)> = cand
        .iter()
        .map(|(m, _)| (*m, texts(*m)))
        .filter(|(_, t)| shows_a_keyword(t, words))
        .collect();
    shows
        .iter()
        .find(|(_, t)| reads_well(t))
        .or(shows.first())
        .map(|(m, _)| *m)
        .or(cand.first().map(|(m, _)| *m))
}

/// Headline: the keywords of [`headline_terms`], then the quote.
fn headline(terms: &[(&str, Vec<String>)], quote: &str) -> String {
    let kw: Vec<&str> = terms.iter().map(|(t, _)| *t).collect();
    let mut label = kw.join(", ");
    if let Some(f) = label.get(0..1) {
        label = f.to_uppercase() + label.get(1..).unwrap_or("");
    }
    let q = truncate_chars(quote, HEADLINE_QUOTE_CHARS);
    if label.is_empty() {
        format!("“{q}”")
    } else {
        format!("{label}: “{q}”")
    }
}

/// Cosine above which two quotes say the same thing in nearly the same words
/// ("i need my boarding pass" / "i need boarding pass", or one form letter
/// sent by two customers): a quote list shows the second only when nothing
/// else is left.
const NEAR_DUPLICATE: f32 = 0.95;

/// Whether more than half of a text's words are redaction masks or numbers
/// ("XXXX XXXX XXXX Inquiry : XXXX XXXX, XXXX."): a quote a reader learns
/// nothing from.
fn mostly_masks(text: &str) -> bool {
    let (mut masks, mut words) = (0usize, 0usize);
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words += 1;
        if crate::util::is_redaction_mask(w) || w.chars().all(|c| c.is_ascii_digit()) {
            masks += 1;
        }
    }
    masks * 2 > words
}

/// Keep the first of each group of near duplicates ([`NEAR_DUPLICATE`]):
/// an item is dropped when it is that close to an item kept before it.
fn drop_near_duplicates<'a, T>(items: &mut Vec<T>, emb: impl Fn(&T) -> &'a [f32]) {
    let mut kept: Vec<&'a [f32]> = Vec::new();
    items.retain(|it| {
        let e = emb(it);
        let fresh = kept.iter().all(|o| dot(e, o) < NEAR_DUPLICATE);
        if fresh {
            kept.push(e);
        }
        fresh
    });
}

/// Maximal marginal relevance among the most central members: central first,
/// then each next quote trades centrality against similarity to the chosen.
/// Each quote is the best candidate of the first of these tiers that has one:
/// 1. from a document not yet quoted, not a near duplicate
///    ([`NEAR_DUPLICATE`]) of a chosen quote or of a segment the card already
///    `shown` (its stated reasons), and not [`mostly_masks`];
/// 2. not a near duplicate and not mostly masks, from any document;
/// 3. not mostly masks;
/// 4. any candidate whose text is not already quoted.
///
/// So five quotes show five customers saying five different things, none of
/// them a stated reason printed above, while the theme's candidates allow it;
/// a theme of fewer documents repeats them.
fn pick_quotes(
    members: &[usize],
    emb: &[Vec<f32>],
    centroid: &[f32],
    texts: &dyn Fn(usize) -> String,
    doc_of: &dyn Fn(usize) -> String,
    shown: &[usize],
    count: usize,
) -> Vec<usize> {
    let cand = most_central(members, emb, centroid, QUOTE_CANDIDATES);
    let legible: Vec<bool> = cand
        .iter()
        .map(|&(m, _)| !mostly_masks(&texts(m)))
        .collect();
    let shown_text: BTreeSet<String> = shown.iter().map(|&m| texts(m).to_lowercase()).collect();
    let repeats_shown: Vec<bool> = cand
        .iter()
        .map(|&(m, _)| {
            shown_text.contains(&texts(m).to_lowercase())
                || shown
                    .iter()
                    .any(|&o| dot(&emb[m], &emb[o]) >= NEAR_DUPLICATE)
        })
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut seen_text: BTreeSet<String> = BTreeSet::new();
    let mut seen_doc: BTreeSet<String> = BTreeSet::new();
    while chosen.len() < count {
        // (candidate index, MMR score, tier it passes: 0 is the strictest)
        let mut open: Vec<(usize, f32, u8)> = Vec::new();
        for (k, &(m, c)) in cand.iter().enumerate() {
            if chosen.contains(&m) || seen_text.contains(&texts(m).to_lowercase()) {
                continue;
            }
            let red = chosen
                .iter()
                .map(|&o| dot(&emb[m], &emb[o]))
                .fold(f32::NEG_INFINITY, f32::max);
            let red = if chosen.is_empty() { 0.0 } else { red };
            let tier = match (
                legible[k],
                red < NEAR_DUPLICATE && !repeats_shown[k],
                !seen_doc.contains(&doc_of(m)),
            ) {
                (true, true, true) => 0,
                (true, true, false) => 1,
                (true, false, _) => 2,
                (false, _, _) => 3,
            };
            open.push((k, 0.7 * c - 0.3 * red, tier));
        }
        let Some(tier) = open.iter().map(|o| o.2).min() else {
            break;
        };
        let mut best: Option<(usize, f32)> = None;
        for &(k, s, t) in &open {
            if t == tier && best.is_none_or(|(_, b)| s > b) {
                best = Some((k, s));
            }
        }
        let Some((k, _)) = best else { break };
        let m = cand[k].0;
        seen_text.insert(texts(m).to_lowercase());
        seen_doc.insert(doc_of(m));
        chosen.push(m);
    }
    chosen
}

fn speaker_key(s: &Segment) -> String {
    match &s.speaker {
        Some(sp) => format!("{}\u{1f}{}", s.doc, sp),
        None => s.doc.to_string(),
    }
}

/// The survey questions a theme's `members` segments answer (`answers`: the
/// question of each member that answers one), most answered first, then by
/// question; `asked`: the analysed segments per question, of `analysed`.
fn question_shares<'a>(
    answers: impl Iterator<Item = &'a str>,
    members: usize,
    asked: &BTreeMap<&str, usize>,
    analysed: usize,
) -> Vec<QuestionShare> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for q in answers {
        *counts.entry(q).or_default() += 1;
    }
    let mut out: Vec<QuestionShare> = counts
        .into_iter()
        .map(|(q, n)| QuestionShare {
            question: q.to_string(),
            segments: n,
            share: round6(n as f64 / members.max(1) as f64),
            corpus_share: round6(
                asked.get(q).copied().unwrap_or(0) as f64 / analysed.max(1) as f64,
            ),
        })
        .collect();
    out.sort_by(|a, b| {
        b.segments
            .cmp(&a.segments)
            .then(a.question.cmp(&b.question))
    });
    out
}

/// Build the ranked insights.
pub fn build(input: &Input<'_>, cfg: &InsightConfig) -> Insights {
    let segs = input.segments;
    let seg_of = |a: usize| &segs[input.analysed[a]];
    let cl = input.clustering;
    let themes = &cl.themes;

    // corpus totals
    let all_docs: BTreeSet<&str> = input.analysed.iter().map(|&i| &*segs[i].doc).collect();
    let all_speakers: BTreeSet<String> = input
        .analysed
        .iter()
        .map(|&i| speaker_key(&segs[i]))
        .collect();
    let total_docs = all_docs.len();
    let timeline = input
        .dates
        .and_then(|d| trend::Timeline::new(d, all_docs.iter().copied()));
    let tables: Vec<breakdown::Table> = input
        .groups
        .iter()
        .filter_map(|g| breakdown::Table::new(g, all_docs.iter().copied()))
        .collect();
    let total_speakers = all_speakers.len();
    let analysed = input.analysed.len();
    // analysed segments per survey question answered
    let mut asked: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in input.analysed {
        if let Some(q) = segs[i].question.as_deref() {
            *asked.entry(q).or_default() += 1;
        }
    }

    // keywords over theme classes + the outlier class
    let mut classes: Vec<Vec<&str>> = themes
        .iter()
        .map(|t| t.members.iter().map(|&m| seg_of(m).text.as_str()).collect())
        .collect();
    classes.push(
        cl.assignment
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_none())
            .map(|(m, _)| seg_of(m).text.as_str())
            .collect(),
    );
    let kws = ctfidf::keywords(&classes, cfg.keywords);

    let facet = |name: &str| input.facets.iter().find(|f| f.facet == name);
    let emotion = facet("emotion");
    // each label's share of all analysed segments, the baseline a theme's labels are set against
    let rates: Vec<Vec<f64>> = input.facets.iter().map(corpus_rates).collect();
    let outcome_stats = input.outcome.and_then(|o| {
        let vals: Vec<f64> = all_docs
            .iter()
            .filter_map(|d| o.values.get(*d).copied())
            .collect();
        if vals.len() < 2 {
            return None;
        }
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (vals.len() - 1) as f64;
        Some(OutcomeSummary {
            column: o.column.clone(),
            question: None,
            documents: vals.len(),
            mean,
            sd: var.sqrt(),
        })
    });

    let max_size = themes
        .iter()
        .map(|t| t.members.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let w = &cfg.weights;

    let mut ranked: Vec<(Insight, bool)> = themes
        .iter()
        .enumerate()
        .map(|(t, th)| {
            let id = theme_id(t);
            let members = &th.members;
            let docs: BTreeSet<&str> = members.iter().map(|&m| &*seg_of(m).doc).collect();
            let speakers: BTreeSet<String> =
                members.iter().map(|&m| speaker_key(seg_of(m))).collect();
            let (lo, hi) = stats::wilson(docs.len(), total_docs, 1.96);
            let reach = Reach {
                segments: members.len(),
                documents: docs.len(),
                speakers: speakers.len(),
                segment_share: members.len() as f64 / analysed.max(1) as f64,
                document_share: docs.len() as f64 / total_docs.max(1) as f64,
                document_share_ci: [lo, hi],
            };
            let questions = question_shares(
                members
                    .iter()
                    .filter_map(|&m| seg_of(m).question.as_deref()),
                members.len(),
                &asked,
                analysed,
            );
            let keywords: Vec<Keyword> = kws
                .get(t)
                .map(|k| {
                    k.iter()
                        .map(|(term, weight)| Keyword {
                            term: term.clone(),
                            weight: round6(*weight),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let text_of = |m: usize| seg_of(m).text.clone();
            let terms = headline_terms(&keywords);
            let headline_words: Vec<String> =
                terms.iter().flat_map(|(_, w)| w.iter().cloned()).collect();
            let central = headline_quote(
                members,
                input.embeddings,
                &th.centroid,
                &text_of,
                &headline_words,
            )
            .map(|m| seg_of(m).text.clone())
            .unwrap_or_default();
            let central = if cfg.redact {
                redact::redact(&central).into_owned()
            } else {
                central
            };
            let headline = headline(&terms, &central);

            // reasons: members with a causal marker, most central first
            let mut rs: Vec<(f32, usize, &'static str)> = members
                .iter()
                .filter_map(|&m| {
                    reasons::marker(&seg_of(m).text)
                        .map(|mk| (dot(&input.embeddings[m], &th.centroid), m, mk))
                })
                .collect();
            rs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut seen = BTreeSet::new();
            rs.retain(|(_, m, _)| seen.insert(seg_of(*m).text.to_lowercase()));
            // the same reason in nearly the same words (a form letter two
            // customers sent) is shown once, from its most central member
            drop_near_duplicates(&mut rs, |r| &input.embeddings[r.1]);
            let reason_idx = distinct_docs_first(&rs, cfg.reasons, |r| &*seg_of(r.1).doc);
            let reasons: Vec<Reason> = reason_idx
                .iter()
                .map(|&(_, m, mk)| Reason {
                    marker: mk.to_string(),
                    quote: quote_of(seg_of(m), cfg.redact),
                })
                .collect();
            // quotes after reasons, so they need not repeat what the card
            // already shows as a stated reason
            let shown: Vec<usize> = reason_idx.iter().map(|r| r.1).collect();
            let quote_idx = pick_quotes(
                members,
                input.embeddings,
                &th.centroid,
                &text_of,
                &|m: usize| seg_of(m).doc.to_string(),
                &shown,
                cfg.quotes.max(1),
            );
            let quotes: Vec<Quote> = quote_idx
                .iter()
                .map(|&m| quote_of(seg_of(m), cfg.redact))
                .collect();

            let standing_out = |name: &str, skip: &[&str], top: usize| {
                input
                    .facets
                    .iter()
                    .zip(&rates)
                    .find(|(f, _)| f.facet == name)
                    .map(|(f, r)| round_shares(label_shares(f, r, members, skip, top)))
                    .unwrap_or_default()
            };
            let emotions = standing_out("emotion", &["neutral"], 3);
            let motivations = standing_out("motivation", &[], 3);
            let topics = standing_out("topic", &[], 2);
            let intensity = emotion
                .map(|f| {
                    let sum: f64 = members
                        .iter()
                        .map(|&m| {
                            f.predictions
                                .get(m)
                                .map(|p| {
                                    p.scores
                                        .iter()
                                        .zip(&f.labels)
                                        .filter(|(_, l)| l.as_str() != "neutral")
                                        .map(|(s, _)| *s as f64)
                                        .fold(0.0, f64::max)
                                })
                                .unwrap_or(0.0)
                        })
                        .sum();
                    sum / members.len().max(1) as f64
                })
                .unwrap_or(0.0);

            // impact on the outcome
            let impact = match (input.outcome, &outcome_stats) {
                (Some(o), Some(os)) => {
                    let inside: Vec<f64> = docs
                        .iter()
                        .filter_map(|d| o.values.get(*d).copied())
                        .collect();
                    let outside: Vec<f64> = all_docs
                        .iter()
                        .filter(|d| !docs.contains(*d))
                        .filter_map(|d| o.values.get(*d).copied())
                        .collect();
                    stats::impact(&inside, &outside).map(|delta| {
                        let (clo, chi) = stats::bootstrap_impact(
                            &inside,
                            &outside,
                            cfg.bootstrap_rounds,
                            0.95,
                            stats::seed_for(cfg.seed, &id),
                        )
                        .unwrap_or((delta, delta));
                        let mt = inside.iter().sum::<f64>() / inside.len() as f64;
                        let mr = outside.iter().sum::<f64>() / outside.len() as f64;
                        Impact {
                            column: o.column.clone(),
                            documents: inside.len(),
                            mean_theme: round6(mt),
                            mean_rest: round6(mr),
                            mean_all: round6(os.mean),
                            delta: round6(delta),
                            ci: [round6(clo), round6(chi)],
                            significant: clo > 0.0 || chi < 0.0,
                        }
                    })
                }
                _ => None,
            };
            let impact_part = match (&impact, &outcome_stats) {
                (Some(i), Some(os)) if os.sd > 0.0 => {
                    Some(((i.mean_theme - i.mean_rest).abs() / os.sd).min(1.0))
                }
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
            let parts = ScoreParts {
                reach: round6(ln_ratio(docs.len(), total_docs)),
                speakers: round6(ln_ratio(speakers.len(), total_speakers)),
                share: round6(members.len() as f64 / max_size),
                intensity: round6(intensity),
                impact: impact_part.map(round6),
            };
            let mut num = w.reach * parts.reach
                + w.speakers * parts.speakers
                + w.share * parts.share
                + if emotion.is_some() {
                    w.intensity * parts.intensity
                } else {
                    0.0
                };
            let mut den = w.reach + w.speakers + w.share;
            if emotion.is_some() {
                den += w.intensity;
            }
            if let Some(ip) = parts.impact {
                num += w.impact * ip;
                den += w.impact;
            }
            let score = round6(100.0 * num / den.max(1e-12));

            let prevalent = lo >= cfg.min_share;
            let impactful = impact.as_ref().is_some_and(|i| i.significant);
            let enough = docs.len() >= cfg.min_documents;
            let significant = enough && (prevalent || impactful);
            let why = if !enough {
                format!(
                    "weak: {} distinct documents (< {})",
                    docs.len(),
                    cfg.min_documents
                )
            } else if prevalent && impactful {
                "prevalence and impact above chance".to_string()
            } else if prevalent {
                format!(
                    "prevalence above chance (document share 95% lower bound {:.4} ≥ {})",
                    lo, cfg.min_share
                )
            } else if impactful {
                "impact interval excludes zero".to_string()
            } else {
                format!(
                    "weak: document share 95% lower bound {:.4} < {} and no significant impact",
                    lo, cfg.min_share
                )
            };
            let trend = timeline.as_ref().and_then(|t| t.test(docs.iter().copied()));
            let by = tables
                .iter()
                .flat_map(|t| t.test(docs.iter().copied()))
                .collect();
            let members_ids: Vec<String> = members.iter().map(|&m| seg_of(m).id.clone()).collect();
            (
                Insight {
                    rank: 0,
                    theme: id,
                    headline,
                    score,
                    score_parts: parts,
                    keywords,
                    emotions,
                    motivations,
                    topics,
                    questions,
                    reasons,
                    reach,
                    impact,
                    trend,
                    by,
                    significance: why,
                    coherence: round6(th.coherence as f64),
                    quotes,
                    members: members_ids,
                },
                significant,
            )
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then(a.0.theme.cmp(&b.0.theme))
    });
    let mut insights = Vec::new();
    let mut weak = Vec::new();
    for (mut ins, sig) in ranked {
        if sig && insights.len() < cfg.max_insights {
            insights.push(ins);
        } else {
            if sig {
                ins.significance = format!(
                    "{} (beyond max_insights = {})",
                    ins.significance, cfg.max_insights
                );
            }
            weak.push(ins);
        }
    }
    for (i, ins) in insights.iter_mut().chain(weak.iter_mut()).enumerate() {
        ins.rank = i + 1;
    }
    trend::correct(
        &mut insights
            .iter_mut()
            .chain(weak.iter_mut())
            .filter_map(|i| i.trend.as_mut())
            .collect::<Vec<_>>(),
    );
    breakdown::correct(
        &mut insights
            .iter_mut()
            .chain(weak.iter_mut())
            .map(|i| &mut i.by)
            .collect::<Vec<_>>(),
    );

    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for s in segs {
        if let Some(n) = s.noise {
            *by_reason.entry(n.as_str().to_string()).or_insert(0) += 1;
        }
    }
    let outliers = cl.outliers();
    let noise_total = by_reason.values().sum::<usize>() + outliers;
    let docs_total: BTreeSet<&str> = segs.iter().map(|s| &*s.doc).collect();
    Insights {
        schema: SCHEMA.to_string(),
        corpus: CorpusSummary {
            documents: docs_total.len(),
            analysed_documents: total_docs,
            segments: segs.len(),
            analysed,
            themes: themes.len(),
            outliers,
            facets: input.facets.iter().map(|f| f.facet.clone()).collect(),
            outcome: outcome_stats.map(|o| OutcomeSummary {
                mean: round6(o.mean),
                sd: round6(o.sd),
                ..o
            }),
            dates: timeline.map(|t| t.summary),
            by: tables.iter().map(breakdown::Table::summary).collect(),
        },
        insights,
        weak_signals: weak,
        noise: NoiseSummary {
            by_reason,
            outliers,
            total: noise_total,
        },
    }
}

fn ln_ratio(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    ((1.0 + k as f64).ln() / (1.0 + n as f64).ln()).min(1.0)
}

/// Round to 6 decimals so that the JSON is short and stable.
pub fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 1e6).round() / 1e6
}

fn round_shares(v: Vec<LabelShare>) -> Vec<LabelShare> {
    v.into_iter()
        .map(|l| LabelShare {
            share: round6(l.share),
            mean_score: round6(l.mean_score),
            lift: round6(l.lift),
            ..l
        })
        .collect()
}

/// Read a document-level outcome from segment metadata: numbers, numeric
/// strings, booleans and yes/no strings (yes = 1), and the ratings review
/// exports write ([`value_as_f64`]). Values that are none of these are
/// counted in [`Outcome::unread`].
///
/// The column is matched as input fields are: exactly, else with case,
/// spaces and punctuation ignored (`--outcome star_rating` reads a
/// `Star Rating` column); [`Outcome::column`] is then the name the file uses.
pub fn outcome_from_segments(segments: &[Segment], column: &str) -> Outcome {
    let mut values = BTreeMap::new();
    let mut unread: BTreeMap<&str, String> = BTreeMap::new();
    let key = crate::util::field_key(column);
    let mut spelling: Option<&str> = None;
    for s in segments {
        if values.contains_key(&*s.doc) {
            continue;
        }
        let Some((name, raw)) = meta_value(s, column, &key) else {
            continue;
        };
        spelling.get_or_insert(name);
        match value_as_f64(raw) {
            Some(v) => {
                values.insert(s.doc.to_string(), v);
            }
            None if !is_blank(raw) => {
                unread
                    .entry(&*s.doc)
                    .or_insert_with(|| format!("{}: {raw}", record_at(s)));
            }
            None => {}
        }
    }
    unread.retain(|doc, _| !values.contains_key(*doc));
    Outcome {
        column: spelling.unwrap_or(column).to_string(),
        values,
        unread: unread.len(),
        first_unread: segments.iter().find_map(|s| unread.get(&*s.doc).cloned()),
    }
}

/// A document column's value in a segment's metadata, and the column's name
/// as the input spells it: `column` exactly, else a column whose name is the
/// same with case, spaces and punctuation ignored (`key`, its
/// [`crate::util::field_key`]); else the same one level down, in an object
/// the record nests its fields in (a Zendesk ticket's `{"ticket": {"tags":
/// [...], "created_at": ...}, "comments": [...]}`), the first such object by
/// name.
pub(crate) fn meta_value<'a>(
    s: &'a Segment,
    column: &str,
    key: &str,
) -> Option<(&'a String, &'a serde_json::Value)> {
    fn find<'a, I>(
        fields: I,
        column: &str,
        key: &str,
    ) -> Option<(&'a String, &'a serde_json::Value)>
    where
        I: Iterator<Item = (&'a String, &'a serde_json::Value)> + Clone,
    {
        fields.clone().find(|(k, _)| *k == column).or_else(|| {
            fields
                .into_iter()
                .find(|(k, _)| crate::util::field_key(k) == key)
        })
    }
    find(s.meta.iter(), column, key).or_else(|| {
        s.meta
            .values()
            .filter_map(serde_json::Value::as_object)
            .find_map(|o| find(o.iter(), column, key))
    })
}

/// The names of a segment's metadata columns, those one level down in an
/// object included (see [`meta_value`]).
pub(crate) fn meta_columns(s: &Segment) -> impl Iterator<Item = &String> {
    s.meta.iter().flat_map(|(k, v)| {
        std::iter::once(k).chain(v.as_object().into_iter().flat_map(|o| o.keys()))
    })
}

/// Where a segment's record is, for a warning: `reviews.csv:7`.
pub(crate) fn record_at(s: &Segment) -> String {
    match s.line.or(s.record) {
        Some(n) => format!("{}:{n}", s.source),
        None => s.source.to_string(),
    }
}

/// An empty outcome cell: null, or a string of nothing but spaces.
fn is_blank(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Columns tried, in order, when no outcome column is configured (matched
/// with case, spaces and punctuation ignored: `Rating`, `Star Rating`,
/// `review_score` as review exports name them).
pub const OUTCOME_COLUMNS: &[&str] = &[
    "rating",
    "stars",
    "star_rating",
    "review_rating",
    "overall",
    "score",
    "review_score",
    "nps",
    "nps_score",
    "csat",
    "csat_score",
    "satisfaction",
    "satisfaction_score",
    "satisfaction_rating",
    "outcome",
];

/// An outcome value as a number: a JSON number or boolean, or a string
/// holding a number, yes/no, true/false, good/bad, satisfied/dissatisfied or
/// positive/negative (1/0), or a rating as review
/// exports write it: "4 stars", "4/5", "4 out of 5", "80%" (the number
/// before the unit or scale: a column is assumed to use one scale) or
/// "★★★★☆" (the filled stars).
pub fn value_as_f64(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        serde_json::Value::String(s) => {
            let t = s.trim();
            match t.to_ascii_lowercase().as_str() {
                // yes/no; Zendesk's satisfaction "good"/"bad"; survey wording
                "yes" | "true" | "good" | "satisfied" | "positive" => Some(1.0),
                "no" | "false" | "bad" | "dissatisfied" | "unsatisfied" | "negative" => Some(0.0),
                lower => finite(t).or_else(|| rating(lower)),
            }
        }
        _ => None,
    }
}

fn finite(t: &str) -> Option<f64> {
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// "4 stars", "4.5 star", "4/5", "4 out of 5", "80%", "★★★★☆" (lower case).
fn rating(t: &str) -> Option<f64> {
    if !t.is_empty() && t.chars().all(|c| c == '★' || c == '☆') {
        return Some(t.chars().filter(|&c| c == '★').count() as f64);
    }
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (finite(&t[..end])?, t[end..].trim());
    let scale = unit
        .strip_prefix('/')
        .or_else(|| unit.strip_prefix("out of"))
        .map(str::trim);
    let known = matches!(unit, "star" | "stars" | "%")
        || scale.is_some_and(|m| finite(m).is_some_and(|m| m > 0.0));
    known.then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{cluster, ClusterConfig};

    fn seg(id: &str, doc: &str, text: &str, rating: f64) -> Segment {
        let mut meta = BTreeMap::new();
        meta.insert("rating".to_string(), serde_json::json!(rating));
        Segment {
            id: id.into(),
            doc: doc.into(),
            source: "in.csv".into(),
            line: None,
            record: Some(1),
            span: [0, text.len()],
            speaker: None,
            role: None,
            start_ms: None,
            end_ms: None,
            question: None,
            text: text.into(),
            noise: None,
            meta,
        }
    }

    /// Deterministic fake: two groups of texts on two axes.
    fn corpus() -> (Vec<Segment>, Vec<Vec<f32>>) {
        let mut segs = Vec::new();
        let mut emb = Vec::new();
        for i in 0..12 {
            segs.push(seg(
                &format!("a{i:02}"),
                &format!("d{i}"),
                &format!("The delivery fee appears late, because checkout hides it {i}"),
                1.0 + (i % 2) as f64,
            ));
            let mut v = vec![1.0, 0.05 * (i as f32 % 3.0), 0.0];
            let n = (v.iter().map(|x| x * x).sum::<f32>()).sqrt();
            v.iter_mut().for_each(|x| *x /= n);
            emb.push(v);
        }
        for i in 0..12 {
            segs.push(seg(
                &format!("b{i:02}"),
                &format!("e{i}"),
                &format!("Great app, fast login and nice design {i}"),
                5.0,
            ));
            let mut v = vec![0.0, 0.05 * (i as f32 % 3.0), 1.0];
            let n = (v.iter().map(|x| x * x).sum::<f32>()).sqrt();
            v.iter_mut().for_each(|x| *x /= n);
            emb.push(v);
        }
        (segs, emb)
    }

    fn build_fake() -> Insights {
        let (segs, emb) = corpus();
        let keys: Vec<&str> = segs.iter().map(|s| s.id.as_str()).collect();
        let cl = cluster(&emb, &keys, &ClusterConfig::default());
        let analysed: Vec<usize> = (0..segs.len()).collect();
        let outcome = outcome_from_segments(&segs, "rating");
        build(
            &Input {
                segments: &segs,
                analysed: &analysed,
                embeddings: &emb,
                facets: &[],
                clustering: &cl,
                outcome: Some(&outcome),
                dates: None,
                groups: &[],
            },
            &InsightConfig::default(),
        )
    }

    #[test]
    fn low_rated_theme_has_negative_significant_impact_and_reasons() {
        let ins = build_fake();
        assert_eq!(ins.corpus.themes, 2);
        let all: Vec<&Insight> = ins.insights.iter().chain(&ins.weak_signals).collect();
        let fee = all
            .iter()
            .find(|i| i.keywords.iter().any(|k| k.term.contains("delivery")))
            .expect("fee theme");
        let imp = fee.impact.as_ref().expect("impact");
        assert!(imp.delta < 0.0 && imp.ci[1] < 0.0 && imp.significant);
        assert!(!fee.reasons.is_empty());
        assert_eq!(fee.reasons[0].marker, "because");
        assert!(fee.quotes.len() >= 3 && fee.quotes.len() <= 5);
        assert!(fee.headline.contains('“'));
    }

    #[test]
    fn document_shares_count_the_documents_with_analysed_segments() {
        // 24 documents with analysed segments, 3 more that are all noise
        let (mut segs, emb) = corpus();
        for i in 0..3 {
            let mut s = seg(&format!("n{i}"), &format!("n{i}"), "hello there", 3.0);
            s.noise = Some(crate::segment::Noise::Greeting);
            segs.push(s);
        }
        let keys: Vec<&str> = segs[..24].iter().map(|s| s.id.as_str()).collect();
        let cl = cluster(&emb, &keys, &ClusterConfig::default());
        let analysed: Vec<usize> = (0..24).collect();
        let ins = build(
            &Input {
                segments: &segs,
                analysed: &analysed,
                embeddings: &emb,
                facets: &[],
                clustering: &cl,
                outcome: None,
                dates: None,
                groups: &[],
            },
            &InsightConfig::default(),
        );
        assert_eq!(ins.corpus.documents, 27);
        assert_eq!(ins.corpus.analysed_documents, 24);
        for i in ins.insights.iter().chain(&ins.weak_signals) {
            let share = i.reach.documents as f64 / 24.0;
            assert!((i.reach.document_share - share).abs() < 1e-9, "{}", i.theme);
        }
        assert_eq!(
            crate::report::documents_text(&ins.corpus),
            "27 documents (24 with analysed segments)"
        );
        // a file written before the count was recorded still reads
        let mut v = serde_json::to_value(&ins.corpus).unwrap();
        v.as_object_mut().unwrap().remove("analysed_documents");
        let old: CorpusSummary = serde_json::from_value(v).unwrap();
        assert_eq!(old.analysed_documents, 0);
        assert_eq!(crate::report::documents_text(&old), "27 documents");
    }

    #[test]
    fn insights_are_byte_stable() {
        let a = serde_json::to_string(&build_fake()).unwrap();
        let b = serde_json::to_string(&build_fake()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn headline_never_repeats_a_word() {
        let kw = |terms: &[&str]| -> Vec<Keyword> {
            terms
                .iter()
                .map(|t| Keyword {
                    term: t.to_string(),
                    weight: 1.0,
                })
                .collect()
        };
        for (terms, label) in [
            (
                &["card", "credit card", "declined"][..],
                "Credit card, declined",
            ),
            (
                &["debt", "collection", "debt collection"][..],
                "Debt collection",
            ),
            (&["claim", "claims", "plaintiff"][..], "Claim, plaintiff"),
            (&["fcra", "bureaus"][..], "Fcra, bureaus"),
            (&["FCRA", "bureaus"][..], "FCRA, bureaus"),
            (&[][..], ""),
        ] {
            let k = kw(terms);
            let h = headline(&headline_terms(&k), "a quote");
            let want = if label.is_empty() {
                "“a quote”".to_string()
            } else {
                format!("{label}: “a quote”")
            };
            assert_eq!(h, want, "{terms:?}");
        }
    }

    /// 100 segments: "common" on 80 of them everywhere, "rare" on 5 in the
    /// corpus but all inside the first 20, "once" on one of those 20.
    fn fake_facet() -> FacetResult {
        let labels: Vec<String> = ["common", "rare", "once", "neutral"]
            .iter()
            .map(|l| l.to_string())
            .collect();
        let predictions = (0..100)
            .map(|i| {
                let mut l = Vec::new();
                if i % 5 != 0 {
                    l.push("common".to_string());
                }
                if i < 5 {
                    l.push("rare".to_string());
                }
                if i == 7 {
                    l.push("once".to_string());
                }
                if l.is_empty() {
                    l.push("neutral".to_string());
                }
                let scores = labels
                    .iter()
                    .map(|x| if l.contains(x) { 0.9 } else { 0.1 })
                    .collect();
                FacetPrediction { labels: l, scores }
            })
            .collect();
        FacetResult {
            facet: "emotion".into(),
            fingerprint: "fake".into(),
            labels,
            mode: LabelMode::MultiLabel,
            predictions,
        }
    }

    #[test]
    fn labels_listed_for_a_theme_stand_out_against_the_corpus_rate() {
        let f = fake_facet();
        let rates = corpus_rates(&f);
        assert_eq!(rates, vec![0.8, 0.05, 0.01, 0.19]);
        let theme: Vec<usize> = (0..20).collect();
        let got = label_shares(&f, &rates, &theme, &["neutral"], 3);
        // "common" is on 80% of the theme, as everywhere: it explains nothing;
        // "once" is a single segment; "rare" is 5 of 20, five times its rate
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].label, "rare");
        assert!((got[0].share - 0.25).abs() < 1e-9);
        assert!((got[0].lift - 5.0).abs() < 1e-9);
        assert!((got[0].mean_score - (0.25 * 0.9 + 0.75 * 0.1)).abs() < 1e-6);
        // where "rare" is 3 of 50 (6%), not clearly above its 5%, nothing stands out
        let spread: Vec<usize> = (0..100).step_by(2).collect();
        assert!(label_shares(&f, &rates, &spread, &["neutral"], 3).is_empty());
    }

    #[test]
    fn insights_json_written_before_lift_still_reads() {
        let old = r#"{"label":"annoyance","share":0.2,"mean_score":0.1}"#;
        let l: LabelShare = serde_json::from_str(old).unwrap();
        assert_eq!(l.lift, 0.0);
        assert_eq!(l.label, "annoyance");
    }

    #[test]
    fn headline_quote_shows_a_headline_keyword() {
        let long = format!("{} and then the refunds", "word ".repeat(20));
        let texts = [
            "the most central sentence says nothing of it",
            long.as_str(),
            "my Refunds never came back",
            "a refund, the least central",
        ];
        let emb = vec![
            vec![1.0, 0.0],
            vec![0.95, 0.312],
            vec![0.9, 0.436],
            vec![0.8, 0.6],
        ];
        let text_of = |m: usize| texts[m].to_string();
        let pick = |words: &[&str]| {
            let w: Vec<String> = words.iter().flat_map(|t| ctfidf::term_words(t)).collect();
            headline_quote(&[0, 1, 2, 3], &emb, &[1.0, 0.0], &text_of, &w)
        };
        // the most central member whose shown part (90 characters) holds a
        // keyword, in any inflection or case; the refund past 90 characters is not shown
        assert_eq!(pick(&["refund", "bank"]), Some(2));
        // "sentence" is in the most central, "nothing" too; "says" only there
        assert_eq!(pick(&["says"]), Some(0));
        // no member shows a keyword: the most central
        assert_eq!(pick(&["zebra"]), Some(0));
        assert_eq!(pick(&[]), Some(0));
        assert!(reads_well("The fee came late."));
        assert!(!reads_well("5 ) FACT IS, no claim above"));
        assert!(!reads_well("THE ACCOUNT IS A CLOSED ACCOUNT"));
        assert!(!reads_well("XX/XX/XXXX I called"));
        assert!(reads_well("On XX/XX/XXXX, XXXX XXXX told me I was late."));
        assert_eq!(headline_quote(&[], &emb, &[1.0, 0.0], &text_of, &[]), None);
    }

    #[test]
    fn quotes_and_reasons_come_from_distinct_documents_while_they_can() {
        // five members close to the centroid; the three most central are one
        // document's sentences
        let docs = ["d1", "d1", "d1", "d2", "d3"];
        let emb = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.99, 0.141, 0.0],
            vec![0.98, 0.199, 0.0],
            vec![0.9, 0.0, 0.436],
            vec![0.8, 0.0, -0.6],
        ];
        let centroid = [1.0, 0.0, 0.0];
        let text_of = |m: usize| format!("sentence {m}");
        let doc_of = |m: usize| docs[m].to_string();
        let members = [0, 1, 2, 3, 4];
        let q = pick_quotes(&members, &emb, &centroid, &text_of, &doc_of, &[], 3);
        assert_eq!(q, vec![0, 3, 4], "one quote per document first");
        // more quotes than documents: the rest repeat documents
        let q = pick_quotes(&members, &emb, &centroid, &text_of, &doc_of, &[], 5);
        assert_eq!(q.len(), 5);
        assert_eq!(&q[..3], &[0, 3, 4]);
        // a theme of one document still gets its quotes
        let one = |_: usize| "d1".to_string();
        assert_eq!(
            pick_quotes(&[0, 1, 2], &emb, &centroid, &text_of, &one, &[], 3).len(),
            3
        );

        let items = [(0, "d1"), (1, "d1"), (2, "d2"), (3, "d1"), (4, "d3")];
        let doc = |it: &(usize, &'static str)| it.1;
        let ids = |v: Vec<(usize, &str)>| v.iter().map(|x| x.0).collect::<Vec<_>>();
        // one per document, in the items' order
        assert_eq!(ids(distinct_docs_first(&items, 3, doc)), vec![0, 2, 4]);
        assert_eq!(ids(distinct_docs_first(&items, 2, doc)), vec![0, 2]);
        // more wanted than documents: filled in order from the repeats
        assert_eq!(ids(distinct_docs_first(&items, 4, doc)), vec![0, 1, 2, 4]);
        assert_eq!(
            ids(distinct_docs_first(&items, 9, doc)),
            vec![0, 1, 2, 3, 4]
        );
        assert!(distinct_docs_first(&items, 0, doc).is_empty());
    }

    /// `pick_quotes` over all of `texts` (document `d{i}` each) around the
    /// first axis.
    fn pick_from(texts: &[&str], emb: &[Vec<f32>], shown: &[usize], count: usize) -> Vec<usize> {
        let text_of = |m: usize| texts[m].to_string();
        let doc_of = |m: usize| format!("d{m}");
        let members: Vec<usize> = (0..texts.len()).collect();
        pick_quotes(
            &members,
            emb,
            &[1.0, 0.0, 0.0],
            &text_of,
            &doc_of,
            shown,
            count,
        )
    }

    #[test]
    fn quotes_and_reasons_skip_near_duplicates_and_mask_only_text() {
        // 0 and 1 say the same thing in nearly the same words (cosine 0.999),
        // 3 is central but mostly redaction masks; all four documents differ
        let texts = [
            "I was charged twice.",
            "I was charged twice!",
            "Nobody answered my calls.",
            "XXXX XXXX Inquiry : XXXX XXXX, XXXX.",
        ];
        let emb = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.999, 0.045, 0.0],
            vec![0.9, 0.436, 0.0],
            vec![0.92, 0.0, 0.392],
        ];
        let q = pick_from(&texts, &emb, &[], 2);
        assert_eq!(q, vec![0, 2], "a near duplicate and a mask-only text wait");
        // nothing else left: the near duplicate, then the masks
        let q = pick_from(&texts, &emb, &[], 4);
        assert_eq!(q, vec![0, 2, 1, 3]);

        assert!(mostly_masks("XXXX XXXX Inquiry : XXXX XXXX, XXXX."));
        assert!(mostly_masks("XX/XX/XXXX {$25.00}"));
        assert!(!mostly_masks(
            "On XX/XX/XXXX, XXXX XXXX told me I was late."
        ));
        assert!(!mostly_masks(""));

        let mut rs: Vec<usize> = vec![0, 2, 1, 3];
        drop_near_duplicates(&mut rs, |&m| &emb[m]);
        assert_eq!(rs, vec![0, 2, 3], "the later of two near duplicates goes");
    }

    #[test]
    fn quotes_do_not_repeat_the_stated_reasons_of_their_card() {
        // 0 is the most central member and the card's stated reason; 1 is the
        // same form letter from another document; 2 and 3 say other things
        let texts = [
            "I cancelled because the fee was hidden.",
            "I cancelled because the fee was hidden.",
            "Nobody answered my calls.",
            "The app logs me out every day.",
        ];
        let emb = vec![
            vec![1.0, 0.0, 0.0],
            vec![1.0, 0.0, 0.0],
            vec![0.9, 0.436, 0.0],
            vec![0.8, 0.0, 0.6],
        ];
        let q = pick_from(&texts, &emb, &[0], 2);
        assert_eq!(q, vec![2, 3], "neither the reason nor its copy is quoted");
        // without a reason shown, the central sentence leads
        let q = pick_from(&texts, &emb, &[], 2);
        assert_eq!(q[0], 0);
        // when nothing else is left, the card repeats rather than stay short
        let q = pick_from(&texts, &emb, &[0], 3);
        assert_eq!(q.len(), 3);
        assert_eq!(&q[..2], &[2, 3]);
    }

    #[test]
    fn a_theme_names_the_survey_questions_its_segments_answer() {
        // was: a theme raised as the reason for a score and one raised as a
        // wish for what to improve read alike
        let asked: BTreeMap<&str, usize> = [("Why that score?", 60), ("What to improve?", 30)]
            .into_iter()
            .collect();
        let answers = ["What to improve?", "Why that score?", "What to improve?"];
        let q = question_shares(answers.into_iter(), 4, &asked, 100);
        assert_eq!(
            q,
            [
                QuestionShare {
                    question: "What to improve?".into(),
                    segments: 2,
                    share: 0.5,
                    corpus_share: 0.3,
                },
                QuestionShare {
                    question: "Why that score?".into(),
                    segments: 1,
                    share: 0.25,
                    corpus_share: 0.6,
                },
            ]
        );
        // no segment answers a question: none named, and none written
        assert!(question_shares(std::iter::empty(), 4, &asked, 100).is_empty());
    }

    #[test]
    fn outcome_values_parse_yes_no_and_numbers() {
        assert_eq!(value_as_f64(&serde_json::json!("Yes")), Some(1.0));
        // a Zendesk export's "Satisfaction Score" column: Good / Bad (and
        // Offered / Unoffered, no answer, left unread and counted)
        assert_eq!(value_as_f64(&serde_json::json!("Good")), Some(1.0));
        assert_eq!(value_as_f64(&serde_json::json!("bad")), Some(0.0));
        assert_eq!(value_as_f64(&serde_json::json!("Offered")), None);
        let key = crate::util::field_key("Satisfaction Score");
        assert!(OUTCOME_COLUMNS
            .iter()
            .any(|c| crate::util::field_key(c) == key));
        assert_eq!(value_as_f64(&serde_json::json!("4.5")), Some(4.5));
        assert_eq!(value_as_f64(&serde_json::json!(null)), None);
    }

    #[test]
    fn outcome_values_written_as_ratings_are_read() {
        let v = |s: &str| value_as_f64(&serde_json::json!(s));
        assert_eq!(v("4 stars"), Some(4.0));
        assert_eq!(v("1 Star"), Some(1.0));
        assert_eq!(v(" 4.5/5 "), Some(4.5));
        assert_eq!(v("4 / 5"), Some(4.0));
        assert_eq!(v("3 out of 5"), Some(3.0));
        assert_eq!(v("80%"), Some(80.0));
        assert_eq!(v("★★★★☆"), Some(4.0));
        assert_eq!(v("-2"), Some(-2.0));
        for not in [
            "five",
            "n/a",
            "4 apples",
            "4/",
            "4/0",
            "",
            "4 stars!",
            "1.2.3 stars",
        ] {
            assert_eq!(v(not), None, "{not:?}");
        }
    }

    #[test]
    fn outcome_values_that_are_not_numbers_are_counted_and_the_first_named() {
        let mut segs: Vec<Segment> = [("d1", "4 stars"), ("d2", "five"), ("d3", ""), ("d4", "n/a")]
            .iter()
            .enumerate()
            .map(|(i, (doc, r))| {
                let mut s = seg(&format!("s{i}"), doc, "text", 0.0);
                s.meta.insert("rating".into(), serde_json::json!(r));
                s.record = Some(i as u64 + 1);
                s
            })
            .collect();
        // a second segment of d2 changes nothing: one document, one value
        let mut again = segs[1].clone();
        again.id = "s9".into();
        segs.push(again);
        let o = outcome_from_segments(&segs, "rating");
        assert_eq!(o.values.len(), 1);
        assert_eq!(o.values["d1"], 4.0);
        assert_eq!(o.unread, 2, "the blank cell is no value, not a bad one");
        let first = o.first_unread.unwrap();
        assert!(first.ends_with(":2: \"five\""), "{first}");
    }

    #[test]
    fn an_outcome_column_is_found_whatever_its_case_and_spacing() {
        // was: only an exact `rating` key; a `Rating` or `Star Rating` column
        // (as review exports name it) gave no impact at all
        let with = |name: &str, doc: &str, v: f64| {
            let mut s = seg(doc, doc, "text", 0.0);
            s.meta.clear();
            s.meta.insert(name.into(), serde_json::json!(v));
            s
        };
        let segs = vec![
            with("Star Rating", "d1", 2.0),
            with("star rating", "d2", 4.0),
        ];
        let o = outcome_from_segments(&segs, "star_rating");
        assert_eq!(o.values.len(), 2);
        assert_eq!(
            o.column, "Star Rating",
            "the file's own spelling, first found"
        );
        // an exact name wins over a look-alike in the same record
        let mut s = with("Rating", "d3", 1.0);
        s.meta.insert("rating".into(), serde_json::json!(5));
        let o = outcome_from_segments(&[s], "rating");
        assert_eq!(o.values["d3"], 5.0);
        assert_eq!(o.column, "rating");
        // `Overall` (Amazon) is among the columns tried by default
        let key = crate::util::field_key("Overall");
        assert!(OUTCOME_COLUMNS
            .iter()
            .any(|c| crate::util::field_key(c) == key));
    }
}
