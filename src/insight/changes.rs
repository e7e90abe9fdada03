//! Changes: what moved between two runs ("what changed since last night").
//!
//! Why: a team reading the report every morning wants the news first: which
//! themes are new, which grew or shrank, which insights climbed, which themes
//! are gone. Theme ids are numbers by size within one run, so themes are
//! matched across runs by their members: two themes are the same theme when
//! they share at least half of the smaller one's segments. Segments are
//! recognised by their text and position (line or record), not by their id,
//! so a corpus read from another folder still matches. A theme that split
//! keeps its match on the larger part; the other part is new, `from` the old
//! theme; a theme merged into another is gone, `into` that one.
//!
//! Labels are compared too, facet by facet: a researcher who swaps an encoder
//! or a classifier head and re-runs the same corpus wants to see, label by
//! label, what the new model says differently. Over the segments both runs
//! labelled (recognised the same way), each facet reports how many keep
//! their labels, each label's count before and now, and the most frequent
//! moves from one label to another.
//!
//! Everything here is a pure function of two runs' `insights.json` and
//! `segments.jsonl` (and, for the model names only, `run.json`), so
//! `changes.json` is as byte-stable as they are.

use super::{Insight, Insights};
use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;

/// Version of the `changes.json` schema.
pub const SCHEMA: &str = "whyline.changes/1";

/// One run as the comparison needs it: its insights and each theme's members.
#[derive(Debug, Clone)]
pub struct RunView {
    pub insights: Insights,
    /// Theme id -> its segments' content keys (text, line, record).
    members: BTreeMap<String, Vec<String>>,
    labels: LabelRows,
    /// Facet -> the fingerprint of the model that labelled it, when known
    /// (from `run.json`; see [`RunView::with_models`]).
    models: BTreeMap<String, String>,
}

/// Every segment's facet labels, interned: `rows` holds (content-key hash,
/// facet index, label indices) in file order.
#[derive(Debug, Clone, Default)]
struct LabelRows {
    facets: Vec<String>,
    /// Per facet, its label names by index.
    names: Vec<Vec<String>>,
    rows: Vec<(u64, u16, Box<[u16]>)>,
}

impl LabelRows {
    fn push(&mut self, key: u64, facet: &str, labels: &[String]) {
        let f = match self.facets.iter().position(|x| x == facet) {
            Some(f) => f,
            None => {
                self.facets.push(facet.to_string());
                self.names.push(Vec::new());
                self.facets.len() - 1
            }
        };
        let names = &mut self.names[f];
        let mut ids: Vec<u16> = labels
            .iter()
            .map(|l| match names.iter().position(|x| x == l) {
                Some(i) => i as u16,
                None => {
                    names.push(l.clone());
                    (names.len() - 1) as u16
                }
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.rows.push((key, f as u16, ids.into_boxed_slice()));
    }
}

#[derive(Deserialize)]
struct FacetLine {
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Deserialize)]
struct RunJson {
    #[serde(default)]
    models: Option<RunModels>,
}

#[derive(Deserialize)]
struct RunModels {
    #[serde(default)]
    facets: Vec<RunFacetModel>,
}

#[derive(Deserialize)]
struct RunFacetModel {
    facet: String,
    fingerprint: String,
}

#[derive(Deserialize)]
struct SegmentLine {
    text: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    record: Option<u64>,
    #[serde(default)]
    theme: Option<String>,
    /// `null` or absent: not labelled (as noise segments are).
    #[serde(default)]
    facets: Option<BTreeMap<String, FacetLine>>,
}

fn content_key(s: &SegmentLine) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        s.line.map_or(String::new(), |l| l.to_string()),
        s.record.map_or(String::new(), |r| r.to_string()),
        s.text
    )
}

fn key_hash(key: &str) -> u64 {
    // SipHash with fixed keys: the same value in every process
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl RunView {
    /// From the contents of `insights.json` and `segments.jsonl`; `origin`
    /// names them in errors.
    pub fn parse(insights_json: &str, segments_jsonl: &str, origin: &Path) -> Result<Self> {
        let ins_path = origin.join("insights.json");
        let loc = |p: &Path| Location::file(p.display().to_string());
        let insights: Insights = serde_json::from_str(insights_json)
            .map_err(|e| Error::input(loc(&ins_path), e.to_string()))?;
        if insights.schema != super::SCHEMA {
            return Err(Error::input(
                loc(&ins_path),
                format!(
                    "schema {:?}, this whyline reads {:?}",
                    insights.schema,
                    super::SCHEMA
                ),
            ));
        }
        let seg_path = origin.join("segments.jsonl");
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut labels = LabelRows::default();
        for (n, line) in segments_jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let s: SegmentLine = serde_json::from_str(line).map_err(|e| {
                Error::input(
                    Location::line(seg_path.display().to_string(), n as u64 + 1),
                    e.to_string(),
                )
            })?;
            let key = content_key(&s);
            if let Some(facets) = s.facets.as_ref().filter(|f| !f.is_empty()) {
                let h = key_hash(&key);
                for (facet, f) in facets {
                    labels.push(h, facet, &f.labels);
                }
            }
            if let Some(t) = &s.theme {
                members.entry(t.clone()).or_default().push(key);
            }
        }
        Ok(Self {
            insights,
            members,
            labels,
            models: BTreeMap::new(),
        })
    }

    /// The fingerprint of each facet's model (facet, fingerprint), shown
    /// next to its label changes.
    pub fn with_models<'a>(mut self, models: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.models = models
            .into_iter()
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .collect();
        self
    }

    /// From an output folder of `whyline run`; `Ok(None)` when it holds no results.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let (ip, sp) = (dir.join("insights.json"), dir.join("segments.jsonl"));
        if !ip.is_file() || !sp.is_file() {
            return Ok(None);
        }
        let ins = std::fs::read_to_string(&ip).map_err(|e| Error::io(&ip, e))?;
        let segs = std::fs::read_to_string(&sp).map_err(|e| Error::io(&sp, e))?;
        let view = Self::parse(&ins, &segs, dir)?;
        // the models are a label for the reader only: a missing or older
        // run.json leaves them unnamed
        let models: Vec<RunFacetModel> = std::fs::read_to_string(dir.join("run.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<RunJson>(&s).ok())
            .and_then(|r| r.models)
            .map_or_else(Vec::new, |m| m.facets);
        Ok(Some(
            view.with_models(
                models
                    .iter()
                    .map(|m| (m.facet.as_str(), m.fingerprint.as_str())),
            ),
        ))
    }

    fn themes(&self) -> impl Iterator<Item = &Insight> {
        self.insights
            .insights
            .iter()
            .chain(&self.insights.weak_signals)
    }
}

/// A run's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Totals {
    /// Documents read.
    pub documents: usize,
    /// Analysed segments.
    pub analysed: usize,
    /// Themes found.
    pub themes: usize,
    /// Insights reported.
    pub insights: usize,
    /// Analysed segments in no theme.
    pub outliers: usize,
}

fn totals(r: &RunView) -> Totals {
    let c = &r.insights.corpus;
    Totals {
        documents: c.documents,
        analysed: c.analysed,
        themes: c.themes,
        insights: r.insights.insights.len(),
        outliers: r.insights.noise.outliers,
    }
}

/// A theme in one run, as the comparison reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThemeState {
    /// Its theme id in that run.
    pub theme: String,
    /// Its rank in that run.
    pub rank: usize,
    /// An insight (not a weak signal).
    pub insight: bool,
    /// Its headline in that run.
    pub headline: String,
    /// Its documents ...
    pub documents: usize,
    /// ... as a share of the documents with analysed segments ...
    pub document_share: f64,
    /// ... and its segments.
    pub segments: usize,
}

fn state(i: &Insight, insights: usize) -> ThemeState {
    ThemeState {
        theme: i.theme.clone(),
        rank: i.rank,
        insight: i.rank <= insights,
        headline: i.headline.clone(),
        documents: i.reach.documents,
        document_share: i.reach.document_share,
        segments: i.reach.segments,
    }
}

/// How a current theme relates to the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Matched a previous theme.
    Continuing,
    /// No previous theme holds half of it.
    New,
}

/// A current theme and, when matched, its previous self.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThemeChange {
    /// `continuing` (matched a previous theme) or `new`.
    pub status: Status,
    /// The theme in this run ...
    pub now: ThemeState,
    /// ... and its previous self; null when new.
    pub before: Option<ThemeState>,
    /// Segments found in both (by text and position).
    pub shared_segments: usize,
    /// `now.documents - before.documents` (all of `now.documents` when new).
    pub documents_change: i64,
    /// For a new theme: the previous theme most of its known segments were in.
    pub from: Option<String>,
}

/// A previous theme with no current match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GoneTheme {
    /// The previous theme.
    pub before: ThemeState,
    /// The current theme most of its segments are in now, if any.
    pub into: Option<String>,
}

/// The content of `changes.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Changes {
    /// `whyline.changes/1`.
    pub schema: String,
    /// The earlier run's totals ...
    pub before: Totals,
    /// ... and this run's.
    pub now: Totals,
    /// Every current theme, in current rank order.
    pub themes: Vec<ThemeChange>,
    /// Previous themes with no current match, in previous rank order.
    pub gone: Vec<GoneTheme>,
    /// Each facet's labels over the segments both runs labelled, by facet
    /// name (absent from files written before whyline 0.1 compared labels).
    #[serde(default)]
    pub facets: Vec<FacetChange>,
}

/// One facet's labels compared over the segments both runs labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FacetChange {
    /// The facet's name.
    pub facet: String,
    /// Fingerprint of the model behind the earlier labels, when known.
    pub model_before: Option<String>,
    /// Fingerprint of the model behind this run's labels.
    pub model_now: Option<String>,
    /// Labelled in both runs (recognised by text and position); 0 when the
    /// facet ran in only one of them.
    pub segments: usize,
    /// Of those, segments with the same label set in both.
    pub unchanged: usize,
    /// Labelled by this facet in the earlier run only / in this run only.
    pub only_before: usize,
    /// (see `only_before`)
    pub only_now: usize,
    /// Every label either run gave, largest absolute change first (ties by
    /// name).
    pub labels: Vec<LabelChange>,
    /// The most frequent moves, most first: in a segment whose labels
    /// changed, each label it lost paired with each label it gained (`null`
    /// when it lost or gained none).
    pub moves: Vec<LabelMove>,
    /// Segments this facet labelled in each whole run (shared or not).
    pub labelled_before: usize,
    /// (see `labelled_before`)
    pub labelled_now: usize,
    /// Each label's share of those segments in each run, largest absolute
    /// shift first (ties by name): what the corpus says differently, e.g.
    /// after a night of new documents.
    pub shares: Vec<LabelShareChange>,
}

/// One label's share of a facet's labelled segments in each whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LabelShareChange {
    /// The label.
    pub label: String,
    /// Segments with it in the earlier run ...
    pub before: usize,
    /// ... and in this run ...
    pub now: usize,
    /// ... as a share of the segments the facet labelled then ...
    pub before_share: f64,
    /// ... and now.
    pub now_share: f64,
}

impl LabelShareChange {
    /// Two-proportion z statistic of the shift (0 when undefined).
    pub fn z(&self, before_total: usize, now_total: usize) -> f64 {
        let (n1, n2) = (before_total as f64, now_total as f64);
        if n1 == 0.0 || n2 == 0.0 {
            return 0.0;
        }
        let pooled = (self.before + self.now) as f64 / (n1 + n2);
        let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
        if se > 0.0 {
            (self.now_share - self.before_share) / se
        } else {
            0.0
        }
    }
}

/// A label's share "shifted" when it moved by at least this much ...
pub const SHIFT_MIN: f64 = 0.01;
/// ... and its two-proportion z is at least this large (p < 0.001, two-sided).
pub const SHIFT_MIN_Z: f64 = 3.29;

/// One label's count over the compared segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LabelChange {
    /// The label.
    pub label: String,
    /// Compared segments with it in the earlier run ...
    pub before: usize,
    /// ... and in this run.
    pub now: usize,
    /// `now - before`.
    pub change: i64,
    /// Segments with this label in both runs.
    pub kept: usize,
}

/// Segments that lost `from` and gained `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LabelMove {
    /// The label lost (null: none lost).
    pub from: Option<String>,
    /// The label gained (null: none gained).
    pub to: Option<String>,
    /// Segments that made this move.
    pub segments: usize,
}

/// Moves listed per facet in `changes.json`.
pub const MOVES_LISTED: usize = 20;

impl Changes {
    pub fn new_themes(&self) -> impl Iterator<Item = &ThemeChange> {
        self.themes.iter().filter(|t| t.status == Status::New)
    }

    /// Continuing themes by how much they grew (largest first; ties by rank).
    pub fn by_growth(&self) -> Vec<&ThemeChange> {
        let mut v: Vec<&ThemeChange> = self
            .themes
            .iter()
            .filter(|t| t.status == Status::Continuing)
            .collect();
        v.sort_by(|a, b| {
            b.documents_change
                .cmp(&a.documents_change)
                .then(a.now.rank.cmp(&b.now.rank))
        });
        v
    }

    /// Current insights that were not insights before (new, or weak signals then).
    pub fn new_insights(&self) -> impl Iterator<Item = &ThemeChange> {
        self.themes
            .iter()
            .filter(|t| t.now.insight && !t.before.as_ref().is_some_and(|b| b.insight))
    }
}

/// Compare `now` with `before`.
pub fn compare(before: &RunView, now: &RunView) -> Changes {
    // shared members per (previous theme, current theme), as multisets
    let mut pool: HashMap<&str, Vec<&str>> = HashMap::new();
    for (t, keys) in &before.members {
        for k in keys {
            pool.entry(k.as_str()).or_default().push(t.as_str());
        }
    }
    let mut shared: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (t, keys) in &now.members {
        for k in keys {
            if let Some(o) = pool.get_mut(k.as_str()).and_then(|v| v.pop()) {
                *shared.entry((o, t.as_str())).or_default() += 1;
            }
        }
    }
    let size = |r: &RunView, t: &str| r.members.get(t).map_or(0, Vec::len);
    // one-to-one, most shared first; a match holds half of the smaller theme
    let mut pairs: Vec<((&str, &str), usize)> = shared.iter().map(|(k, v)| (*k, *v)).collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut now_to_before: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    let mut matched_before: BTreeMap<&str, &str> = BTreeMap::new();
    for ((o, t), n) in &pairs {
        if now_to_before.contains_key(t) || matched_before.contains_key(o) {
            continue;
        }
        if 2 * n >= size(before, o).min(size(now, t)).max(1) {
            now_to_before.insert(t, (o, *n));
            matched_before.insert(o, t);
        }
    }
    // the largest partner of an unmatched theme (pairs are sorted by count)
    let source_of = |t: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.1 == t)
            .map(|(k, _)| k.0.to_string())
    };
    let heir_of = |o: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.0 == o)
            .map(|(k, _)| k.1.to_string())
    };
    let before_state: BTreeMap<&str, ThemeState> = before
        .themes()
        .map(|i| (i.theme.as_str(), state(i, before.insights.insights.len())))
        .collect();
    let themes: Vec<ThemeChange> = now
        .themes()
        .map(|i| {
            let now_state = state(i, now.insights.insights.len());
            match now_to_before.get(i.theme.as_str()) {
                Some(&(o, n)) => {
                    let b = before_state.get(o).cloned();
                    let change =
                        now_state.documents as i64 - b.as_ref().map_or(0, |b| b.documents as i64);
                    ThemeChange {
                        status: Status::Continuing,
                        now: now_state,
                        before: b,
                        shared_segments: n,
                        documents_change: change,
                        from: None,
                    }
                }
                None => ThemeChange {
                    status: Status::New,
                    documents_change: now_state.documents as i64,
                    from: source_of(&i.theme),
                    now: now_state,
                    before: None,
                    shared_segments: 0,
                },
            }
        })
        .collect();
    let gone: Vec<GoneTheme> = before
        .themes()
        .filter(|i| !matched_before.contains_key(i.theme.as_str()))
        .map(|i| GoneTheme {
            before: state(i, before.insights.insights.len()),
            into: heir_of(&i.theme),
        })
        .collect();
    Changes {
        schema: SCHEMA.to_string(),
        before: totals(before),
        now: totals(now),
        themes,
        gone,
        facets: compare_labels(before, now),
    }
}

/// Per facet: labelled segments and each label's count, over a whole run.
fn label_totals(r: &LabelRows) -> BTreeMap<&str, (usize, BTreeMap<&str, usize>)> {
    let mut t: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for (_, f, labels) in &r.rows {
        let f = *f as usize;
        let e = t.entry(r.facets[f].as_str()).or_default();
        e.0 += 1;
        for &l in labels.iter() {
            *e.1.entry(r.names[f][l as usize].as_str()).or_default() += 1;
        }
    }
    t
}

fn share_changes(
    before: Option<&(usize, BTreeMap<&str, usize>)>,
    now: Option<&(usize, BTreeMap<&str, usize>)>,
) -> (usize, usize, Vec<LabelShareChange>) {
    let empty = (0, BTreeMap::new());
    let (b, n) = (before.unwrap_or(&empty), now.unwrap_or(&empty));
    let share = |c: usize, total: usize| {
        if total == 0 {
            0.0
        } else {
            c as f64 / total as f64
        }
    };
    let labels: BTreeSet<&str> = b.1.keys().chain(n.1.keys()).copied().collect();
    let mut v: Vec<LabelShareChange> = labels
        .into_iter()
        .map(|l| {
            let (cb, cn) = (
                b.1.get(l).copied().unwrap_or(0),
                n.1.get(l).copied().unwrap_or(0),
            );
            LabelShareChange {
                label: l.to_string(),
                before: cb,
                now: cn,
                before_share: share(cb, b.0),
                now_share: share(cn, n.0),
            }
        })
        .collect();
    v.sort_by(|x, y| {
        (y.now_share - y.before_share)
            .abs()
            .total_cmp(&(x.now_share - x.before_share).abs())
            .then(x.label.cmp(&y.label))
    });
    (b.0, n.0, v)
}

/// A row of [`LabelRows`] for the join: key, facet name, label ids and the
/// facet's label names.
type JoinRow<'a> = (u64, &'a str, &'a [u16], &'a [String]);

/// Rows of `r` sorted by (key, facet name), file order kept within a key.
fn sorted_rows(r: &LabelRows) -> Vec<JoinRow<'_>> {
    let mut v: Vec<JoinRow<'_>> = r
        .rows
        .iter()
        .map(|(k, f, l)| {
            let f = *f as usize;
            (*k, r.facets[f].as_str(), &l[..], &r.names[f][..])
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    v
}

#[derive(Default)]
struct Tally<'a> {
    segments: usize,
    unchanged: usize,
    only_before: usize,
    only_now: usize,
    /// label -> (before, now, kept)
    counts: BTreeMap<&'a str, (usize, usize, usize)>,
    moves: BTreeMap<(Option<&'a str>, Option<&'a str>), usize>,
}

fn compare_labels<'a>(before: &'a RunView, now: &'a RunView) -> Vec<FacetChange> {
    let (b, n) = (&before.labels, &now.labels);
    let (rb, rn) = (sorted_rows(b), sorted_rows(n));
    let (tb, tn) = (label_totals(b), label_totals(n));
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for f in b.facets.iter().chain(&n.facets) {
        tally.entry(f.as_str()).or_default();
    }
    // a merge join; within one (key, facet), rows pair up in file order
    let (mut i, mut j) = (0, 0);
    while i < rb.len() || j < rn.len() {
        let ord = match (rb.get(i), rn.get(j)) {
            (Some(x), Some(y)) => (x.0, x.1).cmp(&(y.0, y.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                if let Some(t) = tally.get_mut(rb[i].1) {
                    t.only_before += 1;
                }
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                if let Some(t) = tally.get_mut(rn[j].1) {
                    t.only_now += 1;
                }
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let names = |r: &JoinRow<'a>| -> BTreeSet<&'a str> {
                    r.2.iter().map(|&l| r.3[l as usize].as_str()).collect()
                };
                let (facet, lb, ln) = (rb[i].1, &names(&rb[i]), &names(&rn[j]));
                if let Some(t) = tally.get_mut(facet) {
                    t.segments += 1;
                    for &l in lb {
                        t.counts.entry(l).or_default().0 += 1;
                    }
                    for &l in ln {
                        let c = t.counts.entry(l).or_default();
                        c.1 += 1;
                        if lb.contains(l) {
                            c.2 += 1;
                        }
                    }
                    if lb == ln {
                        t.unchanged += 1;
                    } else {
                        let lost: Vec<Option<&str>> = if lb.is_subset(ln) {
                            vec![None]
                        } else {
                            lb.difference(ln).map(|&l| Some(l)).collect()
                        };
                        let gained: Vec<Option<&str>> = if ln.is_subset(lb) {
                            vec![None]
                        } else {
                            ln.difference(lb).map(|&l| Some(l)).collect()
                        };
                        for &l in &lost {
                            for &g in &gained {
                                *t.moves.entry((l, g)).or_default() += 1;
                            }
                        }
                    }
                }
                i += 1;
                j += 1;
            }
        }
    }
    tally
        .into_iter()
        .map(|(facet, t)| {
            let mut labels: Vec<LabelChange> = t
                .counts
                .into_iter()
                .map(|(label, (b, n, kept))| LabelChange {
                    label: label.to_string(),
                    before: b,
                    now: n,
                    change: n as i64 - b as i64,
                    kept,
                })
                .collect();
            labels.sort_by(|a, b| {
                b.change
                    .abs()
                    .cmp(&a.change.abs())
                    .then(a.label.cmp(&b.label))
            });
            let mut moves: Vec<LabelMove> = t
                .moves
                .into_iter()
                .map(|((from, to), segments)| LabelMove {
                    from: from.map(str::to_string),
                    to: to.map(str::to_string),
                    segments,
                })
                .collect();
            // BTreeMap order breaks the ties
            moves.sort_by_key(|m| std::cmp::Reverse(m.segments));
            moves.truncate(MOVES_LISTED);
            let (labelled_before, labelled_now, shares) =
                share_changes(tb.get(facet), tn.get(facet));
            FacetChange {
                facet: facet.to_string(),
                model_before: before.models.get(facet).cloned(),
                model_now: now.models.get(facet).cloned(),
                segments: t.segments,
                unchanged: t.unchanged,
                only_before: t.only_before,
                only_now: t.only_now,
                labels,
                moves,
                labelled_before,
                labelled_now,
                shares,
            }
        })
        .collect()
}

impl FacetChange {
    /// Labels whose share of the labelled segments moved by at least
    /// [`SHIFT_MIN`] with |z| >= [`SHIFT_MIN_Z`], largest shift first; none
    /// when the model changed (its own changes are in `labels` and `moves`)
    /// or the facet ran in one run only.
    pub fn shifted(&self) -> Vec<&LabelShareChange> {
        if self.model_before != self.model_now
            || self.labelled_before == 0
            || self.labelled_now == 0
        {
            return Vec::new();
        }
        self.shares
            .iter()
            .filter(|s| {
                (s.now_share - s.before_share).abs() >= SHIFT_MIN
                    && s.z(self.labelled_before, self.labelled_now).abs() >= SHIFT_MIN_Z
            })
            .collect()
    }

    /// Whether any compared segment's labels or the model changed.
    pub fn changed(&self) -> bool {
        self.unchanged < self.segments
            || (self.model_before.is_some()
                && self.model_now.is_some()
                && self.model_before != self.model_now)
    }
}

/// `changes.json`: pretty JSON with a final newline.
pub fn to_json(c: &Changes) -> String {
    let mut s = serde_json::to_string_pretty(c).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON Schema (draft 2020-12) of `changes.json`, as
/// [`super::json_schema`] gives `insights.json`'s (`whyline schema changes`,
/// `docs/schema/changes.schema.json`).
pub fn json_schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(Changes)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insight::{CorpusSummary, NoiseSummary, Reach, ScoreParts};

    fn insight(rank: usize, theme: &str, docs: usize) -> Insight {
        Insight {
            rank,
            theme: theme.into(),
            headline: format!("about {theme}"),
            score: 50.0,
            score_parts: ScoreParts {
                reach: 0.0,
                speakers: 0.0,
                share: 0.0,
                intensity: 0.0,
                impact: None,
            },
            keywords: vec![],
            emotions: vec![],
            motivations: vec![],
            topics: vec![],
            questions: Vec::new(),
            reasons: vec![],
            reach: Reach {
                segments: docs,
                documents: docs,
                speakers: docs,
                segment_share: 0.0,
                document_share: docs as f64 / 100.0,
                document_share_ci: [0.0, 0.0],
            },
            impact: None,
            trend: None,
            by: vec![],
            significance: String::new(),
            coherence: 1.0,
            quotes: vec![],
            members: vec![],
        }
    }

    /// A run from (theme, member texts) in rank order; the first `insights` are insights.
    fn view(themes: &[(&str, Vec<String>)], insights: usize) -> RunView {
        let all: Vec<Insight> = themes
            .iter()
            .enumerate()
            .map(|(r, (t, m))| insight(r + 1, t, m.len()))
            .collect();
        let ins = Insights {
            schema: crate::insight::SCHEMA.into(),
            corpus: CorpusSummary {
                documents: themes.iter().map(|t| t.1.len()).sum(),
                analysed_documents: themes.iter().map(|t| t.1.len()).sum(),
                segments: 0,
                analysed: 0,
                themes: themes.len(),
                outliers: 0,
                facets: vec![],
                outcome: None,
                dates: None,
                by: vec![],
            },
            insights: all[..insights].to_vec(),
            weak_signals: all[insights..].to_vec(),
            noise: NoiseSummary {
                by_reason: Default::default(),
                outliers: 0,
                total: 0,
            },
        };
        let segs: String = themes
            .iter()
            .flat_map(|(t, m)| {
                m.iter().map(move |text| {
                    serde_json::json!({"id": "x", "text": text, "line": 1, "theme": t}).to_string()
                        + "\n"
                })
            })
            .collect();
        RunView::parse(&crate::report::insights_json(&ins), &segs, Path::new("run")).unwrap()
    }

    fn texts(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix} {i}")).collect()
    }

    #[test]
    fn themes_are_matched_by_members_through_growth_splits_and_merges() {
        let before = view(
            &[
                ("theme-001", texts("fee", 10)),
                ("theme-002", [texts("card", 6), texts("lost", 4)].concat()),
                ("theme-003", texts("refund", 5)),
                ("theme-004", texts("app", 3)),
            ],
            2,
        );
        let now = view(
            &[
                // fee grew, and the renumbering does not matter
                (
                    "theme-001",
                    [texts("fee", 10), texts("fee new", 8)].concat(),
                ),
                // refund + app merged (refund is the larger part)
                ("theme-002", [texts("refund", 5), texts("app", 3)].concat()),
                // card split: the larger part continues, the rest is new
                ("theme-003", texts("card", 6)),
                ("theme-004", texts("lost", 4)),
                ("theme-005", texts("delivery", 2)),
            ],
            3,
        );
        let c = compare(&before, &now);
        let by = |t: &str| c.themes.iter().find(|x| x.now.theme == t).unwrap();
        let fee = by("theme-001");
        assert_eq!(fee.status, Status::Continuing);
        assert_eq!(fee.before.as_ref().unwrap().theme, "theme-001");
        assert_eq!((fee.shared_segments, fee.documents_change), (10, 8));
        assert_eq!(by("theme-002").before.as_ref().unwrap().theme, "theme-003");
        assert_eq!(by("theme-003").before.as_ref().unwrap().theme, "theme-002");
        assert_eq!(by("theme-004").status, Status::New);
        assert_eq!(by("theme-004").from.as_deref(), Some("theme-002"));
        assert_eq!(by("theme-005").status, Status::New);
        assert_eq!(by("theme-005").from, None);
        assert_eq!(c.gone.len(), 1);
        assert_eq!(c.gone[0].before.theme, "theme-004");
        assert_eq!(c.gone[0].into.as_deref(), Some("theme-002"));
        // refund was a weak signal (rank 3 of 2 insights), now an insight
        let fresh: Vec<&str> = c.new_insights().map(|t| t.now.theme.as_str()).collect();
        assert_eq!(fresh, ["theme-002"]);
    }

    /// A run without themes whose segments carry these (text, emotion labels).
    fn labelled(rows: &[(&str, &[&str])]) -> RunView {
        let ins = view(&[], 0).insights;
        let segs: String = rows
            .iter()
            .map(|(text, labels)| {
                serde_json::json!({"id": "x", "text": text, "line": 1, "theme": null,
                    "facets": {"emotion": {"labels": labels, "scores": {}}}})
                .to_string()
                    + "\n"
            })
            .collect();
        RunView::parse(&crate::report::insights_json(&ins), &segs, Path::new("run")).unwrap()
    }

    #[test]
    fn labels_are_compared_segment_by_segment_with_counts_and_moves() {
        let before = labelled(&[
            ("a", &["neutral"]),
            ("b", &["neutral"]),
            ("c", &["anger", "annoyance"]),
            ("d", &["joy"]),
            ("gone", &["joy"]),
            // the same text twice: paired in file order
            ("dup", &["neutral"]),
            ("dup", &["neutral"]),
        ])
        .with_models([("emotion", "mlp:old")]);
        let now = labelled(&[
            ("new", &["anger"]),
            ("dup", &["neutral"]),
            ("d", &["joy"]),
            ("c", &["annoyance"]),
            ("b", &["anger"]),
            ("a", &["anger"]),
            ("dup", &["anger"]),
        ])
        .with_models([("emotion", "mlp:new")]);
        let c = compare(&before, &now);
        assert_eq!(c.facets.len(), 1);
        let f = &c.facets[0];
        assert_eq!(f.facet, "emotion");
        assert_eq!(
            (f.model_before.as_deref(), f.model_now.as_deref()),
            (Some("mlp:old"), Some("mlp:new"))
        );
        // a, b, c, d and both dups are in both runs; "gone" and "new" are not
        assert_eq!((f.segments, f.unchanged), (6, 2));
        assert_eq!((f.only_before, f.only_now), (1, 1));
        assert!(f.changed());
        let count = |l: &str| {
            let x = f.labels.iter().find(|x| x.label == l).unwrap();
            (x.before, x.now, x.change, x.kept)
        };
        assert_eq!(count("neutral"), (4, 1, -3, 1));
        assert_eq!(count("anger"), (1, 3, 2, 0));
        assert_eq!(count("annoyance"), (1, 1, 0, 1));
        assert_eq!(count("joy"), (1, 1, 0, 1));
        // largest change first
        assert_eq!(f.labels[0].label, "neutral");
        let moves: Vec<(Option<&str>, Option<&str>, usize)> = f
            .moves
            .iter()
            .map(|m| (m.from.as_deref(), m.to.as_deref(), m.segments))
            .collect();
        // c lost anger and gained nothing
        assert_eq!(
            moves,
            [
                (Some("neutral"), Some("anger"), 3),
                (Some("anger"), None, 1)
            ]
        );
    }

    #[test]
    fn segments_without_facets_or_with_null_facets_still_compare_themes() {
        let ins = crate::report::insights_json(&view(&[], 0).insights);
        let segs = "{\"text\":\"a\",\"line\":1,\"theme\":null,\"facets\":null}\n\
                    {\"text\":\"b\",\"line\":2,\"theme\":null}\n";
        let v = RunView::parse(&ins, segs, Path::new("old")).unwrap();
        let c = compare(&v, &v);
        assert!(c.facets.is_empty() && c.gone.is_empty());
    }

    #[test]
    fn label_shares_over_whole_runs_shift_only_when_large_and_significant() {
        let rows = |n: usize, anger: usize, joy: usize, tag: &str| -> Vec<(String, Vec<&str>)> {
            (0..n)
                .map(|i| {
                    let l = if i < anger {
                        vec!["anger"]
                    } else if i < anger + joy {
                        vec!["joy"]
                    } else {
                        vec!["neutral"]
                    };
                    (format!("{tag} {i}"), l)
                })
                .collect()
        };
        let run = |r: &[(String, Vec<&str>)], model: &str| {
            let r: Vec<(&str, &[&str])> = r.iter().map(|(t, l)| (t.as_str(), &l[..])).collect();
            labelled(&r).with_models([("emotion", model)])
        };
        // night 1: 400 segments, 10% anger, 20% joy; night 2 adds 400 angrier
        // ones: anger 10% -> 25%, joy 20% -> 20.5%
        let n1 = rows(400, 40, 80, "old");
        let n2 = [n1.clone(), rows(400, 160, 84, "new")].concat();
        let c = compare(&run(&n1, "m"), &run(&n2, "m"));
        let f = &c.facets[0];
        assert_eq!((f.labelled_before, f.labelled_now), (400, 800));
        // largest shift first: neutral 70% -> 54.5%, then anger 10% -> 25%
        let order: Vec<&str> = f.shares.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(order, ["neutral", "anger", "joy"]);
        assert_eq!((f.shares[1].before, f.shares[1].now), (40, 200));
        assert!((f.shares[1].now_share - 0.25).abs() < 1e-12);
        let shifted: Vec<&str> = f.shifted().iter().map(|s| s.label.as_str()).collect();
        // joy's half point is not a shift
        assert_eq!(shifted, ["neutral", "anger"]);
        // the same nights labelled by another model: its own changes, no shifts
        let c = compare(&run(&n1, "m"), &run(&n2, "other"));
        assert!(c.facets[0].shifted().is_empty());
        // a shift of 1.5 points on 100 segments is not distinguishable from chance
        let c = compare(
            &run(&rows(100, 10, 0, "a"), "m"),
            &run(&rows(200, 23, 0, "b"), "m"),
        );
        assert!(c.facets[0].shifted().is_empty(), "{:?}", c.facets[0].shares);
    }

    #[test]
    fn the_same_labels_from_the_same_model_are_no_change() {
        let rows: &[(&str, &[&str])] = &[("a", &["neutral"]), ("b", &["joy", "love"])];
        let c = compare(
            &labelled(rows).with_models([("emotion", "m")]),
            &labelled(rows).with_models([("emotion", "m")]),
        );
        let f = &c.facets[0];
        assert_eq!((f.segments, f.unchanged), (2, 2));
        assert!(!f.changed());
        assert!(f.moves.is_empty());
        assert!(f.labels.iter().all(|l| l.change == 0 && l.kept == l.now));
    }
}
