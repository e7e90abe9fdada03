//! Gzip-compressed inputs: `calls.csv.gz`, `reviews.jsonl.gz`, as nightly
//! exports from a warehouse or a bucket usually arrive. The file is read as
//! the file it holds: its format from the name without `.gz` (else sniffed
//! from the content), its lines and records counted in the decompressed text,
//! as `zcat calls.csv.gz | sed -n 12p` shows line 12. The segments still name
//! the compressed file as their source, and `run.json` hashes its bytes as
//! they are on disk.
//!
//! A file is gzip when its first two bytes are gzip's magic number, whatever
//! its name; one made of several gzip members (files compressed one by one
//! and joined with `cat`, as appended logs are) is read whole. One level only:
//! a `.gz` inside a `.gz` is not opened again.

use std::io::Read;

/// The largest content read from one compressed file (4 GiB): a small file
/// that expands past it (a corrupt or hostile one) is refused before it
/// takes the machine's memory.
pub const MAX_EXPANDED: u64 = 4 << 30;

/// Whether bytes start with gzip's magic number (`1f 8b`) and method byte
/// (8, deflate, the only one defined).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 3 && bytes[0] == 0x1f && bytes[1] == 0x8b && bytes[2] == 8
}

/// The name of the file a compressed one holds: `calls.csv.gz` is read as
/// `calls.csv` (any case of `.gz`); any other name is returned as is.
pub fn inner_name(path: &str) -> &str {
    let n = path.len();
    if n > 3 && path.is_char_boundary(n - 3) && path[n - 3..].eq_ignore_ascii_case(".gz") {
        &path[..n - 3]
    } else {
        path
    }
}

/// The content of a gzip file, every member of it; or why it cannot be read
/// (cut short, corrupt, or larger than [`MAX_EXPANDED`]).
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    gunzip_at_most(bytes, MAX_EXPANDED)
}

/// A file's content: its bytes as they are, or decompressed when they are
/// gzip (see [`gunzip`] for why that can fail).
pub fn content(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if is_gzip(&bytes) {
        gunzip(&bytes)
    } else {
        Ok(bytes)
    }
}

fn gunzip_at_most(bytes: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(max + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > max => Err(format!(
            "gzip file expands to more than {} bytes: decompress it and split it into smaller files",
            max
        )),
        Ok(_) => Ok(out),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(format!(
            "gzip file cut short after {} bytes of content (was it still being copied?): nothing read from it",
            out.len()
        )),
        Err(e) => Err(format!(
            "not a readable gzip file ({e}) after {} bytes of content: nothing read from it",
            out.len()
        )),
    }
}

/// Bytes gzipped, for tests.
#[cfg(test)]
pub(crate) fn gz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_names() {
        assert_eq!(inner_name("a/calls.csv.gz"), "a/calls.csv");
        assert_eq!(inner_name("REVIEWS.JSONL.GZ"), "REVIEWS.JSONL");
        assert_eq!(inner_name("export.gz"), "export");
        assert_eq!(inner_name("notes.txt"), "notes.txt");
        assert_eq!(inner_name(".gz"), ".gz");
        assert_eq!(inner_name("é.gz"), "é");
    }

    #[test]
    fn members_joined_are_read_whole() {
        assert_eq!(content(gz(b"a\n")).unwrap(), b"a\n");
        assert_eq!(content(b"a\n".to_vec()).unwrap(), b"a\n");
        let mut both = gz(b"text\nfirst\n");
        both.extend(gz(b"second\n"));
        assert!(is_gzip(&both));
        assert_eq!(gunzip(&both).unwrap(), b"text\nfirst\nsecond\n");
        assert!(!is_gzip(b"text\n"));
        assert!(!is_gzip(&[0x1f]));
    }

    #[test]
    fn a_cut_short_file_says_so() {
        let whole = gz("a line of text that is long enough\n".repeat(50).as_bytes());
        let cut = &whole[..whole.len() / 2];
        let err = gunzip(cut).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
        let mut bad = whole.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC
        let err = gunzip(&bad).unwrap_err();
        assert!(err.contains("not a readable gzip file"), "{err}");
    }

    #[test]
    fn a_file_that_expands_past_the_limit_is_refused() {
        let big = gz(&vec![b'a'; 10_000]);
        let err = gunzip_at_most(&big, 1000).unwrap_err();
        assert!(err.contains("expands to more than 1000 bytes"), "{err}");
        assert_eq!(gunzip_at_most(&big, 10_000).unwrap().len(), 10_000);
    }
}
