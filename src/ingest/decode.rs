//! Decode: bytes to text, robustly.
//!
//! Why: exports come from many tools. UTF-8 with or without BOM and UTF-16
//! LE/BE with BOM are read; CRLF and lone CR become `\n` so that every parser
//! and every byte span sees one kind of line ending; invalid sequences become
//! U+FFFD and are counted (their offsets kept for `--strict`); files holding a
//! NUL byte (outside UTF-16) are binary and refused with a positioned error.
//! One pass, no per-line allocation: a 50 MB single-line file costs about
//! one copy of itself.

use crate::error::{Error, Location, Result};

/// Decoded text and where invalid bytes were replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    /// UTF-8 text, BOM removed, line endings normalised to `\n`.
    pub text: String,
    /// Sorted byte offsets in `text` of each U+FFFD inserted for invalid input.
    pub replaced: Vec<usize>,
    /// The encoding found: `utf-8`, `utf-16le` or `utf-16be`.
    pub encoding: &'static str,
}

struct Builder {
    out: String,
    replaced: Vec<usize>,
    last_cr: bool,
}

impl Builder {
    fn with_capacity(n: usize) -> Self {
        Builder {
            out: String::with_capacity(n),
            replaced: Vec::new(),
            last_cr: false,
        }
    }

    fn push_str(&mut self, s: &str) {
        let mut rest = s;
        if self.last_cr {
            if let Some(r) = rest.strip_prefix('\n') {
                rest = r;
            }
            self.last_cr = false;
        }
        while let Some(i) = memchr::memchr(b'\r', rest.as_bytes()) {
            self.out.push_str(&rest[..i]);
            self.out.push('\n');
            rest = &rest[i + 1..];
            if rest.is_empty() {
                self.last_cr = true;
                return;
            }
            if let Some(r) = rest.strip_prefix('\n') {
                rest = r;
            }
        }
        self.out.push_str(rest);
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf));
    }

    fn push_invalid(&mut self) {
        self.last_cr = false;
        self.replaced.push(self.out.len());
        self.out.push('\u{FFFD}');
    }
}

/// Decode one input. `path` is only used to position errors.
pub fn decode(path: &str, bytes: &[u8]) -> Result<Decoded> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok(decode_utf16(rest, false));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok(decode_utf16(rest, true));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Some(i) = memchr::memchr(0, body) {
        let line = 1 + memchr::memchr_iter(b'\n', &body[..i]).count() as u64;
        return Err(Error::input(
            Location::line(path, line),
            format!(
                "binary file (NUL byte at offset {}), skipped",
                i + bytes.len() - body.len()
            ),
        ));
    }
    let mut b = Builder::with_capacity(body.len());
    // Valid UTF-8 (the usual case) in one validation pass, which has a
    // word-at-a-time ASCII path that `utf8_chunks` lacks; same result.
    if let Ok(s) = std::str::from_utf8(body) {
        b.push_str(s);
        return Ok(Decoded {
            text: b.out,
            replaced: b.replaced,
            encoding: "utf-8",
        });
    }
    for chunk in body.utf8_chunks() {
        b.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            b.push_invalid();
        }
    }
    Ok(Decoded {
        text: b.out,
        replaced: b.replaced,
        encoding: "utf-8",
    })
}

fn decode_utf16(bytes: &[u8], big_endian: bool) -> Decoded {
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut b = Builder::with_capacity(bytes.len());
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => b.push_char(c),
            Err(_) => b.push_invalid(),
        }
    }
    if bytes.len() % 2 == 1 {
        b.push_invalid();
    }
    Decoded {
        text: b.out,
        replaced: b.replaced,
        encoding: if big_endian { "utf-16be" } else { "utf-16le" },
    }
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() as u64
}

/// Lines of `text` with their 1-based number and byte start (`\n`-separated,
/// the `\n` not included).
pub fn lines_with_offsets(text: &str) -> impl Iterator<Item = (u64, usize, &str)> {
    let mut start = 0usize;
    let mut no = 0u64;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (&rest[..i], start + i + 1),
            None => (rest, text.len() + 1),
        };
        no += 1;
        let s = start;
        start = next;
        Some((no, s, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_cr_become_lf() {
        let d = decode("x", b"a\r\nb\rc\n").unwrap();
        assert_eq!(d.text, "a\nb\nc\n");
    }

    #[test]
    fn crlf_split_across_invalid_chunk() {
        let d = decode("x", b"a\r\xffb").unwrap();
        assert_eq!(d.text, "a\n\u{FFFD}b");
        assert_eq!(d.replaced, vec![2]);
    }

    #[test]
    fn utf16_both_endians() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("hé\r\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("hé\r\n".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(decode("x", &le).unwrap().text, "hé\n");
        assert_eq!(decode("x", &be).unwrap().text, "hé\n");
    }

    #[test]
    fn lines_with_offsets_counts_last_line() {
        let v: Vec<_> = lines_with_offsets("a\n\nbc").collect();
        assert_eq!(v, vec![(1, 0, "a"), (2, 2, ""), (3, 3, "bc")]);
        let v: Vec<_> = lines_with_offsets("a\n").collect();
        assert_eq!(v, vec![(1, 0, "a")]);
        assert_eq!(lines_with_offsets("").count(), 0);
    }
}
