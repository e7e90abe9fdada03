//! Slack's workspace export: a folder per channel, a JSON list of messages
//! per day (`[{"type": "message", "user": ..., "text": ..., "ts":
//! "1701350100.000200", "user_profile": {...}}, ...]`), as feedback and
//! shared support channels are kept. Read as records (see `jsonl`), each
//! message its own document, with three things only Slack needs:
//! - what is not a message someone wrote is left out: channel notices
//!   (`channel_join`, `channel_topic`, ...), deleted messages, and messages
//!   with no text (a file shared without a comment); bot messages are kept,
//!   since form and help-desk integrations post customers' words as a bot;
//! - the speaker is the author's name (`user_profile.real_name`), not the
//!   user id;
//! - Slack's markup reads as Slack shows it: `<@U123|dana>` as `@dana`,
//!   `<#C123|feedback>` as `#feedback`, `<!here>` as `@here`,
//!   `<https://...|reports page>` as `reports page`.

use serde_json::{Map, Value};

type Object = Map<String, Value>;

/// Whether a record is a Slack message: `"type": "message"` and a `ts` of
/// digits with a decimal point, as the export writes every message.
pub(super) fn is_message(obj: &Object) -> bool {
    obj.get("type").and_then(Value::as_str) == Some("message")
        && obj.get("ts").and_then(Value::as_str).is_some_and(|ts| {
            ts.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
            })
        })
}

/// The message subtypes someone wrote (none is the plain message): every
/// other subtype is a notice of Slack's (joins, topics, pins, deletions).
const WRITTEN: &[&str] = &[
    "bot_message",
    "me_message",
    "file_share",
    "thread_broadcast",
];

/// Whether a Slack message is left out, not skipped: a notice, or nothing
/// written in it.
pub(super) fn left_out(obj: &Object) -> bool {
    let notice = match obj.get("subtype") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !WRITTEN.contains(&s.as_str()),
        Some(_) => true,
    };
    let empty = obj
        .get("text")
        .and_then(Value::as_str)
        .is_none_or(|t| text(t).trim().is_empty());
    notice || empty
}

/// The author's name: the profile's real or display name, else the bot's
/// or user's name, else the user id.
pub(super) fn speaker(obj: &Object) -> Option<String> {
    let named = |o: &Object, keys: &[&str]| {
        keys.iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    };
    obj.get("user_profile")
        .and_then(Value::as_object)
        .and_then(|p| named(p, &["real_name", "display_name", "name"]))
        .or_else(|| named(obj, &["user_name", "username", "user", "bot_id"]))
}

/// Slack's markup as Slack shows it. Every `<` in a message's text opens
/// markup (a typed `<` is written `&lt;`, decoded later with the other
/// entities); a `<` with no `>` after it is kept as it is.
pub(super) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let (target, label) = match inner.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (inner, None),
        };
        match (target.chars().next(), label) {
            // a user or channel: its name where given, else its id
            (Some(c @ ('@' | '#')), Some(l)) => {
                out.push(c);
                out.push_str(l.trim_start_matches(c));
            }
            (Some('@' | '#'), None) => out.push_str(target),
            // `<!here>`, `<!channel>`; `<!subteam^S1|@team>`, `<!date^...|fallback>`
            (Some('!'), Some(l)) => out.push_str(l),
            (Some('!'), None) => {
                out.push('@');
                out.push_str(&target[1..]);
            }
            // a link: its label, else where it goes
            (_, Some(l)) => out.push_str(l),
            (_, None) => out.push_str(target.strip_prefix("mailto:").unwrap_or(target)),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Object {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn slack_markup_reads_as_slack_shows_it() {
        assert_eq!(
            text("Thanks <@U03CUST01|dana>, see <https://acme.example.com/r|the reports page> or <#C01|feedback>"),
            "Thanks @dana, see the reports page or #feedback"
        );
        assert_eq!(
            text("<!here> <!subteam^S1|@support> ping <@U02> at <mailto:a@b.co>"),
            "@here @support ping @U02 at a@b.co"
        );
        assert_eq!(
            text("5 &lt; 6 and <https://x.io>"),
            "5 &lt; 6 and https://x.io"
        );
        assert_eq!(text("a < b, no close"), "a < b, no close");
    }

    #[test]
    fn slack_notices_and_empty_messages_are_left_out() {
        let m = |v: Value| left_out(&obj(v));
        assert!(m(
            json!({"type": "message", "subtype": "channel_join", "text": "<@U1> has joined the channel"})
        ));
        assert!(m(
            json!({"type": "message", "subtype": "tombstone", "text": "This message was deleted."})
        ));
        assert!(m(
            json!({"type": "message", "subtype": "file_share", "text": ""})
        ));
        assert!(!m(json!({"type": "message", "text": "<@U1>"})));
        assert!(!m(
            json!({"type": "message", "text": "Export keeps timing out."})
        ));
        assert!(!m(
            json!({"type": "message", "subtype": "bot_message", "text": "New feedback: too slow"})
        ));
        assert!(!m(
            json!({"type": "message", "subtype": "thread_broadcast", "text": "Same here."})
        ));
    }

    #[test]
    fn a_slack_export_day_reads_its_messages_by_author() {
        // was: the join notice analysed, markup and user ids in the text,
        // no speaker
        let s = r#"[
  {"type": "message", "subtype": "channel_join", "ts": "1701350000.000100", "user": "U02", "text": "<@U02> has joined the channel"},
  {"type": "message", "text": "Export keeps timing out, see <https://acme.io/r|reports>.", "user": "U03", "ts": "1701350100.000200",
   "user_profile": {"real_name": "Dana Ruiz"}, "blocks": [{"type": "rich_text"}], "reply_count": 1},
  {"type": "message", "subtype": "file_share", "text": "", "user": "U03", "ts": "1701350150.000250"},
  {"type": "message", "text": "Thanks <@U03|dana>, looking into it.", "user": "U01", "ts": "1701350300.000400"}
]"#;
        let p = super::super::whisper::parse(
            "c/2026-11-30.json",
            s,
            &Default::default(),
            super::super::Taint::NONE,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let read: Vec<_> = p
            .documents
            .iter()
            .map(|d| {
                let t = &d.turns[0];
                (t.source.record, t.speaker.as_deref(), t.text.as_str())
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    Some(2),
                    Some("Dana Ruiz"),
                    "Export keeps timing out, see reports."
                ),
                (Some(4), Some("U01"), "Thanks @dana, looking into it."),
            ]
        );
        assert!(!p.documents[0].meta.contains_key("blocks"));
        assert_eq!(p.documents[0].meta["reply_count"], json!(1));
    }

    #[test]
    fn a_slack_message_is_known_by_its_type_and_ts() {
        assert!(is_message(&obj(
            json!({"type": "message", "ts": "1701350100.000200"})
        )));
        assert!(!is_message(&obj(
            json!({"type": "message", "ts": "2026-11-30"})
        )));
        assert!(!is_message(&obj(
            json!({"type": "review", "ts": "1701350100.000200"})
        )));
        assert_eq!(
            speaker(&obj(
                json!({"user": "U1", "user_profile": {"real_name": "", "display_name": "dana"}})
            )),
            Some("dana".to_string())
        );
        assert_eq!(speaker(&obj(json!({"user": "U1"}))), Some("U1".to_string()));
    }
}
