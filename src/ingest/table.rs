//! CSV and TSV with a header row: review exports, survey answers, ticket
//! dumps, and turn-per-row transcripts.
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
    "response",
    "answer",
    "transcript",
    "verbatim",
    "description",
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

fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
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

/// One parsed record, before grouping into documents.
pub(crate) struct Row {
    pub record: u64,
    pub line: u64,
    /// Byte range of the whole record in the decoded text.
    pub range: [usize; 2],
    pub text: String,
    pub speaker: Option<String>,
    pub group: Option<String>,
    pub meta: BTreeMap<String, Value>,
}

/// Turn rows into documents: one per row, or one per group value (turns in
/// file order, meta = the fields equal across the group's rows).
pub(crate) fn rows_to_documents(path: &str, raw: &str, rows: Vec<Row>) -> Vec<Document> {
    let turn_of = |r: &Row| {
        let t = r.text.trim();
        Turn {
            speaker: r.speaker.clone(),
            role: None,
            start_ms: None,
            end_ms: None,
            text: t.to_string(),
            source: SourceRef {
                path: path.to_string(),
                line: Some(r.line),
                record: Some(r.record),
                span: super::locate(raw, r.range[0], r.range[1], t),
            },
        }
    };
    let mut docs: Vec<Document> = Vec::new();
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let raw_rec = raw.get(r.range[0]..r.range[1]).unwrap_or("");
        match r.group.clone() {
            None => docs.push(Document {
                id: stable_id(&[path, &r.record.to_string(), raw_rec]),
                source: path.to_string(),
                turns: vec![turn_of(&r)],
                meta: r.meta,
            }),
            Some(g) => match groups.get(&g) {
                Some(&i) => {
                    let d = &mut docs[i];
                    d.turns.push(turn_of(&r));
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
                        turns: vec![turn_of(&r)],
                        meta,
                    });
                }
            },
        }
    }
    docs
}

/// Parse CSV (`delim = b','`) or TSV (`b'\t'`).
pub fn parse(path: &str, text: &str, delim: u8, opts: &IngestOptions, taint: Taint<'_>) -> Parsed {
    let mut out = Parsed::default();
    if text.trim().is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), "no text (empty file)"));
        return out;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            out.problems.push(Problem::skip(
                Location::line(path, 1),
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
                let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
                records.push((pos, rec.clone()));
            }
            Ok(false) => break,
            Err(e) => {
                let (line, record) = e
                    .position()
                    .map(|p| (p.line(), p.record()))
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
    let text_col = match pick_field(&headers, opts.text_field.as_deref(), TEXT_NAMES) {
        Some(i) => i,
        None if opts.text_field.is_some() => {
            out.problems.push(Problem::skip(
                Location::line(path, 1),
                format!(
                    "no column `{}` (columns: {})",
                    opts.text_field.as_deref().unwrap_or(""),
                    headers.join(", ")
                ),
            ));
            return out;
        }
        None => {
            let i = longest_column(&headers, &records);
            if headers.len() > 1 && !records.is_empty() {
                // a guess: say which column it took, so a wrong one is noticed
                out.problems.push(Problem::warn(
                    Location::line(path, 1),
                    format!(
                        "no column named like text (columns: {}): reading `{}`, the one with \
                         the longest values; choose it with `[input] text_field` in whyline.toml \
                         (`whyline ingest --text-column`)",
                        headers.join(", "),
                        headers[i]
                    ),
                ));
            }
            i
        }
    };
    let speaker_col = pick_field(&headers, opts.speaker_field.as_deref(), SPEAKER_NAMES)
        .filter(|&i| i != text_col);
    let doc_col =
        pick_field(&headers, opts.doc_field.as_deref(), DOC_NAMES).filter(|&i| i != text_col);
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
        let body = r.get(text_col).unwrap_or("").trim();
        if body.is_empty() {
            out.problems.push(Problem::skip(
                loc,
                format!(
                    "empty text in column `{}`",
                    headers.get(text_col).map(String::as_str).unwrap_or("")
                ),
            ));
            continue;
        }
        let mut meta = BTreeMap::new();
        for (i, (h, v)) in headers.iter().zip(r.iter()).enumerate() {
            if i == text_col || Some(i) == speaker_col {
                continue;
            }
            if let Some(v) = meta_value(v) {
                meta.insert(h.clone(), v);
            }
        }
        rows.push(Row {
            record: pos.record(),
            line: pos.line(),
            range: [start, end],
            text: body.to_string(),
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
            meta,
        });
    }
    out.documents = rows_to_documents(path, text, rows);
    out
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One warning, on line 1, naming the column or field taken as text
    /// (one for the file, not one per record).
    pub(crate) fn assert_one_guess(p: &super::super::Parsed, name: &str) {
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(!p.problems[0].skipped);
        assert_eq!(p.problems[0].loc.line, Some(1));
        let msg = &p.problems[0].msg;
        assert!(msg.contains(&format!("reading `{name}`")), "{msg}");
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
