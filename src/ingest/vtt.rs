//! WebVTT: cue identifiers, settings after the timing, `NOTE`/`STYLE`/`REGION`
//! blocks, `<v Speaker>` voice spans, multi-line cues; other inline tags
//! (`<b>`, `<c.x>`, `<00:00:01.000>`) stripped and entities decoded.
//!
//! Why one cue = one turn: the cue's times are the only ones the file
//! vouches for, so segments interpolate inside their own cue. A cue whose
//! timing does not parse keeps its text, loses its times, and a warning
//! names its line. SRT shares this parser ([`parse_cues`]).

use super::decode::lines_with_offsets;
use super::text::looks_like_speaker;
use super::timecode::parse_timing;
use super::{Parsed, Problem, SourceRef, Turn};
use crate::Location;

/// Parse a WebVTT file.
pub fn parse(path: &str, text: &str) -> Parsed {
    parse_cues(path, text, CueFlavour::Vtt)
}

/// Which subtitle dialect [`parse_cues`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueFlavour {
    Vtt,
    Srt,
}

/// Strip cue markup. Returns the clean text and the voice (`<v Name>`) if any.
pub fn strip_tags(s: &str, flavour: CueFlavour) -> (String, Option<String>) {
    let mut out = String::with_capacity(s.len());
    let mut voice = None;
    let mut rest = s;
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let tag = &rest[1..end];
                if (tag.starts_with("v ") || tag.starts_with("v.")) && voice.is_none() {
                    let name = tag
                        .split_once(char::is_whitespace)
                        .map(|x| x.1)
                        .unwrap_or("");
                    let name = name.trim();
                    if !name.is_empty() {
                        voice = Some(name.to_string());
                    }
                }
                rest = &rest[end + 1..];
                continue;
            }
        } else if c == '{' && flavour == CueFlavour::Srt && rest[1..].starts_with('\\') {
            if let Some(end) = rest.find('}') {
                rest = &rest[end + 1..];
                continue;
            }
        } else if c == '&' {
            let ents = [
                ("&amp;", "&"),
                ("&lt;", "<"),
                ("&gt;", ">"),
                ("&nbsp;", " "),
                ("&lrm;", ""),
                ("&rlm;", ""),
                ("&quot;", "\""),
                ("&#39;", "'"),
                ("&apos;", "'"),
            ];
            if let Some((e, r)) = ents.iter().find(|(e, _)| rest.starts_with(e)) {
                out.push_str(r);
                rest = &rest[e.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, voice)
}

struct Block<'a> {
    lines: Vec<(u64, usize, &'a str)>,
}

/// Parse WebVTT or SRT cues into one document.
/// The name in a caption's speaker label, as captioners write it:
/// `JOHN`, `- JOHN`, `>> JOHN`, `[John]` or `(John)` before the colon.
fn caption_label(label: &str) -> &str {
    let name = label.trim().trim_start_matches(['-', '>']).trim();
    let inner = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .or_else(|| name.strip_prefix('(').and_then(|n| n.strip_suffix(')')));
    inner.map_or(name, str::trim)
}

pub fn parse_cues(path: &str, text: &str, flavour: CueFlavour) -> Parsed {
    let mut out = Parsed::default();
    let mut blocks: Vec<Block> = Vec::new();
    let mut cur: Vec<(u64, usize, &str)> = Vec::new();
    for (no, off, line) in lines_with_offsets(text) {
        // a line of spaces right under a timing line is the cue's first
        // (empty) line, not its end: YouTube writes one above the text
        let under_timing = flavour == CueFlavour::Vtt
            && !line.is_empty()
            && cur.last().is_some_and(|l| l.2.contains("-->"));
        if line.trim().is_empty() && !under_timing {
            if !cur.is_empty() {
                blocks.push(Block {
                    lines: std::mem::take(&mut cur),
                });
            }
        } else {
            cur.push((no, off, line));
        }
    }
    if !cur.is_empty() {
        blocks.push(Block { lines: cur });
    }
    let mut blocks = blocks.into_iter().peekable();
    if flavour == CueFlavour::Vtt {
        match blocks.peek() {
            // The header block may hold cue-less metadata; a timing line in
            // it means the blank line after the header was left out.
            Some(b)
                if b.lines[0].2.trim_start().starts_with("WEBVTT")
                    && !b.lines.iter().any(|l| l.2.contains("-->")) =>
            {
                blocks.next();
            }
            Some(b) if b.lines[0].2.trim_start().starts_with("WEBVTT") => {}
            Some(b) => out.problems.push(Problem::warn(
                Location::line(path, b.lines[0].0),
                "missing WEBVTT header; read as WebVTT anyway",
            )),
            None => {}
        }
    }
    let mut turns: Vec<Turn> = Vec::new();
    let mut srt_speaker: Option<String> = None;
    // YouTube's automatic captions roll up: each cue repeats the line the
    // cue before it ended with, and a 10 ms cue between them holds only that
    // line. They are the ones timed word by word (`<00:00:01.120><c>`).
    let rolling = flavour == CueFlavour::Vtt && text.contains("</c>");
    let mut shown_last: Option<String> = None;
    for block in blocks {
        let mut lines = block.lines.as_slice();
        let first = lines[0].2.trim_start();
        if flavour == CueFlavour::Vtt {
            if first.starts_with("WEBVTT") {
                lines = &lines[1..];
            } else if first.starts_with("NOTE")
                || first.starts_with("STYLE")
                || first.starts_with("REGION")
            {
                continue;
            }
        }
        if lines.is_empty() {
            continue;
        }
        // Timing line: first or second line of the block (after an identifier).
        let timing_at = lines.iter().take(2).position(|l| l.2.contains("-->"));
        let (times, text_lines) = match timing_at {
            Some(i) => {
                let (no, _, l) = lines[i];
                let t = match parse_timing(l) {
                    Some(Ok(t)) => Some(t),
                    _ => {
                        out.problems.push(Problem::warn(
                            Location::line(path, no),
                            format!("bad cue timing `{}`: text kept without times", l.trim()),
                        ));
                        None
                    }
                };
                (t, &lines[i + 1..])
            }
            None => {
                // A timing line too broken to hold `-->` (`00:00:01 -> ...`):
                // a line, among the first two, that starts with a timestamp.
                let starts_with_time = |l: &str| {
                    l.split_whitespace()
                        .next()
                        .and_then(super::timecode::parse_ms)
                        .is_some()
                };
                let broken = lines.iter().take(2).position(|l| starts_with_time(l.2));
                let skip = match broken {
                    Some(i) => i + 1,
                    // An SRT index line alone.
                    None => usize::from(
                        flavour == CueFlavour::Srt
                            && lines[0].2.trim().bytes().all(|b| b.is_ascii_digit()),
                    ),
                };
                if lines.len() > skip {
                    let what = match broken {
                        Some(i) => format!("bad cue timing `{}`", lines[i].2.trim()),
                        None => "cue without a timing line".to_string(),
                    };
                    out.problems.push(Problem::warn(
                        Location::line(path, lines[broken.unwrap_or(0)].0),
                        format!("{what}: text kept without times"),
                    ));
                }
                (None, &lines[skip.min(lines.len())..])
            }
        };
        let text_lines: Vec<(u64, usize, &str)> = if rolling {
            let clean = |l: &str| strip_tags(l, flavour).0.trim().to_string();
            let mut v: Vec<(u64, usize, &str)> = text_lines
                .iter()
                .copied()
                .filter(|l| !l.2.trim().is_empty())
                .collect();
            let last = v.last().map(|l| clean(l.2));
            if v.first().is_some_and(|l| Some(clean(l.2)) == shown_last) {
                v.remove(0);
            }
            if last.is_some() {
                shown_last = last;
            }
            v
        } else {
            text_lines.to_vec()
        };
        // Group the cue's lines by voice.
        let mut group: Option<(Option<String>, u64, usize, usize, String)> = None;
        let flush = |g: Option<(Option<String>, u64, usize, usize, String)>,
                     turns: &mut Vec<Turn>| {
            if let Some((speaker, line, start, end, t)) = g {
                let t = t.trim().to_string();
                if t.is_empty() {
                    return;
                }
                let span = if text.get(start..end) == Some(t.as_str()) {
                    [start, end]
                } else {
                    super::locate(text, start, end, &t)
                };
                turns.push(Turn {
                    speaker,
                    role: None,
                    start_ms: times.map(|t| t.0),
                    end_ms: times.map(|t| t.1),
                    question: None,
                    text: t,
                    source: SourceRef {
                        path: path.to_string(),
                        line: Some(line),
                        record: None,
                        span,
                    },
                });
            }
        };
        for &(no, off, line) in &text_lines {
            let (clean, voice) = strip_tags(line, flavour);
            let mut clean = clean.trim().to_string();
            // subtitles mark a change of speaker inside a cue with a dash
            let dash = ["- ", "\u{2013} ", "\u{2014} "]
                .iter()
                .find_map(|d| clean.strip_prefix(d))
                .map(|rest| rest.trim_start().to_string());
            if let Some(rest) = &dash {
                clean = rest.clone();
            }
            let mut speaker = voice;
            if speaker.is_none() {
                if let Some((name, rest)) = clean.split_once(':') {
                    let name = caption_label(name);
                    if looks_like_speaker(name) && !rest.trim().is_empty() {
                        speaker = Some(name.to_string());
                        clean = rest.trim().to_string();
                    }
                }
            }
            if flavour == CueFlavour::Srt {
                // SRT has no voice spans: a speaker stays until the next
                // label, or a dash says someone (unnamed) else speaks.
                if speaker.is_some() || dash.is_some() {
                    srt_speaker = speaker.clone();
                } else {
                    speaker = srt_speaker.clone();
                }
            }
            let start = off + (line.len() - line.trim_start().len());
            let end = off + line.trim_end().len();
            match group.as_mut() {
                Some(g) if dash.is_none() && (speaker.is_none() || speaker == g.0) => {
                    g.3 = end;
                    g.4.push('\n');
                    g.4.push_str(&clean);
                }
                _ => {
                    flush(group.take(), &mut turns);
                    group = Some((speaker, no, start, end, clean));
                }
            }
        }
        flush(group.take(), &mut turns);
    }
    super::push_file_document(&mut out, path, text, turns, "no cue text");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_notes_and_settings() {
        let s = "WEBVTT\n\nNOTE a comment\n\nSTYLE\n::cue {}\n\nid-1\n00:00:01.000 --> 00:00:04.000 align:start\n<v Ann>Hello <b>there</b> &amp; welcome.\nSecond line.\n\n00:00:05.000 --> 00:00:06.000\n<v.loud Bob>Hi</v>\n";
        let p = parse("a.vtt", s);
        let t = &p.documents[0].turns;
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].speaker.as_deref(), Some("Ann"));
        assert_eq!(t[0].text, "Hello there & welcome.\nSecond line.");
        assert_eq!((t[0].start_ms, t[0].end_ms), (Some(1000), Some(4000)));
        assert_eq!(t[1].speaker.as_deref(), Some("Bob"));
        assert!(p.problems.is_empty());
    }

    #[test]
    fn youtube_automatic_captions_are_read_once_each() {
        // was: a warning for every first cue ("cue without a timing line"),
        // and every line read two or three times as the captions rolled up
        let s = "WEBVTT\nKind: captions\nLanguage: en\n\n\
            00:00:00.000 --> 00:00:02.350 align:start position:0%\n \n\
            so<00:00:00.480><c> the</c><00:00:00.640><c> battery</c><00:00:00.799><c> dies</c>\n\n\
            00:00:02.350 --> 00:00:02.360 align:start position:0%\nso the battery dies\n \n\n\
            00:00:02.360 --> 00:00:05.030 align:start position:0%\nso the battery dies\n\
            over<00:00:02.600><c> night</c><00:00:02.879><c> every</c><00:00:03.120><c> time</c>\n\n";
        let p = parse("r.en.vtt", s);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let t: Vec<_> = p.documents[0]
            .turns
            .iter()
            .map(|t| (t.start_ms, t.text.as_str()))
            .collect();
        assert_eq!(
            t,
            [
                (Some(0), "so the battery dies"),
                (Some(2360), "over night every time")
            ]
        );
        // captions that do not roll keep a line said twice
        let s =
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nNo.\n\n00:00:02.000 --> 00:00:03.000\nNo.\n";
        assert_eq!(parse("n.vtt", s).documents[0].turns.len(), 2);
    }

    #[test]
    fn broken_timing_keeps_text() {
        let s = "WEBVTT\n\n00:00:xx --> 00:00:04.000\nKept text.\n";
        let p = parse("a.vtt", s);
        assert_eq!(p.documents[0].turns[0].text, "Kept text.");
        assert_eq!(p.documents[0].turns[0].start_ms, None);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].loc.line, Some(3));
    }
}
