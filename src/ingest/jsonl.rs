//! JSON Lines: one object per line (`--text-field`, same auto-detected text,
//! speaker and conversation fields as CSV). Other fields go to `meta` as they
//! are (numbers stay numbers, nested values stay JSON). A line that is not a
//! JSON object, or has no text, is skipped with its line number; record
//! numbers are line numbers.

use super::table::{pick_field, rows_to_documents, Row, DOC_NAMES, SPEAKER_NAMES, TEXT_NAMES};
use super::{IngestOptions, Parsed, Problem, Taint};
use crate::Location;
use serde_json::Value;

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parse a JSON Lines file.
pub fn parse(path: &str, text: &str, opts: &IngestOptions, taint: Taint<'_>) -> Parsed {
    let mut out = Parsed::default();
    let mut rows = Vec::new();
    // Field plan, fixed by the first object so every record is read alike.
    let mut plan: Option<(String, Option<String>, Option<String>)> = None;
    for (no, off, line) in super::decode::lines_with_offsets(text) {
        if line.trim().is_empty() {
            continue;
        }
        let loc = Location {
            path: path.to_string(),
            line: Some(no),
            record: Some(no),
        };
        let end = off + line.len();
        if taint.hits(off, end) {
            out.problems
                .push(Problem::skip(loc, "invalid bytes in record (--strict)"));
            continue;
        }
        let obj = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                out.problems.push(Problem::skip(loc, "not a JSON object"));
                continue;
            }
            Err(e) => {
                out.problems.push(Problem::skip(
                    loc,
                    format!("not JSON (column {}): {e}", e.column()),
                ));
                continue;
            }
        };
        let (tf, sf, df) = plan.get_or_insert_with(|| {
            let names: Vec<String> = obj.keys().cloned().collect();
            let t = pick_field(&names, opts.text_field.as_deref(), TEXT_NAMES)
                .map(|i| names[i].clone())
                .or_else(|| opts.text_field.clone())
                .or_else(|| {
                    let strings: Vec<(usize, &String)> = obj
                        .iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (s.len(), k)))
                        .collect();
                    let (_, k) = strings.iter().max()?;
                    if strings.len() > 1 {
                        // a guess: say which field it took, so a wrong one is noticed
                        out.problems.push(Problem::warn(
                            loc.clone(),
                            format!(
                                "no field named like text (fields: {}): reading `{k}`, the \
                                 longest string in this first record; choose it \
                                 with `[input] text_field` in whyline.toml (`whyline ingest \
                                 --text-column`)",
                                names.join(", ")
                            ),
                        ));
                    }
                    Some((*k).clone())
                })
                .unwrap_or_else(|| "text".to_string());
            let s = pick_field(&names, opts.speaker_field.as_deref(), SPEAKER_NAMES)
                .map(|i| names[i].clone())
                .filter(|s| *s != t);
            let d = pick_field(&names, opts.doc_field.as_deref(), DOC_NAMES)
                .map(|i| names[i].clone())
                .filter(|d| *d != t);
            (t, s, d)
        });
        let body = match obj.get(tf.as_str()) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                out.problems
                    .push(Problem::skip(loc, format!("no text in field `{tf}`")));
                continue;
            }
        };
        let speaker = sf.as_ref().and_then(|f| obj.get(f)).and_then(scalar_string);
        let group = df.as_ref().and_then(|f| obj.get(f)).and_then(scalar_string);
        let meta = obj
            .iter()
            .filter(|(k, v)| *k != tf && Some(*k) != sf.as_ref() && !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Locate the JSON-escaped text inside the line for the byte span.
        let escaped = serde_json::to_string(&body).unwrap_or_default();
        let inner = escaped
            .get(1..escaped.len().saturating_sub(1))
            .unwrap_or("");
        let range = match line.find(inner) {
            Some(p) if !inner.is_empty() => [off + p, off + p + inner.len()],
            _ => [off, end],
        };
        rows.push(Row {
            record: no,
            line: no,
            range,
            text: body,
            speaker,
            group,
            meta,
        });
    }
    if rows.is_empty() && out.problems.is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), "no text (empty file)"));
    }
    out.documents = rows_to_documents(path, text, rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_bad_line() {
        let s = "{\"id\":7,\"rating\":2,\"text\":\"Slow \\\"app\\\".\"}\nnot json\n\n{\"id\":8,\"text\":\"Fine.\"}\n";
        let p = parse(
            "r.jsonl",
            s,
            &IngestOptions::default(),
            Taint {
                offsets: &[],
                strict: false,
            },
        );
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[0].turns[0].text, "Slow \"app\".");
        assert_eq!(p.documents[0].meta["rating"], Value::from(2));
        assert_eq!(p.documents[1].turns[0].source.record, Some(4));
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].loc.line, Some(2));
    }

    #[test]
    fn jsonl_and_csv_detect_the_same_field_names() {
        // the lists were two copies, and JSON Lines had lost "speaker_label"
        let taint = Taint {
            offsets: &[],
            strict: false,
        };
        let opts = IngestOptions::default();
        let j = parse(
            "r.jsonl",
            "{\"Speaker_Label\":\"Ana\",\"Verbatim\":\"Too slow.\",\"Call ID\":\"c1\"}\n",
            &opts,
            taint,
        );
        let c = super::super::table::parse(
            "r.csv",
            "Speaker_Label,Verbatim,Call ID\nAna,Too slow.,c1\n",
            b',',
            &opts,
            taint,
        );
        for p in [&j, &c] {
            let t = &p.documents[0].turns[0];
            assert_eq!(
                (t.speaker.as_deref(), t.text.as_str()),
                (Some("Ana"), "Too slow.")
            );
        }
    }
    #[test]
    fn a_text_field_guessed_by_length_is_named_in_a_warning() {
        let taint = || Taint {
            offsets: &[],
            strict: false,
        };
        let opts = IngestOptions::default();
        let s = "{\"id\":\"a1\",\"notes\":\"The fee showed up at checkout.\"}\n\
                 {\"id\":\"a2\",\"notes\":\"Too slow.\"}\n";
        let p = parse("r.jsonl", s, &opts, taint());
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[1].turns[0].text, "Too slow.");
        super::super::table::tests::assert_one_guess(&p, "notes");
        // one string field, or a named one, is no guess
        for s in [
            "{\"notes\":\"Too slow.\",\"n\":2}\n",
            "{\"id\":\"a\",\"text\":\"Too slow.\"}\n",
        ] {
            let p = parse("r.jsonl", s, &opts, taint());
            assert_eq!(p.documents.len(), 1);
            assert!(p.problems.is_empty(), "{:?}", p.problems);
        }
    }
}
