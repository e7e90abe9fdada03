//! Trend: whether a theme rises or falls over the time its corpus spans.
//!
//! Why: a review export or a quarter of complaint calls spans months, and an
//! insight team asks not only why customers complain but whether that reason
//! is growing. When the documents carry a date (a `date` or `created_at`
//! column, an e-mail's `Date:`), the documents are counted per period (day,
//! week, month, quarter or year: the finest that gives at most
//! [`MAX_PERIODS`]) for the report, and each theme is tested for whether its
//! documents come later (or earlier) than the rest: the Wilcoxon–Mann–Whitney
//! rank-sum test on the documents' dates, Holm-corrected over all themes
//! tested. Ranks, not calendar distances: a corpus of 2019 with a handful of
//! complaints from 2015 would otherwise let those few decide every trend. A theme is `rising` (`falling`) when the corrected test
//! is below 0.05 and its share in the later half of the documents (by date)
//! is at least [`MIN_RATIO`] times its share in the earlier half (or that much
//! below). Everything is a pure function of the documents' dates: the same
//! input gives the same bytes.

use crate::segment::Segment;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// At most this many periods: the unit is the finest of day, week, month,
/// quarter and year that spans the dates in no more.
pub const MAX_PERIODS: i64 = 24;
/// The time line's periods leave out this many per mille of the dates at
/// each end (counted in the first or last period).
pub const TAIL_PERMILLE: usize = 25;
/// Trends are tested only with dated documents in at least this many periods
/// ...
pub const MIN_PERIODS: usize = 3;
/// ... and at least this many dated documents.
pub const MIN_DATED: usize = 30;
/// A theme is tested only with at least this many dated documents in it and
/// this many outside it (the normal approximation needs both).
pub const MIN_THEME: usize = 5;
/// Holm-corrected p-value below which a trend is named.
pub const ALPHA: f64 = 0.05;
/// The later half's share must be at least this many times the earlier
/// half's (or this many times below it): on 100,000 documents a change from
/// 10.0% to 10.4% is "significant" and says nothing to a reader.
pub const MIN_RATIO: f64 = 1.2;

/// Columns tried, in order, when no date column is configured (matched with
/// case, spaces and punctuation ignored: `Date Received`, `RecordedDate`,
/// `Submit Date (UTC)`, `createdAt`), as review, survey, complaint and
/// help-desk exports name them. The first whose values are dates for at
/// least [`MIN_READ`] of the documents holding it is used.
pub const DATE_COLUMNS: &[&str] = &[
    "date",
    "date_received",
    "review_date",
    "submitted_at",
    "submit_date",
    "submit_date_utc",
    "recorded_date",
    "end_date",
    "timestamp",
    "created_at",
    "created",
    "creation_date",
    "date_created",
    "start_date",
    "received_at",
    "recorded",
    "recorded_at",
    "sent_at",
    "datetime",
    "time",
    "at",
];

/// Share of a candidate column's values that must read as dates for the
/// column to be used without being named.
pub const MIN_READ: f64 = 0.8;

/// A date column read: one day per document that has one.
#[derive(Debug, Clone, Default)]
pub struct Dates {
    /// The column as the input spells it.
    pub column: String,
    /// Days since 1970-01-01 per document.
    pub days: BTreeMap<String, i64>,
    /// Documents whose value is not empty but not read as a date.
    pub unread: usize,
    /// The first of them in canonical order (`reviews.csv:7: "soon"`).
    pub first_unread: Option<String>,
}

/// Which of two numbers before the year is the month: `03/04/2026` is the
/// 4th of March in the US and the 3rd of April in most other places. Decided
/// per column: day first when some value's first number is over 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    MonthFirst,
    DayFirst,
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day number from [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-02`.
pub fn iso(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A valid date's day number; years 1900–2199 (two-digit years are 20xx).
fn civil(y: i64, m: u32, d: u32) -> Option<i64> {
    let y = if (0..100).contains(&y) { 2000 + y } else { y };
    ((1900..2200).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then(|| days_from_civil(y, m, d))
}

fn month_of(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w) || (w == "sept" && *m == "september"))
        .map(|i| i as u32 + 1)
}

/// A date's day number from a value as exports write it:
/// - ISO 8601 and its relatives, year first: `2026-11-02`,
///   `2026-11-02T10:03:00Z`, `2026/11/2 10:03`, `2015/4/6`, `20261102`;
/// - day and month before the year, as `order` says: `11/02/2026`,
///   `2/11/26 10:32 AM`, `02.11.2026`;
/// - a month's name: `Nov 2, 2026`, `2 November 2026`, `02-Nov-2026`,
///   `Mon, 2 Nov 2026 10:03:00 +0100` (RFC 2822);
/// - Unix time in seconds or milliseconds, as a number or a string of digits
///   (seconds also with a fraction, as Slack writes `ts`).
///
/// The date is taken as written, before any time zone: a day is the
/// customer's day.
pub fn parse_date(v: &Value, order: DayOrder) -> Option<i64> {
    match v {
        Value::Number(n) => unix(n.as_f64()?),
        Value::String(s) => parse_date_str(s, order),
        _ => None,
    }
}

fn unix(x: f64) -> Option<i64> {
    let secs = if (1e8..1e11).contains(&x) {
        x
    } else if (1e11..1e14).contains(&x) {
        x / 1000.0
    } else {
        return None;
    };
    Some((secs / 86_400.0).floor() as i64)
}

/// Runs of digits and of letters, the rest separators.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut digit = false;
    for (i, c) in s.char_indices() {
        let kind = if c.is_ascii_digit() {
            Some(true)
        } else if c.is_alphabetic() {
            Some(false)
        } else {
            None
        };
        match (start, kind) {
            (Some(b), Some(k)) if k != digit => {
                out.push(&s[b..i]);
                start = Some(i);
                digit = k;
            }
            (Some(b), None) => {
                out.push(&s[b..i]);
                start = None;
            }
            (None, Some(k)) => {
                start = Some(i);
                digit = k;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push(&s[b..]);
    }
    out
}

fn is_num(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

fn parse_date_str(s: &str, order: DayOrder) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 48 {
        return None;
    }
    if let Some((int, frac)) = s.split_once('.') {
        // Unix time with a fraction, as Slack writes `ts`: 1762077780.000200
        if int.len() >= 9 && is_num(int) && is_num(frac) {
            return unix(s.parse::<f64>().ok()?);
        }
    }
    if is_num(s) {
        // 20261102, else Unix seconds or milliseconds
        if s.len() == 8 {
            let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
            if let Some(d) = civil(n(0..4)? as i64, n(4..6)?, n(6..8)?) {
                return Some(d);
            }
        }
        return unix(s.parse::<f64>().ok()?);
    }
    let t = tokens(s);
    let num = |i: usize| -> Option<u32> {
        t.get(i)
            .filter(|x| is_num(x) && x.len() <= 4)
            .and_then(|x| x.parse().ok())
    };
    // a weekday's name before the date (RFC 2822)
    let skip = usize::from(t.first().is_some_and(|w| {
        let w = w.to_ascii_lowercase();
        w.len() >= 3
            && [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ]
            .iter()
            .any(|d| d.starts_with(&w))
    }));
    let at = |i: usize| t.get(skip + i).copied();
    let n = |i: usize| num(skip + i);
    let first = at(0)?;
    if is_num(first) {
        if first.len() == 4 {
            // year first
            return civil(n(0)? as i64, n(1)?, n(2)?);
        }
        if first.len() > 2 {
            return None;
        }
        if let Some(m) = at(1).and_then(month_of) {
            // 2 November 2026, 02-Nov-26
            let y = at(2).filter(|y| y.len() == 4 || y.len() == 2)?;
            return civil(y.parse().ok()?, m, n(0)?);
        }
        let (a, b) = (n(0)?, n(1)?);
        let y = at(2).filter(|y| is_num(y) && (y.len() == 4 || y.len() == 2))?;
        let (m, d) = match order {
            DayOrder::MonthFirst => (a, b),
            DayOrder::DayFirst => (b, a),
        };
        return civil(y.parse().ok()?, m, d);
    }
    // Nov 2, 2026; November 2nd 2026
    let m = month_of(first)?;
    let d = at(1).filter(|d| is_num(d) && d.len() <= 2)?;
    let mut rest = (skip + 2..t.len()).map(|i| t[i]);
    let y = rest.find(|y| is_num(y))?;
    (y.len() == 4).then_some(())?;
    civil(y.parse().ok()?, m, d.parse().ok()?)
}

/// The day order a column's values need: day first when some value written
/// `A/B/YYYY` (or with `.` or `-`) has `A` over 12 and none has `B` over 12.
pub fn day_order<'a>(values: impl IntoIterator<Item = &'a Value>) -> DayOrder {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        let Value::String(s) = v else { continue };
        let t = tokens(s.trim());
        if t.len() < 3 || !t[..3].iter().all(|x| is_num(x)) || t[0].len() > 2 {
            continue;
        }
        let (a, b) = (
            t[0].parse::<u32>().unwrap_or(0),
            t[1].parse::<u32>().unwrap_or(0),
        );
        day_first |= a > 12;
        month_first |= b > 12;
    }
    if day_first && !month_first {
        DayOrder::DayFirst
    } else {
        DayOrder::MonthFirst
    }
}

/// Read each document's date from segment metadata (its first segment that
/// holds the column), matched as [`super::outcome_from_segments`] matches its
/// column: exactly, else with case, spaces and punctuation ignored.
pub fn dates_from_segments(segments: &[Segment], column: &str) -> Dates {
    let key = crate::util::field_key(column);
    let mut spelling: Option<&str> = None;
    let mut raw: BTreeMap<&str, &Value> = BTreeMap::new();
    for s in segments {
        if raw.contains_key(&*s.doc) {
            continue;
        }
        let Some((name, v)) = super::meta_value(s, column, &key) else {
            continue;
        };
        if v.is_null() || v.as_str().is_some_and(|x| x.trim().is_empty()) {
            continue;
        }
        spelling.get_or_insert(name);
        raw.insert(&s.doc, v);
    }
    let order = day_order(raw.values().copied());
    let mut days = BTreeMap::new();
    let mut unread: BTreeSet<&str> = BTreeSet::new();
    for (doc, v) in &raw {
        match parse_date(v, order) {
            Some(d) => {
                days.insert(doc.to_string(), d);
            }
            None => {
                unread.insert(doc);
            }
        }
    }
    let first_unread = segments.iter().find(|s| unread.contains(&*s.doc)).map(|s| {
        let v = raw.get(&*s.doc).map(|v| v.to_string()).unwrap_or_default();
        format!("{}: {v}", super::record_at(s))
    });
    Dates {
        column: spelling.unwrap_or(column).to_string(),
        days,
        unread: unread.len(),
        first_unread,
    }
}

/// Whether a column's name holds the word `date` (`Review Submit Date and
/// Time`, App Store's `createdDate`): words split at anything but letters
/// and digits and where a lower-case letter meets a capital.
pub fn names_a_date(name: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() || (prev_lower && c.is_uppercase()) {
            words.push(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase();
    }
    words.push(word);
    words.iter().any(|w| w == "date")
}

/// [`Dates::column`] when the dates come from the files' paths.
pub const FROM_PATHS: &str = "file path";

/// A date in a file's path, as nightly folders and recorders write it: the
/// last `2026-11-02` (or with `_` or `.`, not inside a longer run of digits)
/// of the path, or Zoom's `GMT20261102-140322_Recording`.
pub fn date_in_path(path: &str) -> Option<i64> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| {
        Regex::new(r"(\d{4})[-_.](\d{2})[-_.](\d{2})|GMT(\d{4})(\d{2})(\d{2})")
            .unwrap_or_else(|e| unreachable!("{e}"))
    });
    let digit_at = |i: usize| path.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
    r.captures_iter(path)
        .filter_map(|c| {
            let m = c.get(0)?;
            if (m.start() > 0 && digit_at(m.start() - 1))
                || (c.get(1).is_some() && digit_at(m.end()))
            {
                return None;
            }
            let n = |i: usize| {
                c.get(i)
                    .or_else(|| c.get(i + 3))?
                    .as_str()
                    .parse::<u32>()
                    .ok()
            };
            civil(n(1)? as i64, n(2)?, n(3)?)
        })
        .last()
}

/// Each document's date from its file's path ([`date_in_path`]), when at
/// least [`MIN_READ`] of the documents have one and not all the same.
fn dates_from_paths(segments: &[Segment]) -> Option<Dates> {
    let mut days = BTreeMap::new();
    let mut docs = BTreeSet::new();
    for s in segments {
        if docs.insert(&*s.doc) {
            if let Some(d) = date_in_path(&s.source) {
                days.insert(s.doc.to_string(), d);
            }
        }
    }
    let distinct: BTreeSet<i64> = days.values().copied().collect();
    (distinct.len() >= 2 && days.len() as f64 >= MIN_READ * docs.len() as f64).then(|| Dates {
        column: FROM_PATHS.to_string(),
        days,
        ..Dates::default()
    })
}

/// The configured date column (`Some("")`: none), or the first of
/// [`DATE_COLUMNS`], then of the columns [`names_a_date`] (in name order),
/// whose values are dates for at least [`MIN_READ`] of the documents
/// holding it; else the dates in the files' paths ([`dates_from_paths`]).
pub fn resolve_dates(segments: &[Segment], column: Option<&str>) -> Option<Dates> {
    match column {
        Some("") => None,
        Some(c) => Some(dates_from_segments(segments, c)),
        None => {
            // the columns the corpus has, so that only those are read
            let keys: BTreeSet<&str> = segments
                .iter()
                .flat_map(super::meta_columns)
                .map(String::as_str)
                .collect();
            let present: BTreeSet<String> =
                keys.iter().map(|k| crate::util::field_key(k)).collect();
            let named = keys.iter().copied().filter(|k| names_a_date(k));
            DATE_COLUMNS
                .iter()
                .copied()
                .filter(|c| present.contains(&crate::util::field_key(c)))
                .chain(named)
                .map(|c| dates_from_segments(segments, c))
                .find(|d| {
                    let held = d.days.len() + d.unread;
                    !d.days.is_empty() && d.days.len() as f64 >= MIN_READ * held as f64
                })
                .or_else(|| dates_from_paths(segments))
        }
    }
}

/// The unit documents are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    const ALL: [Unit; 5] = [
        Unit::Day,
        Unit::Week,
        Unit::Month,
        Unit::Quarter,
        Unit::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Quarter => "quarter",
            Unit::Year => "year",
        }
    }

    /// The period number of a day (weeks start on Monday).
    fn period(self, day: i64) -> i64 {
        let (y, m, _) = civil_from_days(day);
        match self {
            Unit::Day => day,
            // 1970-01-01 was a Thursday
            Unit::Week => (day + 3).div_euclid(7),
            Unit::Month => y * 12 + (m as i64 - 1),
            Unit::Quarter => y * 4 + (m as i64 - 1) / 3,
            Unit::Year => y,
        }
    }

    /// A period's name: `2026-11-02`, `week of 2026-11-02`, `2026-11`,
    /// `2026 Q4`, `2026`.
    fn label(self, p: i64) -> String {
        match self {
            Unit::Day => iso(p),
            Unit::Week => format!("week of {}", iso(p * 7 - 3)),
            Unit::Month => format!("{:04}-{:02}", p.div_euclid(12), p.rem_euclid(12) + 1),
            Unit::Quarter => format!("{:04} Q{}", p.div_euclid(4), p.rem_euclid(4) + 1),
            Unit::Year => format!("{p:04}"),
        }
    }
}

/// One period of the corpus's time line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Period {
    /// Its name: `2026-11-02`, `week of 2026-11-02`, `2026-11`, `2026 Q4`, `2026`; `up to ...` / `from ...` at a trimmed end.
    pub period: String,
    /// Dated documents (with analysed segments) in it.
    pub documents: usize,
}

/// `corpus.dates` in `insights.json`: the date column and the time line the
/// trends are counted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DatesSummary {
    /// The date column, or `file path` when the dates come from the files' paths.
    pub column: String,
    /// Documents with analysed segments and a date ...
    pub documents: usize,
    /// ... and without one (left out of the trends).
    pub undated: usize,
    /// First and last day, ISO (`2026-11-02`).
    pub first: String,
    /// (see `first`)
    pub last: String,
    /// `day`, `week`, `month`, `quarter` or `year`; null when the dates span
    /// too little for trends (fewer than [`MIN_PERIODS`] periods or
    /// [`MIN_DATED`] documents).
    pub unit: Option<String>,
    /// Every period from the first to the last of the central 95% of the
    /// dates, empty ones included; the dates outside count in the first or
    /// last (then named `up to 2018-10`, `from 2020-02`).
    pub periods: Vec<Period>,
    /// The first day of the later half of the dated documents: the earlier
    /// half is before it.
    pub split: Option<String>,
}

/// A theme's course over the corpus's time line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Trend {
    /// `rising`, `falling` or `steady`.
    pub direction: String,
    /// The theme's dated documents per period (aligned with `corpus.dates.periods`).
    pub documents: Vec<usize>,
    /// Its share of the dated documents in the earlier half ...
    pub early_share: f64,
    /// ... and in the later half (`corpus.dates.split`).
    pub late_share: f64,
    /// Rank-sum statistic of its documents' dates against the rest's,
    /// standardised (positive: later than the rest, rising).
    pub z: f64,
    /// Its two-sided p-value, Holm-corrected over the themes tested.
    pub p: f64,
}

/// The documents' periods, built once per run.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Per dated document: its period (0-based), the mid-rank of its date
    /// (1-based, ties averaged) and whether it is in the later half.
    doc_period: BTreeMap<String, (usize, f64, bool)>,
    /// Σ (t³ − t) over the groups of t documents dated the same day: the
    /// rank-sum variance's correction for ties.
    ties: f64,
    /// How many documents the later half holds.
    n_late: usize,
    pub summary: DatesSummary,
}

impl Timeline {
    /// The time line of `docs` (the documents with analysed segments); None
    /// when none of them has a date.
    pub fn new<'a>(dates: &Dates, docs: impl IntoIterator<Item = &'a str>) -> Option<Timeline> {
        let mut dated: Vec<(i64, &str)> = Vec::new();
        let mut undated = 0;
        for d in docs {
            match dates.days.get(d) {
                Some(&day) => dated.push((day, d)),
                None => undated += 1,
            }
        }
        dated.sort_unstable();
        let (&(first, _), &(last, _)) = (dated.first()?, dated.last()?);
        // the periods span the central 95% of the dates (all of them under
        // 40 documents); the few outside count in the first or last period,
        // so that a 1900-01-01 placeholder or a sparse early year does not
        // stretch the time line into years of empty periods
        let tail = dated.len() * TAIL_PERMILLE / 1000;
        let (lo, hi) = (dated[tail].0, dated[dated.len() - 1 - tail].0);
        let unit = Unit::ALL
            .into_iter()
            .find(|u| u.period(hi) - u.period(lo) < MAX_PERIODS)
            .unwrap_or(Unit::Year);
        let p0 = unit.period(lo);
        let n = (unit.period(hi) - p0 + 1).min(10 * MAX_PERIODS) as usize;
        let mut counts = vec![0usize; n];
        let mut doc_period = BTreeMap::new();
        let mut ties = 0.0;
        let half = dated.len() / 2;
        let mut i = 0;
        while i < dated.len() {
            let same = dated[i..]
                .iter()
                .take_while(|(day, _)| *day == dated[i].0)
                .count();
            let t = same as f64;
            ties += t * t * t - t;
            // ranks i+1 ..= i+same, averaged
            let rank = i as f64 + (t + 1.0) / 2.0;
            for (k, &(day, d)) in dated[i..i + same].iter().enumerate() {
                let p = (unit.period(day) - p0).clamp(0, n as i64 - 1) as usize;
                counts[p] += 1;
                doc_period.insert(d.to_string(), (p, rank, i + k >= half));
            }
            i += same;
        }
        let used = counts.iter().filter(|&&c| c > 0).count();
        let enough = used >= MIN_PERIODS && dated.len() >= MIN_DATED;
        Some(Timeline {
            summary: DatesSummary {
                column: dates.column.clone(),
                documents: dated.len(),
                undated,
                first: iso(first),
                last: iso(last),
                unit: enough.then(|| unit.name().to_string()),
                periods: if enough {
                    counts
                        .iter()
                        .enumerate()
                        .map(|(i, &c)| Period {
                            period: match i {
                                0 if unit.period(first) < p0 => {
                                    format!("up to {}", unit.label(p0))
                                }
                                _ if i == n - 1 && unit.period(last) > p0 + i as i64 => {
                                    format!("from {}", unit.label(p0 + i as i64))
                                }
                                _ => unit.label(p0 + i as i64),
                            },
                            documents: c,
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                split: enough.then(|| iso(dated[half].0)),
            },
            doc_period: if enough { doc_period } else { BTreeMap::new() },
            ties,
            n_late: dated.len() - half,
        })
    }

    /// The trend of a theme holding `docs`, its p-value not yet corrected;
    /// None when trends are not tested on this time line or the theme has
    /// fewer than [`MIN_THEME`] dated documents in it or outside it.
    pub fn test<'a>(&self, docs: impl IntoIterator<Item = &'a str>) -> Option<Trend> {
        let periods = &self.summary.periods;
        if periods.is_empty() {
            return None;
        }
        let mut x = vec![0usize; periods.len()];
        let (mut early, mut late) = (0usize, 0usize);
        let mut rank_sum = 0.0;
        for d in docs {
            if let Some(&(p, rank, in_late)) = self.doc_period.get(d) {
                x[p] += 1;
                rank_sum += rank;
                if in_late {
                    late += 1;
                } else {
                    early += 1;
                }
            }
        }
        let total = self.doc_period.len() as f64;
        let inside = (early + late) as f64;
        if early + late < MIN_THEME || total - inside < MIN_THEME as f64 {
            return None;
        }
        let z = rank_sum_z(rank_sum, inside, total, self.ties)?;
        let n_late = self.n_late as f64;
        let n_early = total - n_late;
        Some(Trend {
            direction: "steady".to_string(),
            documents: x,
            early_share: super::round6(early as f64 / n_early.max(1.0)),
            late_share: super::round6(late as f64 / n_late.max(1.0)),
            z: super::round6(z),
            p: two_sided_p(z),
        })
    }
}

/// The Wilcoxon–Mann–Whitney statistic, standardised: `rank_sum` is the sum
/// of the mid-ranks of `n1` items among `n` (the rest `n − n1`), `ties` is
/// Σ (t³ − t) over groups of t tied values. Positive when the `n1` rank
/// higher than the rest; None when there is no variance (all tied).
pub fn rank_sum_z(rank_sum: f64, n1: f64, n: f64, ties: f64) -> Option<f64> {
    let n2 = n - n1;
    if n1 <= 0.0 || n2 <= 0.0 || n < 2.0 {
        return None;
    }
    let mean = n1 * (n + 1.0) / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    (var > 0.0).then(|| (rank_sum - mean) / var.sqrt())
}

/// Two-sided p-value of a standard normal statistic.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit,
/// relative error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Correct the trends' p-values for testing many themes (Holm's step-down:
/// the i-th smallest of m times m − i, kept monotone), then name each
/// direction: `rising` or `falling` where the corrected p is below [`ALPHA`]
/// and the halves' shares differ by [`MIN_RATIO`] in the same direction.
pub fn correct(trends: &mut [&mut Trend]) {
    let mut p: Vec<f64> = trends.iter().map(|t| t.p).collect();
    super::stats::holm(&mut p);
    for (t, p) in trends.iter_mut().zip(p) {
        t.p = p;
    }
    for t in trends.iter_mut() {
        let (e, l) = (t.early_share, t.late_share);
        t.direction = if t.p >= ALPHA {
            "steady"
        } else if t.z > 0.0 && l >= MIN_RATIO * e {
            "rising"
        } else if t.z < 0.0 && e >= MIN_RATIO * l {
            "falling"
        } else {
            "steady"
        }
        .to_string();
        t.p = super::stats::sig4(t.p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> Option<i64> {
        parse_date(&json!(s), DayOrder::MonthFirst)
    }

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(iso(days_from_civil(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn dates_as_exports_write_them_are_read() {
        let want = days_from_civil(2026, 11, 2);
        for s in [
            "2026-11-02",
            "2026-11-02T23:59:00-05:00",
            "2026-11-02 10:03:00",
            "2026/11/2",
            "20261102",
            "11/02/2026",
            "11/2/26 10:32 AM",
            "Nov 2, 2026",
            "November 2nd 2026",
            "2 November 2026",
            "02-Nov-2026",
            "Mon, 2 Nov 2026 10:03:00 +0100",
        ] {
            assert_eq!(day(s), Some(want), "{s}");
        }
        // CFPB writes year/month/day without leading zeros
        assert_eq!(day("2015/4/6"), Some(days_from_civil(2015, 4, 6)));
        // Unix seconds and milliseconds, as numbers or strings
        let noon = (want * 86_400 + 43_200) as f64;
        assert_eq!(parse_date(&json!(noon), DayOrder::MonthFirst), Some(want));
        assert_eq!(
            parse_date(&json!(noon * 1000.0), DayOrder::MonthFirst),
            Some(want)
        );
        assert_eq!(day(&format!("{}", noon as i64)), Some(want));
        assert_eq!(day(&format!("{}.000200", noon as i64)), Some(want));
        // day first where the column says so
        assert_eq!(
            parse_date(&json!("02.11.2026"), DayOrder::DayFirst),
            Some(want)
        );
    }

    #[test]
    fn what_is_not_a_date_is_not_read_as_one() {
        for s in [
            "",
            "soon",
            "10:32",
            "4 stars",
            "2026-13-01",
            "2026-02-30",
            "31/31/2026",
            "5",
            "12345",
            "The fee only shows up at checkout, since 2026-11-02.",
            "May",
            "Mayday 5 2026",
        ] {
            assert_eq!(day(s), None, "{s}");
        }
        assert_eq!(parse_date(&json!(4.5), DayOrder::MonthFirst), None);
        assert_eq!(parse_date(&json!(true), DayOrder::MonthFirst), None);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panic_and_every_day_round_trips(
            s in "\\PC{0,40}",
            z in -25_000i64..80_000,
        ) {
            let _ = parse_date(&json!(s), DayOrder::MonthFirst);
            let _ = parse_date(&json!(s), DayOrder::DayFirst);
            let _ = day_order(&[json!(s)]);
            let _ = date_in_path(&s);
            let (y, m, d) = civil_from_days(z);
            for text in [iso(z), format!("{m}/{d}/{y}"), format!("{y}{m:02}{d:02}")] {
                proptest::prop_assert_eq!(day(&text), Some(z), "{}", text);
            }
        }
    }

    #[test]
    fn a_column_with_a_first_number_over_12_is_read_day_first() {
        let us = [json!("11/02/2026"), json!("12/25/2026")];
        assert_eq!(day_order(&us), DayOrder::MonthFirst);
        let eu = [json!("02/11/2026"), json!("25/12/2026")];
        assert_eq!(day_order(&eu), DayOrder::DayFirst);
        // ambiguous throughout: month first, as US tools export
        assert_eq!(day_order(&[json!("02/11/2026")]), DayOrder::MonthFirst);
    }

    #[test]
    fn the_trend_statistic_matches_a_worked_example() {
        // ranks 6, 7, 8 of 8 against 1..=5: W = 21, mean 13.5, var 3 * 5 * 9 / 12 = 11.25
        let z = rank_sum_z(21.0, 3.0, 8.0, 0.0).unwrap();
        assert!((z - 7.5 / 11.25f64.sqrt()).abs() < 1e-12, "{z}");
        // [1, 2, 2] against [2, 3, 3, 4]: mid-ranks 1, 3, 3 of 7, ties a group
        // of 3 and one of 2 (24 + 6 = 30); var = 3 * 4 / 12 * (8 - 30 / 42),
        // z = -5 / sqrt(var) = -1.8524, two-sided p = 0.06397
        let z = rank_sum_z(7.0, 3.0, 7.0, 30.0).unwrap();
        assert!((z + 1.852_396).abs() < 1e-6, "{z}");
        assert!(
            (two_sided_p(z) - 0.063_969).abs() < 1e-5,
            "{}",
            two_sided_p(z)
        );
        assert!(rank_sum_z(10.0, 4.0, 4.0, 0.0).is_none());
        assert!((two_sided_p(1.959_963_985) - 0.05).abs() < 1e-6);
        assert!((two_sided_p(0.0) - 1.0).abs() < 1e-6);
        assert!((two_sided_p(-3.0) - 0.002_699_796).abs() < 1e-8);
    }

    #[test]
    fn holm_keeps_order_and_names_only_large_significant_changes() {
        let t = |z: f64, p: f64, e: f64, l: f64| Trend {
            direction: String::new(),
            documents: vec![],
            early_share: e,
            late_share: l,
            z,
            p,
        };
        let mut a = t(4.0, 0.001, 0.05, 0.15);
        let mut b = t(-3.0, 0.01, 0.20, 0.10);
        let mut c = t(3.0, 0.02, 0.10, 0.11); // significant, but a change of 10%
        let mut d = t(1.0, 0.30, 0.10, 0.20);
        correct(&mut [&mut a, &mut b, &mut c, &mut d]);
        assert_eq!((a.p, b.p, c.p, d.p), (0.004, 0.03, 0.04, 0.3));
        assert_eq!(
            [a.direction, b.direction, c.direction, d.direction],
            ["rising", "falling", "steady", "steady"]
        );
    }

    #[test]
    fn the_unit_is_the_finest_that_fits_24_periods() {
        let dates = |first: i64, last: i64| Dates {
            column: "date".into(),
            days: (0..40)
                .map(|i| (format!("d{i:02}"), first + (last - first) * i / 39))
                .collect(),
            ..Dates::default()
        };
        let unit = |f: i64, l: i64| {
            let d = dates(f, l);
            Timeline::new(&d, d.days.keys().map(String::as_str))
                .unwrap()
                .summary
                .unit
        };
        let d0 = days_from_civil(2026, 1, 1);
        assert_eq!(unit(d0, d0 + 20).as_deref(), Some("day"));
        assert_eq!(unit(d0, d0 + 60).as_deref(), Some("week"));
        assert_eq!(unit(d0, d0 + 400).as_deref(), Some("month"));
        assert_eq!(unit(d0, d0 + 4 * 365).as_deref(), Some("quarter"));
        assert_eq!(unit(d0, d0 + 30 * 365).as_deref(), Some("year"));
        // one day: no trends
        assert_eq!(unit(d0, d0), None);
        // a placeholder date far out counts in the first period, and does
        // not stretch the time line
        let mut d = dates(d0, d0 + 60);
        d.days.insert("d40".into(), days_from_civil(1900, 1, 1));
        let tl = Timeline::new(&d, d.days.keys().map(String::as_str)).unwrap();
        assert_eq!(tl.summary.unit.as_deref(), Some("week"));
        assert_eq!(tl.summary.first, "1900-01-01");
        let periods = &tl.summary.periods;
        assert_eq!(periods.len(), 9);
        assert_eq!(periods[0].period, "up to week of 2025-12-29");
        assert_eq!(periods[8].period, "from week of 2026-02-23");
        assert_eq!(
            tl.summary
                .periods
                .iter()
                .map(|p| p.documents)
                .sum::<usize>(),
            41
        );
        let d = dates(d0, d0 + 60);
        let tl = Timeline::new(&d, d.days.keys().map(String::as_str)).unwrap();
        assert_eq!(tl.summary.periods[0].period, "week of 2025-12-29");
        assert_eq!(tl.summary.split.as_deref(), Some("2026-01-31"));
    }

    fn seg(doc: &str, line: u64, meta: &[(&str, Value)]) -> Segment {
        Segment {
            id: format!("s-{doc}"),
            doc: doc.into(),
            source: "reviews.csv".into(),
            line: Some(line),
            record: None,
            span: [0, 4],
            speaker: None,
            role: None,
            start_ms: None,
            end_ms: None,
            question: None,
            text: "text".into(),
            noise: None,
            meta: meta
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn the_date_column_is_found_by_its_usual_names_and_only_when_it_holds_dates() {
        // a clock-time `Time` column is no date column; `Date Received` is,
        // written day first, with one value that is no date
        let segs: Vec<Segment> = (1..=10)
            .map(|i| {
                let date = if i == 7 {
                    json!("n/a")
                } else {
                    json!(format!("{:02}/03/2026", 10 + i))
                };
                seg(
                    &format!("d{i}"),
                    i + 1,
                    &[("Time", json!("10:32")), ("Date Received", date)],
                )
            })
            .collect();
        let d = resolve_dates(&segs, None).expect("a date column");
        assert_eq!(d.column, "Date Received");
        assert_eq!(d.days.len(), 9);
        assert_eq!(d.days["d1"], days_from_civil(2026, 3, 11));
        assert_eq!(d.unread, 1);
        assert_eq!(d.first_unread.as_deref(), Some("reviews.csv:8: \"n/a\""));
        // named: found whatever its spelling; "" turns trends off
        assert_eq!(
            resolve_dates(&segs, Some("date_received"))
                .unwrap()
                .days
                .len(),
            9
        );
        assert!(resolve_dates(&segs, Some("")).is_none());
        // a column that is mostly not dates is not taken unasked
        let words: Vec<Segment> = (1..=10)
            .map(|i| {
                seg(
                    &format!("d{i}"),
                    i,
                    &[("date", json!(if i < 4 { "2026-01-01" } else { "soon" }))],
                )
            })
            .collect();
        assert!(resolve_dates(&words, None).is_none());
        // Google Play's and App Store's names for it, by the word `date`
        for name in ["Review Submit Date and Time", "createdDate"] {
            let segs = [seg("d1", 2, &[(name, json!("2026-03-01T10:00:00Z"))])];
            assert_eq!(resolve_dates(&segs, None).unwrap().column, name);
        }
        assert!(!names_a_date("update_count") && !names_a_date("Candidate"));
        assert!(names_a_date("Date") && names_a_date("review_date"));
    }

    #[test]
    fn dates_in_file_paths_are_read_when_no_column_holds_them() {
        let day = |y, m, d| Some(days_from_civil(y, m, d));
        assert_eq!(date_in_path("calls/2026-11-02/c1.txt"), day(2026, 11, 2));
        assert_eq!(date_in_path("in/2026_11_02 call.txt"), day(2026, 11, 2));
        // the last of several: the file's, not its folder's
        assert_eq!(
            date_in_path("export-2026-01-01/2026.11.03-call.txt"),
            day(2026, 11, 3)
        );
        assert_eq!(
            date_in_path("zoom/GMT20261102-140322_Recording.transcript.vtt"),
            day(2026, 11, 2)
        );
        for p in [
            "calls/call-12026-11-02.txt",
            "ids/2026-11-021.txt",
            "a/2026-13-02.txt",
            "x.txt",
        ] {
            assert_eq!(date_in_path(p), None, "{p}");
        }
        // a folder of dated calls; but one shared date is no time line
        let segs: Vec<Segment> = (1..=10)
            .map(|i| {
                let mut s = seg(&format!("d{i}"), 1, &[]);
                s.source = format!("calls/2026-11-{i:02}/call.txt").into();
                s
            })
            .collect();
        let d = resolve_dates(&segs, None).expect("dates from the paths");
        assert_eq!((d.column.as_str(), d.days.len()), (FROM_PATHS, 10));
        assert!(resolve_dates(&segs, Some("")).is_none());
        let same: Vec<Segment> = segs
            .iter()
            .map(|s| Segment {
                source: "export-2026-11-02/calls.csv".into(),
                ..s.clone()
            })
            .collect();
        assert!(resolve_dates(&same, None).is_none());
    }

    #[test]
    fn a_theme_that_grows_is_found_rising() {
        // 120 documents over 12 months; the theme holds 1 of 10 early on and
        // 5 of 10 at the end
        let d0 = days_from_civil(2026, 1, 15);
        let mut days = BTreeMap::new();
        let mut theme = Vec::new();
        for m in 0..12i64 {
            for i in 0..10i64 {
                let doc = format!("m{m:02}-{i}");
                days.insert(doc.clone(), d0 + m * 31);
                if i < 1 + m * 4 / 11 {
                    theme.push(doc);
                }
            }
        }
        let dates = Dates {
            column: "date".into(),
            days,
            ..Dates::default()
        };
        let tl = Timeline::new(&dates, dates.days.keys().map(String::as_str)).unwrap();
        assert_eq!(tl.summary.unit.as_deref(), Some("month"));
        let mut t = tl.test(theme.iter().map(String::as_str)).unwrap();
        let mut other = tl
            .test(
                dates
                    .days
                    .keys()
                    .filter(|d| d.ends_with("-9"))
                    .map(String::as_str),
            )
            .unwrap();
        correct(&mut [&mut t, &mut other]);
        assert_eq!(t.direction, "rising");
        assert!(t.late_share > 2.0 * t.early_share, "{t:?}");
        assert_eq!(other.direction, "steady");
    }
}
