//! E-mails saved as `.eml` and mailboxes exported as `.mbox` (Gmail
//! Takeout, Thunderbird, Apple Mail): complaints that arrive by e-mail.
//!
//! Each message is one document: its subject, then its body (the plain-text
//! part, else the HTML part read as text), of which only the sender's own
//! words are kept ([`super::email::own_words`]: no quoted thread, no
//! signature). The sender's name (else address) is the speaker, so a
//! mailbox's own replies signed "Acme Support" are the agent's; the date and
//! message id go to `meta`. `record` is the message's number in the file,
//! `line` the line it starts on; the span is the body's bytes when they
//! stand verbatim in the file, else the whole message.

use super::{Document, Parsed, Problem, SourceRef, Turn};
use crate::util::stable_id;
use crate::Location;
use mail_parser::MessageParser;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parse a `.eml` or `.mbox` file's bytes; `Err` says why it holds no
/// message.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let messages = split_mbox(bytes);
    if messages.is_empty() {
        return Err("no e-mail message in the file".into());
    }
    let parser = MessageParser::default();
    for (k, (start, end)) in messages.iter().enumerate() {
        let record = k as u64 + 1;
        let raw = &bytes[*start..*end];
        let line = 1 + bytes[..*start].iter().filter(|&&b| b == b'\n').count() as u64;
        let loc = Location {
            path: path.to_string(),
            line: Some(line),
            record: Some(record),
        };
        let Some(msg) = parser.parse(raw) else {
            out.problems
                .push(Problem::skip(loc, "not an e-mail message (no headers)"));
            continue;
        };
        let speaker = msg.from().and_then(|a| a.first()).and_then(|a| {
            a.name()
                .filter(|n| !n.trim().is_empty())
                .or(a.address())
                .map(|s| s.trim().to_string())
        });
        let at = |text: &str| -> [usize; 2] {
            match find(raw, text.as_bytes()) {
                Some(p) => [start + p, start + p + text.len()],
                None => [*start, *end],
            }
        };
        let mut turns = Vec::new();
        let mut push = |text: &str| {
            let t = text.trim();
            if !t.is_empty() {
                turns.push(Turn {
                    speaker: speaker.clone(),
                    role: None,
                    start_ms: None,
                    end_ms: None,
                    question: None,
                    text: t.to_string(),
                    source: SourceRef {
                        path: path.to_string(),
                        line: Some(line),
                        record: Some(record),
                        span: at(t),
                    },
                });
            }
        };
        if let Some(s) = msg.subject() {
            push(s);
        }
        if let Some(body) = msg.body_text(0) {
            push(&super::email::own_words(&body));
        }
        if turns.is_empty() {
            out.problems
                .push(Problem::skip(loc, "e-mail without a subject or text"));
            continue;
        }
        let mut meta = BTreeMap::new();
        if let Some(d) = msg.date() {
            meta.insert("date".to_string(), Value::from(d.to_rfc3339()));
        }
        if let Some(id) = msg.message_id() {
            meta.insert("message_id".to_string(), Value::from(id));
        }
        out.documents.push(Document {
            id: stable_id(&[path, &record.to_string(), &crate::util::sha256_hex(raw)]),
            source: path.to_string(),
            turns,
            meta,
        });
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The byte ranges of the messages of an mbox (each after its `From `
/// separator line), or the whole file when it is one message.
fn split_mbox(bytes: &[u8]) -> Vec<(usize, usize)> {
    let is_sep = |at: usize| bytes[at..].starts_with(b"From ");
    if !is_sep(0) {
        return if bytes.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            vec![(0, bytes.len())]
        };
    }
    let mut seps = vec![0];
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\n', &bytes[i..]) {
        i += p + 1;
        if i < bytes.len() && is_sep(i) {
            seps.push(i);
        }
    }
    seps.iter()
        .enumerate()
        .map(|(k, &s)| {
            let body = s + memchr::memchr(b'\n', &bytes[s..]).map_or(bytes.len() - s, |n| n + 1);
            let end = seps.get(k + 1).copied().unwrap_or(bytes.len());
            (body.min(end), end)
        })
        .filter(|(a, b)| b > a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    const EML: &str = "From: Dana Lee <dana@example.com>\r\n\
        To: help@acme.com\r\n\
        Subject: Refund still missing\r\n\
        Date: Mon, 3 Mar 2025 10:12:00 +0000\r\n\
        Message-ID: <abc@example.com>\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        I returned the jacket because the zipper broke. Where is my =E2=82=AC40?\r\n\
        \r\n\
        On Fri, 28 Feb 2025, Acme Support <help@acme.com> wrote:\r\n\
        > Your refund will be processed within 5-7 business days.\r\n\
        > Acme\r\n";

    #[test]
    fn an_eml_complaint_is_its_subject_and_the_senders_own_words() {
        let p = parse("c.eml", EML.as_bytes()).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let d = &p.documents[0];
        let t: Vec<&str> = d.turns.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            t,
            [
                "Refund still missing",
                "I returned the jacket because the zipper broke. Where is my €40?"
            ]
        );
        assert_eq!(d.turns[1].speaker.as_deref(), Some("Dana Lee"));
        assert_eq!(d.meta["date"], "2025-03-03T10:12:00Z");
        // the subject stands verbatim in the file: its span is exact
        let s = d.turns[0].source.span;
        assert_eq!(&EML[s[0]..s[1]], "Refund still missing");
    }

    #[test]
    fn an_mbox_is_one_document_per_message() {
        let html = "From: Sam <sam@example.com>\nSubject: App logs me out\n\
            Content-Type: text/html\n\n<p>It logs me out <b>every</b> time.</p>\n";
        let mbox = format!(
            "From dana@example.com Mon Mar  3 10:12:00 2025\n{}\nFrom sam@example.com Tue Mar  4 09:00:00 2025\n{html}",
            EML.replace("\r\n", "\n")
        );
        let p = parse("inbox.mbox", mbox.as_bytes()).unwrap();
        assert_eq!(p.documents.len(), 2);
        let d = &p.documents[1];
        assert_eq!(d.turns[1].text, "It logs me out every time.");
        assert_eq!(d.turns[1].source.record, Some(2));
        assert_eq!(d.turns[1].source.line, Some(17));
        // no message at all
        assert!(parse("x.eml", b"  \n").is_err());
    }
}
