//! Whisper JSON as written by openai-whisper, faster-whisper and WhisperX:
//! an object with `segments[]` (or a bare array of segments), each with
//! `start`/`end` in seconds, `text` and, after diarisation, `speaker`.
//! Whole-file `text`, `language` and `words[]` are ignored.
//!
//! Why records: a segment is the unit the transcriber vouches for, so each
//! turn carries its 1-based segment number as `record`. Byte spans point at
//! the JSON string of the text when it appears verbatim in the file.

use super::{Parsed, Problem, SourceRef, Turn};
use crate::Location;
use serde_json::Value;

fn secs_to_ms(v: Option<&Value>) -> Option<u64> {
    let s = v?.as_f64()?;
    if s.is_finite() && (0.0..1e10).contains(&s) {
        Some((s * 1000.0).round() as u64)
    } else {
        None
    }
}

/// Parse a Whisper JSON file.
pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    if text.trim().is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), "no text (empty file)"));
        return out;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.problems.push(Problem::skip(
                Location::line(path, e.line() as u64),
                format!("not Whisper JSON: {e}"),
            ));
            return out;
        }
    };
    let segments = match &value {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("segments") {
            Some(Value::Array(a)) => a,
            _ => {
                out.problems.push(Problem::skip(
                    Location::file(path),
                    "not Whisper JSON: no `segments` array",
                ));
                return out;
            }
        },
        _ => {
            out.problems.push(Problem::skip(
                Location::file(path),
                "not Whisper JSON: expected an object with `segments`",
            ));
            return out;
        }
    };
    let mut turns = Vec::with_capacity(segments.len());
    let mut cursor = 0usize;
    for (i, seg) in segments.iter().enumerate() {
        let rec = i as u64 + 1;
        let Some(t) = seg.get("text").and_then(Value::as_str) else {
            out.problems.push(Problem::skip(
                Location::record(path, rec),
                "segment without a `text` string",
            ));
            continue;
        };
        let trimmed = t.trim();
        if trimmed.is_empty() {
            continue;
        }
        let escaped = serde_json::to_string(trimmed).unwrap_or_default();
        let inner = escaped
            .get(1..escaped.len().saturating_sub(1))
            .unwrap_or("");
        let span = match text.get(cursor..).and_then(|h| h.find(inner)) {
            Some(p) if !inner.is_empty() => {
                cursor += p + inner.len();
                [cursor - inner.len(), cursor]
            }
            _ => [cursor, cursor],
        };
        let start_ms = secs_to_ms(seg.get("start"));
        let mut end_ms = secs_to_ms(seg.get("end"));
        if let (Some(a), Some(b)) = (start_ms, end_ms) {
            if b < a {
                out.problems.push(Problem::warn(
                    Location::record(path, rec),
                    "segment ends before it starts: end time dropped",
                ));
                end_ms = None;
            }
        }
        let speaker = match seg.get("speaker") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(format!("SPEAKER_{n}")),
            _ => None,
        };
        turns.push(Turn {
            speaker,
            role: None,
            start_ms,
            end_ms,
            text: trimmed.to_string(),
            source: SourceRef {
                path: path.to_string(),
                line: None,
                record: Some(rec),
                span,
            },
        });
    }
    super::push_file_document(&mut out, path, text, turns, "no segment text");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn whisperx_segments() {
        let s = r#"{"segments":[{"start":0.5,"end":2.25,"text":" Hello there.","speaker":"SPEAKER_00","words":[]},{"start":2.5,"end":3.0,"text":" Hi."}],"language":"en"}"#;
        let p = super::parse("a.json", s);
        let t = &p.documents[0].turns;
        assert_eq!(t[0].text, "Hello there.");
        assert_eq!((t[0].start_ms, t[0].end_ms), (Some(500), Some(2250)));
        assert_eq!(t[0].speaker.as_deref(), Some("SPEAKER_00"));
        assert_eq!(&s[t[0].source.span[0]..t[0].source.span[1]], "Hello there.");
        assert_eq!(t[1].source.record, Some(2));
    }
}
