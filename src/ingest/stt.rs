//! JSON written by speech-to-text services, as a call centre gets its
//! recorded calls back: AWS Transcribe (and its Call Analytics, and Amazon
//! Connect Contact Lens), AssemblyAI, Deepgram, Rev.ai, Google Cloud
//! Speech-to-Text, Speechmatics, ElevenLabs Scribe and Twilio Conversation
//! Intelligence, the call recorders' transcripts (Gong) and the meeting
//! bots' (Fireflies, Recall.ai). Each names its turns,
//! speakers and times its own way; all become timed, labelled turns.
//!
//! A service that gives whole utterances (AWS `audio_segments`, Call
//! Analytics `Transcript`, AssemblyAI and Deepgram `utterances`, Deepgram
//! paragraphs, Rev.ai monologues, the sentences of AssemblyAI, Fireflies and
//! Twilio) has one turn per utterance, with `record`
//! its 1-based place in that list. A service that gives only words (AWS
//! `items`, Google's diarised words, Speechmatics, Scribe) has its words
//! joined into turns: a new turn when the speaker changes, or, when no word
//! names a speaker, after each sentence; `record` is then the turn's number.
//! Whisper JSON (`segments`) is read by [`super::whisper`], which calls
//! [`read`] first.

use super::table::number_ms;
use super::{Role, Turn};
use serde_json::{Map, Value};

/// A turn as a service gives it, before it is placed in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Utterance {
    pub speaker: Option<String>,
    pub role: Option<Role>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub text: String,
    /// The sentences `text` was joined from, as the file writes them (Gong):
    /// the span runs from the first to the last.
    pub pieces: Vec<String>,
    /// The call it belongs to, where a file holds several (Gong).
    pub call: Option<String>,
}

/// What a service's JSON holds: its name (for messages), the turns, and the
/// key of the list they came from, where the text is searched for spans.
pub(super) struct Read {
    pub service: &'static str,
    pub turns: Vec<Utterance>,
    pub list_key: Option<&'static str>,
    /// The `meta` key that names each turn's `call`, where a file holds
    /// several (Gong's `callId`).
    pub call_key: Option<&'static str>,
}

/// Seconds as a number, a numeric string (`"1.25"`, AWS) or a duration
/// string (`"1.250s"`, Google) to milliseconds.
pub(super) fn secs(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => number_ms(n.as_f64()?, false),
        Value::String(s) => number_ms(s.trim().trim_end_matches('s').parse().ok()?, false),
        _ => None,
    }
}

/// Milliseconds as a number.
fn millis(v: Option<&Value>) -> Option<u64> {
    number_ms(v?.as_f64()?, true)
}

/// A speaker label: strings as written, numbers as `Speaker N`.
fn speaker(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(format!("Speaker {n}")),
        _ => None,
    }
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn objects(v: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn first_alternative(o: &Map<String, Value>) -> Option<&Map<String, Value>> {
    o.get("alternatives")?.as_array()?.first()?.as_object()
}

/// One word or mark of a word-level transcript.
#[derive(Debug, Clone, Default)]
struct Word {
    text: String,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    speaker: Option<String>,
    /// Punctuation written straight after the word before it.
    attaches: bool,
    /// Text that carries its own spacing (Rev.ai, Scribe).
    verbatim: bool,
}

/// Join words into turns: a new turn when the speaker changes, or (when no
/// word names a speaker) after each sentence.
fn join_words(words: Vec<Word>) -> Vec<Utterance> {
    let labelled = words.iter().any(|w| w.speaker.is_some());
    let mut out: Vec<Utterance> = Vec::new();
    let mut open = false;
    for w in words {
        let text = if w.verbatim {
            w.text.clone()
        } else {
            w.text.trim().to_string()
        };
        if text.trim().is_empty() && !w.verbatim {
            continue;
        }
        let new_turn = !open
            || (labelled
                && w.speaker.is_some()
                && out.last().and_then(|u| u.speaker.as_ref()) != w.speaker.as_ref()
                && !w.attaches);
        if new_turn {
            if text.trim().is_empty() {
                continue;
            }
            out.push(Utterance {
                speaker: w.speaker.clone(),
                role: None,
                start_ms: w.start_ms,
                end_ms: w.end_ms,
                text: String::new(),
                ..Default::default()
            });
            open = true;
        }
        let Some(u) = out.last_mut() else { continue };
        if w.verbatim || w.attaches || u.text.is_empty() {
            u.text.push_str(&text);
        } else {
            u.text.push(' ');
            u.text.push_str(&text);
        }
        if u.start_ms.is_none() {
            u.start_ms = w.start_ms;
        }
        if w.end_ms.is_some() {
            u.end_ms = w.end_ms;
        }
        if !labelled && ends_sentence(&text) {
            open = false;
        }
    }
    for u in &mut out {
        u.text = u.text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    out.retain(|u| !u.text.is_empty());
    out
}

fn ends_sentence(t: &str) -> bool {
    matches!(t.trim_end().chars().last(), Some('.' | '?' | '!'))
}

/// Read a service's JSON, or `None` when `v` is none of theirs.
pub(super) fn read(v: &Value) -> Option<Read> {
    if let Value::Array(a) = v {
        return recall(a);
    }
    let o = v.as_object()?;
    aws_call_analytics(o)
        .or_else(|| aws_transcribe(o))
        .or_else(|| assemblyai(o))
        .or_else(|| deepgram(o))
        .or_else(|| rev_ai(o))
        .or_else(|| speechmatics(o))
        .or_else(|| google(o))
        .or_else(|| scribe(o))
        .or_else(|| gong(o))
        .or_else(|| fireflies(o))
        .or_else(|| twilio(o))
}

/// An id as a string (`"7782"` or `7782`).
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Call Analytics and Contact Lens: `Transcript[]` of `Content`, with the
/// participant's role and offsets in milliseconds.
fn aws_call_analytics(o: &Map<String, Value>) -> Option<Read> {
    let list = o.get("Transcript")?.as_array()?;
    let first = list.iter().find_map(Value::as_object)?;
    if !first.contains_key("Content") {
        return None;
    }
    let turns = objects(o.get("Transcript"))
        .map(|t| {
            let who = str_of(t, "ParticipantRole").or_else(|| str_of(t, "ParticipantId"));
            let role = who.map(|w| match w.to_ascii_uppercase().as_str() {
                "AGENT" | "SUPERVISOR" => Role::Agent,
                "CUSTOMER" => Role::Customer,
                _ => Role::Other,
            });
            Utterance {
                speaker: who.map(title_case),
                role,
                start_ms: millis(t.get("BeginOffsetMillis")),
                end_ms: millis(t.get("EndOffsetMillis")),
                text: str_of(t, "Content").unwrap_or("").trim().to_string(),
                ..Default::default()
            }
        })
        .collect();
    Some(Read {
        service: "AWS Transcribe Call Analytics",
        turns,
        list_key: Some("Transcript"),
        call_key: None,
    })
}

/// `CUSTOM_BOT` as `Custom bot`.
fn title_case(s: &str) -> String {
    let lower = s.trim().replace('_', " ").to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// AWS Transcribe: `results.audio_segments` when present, else the words
/// of `results.items` with their speaker or channel, else the one
/// `results.transcripts[0].transcript`.
fn aws_transcribe(o: &Map<String, Value>) -> Option<Read> {
    let r = o.get("results")?.as_object()?;
    if !r.contains_key("transcripts") && !r.contains_key("items") {
        return None;
    }
    let segs: Vec<_> = objects(r.get("audio_segments")).collect();
    if !segs.is_empty() {
        let turns = segs
            .iter()
            .map(|s| Utterance {
                speaker: speaker(s.get("speaker_label"))
                    .or_else(|| speaker(s.get("channel_label"))),
                role: None,
                start_ms: secs(s.get("start_time")),
                end_ms: secs(s.get("end_time")),
                text: str_of(s, "transcript").unwrap_or("").trim().to_string(),
                ..Default::default()
            })
            .collect();
        return Some(Read {
            service: "AWS Transcribe",
            turns,
            list_key: Some("audio_segments"),
            call_key: None,
        });
    }
    // older outputs name the speaker of each word only under
    // `speaker_labels.segments[].items[]`, keyed by start time; channel
    // identification lists each channel's words apart
    let mut by_start: std::collections::HashMap<u64, String> = Default::default();
    if let Some(sl) = r.get("speaker_labels").and_then(Value::as_object) {
        for seg in objects(sl.get("segments")) {
            for it in objects(seg.get("items")) {
                if let (Some(t), Some(s)) =
                    (secs(it.get("start_time")), speaker(it.get("speaker_label")))
                {
                    by_start.insert(t, s);
                }
            }
        }
    }
    let item_word = |it: &Map<String, Value>, channel: Option<&String>| {
        let alt = first_alternative(it);
        Word {
            text: alt
                .and_then(|a| str_of(a, "content"))
                .unwrap_or("")
                .to_string(),
            start_ms: secs(it.get("start_time")),
            end_ms: secs(it.get("end_time")),
            speaker: speaker(it.get("speaker_label"))
                .or_else(|| secs(it.get("start_time")).and_then(|t| by_start.get(&t).cloned()))
                .or_else(|| channel.cloned()),
            attaches: str_of(it, "type") == Some("punctuation"),
            verbatim: false,
        }
    };
    let mut words: Vec<Word> = objects(r.get("items"))
        .map(|it| item_word(it, None))
        .collect();
    if words.is_empty() {
        if let Some(ch) = r.get("channel_labels").and_then(Value::as_object) {
            // each channel's words in time order, then all channels merged
            // by time (punctuation keeps its place after its word)
            let mut timed: Vec<(u64, usize, Word)> = Vec::new();
            for c in objects(ch.get("channels")) {
                let label = speaker(c.get("channel_label"));
                let mut last = 0;
                for it in objects(c.get("items")) {
                    let w = item_word(it, label.as_ref());
                    last = w.start_ms.unwrap_or(last);
                    let n = timed.len();
                    timed.push((last, n, w));
                }
            }
            timed.sort_by_key(|(t, n, _)| (*t, *n));
            words = timed.into_iter().map(|(_, _, w)| w).collect();
        }
    }
    let mut turns = join_words(words);
    if turns.is_empty() {
        if let Some(t) = objects(r.get("transcripts")).find_map(|t| str_of(t, "transcript")) {
            turns.push(Utterance {
                text: t.trim().to_string(),
                ..Default::default()
            });
        }
    }
    Some(Read {
        service: "AWS Transcribe",
        turns,
        list_key: None,
        call_key: None,
    })
}

/// AssemblyAI: `utterances` (times in milliseconds, speakers `A`, `B`),
/// else its `words` with the transcript's `text` beside them.
fn assemblyai(o: &Map<String, Value>) -> Option<Read> {
    let utt: Vec<_> = objects(o.get("utterances")).collect();
    let is_utterance = |u: &Map<String, Value>| u.contains_key("text") && u.contains_key("start");
    // `A` as `Speaker A`, a name as written
    let named = |v: Option<&Value>| {
        speaker(v).map(|s| {
            if s.chars().count() == 1 {
                format!("Speaker {s}")
            } else {
                s
            }
        })
    };
    if !utt.is_empty() && utt.iter().all(|u| is_utterance(u)) {
        let turns = utt
            .iter()
            .map(|u| Utterance {
                speaker: named(u.get("speaker")),
                role: None,
                start_ms: millis(u.get("start")),
                end_ms: millis(u.get("end")),
                text: str_of(u, "text").unwrap_or("").trim().to_string(),
                ..Default::default()
            })
            .collect();
        return Some(Read {
            service: "AssemblyAI",
            turns,
            list_key: Some("utterances"),
            call_key: None,
        });
    }
    // its `/sentences` and `/paragraphs` endpoints: one turn each, as the
    // service placed and timed it; a paragraph whose words name several
    // speakers is split at each change
    if o.contains_key("audio_duration") && !o.contains_key("text") {
        for key in ["sentences", "paragraphs"] {
            let list: Vec<_> = objects(o.get(key)).collect();
            if list.is_empty() || !list.iter().all(|u| is_utterance(u)) {
                continue;
            }
            let mut units = Vec::new();
            for u in list {
                let words: Vec<_> = objects(u.get("words")).collect();
                let mut voices: Vec<String> = words
                    .iter()
                    .filter_map(|w| named(w.get("speaker")))
                    .collect();
                voices.sort();
                voices.dedup();
                if voices.len() > 1 {
                    units.extend(join_words(
                        words
                            .iter()
                            .map(|w| Word {
                                text: str_of(w, "text").unwrap_or("").to_string(),
                                start_ms: millis(w.get("start")),
                                end_ms: millis(w.get("end")),
                                speaker: named(w.get("speaker")),
                                ..Default::default()
                            })
                            .collect(),
                    ));
                    continue;
                }
                let text = str_of(u, "text").unwrap_or("").trim().to_string();
                units.push(Utterance {
                    speaker: named(u.get("speaker")).or(voices.pop()),
                    role: None,
                    start_ms: millis(u.get("start")),
                    end_ms: millis(u.get("end")),
                    text,
                    ..Default::default()
                });
            }
            return Some(Read {
                service: "AssemblyAI",
                turns: units,
                list_key: Some(key),
                call_key: None,
            });
        }
    }
    // without diarisation: `utterances` is null, `words` hold the times
    if !(o.contains_key("audio_duration") || o.contains_key("acoustic_model"))
        || !o.get("text").is_some_and(Value::is_string)
    {
        return None;
    }
    let words = objects(o.get("words"))
        .map(|w| Word {
            text: str_of(w, "text").unwrap_or("").to_string(),
            start_ms: millis(w.get("start")),
            end_ms: millis(w.get("end")),
            speaker: speaker(w.get("speaker")).map(|s| format!("Speaker {s}")),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    let mut turns = join_words(words);
    if turns.is_empty() {
        turns.push(Utterance {
            text: str_of(o, "text").unwrap_or("").trim().to_string(),
            ..Default::default()
        });
    }
    Some(Read {
        service: "AssemblyAI",
        turns,
        list_key: None,
        call_key: None,
    })
}

/// Deepgram: `results.utterances`, else each channel's paragraphs, else its
/// words, else its transcript. With several channels and no speakers, the
/// channel is the speaker.
fn deepgram(o: &Map<String, Value>) -> Option<Read> {
    let r = o.get("results")?.as_object()?;
    let channels: Vec<_> = objects(r.get("channels")).collect();
    if channels.is_empty() && !r.contains_key("utterances") {
        return None;
    }
    let multi = channels.len() > 1;
    let channel_name = |c: Option<&Value>| {
        multi
            .then(|| c.and_then(Value::as_u64).map(|n| format!("Channel {n}")))
            .flatten()
    };
    let utt: Vec<_> = objects(r.get("utterances")).collect();
    if !utt.is_empty() {
        let turns = utt
            .iter()
            .map(|u| Utterance {
                speaker: speaker(u.get("speaker")).or_else(|| channel_name(u.get("channel"))),
                role: None,
                start_ms: secs(u.get("start")),
                end_ms: secs(u.get("end")),
                text: str_of(u, "transcript").unwrap_or("").trim().to_string(),
                ..Default::default()
            })
            .collect();
        return Some(Read {
            service: "Deepgram",
            turns,
            list_key: Some("utterances"),
            call_key: None,
        });
    }
    let mut turns: Vec<(u64, usize, Utterance)> = Vec::new();
    for (ci, c) in channels.iter().enumerate() {
        let Some(alt) = first_alternative(c) else {
            continue;
        };
        let ch = multi.then(|| format!("Channel {ci}"));
        let paras: Vec<_> = alt
            .get("paragraphs")
            .and_then(Value::as_object)
            .map(|p| objects(p.get("paragraphs")).collect())
            .unwrap_or_default();
        let mut here: Vec<Utterance> = if !paras.is_empty() {
            paras
                .iter()
                .map(|p| Utterance {
                    speaker: speaker(p.get("speaker")).or_else(|| ch.clone()),
                    role: None,
                    start_ms: secs(p.get("start")),
                    end_ms: secs(p.get("end")),
                    text: objects(p.get("sentences"))
                        .filter_map(|s| str_of(s, "text"))
                        .map(str::trim)
                        .collect::<Vec<_>>()
                        .join(" "),
                    ..Default::default()
                })
                .collect()
        } else {
            let words = objects(alt.get("words"))
                .map(|w| Word {
                    text: str_of(w, "punctuated_word")
                        .or_else(|| str_of(w, "word"))
                        .unwrap_or("")
                        .to_string(),
                    start_ms: secs(w.get("start")),
                    end_ms: secs(w.get("end")),
                    speaker: speaker(w.get("speaker")).or_else(|| ch.clone()),
                    ..Default::default()
                })
                .collect();
            join_words(words)
        };
        if here.is_empty() {
            if let Some(t) = str_of(alt, "transcript").filter(|t| !t.trim().is_empty()) {
                here.push(Utterance {
                    speaker: ch.clone(),
                    text: t.trim().to_string(),
                    ..Default::default()
                });
            }
        }
        for u in here {
            let n = turns.len();
            turns.push((u.start_ms.unwrap_or(0), n, u));
        }
    }
    if multi {
        turns.sort_by_key(|(t, n, _)| (*t, *n));
    }
    Some(Read {
        service: "Deepgram",
        turns: turns.into_iter().map(|(_, _, u)| u).collect(),
        list_key: None,
        call_key: None,
    })
}

/// Rev.ai: `monologues[]`, each a speaker's run of `elements` (words with
/// `ts`/`end_ts` in seconds, punctuation and spaces as written).
fn rev_ai(o: &Map<String, Value>) -> Option<Read> {
    let mono: Vec<_> = objects(o.get("monologues")).collect();
    if mono.is_empty() || !mono.iter().any(|m| m.contains_key("elements")) {
        return None;
    }
    let turns = mono
        .iter()
        .map(|m| {
            let els: Vec<_> = objects(m.get("elements")).collect();
            let text: String = els.iter().filter_map(|e| str_of(e, "value")).collect();
            let timed = || els.iter().filter(|e| str_of(e, "type") == Some("text"));
            Utterance {
                speaker: str_of(m, "speaker_name")
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().to_string())
                    .or_else(|| speaker(m.get("speaker"))),
                role: None,
                start_ms: timed().find_map(|e| secs(e.get("ts"))),
                end_ms: timed().filter_map(|e| secs(e.get("end_ts"))).next_back(),
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                ..Default::default()
            }
        })
        .collect();
    Some(Read {
        service: "Rev.ai",
        turns,
        list_key: None,
        call_key: None,
    })
}

/// Speechmatics (json-v2): `results[]` of words and punctuation, each with
/// `alternatives[0].content` and `.speaker` (`S1`, ...), or a `channel`.
fn speechmatics(o: &Map<String, Value>) -> Option<Read> {
    let results: Vec<_> = objects(o.get("results")).collect();
    let first = results.first()?;
    if !(first.contains_key("type") && first.contains_key("start_time")) {
        return None;
    }
    let words = results
        .iter()
        .map(|r| {
            let alt = first_alternative(r);
            Word {
                text: alt
                    .and_then(|a| str_of(a, "content"))
                    .unwrap_or("")
                    .to_string(),
                start_ms: secs(r.get("start_time")),
                end_ms: secs(r.get("end_time")),
                speaker: alt
                    .and_then(|a| speaker(a.get("speaker")))
                    .filter(|s| s != "UU")
                    .or_else(|| speaker(r.get("channel"))),
                attaches: str_of(r, "type") == Some("punctuation")
                    && str_of(r, "attaches_to") != Some("next"),
                verbatim: false,
            }
        })
        .collect();
    Some(Read {
        service: "Speechmatics",
        turns: join_words(words),
        list_key: None,
        call_key: None,
    })
}

/// Google Cloud Speech-to-Text: `results[]`, each with
/// `alternatives[0].transcript` and a `resultEndTime` (or `resultEndOffset`).
/// With diarisation the last result repeats every word with its
/// `speakerTag` (v1) or `speakerLabel` (v2), and those words make the turns.
fn google(o: &Map<String, Value>) -> Option<Read> {
    let results: Vec<_> = objects(o.get("results")).collect();
    // every result has its `alternatives` (a stretch of silence has an
    // empty list), and some hold a transcript or words
    if results.is_empty()
        || !results
            .iter()
            .all(|r| r.get("alternatives").is_some_and(Value::is_array))
        || !results.iter().any(|r| {
            first_alternative(r)
                .is_some_and(|a| a.contains_key("transcript") || a.contains_key("words"))
        })
    {
        return None;
    }
    let word_speaker = |w: &Map<String, Value>| {
        speaker(w.get("speakerLabel"))
            .or_else(|| speaker(w.get("speakerTag")).filter(|s| s != "Speaker 0"))
    };
    if let Some(last) = results.last().and_then(|r| first_alternative(r)) {
        let words: Vec<_> = objects(last.get("words")).collect();
        if words.iter().any(|w| word_speaker(w).is_some()) {
            let words = words
                .iter()
                .map(|w| Word {
                    text: str_of(w, "word").unwrap_or("").to_string(),
                    start_ms: secs(w.get("startTime").or_else(|| w.get("startOffset"))),
                    end_ms: secs(w.get("endTime").or_else(|| w.get("endOffset"))),
                    speaker: word_speaker(w),
                    ..Default::default()
                })
                .collect();
            return Some(Read {
                service: "Google Speech-to-Text",
                turns: join_words(words),
                list_key: None,
                call_key: None,
            });
        }
    }
    let channels: std::collections::BTreeSet<u64> = results
        .iter()
        .filter_map(|r| r.get("channelTag").and_then(Value::as_u64))
        .collect();
    let mut prev_end: std::collections::HashMap<u64, u64> = Default::default();
    let turns = results
        .iter()
        .filter_map(|r| {
            let ch = r.get("channelTag").and_then(Value::as_u64).unwrap_or(0);
            let end = secs(r.get("resultEndTime").or_else(|| r.get("resultEndOffset")));
            // a result without words still moves the clock on
            let before = prev_end.get(&ch).copied();
            if let Some(e) = end {
                prev_end.insert(ch, e);
            }
            let alt = first_alternative(r)?;
            let text = str_of(alt, "transcript")?.trim().to_string();
            let first_word = objects(alt.get("words"))
                .next()
                .and_then(|w| secs(w.get("startTime").or_else(|| w.get("startOffset"))));
            let start = first_word.or_else(|| before.or(Some(0)).filter(|_| end.is_some()));
            Some(Utterance {
                speaker: (channels.len() > 1).then(|| format!("Channel {ch}")),
                role: None,
                start_ms: start,
                end_ms: end,
                text,
                ..Default::default()
            })
        })
        .collect();
    Some(Read {
        service: "Google Speech-to-Text",
        turns,
        list_key: None,
        call_key: None,
    })
}

/// ElevenLabs Scribe: `words[]` of `word`, `spacing` and `audio_event`
/// items, each with `text`, `start`/`end` in seconds and `speaker_id`.
fn scribe(o: &Map<String, Value>) -> Option<Read> {
    let words: Vec<_> = objects(o.get("words")).collect();
    if words.is_empty()
        || !o.contains_key("language_code")
        || !words
            .iter()
            .all(|w| w.contains_key("type") && w.contains_key("text"))
    {
        return None;
    }
    let words = words
        .iter()
        .filter(|w| str_of(w, "type") != Some("audio_event"))
        .map(|w| Word {
            text: str_of(w, "text").unwrap_or("").to_string(),
            start_ms: secs(w.get("start")).filter(|_| str_of(w, "type") == Some("word")),
            end_ms: secs(w.get("end")).filter(|_| str_of(w, "type") == Some("word")),
            speaker: speaker(w.get("speaker_id")),
            attaches: false,
            verbatim: true,
        })
        .collect();
    Some(Read {
        service: "ElevenLabs Scribe",
        turns: join_words(words),
        list_key: None,
        call_key: None,
    })
}

/// Gong: `callTranscripts[]`, each call's `transcript[]` of monologues
/// (`speakerId`, `topic`, `sentences[]` with `start`/`end` in
/// milliseconds); one turn per monologue, its sentences joined. A file may
/// hold several calls: each turn keeps its `callId`.
fn gong(o: &Map<String, Value>) -> Option<Read> {
    let calls: Vec<_> = objects(o.get("callTranscripts")).collect();
    if calls.is_empty()
        || !calls
            .iter()
            .all(|c| c.get("transcript").is_some_and(Value::is_array))
    {
        return None;
    }
    let mut turns = Vec::new();
    for c in calls {
        let call = id_of(c.get("callId"));
        for m in objects(c.get("transcript")) {
            let sentences: Vec<_> = objects(m.get("sentences"))
                .filter(|s| str_of(s, "text").is_some_and(|t| !t.trim().is_empty()))
                .collect();
            let pieces: Vec<String> = sentences
                .iter()
                .filter_map(|s| str_of(s, "text"))
                .map(|t| t.trim().to_string())
                .collect();
            turns.push(Utterance {
                speaker: speaker(m.get("speakerId")),
                role: None,
                start_ms: sentences.first().and_then(|s| millis(s.get("start"))),
                end_ms: sentences.last().and_then(|s| millis(s.get("end"))),
                text: pieces.join(" "),
                pieces,
                call: call.clone(),
            });
        }
    }
    Some(Read {
        service: "Gong",
        turns,
        list_key: Some("callTranscripts"),
        call_key: Some("callId"),
    })
}

/// Fireflies.ai: a transcript's `sentences[]` (`speaker_name`, `text`, else
/// `raw_text`, `start_time`/`end_time` in seconds), as its API returns one
/// (`data.transcript`) or several (`data.transcripts`, each turn keeping
/// the transcript's `id`, else its place), or saved alone. Each sentence is
/// a turn: the service placed and timed it, and chat-like speech without
/// punctuation would lose the boundary if a speaker's sentences were joined.
fn fireflies(o: &Map<String, Value>) -> Option<Read> {
    let data = o.get("data").and_then(Value::as_object);
    let one = data
        .and_then(|d| d.get("transcript"))
        .and_then(Value::as_object);
    let several = data
        .and_then(|d| d.get("transcripts"))
        .and_then(Value::as_array);
    let transcripts: Vec<&Map<String, Value>> = match (one, several) {
        (Some(t), _) => vec![t],
        (None, Some(list)) => list.iter().filter_map(Value::as_object).collect(),
        (None, None) => vec![o],
    };
    let lists: Vec<Vec<&Map<String, Value>>> = transcripts
        .iter()
        .map(|t| objects(t.get("sentences")).collect())
        .collect();
    let is_sentence = |s: &Map<String, Value>| {
        (s.get("text").is_some_and(Value::is_string)
            || s.get("raw_text").is_some_and(Value::is_string))
            && (s.contains_key("speaker_name") || s.contains_key("speaker_id"))
    };
    if lists.iter().all(Vec::is_empty) || !lists.iter().flatten().all(|s| is_sentence(s)) {
        return None;
    }
    let multi = transcripts.len() > 1;
    let mut turns = Vec::new();
    for (i, (t, sentences)) in transcripts.iter().zip(&lists).enumerate() {
        let call = multi.then(|| id_of(t.get("id")).unwrap_or_else(|| (i + 1).to_string()));
        let units = sentences.iter().filter_map(|s| {
            let text = str_of(s, "text")
                .filter(|x| !x.trim().is_empty())
                .or_else(|| str_of(s, "raw_text"))?
                .trim()
                .to_string();
            Some(Utterance {
                speaker: str_of(s, "speaker_name")
                    .filter(|n| !n.trim().is_empty())
                    .map(|n| n.trim().to_string())
                    .or_else(|| speaker(s.get("speaker_id"))),
                role: None,
                start_ms: secs(s.get("start_time")),
                end_ms: secs(s.get("end_time")),
                text,
                pieces: Vec::new(),
                call: call.clone(),
            })
        });
        turns.extend(units);
    }
    Some(Read {
        service: "Fireflies",
        turns,
        list_key: Some("sentences"),
        call_key: Some("transcript_id"),
    })
}

/// Twilio Conversation Intelligence: a transcript's `sentences[]`
/// (`transcript`, `media_channel`, `start_time`/`end_time` in seconds, as
/// strings), one turn each; each channel is a speaker (`Channel 1`).
fn twilio(o: &Map<String, Value>) -> Option<Read> {
    let list: Vec<_> = objects(o.get("sentences")).collect();
    if list.is_empty()
        || !list.iter().all(|s| {
            s.contains_key("transcript")
                && (s.contains_key("media_channel") || s.contains_key("sentence_index"))
        })
    {
        return None;
    }
    let units = list.iter().filter_map(|s| {
        let text = str_of(s, "transcript")?.trim().to_string();
        Some(Utterance {
            speaker: id_of(s.get("media_channel")).map(|c| format!("Channel {c}")),
            role: None,
            start_ms: secs(s.get("start_time")),
            end_ms: secs(s.get("end_time")),
            text,
            ..Default::default()
        })
    });
    Some(Read {
        service: "Twilio Conversation Intelligence",
        turns: units.collect(),
        list_key: Some("sentences"),
        call_key: None,
    })
}

/// Recall.ai's meeting-bot transcript: a list of entries, each a
/// `participant` (`name`, `is_host`) and the `words` they said (`text`,
/// `start_timestamp.relative` in seconds), or in its older form a `speaker`
/// and timestamps in seconds. One turn per entry; the meeting's host is the
/// agent when they say what only a service line says ("thank you for
/// calling"), else the interviewer.
fn recall(a: &[Value]) -> Option<Read> {
    let entries: Vec<_> = a.iter().filter_map(Value::as_object).collect();
    let is_entry = |e: &Map<String, Value>| {
        !e.contains_key("text")
            && e.get("words").is_some_and(Value::is_array)
            && (e.get("participant").is_some_and(Value::is_object) || e.contains_key("speaker"))
    };
    if entries.is_empty() || entries.len() != a.len() || !entries.iter().all(|e| is_entry(e)) {
        return None;
    }
    let stamp = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => secs(m.get("relative")),
        v => secs(v),
    };
    let mut turns: Vec<Utterance> = entries
        .iter()
        .map(|e| {
            let words: Vec<_> = objects(e.get("words"))
                .filter(|w| str_of(w, "text").is_some_and(|t| !t.trim().is_empty()))
                .collect();
            let text = words
                .iter()
                .filter_map(|w| str_of(w, "text"))
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ");
            let who = e.get("participant").and_then(Value::as_object);
            let host = who
                .and_then(|p| p.get("is_host"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Utterance {
                speaker: who
                    .and_then(|p| str_of(p, "name"))
                    .or_else(|| str_of(e, "speaker"))
                    .filter(|n| !n.trim().is_empty())
                    .map(|n| n.trim().to_string())
                    .or_else(|| speaker(who.and_then(|p| p.get("id")).or(e.get("speaker_id")))),
                role: host.then_some(Role::Interviewer),
                start_ms: words.first().and_then(|w| stamp(w.get("start_timestamp"))),
                end_ms: words.last().and_then(|w| stamp(w.get("end_timestamp"))),
                text,
                ..Default::default()
            }
        })
        .collect();
    if turns
        .iter()
        .any(|t| t.role.is_some() && crate::segment::says_service_phrase(&t.text))
    {
        for t in turns.iter_mut().filter(|t| t.role.is_some()) {
            t.role = Some(Role::Agent);
        }
    }
    Some(Read {
        service: "Recall.ai",
        turns,
        list_key: None,
        call_key: None,
    })
}

/// One document per call, in the file's order, its id in its meta under
/// `key` (Gong's `callId`, Fireflies' transcript `id`); turns
/// of no call (none, unless a call lacks its id) make one document of their
/// own.
pub(super) fn call_documents(
    path: &str,
    text: &str,
    key: &str,
    turns: Vec<(Option<String>, Turn)>,
) -> Vec<super::Document> {
    let file_hash = crate::util::sha256_hex(text.as_bytes());
    let mut docs: Vec<(Option<String>, Vec<Turn>)> = Vec::new();
    for (call, turn) in turns {
        match docs.iter_mut().find(|(c, _)| *c == call) {
            Some((_, ts)) => ts.push(turn),
            None => docs.push((call, vec![turn])),
        }
    }
    docs.into_iter()
        .map(|(call, turns)| {
            let id = call.as_deref().unwrap_or("");
            let mut meta = std::collections::BTreeMap::new();
            if let Some(c) = &call {
                meta.insert(key.to_string(), Value::String(c.clone()));
            }
            super::Document {
                id: crate::util::stable_id(&[path, &file_hash, id]),
                source: path.to_string(),
                turns,
                meta,
            }
        })
        .collect()
}

/// Place the turns in the file: spans where a turn's text stands verbatim
/// (searched from the list the turns came from; of a turn joined from
/// sentences, from its first to its last), `record` = 1-based turn number
/// (within its call, where the file holds several). Each turn comes with
/// its call.
pub(super) fn into_turns(path: &str, text: &str, read: Read) -> Vec<(Option<String>, Turn)> {
    let mut cursor = read
        .list_key
        .and_then(|k| text.find(&format!("\"{k}\"")))
        .unwrap_or(0);
    let mut number = 0u64;
    let mut last_call: Option<String> = None;
    read.turns
        .into_iter()
        .map(|u| {
            if u.call != last_call {
                number = 0;
                last_call.clone_from(&u.call);
            }
            number += 1;
            (number, u)
        })
        .filter(|(_, u)| !u.text.is_empty())
        .map(|(i, u)| {
            let span = match (u.pieces.first(), u.pieces.last()) {
                (Some(a), Some(b)) if u.pieces.len() > 1 => {
                    let from = super::whisper::find_json_string(text, &mut cursor, a);
                    let to = super::whisper::find_json_string(text, &mut cursor, b);
                    if to[1] > from[0] {
                        [from[0], to[1]]
                    } else {
                        from
                    }
                }
                _ => super::whisper::find_json_string(text, &mut cursor, &u.text),
            };
            let end_ms = match (u.start_ms, u.end_ms) {
                (Some(a), Some(b)) if b < a => None,
                (_, e) => e,
            };
            let turn = Turn {
                speaker: u.speaker,
                role: u.role,
                start_ms: u.start_ms,
                end_ms,
                question: None,
                text: u.text,
                source: super::SourceRef {
                    path: path.to_string(),
                    line: None,
                    record: Some(i),
                    span,
                },
            };
            (u.call, turn)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Parsed, Role, Taint};

    fn read(s: &str) -> Parsed {
        super::super::whisper::parse("call.json", s, &Default::default(), Taint::NONE)
    }

    /// Speaker, start and end in ms, and text of a turn.
    type Timed<'a> = (Option<&'a str>, Option<u64>, Option<u64>, &'a str);

    /// Every turn of the one document.
    fn turns(p: &Parsed) -> Vec<Timed<'_>> {
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents.len(), 1);
        p.documents[0]
            .turns
            .iter()
            .map(|t| (t.speaker.as_deref(), t.start_ms, t.end_ms, t.text.as_str()))
            .collect()
    }

    const CHARGED: &str = "I was charged twice because the app crashed at checkout.";

    #[test]
    fn aws_transcribe_audio_segments_are_read_as_timed_turns() {
        // was: skipped, "neither Whisper JSON (no `segments` array) nor a list of records"
        let s = r#"{"jobName":"call-0142","status":"COMPLETED","results":{
          "transcripts":[{"transcript":"Thank you for calling. I was charged twice because the app crashed at checkout."}],
          "items":[{"id":0,"start_time":"0.0","end_time":"0.4","speaker_label":"spk_0","alternatives":[{"confidence":"0.99","content":"Thank"}],"type":"pronunciation"}],
          "audio_segments":[
            {"id":0,"transcript":"Thank you for calling.","start_time":"0.0","end_time":"1.5","speaker_label":"spk_0","items":[0]},
            {"id":1,"transcript":"I was charged twice because the app crashed at checkout.","start_time":"3.1","end_time":"7.5","speaker_label":"spk_1","items":[]}]}}"#;
        let p = read(s);
        assert_eq!(
            turns(&p),
            [
                (Some("spk_0"), Some(0), Some(1500), "Thank you for calling."),
                (Some("spk_1"), Some(3100), Some(7500), CHARGED),
            ]
        );
        // the span is the segment's own text, not its copy in the whole transcript
        let t = &p.documents[0].turns[1];
        assert!(t.source.span[0] > s.find("audio_segments").unwrap());
        assert_eq!(&s[t.source.span[0]..t.source.span[1]], CHARGED);
        assert_eq!(t.source.record, Some(2));
    }

    #[test]
    fn aws_transcribe_words_are_joined_into_turns_by_speaker() {
        // an older output: no audio_segments, speakers only under speaker_labels
        let item = |t: &str, a: f64, b: f64| {
            format!(
                r#"{{"start_time":"{a}","end_time":"{b}","alternatives":[{{"confidence":"0.9","content":"{t}"}}],"type":"pronunciation"}}"#
            )
        };
        let punct = r#"{"alternatives":[{"confidence":"0.0","content":"."}],"type":"punctuation"}"#;
        let items = [
            item("Hello", 0.0, 0.5),
            punct.to_string(),
            item("Charged", 1.0, 1.4),
            item("twice", 1.4, 1.9),
            punct.to_string(),
        ]
        .join(",");
        let s = format!(
            r#"{{"results":{{"transcripts":[{{"transcript":"Hello. Charged twice."}}],
              "speaker_labels":{{"speakers":2,"segments":[
                {{"start_time":"0.0","end_time":"0.5","speaker_label":"spk_0","items":[{{"start_time":"0.0","end_time":"0.5","speaker_label":"spk_0"}}]}},
                {{"start_time":"1.0","end_time":"1.9","speaker_label":"spk_1","items":[{{"start_time":"1.0","end_time":"1.4","speaker_label":"spk_1"}},{{"start_time":"1.4","end_time":"1.9","speaker_label":"spk_1"}}]}}]}},
              "items":[{items}]}}}}"#
        );
        assert_eq!(
            turns(&read(&s)),
            [
                (Some("spk_0"), Some(0), Some(500), "Hello."),
                (Some("spk_1"), Some(1000), Some(1900), "Charged twice."),
            ]
        );
        // channel identification: each channel's words apart, merged by time
        let s = format!(
            r#"{{"results":{{"transcripts":[{{"transcript":"Hello. Charged twice."}}],
              "channel_labels":{{"number_of_channels":2,"channels":[
                {{"channel_label":"ch_0","items":[{},{}]}},
                {{"channel_label":"ch_1","items":[{},{},{}]}}]}},
              "items":[]}}}}"#,
            item("Hello", 0.0, 0.5),
            punct,
            item("Charged", 1.0, 1.4),
            item("twice", 1.4, 1.9),
            punct
        );
        assert_eq!(
            turns(&read(&s)),
            [
                (Some("ch_0"), Some(0), Some(500), "Hello."),
                (Some("ch_1"), Some(1000), Some(1900), "Charged twice."),
            ]
        );
        // no words at all: the one transcript, untimed
        let s = r#"{"results":{"transcripts":[{"transcript":"Charged twice."}],"items":[]}}"#;
        assert_eq!(turns(&read(s)), [(None, None, None, "Charged twice.")]);
    }

    #[test]
    fn aws_call_analytics_turns_carry_the_participant_role() {
        let s = r#"{"JobStatus":"COMPLETED","LanguageCode":"en-US","Participants":[{"ParticipantRole":"AGENT"},{"ParticipantRole":"CUSTOMER"}],
          "Transcript":[
            {"Id":"a","BeginOffsetMillis":0,"EndOffsetMillis":2900,"Content":"Thanks for calling, how can I help?","ParticipantRole":"AGENT","Sentiment":"NEUTRAL","LoudnessScores":[70.1]},
            {"Id":"b","BeginOffsetMillis":3100,"EndOffsetMillis":7500,"Content":"I was charged twice because the app crashed at checkout.","ParticipantRole":"CUSTOMER","Sentiment":"NEGATIVE"},
            {"Id":"c","BeginOffsetMillis":7600,"EndOffsetMillis":8000,"Content":"Please hold.","ParticipantId":"SYSTEM"}]}"#;
        let p = read(s);
        assert_eq!(
            turns(&p)[1],
            (Some("Customer"), Some(3100), Some(7500), CHARGED)
        );
        let roles: Vec<_> = p.documents[0].turns.iter().map(|t| t.role).collect();
        assert_eq!(
            roles,
            [Some(Role::Agent), Some(Role::Customer), Some(Role::Other)]
        );
        assert_eq!(p.documents[0].turns[2].speaker.as_deref(), Some("System"));
    }

    #[test]
    fn assemblyai_utterances_are_in_milliseconds() {
        let s = r#"{"id":"5551722f","status":"completed","text":"Hi. I was charged twice.",
          "utterances":[
            {"confidence":0.98,"start":250,"end":900,"speaker":"A","text":"Hi.","words":[{"text":"Hi.","start":250,"end":900,"speaker":"A"}]},
            {"confidence":0.97,"start":3100,"end":7500,"speaker":"B","text":"I was charged twice because the app crashed at checkout.","words":[]}],
          "words":[{"text":"Hi.","start":250,"end":900,"confidence":0.99,"speaker":"A"}],"audio_duration":8}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Speaker A"), Some(250), Some(900), "Hi."),
                (Some("Speaker B"), Some(3100), Some(7500), CHARGED),
            ]
        );
        // without diarisation: sentences of the words
        let s = r#"{"id":"x","status":"completed","text":"Hi there. Charged twice.","utterances":null,"audio_duration":3,
          "words":[{"text":"Hi","start":0,"end":200,"speaker":null},{"text":"there.","start":200,"end":500,"speaker":null},
                   {"text":"Charged","start":900,"end":1300,"speaker":null},{"text":"twice.","start":1300,"end":1700,"speaker":null}]}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (None, Some(0), Some(500), "Hi there."),
                (None, Some(900), Some(1700), "Charged twice."),
            ]
        );
    }

    #[test]
    fn deepgram_utterances_paragraphs_and_channels() {
        let s = r#"{"metadata":{"request_id":"a1","duration":8.0,"channels":1},"results":{"channels":[{"alternatives":[{"transcript":"hi i was charged twice","confidence":0.99,"words":[]}]}],
          "utterances":[{"start":0.0,"end":0.9,"confidence":0.98,"channel":0,"transcript":"Hi.","words":[],"speaker":0,"id":"u1"},
                        {"start":3.1,"end":7.5,"confidence":0.97,"channel":0,"transcript":"I was charged twice because the app crashed at checkout.","words":[],"speaker":1,"id":"u2"}]}}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Speaker 0"), Some(0), Some(900), "Hi."),
                (Some("Speaker 1"), Some(3100), Some(7500), CHARGED),
            ]
        );
        // smart_format without utterances: one turn per paragraph
        let s = r#"{"metadata":{},"results":{"channels":[{"alternatives":[{"transcript":"hi","paragraphs":{"transcript":"...","paragraphs":[
            {"sentences":[{"text":"Hi.","start":0.0,"end":0.4},{"text":"How can I help?","start":0.5,"end":0.9}],"speaker":0,"start":0.0,"end":0.9},
            {"sentences":[{"text":"I was charged twice because the app crashed at checkout.","start":3.1,"end":7.5}],"speaker":1,"start":3.1,"end":7.5}]}}]}]}}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Speaker 0"), Some(0), Some(900), "Hi. How can I help?"),
                (Some("Speaker 1"), Some(3100), Some(7500), CHARGED),
            ]
        );
        // two channels (agent and caller on their own lines), words only
        let s = r#"{"metadata":{"channels":2},"results":{"channels":[
            {"alternatives":[{"transcript":"how can i help","words":[{"word":"how","start":0.1,"end":0.3,"punctuated_word":"How"},{"word":"can","start":0.3,"end":0.5,"punctuated_word":"can"},{"word":"i","start":0.5,"end":0.6,"punctuated_word":"I"},{"word":"help","start":0.6,"end":0.9,"punctuated_word":"help?"}]}]},
            {"alternatives":[{"transcript":"charged twice","words":[{"word":"charged","start":2.0,"end":2.4,"punctuated_word":"Charged"},{"word":"twice","start":2.4,"end":2.8,"punctuated_word":"twice."}]}]}]}}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Channel 0"), Some(100), Some(900), "How can I help?"),
                (Some("Channel 1"), Some(2000), Some(2800), "Charged twice."),
            ]
        );
    }

    #[test]
    fn rev_ai_monologues_keep_their_spacing_and_names() {
        let s = r#"{"monologues":[
          {"speaker":0,"speaker_name":"Agent","elements":[{"type":"text","value":"Hello","ts":0.5,"end_ts":0.9,"confidence":1},{"type":"punct","value":","},{"type":"punct","value":" "},{"type":"text","value":"there","ts":0.9,"end_ts":1.2,"confidence":1},{"type":"punct","value":"."}]},
          {"speaker":1,"elements":[{"type":"text","value":"Charged","ts":3.1,"end_ts":3.5},{"type":"punct","value":" "},{"type":"text","value":"twice","ts":3.5,"end_ts":3.9},{"type":"punct","value":"."}]}]}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Agent"), Some(500), Some(1200), "Hello, there."),
                (Some("Speaker 1"), Some(3100), Some(3900), "Charged twice."),
            ]
        );
    }

    #[test]
    fn speechmatics_words_are_joined_by_speaker() {
        let w = |t: &str, a: f64, b: f64, sp: &str| {
            format!(
                r#"{{"alternatives":[{{"confidence":1.0,"content":"{t}","language":"en","speaker":"{sp}"}}],"end_time":{b},"start_time":{a},"type":"word"}}"#
            )
        };
        let p = |a: f64, sp: &str| {
            format!(
                r#"{{"alternatives":[{{"confidence":1.0,"content":".","language":"en","speaker":"{sp}"}}],"attaches_to":"previous","end_time":{a},"is_eos":true,"start_time":{a},"type":"punctuation"}}"#
            )
        };
        let s = format!(
            r#"{{"format":"2.9","metadata":{{"transcription_config":{{"diarization":"speaker"}}}},"results":[{},{},{},{},{}]}}"#,
            w("Hello", 0.2, 0.6, "S1"),
            p(0.6, "S1"),
            w("Charged", 1.0, 1.4, "S2"),
            w("twice", 1.4, 1.9, "S2"),
            p(1.9, "S2")
        );
        assert_eq!(
            turns(&read(&s)),
            [
                (Some("S1"), Some(200), Some(600), "Hello."),
                (Some("S2"), Some(1000), Some(1900), "Charged twice."),
            ]
        );
    }

    #[test]
    fn google_speech_results_and_diarised_words() {
        // one result per stretch of speech, times as "1.500s"
        let s = r#"{"results":[
            {"alternatives":[{"transcript":"hello how can I help","confidence":0.92}],"resultEndTime":"2.900s","languageCode":"en-us"},
            {"alternatives":[],"resultEndTime":"3.000s","languageCode":"en-us"},
            {"alternatives":[{"transcript":"I was charged twice","confidence":0.9}],"resultEndTime":"7.500s","languageCode":"en-us"}]}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (None, Some(0), Some(2900), "hello how can I help"),
                (None, Some(3000), Some(7500), "I was charged twice"),
            ]
        );
        // diarisation: the last result holds every word with its speakerTag
        let s = r#"{"results":[
            {"alternatives":[{"transcript":"hello","words":[{"startTime":"0s","endTime":"0.500s","word":"hello"}]}]},
            {"alternatives":[{"transcript":"charged twice","words":[{"startTime":"1s","endTime":"1.400s","word":"charged"},{"startTime":"1.400s","endTime":"1.900s","word":"twice"}]}]},
            {"alternatives":[{"words":[
              {"startTime":"0s","endTime":"0.500s","word":"hello","speakerTag":1},
              {"startTime":"1s","endTime":"1.400s","word":"charged","speakerTag":2},
              {"startTime":"1.400s","endTime":"1.900s","word":"twice","speakerTag":2}]}]}]}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("Speaker 1"), Some(0), Some(500), "hello"),
                (Some("Speaker 2"), Some(1000), Some(1900), "charged twice"),
            ]
        );
    }

    #[test]
    fn elevenlabs_scribe_words_keep_their_spacing() {
        let s = r#"{"language_code":"en","language_probability":0.98,"text":"Hi. Charged twice.","words":[
            {"text":"Hi.","start":0.1,"end":0.4,"type":"word","speaker_id":"speaker_0"},
            {"text":" ","start":0.4,"end":1.0,"type":"spacing","speaker_id":"speaker_0"},
            {"text":"(sighs)","start":1.0,"end":1.2,"type":"audio_event","speaker_id":"speaker_1"},
            {"text":"Charged","start":1.2,"end":1.6,"type":"word","speaker_id":"speaker_1"},
            {"text":" ","start":1.6,"end":1.7,"type":"spacing","speaker_id":"speaker_1"},
            {"text":"twice.","start":1.7,"end":2.1,"type":"word","speaker_id":"speaker_1"}]}"#;
        assert_eq!(
            turns(&read(s)),
            [
                (Some("speaker_0"), Some(100), Some(400), "Hi."),
                (Some("speaker_1"), Some(1200), Some(2100), "Charged twice."),
            ]
        );
    }

    #[test]
    fn gong_call_transcripts_are_one_document_per_call() {
        // was: each call read as one record whose only text was its callId
        let s = r#"{"requestId":"4al018gzaztcr8nbukw","records":{"totalRecords":2},
          "callTranscripts":[
            {"callId":"7782","transcript":[
              {"speakerId":"643","topic":"Call Setup","sentences":[
                {"start":460230,"end":462343,"text":"Thanks for joining."},
                {"start":462400,"end":465000,"text":"Why look at new vendors?"}]},
              {"speakerId":"223","topic":"Pricing","sentences":[
                {"start":465500,"end":470000,"text":"Our tool doubled its price."}]}]},
            {"callId":"8812","transcript":[
              {"speakerId":"111","topic":"Intro","sentences":[{"start":1000,"end":3000,"text":"How can I help?"}]},
              {"speakerId":"222","topic":"Pricing","sentences":[]}]}]}"#;
        let p = read(s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let docs: Vec<_> = p
            .documents
            .iter()
            .map(|d| {
                let turns: Vec<Timed> = d
                    .turns
                    .iter()
                    .map(|t| (t.speaker.as_deref(), t.start_ms, t.end_ms, t.text.as_str()))
                    .collect();
                (d.meta["callId"].as_str().unwrap_or(""), turns)
            })
            .collect();
        assert_eq!(
            docs,
            [
                (
                    "7782",
                    vec![
                        (
                            Some("643"),
                            Some(460230),
                            Some(465000),
                            "Thanks for joining. Why look at new vendors?"
                        ),
                        (
                            Some("223"),
                            Some(465500),
                            Some(470000),
                            "Our tool doubled its price."
                        ),
                    ]
                ),
                (
                    "8812",
                    vec![(Some("111"), Some(1000), Some(3000), "How can I help?")]
                ),
            ]
        );
        // a monologue's span runs from its first sentence to its last
        let t = &p.documents[0].turns[0];
        let span = &s[t.source.span[0]..t.source.span[1]];
        assert!(span.starts_with("Thanks for joining."), "{span}");
        assert!(span.ends_with("Why look at new vendors?"), "{span}");
        assert_eq!(p.documents[1].turns[0].source.record, Some(1));
        assert_ne!(p.documents[0].id, p.documents[1].id);
    }

    #[test]
    fn review_exports_that_look_like_service_json_stay_records() {
        // a `results` list of records is not Google's or Speechmatics'
        let s = r#"{"results":[{"text":"Too slow.","stars":2},{"text":"Fine.","stars":4}]}"#;
        let p = read(s);
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[0].meta["stars"], serde_json::json!(2));
        // nor is a list of `sentences` without speakers, channels or an
        // audio duration Fireflies', Twilio's or AssemblyAI's
        let s = r#"{"sentences":[{"text":"Too slow.","start":1,"label":"neg"},{"text":"Fine.","start":2,"label":"pos"}]}"#;
        let p = read(s);
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[1].meta["label"], serde_json::json!("pos"));
        // nor a list of records with `words` but no speaker Recall's
        let s = r#"[{"words":["slow","app"],"text":"Too slow."},{"words":[],"text":"Fine."}]"#;
        assert_eq!(read(s).documents.len(), 2);
    }

    /// Speaker, role, start and end in ms, and text of a turn.
    type Voiced<'a> = (
        Option<&'a str>,
        Option<Role>,
        Option<u64>,
        Option<u64>,
        &'a str,
    );

    fn voiced(p: &Parsed) -> Vec<Voiced<'_>> {
        p.documents
            .iter()
            .flat_map(|d| &d.turns)
            .map(|t| {
                (
                    t.speaker.as_deref(),
                    t.role,
                    t.start_ms,
                    t.end_ms,
                    t.text.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn fireflies_sentences_are_timed_turns_of_their_speakers() {
        // was: skipped, "neither Whisper JSON nor a list of records"
        let s = r#"{"data":{"transcript":{"id":"01HX","title":"Interview","sentences":[
          {"index":0,"speaker_name":"Maya Chen","speaker_id":0,"text":"Thanks for joining.","raw_text":"thanks for joining","start_time":0.48,"end_time":2.1},
          {"index":1,"speaker_name":"Maya Chen","speaker_id":0,"text":"Why did you cancel?","raw_text":"why did you cancel","start_time":2.3,"end_time":5},
          {"index":2,"speaker_name":"Tom","speaker_id":1,"text":"","raw_text":"the fee showed up late","start_time":"5.4","end_time":"9.8"}]}}}"#;
        let p = read(s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.documents.len(), 1);
        let maya = Some("Maya Chen");
        assert_eq!(
            voiced(&p),
            [
                (maya, None, Some(480), Some(2100), "Thanks for joining."),
                (maya, None, Some(2300), Some(5000), "Why did you cancel?"),
                (
                    Some("Tom"),
                    None,
                    Some(5400),
                    Some(9800),
                    "the fee showed up late"
                ),
            ]
        );
        let t = &p.documents[0].turns[2];
        assert_eq!(
            &s[t.source.span[0]..t.source.span[1]],
            "the fee showed up late"
        );
        assert_eq!(t.source.record, Some(3));
        // several transcripts, as `transcripts` returns them: one document each
        let s = r#"{"data":{"transcripts":[
          {"id":"A1","sentences":[{"speaker_name":"Sam","text":"How was setup?","start_time":1,"end_time":2}]},
          {"id":"B2","sentences":[{"speaker_name":"Ann","text":"Too slow.","start_time":1,"end_time":2}]}]}}"#;
        let p = read(s);
        let ids: Vec<_> = p
            .documents
            .iter()
            .map(|d| (d.meta["transcript_id"].as_str(), d.turns[0].text.as_str()))
            .collect();
        assert_eq!(
            ids,
            [(Some("A1"), "How was setup?"), (Some("B2"), "Too slow.")]
        );
    }

    #[test]
    fn assemblyai_sentences_and_paragraphs_are_timed_in_milliseconds() {
        // was: read as records, one document per sentence, times read as
        // seconds (250 ms became 4 min 10 s)
        let s = r#"{"sentences":[
          {"text":"Thanks for calling.","start":250,"end":2100,"confidence":0.9,"speaker":"A","words":[]},
          {"text":"How can I help?","start":2200,"end":3100,"confidence":0.9,"speaker":"A","words":[]},
          {"text":"My order never came.","start":3300,"end":5400,"confidence":0.9,"speaker":"B","words":[]}],
          "id":"abc","confidence":0.9,"audio_duration":6}"#;
        let p = read(s);
        assert_eq!(p.documents.len(), 1);
        let (a, b) = (Some("Speaker A"), Some("Speaker B"));
        assert_eq!(
            voiced(&p),
            [
                (a, None, Some(250), Some(2100), "Thanks for calling."),
                (a, None, Some(2200), Some(3100), "How can I help?"),
                (b, None, Some(3300), Some(5400), "My order never came."),
            ]
        );
        // a paragraph takes its words' speaker, and is split where they change
        let s = r#"{"paragraphs":[
          {"text":"Thanks for calling.","start":250,"end":2100,"confidence":0.9,"words":[
            {"text":"Thanks","start":250,"end":600,"speaker":"A"},{"text":"for","start":600,"end":900,"speaker":"A"},
            {"text":"calling.","start":900,"end":2100,"speaker":"A"}]},
          {"text":"Hi. It broke.","start":2200,"end":4000,"confidence":0.9,"words":[
            {"text":"Hi.","start":2200,"end":2500,"speaker":"A"},{"text":"It","start":2600,"end":3000,"speaker":"B"},
            {"text":"broke.","start":3000,"end":4000,"speaker":"B"}]}],
          "id":"abc","confidence":0.9,"audio_duration":6}"#;
        assert_eq!(
            voiced(&read(s)),
            [
                (a, None, Some(250), Some(2100), "Thanks for calling."),
                (a, None, Some(2200), Some(2500), "Hi."),
                (b, None, Some(2600), Some(4000), "It broke."),
            ]
        );
    }

    #[test]
    fn twilio_sentences_are_turns_by_channel() {
        // was: one document per sentence, no speakers
        let s = r#"{"sentences":[
          {"media_channel":1,"sentence_index":0,"start_time":"0.5","end_time":"2.1","transcript":"Thank you for calling.","sid":"GX1","confidence":"0.9"},
          {"media_channel":2,"sentence_index":1,"start_time":"2.5","end_time":"6.0","transcript":"I was charged twice.","sid":"GX2","confidence":"0.9"},
          {"media_channel":2,"sentence_index":2,"start_time":"6.2","end_time":"7.0","transcript":"For one order.","sid":"GX3","confidence":"0.9"}],
          "meta":{"page":0}}"#;
        let (one, two) = (Some("Channel 1"), Some("Channel 2"));
        assert_eq!(
            voiced(&read(s)),
            [
                (one, None, Some(500), Some(2100), "Thank you for calling."),
                (two, None, Some(2500), Some(6000), "I was charged twice."),
                (two, None, Some(6200), Some(7000), "For one order."),
            ]
        );
    }

    #[test]
    fn recall_transcripts_are_one_turn_per_entry_with_the_host_interviewing() {
        // was: each word a segment of its own, in a document per entry
        let s = r#"[{"participant":{"id":100,"name":"Maya","is_host":true,"platform":"zoom"},"words":[
            {"text":"Why","start_timestamp":{"relative":0.5,"absolute":"x"},"end_timestamp":{"relative":0.8,"absolute":"x"}},
            {"text":"did you cancel?","start_timestamp":{"relative":0.9},"end_timestamp":{"relative":2.0}}]},
          {"participant":{"id":200,"name":"Tom","is_host":false},"words":[
            {"text":"The fee came last.","start_timestamp":{"relative":2.5},"end_timestamp":{"relative":6.0}}]}]"#;
        let p = read(s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            voiced(&p),
            [
                (
                    Some("Maya"),
                    Some(Role::Interviewer),
                    Some(500),
                    Some(2000),
                    "Why did you cancel?"
                ),
                (
                    Some("Tom"),
                    None,
                    Some(2500),
                    Some(6000),
                    "The fee came last."
                ),
            ]
        );
        // a host who answers as a service line does is the agent
        let support = s.replace("Why", "Thanks for calling, why");
        assert_eq!(voiced(&read(&support))[0].1, Some(Role::Agent));
        // the older form: `speaker`, timestamps in seconds
        let s = r#"[{"speaker":"Maya","speaker_id":1,"words":[{"text":"Why?","start_timestamp":0.5,"end_timestamp":0.8}]},
          {"speaker":null,"speaker_id":2,"words":[{"text":"It","start_timestamp":1.0,"end_timestamp":1.2},{"text":"broke.","start_timestamp":1.2,"end_timestamp":1.9}]}]"#;
        assert_eq!(
            voiced(&read(s)),
            [
                (Some("Maya"), None, Some(500), Some(800), "Why?"),
                (Some("Speaker 2"), None, Some(1000), Some(1900), "It broke."),
            ]
        );
    }
}
