//! JSON Lines: one object per line (`--text-field`, same auto-detected text,
//! speaker and conversation fields as CSV); also a JSON file holding a list of
//! such records (a review export), one record per element. Other fields go to `meta` as they
//! are (numbers stay numbers, nested values stay JSON). A line that is not a
//! JSON object, or has no text, is skipped with its line number; record
//! numbers are line numbers.

use super::table::{
    cell_ms, number_ms, pick_field, rows_to_documents, time_fields, Row, DOC_NAMES, SPEAKER_NAMES,
    TEXT_NAMES, TITLE_NAMES,
};
use super::{IngestOptions, Parsed, Problem, Role, Taint};
use crate::util::field_key as norm;
use crate::Location;
use serde_json::Value;
use std::collections::BTreeMap;

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

type Object = serde_json::Map<String, Value>;

/// The names of `obj`'s fields that hold a string.
fn string_fields(obj: &Object) -> Vec<String> {
    obj.iter()
        .filter(|(_, v)| v.is_string())
        .map(|(k, _)| k.clone())
        .collect()
}

/// Which fields of a record hold the text, the speaker and the conversation:
/// fixed by the first record, so every record is read alike.
#[derive(Default)]
struct Plan {
    /// One field, or the several named (each a turn).
    text: Vec<String>,
    speaker: Option<String>,
    doc: Option<String>,
    /// Start and end time fields, each with whether it holds milliseconds.
    times: [Option<(String, bool)>; 2],
    /// A conversation held in the record: its list of messages.
    messages: Option<Messages>,
    /// Slack's export: notices left out, authors by name, markup as shown
    /// (see [`super::slack`]).
    slack: bool,
    /// A form response whose `answers` list holds the text (Typeform's).
    answers: bool,
    /// Fields named by the user (`--text-column`): with several, each
    /// answer names its field as the question it answers.
    named: bool,
    /// A Qualtrics response (see [`qualtrics_fields`]): its typed answers
    /// (`QID2_TEXT`) are the text; `Some(true)` when the survey shows
    /// several, so that each names its question (`QID2`).
    typed: Option<bool>,
    /// The field read as text for want of one named like text (the first
    /// record's longest string), with every field's name: a file whose
    /// texts there are all codes has none (see [`Reader::finish`]).
    guessed: Option<(String, Vec<String>)>,
}

/// Where a record keeps its conversation, as chat, support-bot and help-desk
/// exports write it: `"messages": [{"role": "user", "content": "..."}, ...]`,
/// or Intercom's `"source": {...}` opening message followed by
/// `"conversation_parts": {"conversation_parts": [...]}`.
struct Messages {
    /// The record's field holding the list, and, for a list held in an
    /// object (Intercom's), the field within it.
    list: String,
    inner: Option<String>,
    /// Each message's text field and speaker field.
    text: String,
    speaker: Option<String>,
    /// A field of the record holding the opening message, an object with
    /// the same text and speaker fields (Intercom's `source`).
    opening: Option<String>,
    /// Whether the list reads as one conversation: named as one
    /// (`messages`, `turns`, `conversation_parts`, ...) or its speakers
    /// named by role (`user`, `assistant`, an author of type `admin`). A
    /// list of reviews, each by its own author, is no conversation: its
    /// authors are no speakers taking turns.
    conversation: bool,
    /// Whether authors are named by id (help desks): then the ticket's
    /// requester is the customer, everyone else an agent.
    by_id: bool,
}

/// List field names (normalised) that hold one conversation's messages.
const CONVERSATION_NAMES: &[&str] = &[
    "messages",
    "message",
    "msgs",
    "chat",
    "chatlog",
    "chathistory",
    "chatmessages",
    "conversation",
    "conversationparts",
    "parts",
    "turns",
    "dialog",
    "dialogue",
    "dialogturns",
    "utterances",
    "transcript",
    "history",
    "thread",
    "threads",
];

/// The role an author's type or role word names, as chat, bot and help-desk
/// tools write them (Intercom: `user`/`lead`/`contact` and `admin`/`bot`).
fn role_word(s: &str) -> Option<Role> {
    match norm(s).as_str() {
        "user" | "lead" | "contact" | "customer" | "client" | "visitor" | "enduser"
        | "requester" | "human" | "caller" => Some(Role::Customer),
        "admin" | "agent" | "bot" | "operator" | "teammate" | "assistant" | "staff" | "ai"
        | "model" | "system" | "support" | "rep" => Some(Role::Agent),
        _ => None,
    }
}

/// Whether messages are listed newest first (Help Scout's threads): their
/// times (`createdAt`, `created_at`; ISO strings or numbers) never rise
/// and do fall.
fn newest_first(list: &[&Value]) -> bool {
    let times: Vec<&Value> = list
        .iter()
        .filter_map(|m| {
            let m = m.as_object()?;
            m.iter()
                .find(|(k, _)| norm(k) == "createdat")
                .map(|(_, v)| v)
        })
        .collect();
    if times.len() < 2 || times.len() != list.len() {
        return false;
    }
    let key = |v: &Value| match v {
        Value::Number(n) => n.as_f64().map(|f| (f, String::new())),
        Value::String(s) => Some((0.0, s.clone())),
        _ => None,
    };
    let keys: Option<Vec<(f64, String)>> = times.iter().map(|v| key(v)).collect();
    let Some(keys) = keys else {
        return false;
    };
    keys.windows(2).all(|w| w[0] >= w[1]) && keys[0] > keys[keys.len() - 1]
}

/// A message the customer never saw: an internal note (Intercom's
/// `"part_type": "note"`, Help Scout's `"type": "note"`), or one marked not
/// public or private (Zendesk, Freshdesk).
fn is_internal(m: &Object) -> bool {
    let flag = |k: &str, v: bool| m.get(k).and_then(Value::as_bool) == Some(v);
    flag("public", false)
        || flag("private", true)
        || flag("internal", true)
        || ["part_type", "type"].iter().any(|k| {
            m.get(*k).and_then(Value::as_str).is_some_and(|t| {
                matches!(norm(t).as_str(), "note" | "internalnote" | "privatenote")
            })
        })
}

/// A message's speaker and role: a name, or an author object's name with
/// the role its type names (`{"type": "admin", "name": "Sam"}`).
fn who(v: &Value) -> (Option<String>, Option<Role>) {
    match v {
        Value::Object(a) => {
            let kind = ["type", "role"]
                .iter()
                .find_map(|k| a.get(*k).and_then(scalar_string));
            // Help Scout's people: {"first": "Jane", "last": "Doe"}
            let full = ["first", "last"]
                .iter()
                .filter_map(|k| a.get(*k).and_then(scalar_string))
                .collect::<Vec<_>>()
                .join(" ");
            let name = a
                .get("name")
                .and_then(scalar_string)
                .or((!full.is_empty()).then_some(full))
                .or_else(|| {
                    ["type", "role"]
                        .iter()
                        .find_map(|k| a.get(*k).and_then(scalar_string))
                });
            (name, kind.as_deref().and_then(role_word))
        }
        v => (scalar_string(v), None),
    }
}

impl Messages {
    /// The first field of `obj` that is a list of objects with a text field,
    /// or an object holding one.
    fn find(obj: &Object) -> Option<Messages> {
        obj.iter().find_map(|(k, v)| {
            let (inner, list) = match v {
                Value::Array(a) => (None, a),
                Value::Object(o) => o.iter().find_map(|(ik, iv)| {
                    let a = iv.as_array()?;
                    a.iter()
                        .any(Value::is_object)
                        .then(|| (Some(ik.clone()), a))
                })?,
                _ => return None,
            };
            let first = list.iter().find_map(Value::as_object)?;
            let names: Vec<String> = first.keys().cloned().collect();
            let text = names[pick_field(&names, None, TEXT_NAMES)?].clone();
            // help desks name a message's author by id only: Zendesk's
            // ticket `comments` (`author_id`, `public`), Freshdesk's
            // `conversations` (`user_id`, `incoming`)
            let by_id = [
                ("comments", "author_id", "public"),
                ("conversations", "user_id", "incoming"),
            ]
            .iter()
            .find(|(list, id, mark)| {
                norm(k) == *list && first.contains_key(*id) && first.contains_key(*mark)
            })
            .map(|(_, id, _)| id.to_string());
            // Help Scout's threads: `createdBy`
            let created_by = names.iter().find(|n| norm(n) == "createdby").cloned();
            let speaker = pick_field(&names, None, SPEAKER_NAMES)
                .map(|i| names[i].clone())
                .or_else(|| by_id.clone())
                .or_else(|| created_by.clone());
            let named = by_id.is_some()
                || CONVERSATION_NAMES.contains(&norm(k).as_str())
                || inner
                    .as_deref()
                    .is_some_and(|i| CONVERSATION_NAMES.contains(&norm(i).as_str()));
            let by_role = speaker.as_ref().is_some_and(|f| {
                list.iter().filter_map(|m| m.get(f)).any(|v| match v {
                    Value::Object(_) => who(v).1.is_some(),
                    v => scalar_string(v).as_deref().and_then(role_word).is_some(),
                })
            });
            let opening = obj
                .iter()
                .find(|(ok, ov)| {
                    *ok != k
                        && ov.as_object().is_some_and(|o| {
                            o.get(&text).is_some_and(Value::is_string)
                                && speaker.as_ref().is_some_and(|f| o.contains_key(f))
                        })
                })
                .map(|(ok, _)| ok.clone());
            Some(Messages {
                list: k.clone(),
                inner,
                text,
                speaker,
                opening,
                conversation: named || by_role,
                by_id: by_id.is_some(),
            })
        })
    }

    /// The list of messages in `obj`.
    fn list<'o>(&self, obj: &'o Object) -> Option<&'o Value> {
        obj.get(&self.list).and_then(|v| match &self.inner {
            Some(i) => v.get(i),
            None => Some(v),
        })
    }

    /// Of authors named by id, the customer's: the ticket's requester
    /// (`requester_id`, on the record or its `ticket`), else the first
    /// message's author.
    fn requester(&self, obj: &Object) -> Option<String> {
        let id = self.speaker.as_ref().filter(|_| self.by_id)?;
        let field = |o: &Object| o.get("requester_id").and_then(scalar_string);
        field(obj)
            .or_else(|| obj.get("ticket")?.as_object().and_then(field))
            .or_else(|| {
                self.list(obj)?
                    .as_array()?
                    .iter()
                    .find_map(|m| m.get(id).and_then(scalar_string))
            })
    }

    /// The (speaker, role, text) of each message with text the customer
    /// could see, the opening message first, oldest first. Outside a
    /// conversation no message has a speaker.
    fn read(&self, obj: &Object) -> Vec<(Option<String>, Option<Role>, String)> {
        let mut list: Vec<&Value> = self
            .list(obj)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        if newest_first(&list) {
            list.reverse();
        }
        let opening = self.opening.as_ref().and_then(|f| obj.get(f));
        let requester = self.requester(obj);
        // Help Scout names the customer's threads by their type
        let by_thread_type = self
            .speaker
            .as_deref()
            .is_some_and(|f| norm(f) == "createdby");
        opening
            .into_iter()
            .chain(list)
            .filter_map(Value::as_object)
            .filter(|m| !is_internal(m))
            .filter_map(|m| {
                let text = m.get(&self.text)?.as_str()?.trim();
                (!text.is_empty()).then(|| {
                    let (sp, mut role) = match self.speaker.as_ref().and_then(|f| m.get(f)) {
                        Some(v) if self.conversation => who(v),
                        _ => (None, None),
                    };
                    if let (Some(r), Some(s)) = (&requester, &sp) {
                        role = Some(if r == s { Role::Customer } else { Role::Agent });
                    }
                    if by_thread_type {
                        role = match m.get("type").and_then(Value::as_str) {
                            Some("customer") => Some(Role::Customer),
                            Some("message" | "reply") => Some(Role::Agent),
                            _ => role,
                        };
                    }
                    (sp, role, text.to_string())
                })
            })
            .collect()
    }
}

impl Plan {
    fn of(
        obj: &Object,
        opts: &IngestOptions,
        loc: &Location,
        problems: &mut Vec<Problem>,
        typed: Option<usize>,
    ) -> Plan {
        let names: Vec<String> = obj.keys().cloned().collect();
        if !opts.text_fields.is_empty() {
            // named fields are read as named, even when this record lacks one
            let text = opts.text_fields.clone();
            let speaker = pick_field(&names, opts.speaker_field.as_deref(), SPEAKER_NAMES)
                .map(|i| names[i].clone())
                .filter(|s| !text.contains(s));
            let doc = pick_field(&names, opts.doc_field.as_deref(), DOC_NAMES)
                .map(|i| names[i].clone())
                .filter(|d| !text.contains(d));
            let times = Plan::times(&names, &text);
            return Plan {
                text,
                speaker,
                doc,
                times,
                messages: None,
                slack: super::slack::is_message(obj),
                answers: false,
                named: true,
                typed: None,
                guessed: None,
            };
        }
        if let Some(shown) = typed {
            return Plan {
                typed: Some(shown > 1),
                ..Plan::default()
            };
        }
        if form_answers(obj).is_some() && pick_field(&names, None, TEXT_NAMES).is_none() {
            return Plan {
                answers: true,
                ..Plan::default()
            };
        }
        let mut by_name = pick_field(&names, None, TEXT_NAMES);
        let strings = string_fields(obj);
        let by_string = pick_field(&strings, None, TEXT_NAMES);
        // a text-like name on a list (`"comments": [...]`) is the
        // conversation: the text, if any, is a string field's
        if by_name.is_some_and(|i| obj[&names[i]].is_array() || obj[&names[i]].is_object()) {
            by_name = by_string.and_then(|s| names.iter().position(|n| *n == strings[s]));
        }
        if by_name.is_none() {
            if let Some(m) = Messages::find(obj) {
                let doc = pick_field(&names, opts.doc_field.as_deref(), DOC_NAMES)
                    .map(|i| names[i].clone());
                return Plan {
                    doc,
                    messages: Some(m),
                    ..Plan::default()
                };
            }
        }
        // a ticket's own text followed by its thread of replies, authors
        // named by id (Freshdesk's `conversations`)
        let thread = by_name
            .and_then(|_| Messages::find(obj))
            .filter(|m| m.by_id && m.conversation);
        let text = by_name
            .map(|i| names[i].clone())
            .or_else(|| {
                let strings: Vec<(usize, &String)> = obj
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (s.len(), k)))
                    .collect();
                let (_, k) = strings.iter().max()?;
                // a guess when there were several strings, or lists or
                // objects the words may sit in (the only string then an id):
                // say which field it took, so a wrong one is noticed
                let nested = obj.values().any(|v| v.is_array() || v.is_object());
                if strings.len() > 1 || nested {
                    let which = if strings.len() > 1 {
                        "the longest string"
                    } else {
                        "the only string"
                    };
                    problems.push(Problem::warn(
                        loc.clone(),
                        format!(
                            "no field named like text (fields: {}): reading `{k}`, \
                             {which} in this first record; choose it \
                             with `[input] text_field` in whyline.toml (`whyline ingest \
                             --text-column`)",
                            names.join(", ")
                        ),
                    ));
                }
                Some((*k).clone())
            })
            .unwrap_or_else(|| "text".to_string());
        let guessed = by_name.is_none().then(|| (text.clone(), names.clone()));
        let speaker = pick_field(&names, opts.speaker_field.as_deref(), SPEAKER_NAMES)
            .map(|i| names[i].clone())
            .filter(|s| *s != text);
        let doc = pick_field(&names, opts.doc_field.as_deref(), DOC_NAMES)
            .map(|i| names[i].clone())
            .filter(|d| *d != text);
        // a review's title or a ticket's subject first, as in CSV
        let title = by_name
            .and_then(|_| pick_field(&names, None, TITLE_NAMES))
            .map(|t| names[t].clone())
            .filter(|t| *t != text);
        let text: Vec<String> = title.into_iter().chain([text]).collect();
        let times = Plan::times(&names, &text);
        Plan {
            text,
            speaker,
            doc,
            times,
            messages: thread,
            slack: super::slack::is_message(obj),
            answers: false,
            named: false,
            typed: None,
            guessed,
        }
    }

    fn times(names: &[String], text: &[String]) -> [Option<(String, bool)>; 2] {
        let taken: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| text.contains(n))
            .map(|(i, _)| i)
            .collect();
        time_fields(names, &taken).map(|c| c.map(|(i, ms)| (names[i].clone(), ms)))
    }

    /// The row of one record whose source text `raw` starts at byte `off`,
    /// `None` when its text is blank (every text field an empty string or
    /// null), or why it has none.
    fn row(
        &self,
        obj: &Object,
        record: u64,
        line: u64,
        raw: &str,
        off: usize,
    ) -> Result<Option<Row>, String> {
        // a named field is found by its exact name, else its normalised one
        let field = |f: &str| {
            obj.get(f)
                .or_else(|| obj.iter().find(|(k, _)| norm(k) == norm(f)).map(|(_, v)| v))
        };
        // several fields named: a survey's answers, each to its question
        let several = self.named && self.text.len() > 1;
        let (mut texts, mut questions): (Vec<String>, Vec<Option<String>>) = self
            .text
            .iter()
            .filter_map(|f| match field(f) {
                Some(Value::String(s)) if !s.trim().is_empty() => {
                    Some((s.trim().to_string(), several.then(|| f.clone())))
                }
                _ => None,
            })
            .unzip();
        if let Some(asked) = self.typed {
            (texts, questions) = obj
                .iter()
                .filter_map(|(k, v)| {
                    let question = k.strip_suffix("_TEXT")?;
                    let t = v.as_str()?.trim();
                    (!t.is_empty()).then(|| (t.to_string(), asked.then(|| question.to_string())))
                })
                .unzip();
            if texts.is_empty() {
                return Ok(None);
            }
        }
        let mut answered = BTreeMap::new();
        if self.answers {
            let (said, values) = form_answers(obj).unwrap_or_default();
            (texts, questions) = said.into_iter().unzip();
            answered = values;
            if texts.is_empty() {
                return Ok(None);
            }
        }
        let mut speakers = Vec::new();
        let mut roles = Vec::new();
        if let Some(m) = &self.messages {
            // a ticket's own text is its requester's
            let requester = m.requester(obj);
            speakers = vec![requester.clone(); texts.len()];
            roles = vec![requester.as_ref().map(|_| Role::Customer); texts.len()];
            for (sp, role, text) in m.read(obj) {
                speakers.push(sp);
                roles.push(role);
                texts.push(text);
            }
        }
        if let (true, Some(m)) = (texts.is_empty(), &self.messages) {
            return Err(format!("no message with text in field `{}`", m.list));
        }
        let blank = |f: &String| matches!(field(f), Some(Value::String(_) | Value::Null));
        if texts.is_empty() && self.text.iter().all(blank) {
            return Ok(None);
        }
        if texts.is_empty() {
            let fields = super::table::named("field", self.text.iter().map(String::as_str));
            return Err(format!("no text in {fields}"));
        }
        let is_text = |k: &str| {
            (self.typed.is_some() && k.ends_with("_TEXT"))
                || self.text.iter().any(|f| f == k || norm(f) == norm(k))
                || self
                    .messages
                    .as_ref()
                    .is_some_and(|m| m.list == k || m.opening.as_deref() == Some(k))
        };
        let mut speaker = self
            .speaker
            .as_ref()
            .and_then(|f| obj.get(f))
            .and_then(scalar_string);
        if self.slack {
            speaker = speaker.or_else(|| super::slack::speaker(obj));
            for t in &mut texts {
                *t = super::slack::text(t);
            }
        }
        let group = self
            .doc
            .as_ref()
            .and_then(|f| obj.get(f))
            .and_then(scalar_string);
        // Slack's `blocks` hold the text again, as rich text
        // the form's layout, sent with each webhook response, is no answer
        let repeats = |k: &str| {
            (self.slack && k == "blocks")
                || (self.answers && ["answers", "definition", "pages"].contains(&k))
        };
        let meta = obj
            .iter()
            .filter(|(k, v)| {
                !is_text(k) && Some(*k) != self.speaker.as_ref() && !v.is_null() && !repeats(k)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(answered)
            .collect();
        // Locate the JSON-escaped text inside the record for the byte span
        // (of several texts, the record's, where each is found in turn).
        let escaped = serde_json::to_string(&texts[0]).unwrap_or_default();
        let inner = escaped
            .get(1..escaped.len().saturating_sub(1))
            .unwrap_or("");
        let range = match raw.find(inner) {
            Some(p) if !inner.is_empty() && self.text.len() == 1 && self.messages.is_none() => {
                [off + p, off + p + inner.len()]
            }
            _ => [off, off + raw.len()],
        };
        let times = self.times.clone().map(|c| {
            let (f, ms) = c?;
            match obj.get(&f)? {
                Value::Number(n) => number_ms(n.as_f64()?, ms),
                Value::String(s) => cell_ms(s, ms),
                _ => None,
            }
        });
        Ok(Some(Row {
            record,
            line,
            range,
            texts,
            speakers,
            roles,
            questions,
            times,
            speaker,
            group,
            meta,
        }))
    }
}

/// A JSON:API resource object (`{"type": "customerReviews", "id": ...,
/// "attributes": {"body": ..., "rating": 5}, "links": {...}}`, as App Store
/// Connect and many SaaS APIs return their records) read as its attributes,
/// beside its `type` and `id`; its `links` and `relationships` (the API's
/// navigation between records) are left out. Any other record is returned
/// as it is.
fn resource_fields(obj: Object) -> Object {
    let is_resource = obj.get("type").is_some_and(Value::is_string)
        && obj
            .get("id")
            .is_some_and(|v| v.is_string() || v.is_number())
        && obj.get("attributes").is_some_and(Value::is_object)
        && obj.keys().all(|k| {
            ["type", "id", "attributes", "relationships", "links", "meta"].contains(&k.as_str())
        });
    if !is_resource {
        return obj;
    }
    unwrap_envelope(obj, "attributes", &["links", "relationships"])
}

/// A record held in an envelope read as one: the fields of its object
/// `inner`, then the envelope's other fields but those `dropped` (which win
/// over an inner field of the same name).
fn unwrap_envelope(obj: Object, inner: &str, dropped: &[&str]) -> Object {
    let mut out = Object::new();
    for (k, v) in obj {
        match v {
            Value::Object(fields) if k == inner => {
                for (a, x) in fields {
                    out.entry(a).or_insert(x);
                }
            }
            _ if dropped.contains(&k.as_str()) => {}
            v => {
                out.insert(k, v);
            }
        }
    }
    out
}

/// A Qualtrics response as its response-export API and the JSON download
/// write it (`{"responseId": "R_1", "values": {"QID1": 9, "QID2_TEXT":
/// "...", ...}, "labels": {"QID1_NPS_GROUP": "Promoter", ...},
/// "displayedFields": [...], "displayedValues": {...}}`) read as one flat
/// record: its `responseId` and its `values`, each under its label where
/// the label is words (a choice's text, "Promoter"), not a number; the
/// other fields (the survey's layout) are left out. Returned with the
/// number of typed answers (`_TEXT`) the survey shows, from
/// `displayedFields` (else this response's own); `None` and the record as
/// it is for anything else.
fn qualtrics_fields(obj: Object) -> (Object, Option<usize>) {
    let is_response = obj.get("responseId").is_some_and(Value::is_string)
        && obj.get("values").is_some_and(Value::is_object)
        && obj.keys().all(|k| {
            [
                "responseId",
                "values",
                "labels",
                "displayedFields",
                "displayedValues",
            ]
            .contains(&k.as_str())
        });
    if !is_response {
        return (obj, None);
    }
    let mut obj = obj;
    let labels = match obj.remove("labels") {
        Some(Value::Object(l)) => l,
        _ => Object::new(),
    };
    let shown = match obj.get("displayedFields") {
        Some(Value::Array(f)) => f
            .iter()
            .filter(|f| f.as_str().is_some_and(|f| f.ends_with("_TEXT")))
            .count(),
        _ => 0,
    };
    let mut out = Object::new();
    if let Some(id) = obj.remove("responseId") {
        out.insert("responseId".into(), id);
    }
    if let Some(Value::Object(values)) = obj.remove("values") {
        for (k, v) in values {
            let worded = labels
                .get(&k)
                .and_then(Value::as_str)
                .filter(|l| l.trim().parse::<f64>().is_err());
            let v = match worded {
                Some(l) if !k.ends_with("_TEXT") => Value::String(l.to_string()),
                _ => v,
            };
            out.entry(k).or_insert(v);
        }
    }
    let typed = out.keys().filter(|k| k.ends_with("_TEXT")).count();
    (out, Some(shown.max(typed)))
}

/// A Typeform webhook delivery (`{"event_id": ..., "event_type":
/// "form_response", "form_response": {"token": ..., "definition": {...},
/// "answers": [...]}}`, as a collector stores one per line) read as its
/// response, beside its `event_id`; any other record as it is.
fn form_response(obj: Object) -> Object {
    let is_delivery = obj.get("event_type").and_then(Value::as_str) == Some("form_response")
        && obj.get("form_response").is_some_and(Value::is_object)
        && obj
            .keys()
            .all(|k| ["event_id", "event_type", "form_response"].contains(&k.as_str()));
    if !is_delivery {
        return obj;
    }
    unwrap_envelope(obj, "form_response", &["event_type"])
}

/// A response as SurveyMonkey's API returns it (`"pages": [{"questions":
/// [{"id": "q2", "heading": "Why?", "answers": [{"text": "..."}]}, {"id":
/// "q1", "answers": [{"choice_id": "c3", "simple_text": "3"}]}]}]`; the
/// `heading` and `simple_text` come with `?simple=true`): the typed answers
/// (`text`) in order, each naming its question by heading when the response
/// answers several, and every other answer's `simple_text` for `meta` under
/// its question's heading (else id). `None` when the record holds no pages
/// of questions.
fn page_answers(obj: &Object) -> Option<(Said, BTreeMap<String, Value>)> {
    let pages = obj.get("pages")?.as_array()?;
    let questions: Vec<&Object> = pages
        .iter()
        .filter_map(|p| p.get("questions")?.as_array())
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let is_question = |q: &&Object| {
        q.get("id").is_some_and(|i| i.is_string() || i.is_number())
            && q.get("answers").is_some_and(Value::is_array)
    };
    if questions.is_empty() || !questions.iter().all(is_question) {
        return None;
    }
    let answers = |q: &Object| -> Vec<Object> {
        q.get("answers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).cloned().collect())
            .unwrap_or_default()
    };
    let typed = |q: &Object| {
        answers(q)
            .iter()
            .any(|a| a.get("text").is_some_and(Value::is_string))
    };
    let several = questions.iter().filter(|q| typed(q)).count() > 1;
    let (mut said, mut values) = (Vec::new(), BTreeMap::new());
    for q in questions {
        let heading = q
            .get("heading")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        let name = heading
            .clone()
            .or_else(|| q.get("id").and_then(scalar_string));
        let mut chosen = Vec::new();
        for a in answers(q) {
            match a.get("text").and_then(Value::as_str).map(str::trim) {
                Some(t) if !t.is_empty() => {
                    said.push((t.to_string(), heading.clone().filter(|_| several)));
                }
                Some(_) => {}
                None => chosen.extend(a.get("simple_text").cloned()),
            }
        }
        if let (Some(n), false) = (name, chosen.is_empty()) {
            let v = if chosen.len() == 1 {
                chosen.remove(0)
            } else {
                Value::Array(chosen)
            };
            values.entry(n).or_insert(v);
        }
    }
    Some((said, values))
}

/// A form's typed answers, each with the question it answers where known.
type Said = Vec<(String, Option<String>)>;

/// A form response's answers, as Typeform's Responses API returns them
/// (`"answers": [{"field": {"ref": "why", "type": "long_text"}, "type":
/// "text", "text": "..."}, {"field": {"ref": "nps"}, "type": "number",
/// "number": 9}, ...]`): the typed answers in order, and every other answer
/// by its field's `ref` (else `id`) for `meta` (a number, a boolean, a
/// choice's label, the labels of several). `None` when the record holds no
/// such list.
fn form_answers(obj: &Object) -> Option<(Said, BTreeMap<String, Value>)> {
    if let Some(read) = page_answers(obj) {
        return Some(read);
    }
    let list = obj.get("answers")?.as_array()?;
    // a webhook's response carries the form's `definition`: each field's
    // title, the question a typed answer names when the form asks several
    let fields: Vec<&Object> = obj
        .get("definition")
        .and_then(|d| d.get("fields"))
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let typed = |f: &&&Object| {
        matches!(
            f.get("type").and_then(Value::as_str),
            Some("short_text" | "long_text")
        )
    };
    let several = fields.iter().filter(typed).count() > 1;
    let title = |id: Option<&Value>| -> Option<String> {
        let id = id?.as_str()?;
        let f = fields
            .iter()
            .find(|f| f.get("id").and_then(Value::as_str) == Some(id))?;
        Some(f.get("title")?.as_str()?.trim().to_string()).filter(|t| !t.is_empty())
    };
    let answers: Vec<&Object> = list.iter().filter_map(Value::as_object).collect();
    let is_answer = |a: &&Object| {
        a.get("field").is_some_and(Value::is_object) && a.get("type").is_some_and(Value::is_string)
    };
    if answers.is_empty() || answers.len() != list.len() || !answers.iter().all(is_answer) {
        return None;
    }
    let (mut said, mut values) = (Vec::new(), BTreeMap::new());
    for a in answers {
        let kind = a.get("type").and_then(Value::as_str).unwrap_or("");
        let field = a.get("field").and_then(Value::as_object);
        let name = field
            .and_then(|f| f.get("ref").or_else(|| f.get("id")))
            .and_then(scalar_string);
        let value = match kind {
            "text" => {
                if let Some(t) = a.get("text").and_then(Value::as_str).map(str::trim) {
                    if !t.is_empty() {
                        let asked = several
                            .then(|| title(field.and_then(|f| f.get("id"))))
                            .flatten();
                        said.push((t.to_string(), asked));
                    }
                }
                continue;
            }
            "choice" => a.get("choice").and_then(|c| c.get("label")).cloned(),
            "choices" => a.get("choices").and_then(|c| c.get("labels")).cloned(),
            other => a.get(other).cloned(),
        };
        if let (Some(n), Some(v)) = (name, value) {
            values.entry(n).or_insert(v);
        }
    }
    Some((said, values))
}

/// Records read so far, and the plan fixed by the first one.
struct Reader<'a> {
    out: Parsed,
    /// Where the first record with a blank text was.
    first_blank: Option<Location>,
    rows: Vec<Row>,
    plan: Option<Plan>,
    opts: &'a IngestOptions,
    taint: Taint<'a>,
}

impl<'a> Reader<'a> {
    fn new(opts: &'a IngestOptions, taint: Taint<'a>) -> Self {
        Reader {
            out: Parsed::default(),
            first_blank: None,
            rows: Vec::new(),
            plan: None,
            opts,
            taint,
        }
    }

    /// Read one record: `raw`, its JSON source starting at byte `off` of the
    /// file, found at `loc` (line and record set).
    fn record(&mut self, loc: Location, raw: &str, off: usize) {
        let (record, line) = (loc.record.unwrap_or(0), loc.line.unwrap_or(0));
        if self.taint.hits(off, off + raw.len()) {
            self.out
                .problems
                .push(Problem::skip(loc, "invalid bytes in record (--strict)"));
            return;
        }
        let obj = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                self.out
                    .problems
                    .push(Problem::skip(loc, "not a JSON object"));
                return;
            }
            Err(e) => {
                self.out.problems.push(Problem::skip(
                    loc,
                    format!("not JSON (column {}): {e}", e.column()),
                ));
                return;
            }
        };
        let (obj, typed) = qualtrics_fields(resource_fields(form_response(obj)));
        let (opts, problems) = (self.opts, &mut self.out.problems);
        let plan = self
            .plan
            .get_or_insert_with(|| Plan::of(&obj, opts, &loc, problems, typed));
        if plan.slack && super::slack::left_out(&obj) {
            return;
        }
        match plan.row(&obj, record, line, raw, off) {
            Ok(Some(row)) => self.rows.push(row),
            // a blank answer: nothing in it is wrong, and nothing to read
            Ok(None) => {
                self.out.blank += 1;
                self.first_blank.get_or_insert(loc);
            }
            Err(why) => self.out.problems.push(Problem::skip(loc, why)),
        }
    }

    fn finish(self, path: &str, text: &str) -> Parsed {
        let mut out = self.out;
        // no field named like text, and the one guessed holds codes (an id):
        // nothing to read, as an export without its text field would be
        let codes = self.plan.as_ref().and_then(|p| {
            let (field, names) = p.guessed.as_ref()?;
            let cells = self.rows.iter().take(200).flat_map(|r| &r.texts);
            let code = super::table::codes_only(cells.map(String::as_str))?;
            Some((field, names, code))
        });
        if let Some((field, names, code)) = codes {
            out.problems.push(Problem::skip(
                Location::file(path),
                format!(
                    "no field holds text (fields: {}): the longest string, `{field}`, holds \
                     codes and numbers (`{code}`), not words; name the text field with \
                     `[input] text_field` in whyline.toml (`whyline ingest --text-column`)",
                    names.join(", ")
                ),
            ));
            return out;
        }
        if let (Some(first), Some(plan)) = (self.first_blank, &self.plan) {
            let fields = super::table::named("field", plan.text.iter().map(String::as_str));
            out.problems.push(if self.rows.is_empty() {
                Problem::warn(
                    Location::file(path),
                    format!("no text in {fields} in any of its {} records", out.blank),
                )
            } else {
                Problem::warn(
                    first,
                    super::table::blank_left_out(&fields, out.blank, "record"),
                )
            });
        }
        if self.rows.is_empty() && out.problems.is_empty() {
            out.problems
                .push(Problem::warn(Location::file(path), "no text (empty file)"));
        }
        out.documents = rows_to_documents(path, text, self.rows);
        out
    }
}

/// Parse a JSON Lines file (or a JSON list of records given the extension:
/// one that starts with `[`).
pub fn parse(path: &str, text: &str, opts: &IngestOptions, taint: Taint<'_>) -> Parsed {
    if text.trim_start().starts_with('[') {
        return parse_list(path, text, None, opts, taint);
    }
    let mut reader = Reader::new(opts, taint);
    for (no, off, line) in super::decode::lines_with_offsets(text) {
        if line.trim().is_empty() {
            continue;
        }
        let loc = Location {
            path: path.to_string(),
            line: Some(no),
            record: Some(no),
        };
        reader.record(loc, line, off);
    }
    reader.finish(path, text)
}

/// A JSON file holding a list of records, as review and survey exports
/// write them: `[{...}, ...]`, or `{"reviews": [{...}, ...], ...}` with `list`
/// naming the field. Read like JSON Lines, one record per element: `record`
/// is its 1-based place in the list, `line` the line it starts on.
/// Whether `obj` holds one conversation: a list of messages with a text
/// field and a speaker field (`role`, `author`, `sender`, ...) that reads
/// as a conversation (see [`Messages`]), and no text field of its own
/// unless it is a ticket whose thread names its authors by id.
pub(super) fn is_conversation(obj: &Object) -> bool {
    let own_text = pick_field(&string_fields(obj), None, TEXT_NAMES).is_some();
    Messages::find(obj).is_some_and(|m| {
        // a ticket with its own text and its thread (Freshdesk's)
        m.conversation && m.speaker.is_some() && (!own_text || m.by_id)
    })
}

/// A JSON file holding one conversation: read as one record whose message
/// list makes the turns (see [`Messages`]).
pub(super) fn parse_conversation(
    path: &str,
    text: &str,
    opts: &IngestOptions,
    taint: Taint<'_>,
) -> Parsed {
    let mut reader = Reader::new(opts, taint);
    let start = text.len() - text.trim_start().len();
    let loc = Location {
        path: path.to_string(),
        line: Some(1 + text[..start].matches('\n').count() as u64),
        record: Some(1),
    };
    reader.record(loc, text.trim(), start);
    reader.finish(path, text)
}

pub fn parse_list(
    path: &str,
    text: &str,
    list: Option<&str>,
    opts: &IngestOptions,
    taint: Taint<'_>,
) -> Parsed {
    use serde_json::value::RawValue;
    let mut reader = Reader::new(opts, taint);
    let elements: serde_json::Result<Vec<&RawValue>> = match list {
        None => serde_json::from_str(text),
        Some(key) => serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(text)
            .and_then(|fields| match fields.get(key) {
                Some(v) => serde_json::from_str(v.get()),
                None => Ok(Vec::new()),
            }),
    };
    let elements = match elements {
        Ok(e) => e,
        Err(e) => {
            reader.out.problems.push(Problem::skip(
                Location::line(path, e.line() as u64),
                format!("not JSON: {e}"),
            ));
            return reader.out;
        }
    };
    for (i, raw) in elements.iter().enumerate() {
        let raw = raw.get();
        // a borrowed RawValue is a slice of `text`: its place is its offset
        let off = (raw.as_ptr() as usize)
            .saturating_sub(text.as_ptr() as usize)
            .min(text.len());
        let loc = Location {
            path: path.to_string(),
            line: Some(super::decode::line_of(text, off)),
            record: Some(i as u64 + 1),
        };
        reader.record(loc, raw, off);
    }
    reader.finish(path, text)
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
    fn a_json_list_saved_as_jsonl_is_read_as_a_list() {
        // was: one "not JSON" skip per line of the pretty-printed array
        let s = "[\n  {\"text\": \"Too slow.\"},\n  {\"text\": \"Fine.\"}\n]\n";
        let p = parse("r.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(p.documents.len(), 2);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents[1].turns[0].source.line, Some(3));
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
    fn turn_per_line_transcripts_keep_their_times() {
        let s = "{\"conversation_id\": \"c1\", \"speaker\": \"A\", \"start\": 0.5, \"end\": 2.25, \"text\": \"Hi.\"}\n\
                 {\"conversation_id\": \"c1\", \"speaker\": \"B\", \"start\": \"00:00:03\", \"text\": \"Charged twice.\"}\n\
                 {\"conversation_id\": \"c1\", \"speaker\": \"B\", \"start\": null, \"text\": \"Again.\"}\n";
        let p = parse("t.jsonl", s, &IngestOptions::default(), Taint::NONE);
        let times = super::super::table::tests::turn_times(&p);
        assert_eq!(
            times,
            [(Some(500), Some(2250)), (Some(3000), None), (None, None)]
        );
    }

    #[test]
    fn records_with_only_codes_are_skipped_not_read_as_text() {
        // was: an export without its text field read its ids as texts,
        // silently (the only string): a run ended with no themes and exit 0
        let s = "{\"id\": \"A01002\", \"label\": 1}\n{\"id\": \"A01003\", \"label\": 0}\n";
        let p = parse("l.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert!(p.documents.is_empty());
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(p.problems[0].skipped);
        let msg = &p.problems[0].msg;
        assert!(
            msg.starts_with("no field holds text (fields: id, label)"),
            "{msg}"
        );
        assert!(msg.contains("`id`") && msg.contains("`A01002`"), "{msg}");
        // words in the field guessed are read, with the guess said
        let s = "{\"id\": 1, \"note\": \"Too slow\"}\n{\"id\": 2, \"note\": \"Great\"}\n";
        let p = parse("n.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(p.documents.len(), 2);
        // a field named like text is never second-guessed
        let s = "{\"text\": \"A1\"}\n{\"text\": \"B2\"}\n";
        let p = parse("t.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(p.documents.len(), 2);
    }

    #[test]
    fn a_reviews_summary_is_read_before_its_text() {
        // Amazon's reviews: `summary` is the title, `reviewText` the text
        let s = "{\"overall\": 2, \"summary\": \"Broke in a week\", \"reviewText\": \"The hinge snapped.\"}\n";
        let p = parse("a.jsonl", s, &IngestOptions::default(), Taint::NONE);
        let t: Vec<&str> = p.documents[0]
            .turns
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(t, ["Broke in a week", "The hinge snapped."]);
        assert_eq!(p.documents[0].meta.keys().collect::<Vec<_>>(), ["overall"]);
    }

    #[test]
    fn a_chat_held_in_a_records_message_list_is_read_as_its_conversation() {
        // was: no text field by name, so the longest string (a date) was
        // read as the text and the conversation was left in meta
        let s = "{\"conversation_id\": \"c1\", \"created_at\": \"2026-11-02T10:00:00Z\", \"rating\": 2, \
                 \"messages\": [{\"role\": \"assistant\", \"content\": \"How can I help?\"}, \
                 {\"role\": \"user\", \"content\": \"I was charged twice.\"}, {\"role\": \"user\", \"content\": \"\"}]}\n\
                 {\"conversation_id\": \"c2\", \"messages\": [{\"author\": {\"type\": \"admin\", \"name\": \"Sam\"}, \"body\": \"Hi\"}]}\n\
                 {\"conversation_id\": \"c3\", \"messages\": []}\n";
        let p = parse("chats.jsonl", s, &IngestOptions::default(), Taint::NONE);
        let d = &p.documents[0];
        let t: Vec<(Option<&str>, &str)> = d
            .turns
            .iter()
            .map(|t| (t.speaker.as_deref(), t.text.as_str()))
            .collect();
        assert_eq!(
            t,
            [
                (Some("assistant"), "How can I help?"),
                (Some("user"), "I was charged twice.")
            ]
        );
        assert_eq!(
            &s[d.turns[1].source.span[0]..d.turns[1].source.span[1]],
            "I was charged twice."
        );
        assert_eq!(d.meta["rating"], serde_json::json!(2));
        assert!(!d.meta.contains_key("messages"));
        // the plan is the first record's: later records' lists are read alike
        assert_eq!(p.documents.len(), 1, "{:?}", p.problems);
        let skipped: Vec<_> = p
            .problems
            .iter()
            .map(|q| (q.loc.line, q.msg.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (Some(2), "no message with text in field `messages`"),
                (Some(3), "no message with text in field `messages`")
            ]
        );
    }

    /// (speaker, role, text) of each turn of the first document.
    fn first_turns(p: &Parsed) -> Vec<(Option<&str>, Option<Role>, &str)> {
        super::super::turn_roles(&p.documents[0])
    }

    #[test]
    fn intercom_records_are_conversations_and_review_lists_are_not() {
        // was: the record's `type` ("conversation") read as its only text
        let s = "{\"type\": \"conversation\", \"id\": \"9\", \
                 \"source\": {\"body\": \"<p>Card declined.</p>\", \"author\": {\"type\": \"lead\", \"name\": \"Jo\"}}, \
                 \"conversation_parts\": {\"conversation_parts\": [{\"part_type\": \"comment\", \"body\": \"Sorry!\", \
                 \"author\": {\"type\": \"admin\", \"name\": \"Sam\"}}]}}\n";
        let p = parse("ic.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(
            first_turns(&p),
            [
                (Some("Jo"), Some(Role::Customer), "Card declined."),
                (Some("Sam"), Some(Role::Agent), "Sorry!")
            ]
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        // a Zendesk ticket record: its subject and description (the
        // requester's), then its public comments; was: `comments` (a list)
        // taken for the text field, the description never read
        let s = "{\"subject\": \"Declined\", \"description\": \"Card declined.\", \"requester_id\": 7, \
                 \"comments\": [{\"author_id\": 7, \"body\": \"Card declined.\", \"public\": true}, \
                 {\"author_id\": 9, \"body\": \"Try again?\", \"public\": true}, \
                 {\"author_id\": 9, \"body\": \"refund\", \"public\": false}]}\n";
        let p = parse("zd.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(
            first_turns(&p),
            [
                (Some("7"), Some(Role::Customer), "Declined"),
                (Some("7"), Some(Role::Customer), "Card declined."),
                (Some("7"), Some(Role::Customer), "Card declined."),
                (Some("9"), Some(Role::Agent), "Try again?"),
            ]
        );
        // a record's reviews, each by its author, are no speakers' turns
        // (was: the first reviewer read as the host, an agent)
        let s = "{\"product\": \"Blender\", \"reviews\": [{\"author\": \"Ann\", \"text\": \"Cracked.\"}, \
                 {\"author\": \"Bob\", \"text\": \"Too loud.\"}]}\n";
        let p = parse("r.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(
            first_turns(&p),
            [(None, None, "Cracked."), (None, None, "Too loud.")]
        );
    }

    #[test]
    fn typeform_responses_are_read_from_their_answers() {
        // was: each response read as its longest string, a token
        // (too_short), the answers unread in meta
        let s = r#"{"total_items":2,"items":[
 {"response_id":"a1","token":"21085286190ffad1248d17c4135ee56f","submitted_at":"2026-11-30T10:03:00Z","answers":[
   {"field":{"id":"f1","type":"opinion_scale","ref":"nps"},"type":"number","number":3},
   {"field":{"id":"f2","type":"long_text","ref":"why"},"type":"text","text":"The fee shows up at checkout."},
   {"field":{"id":"f3","type":"multiple_choice","ref":"plan"},"type":"choice","choice":{"label":"Basic"}},
   {"field":{"id":"f4","type":"short_text"},"type":"text","text":"Show it earlier."}]},
 {"response_id":"a2","token":"610fc266478b41e4927945e20fe54ad2","answers":[
   {"field":{"id":"f1","type":"opinion_scale","ref":"nps"},"type":"number","number":10}]}]}"#;
        let p = super::super::whisper::parse(
            "responses.json",
            s,
            &IngestOptions::default(),
            Taint::NONE,
        );
        let turns = super::super::table::tests::turn_texts(&p);
        assert_eq!(
            turns,
            [vec!["The fee shows up at checkout.", "Show it earlier."]]
        );
        let meta = &p.documents[0].meta;
        assert_eq!(meta["nps"], Value::from(3));
        assert_eq!(meta["plan"], Value::from("Basic"));
        assert!(!meta.contains_key("answers"));
        let t = &p.documents[0].turns[1];
        assert_eq!(&s[t.source.span[0]..t.source.span[1]], "Show it earlier.");
        // a respondent who typed nothing is a blank record, not a skipped one
        assert_eq!(p.blank, 1);
        assert!(p.problems.iter().all(|q| !q.skipped), "{:?}", p.problems);
    }

    #[test]
    fn json_api_records_are_read_from_their_attributes() {
        // was: App Store Connect's reviews read as their `type`
        // ("customerReviews", too short), the review and rating unread
        let s = r#"{"data":[
 {"type":"customerReviews","id":"r1","attributes":{"rating":1,"title":"Crashes","body":"It crashes at checkout.","territory":"USA"},
  "relationships":{"response":{"links":{"related":"https://x/r1/response"}}},"links":{"self":"https://x/r1"}},
 {"type":"customerReviews","id":"r2","attributes":{"rating":5,"title":"Love it","body":"Fast and fair."},"links":{"self":"https://x/r2"}}],
 "links":{"self":"https://x"},"meta":{"paging":{"total":2}}}"#;
        let p =
            super::super::whisper::parse("reviews.json", s, &IngestOptions::default(), Taint::NONE);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let turns = super::super::table::tests::turn_texts(&p);
        assert_eq!(
            turns,
            [
                vec!["Crashes", "It crashes at checkout."],
                vec!["Love it", "Fast and fair."]
            ]
        );
        let meta = &p.documents[0].meta;
        assert_eq!(meta["rating"], Value::from(1));
        assert_eq!(meta["id"], Value::from("r1"));
        assert!(!meta.contains_key("links") && !meta.contains_key("relationships"));
        let t = &p.documents[0].turns[1];
        assert_eq!(
            &s[t.source.span[0]..t.source.span[1]],
            "It crashes at checkout."
        );
        // a record with other fields beside its attributes is read as it is
        let s = "{\"type\":\"review\",\"id\":1,\"text\":\"Slow.\",\"attributes\":{\"a\":1}}\n";
        let p = parse("r.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert_eq!(p.documents[0].turns[0].text, "Slow.");
        assert_eq!(p.documents[0].meta["attributes"]["a"], Value::from(1));
    }

    #[test]
    fn surveymonkey_api_responses_are_read_from_their_pages() {
        // was: each response's text was its `href` (an API URL, set apart as
        // `details`), a response without one skipped, the answers unread
        let s = r#"{"per_page": 50, "data": [
{"id": "114", "survey_id": "405", "href": "https://api.surveymonkey.com/v3/surveys/405/responses/114", "pages": [{"id": "p1", "questions": [
  {"id": "q1", "heading": "How likely is it that you would recommend us?", "answers": [{"choice_id": "c3", "simple_text": "3"}]},
  {"id": "q2", "heading": "What is the main reason for your score?", "answers": [{"text": "The fee only shows up at checkout."}]},
  {"id": "q3", "heading": "What should we improve first?", "answers": [{"text": "Show fees earlier."}]}]}]},
{"id": "115", "survey_id": "405", "pages": [{"id": "p1", "questions": [
  {"id": "q1", "answers": [{"choice_id": "c9"}]},
  {"id": "q2", "answers": [{"text": "Support fixed my refund."}]}]}]}
]}"#;
        let p =
            super::super::whisper::parse("bulk.json", s, &IngestOptions::default(), Taint::NONE);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let turns = super::super::table::tests::turn_questions(&p);
        assert_eq!(
            turns,
            [
                vec![
                    (
                        "The fee only shows up at checkout.",
                        Some("What is the main reason for your score?")
                    ),
                    ("Show fees earlier.", Some("What should we improve first?"))
                ],
                // one typed answer, and no headings without `?simple=true`
                vec![("Support fixed my refund.", None)],
            ]
        );
        let meta = &p.documents[0].meta;
        assert_eq!(
            meta["How likely is it that you would recommend us?"],
            Value::from("3")
        );
        assert!(!meta.contains_key("pages"));
        assert!(!p.documents[1].meta.contains_key("q1"));
    }

    #[test]
    fn typeform_webhook_deliveries_are_read_as_their_response() {
        // was: the delivery's `event_type`, "form_response", analysed as the
        // respondent's words, and the answers left in meta
        let s = r#"{"event_id": "01H0", "event_type": "form_response", "form_response": {"form_id": "lT4Z3j", "token": "tok0", "submitted_at": "2026-11-30T10:03:00Z", "definition": {"id": "lT4Z3j", "title": "Feedback", "fields": [{"id": "f1", "ref": "nps", "type": "opinion_scale", "title": "How likely are you to recommend us?"}, {"id": "f2", "ref": "why", "type": "long_text", "title": "What is the main reason for your score?"}, {"id": "f4", "ref": "improve", "type": "short_text", "title": "What should we improve first?"}]}, "answers": [{"type": "number", "number": 3, "field": {"id": "f1", "type": "opinion_scale", "ref": "nps"}}, {"type": "text", "text": "The fee only shows up at checkout.", "field": {"id": "f2", "type": "long_text", "ref": "why"}}, {"type": "text", "text": "Show fees earlier.", "field": {"id": "f4", "type": "short_text", "ref": "improve"}}]}}
"#;
        let p = parse("hooks.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let turns = &super::super::table::tests::turn_questions(&p)[0];
        assert_eq!(
            *turns,
            [
                (
                    "The fee only shows up at checkout.",
                    Some("What is the main reason for your score?")
                ),
                ("Show fees earlier.", Some("What should we improve first?")),
            ]
        );
        for t in &p.documents[0].turns {
            assert_eq!(&s[t.source.span[0]..t.source.span[1]], t.text);
        }
        let meta = &p.documents[0].meta;
        assert_eq!(meta["nps"], Value::from(3));
        assert_eq!(meta["event_id"], Value::from("01H0"));
        for gone in ["event_type", "form_response", "definition", "answers"] {
            assert!(!meta.contains_key(gone), "{gone}");
        }
    }

    #[test]
    fn qualtrics_json_responses_are_read_from_their_typed_answers() {
        // was: each response's text was its `responseId` ("R_1", too short),
        // and the answers sat unread in meta under `values`
        let s = r#"{"responses": [
{"responseId": "R_1", "values": {"startDate": "2026-11-01T10:00:00Z", "status": 0, "finished": 1, "QID1": 2, "QID1_NPS_GROUP": 1, "QID2_TEXT": "The delivery fee doubled and nobody told me why.", "QID3": 4, "QID4_TEXT": "Show the fee on the product page."}, "labels": {"status": "IP Address", "finished": "True", "QID1": "2", "QID1_NPS_GROUP": "Detractor", "QID3": "Other"}, "displayedFields": ["QID1", "QID2_TEXT", "QID3", "QID4_TEXT"], "displayedValues": {"QID1": [0, 1, 2]}},
{"responseId": "R_2", "values": {"QID1": 9, "QID1_NPS_GROUP": 3, "QID2_TEXT": "Fast and friendly support team."}, "labels": {"QID1_NPS_GROUP": "Promoter"}, "displayedFields": ["QID1", "QID2_TEXT", "QID3", "QID4_TEXT"]},
{"responseId": "R_3", "values": {"QID1": 7, "QID2_TEXT": ""}, "labels": {}, "displayedFields": ["QID1", "QID2_TEXT"]}
]}"#;
        let p = super::super::whisper::parse("r.json", s, &IngestOptions::default(), Taint::NONE);
        assert!(p.problems.iter().all(|x| !x.skipped), "{:?}", p.problems);
        let turns = super::super::table::tests::turn_questions(&p);
        assert_eq!(
            turns,
            [
                vec![
                    (
                        "The delivery fee doubled and nobody told me why.",
                        Some("QID2")
                    ),
                    ("Show the fee on the product page.", Some("QID4"))
                ],
                vec![("Fast and friendly support team.", Some("QID2"))],
            ]
        );
        assert_eq!(p.blank, 1);
        let meta = &p.documents[0].meta;
        assert_eq!(meta["responseId"], Value::from("R_1"));
        // a score stays a number, a choice reads as its label
        assert_eq!(meta["QID1"], Value::from(2));
        assert_eq!(meta["QID1_NPS_GROUP"], Value::from("Detractor"));
        assert_eq!(meta["QID3"], Value::from("Other"));
        assert_eq!(meta["finished"], Value::from("True"));
        for gone in [
            "values",
            "labels",
            "displayedFields",
            "displayedValues",
            "QID2_TEXT",
        ] {
            assert!(!meta.contains_key(gone), "{gone}");
        }
    }

    #[test]
    fn several_text_fields_named_each_name_their_question() {
        // was: the answers of several named fields were turns alike
        let s =
            "{\"id\": 1, \"liked\": \"Fast delivery.\", \"improve\": \"The app logs me out.\"}\n\
                 {\"id\": 2, \"improve\": \"Nothing.\"}\n";
        let opts = IngestOptions {
            text_fields: vec!["liked".into(), "improve".into()],
            ..Default::default()
        };
        let p = parse("s.jsonl", s, &opts, Taint::NONE);
        let questions: Vec<Vec<Option<&str>>> = p
            .documents
            .iter()
            .map(|d| d.turns.iter().map(|t| t.question.as_deref()).collect())
            .collect();
        assert_eq!(
            questions,
            [vec![Some("liked"), Some("improve")], vec![Some("improve")]]
        );
        // one field: no question named
        let p = parse(
            "s.jsonl",
            "{\"text\": \"The app logs me out.\"}\n",
            &IngestOptions::default(),
            Taint::NONE,
        );
        assert_eq!(p.documents[0].turns[0].question, None);
        // a ticket's subject before its description: no question either
        let p = parse(
            "t.jsonl",
            "{\"subject\": \"Refund\", \"description\": \"I was charged twice.\"}\n",
            &IngestOptions::default(),
            Taint::NONE,
        );
        assert_eq!(p.documents[0].turns.len(), 2);
        assert!(p.documents[0].turns.iter().all(|t| t.question.is_none()));
    }

    #[test]
    fn several_text_fields_named_are_each_a_turn() {
        let s =
            "{\"id\": 1, \"liked\": \"Fast delivery.\", \"improve\": \"The app logs me out.\"}\n\
                 {\"id\": 2, \"improve\": \"Nothing.\"}\n{\"id\": 3}\n\
                 {\"id\": 4, \"liked\": \"\", \"improve\": null}\n";
        let opts = IngestOptions {
            text_fields: vec!["liked".into(), "improve".into()],
            ..Default::default()
        };
        let p = parse("s.jsonl", s, &opts, Taint::NONE);
        let turns = super::super::table::tests::turn_texts(&p);
        assert_eq!(
            turns,
            [
                vec!["Fast delivery.", "The app logs me out."],
                vec!["Nothing."]
            ]
        );
        for t in &p.documents[0].turns {
            assert_eq!(&s[t.source.span[0]..t.source.span[1]], t.text);
        }
        assert_eq!(p.documents[0].meta.keys().collect::<Vec<_>>(), ["id"]);
        // a record without the fields is skipped; one whose fields are
        // blank is left out and counted, with a warning
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        assert_eq!(p.problems[0].msg, "no text in fields `liked`, `improve`");
        assert!(p.problems[0].skipped);
        assert_eq!(
            p.problems[1].msg,
            "no text in fields `liked`, `improve`: left out"
        );
        assert_eq!(p.problems[1].loc.record, Some(4));
        assert_eq!(p.blank, 1);
        assert_eq!(p.problems[0].loc.line, Some(3));
    }

    #[test]
    fn a_records_only_string_taken_for_its_text_is_named_in_a_warning() {
        // was: read in silence, though the only string was an id and the
        // words sat in a list (a call transcript: the id became the text)
        let s = "{\"callId\": \"7782342274025937895\", \"turns\": [[\"a\", 1]], \"n\": 2}\n";
        let p = parse("calls.jsonl", s, &IngestOptions::default(), Taint::NONE);
        assert!(
            p.problems
                .iter()
                .any(|q| q.msg.contains("reading `callId`, the only string")),
            "{:?}",
            p.problems
        );
        // and, since that string is a code, nothing is read
        assert!(p.documents.is_empty());
        // beside numbers alone, the only string is read in silence
        let p = parse(
            "t.jsonl",
            "{\"verbatim_v2\": \"Too slow.\", \"stars\": 2}\n",
            &IngestOptions::default(),
            Taint::NONE,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents[0].turns[0].text, "Too slow.");
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
