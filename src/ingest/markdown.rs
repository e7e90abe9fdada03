//! Markdown notes and transcripts (`.md`, `.markdown`): interview write-ups
//! kept in a wiki or a notes app, with speakers in bold (`**Maya:** ...`),
//! quotes in block quotes and answers in lists.
//!
//! The markup is blanked out byte for byte (each markup byte becomes a
//! space, line breaks stay), and the result is read as a plain-text
//! transcript ([`super::text`]): speaker prefixes, paragraphs, line numbers
//! and byte spans are those of the original file. Not read as what anyone
//! said: YAML front matter, headings (titles, not speech), fenced code,
//! HTML comments and tags, horizontal rules, table separator rows, link
//! targets, images. Kept: the text of emphasis, links, list items, block
//! quotes and table cells.

use super::text;
use super::Parsed;

/// Parse a Markdown file.
pub fn parse(path: &str, text: &str) -> Parsed {
    // the blanked markup leaves runs of spaces inside lines
    text::with_single_spaces(text::parse(path, &to_plain(text)))
}

/// `text` with its Markdown markup replaced by spaces: the same length, the
/// same line breaks, only ASCII bytes changed (so still valid UTF-8).
pub fn to_plain(text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let (mut front, mut fence, mut comment) = (false, None::<u8>, false);
    let mut next = 0;
    for (k, line) in text.split('\n').enumerate() {
        let (s, e) = (next, next + line.len());
        next = e + 1;
        // the line as written: the changes so far are on earlier lines
        let t = line.trim();
        // YAML front matter: from a first line `---` to the next `---` / `...`
        if k == 0 && t == "---" {
            front = true;
            blank(&mut b[s..e]);
            continue;
        }
        if front {
            front = !(t == "---" || t == "...");
            blank(&mut b[s..e]);
            continue;
        }
        // fenced code
        let fence_char = t.bytes().next().filter(|&c| c == b'`' || c == b'~');
        if let Some(c) = fence_char.filter(|&c| t.bytes().take_while(|&x| x == c).count() >= 3) {
            if fence.is_none() {
                fence = Some(c);
            } else if fence == Some(c) {
                fence = None;
            }
            blank(&mut b[s..e]);
            continue;
        }
        if fence.is_some() {
            blank(&mut b[s..e]);
            continue;
        }
        // headings, rules, setext underlines, table separator rows
        let hashes = t.bytes().take_while(|&c| c == b'#').count();
        let heading = (1..=6).contains(&hashes)
            && t.as_bytes()
                .get(hashes)
                .is_none_or(|c| c.is_ascii_whitespace());
        let rule = t.len() >= 3
            && (t.bytes().all(|c| c == b'-' || c == b' ')
                || t.bytes().all(|c| c == b'=' || c == b' ')
                || t.bytes().all(|c| c == b'*' || c == b' ')
                || t.bytes().all(|c| c == b'_' || c == b' '));
        let separator_row = t.starts_with('|')
            && t.bytes()
                .all(|c| matches!(c, b'|' | b'-' | b':' | b' ' | b'\t'));
        if heading || rule || separator_row {
            blank(&mut b[s..e]);
            continue;
        }
        comment = blank_comments(&mut b[s..e], comment);
        strip_line(&mut b[s..e]);
    }
    // Only ASCII bytes were replaced by ASCII spaces, or whole lines blanked.
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn blank(bytes: &mut [u8]) {
    bytes.fill(b' ');
}

/// Blanks HTML comments in a line, `inside` when a comment opened on an
/// earlier line is still open; returns whether one is open at its end.
fn blank_comments(line: &mut [u8], mut inside: bool) -> bool {
    let mut i = 0;
    while i < line.len() {
        if inside {
            if line[i..].starts_with(b"-->") {
                blank(&mut line[i..i + 3]);
                i += 3;
                inside = false;
            } else {
                line[i] = b' ';
                i += 1;
            }
        } else if line[i..].starts_with(b"<!--") {
            inside = true;
        } else {
            i += 1;
        }
    }
    inside
}

/// The markup of one line of text: block-quote and list markers, images,
/// link targets, autolinks, HTML tags, code and emphasis marks.
fn strip_line(line: &mut [u8]) {
    // leading markers: `>` block quotes, then one list marker or task box
    let mut i = line.iter().take_while(|c| c.is_ascii_whitespace()).count();
    while i < line.len() && line[i] == b'>' {
        line[i] = b' ';
        i += 1;
        i += line[i..].iter().take_while(|c| **c == b' ').count();
    }
    let digits = line[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let marker = if matches!(line.get(i), Some(b'-' | b'*' | b'+')) {
        1
    } else if (1..=9).contains(&digits) && matches!(line.get(i + digits), Some(b'.' | b')')) {
        digits + 1
    } else {
        0
    };
    if marker > 0 && line.get(i + marker).is_some_and(|c| *c == b' ') {
        blank(&mut line[i..i + marker]);
        i += marker + 1;
        let task = &line[i..];
        if task.len() >= 3
            && task[0] == b'['
            && matches!(task[1], b' ' | b'x' | b'X')
            && task[2] == b']'
        {
            blank(&mut line[i..i + 3]);
        }
    }
    // table cells
    if line.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'|') {
        for c in line.iter_mut().filter(|c| **c == b'|') {
            *c = b' ';
        }
    }
    // each search moves forward only, so a line of a million `[` and no `]`
    // is read in one pass, not once per `[`
    let (mut brackets, mut parens, mut angles) =
        (Next::new(b']'), Next::new(b')'), Next::new(b'>'));
    let mut j = 0;
    while j < line.len() {
        match line[j] {
            // an image: all of it
            b'!' if line.get(j + 1) == Some(&b'[') => {
                if let Some(end) = link_end(line, j + 1, &mut brackets, &mut parens) {
                    blank(&mut line[j..end]);
                    j = end;
                    continue;
                }
            }
            // a link: its text stays, brackets and target go
            b'[' => {
                if let Some((close, end)) = link_at(line, j, &mut brackets, &mut parens) {
                    line[j] = b' ';
                    blank(&mut line[close..end]);
                    j += 1;
                    continue;
                }
            }
            // an autolink or an HTML tag
            b'<' => {
                let next = line.get(j + 1).copied().unwrap_or(b' ');
                if next.is_ascii_alphabetic() || next == b'/' {
                    if let Some(close) = angles.find(line, j) {
                        blank(&mut line[j..=close]);
                        j = close + 1;
                        continue;
                    }
                }
            }
            b'`' | b'*' | b'~' => line[j] = b' ',
            // `_` as emphasis (at a word's edge), not inside snake_case
            b'_' => {
                let before = j.checked_sub(1).map_or(b' ', |p| line[p]);
                let after = line.get(j + 1).copied().unwrap_or(b' ');
                if !before.is_ascii_alphanumeric() || !after.is_ascii_alphanumeric() {
                    line[j] = b' ';
                }
            }
            b'\\' if line.get(j + 1).is_some_and(|c| c.is_ascii_punctuation()) => {
                line[j] = b' ';
                j += 2;
                continue;
            }
            _ => {}
        }
        j += 1;
    }
}

/// `[text](target)` starting at `open` (the `[`), if it is one: where its
/// `]` is and where it ends (one past the `)`).
fn link_at(
    line: &[u8],
    open: usize,
    brackets: &mut Next,
    parens: &mut Next,
) -> Option<(usize, usize)> {
    let close = brackets.find(line, open)?;
    if line.get(close + 1) != Some(&b'(') {
        return None;
    }
    Some((close, parens.find(line, close + 1)? + 1))
}

/// [`link_at`]'s end.
fn link_end(line: &[u8], open: usize, brackets: &mut Next, parens: &mut Next) -> Option<usize> {
    link_at(line, open, brackets, parens).map(|(_, end)| end)
}

/// The first `byte` at or after a position, for positions that never go
/// back: the last answer is kept (the first such byte at or after the last
/// position searched from, or none), so that a line is scanned about once in
/// all. Bytes are only ever blanked, never added: "none" stays true, and a
/// kept answer that was blanked is searched again.
struct Next {
    byte: u8,
    /// `Some((from, at))` after a search from `from`.
    last: Option<(usize, Option<usize>)>,
}

impl Next {
    fn new(byte: u8) -> Self {
        Next { byte, last: None }
    }

    fn find(&mut self, line: &[u8], from: usize) -> Option<usize> {
        if let Some((searched, at)) = self.last {
            let still = match at {
                Some(at) => at >= from && line.get(at) == Some(&self.byte),
                None => true,
            };
            if from >= searched && still {
                return at;
            }
        }
        let at = line
            .get(from..)
            .and_then(|rest| rest.iter().position(|&c| c == self.byte))
            .map(|k| from + k);
        self.last = Some((from, at));
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTES: &str = "---\ntitle: Interview 7\n---\n# Interview 7 — checkout study\n\n\
**Date:** 2026-11-02 · *P7, returning customer*\n\n\
**Maya:** What happened the last time you tried to *order*?\n\n\
**P7:** I filled the cart and then a [delivery fee](https://example.com/fee) showed up.\n\
I closed the tab, because I felt tricked.\n\n\
**Maya:** Tricked how?\n\n\
> **P7:** They never said it up front. I just want to know what I pay.\n\n\
```\nlog line: not speech\n```\n\
<!-- a note\nover two lines -->\n\
- [x] follow up with P7 about snake_case_names\n";

    #[test]
    fn a_long_line_of_brackets_is_read_in_one_pass() {
        // quadratic before: every `[` searched the rest of the line for `]`
        for line in [
            "[".repeat(400_000),
            format!("{}]", "[".repeat(400_000)),
            format!("{}](", "[a".repeat(200_000)),
            "<a".repeat(200_000),
        ] {
            let t = std::time::Instant::now();
            let plain = to_plain(&line);
            assert_eq!(plain.len(), line.len());
            assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
        }
    }

    #[test]
    fn markup_becomes_spaces_and_lines_keep_their_place() {
        let plain = to_plain(NOTES);
        assert_eq!(plain.len(), NOTES.len());
        assert_eq!(
            plain.match_indices('\n').map(|m| m.0).collect::<Vec<_>>(),
            NOTES.match_indices('\n').map(|m| m.0).collect::<Vec<_>>()
        );
        for gone in [
            "title",
            "Interview 7",
            "https",
            "log line",
            "a note",
            "[x]",
            "**",
            "> ",
        ] {
            assert!(!plain.contains(gone), "{gone:?} left in {plain:?}");
        }
        for kept in [
            "delivery fee",
            "order",
            "snake_case_names",
            "I closed the tab",
        ] {
            assert!(plain.contains(kept), "{kept:?} lost from {plain:?}");
        }
    }

    #[test]
    fn bold_speakers_are_speakers_and_spans_point_into_the_file() {
        let p = parse("notes.md", NOTES);
        let turns: Vec<_> = p.documents.iter().flat_map(|d| &d.turns).collect();
        let speakers: Vec<_> = turns.iter().map(|t| t.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            // the list item after P7's quote is a paragraph of the same
            // speaker, as in a plain-text transcript
            [
                None,
                Some("Maya"),
                Some("P7"),
                Some("Maya"),
                Some("P7"),
                Some("P7")
            ],
            "{turns:#?}"
        );
        let fee = turns[2];
        let [from, to] = fee.source.span;
        assert!(NOTES[from..to].contains("[delivery fee](https://example.com/fee)"));
        assert!(
            fee.text.contains("a delivery fee showed up"),
            "{}",
            fee.text
        );
        assert!(!fee.text.contains("  "), "{:?}", fee.text);
        // a header field is no speaker, so the interviewer is the host
        let roles = crate::segment::assign_roles(&p.documents[0], &Default::default());
        assert_eq!(roles[1], crate::ingest::Role::Interviewer, "{roles:?}");
        assert_eq!(roles[2], crate::ingest::Role::Customer, "{roles:?}");
        assert_eq!(
            turns[4].text,
            "They never said it up front. I just want to know what I pay."
        );
    }
}
