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
//! Everything here is a pure function of two runs' `insights.json` and
//! `segments.jsonl`, so `changes.json` is as byte-stable as they are.

use super::{Insight, Insights};
use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Version of the `changes.json` schema.
pub const SCHEMA: &str = "whyline.changes/1";

/// One run as the comparison needs it: its insights and each theme's members.
#[derive(Debug, Clone)]
pub struct RunView {
    pub insights: Insights,
    /// Theme id -> its segments' content keys (text, line, record).
    members: BTreeMap<String, Vec<String>>,
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
}

fn content_key(s: &SegmentLine) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        s.line.map_or(String::new(), |l| l.to_string()),
        s.record.map_or(String::new(), |r| r.to_string()),
        s.text
    )
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
            if let Some(t) = &s.theme {
                members.entry(t.clone()).or_default().push(content_key(&s));
            }
        }
        Ok(Self { insights, members })
    }

    /// From an output folder of `whyline run`; `Ok(None)` when it holds no results.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let (ip, sp) = (dir.join("insights.json"), dir.join("segments.jsonl"));
        if !ip.is_file() || !sp.is_file() {
            return Ok(None);
        }
        let ins = std::fs::read_to_string(&ip).map_err(|e| Error::io(&ip, e))?;
        let segs = std::fs::read_to_string(&sp).map_err(|e| Error::io(&sp, e))?;
        Self::parse(&ins, &segs, dir).map(Some)
    }

    fn themes(&self) -> impl Iterator<Item = &Insight> {
        self.insights
            .insights
            .iter()
            .chain(&self.insights.weak_signals)
    }
}

/// A run's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub documents: usize,
    pub analysed: usize,
    pub themes: usize,
    pub insights: usize,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeState {
    pub theme: String,
    pub rank: usize,
    /// An insight (not a weak signal).
    pub insight: bool,
    pub headline: String,
    pub documents: usize,
    pub document_share: f64,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Matched a previous theme.
    Continuing,
    /// No previous theme holds half of it.
    New,
}

/// A current theme and, when matched, its previous self.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeChange {
    pub status: Status,
    pub now: ThemeState,
    pub before: Option<ThemeState>,
    /// Segments found in both (by text and position).
    pub shared_segments: usize,
    /// `now.documents - before.documents` (all of `now.documents` when new).
    pub documents_change: i64,
    /// For a new theme: the previous theme most of its known segments were in.
    pub from: Option<String>,
}

/// A previous theme with no current match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoneTheme {
    pub before: ThemeState,
    /// The current theme most of its segments are in now, if any.
    pub into: Option<String>,
}

/// The content of `changes.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub schema: String,
    pub before: Totals,
    pub now: Totals,
    /// Every current theme, in current rank order.
    pub themes: Vec<ThemeChange>,
    /// Previous themes with no current match, in previous rank order.
    pub gone: Vec<GoneTheme>,
}

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
    }
}

/// `changes.json`: pretty JSON with a final newline.
pub fn to_json(c: &Changes) -> String {
    let mut s = serde_json::to_string_pretty(c).unwrap_or_default();
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
}
