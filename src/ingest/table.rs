//! CSV and TSV, with a header row or without one: review exports, survey
//! answers, ticket dumps, and turn-per-row transcripts.
//!
//! Columns: the text column (`--text-column`, else the first of `text`,
//! `review`, `body`, `comment`, `narrative`, `utterance`, ... then the column
//! with the longest values), an optional speaker column and an optional
//! conversation column (rows sharing its value become one document's turns,
//! in file order). Every other column is kept in `meta`, numbers as JSON
//! numbers (a `rating` or `score` column stays numeric for ranking).
//! A row with the wrong number of fields, or without text, is skipped with
//! its record and line number; the rest of the file is read.

use super::{Document, IngestOptions, Parsed, Problem, SourceRef, Taint, Turn};
use crate::util::stable_id;
use crate::Location;
use serde_json::Value;
use std::collections::BTreeMap;

/// Field names (normalised: lowercase letters and digits) taken for the
/// text, speaker and conversation in CSV/TSV headers and JSON Lines objects
/// alike, in order of preference.
pub(super) const TEXT_NAMES: &[&str] = &[
    "text",
    "review",
    "reviewtext",
    "reviewbody",
    // Trustpilot, Yotpo and other review platforms' exports
    "reviewcontent",
    "reviewcomment",
    "reviewcomments",
    "body",
    "content",
    "comment",
    "comments",
    "message",
    "narrative",
    "consumercomplaintnarrative",
    "complaint",
    "utterance",
    "feedback",
    "feedbacktext",
    "customerfeedback",
    "customercomment",
    "customercomments",
    "response",
    "answer",
    "transcript",
    "verbatim",
    "description",
];
/// Field names (normalised) of a review's title or a ticket's subject:
/// read as the record's first turn when the text column is found by its
/// name ("Stopped working after the update" says the why in a few words).
pub(super) const TITLE_NAMES: &[&str] = &[
    "title",
    "reviewtitle",
    "reviewheadline",
    "headline",
    "summary",
    "subject",
];
pub(super) const SPEAKER_NAMES: &[&str] = &[
    "speaker",
    "speakername",
    "speakerlabel",
    "author",
    "participant",
    "role",
    "sender",
];
pub(super) const DOC_NAMES: &[&str] = &[
    "conversationid",
    "conversation",
    "callid",
    "dialogueid",
    "dialogid",
    "sessionid",
    "transcriptid",
    "threadid",
    "chatid",
];

use crate::util::field_key as norm;

/// Column names (normalised) taken for a turn's start and end time, as
/// turn-per-row transcript and call exports write them; see [`cell_ms`].
pub(super) const START_NAMES: &[&str] = &[
    "start",
    "starttime",
    "startts",
    "startoffset",
    "startseconds",
    "startsec",
    "startms",
    "startmillis",
    "starttimems",
    "startoffsetms",
    "startoffsetmillis",
    "beginoffsetmillis",
    "begin",
    "begintime",
    "beginoffset",
    "timestamp",
    "timecode",
    "time",
];
pub(super) const END_NAMES: &[&str] = &[
    "end",
    "endtime",
    "endts",
    "endoffset",
    "endseconds",
    "endsec",
    "endms",
    "endmillis",
    "endtimems",
    "endoffsetms",
    "endoffsetmillis",
    "stop",
    "stoptime",
];

/// Whether a time column holds milliseconds (`start_ms`,
/// `BeginOffsetMillis`) rather than seconds.
pub(super) fn millis_column(name: &str) -> bool {
    let k = norm(name);
    k.ends_with("ms") || k.contains("millis")
}

/// A time cell to milliseconds: a timecode (`01:02:03.5`, `2:15`), or a
/// number of seconds (of milliseconds in a `millis` column). Anything else,
/// a date or a clock time (`2026-11-02`, `10:32 AM`), or a number too
/// large to be a place in a recording (a Unix time), is no time.
pub(super) fn cell_ms(v: &str, millis: bool) -> Option<u64> {
    let t = v.trim();
    if let Some(ms) = super::timecode::parse_ms(t) {
        return Some(ms);
    }
    number_ms(t.parse().ok()?, millis)
}

/// Seconds (or milliseconds) as a place in a recording of at most ~3 years.
pub(super) fn number_ms(x: f64, millis: bool) -> Option<u64> {
    let ms = if millis { x } else { x * 1000.0 };
    (x.is_finite() && (0.0..1e11).contains(&ms)).then(|| ms.round() as u64)
}

/// The start and end time columns among `names`, each with whether it
/// holds milliseconds, leaving out the columns in `taken`.
pub(super) fn time_fields(names: &[String], taken: &[usize]) -> [Option<(usize, bool)>; 2] {
    [START_NAMES, END_NAMES].map(|cands| {
        pick_field(names, None, cands)
            .filter(|i| !taken.contains(i))
            .map(|i| (i, millis_column(&names[i])))
    })
}

/// Find a field: the one named explicitly (exact, then normalised), else the
/// first of `candidates` (normalised names), in candidate order.
pub(crate) fn pick_field(
    names: &[String],
    explicit: Option<&str>,
    candidates: &[&str],
) -> Option<usize> {
    if let Some(e) = explicit {
        return names
            .iter()
            .position(|n| n == e)
            .or_else(|| names.iter().position(|n| norm(n) == norm(e)));
    }
    candidates
        .iter()
        .find_map(|c| names.iter().position(|n| norm(n) == *c))
}

/// The text columns named (`--text-column`, repeatable): their positions in
/// the order named; when none is named, the first of [`TEXT_NAMES`] (after
/// a title column of [`TITLE_NAMES`], if there is one), `Ok(None)` when
/// there is none (the caller guesses); `Err` naming the ones missing
/// (`` `Q9`, `Q10` ``).
pub(crate) fn pick_fields(
    names: &[String],
    named: &[String],
) -> Result<Option<Vec<usize>>, String> {
    if named.is_empty() {
        return Ok(pick_field(names, None, TEXT_NAMES).map(|i| {
            match pick_field(names, None, TITLE_NAMES).filter(|&t| t != i) {
                Some(t) => vec![t, i],
                None => vec![i],
            }
        }));
    }
    let mut cols = Vec::new();
    let mut missing = Vec::new();
    for n in named {
        match pick_field(names, Some(n), TEXT_NAMES) {
            Some(i) if !cols.contains(&i) => cols.push(i),
            Some(_) => {}
            None => missing.push(format!("`{n}`")),
        }
    }
    if missing.is_empty() {
        Ok(Some(cols))
    } else {
        Err(missing.join(", "))
    }
}

/// A metadata cell: numbers become JSON numbers (leading-zero codes stay
/// strings), empty cells are left out.
pub fn meta_value(s: &str) -> Option<Value> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let leading_zero = t.len() > 1 && t.starts_with('0') && !t.starts_with("0.");
    if !leading_zero
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'+')
    {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::from(i));
        }
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() {
                if let Some(n) = serde_json::Number::from_f64(f) {
                    return Some(Value::Number(n));
                }
            }
        }
    }
    Some(Value::String(t.to_string()))
}

/// `4,5` as `4.5`: in a `;`-separated file the comma is the decimal mark
/// (that is why Excel chose `;`), so a rating of 4,5 stays a number.
fn decimal_comma(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    match digits.split_once(',') {
        Some((a, b))
            if !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit()) =>
        {
            std::borrow::Cow::Owned(t.replacen(',', ".", 1))
        }
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// One parsed record, before grouping into documents.
pub(crate) struct Row {
    pub record: u64,
    pub line: u64,
    /// Byte range of the whole record in the decoded text.
    pub range: [usize; 2],
    /// The text of each text column, in column order (one, unless several
    /// were named), each a turn; none empty.
    pub texts: Vec<String>,
    /// Each text's own speaker, when the record holds a conversation (a
    /// chat's messages); empty: every text is `speaker`'s.
    pub speakers: Vec<Option<String>>,
    /// Each text's role, where the record says it (a chat author's type).
    pub roles: Vec<Option<super::Role>>,
    /// Each text's question, when the record answers several (see
    /// [`super::Turn::question`]); empty: none.
    pub questions: Vec<Option<String>>,
    pub speaker: Option<String>,
    pub group: Option<String>,
    /// Start and end in milliseconds, from the row's time columns.
    pub times: [Option<u64>; 2],
    pub meta: BTreeMap<String, Value>,
}

/// Turn rows into documents: one per row, or one per group value (turns in
/// file order, meta = the fields equal across the group's rows).
pub(crate) fn rows_to_documents(path: &str, raw: &str, rows: Vec<Row>) -> Vec<Document> {
    let turns_of = |r: &Row| {
        let mut from = r.range[0];
        r.texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                // review and ticket exports keep their HTML: read what it
                // shows; of an e-mail, the sender's own words
                let shown = super::markup::html_to_text(text.trim());
                let own = super::email::own_words(&shown);
                let t = own.trim();
                let mut span = super::locate(raw, from, r.range[1], t);
                if raw.get(span[0]..span[1]) != Some(t) {
                    // messages listed newest first, read oldest first
                    let again = super::locate(raw, r.range[0], r.range[1], t);
                    if raw.get(again[0]..again[1]) == Some(t) {
                        span = again;
                    }
                }
                if raw.get(span[0]..span[1]) == Some(t) {
                    // the next column's answer is searched after this one
                    from = span[1];
                }
                let [start_ms, end_ms] = r.times;
                Turn {
                    speaker: r
                        .speakers
                        .get(i)
                        .cloned()
                        .flatten()
                        .or_else(|| r.speaker.clone()),
                    role: r.roles.get(i).copied().flatten(),
                    start_ms,
                    // an end before the start is no end
                    end_ms: end_ms.filter(|e| start_ms.is_none_or(|s| *e >= s)),
                    question: r.questions.get(i).cloned().flatten(),
                    text: t.to_string(),
                    source: SourceRef {
                        path: path.to_string(),
                        line: Some(r.line),
                        record: Some(r.record),
                        span,
                    },
                }
            })
            .collect::<Vec<Turn>>()
    };
    let mut docs: Vec<Document> = Vec::new();
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let raw_rec = raw.get(r.range[0]..r.range[1]).unwrap_or("");
        match r.group.clone() {
            None => docs.push(Document {
                id: stable_id(&[path, &r.record.to_string(), raw_rec]),
                source: path.to_string(),
                turns: turns_of(&r),
                meta: r.meta,
            }),
            Some(g) => match groups.get(&g) {
                Some(&i) => {
                    let d = &mut docs[i];
                    d.turns.extend(turns_of(&r));
                    d.meta.retain(|k, v| r.meta.get(k) == Some(v));
                    d.id = stable_id(&[&d.id, raw_rec]);
                }
                None => {
                    groups.insert(g.clone(), docs.len());
                    let mut meta = r.meta.clone();
                    meta.entry("conversation".to_string())
                        .or_insert_with(|| Value::String(g.clone()));
                    docs.push(Document {
                        id: stable_id(&[path, &g, raw_rec]),
                        source: path.to_string(),
                        turns: turns_of(&r),
                        meta,
                    });
                }
            },
        }
    }
    docs
}

/// Where a table starts and how its fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    delim: u8,
    /// Bytes and lines before the header row: Excel's `sep=;` line, or title
    /// lines an export put above the header.
    skip_bytes: usize,
    skip_lines: u64,
}

/// The separators a `.csv` may use: Excel writes `;` where the decimal mark
/// is a comma (most of Europe), and some tools `|` or tabs.
const CSV_DELIMITERS: &[u8] = b",;\t|";

/// At most this many lines above the header row are taken for a title.
const MAX_PREAMBLE_LINES: usize = 5;

/// How a table is laid out, from its first 64 KiB. An Excel `sep=X` first
/// line says it outright. Otherwise the first of `candidates` (preferred in
/// order) under which the header has two or more fields and at least 90% of
/// the sampled rows as many; if none fits from the first line, the same after
/// skipping up to [`MAX_PREAMBLE_LINES`] title lines (one cell each). If
/// nothing fits, the first candidate from the first line, whose rows are then
/// reported one by one as before.
fn layout(text: &str, candidates: &[u8]) -> Layout {
    let first = Layout {
        delim: candidates[0],
        skip_bytes: 0,
        skip_lines: 0,
    };
    let first_line = text.lines().next().unwrap_or("");
    if let Some(sep) = first_line.trim_end().strip_prefix("sep=") {
        if let &[d] = sep.as_bytes() {
            return Layout {
                delim: d,
                skip_bytes: (first_line.len() + 1).min(text.len()),
                skip_lines: 1,
            };
        }
    }
    let mut end = text.len().min(64 << 10);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = end < text.len();
    let sample = match text[..end].rfind('\n') {
        Some(i) if cut => &text[..i + 1],
        _ => &text[..end],
    };
    let mut skip_bytes = 0usize;
    for skip_lines in 0..=MAX_PREAMBLE_LINES {
        let body = &sample[skip_bytes..];
        let preamble = &sample[..skip_bytes];
        for &delim in candidates {
            let Some(rows) = fits(body, delim, cut) else {
                continue;
            };
            // a title fills at most one cell (Excel writes `Title;;;`), and
            // has rows below; the header, at least two
            let title_like = preamble.lines().all(|l| named_cells(l, delim) < 2);
            if skip_lines == 0 || (rows > 0 && title_like) {
                return Layout {
                    delim,
                    skip_bytes,
                    skip_lines: skip_lines as u64,
                };
            }
        }
        // a title line is whole: no quoted field runs on to the next line
        match body.find('\n') {
            Some(i) if body[..i].matches('"').count() % 2 == 0 => skip_bytes += i + 1,
            _ => break,
        }
    }
    first
}

/// Whether a row is Qualtrics' third header row: most filled cells are
/// `{"ImportId":"..."}`.
fn is_qualtrics_import_ids(r: &csv::StringRecord) -> bool {
    let filled: Vec<&str> = r.iter().map(str::trim).filter(|c| !c.is_empty()).collect();
    let ids = filled
        .iter()
        .filter(|c| c.starts_with("{\"ImportId\""))
        .count();
    ids > 0 && ids * 2 >= filled.len()
}

/// `noun` and the names it has, quoted: "column `Q2`", "fields `a`, `b`".
pub(super) fn named<'a>(noun: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    let s = if names.len() == 1 { "" } else { "s" };
    format!("{noun}{s} {}", names.join(", "))
}

/// What a file's blank records are told: the first, and how many more.
pub(super) fn blank_left_out(fields: &str, blank: u64, noun: &str) -> String {
    match blank.saturating_sub(1) {
        0 => format!("no text in {fields}: left out"),
        1 => format!("no text in {fields}: left out, and 1 more {noun} like it"),
        more => format!("no text in {fields}: left out, and {more} more {noun}s like it"),
    }
}

/// The columns Qualtrics marks as typed answers: an ImportId ending in
/// `_TEXT` (`QID2_TEXT` an open question, `QID3_4_TEXT` the text of an
/// "Other" choice), in column order.
fn qualtrics_text_entries(r: &csv::StringRecord) -> Vec<usize> {
    r.iter()
        .enumerate()
        .filter(|(_, c)| {
            serde_json::from_str::<Value>(c.trim())
                .ok()
                .and_then(|v| v.get("ImportId")?.as_str().map(|id| id.ends_with("_TEXT")))
                .unwrap_or(false)
        })
        .map(|(i, _)| i)
        .collect()
}

/// SurveyMonkey names a multiple-choice question once, over its first
/// option's column, and leaves the header of its other options empty (the
/// second header row names the options): each unnamed column is named
/// `question - option` (`Which features do you use? - Alerts`), so that no
/// two columns share the empty name and one option's answer hides
/// another's in `meta`. Named columns keep their names.
fn name_answer_options(headers: &mut [String], options: &csv::StringRecord) {
    let mut question = String::new();
    for (i, h) in headers.iter_mut().enumerate() {
        let option = options.get(i).unwrap_or("").trim();
        if !h.is_empty() {
            question.clone_from(h);
        } else if !question.is_empty() && !option.is_empty() {
            *h = format!("{question} - {option}");
        }
    }
}

/// The columns SurveyMonkey's second header row marks as typed answers:
/// `Open-Ended Response` (an open question) and `Other (please specify)` (the
/// text of an "Other" choice), as Qualtrics' import ids mark `_TEXT`.
fn surveymonkey_typed_answers(r: &csv::StringRecord) -> Vec<usize> {
    r.iter()
        .enumerate()
        .filter(|(_, c)| {
            let c = c.trim().to_lowercase();
            c == "open-ended response" || c.starts_with("other (please specify")
        })
        .map(|(i, _)| i)
        .collect()
}

/// Whether a row is SurveyMonkey's second header row: it names an
/// `Open-Ended Response` or a `Response` column, and no cell is long enough
/// to be an answer to an open question.
fn is_surveymonkey_subheader(r: &csv::StringRecord) -> bool {
    let cells: Vec<&str> = r.iter().map(str::trim).collect();
    cells.iter().any(|c| {
        c.eq_ignore_ascii_case("Open-Ended Response") || c.eq_ignore_ascii_case("Response")
    }) && cells.iter().all(|c| c.split_whitespace().count() <= 6)
}

/// How many blank lines (`\n` only, decoded text) start at byte `at` of `s`.
fn blank_lines_at(s: &str, at: u64) -> u64 {
    let from = usize::try_from(at).unwrap_or(usize::MAX).min(s.len());
    s.as_bytes()[from..]
        .iter()
        .take_while(|&&b| b == b'\n')
        .count() as u64
}

/// The first cell of a one-line record that holds something.
fn first_cell(line: &str, delim: u8) -> Option<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(false)
        .from_reader(line.as_bytes());
    let r = rdr.records().next()?.ok()?;
    r.iter()
        .map(str::trim)
        .find(|c| !c.is_empty())
        .map(str::to_string)
}

/// Cells of a one-line record that hold something.
fn named_cells(line: &str, delim: u8) -> usize {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(false)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(r)) => r.iter().filter(|c| !c.trim().is_empty()).count(),
        _ => 0,
    }
}

/// The separator of a `.csv` file that starts with `head` (its first 64 KiB
/// or so): `,`, `;`, tab or `|`, as [`layout`] finds it. For readers that
/// stream the file (labelled data for `fit` and `eval`).
pub fn csv_delimiter(head: &str) -> u8 {
    layout(head, CSV_DELIMITERS).delim
}

/// Whether text with no telling name (standard input, `export.gz`) is a
/// comma- or semicolon-separated table: a header of two or more named cells,
/// none starting with a space (prose has one after each comma: `Hello, how
/// are you?`) or longer than a question, and at least one row below, 90% of
/// them as wide, among the first 64 KiB; below up to
/// [`MAX_PREAMBLE_LINES`] title lines of one cell each (`Survey export;;;`).
pub(super) fn looks_like_csv(text: &str) -> bool {
    let mut end = text.len().min(64 << 10);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = end < text.len();
    let head = &text[..end];
    [b',', b';'].into_iter().any(|delim| {
        let mut body = head;
        for _ in 0..=MAX_PREAMBLE_LINES {
            let line = body.lines().next().unwrap_or("");
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(delim)
                .flexible(true)
                .has_headers(false)
                .from_reader(line.as_bytes());
            let Some(Ok(cells)) = rdr.records().next() else {
                return false;
            };
            let named = cells.iter().filter(|c| !c.trim().is_empty()).count();
            if named >= 2 {
                let header_like = cells
                    .iter()
                    .all(|c| !c.starts_with(char::is_whitespace) && c.chars().count() <= 200);
                return header_like && fits(body, delim, cut).is_some_and(|rows| rows > 0);
            }
            match body.find('\n') {
                Some(i) if named == 1 && cells.len() >= 2 => body = &body[i + 1..],
                _ => return false,
            }
        }
        false
    })
}

/// Whether `body` reads as a table separated by `delim`: a header of two or
/// more named fields, and at least 90% of (up to 50) rows as wide (all but one
/// in a file of ten rows or fewer); if so, the
/// number of rows sampled. The last row is left out when `cut` (the sample
/// may end inside it).
fn fits(body: &str, delim: u8, cut: bool) -> Option<usize> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(body.as_bytes());
    let width = match rdr.headers() {
        Ok(h) if h.iter().filter(|f| !f.trim().is_empty()).count() >= 2 => h.len(),
        _ => return None,
    };
    let mut lens: Vec<usize> = rdr
        .records()
        .take(51)
        .map(|r| r.map_or(0, |r| r.len()))
        .collect();
    if cut || lens.len() > 50 {
        lens.pop();
    }
    // one row in ten may differ (one in a file of ten rows or fewer)
    let differ = lens.iter().filter(|&&n| n != width).count();
    (differ * 10 <= lens.len().max(10)).then_some(lens.len())
}

/// Parse CSV (`delim = b','`: the separator is then found, see [`layout`])
/// or TSV (`b'\t'`).
pub fn parse(path: &str, text: &str, delim: u8, opts: &IngestOptions, taint: Taint<'_>) -> Parsed {
    let mut out = Parsed::default();
    if text.trim().is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), "no text (empty file)"));
        return out;
    }
    let lay = if delim == b',' {
        layout(text, CSV_DELIMITERS)
    } else {
        layout(text, &[delim])
    };
    // positions below are in `body`: shift them back into the file
    let body = &text[lay.skip_bytes..];
    let (skip_bytes, skip_lines) = (lay.skip_bytes as u64, lay.skip_lines);
    // the csv reader passes over blank lines: the header is on the first
    // line with something on it
    let header_line = 1 + skip_lines + blank_lines_at(body, 0);
    let preamble = &text[..lay.skip_bytes];
    if lay.skip_lines > 0 && !preamble.starts_with("sep=") {
        let title: String = preamble
            .lines()
            .find_map(|l| first_cell(l, lay.delim))
            .unwrap_or_default()
            .chars()
            .take(60)
            .collect();
        let lines = match lay.skip_lines {
            1 => "line 1".to_string(),
            n => format!("lines 1-{n}"),
        };
        out.problems.push(Problem::warn(
            Location::line(path, 1),
            format!(
                "{lines} above the header row (line {header_line}) taken for a title and not \
                 read (`{title}`)"
            ),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(lay.delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(body.as_bytes());
    let mut headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            out.problems.push(Problem::skip(
                Location::line(path, header_line),
                format!("bad header row: {e}"),
            ));
            return out;
        }
    };
    let mut records: Vec<(csv::Position, csv::StringRecord)> = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                let mut pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
                // a record's position is where the reader began, blank lines
                // before it included: move to its first line
                let blank = blank_lines_at(body, pos.byte());
                let (byte, line) = (
                    pos.byte() + blank + skip_bytes,
                    pos.line() + blank + skip_lines,
                );
                pos.set_byte(byte).set_line(line);
                records.push((pos, rec.clone()));
            }
            Ok(false) => break,
            Err(e) => {
                let (line, record) = e
                    .position()
                    .map(|p| {
                        let blank = blank_lines_at(body, p.byte());
                        (p.line() + blank + skip_lines, p.record())
                    })
                    .unwrap_or((0, records.len() as u64 + 1));
                out.problems.push(Problem::skip(
                    Location {
                        path: path.to_string(),
                        line: Some(line),
                        record: Some(record),
                    },
                    format!("malformed row: {e}"),
                ));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    // Qualtrics exports put two more header rows under the first: the
    // question texts, then `{"ImportId":"QID1"}` per column. Neither is an
    // answer; the second says which columns are typed answers.
    let mut typed_answers = Vec::new();
    let mut survey_rows = false;
    if records
        .get(1)
        .is_some_and(|(_, r)| is_qualtrics_import_ids(r))
    {
        survey_rows = true;
        typed_answers = qualtrics_text_entries(&records[1].1);
        for (h, q) in headers.iter().zip(records[0].1.iter()) {
            let q = q.trim();
            if !h.is_empty() && !q.is_empty() && norm(q) != norm(h) {
                out.questions.insert(h.clone(), q.to_string());
            }
        }
        records.drain(..2);
    }
    // SurveyMonkey's: a second header row of "Response", "Open-Ended
    // Response" and the answer options of each question
    if records
        .first()
        .is_some_and(|(_, r)| is_surveymonkey_subheader(r))
    {
        survey_rows = true;
        name_answer_options(&mut headers, &records[0].1);
        typed_answers = surveymonkey_typed_answers(&records[0].1);
        records.drain(..1);
    }
    // a headerless export (GoEmotions' TSV, a script's dump): its first row
    // is the first record, and its columns are `column 1`, `column 2`, ...
    // (not where a survey's second header row, above, says the first is a
    // header: Qualtrics' repeats some of its names, `Finished` over `Finished`)
    if !survey_rows && first_row_is_data(&headers, &records, opts, lay.delim) {
        let row = csv::StringRecord::from(headers.clone());
        let mut pos = csv::Position::new();
        let blank = blank_lines_at(body, 0);
        pos.set_byte(blank + skip_bytes)
            .set_line(header_line)
            .set_record(1);
        for (p, _) in &mut records {
            p.set_record(p.record() + 1);
        }
        records.insert(0, (pos, row));
        headers = (1..=headers.len()).map(|i| format!("column {i}")).collect();
        out.problems.push(Problem::warn(
            Location::line(path, header_line),
            format!(
                "line {header_line} reads as data, not as a header row (its cells are like the \
                 values below them): it is the first record, and the columns are named \
                 `column 1` to `column {}`; to read it as the header, name one of its cells in \
                 `[input] text_field` (`whyline ingest --text-column`)",
                headers.len()
            ),
        ));
    }
    // whether several text columns are questions a respondent answered (not
    // a review's title before its text)
    let mut asked = !opts.text_fields.is_empty();
    let text_cols: Vec<usize> = match pick_fields(&headers, &opts.text_fields) {
        // a Qualtrics or SurveyMonkey survey's open questions, each a turn
        // of the respondent
        _ if opts.text_fields.is_empty() && !typed_answers.is_empty() => {
            asked = true;
            typed_answers
        }
        Ok(Some(cols)) => cols,
        Err(missing) => {
            out.problems.push(Problem::skip(
                Location::line(path, header_line),
                format!("no column {missing} (columns: {})", headers.join(", ")),
            ));
            return out;
        }
        Ok(None) => {
            // a form's open questions, asked in the header (Google Forms,
            // Typeform): each a turn of the respondent (one alone is the
            // longest column's guess below)
            let questions = open_questions(&headers, &records);
            if questions.len() > 1 {
                out.problems.push(Problem::warn(
                    Location::line(path, header_line),
                    format!(
                        "no column named like text (columns: {}): reading the {}, answered in \
                         words, each a turn of the respondent; choose others with \
                         `[input] text_field` in whyline.toml (`whyline ingest --text-column`)",
                        headers.join(", "),
                        named(
                            "open question",
                            questions.iter().map(|&c| headers[c].as_str())
                        )
                    ),
                ));
                asked = true;
                questions
            } else {
                let i = longest_column(&headers, &records);
                if let Some(code) = only_codes(&records, i) {
                    // nothing to read: an export without its text column
                    // (a nightly run would otherwise end with no themes and
                    // exit 0), or a table of labels and ids
                    out.problems.push(Problem::skip(
                        Location::line(path, header_line),
                        format!(
                            "no column holds text (columns: {}): the longest values, in `{}`, \
                             are codes and numbers (`{code}`), not words; name the text column \
                             with `[input] text_field` in whyline.toml (`whyline ingest \
                             --text-column`)",
                            headers.join(", "),
                            headers[i]
                        ),
                    ));
                    return out;
                }
                if headers.len() > 1 && !records.is_empty() {
                    // a guess: say which column it took, so a wrong one is noticed
                    out.problems.push(Problem::warn(
                        Location::line(path, header_line),
                        format!(
                            "no column named like text (columns: {}): reading `{}`, the one \
                             with the longest values; choose it with `[input] text_field` in \
                             whyline.toml (`whyline ingest --text-column`)",
                            headers.join(", "),
                            headers[i]
                        ),
                    ));
                }
                vec![i]
            }
        }
    };
    let speaker_col = pick_field(&headers, opts.speaker_field.as_deref(), SPEAKER_NAMES)
        .filter(|i| !text_cols.contains(i));
    let doc_col = pick_field(&headers, opts.doc_field.as_deref(), DOC_NAMES)
        .filter(|i| !text_cols.contains(i));
    let time_cols = time_fields(&headers, &text_cols);
    // each answer's question, as the survey asked it: Qualtrics' question
    // text under its column id, else the column's header
    let question_of: Vec<Option<String>> = text_cols
        .iter()
        .map(|&c| {
            (asked && text_cols.len() > 1).then(|| {
                let header = headers.get(c).map(String::as_str).unwrap_or("");
                out.questions
                    .get(header)
                    .map_or(header, String::as_str)
                    .to_string()
            })
        })
        .collect();
    let mut first_blank: Option<Location> = None;
    let mut rows = Vec::with_capacity(records.len());
    for (k, (pos, r)) in records.iter().enumerate() {
        let start = (pos.byte() as usize).min(text.len());
        let end = records
            .get(k + 1)
            .map(|(p, _)| p.byte() as usize)
            .unwrap_or(text.len())
            .clamp(start, text.len());
        let loc = Location {
            path: path.to_string(),
            line: Some(pos.line()),
            record: Some(pos.record()),
        };
        if r.len() != headers.len() {
            out.problems.push(Problem::skip(
                loc,
                format!(
                    "malformed row: {} fields, header has {}",
                    r.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        if taint.hits(start, end) {
            out.problems
                .push(Problem::skip(loc, "invalid bytes in record (--strict)"));
            continue;
        }
        let (texts, questions): (Vec<String>, Vec<Option<String>>) = text_cols
            .iter()
            .zip(&question_of)
            .map(|(&c, q)| (r.get(c).unwrap_or("").trim(), q))
            .filter(|(t, _)| !t.is_empty())
            .map(|(t, q)| (t.to_string(), q.clone()))
            .unzip();
        if texts.is_empty() {
            // a blank answer: nothing in it is wrong, and nothing to read
            out.blank += 1;
            first_blank.get_or_insert(loc);
            continue;
        }
        let mut meta = BTreeMap::new();
        for (i, (h, v)) in headers.iter().zip(r.iter()).enumerate() {
            if text_cols.contains(&i) || Some(i) == speaker_col {
                continue;
            }
            let v = if lay.delim == b';' {
                decimal_comma(v)
            } else {
                std::borrow::Cow::Borrowed(v)
            };
            if let Some(v) = meta_value(&v) {
                meta.insert(h.clone(), v);
            }
        }
        rows.push(Row {
            record: pos.record(),
            line: pos.line(),
            range: [start, end],
            texts,
            speakers: Vec::new(),
            roles: Vec::new(),
            questions,
            speaker: speaker_col
                .and_then(|i| r.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            group: doc_col
                .and_then(|i| r.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            times: time_cols.map(|c| c.and_then(|(i, ms)| cell_ms(r.get(i)?, ms))),
            meta,
        });
    }
    if let Some(first) = first_blank {
        let columns = named(
            "column",
            text_cols
                .iter()
                .map(|&c| headers.get(c).map(String::as_str).unwrap_or("")),
        );
        out.problems.push(if rows.is_empty() {
            Problem::warn(
                Location::line(path, header_line),
                format!(
                    "no text in {columns} in any of its {} rows (columns: {})",
                    out.blank,
                    headers.join(", ")
                ),
            )
        } else {
            Problem::warn(first, blank_left_out(&columns, out.blank, "row"))
        });
    }
    out.documents = rows_to_documents(path, text, rows);
    out
}

/// Whether a table's first row is data, not a header (a headerless export):
/// none of its cells names a column whyline knows or one named in `opts`, no
/// column tells it apart from the values below (a name above numbers, above
/// codes of one length), and at least one column says it is one of them (a
/// number above numbers, a code as long as the codes below it, or a value the
/// column holds again, below its second row: a second header row may repeat
/// names of the first). Python's `csv.Sniffer.has_header` weighs the same
/// clues; this reads a row as data only when no column votes for a header,
/// so a table with one is never read without it. Rows equal to the first (a
/// header repeated where exports were joined) are not counted.
fn first_row_is_data(
    headers: &[String],
    records: &[(csv::Position, csv::StringRecord)],
    opts: &IngestOptions,
    delim: u8,
) -> bool {
    let named: Vec<&str> = opts
        .text_fields
        .iter()
        .chain(&opts.speaker_field)
        .chain(&opts.doc_field)
        .map(String::as_str)
        .collect();
    let known = [
        TEXT_NAMES,
        TITLE_NAMES,
        SPEAKER_NAMES,
        DOC_NAMES,
        START_NAMES,
        END_NAMES,
    ];
    if headers.iter().any(|h| {
        named.iter().any(|n| h == n || norm(h) == norm(n))
            || known.iter().any(|names| names.contains(&norm(h).as_str()))
    }) {
        return false;
    }
    let rows: Vec<&csv::StringRecord> = records
        .iter()
        .map(|(_, r)| r)
        .filter(|r| {
            r.len() == headers.len()
                && !r
                    .iter()
                    .map(str::trim)
                    .eq(headers.iter().map(String::as_str))
        })
        .take(50)
        .collect();
    if rows.len() < 3 {
        return false;
    }
    let number = |v: &str| {
        let v = if delim == b';' {
            decimal_comma(v)
        } else {
            std::borrow::Cow::Borrowed(v)
        };
        v.trim().parse::<f64>().is_ok_and(f64::is_finite)
    };
    let (mut header, mut data) = (0, 0);
    for (c, h) in headers.iter().enumerate() {
        let h = h.as_str();
        if h.is_empty() {
            continue;
        }
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() < 3 {
            continue;
        }
        let len = |v: &str| v.chars().count();
        let vote = if values.iter().all(|v| number(v)) {
            Some(number(h))
        } else if values.iter().skip(1).any(|v| *v == h) {
            Some(true)
        } else if values.iter().all(|v| len(v) == len(values[0])) {
            Some(len(h) == len(values[0]))
        } else {
            None
        };
        match vote {
            Some(true) => data += 1,
            Some(false) => header += 1,
            None => {}
        }
    }
    header == 0 && data > 0
}

/// The columns a form asks an open question in: the header is a question
/// (it holds a `?`) and the answers are words, not numbers, dates or
/// choices: over the first 200 rows, the filled cells hold on average at
/// least 4 words, at least 70% of them words of letters.
fn open_questions(
    headers: &[String],
    records: &[(csv::Position, csv::StringRecord)],
) -> Vec<usize> {
    (0..headers.len())
        .filter(|&i| headers[i].contains('?'))
        .filter(|&i| {
            let (mut cells, mut words, mut lettered) = (0usize, 0usize, 0usize);
            for (_, r) in records.iter().take(200) {
                let cell = r.get(i).unwrap_or("").trim();
                if cell.is_empty() {
                    continue;
                }
                cells += 1;
                for w in cell.split_whitespace() {
                    words += 1;
                    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
                    if !w.is_empty() && w.chars().all(char::is_alphabetic) {
                        lettered += 1;
                    }
                }
            }
            cells > 0 && words >= 4 * cells && lettered * 10 >= words * 7
        })
        .collect()
}

fn longest_column(headers: &[String], records: &[(csv::Position, csv::StringRecord)]) -> usize {
    let mut best = (0usize, 0usize);
    for i in 0..headers.len() {
        let total: usize = records
            .iter()
            .take(200)
            .map(|(_, r)| r.get(i).map(str::len).unwrap_or(0))
            .sum();
        if total > best.1 {
            best = (i, total);
        }
    }
    best.0
}

/// The first value of column `i` when, over the first 200 rows, it holds
/// codes and numbers, not words: no filled cell has a space in it, and at
/// least 90% hold a digit (`A01002`, `0`, `2026-11-02`). A column of one-word
/// answers (`Great`, `Slow`) holds words.
fn only_codes(records: &[(csv::Position, csv::StringRecord)], i: usize) -> Option<String> {
    codes_only(records.iter().take(200).filter_map(|(_, r)| r.get(i)))
}

/// The first of `cells` when they are codes and numbers, not words: no
/// filled one has a space in it, and at least 90% hold a digit (see
/// [`only_codes`]); None when they hold words or nothing.
pub(super) fn codes_only<'a>(cells: impl Iterator<Item = &'a str>) -> Option<String> {
    let cells: Vec<&str> = cells.map(str::trim).filter(|v| !v.is_empty()).collect();
    let spaced = cells.iter().any(|v| v.contains(char::is_whitespace));
    let digits = cells
        .iter()
        .filter(|v| v.chars().any(|c| c.is_ascii_digit()))
        .count();
    (!cells.is_empty() && !spaced && digits * 10 >= cells.len() * 9)
        .then(|| cells[0].chars().take(40).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The start and end of the first document's turns.
    pub(crate) fn turn_times(p: &Parsed) -> Vec<(Option<u64>, Option<u64>)> {
        p.documents[0]
            .turns
            .iter()
            .map(|t| (t.start_ms, t.end_ms))
            .collect()
    }

    /// The texts of every document's turns.
    /// Each document's turns as (text, the question it answers).
    pub(crate) fn turn_questions(p: &Parsed) -> Vec<Vec<(&str, Option<&str>)>> {
        p.documents
            .iter()
            .map(|d| {
                d.turns
                    .iter()
                    .map(|t| (t.text.as_str(), t.question.as_deref()))
                    .collect()
            })
            .collect()
    }

    pub(crate) fn turn_texts(p: &Parsed) -> Vec<Vec<&str>> {
        p.documents
            .iter()
            .map(|d| d.turns.iter().map(|t| t.text.as_str()).collect())
            .collect()
    }

    /// One warning, on line 1, naming the column or field taken as text
    /// (one for the file, not one per record).
    pub(crate) fn assert_one_guess(p: &super::super::Parsed, name: &str) {
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(!p.problems[0].skipped);
        assert_eq!(p.problems[0].loc.line, Some(1));
        let msg = &p.problems[0].msg;
        assert!(msg.contains(&format!("reading `{name}`")), "{msg}");
    }

    fn csv(s: &str) -> Parsed {
        parse("r.csv", s, b',', &IngestOptions::default(), Taint::NONE)
    }

    fn texts(p: &Parsed) -> Vec<&str> {
        p.documents
            .iter()
            .map(|d| d.turns[0].text.as_str())
            .collect()
    }

    #[test]
    fn a_table_with_no_telling_name_is_sniffed_and_a_transcript_is_not() {
        use super::super::Format;
        let csv = "id,text,rating\n1,\"Too slow, and it crashed.\",2\n2,Great support.,5\n";
        assert_eq!(Format::sniff(csv), Format::Csv);
        let semi = "id;text;rating\n1;Zu langsam;2\n2;Super;5\n";
        assert_eq!(Format::sniff(semi), Format::Csv);
        let titled = format!("Kundenumfrage November 2026;;\n{semi}");
        assert_eq!(Format::sniff(&titled), Format::Csv);
        let survey = "Response ID,What should we improve first?\nR_1,The app\nR_2,Prices\n";
        assert_eq!(Format::sniff(survey), Format::Csv);
        for json in [
            "[\n  {\"text\": \"a\"}\n]\n",
            "[{\"text\": \"a\"}]",
            "[ \"a\", \"b\" ]",
        ] {
            assert_eq!(Format::sniff(json), Format::Whisper, "{json:?}");
        }
        for text in [
            "Agent: Hello, how are you?\nCustomer: Fine, thanks.\n",
            "Hi, I called about my bill, twice.\nNobody, it seems, answered.\n",
            "The fee was too high.\nI closed the account.\n",
            "Maya,Sam\n",
            "a,b\n1,2,3,4\n5,6,7\n",
            "[00:00:01] Maya: Thanks, Leo.\n[00:00:06] Leo: Sure, go on.\n",
            "[Music]\nWelcome back.\n",
        ] {
            assert_eq!(Format::sniff(text), Format::Text, "{text:?}");
        }
    }

    #[test]
    fn a_table_of_codes_and_numbers_is_skipped_not_read_as_text() {
        // was: Touché's labels-training.tsv (an argument id and a 0/1 per
        // value) read its ids as 5,393 texts, every one too short: a run
        // ended with no themes and exit 0
        let p = parse(
            "labels.tsv",
            "Argument ID\tAchievement\tFace\nA01002\t0\t1\nA01005\t1\t0\nA01006\t0\t0\n",
            b'\t',
            &IngestOptions::default(),
            Taint::NONE,
        );
        assert!(p.documents.is_empty());
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(p.problems[0].skipped);
        assert_eq!(p.problems[0].loc.line, Some(1));
        let msg = &p.problems[0].msg;
        assert!(msg.starts_with("no column holds text"), "{msg}");
        assert!(
            msg.contains("`Argument ID`") && msg.contains("`A01002`"),
            "{msg}"
        );
        // one-word answers are words: read, with the column guessed
        let p = csv("id,q5\n1,Great\n2,Slow\n3,Fine\n");
        assert_eq!(texts(&p), ["Great", "Slow", "Fine"]);
        assert_one_guess(&p, "q5");
    }

    #[test]
    fn a_first_row_like_the_rows_below_it_is_a_record_not_a_header() {
        // a number above numbers, a code as long as the codes below it
        let p = csv("The fee doubled,2,A001\nCalled twice,1,A002\nNo answer,1,A003\nFine,5,A004\n");
        assert_eq!(
            texts(&p),
            ["The fee doubled", "Called twice", "No answer", "Fine"]
        );
        let first = &p.documents[0];
        assert_eq!(first.turns[0].source.line, Some(1));
        assert_eq!(first.turns[0].source.record, Some(1));
        assert_eq!(p.documents[3].turns[0].source.record, Some(4));
        assert_eq!(first.meta["column 2"], serde_json::json!(2));
        assert_eq!(first.meta["column 3"], serde_json::json!("A001"));
        assert!(p.problems[0].msg.starts_with("line 1 reads as data"));
        // the first record's span starts at the file's first byte
        assert_eq!(first.turns[0].source.span[0], 0);
    }

    #[test]
    fn a_header_any_column_tells_apart_stays_a_header() {
        // `ref` is as long as its codes, but `stars` is a word above numbers
        let p = csv("ref,words,stars\nA12,Too loud,1\nB07,Lovely staff,5\nC33,Slow,2\n");
        assert_eq!(texts(&p), ["Too loud", "Lovely staff", "Slow"]);
        assert_eq!(p.documents[0].meta["ref"], serde_json::json!("A12"));
        assert!(p.problems.iter().all(|q| !q.msg.contains("reads as data")));
        // a known column name, or one named in the options, is a header
        let p = csv("text,n\nToo loud,1\nn,2\nSlow,3\nOk,4\n");
        assert_eq!(texts(&p), ["Too loud", "n", "Slow", "Ok"]);
        let named = IngestOptions {
            text_fields: vec!["Is it 7".into()],
            ..IngestOptions::default()
        };
        let p = parse(
            "r.csv",
            "Is it 7,7\nToo loud,1\nSlow,3\nOk,4\n",
            b',',
            &named,
            Taint::NONE,
        );
        assert_eq!(texts(&p), ["Too loud", "Slow", "Ok"]);
        let unnamed = csv("Is it 7,7\nToo loud,1\nSlow,3\nOk,4\n");
        assert_eq!(texts(&unnamed), ["Is it 7", "Too loud", "Slow", "Ok"]);
    }

    #[test]
    fn a_survey_export_whose_second_row_repeats_header_names_keeps_its_header() {
        // Qualtrics: `Finished` and `Progress` over the same words, then
        // import ids; and an older export with the question row alone
        let id = |i: &str| format!("\"{{\"\"ImportId\"\":\"\"{i}\"\"}}\"");
        let mut s = format!(
            "Progress,Finished,Q2\nProgress,Finished,Why?\n{},{},{}\n",
            id("progress"),
            id("finished"),
            id("QID2_TEXT")
        );
        for k in 0..6 {
            s += &format!("100,1,Reason number {k} is the fee.\n");
        }
        let p = csv(&s);
        assert_eq!(p.documents.len(), 6);
        assert!(p.problems.iter().all(|q| !q.msg.contains("reads as data")));
        let older = "Progress,Finished,Q2\nProgress,Finished,Why?\n100,1,The fee.\n100,1,Slow.\n100,1,Rude.\n";
        let p = csv(older);
        assert_eq!(p.documents[1].meta["Progress"], serde_json::json!(100));
        assert!(p.problems.iter().all(|q| !q.msg.contains("reads as data")));
    }

    #[test]
    fn a_header_repeated_where_exports_were_joined_is_no_sign_of_data() {
        // each column holds its header's name again, but only in the row
        // that repeats the header: the first row is still the header
        let p = csv("colour,remark\nred,Too loud at night\ncolour,remark\nblue,Slow\ngreen,Rude\nred,Fine\n");
        assert_eq!(p.documents[0].meta["colour"], serde_json::json!("red"));
        assert!(p.problems.iter().all(|q| !q.msg.contains("reads as data")));
    }

    #[test]
    fn a_semicolon_csv_from_european_excel_is_read_by_its_columns() {
        // was: header `id;review;rating` one column, the row with a comma
        // skipped as malformed, the other read whole ("2;Great app;4")
        let p = csv("id;review;rating\n1;\"The fee, again, was wrong\";4,5\n2;Great app;4\n");
        assert_eq!(texts(&p), ["The fee, again, was wrong", "Great app"]);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents[0].meta["rating"], serde_json::json!(4.5));
        assert_eq!(p.documents[1].meta["id"], Value::from(2));
        // Excel's own hint line, and a pipe-separated export
        let p = csv("sep=;\nid;review\n1;Too slow, and costly.\n");
        assert_eq!(texts(&p), ["Too slow, and costly."]);
        assert_eq!(p.documents[0].turns[0].source.line, Some(3));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let p = csv("id|review\n1|Too slow; costly.\n2|Fine.\n");
        assert_eq!(texts(&p), ["Too slow; costly.", "Fine."]);
    }

    #[test]
    fn a_comma_csv_stays_comma_separated() {
        // semicolons inside text, a one-column file, and a comma file whose
        // only row is malformed keep the old reading
        let p = csv("id,review\n1,Slow; costly; rude.\n2,Fine.\n");
        assert_eq!(texts(&p), ["Slow; costly; rude.", "Fine."]);
        let p = csv("review\nToo slow.\nFine.\n");
        assert_eq!(texts(&p), ["Too slow.", "Fine."]);
        let p = csv("id,review\n1,Too,slow\n");
        assert!(p.documents.is_empty());
        assert_eq!(p.problems.len(), 1);
        assert!(
            p.problems[0].msg.contains("3 fields, header has 2"),
            "{:?}",
            p.problems
        );
        // a comma is no decimal mark here: "4,5" in a comma file is two cells
        assert_eq!(decimal_comma("4,5"), "4.5");
        assert_eq!(decimal_comma("1,2,3"), "1,2,3");
        assert_eq!(decimal_comma("a,5"), "a,5");
    }

    #[test]
    fn html_in_a_review_export_is_read_as_shown() {
        // was: "<br/>", "<p>" and "&amp;" in the analysed text and quotes
        let p = csv("id,review\n1,\"Great<br/>but it dies &amp; support is slow.\"\n2,5 < 6 <3\n");
        assert_eq!(
            texts(&p),
            ["Great\nbut it dies & support is slow.", "5 < 6 <3"]
        );
        // the unescaped text is not in the file: the span is the record's
        let span = p.documents[0].turns[0].source.span;
        assert_eq!(span, [10, 59], "record 1: `1,\"Great...\"\\n`");
    }

    #[test]
    fn qualtrics_question_and_import_id_rows_are_not_answers() {
        // was: the question texts and the ImportId row analysed as two answers
        let s = "StartDate,ResponseId,Q1,Q2\n\
                 Start Date,Response ID,How likely are you to recommend us?,Why that score?\n\
                 \"{\"\"ImportId\"\":\"\"startDate\"\"}\",\"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\
                 \"{\"\"ImportId\"\":\"\"QID1\"\"}\",\"{\"\"ImportId\"\":\"\"QID2_TEXT\"\"}\"\n\
                 2026-11-02,R_1,3,The fee doubled and nobody told me why.\n";
        let p = parse(
            "r.csv",
            s,
            b',',
            &IngestOptions {
                text_fields: vec!["Q2".into()],
                ..Default::default()
            },
            Taint::NONE,
        );
        assert_eq!(texts(&p), ["The fee doubled and nobody told me why."]);
        assert_eq!(p.documents[0].turns[0].source.record, Some(3));
        assert_eq!(p.documents[0].meta["Q1"], Value::from(3));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
    }

    #[test]
    fn a_forms_open_questions_asked_in_the_header_are_each_a_turn() {
        // was: the longest column guessed (one open question of two), with
        // a warning; Google Forms and Typeform name each column by its question
        let s = "Timestamp,Email Address,How likely are you to recommend us?,\
                 What is the main reason for your score?,What should we improve first?,Which plan?\n\
                 2026/11/30 10:01:02 AM GMT,ann@example.com,3,The fee only shows up at checkout.,\
                 Show the fee on the product page.,Basic plan\n\
                 2026/11/30 10:05:40 AM GMT,bo@example.com,9,Fast and friendly support team.,,Plus plan\n";
        let p = csv(s);
        assert_eq!(
            turn_texts(&p),
            [
                vec![
                    "The fee only shows up at checkout.",
                    "Show the fee on the product page."
                ],
                vec!["Fast and friendly support team."],
            ]
        );
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(
            p.problems[0].msg.contains(
                "reading the open questions `What is the main reason for your score?`, \
                 `What should we improve first?`, answered in words"
            ),
            "{}",
            p.problems[0].msg
        );
        assert_eq!(
            p.documents[0].meta["How likely are you to recommend us?"],
            Value::from(3)
        );
        // a question answered in a word or two, or in numbers, is no open
        // question: the longest column is guessed as before
        let p = csv("id,Which plan?,Score?\n1,Basic plan,4\n2,Plus,5\n");
        assert_eq!(texts(&p), ["Basic plan", "Plus"]);
    }

    #[test]
    fn surveymonkey_open_ended_answers_are_the_text_however_short() {
        // was: the open questions found only when answered in 4 words or
        // more on average; short answers ("Price.") left one question to the
        // longest column's guess, with a warning, and the other unread
        let s = "Respondent ID,How likely is it that you would recommend us?,\
                 What is the main reason for your score?,Which features do you use?,,\
                 What should we improve first?\n\
                 ,Response,Open-Ended Response,Search,Other (please specify),Open-Ended Response\n\
                 114,3,Fees.,Search,,Checkout.\n\
                 115,9,Fast support.,,Dark mode,\n";
        let p = csv(s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let turns = turn_questions(&p);
        let why = Some("What is the main reason for your score?");
        assert_eq!(
            turns,
            [
                vec![
                    ("Fees.", why),
                    ("Checkout.", Some("What should we improve first?"))
                ],
                vec![
                    ("Fast support.", why),
                    (
                        "Dark mode",
                        Some("Which features do you use? - Other (please specify)")
                    )
                ],
            ]
        );
        assert_eq!(
            p.documents[0].meta["How likely is it that you would recommend us?"],
            Value::from(3)
        );
    }

    #[test]
    fn each_survey_answer_names_the_question_it_answers() {
        // was: a respondent's answers to two open questions were turns alike,
        // so a quote could not say which question it answered
        let questions = |p: &Parsed| -> Vec<Vec<Option<String>>> {
            p.documents
                .iter()
                .map(|d| d.turns.iter().map(|t| t.question.clone()).collect())
                .collect()
        };
        let q = |s: &str| Some(s.to_string());
        // Google Forms: the header is the question
        let p = csv(
            "Timestamp,How likely are you to recommend us?,\
                     What is the main reason for your score?,What should we improve first?\n\
                     2026/11/30 10:01:02 AM GMT,3,The fee only shows up at checkout.,\
                     Show the fee on the product page.\n\
                     2026/11/30 10:05:40 AM GMT,9,,Fast and friendly support team is all I want.\n",
        );
        assert_eq!(
            questions(&p),
            [
                vec![
                    q("What is the main reason for your score?"),
                    q("What should we improve first?")
                ],
                vec![q("What should we improve first?")],
            ]
        );
        // Qualtrics: the question text under the column's id
        let id = |i: &str| format!("\"{{\"\"ImportId\"\":\"\"{i}\"\"}}\"");
        let s = format!(
            "ResponseId,Q1,Q2,Q4\n\
             Response ID,How likely...?,Why that score?,Anything else?\n\
             {},{},{},{}\n\
             R_1,3,The fee doubled and nobody told me why.,Tell me before I pay.\n",
            id("_recordId"),
            id("QID1"),
            id("QID2_TEXT"),
            id("QID4_TEXT")
        );
        let p = parse("r.csv", &s, b',', &IngestOptions::default(), Taint::NONE);
        assert_eq!(
            questions(&p),
            [vec![q("Why that score?"), q("Anything else?")]]
        );
        // columns named on the command line, by their header
        let opts = IngestOptions {
            text_fields: vec!["liked".into(), "improve".into()],
            ..Default::default()
        };
        let p = parse(
            "s.csv",
            "id,liked,improve\n1,Fast delivery.,The app logs me out.\n",
            b',',
            &opts,
            Taint::NONE,
        );
        assert_eq!(questions(&p), [vec![q("liked"), q("improve")]]);
        // one text column, or a review's title before its text: no question
        let p = csv("Rating,Title,Review\n1,Stopped working,The camera crashes.\n");
        assert_eq!(questions(&p), [vec![None, None]]);
        let p = csv("id,comment\n1,The app logs me out.\n");
        assert_eq!(questions(&p), [vec![None]]);
    }

    #[test]
    fn surveymonkey_answer_options_without_a_header_are_named_by_their_question() {
        // was: every option column after the first named "", so in `meta`
        // one option's answer hid another's
        let s = "Respondent ID,Which features do you use?,,,Why?\n\
                 ,Search,Alerts,Other (please specify),Open-Ended Response\n\
                 1,Search,Alerts,Export to Excel,The fee shows up too late.\n";
        let p = csv(s);
        // the typed "Other" answer is read, as Qualtrics' `_TEXT` of a choice
        assert_eq!(
            turn_texts(&p),
            [vec!["Export to Excel", "The fee shows up too late."]]
        );
        assert_eq!(
            p.documents[0].turns[0].question.as_deref(),
            Some("Which features do you use? - Other (please specify)")
        );
        let meta = &p.documents[0].meta;
        assert_eq!(meta["Which features do you use?"], Value::from("Search"));
        assert_eq!(
            meta["Which features do you use? - Alerts"],
            Value::from("Alerts")
        );
        assert!(!meta.contains_key(""));
    }

    #[test]
    fn qualtrics_typed_answers_are_the_text_without_naming_them() {
        // was: the longest column guessed with a warning (Q2), and the
        // second open question (Q4) and an "Other" text never read
        let id = |i: &str| format!("\"{{\"\"ImportId\"\":\"\"{i}\"\"}}\"");
        let s = format!(
            "ResponseId,Q1,Q1_NPS_GROUP,Q2,Q3,Q3_4_TEXT,Q4\n\
             Response ID,How likely...?,How likely...? - Group,Why that score?,Plan,Plan - Other - Text,Anything else?\n\
             {},{},{},{},{},{},{}\n\
             R_1,3,Detractor,The fee doubled and nobody told me why.,Other,Family plan,Tell me before I pay.\n\
             R_2,9,Promoter,Fast app.,Basic,,\n",
            id("_recordId"),
            id("QID1"),
            id("QID1_NPS_GROUP"),
            id("QID2_TEXT"),
            id("QID3"),
            id("QID3_4_TEXT"),
            id("QID4_TEXT")
        );
        let p = parse("r.csv", &s, b',', &IngestOptions::default(), Taint::NONE);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            turn_texts(&p),
            [
                vec![
                    "The fee doubled and nobody told me why.",
                    "Family plan",
                    "Tell me before I pay."
                ],
                vec!["Fast app."],
            ]
        );
        // what each column asks, for the reports to name the outcome by
        assert_eq!(p.questions["Q1"], "How likely...?");
        assert_eq!(p.questions["Q1_NPS_GROUP"], "How likely...? - Group");
        assert!(!p.questions.contains_key("ResponseId"));
        assert_eq!(p.documents[0].meta["Q1"], Value::from(3));
        assert_eq!(p.documents[0].meta["Q3"], Value::from("Other"));
        // a column named on the command line is read as named
        let opts = IngestOptions {
            text_fields: vec!["Q4".into()],
            ..Default::default()
        };
        let p = parse("r.csv", &s, b',', &opts, Taint::NONE);
        assert_eq!(turn_texts(&p), [vec!["Tell me before I pay."]]);
    }

    #[test]
    fn a_surveys_open_questions_named_together_are_each_a_turn_of_the_respondent() {
        // was: one text column only, so the second open question of an NPS
        // survey ("What should we improve?") was never read
        let s = "ResponseId,NPS,Q2,Q3\n\
                 R_1,3,The fee doubled.,\"Tell me, before I pay.\"\n\
                 R_2,9,,Nothing really.\n\
                 R_3,7,,\n";
        let opts = IngestOptions {
            text_fields: vec!["Q2".into(), "q3".into()],
            ..Default::default()
        };
        let p = parse("nps.csv", s, b',', &opts, Taint::NONE);
        let turns = turn_texts(&p);
        assert_eq!(
            turns,
            [
                vec!["The fee doubled.", "Tell me, before I pay."],
                vec!["Nothing really."]
            ]
        );
        // each answer's span is its own cell; neither is kept in meta
        let d = &p.documents[0];
        for t in &d.turns {
            assert_eq!(&s[t.source.span[0]..t.source.span[1]], t.text);
            assert_eq!(t.speaker, None);
        }
        assert!(!d.meta.contains_key("Q2") && !d.meta.contains_key("Q3"));
        assert_eq!(d.meta["NPS"], Value::from(3));
        // a respondent who answered neither is left out and counted, not
        // skipped (was: skipped, so every survey run ended with exit 3),
        // with one warning naming both columns
        assert_eq!(p.blank, 1);
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(!p.problems[0].skipped);
        assert_eq!(p.problems[0].msg, "no text in columns `Q2`, `Q3`: left out");
        assert_eq!(p.problems[0].loc.record, Some(3));
        // a column that is not there is named, and the file is not guessed at
        let opts = IngestOptions {
            text_fields: vec!["Q2".into(), "Q9".into()],
            ..Default::default()
        };
        let p = parse("nps.csv", s, b',', &opts, Taint::NONE);
        assert!(p.documents.is_empty());
        assert!(
            p.problems[0].msg.starts_with("no column `Q9` (columns:"),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn a_call_export_with_a_turn_per_row_keeps_each_turns_time() {
        // was: start and end columns kept in meta only, so quotes from a
        // contact centre's turn-per-row export had no timestamp
        let s = "call_id,speaker,start_time,end_time,text\n\
                 c1,Agent,00:00:01.5,00:00:04,How can I help?\n\
                 c1,Customer,4.25,9,I was charged twice for one order.\n\
                 c1,Customer,12,10,Ends before it starts.\n\
                 c1,Customer,,,No times here.\n";
        let p = csv(s);
        let times = turn_times(&p);
        assert_eq!(
            times,
            [
                (Some(1500), Some(4000)),
                (Some(4250), Some(9000)),
                (Some(12000), None),
                (None, None)
            ]
        );
        // milliseconds by name; dates, clock times and Unix times are no times
        let p = csv("id,text,BeginOffsetMillis,EndOffsetMillis\n1,Hello there.,3100,7500\n");
        let t = &p.documents[0].turns[0];
        assert_eq!((t.start_ms, t.end_ms), (Some(3100), Some(7500)));
        let p = csv("id,text,timestamp\n1,The fee doubled.,2026-11-02 10:31\n\
             2,Too slow.,1700000000\n3,Fine.,10:32 AM\n");
        assert!(p.documents.iter().all(|d| d.turns[0].start_ms.is_none()));
        assert_eq!(p.documents[1].meta["timestamp"], Value::from(1700000000));
    }

    #[test]
    fn a_ticket_exports_quoted_reply_is_not_read_as_the_customers() {
        // was: the company's quoted answer ("refund will be processed within
        // 5-7 business days") analysed as the customer's words, in every
        // ticket that quoted it
        let s = "id,body\n1,\"My refund has not arrived.\n\nSent from my iPhone\n\n\
                 On Mon, Mar 3, 2025 at 10:12 AM Acme <help@acme.com> wrote:\n\
                 > Your refund will be processed within 5-7 business days.\n> Acme\"\n";
        let p = csv(s);
        let t = &p.documents[0].turns[0];
        assert_eq!(t.text, "My refund has not arrived.");
        assert_eq!(&s[t.source.span[0]..t.source.span[1]], t.text);
    }

    #[test]
    fn review_platform_exports_are_read_by_their_column_names() {
        // was: Trustpilot's and Yotpo's `Review Content` not known by name:
        // read by a guess (with a warning) and the review's title left out
        let s = "Review Id,Review Stars,Review Title,Review Content,Review Language\n\
                 a1,1,Hidden fees,\"The fee appears at the last step, so I gave up.\",en\n";
        let p = csv(s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            turn_texts(&p),
            [vec![
                "Hidden fees",
                "The fee appears at the last step, so I gave up."
            ]]
        );
        let p = csv("Date,Customer Feedback,Score\n2026-11-01,The app logs me out.,3\n");
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(texts(&p), ["The app logs me out."]);
    }

    #[test]
    fn a_reviews_title_is_read_before_its_text() {
        // was: App Store / Trustpilot / Amazon titles kept in meta only,
        // though "Stopped working after the update" is the why in brief
        let s = "Rating,Title,Review\n1,Stopped working after the update,The camera crashes.\n\
                 2,,Too many ads.\n";
        let p = csv(s);
        let turns = turn_texts(&p);
        assert_eq!(
            turns,
            [
                vec!["Stopped working after the update", "The camera crashes."],
                vec!["Too many ads."]
            ]
        );
        assert!(!p.documents[0].meta.contains_key("Title"));
        // a text column named explicitly is read alone
        let opts = IngestOptions {
            text_fields: vec!["Review".into()],
            ..Default::default()
        };
        let p = parse("r.csv", s, b',', &opts, Taint::NONE);
        assert_eq!(p.documents[0].turns.len(), 1);
        assert_eq!(
            p.documents[0].meta["Title"],
            Value::from("Stopped working after the update")
        );
    }

    #[test]
    fn surveymonkey_answer_option_row_is_not_an_answer() {
        // was: "Open-Ended Response" analysed as one more answer
        let s = "Respondent ID,How satisfied are you?,,What should we improve?\n\
                 ,Satisfied,Dissatisfied,Open-Ended Response\n\
                 114,Satisfied,,Checkout takes far too many steps on mobile.\n";
        let p = csv(s);
        assert_eq!(texts(&p), ["Checkout takes far too many steps on mobile."]);
        assert_eq!(p.documents[0].turns[0].source.record, Some(2));
        // a real first answer that happens to say "Response" is kept
        let p = csv("id,comment\n1,Response times were slow and the agent was rude to me today\n");
        assert_eq!(p.documents.len(), 1);
    }

    #[test]
    fn title_lines_above_the_header_are_skipped_with_a_warning() {
        // was: header `Exported 2026-11-01` one column, every row malformed
        for s in [
            "Exported 2026-11-01\n\nid,review,rating\n1,The fee was wrong,2\n",
            "Umfrage Export;;\nid;review;rating\n1;The fee was wrong;2\n",
        ] {
            let p = csv(s);
            assert_eq!(texts(&p), ["The fee was wrong"], "{s}");
            assert_eq!(p.documents[0].meta["rating"], Value::from(2));
            let line = p.documents[0].turns[0].source.line;
            assert_eq!(line, Some(s.lines().count() as u64), "{s}");
            assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
            assert!(
                p.problems[0].msg.contains("above the header row"),
                "{:?}",
                p.problems
            );
            let span = p.documents[0].turns[0].source.span;
            assert_eq!(&s[span[0]..span[1]], "The fee was wrong");
        }
    }

    #[test]
    fn numbers_stay_numbers() {
        assert_eq!(meta_value("4"), Some(Value::from(4)));
        assert_eq!(meta_value("4.5"), Some(serde_json::json!(4.5)));
        assert_eq!(meta_value("02134"), Some(Value::from("02134")));
        assert_eq!(meta_value("2020-01-02"), Some(Value::from("2020-01-02")));
        assert_eq!(meta_value(" "), None);
    }

    #[test]
    fn csv_rows_and_bad_row() {
        let s = "id,rating,review\n1,5,\"Great, really.\nLoved it.\"\n2,1\n3,2,Too slow.\n";
        let p = parse(
            "r.csv",
            s,
            b',',
            &IngestOptions::default(),
            Taint {
                offsets: &[],
                strict: false,
            },
        );
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[0].turns[0].text, "Great, really.\nLoved it.");
        assert_eq!(p.documents[0].meta["rating"], Value::from(5));
        assert_eq!(p.documents[1].turns[0].source.record, Some(3));
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].loc.record, Some(2));
        assert_eq!(p.problems[0].loc.line, Some(4));
    }

    #[test]
    fn a_text_column_guessed_by_length_is_named_in_a_warning() {
        let opts = IngestOptions::default();
        let taint = || Taint {
            offsets: &[],
            strict: false,
        };
        let s = "id,notes,score\n1,The fee showed up only at checkout.,2\n2,Too slow.,3\n";
        let p = parse("r.csv", s, b',', &opts, taint());
        assert_eq!(p.documents.len(), 2);
        assert_eq!(
            p.documents[0].turns[0].text,
            "The fee showed up only at checkout."
        );
        assert_one_guess(&p, "notes");
        // a single column, or a named one, is no guess
        for s in ["notes\nToo slow.\n", "id,review\n1,Too slow.\n"] {
            let p = parse("r.csv", s, b',', &opts, taint());
            assert_eq!(p.documents.len(), 1);
            assert!(p.problems.is_empty(), "{:?}", p.problems);
        }
    }
}
