//! Small shared helpers: stable content hashes and crash-safe file writes.
//!
//! Why: stage outputs are keyed by content-derived ids so a corpus can be
//! split across machines and merged without changing results, and nothing a
//! user already has may be left half-written by a failed run.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether a word is a redaction mask: two or more `x`/`X` and nothing else
/// (CFPB's `XXXX`; lower-cased keys hold `xxxx`).
pub fn is_redaction_mask(word: &str) -> bool {
    word.len() >= 2 && word.bytes().all(|b| b == b'x' || b == b'X')
}

/// The text the sentence encoder reads for `text`: `text` without its
/// redaction masks, the words of upper-case `X`s that scrubbed complaint
/// narratives put for names, dates and numbers (`XXXX`, `XX/XX/XXXX`,
/// `XX/XX/2019`; punctuation around them stays). A mask says only that
/// something was there, but a sentence of masks embeds near every other
/// sentence of masks: on the bundled example complaints the fourth insight
/// was "Inquiry, Company Information", 24 sentences such as "XXXX XXXX
/// Inquiry : XXXX XXXX, XXXX." held together by their masks (README,
/// "Redaction masks"). Text without a mask comes back unchanged (borrowed),
/// and so does text that would be left empty. Lower-case `xx` (a kiss in a
/// chat) is not a mask here. De-identified corpora and speech-to-text PII
/// redaction put a placeholder instead ([`without_placeholders`]: GoEmotions'
/// `[NAME]`, `[PII]`, `<PERSON>`); those are left out the same way.
pub fn encoder_text(text: &str) -> std::borrow::Cow<'_, str> {
    match without_placeholders(text) {
        std::borrow::Cow::Borrowed(_) => without_x_masks(text),
        std::borrow::Cow::Owned(t) if t.chars().any(char::is_alphanumeric) => {
            std::borrow::Cow::Owned(without_x_masks(&t).into_owned())
        }
        std::borrow::Cow::Owned(_) => text.into(),
    }
}

/// The length in bytes of the redaction placeholder `s` starts with: an
/// upper-case name in brackets, `[NAME]`, `[RELIGION]` (GoEmotions),
/// `[PII]`, `[REDACTED]`, `[PHONE_NUMBER_1]`, `<PERSON>`, `{{NAME}}`, as
/// de-identified corpora and speech-to-text PII redaction write them: two or
/// more characters, capitals first, then capitals, digits, `_` or `-`.
/// Lower-case brackets are words (`[laughs]`, `[sic]`) and stay, and CFPB's
/// `<XXXX>` is its `X` mask.
fn placeholder_len(s: &str) -> Option<usize> {
    let (open, close) = [("{{", "}}"), ("[", "]"), ("<", ">")]
        .into_iter()
        .find(|(o, _)| s.starts_with(o))?;
    let rest = &s[open.len()..];
    let name = rest
        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let ok = name >= 2
        && rest.starts_with(|c: char| c.is_ascii_uppercase())
        && rest[..name].bytes().filter(u8::is_ascii_uppercase).count() >= 2
        && !rest[..name].bytes().all(|b| b == b'X')
        && rest[name..].starts_with(close);
    ok.then(|| open.len() + name + close.len())
}

/// `text` without its redaction placeholders (see [`placeholder_len`]);
/// borrowed when it has none. What is around them stays: "Fucking [NAME].
/// It's always [NAME]." is "Fucking . It's always .".
pub fn without_placeholders(text: &str) -> std::borrow::Cow<'_, str> {
    placeholders_as(text, "")
}

/// `text` with each redaction placeholder (see [`placeholder_len`])
/// replaced by `mask`; borrowed when it has none.
pub fn placeholders_as<'a>(text: &'a str, mask: &str) -> std::borrow::Cow<'a, str> {
    if !text.contains(['[', '<', '{']) {
        return text.into();
    }
    let mut out = String::new();
    let (mut from, mut i) = (0, 0);
    while let Some(k) = text[i..].find(['[', '<', '{']) {
        let at = i + k;
        match placeholder_len(&text[at..]) {
            Some(n) => {
                out.push_str(&text[from..at]);
                out.push_str(mask);
                from = at + n;
                i = from;
            }
            None => i = at + 1,
        }
    }
    if from == 0 {
        return text.into();
    }
    out.push_str(&text[from..]);
    out.into()
}

/// `text` without CFPB's `X` masks (see [`encoder_text`]).
fn without_x_masks(text: &str) -> std::borrow::Cow<'_, str> {
    fn is_mask(core: &str) -> bool {
        core.contains("XX")
            && core
                .bytes()
                .all(|b| b == b'X' || b.is_ascii_digit() || matches!(b, b'/' | b'-' | b'.' | b':'))
    }
    let core = |w: &str| -> (usize, usize) {
        let a = w.len() - w.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        let b = w.trim_end_matches(|c: char| !c.is_alphanumeric()).len();
        (a, b.max(a))
    };
    if !text.contains("XX") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut masked = false;
    for w in text.split_whitespace() {
        let (a, b) = core(w);
        let kept: std::borrow::Cow<'_, str> = if a < b && is_mask(&w[a..b]) {
            masked = true;
            format!("{}{}", &w[..a], &w[b..]).into()
        } else {
            w.into()
        };
        if kept.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&kept);
    }
    if !masked || !out.chars().any(char::is_alphanumeric) {
        return text.into();
    }
    out.into()
}

/// Borrowed views of `texts` (for APIs that take `&[&str]`).
pub fn strs<'a>(texts: &'a [std::borrow::Cow<'_, str>]) -> Vec<&'a str> {
    texts.iter().map(|t| t.as_ref()).collect()
}

/// `n` and a noun, plural unless `n` is 1: "1 document", "3 documents",
/// "0 weak signals" (the plural is the noun + "s").
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A field name as input fields are matched: letters and digits only,
/// lowercase (`Star Rating`, `star_rating` and `StarRating` are one field).
pub fn field_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A short, stable id derived from content parts (first 16 hex chars of
/// sha256 over the parts separated by a unit separator).
pub fn stable_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0x1f]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// Write `bytes` to `path` atomically: write a temporary file in the same
/// directory, fsync, then rename over the target. A crash leaves either the
/// old file or the new one, never a mix. The file gets the permissions a
/// plain `File::create` would give it (0666 minus the umask), not the 0600 of
/// a private temporary file: reports and heads are meant to be read by others.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_text_leaves_out_redaction_masks_and_nothing_else() {
        for (text, want) in [
            ("XXXX XXXX Inquiry : XXXX XXXX, XXXX.", "Inquiry : , ."),
            (
                "I called on XX/XX/2019 and ( XXXX ) said no.",
                "I called on and ( ) said no.",
            ),
            ("Paid {$25.00} on XX/XX/XXXX.", "Paid {$25.00} on ."),
            // unchanged: no mask, a kiss, a word with X in it, masks alone
            ("love you xx", "love you xx"),
            ("My XXL order and the X-ray.", "My XXL order and the X-ray."),
            ("XXXX XXXX", "XXXX XXXX"),
            ("Too  slow.\nReally.", "Too  slow.\nReally."),
        ] {
            assert_eq!(encoder_text(text), want, "{text:?}");
        }
        assert!(matches!(
            encoder_text("No masks here."),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn encoder_text_leaves_out_bracketed_placeholders_and_nothing_else() {
        // was: 4 of GoEmotions' 12 insights held together by `[NAME]`
        for (text, want) in [
            (
                "Fucking [NAME]. It's always [NAME].",
                "Fucking . It's always .",
            ),
            (
                "I'm glad [NAME]'s back, [RELIGION] or not",
                "I'm glad 's back,  or not",
            ),
            (
                "Call me at [PHONE_NUMBER_1] or <PERSON>.",
                "Call me at  or .",
            ),
            ("Hi {{NAME}}, your [PII] on XX/XX/2019", "Hi , your on"),
            // words in brackets, an amount, markup and a lone letter stay
            (
                "It was [sic] great [laughs] for {$25.00}",
                "It was [sic] great [laughs] for {$25.00}",
            ),
            (
                "A [B] and [Aa] or <3 and [NAME",
                "A [B] and [Aa] or <3 and [NAME",
            ),
            // CFPB's mask in brackets is read as before: its `X`s go
            ("Sent to <XXXX> twice", "Sent to <> twice"),
            // nothing left: the text as written
            ("[NAME]!", "[NAME]!"),
        ] {
            assert_eq!(encoder_text(text), want, "{text:?}");
        }
        assert!(matches!(
            without_placeholders("No [placeholders] <here>."),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn stable_id_depends_on_part_boundaries() {
        assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
        assert_eq!(stable_id(&["ab", "c"]), stable_id(&["ab", "c"]));
        assert_eq!(stable_id(&["x"]).len(), 16);
    }

    #[test]
    fn write_atomic_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_gives_the_permissions_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let p = dir.path().join("atomic.json");
        write_atomic(&p, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&plain));
    }
}

/// IEEE half-precision bits of `x`, rounded to nearest (ties to even);
/// out-of-range values become infinities. (The tuned top layer is stored in
/// f16: half the bytes of f32, well within what its weights need.)
pub fn f16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x007f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if man != 0 { 0x0200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        return sign | 0x7c00;
    }
    let (full, shift) = if e >= 1 {
        (man, 13)
    } else if e >= -10 {
        (man | 0x0080_0000, (14 - e) as u32)
    } else {
        return sign;
    };
    let mut h = (full >> shift) as u16;
    let rest = full & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    if rest > half || (rest == half && h & 1 == 1) {
        h += 1; // may carry into the exponent, which is the right result
    }
    if e >= 1 {
        sign | (((e as u16) << 10) + h)
    } else {
        sign | h
    }
}

/// The f32 value of IEEE half-precision bits.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = (u32::from(h) & 0x8000) << 16;
    let exp = (h >> 10) & 0x1f;
    let man = u32::from(h & 0x03ff);
    let bits = match exp {
        0 if man == 0 => sign,
        0 => {
            // subnormal: man * 2^-24
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((u32::from(exp) + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod f16_tests {
    use super::*;

    #[test]
    fn f16_round_trips_and_rounds_to_nearest() {
        for &x in &[
            0.0f32,
            -0.0,
            1.0,
            -2.5,
            0.1,
            65504.0,
            6.1035156e-5,
            5.96e-8,
            -3.0e-6,
        ] {
            let back = f16_to_f32(f16_bits(x));
            assert!((back - x).abs() <= x.abs() * 1e-3 + 6e-8, "{x} -> {back}");
            assert_eq!(f16_bits(back), f16_bits(x), "{x}: stable");
        }
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(1e6), 0x7c00);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        // 1 + 2^-11 is halfway between 1 and the next f16: ties to even (1.0)
        assert_eq!(f16_bits(1.0 + 1.0 / 2048.0), 0x3c00);
        assert_eq!(f16_bits(1.0 + 3.0 / 2048.0), 0x3c02);
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and fully specified, so
/// every "random" choice whyline makes (bootstrap intervals, a head's
/// initialisation, shuffles and dropout) is the same byte for byte from its
/// seed, on every machine, never from the clock.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform index in `0..n` (n > 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}
