//! Whisper JSON as written by openai-whisper, faster-whisper and WhisperX:
//! an object with `segments[]` (or a bare array of segments), each with
//! `start`/`end` in seconds, `text` and, after diarisation, `speaker`.
//! Whole-file `text`, `language` and `words[]` are ignored. Other
//! speech-to-text services' JSON (AWS Transcribe, AssemblyAI, Deepgram, ...)
//! is read by [`super::stt`].
//!
//! A `.json` file that is not Whisper's (a bare array of objects without
//! times or speakers, or an object whose one list holds objects, as review
//! and survey exports write) is a list of records, read like JSON Lines;
//! one that holds one conversation (a chat's `messages`, an Intercom
//! conversation, a Zendesk ticket's `comments`) is one record, its messages
//! the turns (see `jsonl::Messages`).
//!
//! Why records: a segment is the unit the transcriber vouches for, so each
//! turn carries its 1-based segment number as `record`. Byte spans point at
//! the JSON string of the text when it appears verbatim in the file.

use super::{IngestOptions, Parsed, Problem, SourceRef, Taint, Turn};
use crate::Location;
use serde_json::Value;

/// Whether a bare JSON array is a transcriber's segments (objects with a
/// `text` and a `start`, `end` or `speaker`) rather than a list of records
/// such as reviews, which are read like JSON Lines. An empty array, or one of
/// non-objects, is left to the segment reader to explain.
fn holds_segments(a: &[Value]) -> bool {
    match a.iter().find_map(Value::as_object) {
        None => true,
        Some(o) => {
            o.get("text").is_some_and(Value::is_string)
                && ["start", "end", "speaker"]
                    .iter()
                    .any(|k| o.contains_key(*k))
        }
    }
}

/// The byte span of `s`, as JSON escapes it, in `text` from `cursor` on,
/// moving the cursor past it; `[cursor, cursor]` when it is not there
/// verbatim (text joined from words, or escaped another way).
pub(super) fn find_json_string(text: &str, cursor: &mut usize, s: &str) -> [usize; 2] {
    let escaped = serde_json::to_string(s).unwrap_or_default();
    let inner = escaped
        .get(1..escaped.len().saturating_sub(1))
        .unwrap_or("");
    match text.get(*cursor..).and_then(|h| h.find(inner)) {
        Some(p) if !inner.is_empty() => {
            *cursor += p + inner.len();
            [*cursor - inner.len(), *cursor]
        }
        _ => [*cursor, *cursor],
    }
}

/// Parse a `.json` file: Whisper JSON, or a list of records (see
/// [`super::jsonl::parse_list`]).
pub fn parse(path: &str, text: &str, opts: &IngestOptions, taint: Taint<'_>) -> Parsed {
    let mut out = Parsed::default();
    if text.trim().is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), "no text (empty file)"));
        return out;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // JSON Lines saved as `.json`: one object on the first line, more after
        Err(e)
            if e.line() > 1
                && text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| {
                        serde_json::from_str::<serde_json::Map<String, Value>>(l).is_ok()
                    }) =>
        {
            return super::jsonl::parse(path, text, opts, taint);
        }
        Err(e) => {
            out.problems.push(Problem::skip(
                Location::line(path, e.line() as u64),
                format!("not Whisper JSON: {e}"),
            ));
            return out;
        }
    };
    // a speech-to-text service's own JSON (AWS, AssemblyAI, Deepgram, ...)
    if value.get("segments").is_none() {
        if let Some(read) = super::stt::read(&value) {
            let service = read.service;
            let call_key = read.call_key.unwrap_or("call");
            let turns = super::stt::into_turns(path, text, read);
            if turns.iter().all(|(call, _)| call.is_none()) {
                let turns = turns.into_iter().map(|(_, t)| t).collect();
                super::push_file_document(
                    &mut out,
                    path,
                    text,
                    turns,
                    &format!("no transcript text ({service} JSON)"),
                );
            } else {
                // several calls in one file (Gong, Fireflies): a document each
                out.documents = super::stt::call_documents(path, text, call_key, turns);
            }
            if out.documents.is_empty() && out.problems.is_empty() {
                out.problems.push(Problem::warn(
                    Location::file(path),
                    format!("no transcript text ({service} JSON)"),
                ));
            }
            return out;
        }
    }
    let segments = match &value {
        Value::Array(a) if !holds_segments(a) => {
            return super::jsonl::parse_list(path, text, None, opts, taint)
        }
        Value::Array(a) => a,
        Value::Object(o) => match o.get("segments") {
            Some(Value::Array(a)) => a,
            // one conversation's messages, each with its speaker (`{"id":
            // ..., "messages": [{"role": "user", ...}]}`, Intercom's
            // conversation)
            _ if super::jsonl::is_conversation(o) => {
                return super::jsonl::parse_conversation(path, text, opts, taint);
            }
            _ => {
                // `{"reviews": [...], "count": 2}`: the one list of records
                let lists: Vec<&String> = o
                    .iter()
                    .filter(|(_, v)| {
                        v.as_array()
                            .is_some_and(|a| a.first().is_some_and(Value::is_object))
                    })
                    .map(|(k, _)| k)
                    .collect();
                if let [key] = lists[..] {
                    return super::jsonl::parse_list(path, text, Some(key), opts, taint);
                }
                let why = if lists.is_empty() {
                    "neither Whisper JSON (no `segments` array) nor a list of records".to_string()
                } else {
                    let names: Vec<String> = lists.iter().map(|k| format!("`{k}`")).collect();
                    format!(
                        "not Whisper JSON (no `segments` array), and {} lists of records \
                         ({}): save the one to read as JSON Lines",
                        lists.len(),
                        names.join(", ")
                    )
                };
                out.problems.push(Problem::skip(Location::file(path), why));
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
        let span = find_json_string(text, &mut cursor, trimmed);
        let start_ms = super::stt::secs(seg.get("start"));
        let mut end_ms = super::stt::secs(seg.get("end"));
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
            question: None,
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
    fn read(name: &str, s: &str) -> super::Parsed {
        super::parse(name, s, &Default::default(), super::super::Taint::NONE)
    }

    fn texts(p: &super::Parsed) -> Vec<&str> {
        p.documents
            .iter()
            .map(|d| d.turns[0].text.as_str())
            .collect()
    }

    #[test]
    fn whisperx_segments() {
        let s = r#"{"segments":[{"start":0.5,"end":2.25,"text":" Hello there.","speaker":"SPEAKER_00","words":[]},{"start":2.5,"end":3.0,"text":" Hi."}],"language":"en"}"#;
        let p = read("a.json", s);
        let t = &p.documents[0].turns;
        assert_eq!(t[0].text, "Hello there.");
        assert_eq!((t[0].start_ms, t[0].end_ms), (Some(500), Some(2250)));
        assert_eq!(t[0].speaker.as_deref(), Some("SPEAKER_00"));
        assert_eq!(&s[t[0].source.span[0]..t[0].source.span[1]], "Hello there.");
        assert_eq!(t[1].source.record, Some(2));
    }

    #[test]
    fn a_review_export_as_a_json_array_is_read_as_records() {
        // was: every element skipped as "segment without a `text` string"
        let s = "[\n  {\"review\": \"The app crashes on the camera\", \"stars\": 1},\n  \
                 {\"review\": \"Love the dark mode\", \"stars\": 5},\n  \
                 {\"stars\": 3},\n  7\n]\n";
        let p = read("r.json", s);
        assert_eq!(p.documents.len(), 2);
        let t = &p.documents[1].turns[0];
        assert_eq!(t.text, "Love the dark mode");
        assert_eq!((t.source.record, t.source.line), (Some(2), Some(3)));
        assert_eq!(&s[t.source.span[0]..t.source.span[1]], "Love the dark mode");
        assert_eq!(p.documents[0].meta["stars"], serde_json::Value::from(1));
        // one element without the text field, one not an object: each named
        let skipped: Vec<_> = p
            .problems
            .iter()
            .map(|q| (q.loc.record, q.loc.line))
            .collect();
        assert_eq!(skipped, vec![(Some(3), Some(4)), (Some(4), Some(5))]);
    }

    #[test]
    fn json_lines_saved_as_json_are_read_as_json_lines() {
        // was: the whole file skipped, "not Whisper JSON: trailing characters"
        let s = "{\"review\": \"The fee was wrong\", \"stars\": 2}\n{\"review\": \"Too slow\"}\n";
        let p = read("r.json", s);
        assert_eq!(texts(&p), ["The fee was wrong", "Too slow"]);
        assert_eq!(p.documents[1].turns[0].source.line, Some(2));
        // a broken single JSON document is still reported as such
        let p = read("r.json", "{\"segments\": [\n{\"text\": }");
        assert!(p.documents.is_empty());
        assert!(
            p.problems[0].msg.starts_with("not Whisper JSON"),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn a_json_file_of_one_chat_is_one_conversation() {
        // was: each message its own document, the assistant's analysed as
        // a customer's (one speaker per document)
        let s = "{\n  \"id\": \"chat-7\",\n  \"rating\": 1,\n  \"messages\": [\n    \
                 {\"role\": \"assistant\", \"content\": \"How can I help?\"},\n    \
                 {\"role\": \"user\", \"content\": \"The app logs me out.\"}\n  ]\n}\n";
        let p = read("chat.json", s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents.len(), 1);
        let d = &p.documents[0];
        assert_eq!(d.turns.len(), 2);
        assert_eq!(d.turns[1].speaker.as_deref(), Some("user"));
        assert_eq!(
            &s[d.turns[1].source.span[0]..d.turns[1].source.span[1]],
            "The app logs me out."
        );
        assert_eq!(d.meta["rating"], serde_json::json!(1));
    }

    /// Each turn's (speaker, role, text) of a one-document read.
    fn conversation(p: &super::Parsed) -> Vec<(Option<&str>, Option<super::super::Role>, &str)> {
        assert_eq!(p.documents.len(), 1, "{:?}", p.problems);
        super::super::turn_roles(&p.documents[0])
    }

    #[test]
    fn a_list_of_reviews_by_their_authors_is_no_conversation() {
        // was: read as one conversation, the first reviewer taken for its
        // host and flagged role:agent, her review never analysed
        let s = r#"{"product": "Blender", "reviews": [
            {"author": "Ann", "rating": 1, "text": "The lid cracked."},
            {"author": "Bob", "rating": 2, "text": "Too loud."}]}"#;
        let p = read("r.json", s);
        assert_eq!(p.documents.len(), 2, "{:?}", p.problems);
        assert_eq!(p.documents[0].turns[0].speaker.as_deref(), Some("Ann"));
        assert_eq!(p.documents[1].turns[0].text, "Too loud.");
    }

    #[test]
    fn help_desk_conversations_are_read_with_their_roles() {
        use super::super::Role::{Agent, Customer};
        // Intercom: was skipped ("neither Whisper JSON nor a list of
        // records"); the opening message is `source`, the rest sit in an
        // object, bodies are HTML, notes are internal
        let s = r#"{"type": "conversation", "id": "123",
          "source": {"type": "conversation", "body": "<p>My card was declined.</p>",
                     "author": {"type": "user", "name": "Jane Doe"}},
          "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
            {"part_type": "assignment", "body": null, "author": {"type": "bot", "name": "Operator"}},
            {"part_type": "comment", "body": "<p>Sorry! Which card?</p>", "author": {"type": "admin", "name": "Sam"}},
            {"part_type": "note", "body": "<p>escalate</p>", "author": {"type": "admin", "name": "Sam"}},
            {"part_type": "comment", "body": "<p>The blue one &amp; it&#39;s new.</p>", "author": {"type": "user", "name": "Jane Doe"}}],
            "total_count": 4}}"#;
        let p = read("intercom.json", s);
        assert_eq!(
            conversation(&p),
            [
                (Some("Jane Doe"), Some(Customer), "My card was declined."),
                (Some("Sam"), Some(Agent), "Sorry! Which card?"),
                (Some("Jane Doe"), Some(Customer), "The blue one & it's new."),
            ]
        );
        assert!(!p.documents[0].meta.contains_key("source"));
        // Zendesk: was one document per comment, the agent's reply and the
        // private note analysed as customers' words
        let s = r#"{"ticket": {"id": 35436, "requester_id": 20978392},
          "comments": [
            {"id": 1, "author_id": 20978392, "body": "Declined again.", "public": true},
            {"id": 2, "author_id": 123, "body": "Could you try again?", "public": true},
            {"id": 3, "author_id": 123, "body": "refund requested", "public": false}]}"#;
        assert_eq!(
            conversation(&read("zendesk.json", s)),
            [
                (Some("20978392"), Some(Customer), "Declined again."),
                (Some("123"), Some(Agent), "Could you try again?"),
            ]
        );
        // Freshdesk: a ticket's own text, then its conversations; was one
        // document per reply, the ticket's own text never read
        let s = r#"{"id": 20, "requester_id": 5001, "description": "<div>Charged twice.</div>",
          "conversations": [
            {"body": "<div>Checking.</div>", "incoming": false, "private": false, "user_id": 77},
            {"body": "<div>per policy</div>", "incoming": false, "private": true, "user_id": 77},
            {"body": "<div>Still waiting.</div>", "incoming": true, "private": false, "user_id": 5001}]}"#;
        assert_eq!(
            conversation(&read("freshdesk.json", s)),
            [
                (Some("5001"), Some(Customer), "Charged twice."),
                (Some("77"), Some(Agent), "Checking."),
                (Some("5001"), Some(Customer), "Still waiting."),
            ]
        );
        // Help Scout: threads newest first, authors `createdBy` people whose
        // type `user` is staff; was skipped as no list of records
        let s = r#"{"id": 10, "subject": "Refund", "_embedded": {"threads": [
            {"type": "customer", "body": "Still no refund.", "createdBy": {"type": "customer", "first": "Jane", "last": "Doe"}, "createdAt": "2026-11-03T09:00:00Z"},
            {"type": "note", "body": "escalate", "createdBy": {"type": "user", "first": "Sam"}, "createdAt": "2026-11-02T12:00:00Z"},
            {"type": "reply", "body": "<p>On its way.</p>", "createdBy": {"type": "user", "first": "Sam"}, "createdAt": "2026-11-02T10:00:00Z"},
            {"type": "customer", "body": "Charged twice.", "createdBy": {"type": "customer", "first": "Jane", "last": "Doe"}, "createdAt": "2026-11-01T09:00:00Z"}]}}"#;
        let p = read("helpscout.json", s);
        assert_eq!(
            conversation(&p),
            [
                (Some("Jane Doe"), Some(Customer), "Charged twice."),
                (Some("Sam"), Some(Agent), "On its way."),
                (Some("Jane Doe"), Some(Customer), "Still no refund."),
            ]
        );
        // each read in reverse is still traced to its own bytes
        let t = &p.documents[0].turns[2];
        assert_eq!(&s[t.source.span[0]..t.source.span[1]], "Still no refund.");
    }

    #[test]
    fn a_list_of_records_inside_an_object_is_found_by_its_field() {
        let s = r#"{"count": 2, "reviews": [{"id": "a", "body": "Too slow."}, {"id": "b", "body": "Fine."}]}"#;
        let p = read("r.json", s);
        assert_eq!(texts(&p), ["Too slow.", "Fine."]);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        // two lists: no guess, a skip that names both
        let s = r#"{"good": [{"text": "a"}], "bad": [{"text": "b"}]}"#;
        let p = read("r.json", s);
        assert!(p.documents.is_empty());
        assert!(
            p.problems[0].msg.contains("`good`, `bad`"),
            "{:?}",
            p.problems
        );
        // segments without times but with speakers stay one conversation
        let s = r#"[{"speaker": "A", "text": "Hi."}, {"speaker": "B", "text": "Hello."}]"#;
        let p = read("t.json", s);
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.documents[0].turns.len(), 2);
    }
}
