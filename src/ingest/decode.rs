//! Decode: bytes to text, robustly.
//!
//! Why: exports come from many tools. UTF-8 with or without BOM and UTF-16
//! LE/BE with BOM are read; a file that is not UTF-8 and holds no UTF-8
//! multi-byte sequence at all (Excel's "CSV" on Windows, older exports) is
//! read as Windows-1252, the superset of Latin-1 those tools write, and said
//! so; CRLF and lone CR become `\n` so that every parser
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
    /// The encoding found: `utf-8`, `utf-16le`, `utf-16be` or `windows-1252`.
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
    if bytes.starts_with(b"PK\x03\x04") {
        // a zip archive is opened by its name (`export.zip`), not decoded
        return Err(Error::input(
            Location::line(path, 1),
            "a zip archive, not text: a Word document (.docx), a workbook (.xlsx, .ods) or an archive of files (.zip) is read when its name says which it is",
        ));
    }
    if bytes.get(257..262) == Some(b"ustar") {
        // a tar archive (`calls.tar`, or the content of `calls.tar.gz`)
        return Err(Error::input(
            Location::line(path, 1),
            "a tar archive, not text: name it .tar (.tar.gz or .tgz when gzipped), which is read as the folder it holds",
        ));
    }
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
    // Not UTF-8. If no chunk holds a valid multi-byte sequence, the non-ASCII
    // bytes are single-byte characters: read the file as Windows-1252 rather
    // than turn every accented letter into U+FFFD. One valid sequence says the
    // file is UTF-8 with damage, which is replaced as before.
    if body.utf8_chunks().all(|c| c.valid().is_ascii()) {
        return Ok(decode_windows_1252(body));
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

/// Windows-1252's 0x80..=0x9F (0xA0..=0xFF are Latin-1, the same code
/// points). The five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
/// are invalid and replaced, as the WHATWG decoder's C1 controls would only
/// hide them.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\0', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\0', '\u{017D}', '\0', '\0',
    '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}',
    '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\0', '\u{017E}', '\u{0178}',
];

fn decode_windows_1252(bytes: &[u8]) -> Decoded {
    let mut b = Builder::with_capacity(bytes.len() + bytes.len() / 8);
    let mut rest = bytes;
    while !rest.is_empty() {
        // ASCII runs are copied whole
        let n = rest.iter().position(|&x| x >= 0x80).unwrap_or(rest.len());
        if n > 0 {
            // ASCII is valid UTF-8
            b.push_str(std::str::from_utf8(&rest[..n]).unwrap_or_default());
            rest = &rest[n..];
            continue;
        }
        let x = rest[0];
        let c = if x < 0xA0 {
            CP1252_HIGH[usize::from(x - 0x80)]
        } else {
            char::from(x)
        };
        if c == '\0' {
            b.push_invalid();
        } else {
            b.push_char(c);
        }
        rest = &rest[1..];
    }
    Decoded {
        text: b.out,
        replaced: b.replaced,
        encoding: "windows-1252",
    }
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
    fn an_archive_piped_in_or_misnamed_says_what_it_is() {
        // was: "binary file (NUL byte at offset 5)"
        let e = decode("-", b"PK\x03\x04\x14\x00\x00\x00").unwrap_err();
        assert!(
            e.to_string().contains("-:1: a zip archive, not text"),
            "{e}"
        );
        let mut tar = vec![0u8; 512];
        tar[..9].copy_from_slice(b"calls.txt");
        tar[257..263].copy_from_slice(b"ustar\0");
        let e = decode("export.dat", &tar).unwrap_err();
        assert!(
            e.to_string()
                .contains("export.dat:1: a tar archive, not text"),
            "{e}"
        );
        let e = decode("x.txt", b"a\0b").unwrap_err();
        assert!(
            e.to_string().contains("binary file (NUL byte at offset 1)"),
            "{e}"
        );
    }

    #[test]
    fn crlf_and_cr_become_lf() {
        let d = decode("x", b"a\r\nb\rc\n").unwrap();
        assert_eq!(d.text, "a\nb\nc\n");
    }

    #[test]
    fn crlf_split_across_invalid_chunk() {
        // the é says UTF-8, so the 0xFF is damage, not a Windows-1252 ÿ
        let d = decode("x", b"\xc3\xa9a\r\xffb").unwrap();
        assert_eq!(d.text, "éa\n\u{FFFD}b");
        assert_eq!(d.replaced, vec![4]);
        assert_eq!(d.encoding, "utf-8");
    }

    #[test]
    fn excel_windows_1252_csv_keeps_its_accents_and_quotes() {
        // "Café", curly quotes, euro sign and an en dash as Excel saves them
        let d = decode("x", b"Caf\xe9 \x93ok\x94 \x80 5 \x96 na\xefve\r\n").unwrap();
        assert_eq!(d.text, "Café \u{201C}ok\u{201D} € 5 – naïve\n");
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.replaced.is_empty());
        // a byte Windows-1252 leaves undefined is still counted as invalid
        let d = decode("x", b"a\x81b\xe9").unwrap();
        assert_eq!(d.text, "a\u{FFFD}bé");
        assert_eq!(d.replaced, vec![1]);
        // plain ASCII and valid UTF-8 stay UTF-8
        assert_eq!(decode("x", b"abc").unwrap().encoding, "utf-8");
        assert_eq!(decode("x", "é".as_bytes()).unwrap().encoding, "utf-8");
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
