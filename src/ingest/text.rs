//! Plain-text transcripts: one turn per line or paragraph.
//!
//! Speaker prefixes recognised (each optionally preceded by `[hh:mm:ss]`,
//! `(hh:mm:ss)` or a bare `hh:mm:ss`):
//! `Name: text`, `[00:01:02] Name: text`, `Name (00:01:02): text`,
//! `Name [00:01:02]: text`, `Name: [00:01:02] text`, and a header line `NAME 00:01:02` (Zoom/Otter/
//! Teams exports) or `[00:01:02] Name` (when the name heads two or more such
//! lines) followed by the text on the next lines. A timestamp alone on its
//! line (Google Meet) times the turn below it. Lines without a prefix continue the current turn
//! (or start a new paragraph of the same speaker after a blank line).
//! Files without speakers become one turn per paragraph (blank-line
//! separated), or one per line when the file has no blank lines.
//!
//! Chat exports (WhatsApp's "Export chat", as diary studies and support
//! lines on WhatsApp collect them) put a date and time before each message:
//! `12/03/2023, 14:22 - Name: text` (Android) or `[12/03/23, 14:22:05] Name:
//! text` (iOS). The stamp is dropped and any name is a speaker (contact
//! names hold brackets, digits, emoji). Lines after the stamp without a
//! name (encryption notices, "Sam joined"), media placeholders (`<Media
//! omitted>`, `image omitted`), deleted messages and iOS's own notices
//! (marked with U+200E) end the turn and are not read; the "<This message
//! was edited>" mark is left out of the message. Zoom's meeting chat
//! (`00:01:23\t From  Name  to  Everyone:`, the message on the lines below;
//! see [`zoom_from`]) is read by sender, without reactions and reply heads.
//!
//! Why the `Name:` rule is cautious: in free text, `Note: ...` or
//! `Problem: the app crashes` are not speakers. An untimed `Name:` prefix
//! counts as a speaker only when that name prefixes at least two lines, or
//! when prefixed lines are at least half of the file's non-blank lines.

use super::decode::lines_with_offsets;
use super::timecode::parse_ms;
use super::{Parsed, SourceRef, Turn};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// `parsed` with every run of spaces and tabs inside a turn's lines made one
/// space, for texts read from a richer format (Markdown's blanked markup,
/// Word's runs and tabs); line breaks stay.
pub fn with_single_spaces(mut parsed: Parsed) -> Parsed {
    for turn in parsed.documents.iter_mut().flat_map(|d| d.turns.iter_mut()) {
        let lines: Vec<String> = turn
            .text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        turn.text = lines.join("\n");
    }
    parsed
}

/// Field names of a transcript's or a note's header (`Date: 2026-11-02`,
/// `Duration: 32 min`), never a speaker: taken for one, the first of them
/// would be the conversation's host.
const HEADER_FIELDS: &[&str] = &[
    "date",
    "time",
    "duration",
    "length",
    "location",
    "title",
    "topic",
    "subject",
    "project",
    "study",
    "session",
    "recorded",
    "recording",
    "attendees",
    "notes",
    "tags",
    "source",
    "url",
];

/// True when `name` can be a speaker label: 1-40 characters, at most four
/// words, starting with an uppercase letter or digit (or a role word such as
/// `agent`), no sentence punctuation, not a header field (`Date`, `Topic`).
pub fn looks_like_speaker(name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 || name.split_whitespace().count() > 4 {
        return false;
    }
    if HEADER_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f)) {
        return false;
    }
    if name
        .chars()
        .any(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '\'' | '#' | '&')))
    {
        return false;
    }
    if !name.chars().any(char::is_alphabetic) {
        return false;
    }
    let first = name.chars().next().unwrap_or(' ');
    first.is_uppercase()
        || first.is_ascii_digit()
        || super::Role::parse(name).is_some()
        || matches!(name.to_ascii_lowercase().as_str(), "speaker" | "q" | "a")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Blank,
    /// `NAME 00:01:02` alone on its line.
    Header,
    /// `[00:01:02] Name` alone on its line: a header when the name heads two
    /// or more such lines, else a timed turn whose text is the name
    /// (`[00:00:05] Okay great` is said, not a speaker).
    TimedName,
    /// A prefixed turn; `timed` when a timestamp came with it.
    Turn {
        timed: bool,
    },
    /// A chat app's line that is no message (see the module notes): ends
    /// the turn, is not read.
    Notice,
    Plain,
}

/// A chat export's date-and-time stamp at the start of a line: its length
/// in bytes, with the space after it.
fn chat_stamp(s: &str) -> Option<usize> {
    // most lines start with a letter: no stamp, and no regex run
    let first = s.trim_start_matches('\u{200E}').bytes().next()?;
    if !(first.is_ascii_digit() || first == b'[') {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| {
        const DATE: &str = r"[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}";
        const TIME: &str =
            r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:[ \x{202F}\x{A0}]?(?i-u:[ap]\.? ?m\.?))?";
        Regex::new(&format!(
            r"^\x{{200E}}?(?:\[{DATE},? {TIME}\] |{DATE},? {TIME} [-\x{{2013}}] )"
        ))
        .unwrap_or_else(|e| unreachable!("{e}"))
    });
    // a stamp is short: the regex sees only the line's head
    let mut head = s.len().min(48);
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    r.find(&s[..head]).map(|m| m.end())
}

/// What a chat app writes in place of a message: media left out of the
/// export, a deleted message, a missed call.
fn is_chat_placeholder(text: &str) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "<media omitted>",
        "image omitted",
        "video omitted",
        "audio omitted",
        "sticker omitted",
        "gif omitted",
        "document omitted",
        "contact card omitted",
        "this message was deleted",
        "you deleted this message",
        "missed voice call",
        "missed video call",
        "null",
    ];
    let t = text.trim();
    t.starts_with('\u{200E}') || PLACEHOLDERS.iter().any(|p| t.eq_ignore_ascii_case(p))
}

/// WhatsApp's mark after an edited message.
const EDITED_MARK: &str = "<This message was edited>";

/// A chat message line, `text` after its stamp of `stamp` bytes.
fn classify_chat(line: &str, pos: usize) -> LineInfo<'_> {
    let notice = LineInfo {
        kind: Kind::Notice,
        speaker: None,
        ts: None,
        text_off: line.len(),
    };
    let rest = &line[pos..];
    // `Name: text`: the first colon before a space or the line's end
    let colon = rest
        .char_indices()
        .take_while(|&(i, _)| i <= 80)
        .find(|&(i, c)| c == ':' && rest[i + 1..].chars().next().is_none_or(char::is_whitespace))
        .map(|(i, _)| i)
        .filter(|&i| i > 0);
    let Some(c) = colon else {
        return notice;
    };
    let name = rest[..c].trim();
    let after = &rest[c + 1..];
    if name.is_empty() || is_chat_placeholder(after) {
        return notice;
    }
    LineInfo {
        kind: Kind::Turn { timed: true },
        speaker: Some(name),
        ts: None,
        text_off: pos + c + 1 + (after.len() - after.trim_start().len()),
    }
}

#[derive(Debug, Clone)]
struct LineInfo<'a> {
    kind: Kind,
    speaker: Option<&'a str>,
    ts: Option<u64>,
    /// Offset of the text within the line.
    text_off: usize,
}

/// Zoom's meeting chat (`meeting_saved_chat.txt`), after the line's
/// timestamp: `From  Name  to  Everyone:` with the message on the indented
/// lines below, `From Name to Me (Direct Message):`, or the older `From
/// Name : message` on one line. The sender's name and the offset of the
/// message within `rest`. Zoom writes the header in a fixed form, so it is
/// read only in that form (a timed `From Monday to Friday: we open at 9` is
/// something said).
fn zoom_from(rest: &str) -> Option<(&str, usize)> {
    let after = rest.strip_prefix("From")?;
    if !after.starts_with([' ', '\t']) {
        return None;
    }
    let double = after.starts_with("  ") || after.starts_with(" \t");
    let c = after
        .char_indices()
        .take_while(|&(i, _)| i <= 160)
        .find(|&(i, ch)| {
            ch == ':'
                && after[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map(|(i, _)| i)?;
    let header = &after[..c];
    let message = &after[c + 1..];
    let ends_line = message.trim().is_empty();
    let (name, target) = match header.find("  to  ") {
        Some(t) => (&header[..t], Some(&header[t + 6..])),
        None => match header.find(" to ").or_else(|| header.find(" To ")) {
            Some(t) => (&header[..t], Some(&header[t + 4..])),
            None => (header, None),
        },
    };
    let known_target = target.is_some_and(|t| {
        let t = t.trim().to_ascii_lowercase();
        t == "everyone"
            || t == "me"
            || t.starts_with("waiting room")
            || t.ends_with("(direct message)")
            || t.ends_with("(privately)")
    });
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || !(double || ends_line || known_target) {
        return None;
    }
    let off = 4 + c + 1 + (message.len() - message.trim_start().len());
    Some((name, off))
}

/// True when `line` is a Zoom chat message's header (see [`zoom_from`]).
fn is_zoom_line(line: &str) -> bool {
    let t = line.trim_start();
    leading_ts(t).is_some_and(|(_, n)| zoom_from(t[n..].trim_start()).is_some())
}

/// A line of Zoom's chat that is no message: a reaction to one, or the
/// quoted head of the message being replied to (someone else's words).
fn is_zoom_notice(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("Reacted to \"") && t.contains("\" with "))
        || (t.starts_with("Replying to \"") && t.ends_with('"'))
}

fn leading_ts(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'[') || b.first() == Some(&b'(') {
        let close = if b[0] == b'[' { ']' } else { ')' };
        let end = s.find(close)?;
        let ms = parse_ms(&s[1..end])?;
        return Some((ms, end + 1));
    }
    let tok_end = s.find(char::is_whitespace).unwrap_or(s.len());
    let tok = &s[..tok_end];
    if tok.contains(':') {
        let ms = parse_ms(tok.trim_end_matches(':'))?;
        return Some((ms, tok_end));
    }
    None
}

fn classify(line: &str) -> LineInfo<'_> {
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    if trimmed.trim_end().is_empty() {
        return LineInfo {
            kind: Kind::Blank,
            speaker: None,
            ts: None,
            text_off: 0,
        };
    }
    if let Some(n) = chat_stamp(trimmed) {
        return classify_chat(line, lead + n);
    }
    let plain = LineInfo {
        kind: Kind::Plain,
        speaker: None,
        ts: None,
        text_off: lead,
    };
    let (mut ts, mut pos) = match leading_ts(trimmed) {
        Some((ms, n)) => (Some(ms), lead + n),
        None => (None, lead),
    };
    let after_ts = &line[pos..];
    let skip = after_ts.len() - after_ts.trim_start().len();
    pos += skip;
    let rest = &line[pos..];
    if ts.is_some() {
        if let Some((name, off)) = zoom_from(rest) {
            return LineInfo {
                kind: Kind::Turn { timed: true },
                speaker: Some(name),
                ts,
                text_off: pos + off,
            };
        }
    }
    // `Name: text` / `Name (00:01:02): text`.
    let mut cut = rest.len().min(60);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &rest[..cut];
    // The label's colon is followed by a space or the line end (not `0:03`).
    let colon = head
        .char_indices()
        .find(|&(i, c)| c == ':' && rest[i + 1..].chars().next().is_none_or(char::is_whitespace))
        .map(|(i, _)| i)
        .filter(|&i| i > 0);
    if let Some(c) = colon {
        let mut name = rest[..c].trim();
        // `Name (00:01:02):` (Rev) or `Name [00:01:02]:` (Descript)
        for (open, close) in [('(', ')'), ('[', ']')] {
            if name.ends_with(close) {
                if let Some(o) = name.rfind(open) {
                    if let Some(ms) = parse_ms(&name[o + 1..name.len() - 1]) {
                        ts = Some(ms);
                        name = name[..o].trim();
                    }
                }
            }
        }
        if looks_like_speaker(name) {
            let after = &rest[c + 1..];
            let mut text_off = pos + c + 1 + (after.len() - after.trim_start().len());
            // `Name: [00:00:05] text` (Sonix): the time after the label;
            // the label still counts as untimed (so a lone `Note: (10:30)
            // ...` in free text stays text)
            let untimed_label = ts.is_none();
            let said = &line[text_off..];
            if ts.is_none() && said.starts_with(['[', '(']) {
                if let Some((ms, n)) = leading_ts(said) {
                    ts = Some(ms);
                    let more = &said[n..];
                    text_off += n + (more.len() - more.trim_start().len());
                }
            }
            return LineInfo {
                kind: Kind::Turn {
                    timed: !untimed_label,
                },
                speaker: Some(name),
                ts,
                text_off,
            };
        }
    }
    // `NAME 00:01:02` alone.
    if ts.is_none() {
        let t = rest.trim_end();
        if let Some(sp) = t.rfind(char::is_whitespace) {
            let name = t[..sp].trim();
            if let Some(ms) = parse_ms(t[sp..].trim()) {
                if looks_like_speaker(name) {
                    return LineInfo {
                        kind: Kind::Header,
                        speaker: Some(name),
                        ts: Some(ms),
                        text_off: line.len(),
                    };
                }
            }
        }
    }
    // `[00:01:02] Name` alone: a header if the name recurs (see `parse`)
    let t = rest.trim_end();
    if ts.is_some() && !t.is_empty() && looks_like_speaker(t) && !t.ends_with('.') {
        return LineInfo {
            kind: Kind::TimedName,
            speaker: Some(t),
            ts,
            text_off: pos,
        };
    }
    if ts.is_some() {
        return LineInfo {
            kind: Kind::Turn { timed: true },
            speaker: None,
            ts,
            text_off: pos,
        };
    }
    plain
}

struct Open {
    speaker: Option<String>,
    ts: Option<u64>,
    line: u64,
    start: usize,
    end: usize,
}

/// Parse a plain-text transcript.
pub fn parse(path: &str, text: &str) -> Parsed {
    let lines: Vec<(u64, usize, &str)> = lines_with_offsets(text).collect();
    let mut infos: Vec<LineInfo> = lines.iter().map(|(_, _, l)| classify(l)).collect();
    let (header_lines, header) = header_meta(&lines);

    // Accept untimed `Name:` prefixes only when they look like a transcript.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut prefixed = 0usize;
    let mut nonblank = 0usize;
    for i in &infos {
        if i.kind != Kind::Blank {
            nonblank += 1;
        }
        if let (Kind::Turn { timed: false }, Some(s)) = (i.kind, i.speaker) {
            *counts.entry(s).or_default() += 1;
            prefixed += 1;
        }
    }
    let mut timed_names: HashMap<&str, usize> = HashMap::new();
    for i in &infos {
        if let (Kind::TimedName, Some(s)) = (i.kind, i.speaker) {
            *timed_names.entry(s).or_default() += 1;
        }
    }
    for (info, (_, _, line)) in infos.iter_mut().zip(&lines) {
        if let (Kind::TimedName, Some(s)) = (info.kind, info.speaker) {
            if timed_names.get(s).copied().unwrap_or(0) >= 2 {
                info.kind = Kind::Header;
                info.text_off = line.len();
            } else {
                info.kind = Kind::Turn { timed: true };
                info.speaker = None;
            }
        }
    }
    // a header block (`Date: ...`) does not make a transcript less of one
    let dense = prefixed * 2 >= nonblank.saturating_sub(header_lines);
    for (info, (_, _, line)) in infos.iter_mut().zip(&lines) {
        if let (Kind::Turn { timed: false }, Some(s)) = (info.kind, info.speaker) {
            if !dense && counts.get(s).copied().unwrap_or(0) < 2 {
                let lead = line.len() - line.trim_start().len();
                *info = LineInfo {
                    kind: Kind::Plain,
                    speaker: None,
                    ts: None,
                    text_off: lead,
                };
            }
        }
    }
    // Zoom's reactions and reply heads, in a Zoom chat only
    let zoom_notice = |(info, (_, _, line)): (&LineInfo, &(u64, usize, &str))| {
        info.kind == Kind::Plain && is_zoom_notice(line)
    };
    if infos.iter().zip(&lines).any(zoom_notice) && lines.iter().any(|(_, _, l)| is_zoom_line(l)) {
        for (info, (_, _, line)) in infos.iter_mut().zip(&lines) {
            if info.kind == Kind::Plain && is_zoom_notice(line) {
                info.kind = Kind::Notice;
            }
        }
    }
    let has_speakers = infos.iter().any(|i| i.speaker.is_some());
    let has_structure = infos
        .iter()
        .any(|i| matches!(i.kind, Kind::Header | Kind::Turn { .. }));
    let has_blank = infos.iter().any(|i| i.kind == Kind::Blank);
    let line_mode = !has_structure && !has_blank;

    let mut raw: Vec<Open> = Vec::new();
    let mut cur: Option<Open> = None;
    let mut speaker: Option<String> = None;
    let mut pending_ts: Option<u64> = None;
    let mut after_blank = true;
    for (info, &(no, off, line)) in infos.iter().zip(&lines) {
        match info.kind {
            Kind::Blank | Kind::Notice => {
                raw.extend(cur.take());
                after_blank = true;
            }
            Kind::Header => {
                raw.extend(cur.take());
                speaker = info.speaker.map(str::to_string);
                pending_ts = info.ts;
                after_blank = true;
            }
            // decided above
            Kind::TimedName => {}
            Kind::Turn { .. } => {
                raw.extend(cur.take());
                if info.speaker.is_some() || !has_speakers {
                    speaker = info.speaker.map(str::to_string);
                }
                let start = off + info.text_off;
                let end = off + line.trim_end().len();
                if end > start {
                    cur = Some(Open {
                        speaker: speaker.clone(),
                        // a timestamp alone on the line above (Google Meet)
                        ts: info.ts.or(pending_ts),
                        line: no,
                        start,
                        end,
                    });
                    pending_ts = None;
                } else {
                    pending_ts = info.ts;
                }
                after_blank = false;
            }
            Kind::Plain => {
                let start = off + info.text_off;
                let end = off + line.trim_end().len();
                match cur.as_mut() {
                    Some(c) if !after_blank && !line_mode => c.end = end,
                    _ => {
                        raw.extend(cur.take());
                        cur = Some(Open {
                            speaker: speaker.clone(),
                            ts: pending_ts.take(),
                            line: no,
                            start,
                            end,
                        });
                    }
                }
                after_blank = false;
            }
        }
    }
    raw.extend(cur.take());

    // The next timestamp after each turn, in one backward pass (a forward
    // search per turn was quadratic in untimed files).
    let mut next_ts_of = vec![None; raw.len()];
    let mut later: Option<u64> = None;
    for (i, o) in raw.iter().enumerate().rev() {
        next_ts_of[i] = later;
        if o.ts.is_some() {
            later = o.ts;
        }
    }
    let mut turns = Vec::with_capacity(raw.len());
    for (o, next_ts) in raw.iter_mut().zip(next_ts_of) {
        if let Some(t) = text[o.start..o.end].strip_suffix(EDITED_MARK) {
            o.end = o.start + t.trim_end().len();
            if o.end == o.start {
                continue;
            }
        }
        let end_ms = match (o.ts, next_ts) {
            (Some(a), Some(b)) if b >= a => Some(b),
            _ => None,
        };
        turns.push(Turn {
            speaker: o.speaker.clone(),
            role: None,
            start_ms: o.ts,
            end_ms,
            question: None,
            text: text[o.start..o.end].to_string(),
            source: SourceRef {
                path: path.to_string(),
                line: Some(o.line),
                record: None,
                span: [o.start, o.end],
            },
        });
    }
    let mut out = Parsed::default();
    super::push_file_document(&mut out, path, text, turns, "no text (empty file)");
    if let Some(d) = out.documents.last_mut() {
        d.meta = header;
    }
    out
}

/// The `Field: value` lines a transcript or note opens with (`Date:
/// 2026-11-02`, `Duration: 32 min`: fields of [`HEADER_FIELDS`] but `notes`,
/// which may hold what was said), as its document's metadata, so that a
/// folder of call transcripts has the dates its insights' trends read. The
/// lines stay in the text as they were. Also returns how many lines it read.
fn header_meta(lines: &[(u64, usize, &str)]) -> (usize, BTreeMap<String, serde_json::Value>) {
    let mut meta = BTreeMap::new();
    let mut read = 0;
    for (_, _, line) in lines {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some((name, value)) = t.split_once(':') else {
            break;
        };
        let (name, value) = (name.trim(), value.trim());
        let known = HEADER_FIELDS
            .iter()
            .any(|f| *f != "notes" && name.eq_ignore_ascii_case(f));
        if !known || value.is_empty() {
            break;
        }
        meta.entry(name.to_string())
            .or_insert_with(|| serde_json::Value::from(value));
        read += 1;
    }
    (read, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(s: &str) -> Vec<(Option<String>, Option<u64>, String)> {
        parse("t.txt", s).documents[0]
            .turns
            .iter()
            .map(|t| (t.speaker.clone(), t.start_ms, t.text.clone()))
            .collect()
    }

    #[test]
    fn a_transcripts_header_fields_are_its_documents_metadata() {
        // was: `Date: 2026-11-02` only a turn set apart, so calls had no date
        let s = "Date: 2026-11-02\nDuration: 32 min\n\nAgent: Thank you for calling.\n\
                 Customer: The fee only showed up at checkout.\nDate: never\n";
        let d = &parse("t.txt", s).documents[0];
        assert_eq!(d.meta["Date"], "2026-11-02");
        assert_eq!(d.meta["Duration"], "32 min");
        assert_eq!(d.meta.len(), 2);
        // the turns are as they were
        assert_eq!(d.turns.len(), 3);
        assert_eq!(d.turns[0].text, "Date: 2026-11-02\nDuration: 32 min");
        // only the lines the file opens with, and never `Notes:`
        for s in [
            "Agent: Hi.\nDate: 2026-11-02\n",
            "Notes: the fee doubled.\n",
            "Notes: x\nDate: 2026-11-02\n",
        ] {
            assert!(parse("t.txt", s).documents[0].meta.is_empty(), "{s}");
        }
    }

    #[test]
    fn name_colon() {
        let t = turns("Agent: Hi there.\nCustomer: My card broke.\nit is bent\nAgent: Sorry.\n");
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].0.as_deref(), Some("Customer"));
        assert_eq!(t[1].2, "My card broke.\nit is bent");
    }

    #[test]
    fn bracket_and_paren_timestamps() {
        let t = turns("[00:00:05] Ann: Hello\nBob (00:00:09): Hi\n");
        assert_eq!(t[0], (Some("Ann".into()), Some(5000), "Hello".into()));
        assert_eq!(t[1], (Some("Bob".into()), Some(9000), "Hi".into()));
    }

    #[test]
    fn descript_meet_and_timestamp_first_header_layouts() {
        // was: `Name [00:00:01]: text` read whole as text without a speaker
        let t = turns("Ann [00:00:01]: Hello there.\nBob [00:00:04]: The fee doubled.\n");
        assert_eq!(
            t[0],
            (Some("Ann".into()), Some(1000), "Hello there.".into())
        );
        assert_eq!(
            t[1],
            (Some("Bob".into()), Some(4000), "The fee doubled.".into())
        );
        // was: Google Meet's timestamp lines dropped, every turn untimed
        let t = turns("00:00:00\nAnn: Thanks for joining.\nBob: Sure.\n\n00:01:05\nAnn: Why?\n");
        assert_eq!(
            t[0],
            (Some("Ann".into()), Some(0), "Thanks for joining.".into())
        );
        assert_eq!(t[1], (Some("Bob".into()), None, "Sure.".into()));
        assert_eq!(t[2], (Some("Ann".into()), Some(65000), "Why?".into()));
        // was: `[00:00:01] Ann Lee` alone on its line merged into the text
        let t = turns("[00:00:01] Ann Lee\nThanks.\n\n[00:00:04] Bob\nThe fee.\n\n[00:00:09] Ann Lee\nWhy?\n\n[00:00:12] Bob\nIt doubled.\n");
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], (Some("Ann Lee".into()), Some(1000), "Thanks.".into()));
        assert_eq!(
            t[3],
            (Some("Bob".into()), Some(12000), "It doubled.".into())
        );
        // a timed line of a few words said once is what was said, not a name
        let t = turns("[00:00:05] Okay great\n[00:00:09] The fee doubled.\n");
        assert_eq!(t[0], (None, Some(5000), "Okay great".into()));
    }

    #[test]
    fn a_time_after_the_speaker_label_times_the_turn() {
        // was: `[00:00:09]` kept in the quote and the turn untimed (Sonix)
        let t = turns("Ann: [00:00:05] Why?\n\nBob: (00:00:09) The fee.\n");
        assert_eq!(t[0], (Some("Ann".into()), Some(5000), "Why?".into()));
        assert_eq!(t[1], (Some("Bob".into()), Some(9000), "The fee.".into()));
        // a bracket that is no time stays what was said
        let t = turns("Ann: [laughs] ok\nBob: Fine.\n");
        assert_eq!(t[0], (Some("Ann".into()), None, "[laughs] ok".into()));
        // a lone label in free text is still no speaker
        let t = turns("We met at ten.\nUpdate: (10:30) the room moved.\nThen lunch.\n");
        assert_eq!(t[1], (None, None, "Update: (10:30) the room moved.".into()));
    }

    #[test]
    fn header_lines() {
        let t = turns("Speaker 1  0:03\nHello there.\nMore.\n\nSpeaker 2  0:10\nHi.\n");
        assert_eq!(
            t[0],
            (
                Some("Speaker 1".into()),
                Some(3000),
                "Hello there.\nMore.".into()
            )
        );
        assert_eq!(t[1], (Some("Speaker 2".into()), Some(10000), "Hi.".into()));
    }

    #[test]
    fn whatsapp_chat_exports_are_read_by_sender() {
        // was: every line read as text of one unnamed speaker, stamp and
        // "Name:" included, the encryption notice and "<Media omitted>" too
        let android = "12/03/2023, 14:22 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.\n\
            12/03/2023, 14:22 - Maya (Research): Hi Sam, what did you buy today?\n\
            12/03/2023, 14:25 - Sam: Groceries again.\n\
            I switched stores because the fee kept going up.\n\
            12/03/2023, 14:26 - Sam: <Media omitted>\n\
            12/03/2023, 14:27 - Sam: It feels like a trick. <This message was edited>\n\
            12/03/2023, 14:28 - Sam: This message was deleted\n\
            12/03/2023, 14:29 - Maya (Research) added +44 7700 900123\n\
            12/03/2023, 14:30 - +44 7700 900123: Same for me!\n";
        assert_eq!(
            turns(android),
            [
                (
                    Some("Maya (Research)".into()),
                    None,
                    "Hi Sam, what did you buy today?".into()
                ),
                (
                    Some("Sam".into()),
                    None,
                    "Groceries again.\nI switched stores because the fee kept going up.".into()
                ),
                (Some("Sam".into()), None, "It feels like a trick.".into()),
                (Some("+44 7700 900123".into()), None, "Same for me!".into()),
            ]
        );
        let ios = "[12/03/23, 14:22:05] Diary study: \u{200E}Messages and calls are end-to-end encrypted.\n\
            [12/03/23, 14:22:05] Maya: What did you buy today?\n\
            [12/03/23, 2:25:11\u{202F}PM] Sam: Groceries again.\n\
            \u{200E}[12/03/23, 14:26:40] Sam: \u{200E}image omitted\n";
        assert_eq!(
            turns(ios),
            [
                (Some("Maya".into()), None, "What did you buy today?".into()),
                (Some("Sam".into()), None, "Groceries again.".into()),
            ]
        );
        // a German export: dd.mm.yy
        let t = turns("12.03.23, 14:22 - Sam: Zu teuer.\n12.03.23, 14:23 - Sam: Wirklich.\n");
        assert_eq!(t[0], (Some("Sam".into()), None, "Zu teuer.".into()));
    }

    #[test]
    fn zoom_meeting_chat_is_read_by_sender() {
        // was: "From  Jane Doe  to  Everyone" taken as the speaker of the
        // *next* message, so each message went to the previous sender and
        // the first came with no speaker at all
        let saved = "00:01:23\t From  Jane Doe (she/her)  to  Everyone:\n\
            \tThe delivery fee shows up at the last step.\n\
            00:02:10\t From  Interviewer  to  Everyone:\n\
            \tCan you say more?\n\
            00:02:30\t From  Jane Doe (she/her)  to  Interviewer(Direct Message):\n\
            \tSorry, one more thing.\n\
            \tI just want the full price first.\n";
        assert_eq!(
            turns(saved),
            [
                (
                    Some("Jane Doe (she/her)".into()),
                    Some(83_000),
                    "The delivery fee shows up at the last step.".into()
                ),
                (
                    Some("Interviewer".into()),
                    Some(130_000),
                    "Can you say more?".into()
                ),
                (
                    Some("Jane Doe (she/her)".into()),
                    Some(150_000),
                    "Sorry, one more thing.\n\tI just want the full price first.".into()
                ),
            ]
        );
        // newer clients: single spaces; a reaction and a reply's quoted head
        // are not the sender's words
        let newer = "10:02:33 From Jane Doe to Everyone:\n\
            \tThe fee is hidden.\n\
            10:03:01 From Sam to Everyone:\n\
            \tReacted to \"The fee is hidden.\" with \u{1F44D}\n\
            10:03:40 From Sam to Everyone:\n\
            \tReplying to \"The fee is hidden.\"\n\
            \n\
            \tSame for me.\n";
        let t = turns(newer);
        assert_eq!(
            t.iter()
                .map(|x| (x.0.as_deref(), x.2.as_str()))
                .collect::<Vec<_>>(),
            [
                (Some("Jane Doe"), "The fee is hidden."),
                (Some("Sam"), "Same for me.")
            ]
        );
        // the oldest layout: the message on the header's line
        let t = turns("00:00:05\t From  Ann : The fee doubled.\n00:00:09\t From  Bob : Why?\n");
        assert_eq!(
            t[0],
            (Some("Ann".into()), Some(5000), "The fee doubled.".into())
        );
        // a timed line that only starts like Zoom's header is not read as one
        let t = turns("[00:00:05] From Monday to Friday: we open at nine.\n");
        assert_ne!(t[0].0.as_deref(), Some("Monday"));
    }

    #[test]
    fn note_colon_is_not_a_speaker() {
        let t = turns("I like it.\nNote: the app crashes.\nOther line.\n");
        assert!(t.iter().all(|x| x.0.is_none()));
        assert_eq!(t.len(), 3);
    }
}
